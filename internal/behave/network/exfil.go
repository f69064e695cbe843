package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// ExfilConfig configures the exfiltration detector. The zero value gives
// the defaults.
type ExfilConfig struct {
	// WarmUp is the history an entity needs before its hourly volume is
	// judged, and the detector before a destination it has not seen
	// counts as new. Default 168h (7 days).
	WarmUp time.Duration `yaml:"warm_up"`
	// HistoryWeeks is how many weeks of hourly volumes are kept per
	// entity (source address or account). Default 5.
	HistoryWeeks int `yaml:"history_weeks"`
	// MinWeeks is the number of past weeks from which the baseline of an
	// hour is that hour of the week (Tuesdays 14:00) in those weeks;
	// with fewer, it is the same hour of the day over the previous seven
	// days. Default 4; at most HistoryWeeks-1.
	MinWeeks int `yaml:"min_weeks"`
	// K sets the threshold: median + K × MAD of the baseline, the MAD
	// scaled by 1.4826 so that K counts standard deviations of normal
	// data. Default 5.
	K float64 `yaml:"k"`
	// Floor is the fewest bytes in an hour that are reported, whatever
	// the baseline. Default 100 MB.
	Floor int64 `yaml:"floor_bytes"`
	// NewDestinationBytes is the upload, from one source to a destination
	// first seen within NewDestinationWindow, that is reported. Default
	// 50 MB.
	NewDestinationBytes int64 `yaml:"new_destination_bytes"`
	// NewDestinationWindow is how long a destination counts as new after
	// it is first seen. Default 24h.
	NewDestinationWindow time.Duration `yaml:"new_destination_window"`
	// InternalNetworks, Proxies and JoinDelay are as for BeaconConfig.
	InternalNetworks []string      `yaml:"internal_networks"`
	Proxies          []string      `yaml:"proxies"`
	JoinDelay        time.Duration `yaml:"join_delay"`
}

// DefaultExfilConfig returns the defaults.
func DefaultExfilConfig() ExfilConfig {
	return ExfilConfig{
		WarmUp: 7 * 24 * time.Hour, HistoryWeeks: 5, MinWeeks: 4, K: 5,
		Floor: 100 << 20, NewDestinationBytes: 50 << 20, NewDestinationWindow: 24 * time.Hour,
		JoinDelay: 2 * time.Minute,
	}
}

func (c ExfilConfig) withDefaults() ExfilConfig {
	d := DefaultExfilConfig()
	setDuration(&c.WarmUp, d.WarmUp)
	setDuration(&c.NewDestinationWindow, d.NewDestinationWindow)
	setDuration(&c.JoinDelay, d.JoinDelay)
	setInt(&c.HistoryWeeks, d.HistoryWeeks)
	setInt(&c.MinWeeks, d.MinWeeks)
	setFloat(&c.K, d.K)
	setInt64(&c.Floor, d.Floor)
	setInt64(&c.NewDestinationBytes, d.NewDestinationBytes)
	c.HistoryWeeks = max(c.HistoryWeeks, 2)
	c.MinWeeks = min(c.MinWeeks, c.HistoryWeeks-1)
	return c
}

// Validate checks the configuration.
func (c ExfilConfig) Validate() error {
	var errs []error
	if c.WarmUp < 0 || c.HistoryWeeks < 0 || c.MinWeeks < 0 || c.K < 0 || c.Floor < 0 ||
		c.NewDestinationBytes < 0 || c.NewDestinationWindow < 0 || c.JoinDelay < 0 {
		errs = append(errs, errors.New("exfil settings must not be negative"))
	}
	if c.HistoryWeeks > 0 && c.MinWeeks >= c.HistoryWeeks {
		errs = append(errs, fmt.Errorf("exfil min_weeks %d: want fewer than history_weeks %d", c.MinWeeks, c.HistoryWeeks))
	}
	errs = append(errs, validNetworks("internal_networks", c.InternalNetworks), validNetworks("proxies", c.Proxies))
	return errors.Join(errs...)
}

// Exfil finds data leaving the network in unusual volume. It counts the
// payload bytes that internal sources send to external destinations
// (or to names through a proxy), per hour, by source address and, when
// the record names one, by account (user.name).
//
// Two findings:
//   - volume: an entity's bytes in the current hour exceed both Floor
//     and median + K·MAD of its own baseline for that hour: the same
//     hour of the week over the past weeks once MinWeeks are kept, else
//     the same hour of the day over the past seven days. Hours without
//     traffic count as zero. No finding before the entity has WarmUp of
//     history. Reported as soon as the hour's total crosses, once per
//     entity and hour. Hours are UTC.
//   - new destination: a source sends at least NewDestinationBytes to a
//     destination (name, else address) that the detector first saw less
//     than NewDestinationWindow ago, after its own WarmUp. Once per
//     source and destination.
//
// Memory: per entity, HistoryWeeks×168 hourly totals (3.4 KB with the
// defaults); destinations are remembered in a table of
// Limits.MaxEntities, least recently seen forgotten first, so a rarely
// used destination can be forgotten and seen as new again.
type Exfil struct {
	cfg      ExfilConfig
	lim      behave.Limits
	policy   flowPolicy
	join     *joiner
	entities *behave.Table[*exfilEntity]
	dests    *behave.Table[*exfilDest]
	start    time.Time // first flow counted
	now      time.Time
	found    []behave.Finding
	scratch  []float64
	dev      []float64
}

var (
	_ behave.Detector = (*Exfil)(nil)
	_ behave.Flusher  = (*Exfil)(nil)
)

// exfilEntity is the hourly history of one source address or account.
type exfilEntity struct {
	Field string `json:"field"`
	Value string `json:"value"`
	// First and Last are hour numbers (unix seconds / 3600): the first
	// hour seen and the latest hour written.
	First int64 `json:"first"`
	Last  int64 `json:"last"`
	// Hours is a ring of hourly byte totals, Hours[h % len] for hour h.
	Hours    []float32 `json:"hours"`
	Reported int64     `json:"reported,omitempty"` // hour number last reported
	// Top are the largest destinations of the latest hour.
	Top      []destBytes     `json:"top,omitempty"`
	Evidence behave.Evidence `json:"evidence"`
}

type destBytes struct {
	Dest  string `json:"dest"`
	Bytes int64  `json:"bytes"`
}

// exfilDest is what the detector knows of one destination.
type exfilDest struct {
	First   time.Time    `json:"first"`
	Sources []destSource `json:"sources,omitempty"` // while the destination is new
}

type destSource struct {
	Source   string          `json:"src"`
	User     string          `json:"user,omitempty"`
	Bytes    int64           `json:"bytes"`
	Reported bool            `json:"reported,omitempty"`
	Evidence behave.Evidence `json:"evidence"`
}

// maxNewDestSources bounds the sources followed per new destination.
const maxNewDestSources = 32

// maxTop is how many destinations a volume finding names.
const maxTop = 5

// NewExfil returns an exfiltration detector.
func NewExfil(cfg ExfilConfig, lim behave.Limits) *Exfil {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	return &Exfil{
		cfg:      cfg,
		lim:      lim,
		policy:   flowPolicy{internal: mustNetworks(cfg.InternalNetworks), proxies: mustNetworks(cfg.Proxies)},
		join:     newJoiner(cfg.JoinDelay, lim.MaxEntities),
		entities: behave.NewTable[*exfilEntity](lim.MaxEntities),
		dests:    behave.NewTable[*exfilDest](lim.MaxEntities),
	}
}

// Name implements behave.Detector.
func (x *Exfil) Name() string { return "exfil" }

// Observe implements behave.Detector.
func (x *Exfil) Observe(ev *event.Event, ref string) []behave.Finding {
	f, ok := FlowOf(ev)
	if !ok {
		return nil
	}
	x.advance(ev.Time)
	x.join.add(f, ref, x.count)
	return x.take()
}

// Advance implements behave.Detector.
func (x *Exfil) Advance(now time.Time) []behave.Finding {
	x.advance(now)
	week := time.Duration(x.cfg.HistoryWeeks) * 7 * 24 * time.Hour
	x.entities.Expire(x.now.Add(-week))
	return x.take()
}

// Flush counts the connections still waiting for their other records.
func (x *Exfil) Flush() []behave.Finding {
	x.join.flush(x.count)
	return x.take()
}

func (x *Exfil) take() []behave.Finding {
	out := x.found
	x.found = nil
	return out
}

func (x *Exfil) advance(now time.Time) {
	if now.After(x.now) {
		x.now = now
	}
	x.join.expire(x.now, x.count)
}

func (x *Exfil) count(f Flow, refs []string) {
	if f.BytesOut <= 0 || !x.policy.outbound(&f) {
		return
	}
	if x.start.IsZero() || f.Time.Before(x.start) {
		x.start = f.Time
	}
	dest := f.DestKey()
	x.volume(event.SourceIP, f.Source.String(), &f, dest, refs)
	if f.User != "" {
		x.volume(event.UserName, strings.ToLower(f.User), &f, dest, refs)
	}
	x.newDestination(&f, dest, refs)
}

// volume adds a flow's bytes to an entity's hour and judges the hour.
func (x *Exfil) volume(field, value string, f *Flow, dest string, refs []string) {
	slots := x.cfg.HistoryWeeks * 168
	h := f.Time.Unix() / 3600
	e := x.entities.Get(field+"|"+value, f.Time, func() *exfilEntity {
		return &exfilEntity{Field: field, Value: value, First: h, Last: h, Hours: make([]float32, slots)}
	})
	switch {
	case h > e.Last:
		for k := e.Last + 1; k <= h && k <= e.Last+int64(slots); k++ {
			e.Hours[k%int64(slots)] = 0
		}
		e.Last = h
		e.Top = e.Top[:0]
		e.Evidence = behave.Evidence{}
	case h <= e.Last-int64(slots) || h < e.First:
		return // older than the history kept
	}
	e.Hours[h%int64(slots)] += float32(f.BytesOut)
	if h != e.Last {
		return
	}
	addTop(&e.Top, dest, f.BytesOut)
	for _, r := range refs {
		e.Evidence.Add(r, x.lim.MaxEvidence)
	}
	observed := float64(e.Hours[h%int64(slots)])
	if e.Reported == h || observed < float64(x.cfg.Floor) || h-e.First < int64(x.cfg.WarmUp/time.Hour) {
		return
	}
	med, spread, baseline := x.baseline(e, h)
	threshold := max(float64(x.cfg.Floor), med+x.cfg.K*1.4826*spread)
	if observed <= threshold {
		return
	}
	e.Reported = h
	x.found = append(x.found, x.volumeFinding(e, f, observed, threshold, baseline))
}

// baseline returns the median and MAD of an entity's past volumes for
// hour h, and says which hours they are.
func (x *Exfil) baseline(e *exfilEntity, h int64) (med, spread float64, text string) {
	slots := int64(len(e.Hours))
	samples := x.scratch[:0]
	at := time.Unix(h*3600, 0).UTC()
	weeks := min((h-e.First)/168, int64(x.cfg.HistoryWeeks-1))
	if weeks >= int64(x.cfg.MinWeeks) {
		for w := int64(1); w <= weeks; w++ {
			samples = append(samples, float64(e.Hours[(h-168*w)%slots]))
		}
		text = fmt.Sprintf("on %ss %s UTC over %d weeks", at.Weekday(), at.Format("15:00"), weeks)
	} else {
		days := min((h-e.First)/24, 7)
		for d := int64(1); d <= days; d++ {
			samples = append(samples, float64(e.Hours[(h-24*d)%slots]))
		}
		text = fmt.Sprintf("at %s UTC over the last %d days", at.Format("15:00"), days)
	}
	slices.Sort(samples)
	x.scratch = samples
	med = median(samples)
	spread = mad(samples, med, x.dev)
	return med, spread, fmt.Sprintf("median %s per hour %s (MAD %s)", bytesText(med), text, bytesText(spread))
}

func addTop(top *[]destBytes, dest string, n int64) {
	for i := range *top {
		if (*top)[i].Dest == dest {
			(*top)[i].Bytes += n
			return
		}
	}
	if len(*top) < maxTop {
		*top = append(*top, destBytes{dest, n})
		return
	}
	smallest := 0
	for i, d := range *top {
		if d.Bytes < (*top)[smallest].Bytes {
			smallest = i
		}
	}
	if n > (*top)[smallest].Bytes {
		(*top)[smallest] = destBytes{dest, n}
	}
}

func (x *Exfil) volumeFinding(e *exfilEntity, f *Flow, observed, threshold float64, baseline string) behave.Finding {
	top := slices.Clone(e.Top)
	slices.SortFunc(top, func(a, b destBytes) int { return int(b.Bytes - a.Bytes) })
	var names []string
	for _, d := range top {
		names = append(names, fmt.Sprintf("%s (%s)", d.Dest, bytesText(float64(d.Bytes))))
	}
	ents := []behave.Entity{{Field: e.Field, Value: e.Value}}
	if e.Field == event.UserName {
		ents = append(ents, behave.Entity{Field: event.SourceIP, Value: f.Source.String()})
	}
	for _, d := range top {
		ents = append(ents, behave.Entity{Field: destField(d.Dest), Value: d.Dest})
	}
	hour := time.Unix(e.Last*3600, 0).UTC()
	level := "medium"
	if observed >= 4*threshold {
		level = "high"
	}
	return behave.Finding{
		Detector: x.Name(),
		Title:    fmt.Sprintf("Unusual upload volume from %s", e.Value),
		Level:    level,
		Time:     f.Time,
		Entities: ents,
		Why: behave.Why{
			Observed: observed, Unit: "bytes", Threshold: threshold, Baseline: baseline, Window: time.Hour,
			Text: fmt.Sprintf("%s sent %s to external destinations from %s UTC, above %s (the baseline's median + %g MAD, at least %s): %s.",
				e.Value, bytesText(observed), hour.Format("2006-01-02 15:04"), bytesText(threshold), x.cfg.K, bytesText(float64(x.cfg.Floor)), strings.Join(names, ", ")),
		},
		Evidence:  slices.Clone(e.Evidence.Refs),
		Truncated: e.Evidence.Truncated,
		Tags:      []string{"attack.exfiltration", "attack.t1041", "attack.t1048", "attack.t1567"},
	}
}

// newDestination follows uploads to destinations first seen recently.
func (x *Exfil) newDestination(f *Flow, dest string, refs []string) {
	d := x.dests.Get(dest, f.Time, func() *exfilDest { return &exfilDest{First: f.Time} })
	if d.First.Sub(x.start) < x.cfg.WarmUp || f.Time.Sub(d.First) > x.cfg.NewDestinationWindow {
		d.Sources = nil
		return
	}
	src := f.Source.String()
	i := slices.IndexFunc(d.Sources, func(s destSource) bool { return s.Source == src })
	if i < 0 {
		if len(d.Sources) >= maxNewDestSources {
			return
		}
		d.Sources = append(d.Sources, destSource{Source: src})
		i = len(d.Sources) - 1
	}
	s := &d.Sources[i]
	s.Bytes += f.BytesOut
	if s.User == "" {
		s.User = f.User
	}
	for _, r := range refs {
		s.Evidence.Add(r, x.lim.MaxEvidence)
	}
	if s.Reported || s.Bytes < x.cfg.NewDestinationBytes {
		return
	}
	s.Reported = true
	ents := []behave.Entity{{Field: event.SourceIP, Value: src}, {Field: destField(dest), Value: dest}}
	if f.Port != 0 {
		ents = append(ents, behave.Entity{Field: event.DestinationPort, Value: fmt.Sprint(f.Port)})
	}
	if s.User != "" {
		ents = append(ents, behave.Entity{Field: event.UserName, Value: s.User})
	}
	x.found = append(x.found, behave.Finding{
		Detector: x.Name(),
		Title:    fmt.Sprintf("Large upload from %s to new destination %s", src, dest),
		Level:    "high",
		Time:     f.Time,
		Entities: ents,
		Why: behave.Why{
			Observed: float64(s.Bytes), Unit: "bytes", Threshold: float64(x.cfg.NewDestinationBytes),
			Baseline: fmt.Sprintf("%s first seen %s UTC, not in the %s before", dest, d.First.UTC().Format("2006-01-02 15:04"), x.cfg.WarmUp),
			Window:   x.cfg.NewDestinationWindow,
			Text: fmt.Sprintf("%s sent %s to %s, first seen %s earlier (at least %s to a destination new in %s is reported).",
				src, bytesText(float64(s.Bytes)), dest, f.Time.Sub(d.First).Round(time.Second), bytesText(float64(x.cfg.NewDestinationBytes)), x.cfg.NewDestinationWindow),
		},
		Evidence:  slices.Clone(s.Evidence.Refs),
		Truncated: s.Evidence.Truncated,
		Tags:      []string{"attack.exfiltration", "attack.t1041", "attack.t1048", "attack.t1567"},
	})
}

// destField is the ECS field naming a destination key: an address or a
// name.
func destField(dest string) string {
	if _, err := parseNetworks([]string{dest}); err == nil {
		return event.DestinationIP
	}
	return "destination.domain"
}

// bytesText writes a byte count in binary units.
func bytesText(n float64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%.0f B", n)
	}
	for i, s := range []string{"KB", "MB", "GB", "TB"} {
		n /= unit
		if n < unit || i == 3 {
			return fmt.Sprintf("%.1f %s", n, s)
		}
	}
	return ""
}

type exfilState struct {
	Version  int                               `json:"version"`
	Start    time.Time                         `json:"start"`
	Now      time.Time                         `json:"now"`
	Held     []*pending                        `json:"held"`
	Entities []behave.SavedEntry[*exfilEntity] `json:"entities"`
	Dests    []behave.SavedEntry[*exfilDest]   `json:"dests"`
}

// Snapshot implements behave.Detector.
func (x *Exfil) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(exfilState{
		Version: 1, Start: x.start, Now: x.now, Held: x.join.save(),
		Entities: x.entities.Save(), Dests: x.dests.Save(),
	})
}

// Restore implements behave.Detector. State saved with another
// history_weeks is dropped.
func (x *Exfil) Restore(r io.Reader) error {
	var st exfilState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("reading exfil state: %w", err)
	}
	if st.Version != 1 {
		return nil
	}
	slots := x.cfg.HistoryWeeks * 168
	kept := st.Entities[:0]
	for _, e := range st.Entities {
		if e.Val != nil && len(e.Val.Hours) == slots {
			kept = append(kept, e)
		}
	}
	x.start, x.now = st.Start, st.Now
	x.join.load(st.Held)
	x.entities.Load(kept)
	x.dests.Load(st.Dests)
	return nil
}
