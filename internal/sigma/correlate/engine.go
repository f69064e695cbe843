package correlate

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// Config tunes an Engine. The zero Config works.
type Config struct {
	// Lateness is how far (in event time) behind the watermark a match may
	// arrive and still count. Default 1m; negative means none (sorted
	// input); hunting over files that overlap in time wants more.
	Lateness time.Duration
	// MaxGroups bounds the groups of each correlation rule; beyond it the
	// least recently updated group is evicted. Default 100000.
	MaxGroups int
	// MaxEvidence bounds the refs kept per hit. Default 100.
	MaxEvidence int
	// MaxWindowEvents bounds the matches kept per group window; beyond it
	// the oldest is dropped. Default 10000.
	MaxWindowEvents int
	// MaxPending bounds the reorder buffer; beyond it the oldest match is
	// processed early. Default 100000.
	MaxPending int
}

func (c *Config) setDefaults() {
	switch {
	case c.Lateness == 0:
		c.Lateness = time.Minute
	case c.Lateness < 0:
		c.Lateness = 0
	}
	if c.MaxGroups <= 0 {
		c.MaxGroups = 100_000
	}
	if c.MaxEvidence <= 0 {
		c.MaxEvidence = 100
	}
	if c.MaxWindowEvents <= 0 {
		c.MaxWindowEvents = 10_000
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 100_000
	}
}

// Hit is one firing of a correlation rule.
type Hit struct {
	Rule *sigma.Rule // the correlation rule
	// Group holds the group-by fields (or aliases) and their values, in
	// group-by order; value_percentile adds its field and value.
	Group []KV
	// First and Last are the event times of the first and last matches
	// that contributed.
	First, Last time.Time
	// Value is the metric: count, distinct count, number of rules, sum,
	// average or share in percent.
	Value float64
	// Refs are the evidence refs, in processing order (event time), at
	// most Config.MaxEvidence; Truncated says how many were left out.
	Refs      []string
	Truncated int
}

// KV is a group-by name and its value.
type KV struct {
	Name, Value string
}

// Stats are counters of an Engine.
type Stats struct {
	Groups     int // groups live, over all correlation rules
	Pending    int // matches in the reorder buffer
	Evicted    int // groups evicted by MaxGroups
	Late       int // matches dropped for arriving too late
	Overflow   int // matches dropped from full windows (MaxWindowEvents)
	NonNumeric int // value_sum/value_avg matches without a numeric field
}

// Engine evaluates a set of correlation rules. It is not safe for
// concurrent use.
type Engine struct {
	cfg Config
	// corrs are in dependency order: a correlation comes after those it
	// refers to.
	corrs      []*correlation
	byKey      map[string]*correlation
	links      map[*sigma.Rule][]*link // consumers of a rule's matches
	need       map[*sigma.Rule][]string
	suppressed map[*sigma.Rule]bool
	rulesByKey map[string]*sigma.Rule

	pending   pendingHeap
	seq       uint64
	watermark int64 // newest event time seen; math.MinInt64 before any
	released  int64 // time of the newest processed match
	stats     Stats

	out []Hit // hits of the current call
}

// link feeds the matches of one rule into one slot of a correlation.
type link struct {
	c     *correlation
	slot  int      // index in the correlation's Rules
	group []string // field per group-by entry, aliases resolved
	field string   // value field, aliases resolved
}

// New checks the correlation rules of rules and returns an engine for
// them. Every referenced rule (by id or name) must be in rules,
// references must not form a cycle, and alias entries must name
// referenced rules. Rules with Correlation == nil are base rules. The
// error joins one *sigma.Error per problem.
func New(rules []*sigma.Rule, cfg Config) (*Engine, error) {
	cfg.setDefaults()
	e := &Engine{
		cfg:        cfg,
		byKey:      map[string]*correlation{},
		links:      map[*sigma.Rule][]*link{},
		need:       map[*sigma.Rule][]string{},
		suppressed: map[*sigma.Rule]bool{},
		rulesByKey: map[string]*sigma.Rule{},
		watermark:  math.MinInt64,
		released:   math.MinInt64,
	}
	byRef := map[string][]*sigma.Rule{}
	for _, r := range rules {
		if r.ID != "" {
			byRef[r.ID] = append(byRef[r.ID], r)
		}
		if r.Name != "" && r.Name != r.ID {
			byRef[r.Name] = append(byRef[r.Name], r)
		}
		e.rulesByKey[ruleKey(r)] = r
	}
	var errs []error
	bad := func(r *sigma.Rule, format string, args ...any) {
		pos := r.Pos
		if r.Correlation.Pos != (sigma.Pos{}) {
			pos = r.Correlation.Pos
		}
		errs = append(errs, &sigma.Error{File: r.File, Pos: pos, Msg: fmt.Sprintf(format, args...)})
	}
	byRule := map[*sigma.Rule]*correlation{}
	var all []*correlation
	for _, r := range rules {
		if r.Correlation == nil {
			continue
		}
		c, err := newCorrelation(r)
		if err != nil {
			bad(r, "%s", err.Error())
			continue
		}
		byRule[r] = c
		all = append(all, c)
	}
	// Resolve references and build links.
	deps := map[*correlation][]*correlation{}
	for _, c := range all {
		r := c.rule
		ok := true
		refNames := map[string]bool{}
		for slot, ref := range c.def.Rules {
			targets := byRef[ref]
			if r.Detection != nil && ref == r.ID {
				// A converted v1 aggregation counts the matches of its own
				// detection; the parser names it by its id, "" if none.
				targets = []*sigma.Rule{r}
			}
			if len(targets) == 0 {
				bad(r, "correlation refers to unknown rule %q", ref)
				ok = false
				continue
			}
			refNames[ref] = true
			for _, t := range targets {
				refNames[t.ID] = true
				refNames[t.Name] = true
				if t.Correlation != nil && t.Detection == nil {
					if inner := byRule[t]; inner != nil {
						deps[c] = append(deps[c], inner)
					}
				}
				e.links[t] = append(e.links[t], c.link(slot, t, ref))
				if !c.def.Generate {
					if _, seen := e.suppressed[t]; !seen {
						e.suppressed[t] = true
					}
				} else {
					e.suppressed[t] = false
				}
			}
		}
		for alias, perRule := range c.def.Aliases {
			for name := range perRule {
				if !refNames[name] {
					bad(r, "alias %q names rule %q, which the correlation does not refer to", alias, name)
					ok = false
				}
			}
		}
		if ok {
			e.byKey[c.key] = c
		}
	}
	// Order by dependencies and find cycles.
	state := map[*correlation]int{} // 1 visiting, 2 done
	var visit func(c *correlation)
	visit = func(c *correlation) {
		if state[c] != 0 {
			return
		}
		state[c] = 1
		for _, d := range deps[c] {
			if state[d] == 1 {
				bad(c.rule, "correlation refers back to %q: references form a cycle", d.rule.Title)
				continue
			}
			visit(d)
		}
		state[c] = 2
		e.corrs = append(e.corrs, c)
	}
	for _, c := range all {
		visit(c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for r, ls := range e.links {
		var names []string
		for _, l := range ls {
			names = append(names, l.group...)
			if l.field != "" {
				names = append(names, l.field)
			}
		}
		slices.Sort(names)
		e.need[r] = slices.Compact(names)
	}
	for i, c := range e.corrs {
		c.order = i
	}
	return e, nil
}

// ruleKey identifies a rule across restarts, for snapshots.
func ruleKey(r *sigma.Rule) string {
	switch {
	case r.ID != "":
		return "id:" + r.ID
	case r.Name != "":
		return "name:" + r.Name
	}
	return "title:" + r.Title
}

// Referenced reports whether the matches of r should be kept from being
// reported on their own: r is referred to by a correlation rule and no
// correlation referring to it sets generate.
func (e *Engine) Referenced(r *sigma.Rule) (suppressed bool) {
	return e.suppressed[r]
}

// Observe feeds one match of rule r, the event ev it matched and an
// opaque reference to the event (kept as evidence). It returns the hits
// this completes, which come from matches released from the reorder
// buffer: usually earlier ones. Observe reads ev only during the call.
func (e *Engine) Observe(r *sigma.Rule, ev *event.Event, ref string) []Hit {
	need, ok := e.need[r]
	if !ok {
		return nil
	}
	t := ev.Time.UnixNano()
	if t < e.released || t < e.horizon() {
		e.stats.Late++
		return nil
	}
	m := &match{time: t, ref: ref, seq: e.seq, rule: r, refs: []string{ref}}
	e.seq++
	for _, name := range need {
		if v, ok := ev.Get(name); ok {
			m.fields = append(m.fields, event.Field{Name: name, Value: v})
		}
	}
	heap.Push(&e.pending, m)
	e.out = nil
	if t > e.watermark {
		e.watermark = t
	}
	for len(e.pending) > e.cfg.MaxPending {
		e.process(heap.Pop(&e.pending).(*match))
	}
	e.release()
	return e.takeHits()
}

// Advance moves the watermark to t (live: the wall clock), processing the
// matches older than t − Lateness and closing the windows that end
// before then.
func (e *Engine) Advance(t time.Time) []Hit {
	e.out = nil
	if n := t.UnixNano(); n > e.watermark {
		e.watermark = n
	}
	e.release()
	if p := e.horizon(); p > e.released {
		e.advanceAll(p)
	}
	return e.takeHits()
}

// Flush ends the stream: it processes every buffered match and decides
// every window closed at its end (conditions with lt, lte, eq or neq,
// value_percentile, timespan 0), as of the newest processed time. Later
// matches open new windows; rising conditions keep their state.
func (e *Engine) Flush() []Hit {
	e.out = nil
	for len(e.pending) > 0 {
		e.process(heap.Pop(&e.pending).(*match))
	}
	end := e.released
	for _, c := range e.corrs {
		e.closeAll(c, end)
	}
	return e.takeHits()
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Pending = len(e.pending)
	for _, c := range e.corrs {
		s.Groups += len(c.groups)
	}
	return s
}

func (e *Engine) takeHits() []Hit {
	h := e.out
	e.out = nil
	return h
}

// horizon is watermark − Lateness: matches older than it are late, and
// buffered matches older than it are processed.
func (e *Engine) horizon() int64 {
	if e.watermark < math.MinInt64+int64(e.cfg.Lateness) {
		return math.MinInt64
	}
	return e.watermark - int64(e.cfg.Lateness)
}

// release processes the buffered matches older than the horizon.
func (e *Engine) release() {
	limit := e.horizon()
	for len(e.pending) > 0 && e.pending[0].time < limit {
		e.process(heap.Pop(&e.pending).(*match))
	}
}

// process feeds one match, in processing order, to its correlations.
func (e *Engine) process(m *match) {
	if m.time > e.released {
		e.released = m.time
	}
	e.advanceAll(m.time)
	for _, l := range e.links[m.rule] {
		e.add(l, m)
	}
}

// advanceAll closes the windows of every correlation that end before p,
// inner correlations first.
func (e *Engine) advanceAll(p int64) {
	for _, c := range e.corrs {
		e.advance(c, p)
	}
}

// emit records a hit and feeds it to the correlations referring to its
// rule, as a match at time at.
func (e *Engine) emit(c *correlation, h Hit, at int64) {
	e.out = append(e.out, h)
	if c.rule.Detection != nil {
		return
	}
	ls := e.links[c.rule]
	if len(ls) == 0 {
		return
	}
	m := &match{time: at, rule: c.rule, refs: h.Refs, truncated: h.Truncated}
	for _, kv := range h.Group {
		m.fields = append(m.fields, event.Field{Name: kv.Name, Value: kv.Value})
	}
	sort.SliceStable(m.fields, func(i, j int) bool { return m.fields[i].Name < m.fields[j].Name })
	for _, l := range ls {
		e.add(l, m)
	}
}

// match is one match of a rule, reduced to the fields the correlations
// need.
type match struct {
	time      int64
	ref       string
	seq       uint64
	rule      *sigma.Rule
	fields    []event.Field // sorted by name
	refs      []string
	truncated int
}

func (m *match) get(name string) (string, bool) {
	i := sort.Search(len(m.fields), func(i int) bool { return m.fields[i].Name >= name })
	if i < len(m.fields) && m.fields[i].Name == name {
		return m.fields[i].Value, true
	}
	return "", false
}

// pendingHeap orders matches by (time, ref in natural order, arrival).
type pendingHeap []*match

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.time != b.time {
		return a.time < b.time
	}
	if c := compareNatural(a.ref, b.ref); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(*match)) }
func (h *pendingHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return m
}

// compareNatural compares strings with digit runs compared as numbers,
// so that "f:9" < "f:10".
func compareNatural(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := trimZeros(a[si:i]), trimZeros(b[sj:j])
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			continue
		}
		if ca != cb {
			return cmpInt(int(ca), int(cb))
		}
		i++
		j++
	}
	return cmpInt(len(a)-i, len(b)-j)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
