package match

import (
	"net/netip"
	"regexp"
	"strings"
	"sync"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// Sources resolves a rule's log source to the entries that say which events
// it covers and how its field names are spelled in them.
// *logsource.Mapping implements it.
type Sources interface {
	Resolve(category, product, service string) ([]logsource.Entry, bool)
}

// Config says how rules are compiled. The zero Config is valid: without
// Sources every rule applies to every event under its own field names, and
// without Placeholders a rule using expand is unsupported.
type Config struct {
	Sources Sources
	// Placeholders holds the values of each expand placeholder, by name
	// without the percent signs ("Administrators"). A value is a Sigma
	// string: its wildcards apply.
	Placeholders map[string][]string
}

// RuleStatus says whether one input rule is evaluated.
type RuleStatus struct {
	Rule *sigma.Rule
	OK   bool
	// Reason says why the rule is not evaluated: "unsupported: …" for a
	// feature or log source Vigie cannot evaluate exactly, or why a
	// correlation or filter rule does not match on its own.
	Reason string
}

// Matcher tells which rules of a compiled set match an event. It is
// immutable once built and safe for concurrent use.
type Matcher struct {
	rules  []*sigma.Rule
	status []RuleStatus

	slotNames  []string
	slotByName map[string]int32
	kwSlot     int32 // the pseudo-field of keyword items: every String value
	formatSlot int32 // "vigie.format" in log source conditions: Event.Format

	tests    []test
	triggers [][]int32 // per test: alternatives that need it to match
	alts     []alternative
	sources  []source
	slots    []slotIndex

	dispatch []dispatchIndex // log sources by the value of one field
	always   []int32         // log sources without conditions

	pool sync.Pool // *scratch
}

// Status returns, per input rule and in input order, whether it is
// evaluated. The caller must not modify the result.
func (m *Matcher) Status() []RuleStatus { return m.status }

// alternative is one way a rule matches: its condition, with field names
// as the events of one log source spell them. Alternatives are numbered in
// input order of their rules.
type alternative struct {
	rule   int32
	source int32
	cond   *node
}

// source is one distinct set of log source conditions.
type source struct {
	conds    []sourceCond
	scan     []int32 // slots holding eager tests of this source's alternatives
	residual []int32 // alternatives no test can trigger: visited for every event of the source
}

// sourceCond holds when a value of slot, folded, is one of values.
type sourceCond struct {
	slot   int32
	values []string // folded
}

// dispatchIndex finds the sources whose chosen condition is on slot.
type dispatchIndex struct {
	slot    int32
	byValue map[string][]int32 // folded value → sources
}

// slotIndex holds the eager tests of one field, compiled for one pass over
// each of its values.
type slotIndex struct {
	equal      map[string][]int32 // folded value, or number key → equality tests
	folded     needleIndex        // literals of case-insensitive tests, folded
	cased      needleIndex        // literals of case-sensitive tests
	scan       []int32            // wildcard tests without a literal: checked on every value
	needFolded bool
	hasNumbers bool // some equality test's value reads as a number
}

// needleIndex finds the literals of one field's tests in a value: those it
// must start with (startswith, and wildcard patterns beginning with a
// literal) by a trie walk from the start, those it must end with by a walk
// from the end, the others by an Aho-Corasick scan of the whole value.
type needleIndex struct {
	prefix     *trie
	prefixUses [][]needleUse // per needle
	suffix     *trie         // over the reversed needles
	suffixUses [][]needleUse
	inner      *automaton
	innerUses  [][]needleUse
}

// needleUse says what finding a needle means for one test: that it holds,
// or that its wildcard pattern is worth checking.
type needleUse struct {
	test   int32
	verify bool
}

// testKind is what a test checks. The eager kinds are computed for every
// value of the fields an event's log sources use, in one pass per value;
// the others are evaluated when a condition asks, once per event.
type testKind uint8

const (
	testEqual testKind = iota
	testContains
	testPrefix
	testSuffix
	testGlob
	testNull
	testExists
	testRegexp
	testCIDR
	testCompare
	testTime
	testFieldRef
)

func (k testKind) eager() bool { return k <= testGlob }

// test is one comparison of a field with one rule value (after
// transforms: a value may give several tests). Tests are shared by all
// rules that ask the same thing.
type test struct {
	kind  testKind
	slot  int32
	cased bool
	lit   string  // equal, contains, prefix, suffix: the literal, folded unless cased
	isNum bool    // equal: lit is a number, compared as one
	num   float64 // equal when isNum; compare and time: the bound
	pat   pattern // glob, folded unless cased
	op    sigma.Op
	part  string // time: minute, hour, day, week, month, year
	re    *regexp.Regexp
	cidr  netip.Prefix
	ref   int32 // fieldref: the slot of the other field
	want  bool  // exists
	// pre are eager contains tests one of which must hold for a regular
	// expression to match (see regexpLiterals); empty when none is known.
	pre []int32
}

// matchString applies an eager test to one value, folded unless t.cased.
func (t *test) matchString(v string) bool {
	switch t.kind {
	case testEqual:
		if t.isNum {
			f, ok := parseNumber(v)
			return ok && f == t.num
		}
		return v == t.lit
	case testContains:
		return strings.Contains(v, t.lit)
	case testPrefix:
		return len(v) >= len(t.lit) && v[:len(t.lit)] == t.lit
	case testSuffix:
		return len(v) >= len(t.lit) && v[len(v)-len(t.lit):] == t.lit
	case testGlob:
		return t.pat.match(v)
	}
	return false
}

// nodeOp is the kind of a condition node.
type nodeOp uint8

const (
	opAnd nodeOp = iota // true when all kids are (and when there are none)
	opOr                // true when any kid is
	opNot
	opItem
)

// node is a compiled condition.
type node struct {
	op   nodeOp
	kids []*node
	cost int // estimated evaluation cost: kids run cheapest first

	// opItem: the field, and per rule value the tests any of which
	// satisfies it; values are ORed, or ANDed with all.
	slot   int32
	all    bool
	neq    bool
	groups [][]int32
}

// value returns the value of event field i as the given test sees it.
func (s *scratch) value(i int, cased bool) string {
	if cased {
		return s.e.Fields[i].Value
	}
	return s.fold(i)
}

// isString reports whether field i takes part in keyword searches.
func isString(f *event.Field) bool { return f.Type == event.String }
