package correlate

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/sigma"
)

// correlation is the compiled form and the state of one correlation rule.
type correlation struct {
	rule *sigma.Rule
	def  *sigma.Correlation
	key  string // ruleKey, for snapshots
	// fingerprint changes when the definition does; a snapshot's state is
	// restored only into the same definition.
	fingerprint string
	span        int64 // timespan in nanoseconds; 0 is the whole stream
	cond        []sigma.Threshold
	// atClose is set when the condition is decided at window close rather
	// than as soon as it holds.
	atClose bool
	order   int // index in Engine.corrs

	groups map[string]*group
	// newest and oldest end the list of groups by last update.
	newest, oldest *group
	// closing holds the groups by window end, when atClose and span > 0.
	closing closeHeap
	keyBuf  []byte
}

func newCorrelation(r *sigma.Rule) (*correlation, error) {
	d := r.Correlation
	switch d.Type {
	case sigma.EventCount, sigma.ValueCount, sigma.Temporal, sigma.TemporalOrdered,
		sigma.ValueSum, sigma.ValueAvg, sigma.ValuePercentile:
	default:
		return nil, fmt.Errorf("unknown correlation type %s", d.Type)
	}
	if len(d.Rules) == 0 {
		return nil, errors.New("correlation refers to no rule")
	}
	if d.Timespan < 0 {
		return nil, fmt.Errorf("negative timespan %s", d.Timespan)
	}
	switch d.Type {
	case sigma.ValueCount, sigma.ValueSum, sigma.ValueAvg, sigma.ValuePercentile:
		if d.Field == "" {
			return nil, fmt.Errorf("%s correlation needs a condition field", d.Type)
		}
	}
	c := &correlation{
		rule:   r,
		def:    d,
		key:    ruleKey(r),
		span:   int64(d.Timespan),
		cond:   d.Condition,
		groups: map[string]*group{},
	}
	if len(c.cond) == 0 {
		if d.Type != sigma.Temporal && d.Type != sigma.TemporalOrdered {
			return nil, fmt.Errorf("%s correlation needs a condition", d.Type)
		}
		c.cond = []sigma.Threshold{{Op: "gte", Value: float64(len(d.Rules))}}
	}
	c.atClose = d.Type == sigma.ValuePercentile
	for _, t := range c.cond {
		switch t.Op {
		case "gt", "gte":
		case "lt", "lte", "eq", "neq":
			c.atClose = true
		default:
			return nil, fmt.Errorf("unknown condition operator %q", t.Op)
		}
	}
	c.fingerprint = fmt.Sprintf("%s|%q|%q|%d|%v|%q|%v", d.Type, d.Rules, d.GroupBy, d.Timespan, d.Aliases, d.Field, c.cond)
	return c, nil
}

// link returns the link feeding the matches of rule t, referred to as ref
// in slot, into c.
func (c *correlation) link(slot int, t *sigma.Rule, ref string) *link {
	resolve := func(name string) string {
		perRule, ok := c.def.Aliases[name]
		if !ok {
			return name
		}
		for _, k := range []string{t.Name, t.ID, ref} {
			if f, ok := perRule[k]; ok && k != "" {
				return f
			}
		}
		return name
	}
	l := &link{c: c, slot: slot}
	for _, name := range c.def.GroupBy {
		l.group = append(l.group, resolve(name))
	}
	if c.def.Field != "" {
		l.field = resolve(c.def.Field)
	}
	return l
}

// parseNumber reads a finite decimal number.
func parseNumber(s string) (float64, bool) {
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil && !math.IsNaN(n) && !math.IsInf(n, 0)
}

// holds reports whether every comparison of the condition holds for x.
func (c *correlation) holds(x float64) bool {
	for _, t := range c.cond {
		if !t.Holds(x) {
			return false
		}
	}
	return true
}

// group is the state of one group of a correlation.
type group struct {
	key    string
	values []string // per group-by entry
	// entries are the matches of the current window, in processing order.
	entries  []entry
	distinct map[string]int // value → matches, for value_count and value_percentile
	perRule  []int          // matches per slot, for temporal
	lastSeen int64
	// quietUntil: a rising condition does not fire while t ≤ quietUntil.
	quietUntil int64
	fired      bool
	windowEnd  int64 // atClose: first match + span
	heapIndex  int   // in closing; -1 when not there
	newer      *group
	older      *group
}

type entry struct {
	time      int64
	slot      int
	value     string
	hasValue  bool
	num       float64
	isNum     bool
	refs      []string
	truncated int
}

// add feeds a match into the correlation of l, in processing order.
func (e *Engine) add(l *link, m *match) {
	c := l.c
	e.advance(c, m.time)
	c.keyBuf = c.keyBuf[:0]
	for i, f := range l.group {
		if i > 0 {
			c.keyBuf = append(c.keyBuf, 0)
		}
		v, _ := m.get(f)
		c.keyBuf = append(c.keyBuf, v...)
	}
	g := c.groups[string(c.keyBuf)]
	if g == nil {
		values := make([]string, len(l.group))
		for i, f := range l.group {
			values[i], _ = m.get(f)
		}
		g = e.newGroup(c, string(c.keyBuf), values, m.time)
	} else {
		c.touch(g)
	}
	if m.time > g.lastSeen {
		g.lastSeen = m.time
	}
	if !c.atClose {
		if c.span == 0 && g.fired {
			return
		}
		if c.span > 0 {
			g.expire(c, m.time-c.span)
		}
	}
	en := entry{time: m.time, slot: l.slot, refs: m.refs, truncated: m.truncated}
	if l.field != "" {
		en.value, en.hasValue = m.get(l.field)
		if c.def.Type == sigma.ValueSum || c.def.Type == sigma.ValueAvg {
			en.num, en.isNum = parseNumber(en.value)
			if !en.isNum {
				e.stats.NonNumeric++
			}
		}
	}
	if len(g.entries) >= e.cfg.MaxWindowEvents {
		g.dropOldest(c)
		e.stats.Overflow++
	}
	g.push(c, en)
	if c.atClose || (c.span > 0 && m.time <= g.quietUntil) {
		return
	}
	v, first, ok := c.metric(g)
	if !ok || !c.holds(v) {
		return
	}
	h := e.hit(c, g, g.entries[first:], v)
	g.clear()
	g.quietUntil = m.time + c.span
	g.fired = true
	e.emit(c, h, m.time)
}

// advance closes c's windows that end before p and removes its groups
// idle since before p − timespan.
func (e *Engine) advance(c *correlation, p int64) {
	if c.span == 0 {
		return
	}
	if c.atClose {
		for len(c.closing) > 0 && c.closing[0].windowEnd < p {
			g := c.closing[0]
			e.close(c, g, g.windowEnd)
		}
		return
	}
	for c.oldest != nil && c.oldest.lastSeen < p-c.span {
		c.remove(c.oldest)
	}
}

// closeAll decides every open window of c at time at (Flush).
func (e *Engine) closeAll(c *correlation, at int64) {
	if !c.atClose {
		return
	}
	var open []*group
	for _, g := range c.groups {
		open = append(open, g)
	}
	slices.SortFunc(open, compareWindows)
	for _, g := range open {
		e.close(c, g, at)
	}
}

// close decides g's window and removes g.
func (e *Engine) close(c *correlation, g *group, at int64) {
	c.remove(g)
	if len(g.entries) == 0 {
		return
	}
	if c.def.Type == sigma.ValuePercentile {
		e.closePercentile(c, g, at)
		return
	}
	v, first, ok := c.metric(g)
	if ok && c.holds(v) {
		e.emit(c, e.hit(c, g, g.entries[first:], v), at)
	}
}

// closePercentile emits one hit per value whose share of g's matches
// carrying the field satisfies the condition.
func (e *Engine) closePercentile(c *correlation, g *group, at int64) {
	total := 0
	for _, en := range g.entries {
		if en.hasValue {
			total++
		}
	}
	if total == 0 {
		return
	}
	values := make([]string, 0, len(g.distinct))
	for v := range g.distinct {
		values = append(values, v)
	}
	slices.Sort(values)
	for _, v := range values {
		share := float64(g.distinct[v]) * 100 / float64(total)
		if !c.holds(share) {
			continue
		}
		var ents []entry
		for _, en := range g.entries {
			if en.hasValue && en.value == v {
				ents = append(ents, en)
			}
		}
		h := e.hit(c, g, ents, share)
		h.Group = append(h.Group, KV{Name: c.def.Field, Value: v})
		e.emit(c, h, at)
	}
}

// metric computes c's metric over g's window. first is the index of the
// first contributing entry; ok is false when the metric is undefined.
func (c *correlation) metric(g *group) (v float64, first int, ok bool) {
	switch c.def.Type {
	case sigma.EventCount:
		return float64(len(g.entries)), 0, true
	case sigma.ValueCount, sigma.ValuePercentile:
		return float64(len(g.distinct)), 0, true
	case sigma.Temporal:
		n := 0
		for _, k := range g.perRule {
			if k > 0 {
				n++
			}
		}
		return float64(n), 0, true
	case sigma.TemporalOrdered:
		// Matching each slot at its earliest chance gives the longest
		// prefix of the rule list.
		next := 0
		for i, en := range g.entries {
			if next < len(c.def.Rules) && en.slot == next {
				if next == 0 {
					first = i
				}
				next++
			}
		}
		return float64(next), first, true
	case sigma.ValueSum, sigma.ValueAvg:
		sum, n := 0.0, 0
		for _, en := range g.entries {
			if en.isNum {
				sum += en.num
				n++
			}
		}
		if c.def.Type == sigma.ValueSum {
			return sum, 0, true
		}
		if n == 0 {
			return 0, 0, false
		}
		return sum / float64(n), 0, true
	}
	panic(fmt.Sprintf("BUG: correlation type %s not handled", c.def.Type))
}

// hit builds the hit of c for g with the given contributing entries.
func (e *Engine) hit(c *correlation, g *group, ents []entry, v float64) Hit {
	h := Hit{
		Rule:  c.rule,
		Value: v,
		First: time.Unix(0, ents[0].time).UTC(),
		Last:  time.Unix(0, ents[len(ents)-1].time).UTC(),
		Group: make([]KV, len(c.def.GroupBy)),
	}
	for i, name := range c.def.GroupBy {
		h.Group[i] = KV{Name: name, Value: g.values[i]}
	}
	for _, en := range ents {
		for _, r := range en.refs {
			if len(h.Refs) < e.cfg.MaxEvidence {
				h.Refs = append(h.Refs, r)
			} else {
				h.Truncated++
			}
		}
		h.Truncated += en.truncated
	}
	return h
}

func (e *Engine) newGroup(c *correlation, key string, values []string, t int64) *group {
	for len(c.groups) >= e.cfg.MaxGroups && c.oldest != nil {
		c.remove(c.oldest)
		e.stats.Evicted++
	}
	g := &group{key: key, values: values, lastSeen: t, quietUntil: math.MinInt64, heapIndex: -1}
	switch c.def.Type {
	case sigma.ValueCount, sigma.ValuePercentile:
		g.distinct = map[string]int{}
	case sigma.Temporal:
		g.perRule = make([]int, len(c.def.Rules))
	}
	c.groups[key] = g
	c.pushNewest(g)
	if c.atClose {
		g.windowEnd = math.MaxInt64
		if c.span > 0 {
			g.windowEnd = t + c.span
			heap.Push(&c.closing, g)
		}
	}
	return g
}

func (g *group) push(c *correlation, en entry) {
	g.entries = append(g.entries, en)
	if en.hasValue && g.distinct != nil {
		g.distinct[en.value]++
	}
	if g.perRule != nil {
		g.perRule[en.slot]++
	}
}

func (g *group) dropOldest(c *correlation) {
	en := g.entries[0]
	if en.hasValue && g.distinct != nil {
		if g.distinct[en.value]--; g.distinct[en.value] == 0 {
			delete(g.distinct, en.value)
		}
	}
	if g.perRule != nil {
		g.perRule[en.slot]--
	}
	g.entries[0] = entry{}
	g.entries = g.entries[1:]
}

// expire drops the entries older than limit.
func (g *group) expire(c *correlation, limit int64) {
	for len(g.entries) > 0 && g.entries[0].time < limit {
		g.dropOldest(c)
	}
}

func (g *group) clear() {
	g.entries = nil
	clear(g.distinct)
	clear(g.perRule)
}

// touch marks g as the most recently updated group.
func (c *correlation) touch(g *group) {
	if c.newest == g {
		return
	}
	c.unlink(g)
	c.pushNewest(g)
}

func (c *correlation) pushNewest(g *group) {
	g.older = c.newest
	g.newer = nil
	if c.newest != nil {
		c.newest.newer = g
	}
	c.newest = g
	if c.oldest == nil {
		c.oldest = g
	}
}

func (c *correlation) unlink(g *group) {
	if g.newer != nil {
		g.newer.older = g.older
	} else {
		c.newest = g.older
	}
	if g.older != nil {
		g.older.newer = g.newer
	} else {
		c.oldest = g.newer
	}
	g.newer, g.older = nil, nil
}

func (c *correlation) remove(g *group) {
	delete(c.groups, g.key)
	c.unlink(g)
	if g.heapIndex >= 0 {
		heap.Remove(&c.closing, g.heapIndex)
	}
}

// closeHeap orders groups by window end, then key, so that windows
// ending together close in the same order whatever the arrival order.
type closeHeap []*group

func compareWindows(a, b *group) int {
	if a.windowEnd != b.windowEnd {
		return cmpInt64(a.windowEnd, b.windowEnd)
	}
	if a.key < b.key {
		return -1
	}
	if a.key > b.key {
		return 1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (h closeHeap) Len() int           { return len(h) }
func (h closeHeap) Less(i, j int) bool { return compareWindows(h[i], h[j]) < 0 }
func (h closeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}
func (h *closeHeap) Push(x any) {
	g := x.(*group)
	g.heapIndex = len(*h)
	*h = append(*h, g)
}
func (h *closeHeap) Pop() any {
	old := *h
	g := old[len(old)-1]
	old[len(old)-1] = nil
	g.heapIndex = -1
	*h = old[:len(old)-1]
	return g
}
