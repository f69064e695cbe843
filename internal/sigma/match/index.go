package match

import (
	"slices"
	"sort"
)

// build derives the indexes from the compiled alternatives: per test the
// alternatives it triggers, per source the slots to scan and the
// alternatives to always visit, per slot the equality map and the
// automata, and the dispatch of events to sources.
func (c *compiler) build() {
	m := c.m
	m.triggers = make([][]int32, len(m.tests))
	used := make([]bool, len(m.tests))
	srcSlots := make([]map[int32]bool, len(m.sources))
	for i := range srcSlots {
		srcSlots[i] = map[int32]bool{}
	}
	for ai := range m.alts {
		a := &m.alts[ai]
		order(a.cond, m.tests)
		walkTests(a.cond, m.tests, func(t int32) {
			used[t] = true
			if m.tests[t].kind.eager() {
				srcSlots[a.source][m.tests[t].slot] = true
			}
		})
		if need, _, ok := m.need(a.cond); ok {
			for _, t := range need {
				m.triggers[t] = append(m.triggers[t], int32(ai))
			}
		} else {
			m.sources[a.source].residual = append(m.sources[a.source].residual, int32(ai))
		}
	}
	for si := range m.sources {
		for s := range srcSlots[si] {
			m.sources[si].scan = append(m.sources[si].scan, s)
		}
		slices.Sort(m.sources[si].scan)
	}
	for i := range m.triggers {
		m.triggers[i] = slices.Compact(m.triggers[i])
	}
	c.buildSlots(used)
	c.buildDispatch()
}

// needleSet collects the needles of one needleIndex part.
type needleSet struct {
	ids  map[string]int32
	list []string
	uses [][]needleUse
}

func (n *needleSet) add(lit string, u needleUse) {
	if n.ids == nil {
		n.ids = map[string]int32{}
	}
	id, ok := n.ids[lit]
	if !ok {
		id = int32(len(n.list))
		n.ids[lit] = id
		n.list = append(n.list, lit)
		n.uses = append(n.uses, nil)
	}
	n.uses[id] = append(n.uses[id], u)
}

// needleSets are the three parts of a needleIndex being built.
type needleSets struct{ prefix, suffix, inner needleSet }

func (ns *needleSets) build() needleIndex {
	var ix needleIndex
	if len(ns.prefix.list) > 0 {
		ix.prefix, ix.prefixUses = buildTrie(ns.prefix.list), ns.prefix.uses
	}
	if len(ns.suffix.list) > 0 {
		ix.suffix, ix.suffixUses = buildTrie(ns.suffix.list), ns.suffix.uses
	}
	if len(ns.inner.list) > 0 {
		ix.inner, ix.innerUses = buildAutomaton(ns.inner.list, maxDenseEntries), ns.inner.uses
	}
	return ix
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// buildSlots compiles the eager tests of each field.
func (c *compiler) buildSlots(used []bool) {
	m := c.m
	m.slots = make([]slotIndex, len(m.slotNames))
	folded := make([]needleSets, len(m.slotNames))
	cased := make([]needleSets, len(m.slotNames))
	for ti := range m.tests {
		t := &m.tests[ti]
		if !used[ti] || !t.kind.eager() {
			continue
		}
		ix := &m.slots[t.slot]
		if !t.cased {
			ix.needFolded = true
		}
		ns := &folded[t.slot]
		if t.cased {
			ns = &cased[t.slot]
		}
		id := int32(ti)
		switch t.kind {
		case testEqual:
			// Keys as scan computes them from a value: a value that reads
			// as a number is looked up by its number key, others by their
			// folded text. scan then checks the text of tests not compared
			// as numbers.
			key := foldString(t.lit)
			if f, ok := parseNumber(t.lit); ok {
				key, _ = numberKey(t.lit, f, nil)
				ix.hasNumbers = true
			}
			if ix.equal == nil {
				ix.equal = map[string][]int32{}
			}
			ix.equal[key] = append(ix.equal[key], id)
			ix.needFolded = true
		case testContains:
			ns.inner.add(t.lit, needleUse{test: id})
		case testPrefix:
			ns.prefix.add(t.lit, needleUse{test: id})
		case testSuffix:
			ns.suffix.add(reverse(t.lit), needleUse{test: id})
		case testGlob:
			// Prefilter on the longer of the anchored literals, else on
			// the longest literal anywhere.
			p := t.pat
			first, last := "", ""
			if p[0].wild == 0 {
				first = p[0].lit
			}
			if p[len(p)-1].wild == 0 {
				last = p[len(p)-1].lit
			}
			u := needleUse{test: id, verify: true}
			switch {
			case first != "" && len(first) >= len(last):
				ns.prefix.add(first, u)
			case last != "":
				ns.suffix.add(reverse(last), u)
			case p.longestLiteral() != "":
				ns.inner.add(p.longestLiteral(), u)
			default:
				ix.scan = append(ix.scan, id)
			}
		}
	}
	for s := range m.slots {
		m.slots[s].folded = folded[s].build()
		m.slots[s].cased = cased[s].build()
	}
}

// buildDispatch indexes each source under one of its conditions: the one
// on the field whose values best tell sources apart (most distinct values
// over all sources: EventID before Channel before vigie.format).
func (c *compiler) buildDispatch() {
	m := c.m
	distinct := map[int32]map[string]bool{}
	for _, s := range m.sources {
		for _, cd := range s.conds {
			if distinct[cd.slot] == nil {
				distinct[cd.slot] = map[string]bool{}
			}
			for _, v := range cd.values {
				distinct[cd.slot][v] = true
			}
		}
	}
	bySlot := map[int32]int{}
	for si, s := range m.sources {
		if len(s.conds) == 0 {
			m.always = append(m.always, int32(si))
			continue
		}
		best := 0
		for i, cd := range s.conds {
			b := s.conds[best]
			if len(distinct[cd.slot]) > len(distinct[b.slot]) ||
				(len(distinct[cd.slot]) == len(distinct[b.slot]) && len(cd.values) < len(b.values)) {
				best = i
			}
		}
		cd := s.conds[best]
		di, ok := bySlot[cd.slot]
		if !ok {
			di = len(m.dispatch)
			bySlot[cd.slot] = di
			m.dispatch = append(m.dispatch, dispatchIndex{slot: cd.slot, byValue: map[string][]int32{}})
		}
		for _, v := range cd.values {
			m.dispatch[di].byValue[v] = append(m.dispatch[di].byValue[v], int32(si))
		}
	}
}

// walkTests calls f for every test of n, prefilters included.
func walkTests(n *node, tests []test, f func(int32)) {
	if n.op == opItem {
		for _, g := range n.groups {
			for _, t := range g {
				f(t)
				for _, p := range tests[t].pre {
					f(p)
				}
			}
		}
		return
	}
	for _, k := range n.kids {
		walkTests(k, tests, f)
	}
}

// Estimated costs of evaluating a test, for ordering And and Or: eager
// tests are bit lookups, regular expressions run over the value.
func testCost(t *test) int {
	switch t.kind {
	case testEqual, testContains, testPrefix, testSuffix, testGlob:
		return 1
	case testNull, testExists:
		return 2
	case testCIDR, testCompare:
		return 8
	case testTime, testFieldRef:
		return 16
	}
	return 64 // testRegexp
}

// order sorts the kids of every And and Or cheapest first, so that
// evaluation short-circuits before the regular expressions, and sets the
// cost of each node.
func order(n *node, tests []test) int {
	if n.op == opItem {
		n.cost = 0
		for _, g := range n.groups {
			for _, t := range g {
				n.cost += testCost(&tests[t])
			}
		}
		return n.cost
	}
	n.cost = 1
	for _, k := range n.kids {
		n.cost += order(k, tests)
	}
	if n.op == opAnd || n.op == opOr {
		sort.SliceStable(n.kids, func(i, j int) bool { return n.kids[i].cost < n.kids[j].cost })
	}
	return n.cost
}

// need returns tests of which an event must satisfy at least one for n to
// hold, with an estimate of how likely that is, or ok false when n can
// hold without any eager test holding (a not, a null, a regular
// expression alone).
func (m *Matcher) need(n *node) (tests []int32, p float64, ok bool) {
	switch n.op {
	case opItem:
		if n.neq {
			return nil, 0, false
		}
		if n.all {
			best := -1.0
			for _, g := range n.groups {
				if eager, q, ok := m.groupChance(g); ok && (best < 0 || q < best) {
					best, tests = q, eager
				}
			}
			return tests, best, best >= 0
		}
		for _, g := range n.groups {
			eager, q, ok := m.groupChance(g)
			if !ok {
				return nil, 0, false
			}
			tests = append(tests, eager...)
			p += q
		}
		return tests, p, true
	case opAnd:
		best := -1.0
		for _, k := range n.kids {
			if t, q, ok := m.need(k); ok && (best < 0 || q < best) {
				best, tests = q, t
			}
		}
		return tests, best, best >= 0
	case opOr:
		if len(n.kids) == 0 {
			return nil, 0, true // never holds: nothing to trigger it
		}
		for _, k := range n.kids {
			t, q, ok := m.need(k)
			if !ok {
				return nil, 0, false
			}
			tests = append(tests, t...)
			p += q
		}
		return tests, p, true
	}
	return nil, 0, false
}

// groupChance estimates how often one of the tests g holds, or one of
// the prefilters of those that are regular expressions, and returns the
// eager tests to trigger on; ok is false when a test of g is neither
// eager nor prefiltered.
func (m *Matcher) groupChance(g []int32) (eager []int32, p float64, ok bool) {
	for _, t := range g {
		tt := &m.tests[t]
		if tt.kind.eager() {
			eager = append(eager, t)
			p += m.chance(tt)
			continue
		}
		if len(tt.pre) == 0 {
			return nil, 0, false
		}
		for _, pt := range tt.pre {
			eager = append(eager, pt)
			p += m.chance(&m.tests[pt])
		}
	}
	return eager, p, true
}

// chance estimates how often an eager test holds: an equality 2% of the
// time, a substring less often the longer it is.
func (m *Matcher) chance(tt *test) float64 {
	if tt.kind == testEqual {
		return 0.02
	}
	n := len(tt.lit)
	if tt.kind == testGlob {
		n = len(tt.pat.longestLiteral())
	}
	return 1 / float64(1+n*n)
}
