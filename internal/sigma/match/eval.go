package match

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// bitset is a set of small integers that remembers which words it
// touched, so that clearing costs what was set, not the capacity.
type bitset struct {
	words   []uint64
	touched []int32
}

func newBitset(n int) bitset { return bitset{words: make([]uint64, (n+63)/64)} }

// add inserts i and reports whether it was absent.
func (b *bitset) add(i int32) bool {
	w, bit := i>>6, uint64(1)<<(i&63)
	x := b.words[w]
	if x&bit != 0 {
		return false
	}
	if x == 0 {
		b.touched = append(b.touched, w)
	}
	b.words[w] = x | bit
	return true
}

func (b *bitset) has(i int32) bool { return b.words[i>>6]&(uint64(1)<<(i&63)) != 0 }

func (b *bitset) clear() {
	for _, w := range b.touched {
		b.words[w] = 0
	}
	b.touched = b.touched[:0]
}

// scratch is the per-event working state of Match, pooled. It belongs to
// one goroutine between get and put.
type scratch struct {
	e   *event.Event
	gen uint32 // event number: slotGen and foldGen entries equal to it are current

	slotGen        []uint32
	slotLo, slotHi []int32
	kwPresent      bool

	folded  []string // per event field: its folded value, valid when foldGen matches
	foldGen []uint32
	buf     []byte // backing store of folded values
	numBuf  []byte

	bits     bitset // eager tests that hold
	lazyDone bitset // lazy tests evaluated
	lazyVal  bitset // lazy tests that hold
	tried    bitset // glob tests verified against the current value
	active   bitset // sources the event belongs to
	scanned  bitset // slots scanned
	seen     bitset // alternatives queued
	sources  []int32
	cands    []int32

	direct bool // evaluate every test from the values (the reference evaluator)
}

// maxScratchBuf caps the folded-value buffer kept in the pool; larger ones
// (an event with megabytes of text) are dropped after use.
const maxScratchBuf = 1 << 20

func (m *Matcher) newScratch() *scratch {
	n := len(m.slotNames)
	return &scratch{
		slotGen:  make([]uint32, n),
		slotLo:   make([]int32, n),
		slotHi:   make([]int32, n),
		bits:     newBitset(len(m.tests)),
		lazyDone: newBitset(len(m.tests)),
		lazyVal:  newBitset(len(m.tests)),
		tried:    newBitset(len(m.tests)),
		active:   newBitset(len(m.sources)),
		scanned:  newBitset(n),
		seen:     newBitset(len(m.alts)),
	}
}

func (m *Matcher) getScratch() *scratch {
	if s, ok := m.pool.Get().(*scratch); ok {
		return s
	}
	return m.newScratch()
}

func (m *Matcher) putScratch(s *scratch) {
	s.e = nil
	s.bits.clear()
	s.lazyDone.clear()
	s.lazyVal.clear()
	s.active.clear()
	s.scanned.clear()
	s.seen.clear()
	s.sources = s.sources[:0]
	s.cands = s.cands[:0]
	if cap(s.buf) > maxScratchBuf {
		s.buf = nil
	}
	clear(s.folded)
	m.pool.Put(s)
}

// begin loads e: one pass over its sorted fields finds the range of every
// field name the rules use.
func (m *Matcher) begin(s *scratch, e *event.Event) {
	s.e = e
	s.gen++
	if s.gen == 0 {
		clear(s.slotGen)
		clear(s.foldGen)
		s.gen = 1
	}
	s.buf = s.buf[:0]
	if n := len(e.Fields); cap(s.folded) < n {
		s.folded = make([]string, n)
		s.foldGen = make([]uint32, n)
	} else {
		s.folded = s.folded[:n]
		s.foldGen = s.foldGen[:n]
	}
	s.kwPresent = false
	fields := e.Fields
	for i := 0; i < len(fields); {
		name := fields[i].Name
		j := i + 1
		for j < len(fields) && fields[j].Name == name {
			j++
		}
		if id, ok := m.slotByName[name]; ok {
			s.slotGen[id] = s.gen
			s.slotLo[id] = int32(i)
			s.slotHi[id] = int32(j)
		}
		for k := i; k < j && !s.kwPresent; k++ {
			s.kwPresent = isString(&fields[k])
		}
		i = j
	}
}

// span returns the range of event fields holding the values of slot; kw
// says that only String fields of the range count (keyword search).
func (s *scratch) span(m *Matcher, slot int32) (lo, hi int, kw bool) {
	if slot == m.kwSlot {
		return 0, len(s.e.Fields), true
	}
	if s.slotGen[slot] != s.gen {
		return 0, 0, false
	}
	return int(s.slotLo[slot]), int(s.slotHi[slot]), false
}

func (s *scratch) present(m *Matcher, slot int32) bool {
	if slot == m.kwSlot {
		return s.kwPresent
	}
	return s.slotGen[slot] == s.gen
}

// fold returns the folded value of event field i, computed once per event.
func (s *scratch) fold(i int) string {
	if s.foldGen[i] == s.gen {
		return s.folded[i]
	}
	v := s.e.Fields[i].Value
	if k := foldFrom(v); k < len(v) {
		start := len(s.buf)
		s.buf = append(s.buf, v[:k]...)
		s.buf = appendFold(s.buf, v[k:])
		v = bytesString(s.buf[start:])
	}
	s.folded[i] = v
	s.foldGen[i] = s.gen
	return v
}

// Match appends to dst the rules that match e, in input order, and returns
// it. The fields of e must be sorted by name, as decoders leave them. Match
// does not modify e and may be called concurrently. When nothing matches
// it does not allocate.
//
// An event is only compared with the rules of the log sources it belongs
// to, and among those only with the rules one of whose necessary tests
// holds (see need): the tests of each field the sources use are computed
// in one pass over each value (an equality map lookup and an Aho-Corasick
// scan).
func (m *Matcher) Match(e *event.Event, dst []*sigma.Rule) []*sigma.Rule {
	s := m.getScratch()
	defer m.putScratch(s)
	m.begin(s, e)

	m.activate(s)
	if len(s.sources) == 0 {
		return dst
	}
	for _, si := range s.sources {
		src := &m.sources[si]
		for _, slot := range src.scan {
			if s.scanned.add(slot) {
				m.scan(s, slot)
			}
		}
		for _, a := range src.residual {
			if s.seen.add(a) {
				s.cands = append(s.cands, a)
			}
		}
	}
	slices.Sort(s.cands)
	last := int32(-1)
	for _, a := range s.cands {
		alt := &m.alts[a]
		if alt.rule == last {
			continue
		}
		if m.eval(s, alt.cond) {
			dst = append(dst, m.rules[alt.rule])
			last = alt.rule
		}
	}
	return dst
}

// activate finds the sources e belongs to.
func (m *Matcher) activate(s *scratch) {
	for _, si := range m.always {
		s.active.add(si)
		s.sources = append(s.sources, si)
	}
	for di := range m.dispatch {
		d := &m.dispatch[di]
		if d.slot == m.formatSlot {
			m.activateValue(s, d, foldFormat(s.e.Format))
			continue
		}
		lo, hi, _ := s.span(m, d.slot)
		for i := lo; i < hi; i++ {
			m.activateValue(s, d, s.fold(i))
		}
	}
}

func (m *Matcher) activateValue(s *scratch, d *dispatchIndex, v string) {
	for _, si := range d.byValue[v] {
		if !s.active.has(si) && m.sourceHolds(s, si) {
			s.active.add(si)
			s.sources = append(s.sources, si)
		}
	}
}

// foldFormat folds a decoder name; they are lower-case already.
func foldFormat(f string) string {
	if needsFold(f) {
		return strings.ToLower(f)
	}
	return f
}

// sourceHolds reports whether the event satisfies every condition of a
// source.
func (m *Matcher) sourceHolds(s *scratch, si int32) bool {
	for _, cd := range m.sources[si].conds {
		if cd.slot == m.formatSlot {
			if !slices.Contains(cd.values, foldFormat(s.e.Format)) {
				return false
			}
			continue
		}
		lo, hi, _ := s.span(m, cd.slot)
		ok := false
		for i := lo; i < hi && !ok; i++ {
			ok = slices.Contains(cd.values, s.fold(i))
		}
		if !ok {
			return false
		}
	}
	return true
}

// scan computes the eager tests of one field, for each of its values.
func (m *Matcher) scan(s *scratch, slot int32) {
	ix := &m.slots[slot]
	lo, hi, kw := s.span(m, slot)
	for i := lo; i < hi; i++ {
		f := &s.e.Fields[i]
		if kw && !isString(f) {
			continue
		}
		raw := f.Value
		var fv string
		if ix.needFolded {
			fv = s.fold(i)
		}
		if ix.equal != nil {
			key := fv
			if ix.hasNumbers {
				if n, ok := parseNumber(fv); ok {
					key, s.numBuf = numberKey(fv, n, s.numBuf[:0])
				}
			}
			for _, t := range ix.equal[key] {
				tt := &m.tests[t]
				if !tt.isNum && pick(tt.cased, raw, fv) != tt.lit {
					continue
				}
				m.hold(s, t)
			}
		}
		m.findNeedles(s, &ix.folded, fv)
		m.findNeedles(s, &ix.cased, raw)
		for _, t := range ix.scan {
			tt := &m.tests[t]
			if !s.bits.has(t) && tt.matchString(pick(tt.cased, raw, fv)) {
				m.hold(s, t)
			}
		}
		s.tried.clear()
	}
}

func pick(cased bool, raw, folded string) string {
	if cased {
		return raw
	}
	return folded
}

// findNeedles records the tests that the needles found in one value
// satisfy.
func (m *Matcher) findNeedles(s *scratch, ix *needleIndex, v string) {
	if ix.prefix != nil {
		ix.prefix.walk(v, false, func(needle int32, _ int) { m.use(s, ix.prefixUses[needle], v) })
	}
	if ix.suffix != nil {
		ix.suffix.walk(v, true, func(needle int32, _ int) { m.use(s, ix.suffixUses[needle], v) })
	}
	if ix.inner != nil {
		ix.inner.scan(v, func(needle int32, _ int) { m.use(s, ix.innerUses[needle], v) })
	}
}

// use records what finding a needle in v means for the tests that use it.
func (m *Matcher) use(s *scratch, uses []needleUse, v string) {
	for _, u := range uses {
		if s.bits.has(u.test) {
			continue
		}
		if u.verify && (!s.tried.add(u.test) || !m.tests[u.test].pat.match(v)) {
			continue
		}
		m.hold(s, u.test)
	}
}

// hold records that eager test t holds and queues the alternatives it
// triggers in the event's sources.
func (m *Matcher) hold(s *scratch, t int32) {
	if !s.bits.add(t) {
		return
	}
	for _, a := range m.triggers[t] {
		if s.active.has(m.alts[a].source) && s.seen.add(a) {
			s.cands = append(s.cands, a)
		}
	}
}

// eval evaluates a condition.
func (m *Matcher) eval(s *scratch, n *node) bool {
	switch n.op {
	case opAnd:
		for _, k := range n.kids {
			if !m.eval(s, k) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if m.eval(s, k) {
				return true
			}
		}
		return false
	case opNot:
		return !m.eval(s, n.kids[0])
	}
	pos := n.all
	for _, g := range n.groups {
		if m.anyHolds(s, g) != n.all {
			pos = !n.all
			break
		}
	}
	if n.neq {
		return s.present(m, n.slot) && !pos
	}
	return pos
}

func (m *Matcher) anyHolds(s *scratch, g []int32) bool {
	for _, t := range g {
		if m.holds(s, t) {
			return true
		}
	}
	return false
}

// holds reports whether test t holds for the event.
func (m *Matcher) holds(s *scratch, t int32) bool {
	tt := &m.tests[t]
	if s.direct {
		return m.evalTest(s, tt)
	}
	if tt.kind.eager() {
		return s.bits.has(t)
	}
	if s.lazyDone.has(t) {
		return s.lazyVal.has(t)
	}
	v := (len(tt.pre) == 0 || m.anyHolds(s, tt.pre)) && m.evalTest(s, tt)
	s.lazyDone.add(t)
	if v {
		s.lazyVal.add(t)
	}
	return v
}

// evalTest computes a test from the event's values.
func (m *Matcher) evalTest(s *scratch, t *test) bool {
	lo, hi, kw := s.span(m, t.slot)
	switch t.kind {
	case testNull:
		if !s.present(m, t.slot) {
			return true
		}
		for i := lo; i < hi; i++ {
			if s.e.Fields[i].Type == event.Null {
				return true
			}
		}
		return false
	case testExists:
		return s.present(m, t.slot) == t.want
	case testFieldRef:
		rlo, rhi, _ := s.span(m, t.ref)
		for i := lo; i < hi; i++ {
			a := s.value(i, t.cased)
			for j := rlo; j < rhi; j++ {
				if compareRef(t.op, a, s.value(j, t.cased)) {
					return true
				}
			}
		}
		return false
	}
	for i := lo; i < hi; i++ {
		f := &s.e.Fields[i]
		if kw && !isString(f) {
			continue
		}
		if m.valueHolds(s, t, i) {
			return true
		}
	}
	return false
}

// valueHolds applies t to the value of event field i.
func (m *Matcher) valueHolds(s *scratch, t *test, i int) bool {
	raw := s.e.Fields[i].Value
	switch t.kind {
	case testRegexp:
		return t.re.MatchString(raw)
	case testCIDR:
		a, err := netip.ParseAddr(strings.TrimSpace(raw))
		return err == nil && t.cidr.Contains(a.Unmap().WithZone(""))
	case testCompare:
		f, ok := parseNumber(strings.TrimSpace(raw))
		return ok && compareNumber(t.op, f, t.num)
	case testTime:
		tm, ok := parseTime(raw)
		return ok && compareNumber(t.op, timePart(tm, t.part), t.num)
	}
	return t.matchString(s.value(i, t.cased))
}

func compareRef(op sigma.Op, v, ref string) bool {
	switch op {
	case sigma.OpContains:
		return strings.Contains(v, ref)
	case sigma.OpStartsWith:
		return strings.HasPrefix(v, ref)
	case sigma.OpEndsWith:
		return strings.HasSuffix(v, ref)
	}
	return v == ref
}

func compareNumber(op sigma.Op, x, bound float64) bool {
	switch op {
	case sigma.OpLT:
		return x < bound
	case sigma.OpLTE:
		return x <= bound
	case sigma.OpGT:
		return x > bound
	case sigma.OpGTE:
		return x >= bound
	}
	return x == bound
}

// timeLayouts are the time formats read by time modifiers: RFC 3339 (what
// Vigie's decoders write) and the zone-less forms of Windows and syslog
// tools, read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || !isDigit(s[0]) {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// timePart extracts a part of t in its own zone: the spec's time
// modifiers do no zone conversion. Weeks are ISO 8601 weeks.
func timePart(t time.Time, part string) float64 {
	switch part {
	case "minute":
		return float64(t.Minute())
	case "hour":
		return float64(t.Hour())
	case "day":
		return float64(t.Day())
	case "week":
		_, w := t.ISOWeek()
		return float64(w)
	case "month":
		return float64(t.Month())
	}
	return float64(t.Year())
}
