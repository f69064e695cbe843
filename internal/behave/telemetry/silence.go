package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// SilenceConfig tunes the Silence detector. Zero fields take the defaults
// of DefaultSilenceConfig.
type SilenceConfig struct {
	// K multiplies a stream's learned 99th percentile gap to give its
	// silence threshold. Default 3.
	K float64 `yaml:"k"`
	// Floor is the shortest silence reported, whatever the rhythm: the
	// threshold is max(K × p99 gap, Floor). Default 15m.
	Floor time.Duration `yaml:"floor"`
	// WarmUp is how long a stream is watched before its silences are
	// judged; a day covers a daily rhythm. Default 24h.
	WarmUp time.Duration `yaml:"warm_up"`
	// MinGaps is how many gaps between events a stream must have shown
	// before its silences are judged. Default 100.
	MinGaps int `yaml:"min_gaps"`
	// SourcesOnly follows only event sources (event.Event.Source), not
	// hosts per kind of source. Default false: both.
	SourcesOnly bool `yaml:"sources_only"`
	// Forget drops a stream not heard from for this long; a silence still
	// open then stays in Gaps with no end. Default 168h (a week).
	Forget time.Duration `yaml:"forget"`
	// MaxGaps is how many recent gaps Gaps keeps. Default 1,000.
	MaxGaps int `yaml:"max_gaps"`
}

// DefaultSilenceConfig returns the defaults.
func DefaultSilenceConfig() SilenceConfig {
	return SilenceConfig{
		K:       3,
		Floor:   15 * time.Minute,
		WarmUp:  24 * time.Hour,
		MinGaps: 100,
		Forget:  7 * 24 * time.Hour,
		MaxGaps: 1000,
	}
}

// Validate reports settings that cannot work together, after defaults.
func (c SilenceConfig) Validate() error {
	c = c.withDefaults()
	if c.MinGaps >= 2*gapHistory {
		return fmt.Errorf("silence: min_gaps %d is more gaps than a stream keeps (%d): no stream would warm up", c.MinGaps, 2*gapHistory)
	}
	if c.Forget <= c.Floor {
		return fmt.Errorf("silence: forget %s is not longer than floor %s: streams would be forgotten before they are silent", c.Forget, c.Floor)
	}
	return nil
}

func (c SilenceConfig) withDefaults() SilenceConfig {
	d := DefaultSilenceConfig()
	if c.K <= 0 {
		c.K = d.K
	}
	if c.Floor <= 0 {
		c.Floor = d.Floor
	}
	if c.WarmUp <= 0 {
		c.WarmUp = d.WarmUp
	}
	if c.MinGaps <= 0 {
		c.MinGaps = d.MinGaps
	}
	if c.Forget <= 0 {
		c.Forget = d.Forget
	}
	if c.MaxGaps <= 0 {
		c.MaxGaps = d.MaxGaps
	}
	return c
}

// Silence reports a stream of events that goes silent relative to its own
// rhythm, and reports again, as information, when it resumes.
//
// A stream is an event source (event.Event.Source: a transport and a peer
// or file) and, unless SourcesOnly, a host per kind of source: host.name
// with event.dataset, else the Windows channel, else the decoder's format,
// so that a host whose Sysmon channel stops is noticed while its Security
// channel still flows. Each stream learns the distribution of the gaps
// between its consecutive events in a log-scale histogram (buckets a
// fourth of an octave wide, 19%; the oldest gaps fade by halving once
// 20,000 are counted). Once it has been watched for WarmUp and shown
// MinGaps gaps, Advance reports it when the time since its last event
// exceeds max(K × its 99th percentile gap, Floor). One finding per
// silence; when an event of the stream comes again, an informational
// finding gives the gap's length, and the gap is kept for Gaps. Gaps that
// were reported are not learned, so that a long outage does not teach the
// stream that outages are normal.
//
// Silence is decided by Advance in event time (the newest time of every
// source), checked at most once a minute of event time; a stream that
// stops along with every other source is seen only when Advance is called
// with a later time. Silence does not implement behave.Flusher: the end of
// a hunt's input is not a silence of its sources. Events older than a
// stream's last event count for nothing. A stream costs about half a
// kilobyte, most of it its histogram.
type Silence struct {
	cfg     SilenceConfig
	lim     behave.Limits
	streams *behave.Table[*stream]
	gaps    []Gap // closed gaps, oldest first, at most cfg.MaxGaps
	// nextScan is the event time before which Advance does nothing.
	nextScan time.Time
	// keys caches the last event's stream keys: events of one stream
	// come in runs.
	keys keyCache
}

var _ behave.Detector = (*Silence)(nil)

// Gap is a time during which a stream sent nothing, as the incident scope
// report shows it. Source is set for an event source, Host and Dataset for
// a host per kind of source; both when one silence was seen on both.
type Gap struct {
	Source  event.SourceID `json:"source,omitempty"`
	Host    string         `json:"host,omitempty"`
	Dataset string         `json:"dataset,omitempty"`
	// From is the time of the last event before the gap; To the time of
	// the first event after it, zero while the stream is still silent.
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// stream is the state of one stream.
type stream struct {
	Source  event.SourceID `json:"source,omitempty"`
	Host    string         `json:"host,omitempty"`
	Dataset string         `json:"dataset,omitempty"`
	First   time.Time      `json:"first"`
	Last    time.Time      `json:"last"`
	LastRef string         `json:"last_ref"`
	Gaps    gapHistogram   `json:"gaps"`
	// SilentAt is when the current silence was reported; zero when the
	// stream is not silent. Threshold is the threshold it crossed.
	SilentAt  time.Time     `json:"silent_at,omitzero"`
	Threshold time.Duration `json:"threshold,omitempty"`
}

// NewSilence returns a Silence detector.
func NewSilence(cfg SilenceConfig, lim behave.Limits) *Silence {
	lim = lim.WithDefaults()
	return &Silence{
		cfg:     cfg.withDefaults(),
		lim:     lim,
		streams: behave.NewTable[*stream](lim.MaxEntities),
	}
}

// Name implements behave.Detector.
func (s *Silence) Name() string { return "silence" }

// Observe implements behave.Detector. It reports the streams of ev that
// were silent and resume with it.
func (s *Silence) Observe(ev *event.Event, ref string) []behave.Finding {
	if ev.Kind != event.KindEvent || ev.Time.IsZero() {
		return nil
	}
	srcKey, hostStreamKey := s.keys.of(ev, !s.cfg.SourcesOnly)
	var resumed []resumption
	if srcKey != "" {
		st := s.streams.Get(srcKey, ev.Time, func() *stream { return &stream{Source: ev.Source} })
		if r, ok := s.observe(st, ev.Time, ref); ok {
			resumed = append(resumed, r)
		}
	}
	if hostStreamKey != "" {
		st := s.streams.Get(hostStreamKey, ev.Time, func() *stream {
			return &stream{Host: s.keys.host, Dataset: s.keys.dataset}
		})
		if r, ok := s.observe(st, ev.Time, ref); ok {
			resumed = append(resumed, r)
		}
	}
	if len(resumed) == 0 {
		return nil
	}
	return s.resume(resumed, ev.Time, ref)
}

// resumption is a silent stream resuming: its last event before the gap
// was at from, with reference fromRef, and the threshold it had crossed.
type resumption struct {
	st        *stream
	from      time.Time
	fromRef   string
	threshold time.Duration
}

// observe adds an event at t to st. It reports whether st was silent.
func (s *Silence) observe(st *stream, t time.Time, ref string) (resumption, bool) {
	if st.Last.IsZero() {
		st.First, st.Last, st.LastRef = t, t, ref
		return resumption{}, false
	}
	if t.Before(st.Last) {
		return resumption{}, false
	}
	r := resumption{st: st, from: st.Last, fromRef: st.LastRef, threshold: st.Threshold}
	st.Last, st.LastRef = t, ref
	if !st.SilentAt.IsZero() {
		st.SilentAt, st.Threshold = time.Time{}, 0
		return r, true
	}
	st.Gaps.add(t.Sub(r.from))
	return resumption{}, false
}

// resume returns the informational findings for streams that resumed at
// t, and records their gaps. One silence seen on both a source and a host
// stream, with the same last event, is one gap and one finding.
func (s *Silence) resume(rs []resumption, t time.Time, ref string) []behave.Finding {
	var out []behave.Finding
	for i, r := range rs {
		g := Gap{Source: r.st.Source, Host: r.st.Host, Dataset: r.st.Dataset, From: r.from, To: t}
		if i > 0 && r.fromRef != "" && r.fromRef == rs[0].fromRef && len(out) == 1 {
			last := &s.gaps[len(s.gaps)-1]
			last.Source = firstNonEmpty(last.Source, g.Source)
			last.Host = firstNonEmpty(last.Host, g.Host)
			last.Dataset = firstNonEmpty(last.Dataset, g.Dataset)
			out[0].Entities = append(out[0].Entities, r.st.entities()...)
			continue
		}
		s.addGap(g)
		gap := t.Sub(r.from)
		out = append(out, behave.Finding{
			Detector: s.Name(),
			Title:    fmt.Sprintf("%s resumed after %s of silence", r.st.name(), round(gap)),
			Level:    "informational",
			Time:     t,
			Entities: r.st.entities(),
			Why: behave.Why{
				Observed:  gap.Minutes(),
				Unit:      "minutes",
				Threshold: r.threshold.Minutes(),
				Window:    gap,
				Text: fmt.Sprintf("No event from %s between %s and %s (%s); it had been reported silent past its threshold of %s.",
					r.st.name(), r.from.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339), round(gap), round(r.threshold)),
			},
			Evidence: []string{r.fromRef, ref},
			Tags:     silenceTags,
		})
	}
	return out
}

// silenceTags: turning logging off or blocking its delivery is indicator
// blocking (T1562.006).
var silenceTags = []string{"attack.defense-evasion", "attack.t1562.006"}

// Advance implements behave.Detector: it reports the streams silent past
// their threshold at now and forgets streams not heard from for Forget.
func (s *Silence) Advance(now time.Time) []behave.Finding {
	if now.Before(s.nextScan) {
		return nil
	}
	s.nextScan = now.Add(scanEvery)
	cutoff := now.Add(-s.cfg.Forget)
	var out []behave.Finding
	byRef := map[string]int{} // last event reference → index in out
	s.streams.Each(func(_ string, _ time.Time, st *stream) {
		if !st.SilentAt.IsZero() {
			if st.Last.Before(cutoff) {
				s.addGap(Gap{Source: st.Source, Host: st.Host, Dataset: st.Dataset, From: st.Last})
			}
			return
		}
		silence := now.Sub(st.Last)
		if silence <= s.cfg.Floor || !s.warm(st) {
			return
		}
		thr := s.threshold(st)
		if silence <= thr {
			return
		}
		st.SilentAt, st.Threshold = now, thr
		// One silence seen on a source and a host stream, whose last
		// event is the same, is one finding.
		if i, ok := byRef[st.LastRef]; ok && st.LastRef != "" {
			out[i].Entities = append(out[i].Entities, st.entities()...)
			return
		}
		byRef[st.LastRef] = len(out)
		out = append(out, s.silentFinding(st, now, silence, thr))
	})
	s.streams.Expire(cutoff)
	return out
}

// scanEvery is how often, in event time, Advance looks at every stream.
// A minute of delay on a threshold of at least Floor (15 minutes by
// default) is immaterial, and it bounds the scans in a live run, where
// Advance comes with every batch.
const scanEvery = time.Minute

func (s *Silence) silentFinding(st *stream, now time.Time, silence, thr time.Duration) behave.Finding {
	p50, p99 := st.Gaps.quantile(0.5), st.Gaps.quantile(0.99)
	baseline := fmt.Sprintf("median gap %s, p99 %s, over %d gaps since %s",
		roundGap(p50), roundGap(p99), st.Gaps.Total, st.First.UTC().Format(time.RFC3339))
	return behave.Finding{
		Detector: s.Name(),
		Title:    fmt.Sprintf("No events from %s for %s (median gap %s)", st.name(), round(silence), roundGap(p50)),
		Level:    "medium",
		Time:     now,
		Entities: st.entities(),
		Why: behave.Why{
			Observed:  silence.Minutes(),
			Unit:      "minutes",
			Threshold: thr.Minutes(),
			Baseline:  baseline,
			Window:    silence,
			Text: fmt.Sprintf("%s has sent nothing since %s, %s ago; its threshold is max(%g × p99 gap %s, floor %s) = %s.",
				st.name(), st.Last.UTC().Format(time.RFC3339), round(silence), s.cfg.K, roundGap(p99), round(s.cfg.Floor), round(thr)),
		},
		Evidence: []string{st.LastRef},
		Tags:     silenceTags,
	}
}

func (s *Silence) warm(st *stream) bool {
	return st.Gaps.Total >= uint32(s.cfg.MinGaps) && st.Last.Sub(st.First) >= s.cfg.WarmUp
}

func (s *Silence) threshold(st *stream) time.Duration {
	thr := time.Duration(s.cfg.K * float64(st.Gaps.quantile(0.99)))
	return max(thr, s.cfg.Floor)
}

// Gaps returns the recent gaps, oldest first: closed gaps (at most
// MaxGaps), then the silences still open, with a zero To. The result is
// the caller's.
func (s *Silence) Gaps() []Gap {
	out := slices.Clone(s.gaps)
	var open []Gap
	s.streams.Each(func(_ string, _ time.Time, st *stream) {
		if !st.SilentAt.IsZero() {
			open = append(open, Gap{Source: st.Source, Host: st.Host, Dataset: st.Dataset, From: st.Last})
		}
	})
	slices.SortStableFunc(open, func(a, b Gap) int { return a.From.Compare(b.From) })
	return append(out, open...)
}

func (s *Silence) addGap(g Gap) {
	if len(s.gaps) >= s.cfg.MaxGaps {
		s.gaps = slices.Delete(s.gaps, 0, len(s.gaps)-s.cfg.MaxGaps+1)
	}
	s.gaps = append(s.gaps, g)
}

// silenceState is the snapshot form.
type silenceState struct {
	Version  int                          `json:"version"`
	NextScan time.Time                    `json:"next_scan"`
	Streams  []behave.SavedEntry[*stream] `json:"streams"`
	Gaps     []Gap                        `json:"gaps"`
}

const silenceVersion = 1

// Snapshot implements behave.Detector.
func (s *Silence) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(silenceState{
		Version: silenceVersion, NextScan: s.nextScan, Streams: s.streams.Save(), Gaps: s.gaps,
	})
}

// Restore implements behave.Detector.
func (s *Silence) Restore(r io.Reader) error {
	var st silenceState
	ok, err := decodeState(r, silenceVersion, &st)
	if err != nil {
		return fmt.Errorf("reading silence state: %w", err)
	}
	if !ok {
		return nil
	}
	s.nextScan = st.NextScan
	s.streams.Load(st.Streams)
	s.gaps = st.Gaps
	if len(s.gaps) > s.cfg.MaxGaps {
		s.gaps = s.gaps[len(s.gaps)-s.cfg.MaxGaps:]
	}
	s.keys = keyCache{}
	return nil
}

// name says which stream st is, for titles.
func (st *stream) name() string {
	if st.Source != "" {
		return "source " + string(st.Source)
	}
	return fmt.Sprintf("host %s (%s)", st.Host, st.Dataset)
}

// entities names the stream in ECS terms. No ECS field names a transport
// and peer; the source is given as vigie.source, the name the stored
// alert uses for Vigie's own fields.
func (st *stream) entities() []behave.Entity {
	if st.Source != "" {
		return []behave.Entity{{Field: "vigie.source", Value: string(st.Source)}}
	}
	return []behave.Entity{{Field: event.HostName, Value: st.Host}, {Field: event.EventDataset, Value: st.Dataset}}
}

// gapHistogram counts gaps in log-scale buckets: bucket 0 holds gaps under
// a second, bucket b ≥ 1 gaps in [2^((b-1)/4), 2^(b/4)) seconds, the last
// bucket everything longer (2^20 s, 12 days).
type gapHistogram struct {
	Counts []uint32 `json:"counts"` // trailing empty buckets omitted
	Total  uint32   `json:"total"`
}

const (
	gapBuckets = 82
	// gapHistory is half the gaps a histogram holds before it halves its
	// counts: about a day of a stream sending every 5 to 10 seconds.
	gapHistory = 10_000
)

func gapBucket(d time.Duration) int {
	if d < time.Second {
		return 0
	}
	b := 1 + int(math.Floor(4*math.Log2(d.Seconds())))
	return min(b, gapBuckets-1)
}

// gapUpper is the upper edge of bucket b.
func gapUpper(b int) time.Duration {
	return time.Duration(math.Pow(2, float64(b)/4) * float64(time.Second))
}

func (h *gapHistogram) add(d time.Duration) {
	b := gapBucket(d)
	if b >= len(h.Counts) {
		h.Counts = append(h.Counts, make([]uint32, b+1-len(h.Counts))...)
	}
	h.Counts[b]++
	h.Total++
	if h.Total >= 2*gapHistory {
		h.Total = 0
		for i := range h.Counts {
			h.Counts[i] /= 2
			h.Total += h.Counts[i]
		}
	}
}

// quantile returns the upper edge of the bucket holding quantile q: the
// estimate errs long by at most a bucket's width.
func (h *gapHistogram) quantile(q float64) time.Duration {
	if h.Total == 0 {
		return 0
	}
	want := uint32(math.Ceil(q * float64(h.Total)))
	var seen uint32
	for b, c := range h.Counts {
		seen += c
		if seen >= want {
			return gapUpper(b)
		}
	}
	return gapUpper(len(h.Counts) - 1)
}

// keyCache builds the table keys of an event's streams, reusing the last
// ones when the event comes from the same source and host.
type keyCache struct {
	source                event.SourceID
	host, dataset         string
	sourceKey, hostKey    string
	hostName, hostDataset string // as read from the event, before lower-casing
}

func (c *keyCache) of(ev *event.Event, byHost bool) (sourceKey, hostKey string) {
	if ev.Source != "" {
		if ev.Source != c.source || c.sourceKey == "" {
			c.source, c.sourceKey = ev.Source, "s\x00"+string(ev.Source)
		}
		sourceKey = c.sourceKey
	}
	if !byHost {
		return sourceKey, ""
	}
	host, _ := ev.Get(event.HostName)
	if host == "" || host == "-" {
		return sourceKey, ""
	}
	dataset := datasetOf(ev)
	if host != c.hostName || dataset != c.hostDataset || c.hostKey == "" {
		c.hostName, c.hostDataset = host, dataset
		c.host, c.dataset = strings.ToLower(host), dataset
		c.hostKey = "h\x00" + c.host + "\x00" + dataset
	}
	return sourceKey, c.hostKey
}

// datasetOf names the kind of source of ev: event.dataset, else the
// Windows channel, else the decoder's format.
func datasetOf(ev *event.Event) string {
	if d, ok := ev.Get(event.EventDataset); ok && d != "" {
		return d
	}
	if ch, ok := ev.Get("Channel"); ok && ch != "" {
		return ch
	}
	return ev.Format
}

func firstNonEmpty[T ~string](a, b T) T {
	if a != "" {
		return a
	}
	return b
}

// round shortens a duration for titles: whole seconds, or minutes past
// an hour.
func round(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

// roundGap gives a learned gap, a bucket's upper edge, for text.
func roundGap(d time.Duration) string {
	if d <= time.Second {
		return "<1s"
	}
	return round(d).String()
}

// decodeState reads a snapshot into st when its "version" is version. It
// reports false, and no error, for a snapshot of another version, which
// is dropped.
func decodeState(r io.Reader, version int, st any) (bool, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return false, err
	}
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return false, err
	}
	if head.Version != version {
		return false, nil
	}
	return true, json.Unmarshal(data, st)
}
