package access

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// MassConfig tunes the Mass detector. Zero fields take the defaults of
// DefaultMassConfig.
type MassConfig struct {
	// Z is the baseline rule's cut on the modified z-score of an hour's
	// count: the hour is unusual above median + Z × MAD / 0.6745 of the
	// entity's past active hours. 3.5 is Iglewicz and Hoaglin's outlier
	// cut. Default 3.5.
	Z float64 `yaml:"z"`
	// MinHourly is the baseline rule's absolute floor: an hour with fewer
	// accesses is never reported, whatever the baseline. A person opening
	// files by hand rarely reaches 200 an hour. Default 200.
	MinHourly int `yaml:"min_hourly"`
	// WarmUpHours is how many active hours (hours with at least one
	// access) an entity must have had before its baseline is used.
	// Default 24.
	WarmUpHours int `yaml:"warm_up_hours"`
	// HistoryHours is how many of its last active hours an entity's
	// baseline holds: 96 is about 12 working days of 8 hours. Default 96.
	HistoryHours int `yaml:"history_hours"`
	// DistinctObjects is the fixed rule: this many distinct objects
	// accessed within Window by one entity. Default 500.
	DistinctObjects int `yaml:"distinct_objects"`
	// Window is the distinct rule's window, and the time after a finding
	// during which its entity gets no other. Default 1h.
	Window time.Duration `yaml:"window"`
	// AccountsOnly follows accounts only, not clients (source.ip, else
	// host.name for a local access). Default false: both.
	AccountsOnly bool `yaml:"accounts_only"`
	// IgnoreAccounts are accounts never followed, compared without case:
	// backup, antivirus or indexing service accounts that read
	// everything by design. Default none.
	IgnoreAccounts []string `yaml:"ignore_accounts"`
}

// DefaultMassConfig returns the defaults.
func DefaultMassConfig() MassConfig {
	return MassConfig{
		Z:               3.5,
		MinHourly:       200,
		WarmUpHours:     24,
		HistoryHours:    96,
		DistinctObjects: 500,
		Window:          time.Hour,
	}
}

// Validate reports settings that cannot work together, after defaults.
func (c MassConfig) Validate() error {
	c = c.withDefaults()
	if c.WarmUpHours > c.HistoryHours {
		return fmt.Errorf("mass access: warm_up_hours %d exceeds history_hours %d: the baseline would never warm up", c.WarmUpHours, c.HistoryHours)
	}
	return nil
}

func (c MassConfig) withDefaults() MassConfig {
	d := DefaultMassConfig()
	if c.Z <= 0 {
		c.Z = d.Z
	}
	if c.MinHourly <= 0 {
		c.MinHourly = d.MinHourly
	}
	if c.WarmUpHours <= 0 {
		c.WarmUpHours = d.WarmUpHours
	}
	if c.HistoryHours <= 0 {
		c.HistoryHours = d.HistoryHours
	}
	if c.DistinctObjects <= 0 {
		c.DistinctObjects = d.DistinctObjects
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	return c
}

// Mass reports mass access to data by one entity: an account, and unless
// AccountsOnly, a client (the address it came from, else the host of a
// local access). Two rules, each reported at the access that crosses it:
//
//   - baseline: the entity's accesses in the current clock hour exceed
//     both MinHourly and median + Z × MAD / 0.6745 of its counts over its
//     last HistoryHours active hours, once it has WarmUpHours of them.
//     Hours without access are not in the baseline: it is the volume of
//     the entity's working hours. Every hour is learned, reported or not:
//     the median and MAD shrug off a few outliers, and an entity whose
//     work grows for good stops being reported after some days rather
//     than never.
//   - distinct: the entity has accessed DistinctObjects distinct objects
//     within Window. Objects are counted by a 64-bit hash of their name in
//     sixths of Window: an object counts for between 5/6 of Window and
//     Window after it was last seen. The rule fires when the count
//     reaches DistinctObjects, so an entity holds at most that many
//     hashes (16 bytes each, before the map's overhead).
//
// An entity gets one finding per Window: after one, it is quiet until
// Window has passed and its distinct objects start again from zero. The
// access records are read by From; an access standing for several items
// (MailItemsAccessed's OperationCount) counts as many.
//
// Entities not seen for 30 days are forgotten, and at most
// Limits.MaxEntities accounts and as many clients are kept, the least
// recently seen dropped first.
type Mass struct {
	cfg      MassConfig
	lim      behave.Limits
	ignore   map[string]bool
	accounts *behave.Table[*entity]
	clients  *behave.Table[*entity]
	buf      []Access // scratch for From
}

var _ behave.Detector = (*Mass)(nil)

// entityMemory is how long an entity's baseline is kept without news of
// it.
const entityMemory = 30 * 24 * time.Hour

// windowSlices is how many parts of Window the distinct rule counts in.
const windowSlices = 6

// entity is the state of one account or client.
type entity struct {
	Client bool   `json:"client,omitempty"`
	Name   string `json:"name"`
	// User is the account's user.name, as the decoder gave it.
	User string `json:"user,omitempty"`
	// Hour is the start of the current clock hour, Count and Bytes its
	// accesses and known bytes.
	Hour  time.Time `json:"hour"`
	Count int       `json:"count"`
	Bytes int64     `json:"bytes,omitempty"`
	// History holds the counts of past active hours, oldest first;
	// Threshold is the baseline rule's threshold from them (0 before the
	// warm-up), computed when an hour closes.
	History   []uint32 `json:"history,omitempty"`
	Threshold float64  `json:"threshold,omitempty"`
	Median    float64  `json:"median,omitempty"`
	MAD       float64  `json:"mad,omitempty"`
	// Objects maps the hash of each object seen within Window to the
	// slice of Window it was last seen in; Slice is the newest slice.
	Objects map[uint64]int64 `json:"objects,omitempty"`
	Slice   int64            `json:"slice,omitempty"`
	// QuietUntil: no finding before this time.
	QuietUntil time.Time `json:"quiet_until,omitzero"`
	// Recent are the references of the last accesses, a ring of
	// MaxEvidence; Next is where the next one goes once it is full.
	Recent []recentRef `json:"recent,omitempty"`
	Next   int         `json:"next,omitempty"`
	// Peers are the last few clients of an account, or accounts of a
	// client; Hosts the last few hosts holding the objects; Service the
	// last access's service.
	Peers   []string `json:"peers,omitempty"`
	Hosts   []string `json:"hosts,omitempty"`
	Service string   `json:"service"`
	Kind    Kind     `json:"kind"`
}

type recentRef struct {
	Ref  string    `json:"ref"`
	Time time.Time `json:"t"`
}

// maxPeers bounds the peers and hosts named in a finding.
const maxPeers = 5

// NewMass returns a Mass detector.
func NewMass(cfg MassConfig, lim behave.Limits) *Mass {
	lim = lim.WithDefaults()
	cfg = cfg.withDefaults()
	m := &Mass{
		cfg: cfg, lim: lim, ignore: map[string]bool{},
		accounts: behave.NewTable[*entity](lim.MaxEntities),
		clients:  behave.NewTable[*entity](lim.MaxEntities),
	}
	for _, a := range cfg.IgnoreAccounts {
		m.ignore[strings.ToLower(a)] = true
	}
	return m
}

// Name implements behave.Detector.
func (m *Mass) Name() string { return "mass_access" }

// Observe implements behave.Detector.
func (m *Mass) Observe(ev *event.Event, ref string) []behave.Finding {
	m.buf = From(m.buf[:0], ev)
	var out []behave.Finding
	for i := range m.buf {
		a := &m.buf[i]
		if len(m.ignore) > 0 && m.ignore[strings.ToLower(a.Account)] {
			continue
		}
		if a.Account != "" {
			e := m.accounts.Get(a.Account, a.Time, func() *entity { return &entity{Name: a.Account} })
			out = append(out, m.observe(e, a, ref)...)
		}
		if c := a.Client(); c != "" && !m.cfg.AccountsOnly {
			e := m.clients.Get(c, a.Time, func() *entity { return &entity{Client: true, Name: c} })
			out = append(out, m.observe(e, a, ref)...)
		}
	}
	return out
}

func (m *Mass) observe(e *entity, a *Access, ref string) []behave.Finding {
	hour := a.Time.Truncate(time.Hour)
	switch {
	case e.Hour.IsZero():
		e.Hour = hour
	case hour.After(e.Hour):
		m.closeHour(e, hour)
	}
	if !hour.Before(e.Hour) {
		e.Count += a.Count
		if a.Bytes > 0 {
			e.Bytes += a.Bytes
		}
	}
	quiet := a.Time.Before(e.QuietUntil)
	if !quiet {
		m.addObject(e, a)
	}
	if len(e.Recent) < m.lim.MaxEvidence {
		e.Recent = append(e.Recent, recentRef{ref, a.Time})
	} else {
		e.Recent[e.Next] = recentRef{ref, a.Time}
		e.Next = (e.Next + 1) % len(e.Recent)
	}
	peer, host := a.Client(), a.Host
	if e.Client {
		peer = firstNonEmpty(a.User, a.Account)
	} else if a.User != "" {
		e.User = a.User
	}
	e.Peers = remember(e.Peers, peer)
	e.Hosts = remember(e.Hosts, host)
	e.Service, e.Kind = a.Service, a.Kind

	if quiet {
		return nil
	}
	if n := len(e.Objects); n >= m.cfg.DistinctObjects {
		return m.fire(e, a, distinctRule, float64(n))
	}
	if e.Threshold > 0 && float64(e.Count) > e.Threshold && hour.Equal(e.Hour) {
		return m.fire(e, a, baselineRule, float64(e.Count))
	}
	return nil
}

// closeHour learns the current hour and starts the one at hour.
func (m *Mass) closeHour(e *entity, hour time.Time) {
	if e.Count > 0 {
		e.History = append(e.History, uint32(min(e.Count, math.MaxUint32)))
		if len(e.History) > m.cfg.HistoryHours {
			e.History = slices.Delete(e.History, 0, len(e.History)-m.cfg.HistoryHours)
		}
		e.Threshold, e.Median, e.MAD = 0, 0, 0
		if len(e.History) >= m.cfg.WarmUpHours {
			e.Median, e.MAD = medianMAD(e.History)
			e.Threshold = max(e.Median+m.cfg.Z*e.MAD/0.6745, float64(m.cfg.MinHourly))
		}
	}
	e.Hour, e.Count, e.Bytes = hour, 0, 0
}

// medianMAD returns the median of counts and their median absolute
// deviation from it.
func medianMAD(counts []uint32) (median, mad float64) {
	v := make([]float64, len(counts))
	for i, c := range counts {
		v[i] = float64(c)
	}
	median = medianOf(v)
	for i := range v {
		v[i] = math.Abs(v[i] - median)
	}
	return median, medianOf(v)
}

func medianOf(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// addObject counts a's object among e's distinct objects of Window.
func (m *Mass) addObject(e *entity, a *Access) {
	sliceLen := int64(m.cfg.Window) / windowSlices
	s := a.Time.UnixNano() / sliceLen
	if s > e.Slice {
		for h, last := range e.Objects {
			if last <= s-windowSlices {
				delete(e.Objects, h)
			}
		}
		e.Slice = s
	}
	if s <= e.Slice-windowSlices {
		return
	}
	h := hash(a.Object)
	if last, ok := e.Objects[h]; ok {
		e.Objects[h] = max(last, s)
		return
	}
	if len(e.Objects) >= m.cfg.DistinctObjects {
		return
	}
	if e.Objects == nil {
		e.Objects = map[uint64]int64{}
	}
	e.Objects[h] = s
}

// hash is FNV-1a, 64 bits.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// remember puts v first in list, keeping maxPeers distinct values.
func remember(list []string, v string) []string {
	if v == "" || (len(list) > 0 && list[0] == v) {
		return list
	}
	if i := slices.Index(list, v); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	list = slices.Insert(list, 0, v)
	if len(list) > maxPeers {
		list = list[:maxPeers]
	}
	return list
}

type rule uint8

const (
	baselineRule rule = iota
	distinctRule
)

// fire returns the finding of e crossing r at a, and quiets e for Window.
func (m *Mass) fire(e *entity, a *Access, r rule, observed float64) []behave.Finding {
	who := e.Name
	if e.Client {
		who = "client " + e.Name
	}
	noun, tags := describe(e.Service)
	verb := "Mass access to"
	if e.Kind == Download {
		verb = "Mass download of"
	}
	bytes := ""
	if e.Bytes > 0 {
		bytes = fmt.Sprintf(" (%d bytes known this hour)", e.Bytes)
	}
	var f behave.Finding
	var since time.Time
	switch r {
	case distinctRule:
		since = a.Time.Add(-m.cfg.Window)
		f = behave.Finding{
			Title: fmt.Sprintf("%s %s by %s: %d distinct within %s", verb, noun, who, int(observed), round(m.cfg.Window)),
			Why: behave.Why{
				Observed: observed, Unit: "objects", Threshold: float64(m.cfg.DistinctObjects), Window: m.cfg.Window,
				Text: fmt.Sprintf("%s accessed %d distinct %s within %s, reaching the threshold of %d%s.",
					who, int(observed), noun, round(m.cfg.Window), m.cfg.DistinctObjects, bytes),
			},
		}
	case baselineRule:
		since = e.Hour
		f = behave.Finding{
			Title: fmt.Sprintf("%s %s by %s: %d in an hour, usually %g", verb, noun, who, int(observed), e.Median),
			Why: behave.Why{
				Observed: observed, Unit: "accesses", Threshold: e.Threshold, Window: a.Time.Sub(e.Hour),
				Baseline: fmt.Sprintf("median %g accesses per active hour (MAD %g) over %d active hours", e.Median, e.MAD, len(e.History)),
				Text: fmt.Sprintf("%s made %d accesses to %s since %s, above its threshold of %.0f: max(median %g + %g × MAD %g / 0.6745, floor %d)%s.",
					who, int(observed), noun, e.Hour.UTC().Format("15:04"), e.Threshold, e.Median, m.cfg.Z, e.MAD, m.cfg.MinHourly, bytes),
			},
		}
	}
	f.Detector, f.Level, f.Time, f.Tags = m.Name(), "medium", a.Time, tags
	f.Entities = e.entities()
	for i := range e.Recent {
		if r := e.Recent[(e.Next+i)%len(e.Recent)]; !r.Time.Before(since) {
			f.Evidence = append(f.Evidence, r.Ref)
		}
	}
	f.Truncated = max(0, int(observed)-len(f.Evidence))
	e.QuietUntil = a.Time.Add(m.cfg.Window)
	e.Objects, e.Recent, e.Next = nil, nil, 0
	return []behave.Finding{f}
}

// entities names e and its peers in ECS fields.
func (e *entity) entities() []behave.Entity {
	var es []behave.Entity
	client := func(v string) behave.Entity {
		if _, err := netip.ParseAddr(v); err == nil {
			return behave.Entity{Field: event.SourceIP, Value: v}
		}
		return behave.Entity{Field: event.HostName, Value: v}
	}
	if e.Client {
		es = append(es, client(e.Name))
		for _, p := range e.Peers {
			es = append(es, behave.Entity{Field: event.UserName, Value: p})
		}
	} else {
		es = append(es, behave.Entity{Field: event.UserName, Value: firstNonEmpty(e.User, e.Name)})
		for _, p := range e.Peers {
			es = append(es, client(p))
		}
	}
	for _, h := range e.Hosts {
		if e := (behave.Entity{Field: event.HostName, Value: h}); !slices.Contains(es, e) {
			es = append(es, e)
		}
	}
	return es
}

// describe returns what a service's objects are called, and the ATT&CK
// tags of collecting them.
func describe(service string) (string, []string) {
	switch {
	case service == "windows/4663":
		return "files", []string{"attack.collection", "attack.t1005"}
	case service == "windows/5145":
		return "files on shares", []string{"attack.collection", "attack.t1039"}
	case service == "m365/MailItemsAccessed":
		return "mail items", []string{"attack.collection", "attack.t1114.002"}
	case strings.HasPrefix(service, "m365/"):
		return "SharePoint and OneDrive files", []string{"attack.collection", "attack.t1213.002"}
	case strings.HasPrefix(service, "aws/s3/"):
		return "S3 objects", []string{"attack.collection", "attack.t1530"}
	}
	return "objects", []string{"attack.collection"}
}

// Advance implements behave.Detector: it forgets entities not seen for 30
// days. Mass decides nothing on time alone.
func (m *Mass) Advance(now time.Time) []behave.Finding {
	m.accounts.Expire(now.Add(-entityMemory))
	m.clients.Expire(now.Add(-entityMemory))
	return nil
}

// massState is the snapshot form.
type massState struct {
	Version  int                          `json:"version"`
	Accounts []behave.SavedEntry[*entity] `json:"accounts"`
	Clients  []behave.SavedEntry[*entity] `json:"clients"`
}

const massVersion = 1

// Snapshot implements behave.Detector.
func (m *Mass) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(massState{Version: massVersion, Accounts: m.accounts.Save(), Clients: m.clients.Save()})
}

// Restore implements behave.Detector.
func (m *Mass) Restore(r io.Reader) error {
	var st massState
	ok, err := decodeState(r, massVersion, &st)
	if err != nil {
		return fmt.Errorf("reading mass access state: %w", err)
	}
	if !ok {
		return nil
	}
	m.accounts.Load(st.Accounts)
	m.clients.Load(st.Clients)
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// round shortens a duration for titles.
func round(d time.Duration) time.Duration { return d.Round(time.Second) }

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
