package query

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// Matcher is a compiled query. Compile does the work that does not depend
// on the event once: values are lowercased, wildcard patterns turned into
// prefix, suffix, substring or automaton checks, and range bounds parsed
// as numbers and times. Within And and Or, cheaper checks run first.
//
// A Matcher is immutable and safe for concurrent use. Matching does not
// allocate, except to format a special field as text (a wildcard on
// @timestamp or _id, say) and to parse a time with a numeric zone offset
// in a range. Its cost is
// linear in the size of the values it reads for everything but
// adversarial cases (a long word whose prefix repeats throughout the text),
// and bounded by O(len(value) × len(pattern)) always.
type Matcher struct {
	root pred
}

// pred is one compiled node.
type pred interface {
	match(ev *event.Event) bool
	// cost is a rough relative price of match, for ordering operands.
	cost() int
	// describe appends the node's plan to b, for Matcher.String.
	describe(b *strings.Builder)
}

// Compile compiles e for matching many events. A nil e, like a nil
// operand, matches every event. Every tree Parse returns compiles; Compile
// rejects only trees built by hand with a nil node pointer, a Range
// without a field, or a Term with Wildcard set and a malformed Pattern or
// one longer than MaxPatternLen.
func Compile(e Expr) (*Matcher, error) {
	p, err := compile(e)
	if err != nil {
		return nil, fmt.Errorf("compiling query: %w", err)
	}
	return &Matcher{root: p}, nil
}

// Match reports whether ev matches m.
func (m *Matcher) Match(ev *event.Event) bool { return m.root.match(ev) }

// String describes the compiled plan, such as
// and(eq(user.name, "admin"), prefix(source.ip, "10.0.0.")), for tests and
// debugging. Its format may change.
func (m *Matcher) String() string {
	var b strings.Builder
	m.root.describe(&b)
	return b.String()
}

// Match reports whether ev matches e. It compiles e on every call: use
// Compile to match more than one event. It panics if Compile rejects e,
// which no tree from Parse does.
func Match(e Expr, ev *event.Event) bool {
	m, err := Compile(e)
	if err != nil {
		panic("BUG: query.Match: " + err.Error())
	}
	return m.Match(ev)
}

func compile(e Expr) (pred, error) {
	switch e := e.(type) {
	case nil, *All:
		return allPred{}, nil
	case *And:
		if e == nil {
			return nil, errors.New("nil *And")
		}
		ops, err := compileAll(e.Operands)
		if err != nil {
			return nil, err
		}
		switch len(ops) {
		case 0:
			return allPred{}, nil
		case 1:
			return ops[0], nil
		}
		return andPred(ops), nil
	case *Or:
		if e == nil {
			return nil, errors.New("nil *Or")
		}
		ops, err := compileAll(e.Operands)
		if err != nil {
			return nil, err
		}
		if len(ops) == 1 {
			return ops[0], nil
		}
		return orPred(ops), nil
	case *Not:
		if e == nil {
			return nil, errors.New("nil *Not")
		}
		p, err := compile(e.Operand)
		if err != nil {
			return nil, err
		}
		return notPred{p}, nil
	case *Term:
		if e == nil {
			return nil, errors.New("nil *Term")
		}
		return compileTerm(e)
	case *Range:
		if e == nil {
			return nil, errors.New("nil *Range")
		}
		if e.Field == "" {
			return nil, errors.New("range without a field")
		}
		return &rangePred{name: e.Field, special: specialOf(e.Field), test: newRangeTest(e)}, nil
	}
	return nil, fmt.Errorf("unknown node %T", e)
}

// compileAll compiles operands and orders them cheapest first.
func compileAll(exprs []Expr) ([]pred, error) {
	ops := make([]pred, 0, len(exprs))
	for _, e := range exprs {
		p, err := compile(e)
		if err != nil {
			return nil, err
		}
		ops = append(ops, p)
	}
	slices.SortStableFunc(ops, func(a, b pred) int { return cmp.Compare(a.cost(), b.cost()) })
	return ops, nil
}

type allPred struct{}

func (allPred) match(*event.Event) bool       { return true }
func (allPred) cost() int                     { return 0 }
func (allPred) describe(b *strings.Builder)   { b.WriteString("all") }
func (p andPred) describe(b *strings.Builder) { describeList(b, "and", p) }
func (p orPred) describe(b *strings.Builder)  { describeList(b, "or", p) }

type andPred []pred

func (p andPred) match(ev *event.Event) bool {
	for _, op := range p {
		if !op.match(ev) {
			return false
		}
	}
	return true
}

func (p andPred) cost() int { return sumCost(p) }

type orPred []pred

func (p orPred) match(ev *event.Event) bool {
	for _, op := range p {
		if op.match(ev) {
			return true
		}
	}
	return false
}

func (p orPred) cost() int { return sumCost(p) }

type notPred struct{ op pred }

func (p notPred) match(ev *event.Event) bool { return !p.op.match(ev) }
func (p notPred) cost() int                  { return p.op.cost() }
func (p notPred) describe(b *strings.Builder) {
	b.WriteString("not(")
	p.op.describe(b)
	b.WriteString(")")
}

func sumCost(ps []pred) int {
	n := 0
	for _, p := range ps {
		n += p.cost()
	}
	return n
}

func describeList(b *strings.Builder, name string, ps []pred) {
	b.WriteString(name)
	b.WriteByte('(')
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		p.describe(b)
	}
	b.WriteByte(')')
}

// valueMatcher matches one field value.
type valueMatcher struct {
	kind  valueKind
	lit   string       // valueExact: the lowercased value
	stars *starPattern // valueStars
	glob  *glob        // valueGlob
	text  string       // the pattern, for describe
}

type valueKind uint8

const (
	valueExact valueKind = iota // equal, ignoring case
	valueAny                    // any value: the pattern "*"
	valueStars                  // a pattern with '*' only
	valueGlob                   // any other pattern
)

func newValueMatcher(t *Term) (valueMatcher, error) {
	if !t.Wildcard {
		return valueMatcher{kind: valueExact, lit: strings.ToLower(t.Value)}, nil
	}
	items, err := parsePattern(t.Pattern)
	if err != nil {
		return valueMatcher{}, err
	}
	m := valueMatcher{kind: valueGlob, text: t.Pattern}
	if len(items) == 1 && items[0].wildcard == '*' {
		m.kind = valueAny
	} else if sp, ok := newStarPattern(items); ok {
		m.kind, m.stars = valueStars, sp
	} else {
		m.glob = newGlob(items)
	}
	return m, nil
}

func (m *valueMatcher) match(s string) bool {
	switch m.kind {
	case valueExact:
		return equalFold(s, m.lit)
	case valueAny:
		return true
	case valueStars:
		return m.stars.match(s)
	}
	return m.glob.match(s, false)
}

func (m *valueMatcher) cost() int {
	switch m.kind {
	case valueAny:
		return 5
	case valueExact:
		return 10
	case valueStars:
		if s := m.stars.shape(); s == "prefix" || s == "suffix" {
			return 12
		}
		return 20
	}
	return 50
}

// fieldTerm is a Term with a field.
type fieldTerm struct {
	name    string
	special special
	value   valueMatcher
	// For time fields, a value that is a time matches [from, to): that
	// instant, or the whole day of a date alone.
	from, to time.Time
	isTime   bool
	// For _id, a value that is an integer.
	id   int64
	isID bool
}

func compileTerm(t *Term) (pred, error) {
	if t.Wildcard && t.Pattern == "" {
		return nil, fmt.Errorf("wildcard term %q has no pattern", t.Value)
	}
	if t.Wildcard && len(t.Pattern) > MaxPatternLen {
		return nil, fmt.Errorf("wildcard pattern is longer than %d bytes", MaxPatternLen)
	}
	if t.Field == "" {
		return compileText(t)
	}
	m, err := newValueMatcher(t)
	if err != nil {
		return nil, fmt.Errorf("term %s: %w", t.Field, err)
	}
	ft := &fieldTerm{name: t.Field, special: specialOf(t.Field), value: m}
	if ft.special.isTime() && !t.Wildcard {
		if tm, ok := ParseTime(t.Value); ok {
			ft.from, ft.to, ft.isTime = tm, tm.Add(time.Nanosecond), true
			if len(t.Value) == len(time.DateOnly) {
				ft.to = tm.AddDate(0, 0, 1)
			}
		}
	}
	if ft.special == specialID && !t.Wildcard {
		if n, err := strconv.ParseInt(t.Value, 10, 64); err == nil {
			ft.id, ft.isID = n, true
		}
	}
	return ft, nil
}

func (t *fieldTerm) match(ev *event.Event) bool {
	if t.special == plain {
		for _, f := range ev.Values(t.name) {
			if t.value.match(f.Value) {
				return true
			}
		}
		return false
	}
	switch {
	case t.value.kind == valueAny:
		return t.special.present(ev)
	case t.isTime:
		tm := t.special.eventTime(ev)
		return !tm.IsZero() && !tm.Before(t.from) && tm.Before(t.to)
	case t.isID:
		return ev.ID != 0 && int64(ev.ID) == t.id
	}
	s, ok := t.special.value(ev)
	return ok && t.value.match(s)
}

func (t *fieldTerm) cost() int {
	if t.special == specialOriginal {
		return t.value.cost() * 10
	}
	return t.value.cost()
}

func (t *fieldTerm) describe(b *strings.Builder) {
	switch {
	case t.isTime:
		fmt.Fprintf(b, "time(%s, %s, %s)", t.name, t.from.Format(time.RFC3339Nano), t.to.Format(time.RFC3339Nano))
	case t.isID:
		fmt.Fprintf(b, "id(%s, %d)", t.name, t.id)
	case t.value.kind == valueExact:
		fmt.Fprintf(b, "eq(%s, %q)", t.name, t.value.lit)
	case t.value.kind == valueAny:
		fmt.Fprintf(b, "exists(%s)", t.name)
	case t.value.kind == valueStars:
		fmt.Fprintf(b, "%s(%s, %q)", t.value.stars.shape(), t.name, t.value.text)
	default:
		fmt.Fprintf(b, "glob(%s, %q)", t.name, t.value.text)
	}
}

// textTerm is a bare word, wildcard word or phrase, searched in the full
// text (see fullText).
type textTerm struct {
	kind textKind
	// For textSubstring: the lowercased text, and whether its start and
	// end must be word boundaries.
	lit            string
	atStart, atEnd bool
	glob           *glob // for textGlob
	text           string
}

type textKind uint8

const (
	textAll       textKind = iota // the empty phrase
	textSubstring                 // a word, phrase, or pattern with '*' only at its ends
	textGlob                      // any other pattern
)

func compileText(t *Term) (pred, error) {
	tt := &textTerm{kind: textSubstring, text: t.Value}
	switch {
	case t.Phrase:
		tt.lit = strings.ToLower(t.Value)
	case !t.Wildcard:
		tt.lit = strings.ToLower(t.Value)
		tt.atStart, tt.atEnd = true, true
	default:
		tt.text = t.Pattern
		items, err := parsePattern(t.Pattern)
		if err != nil {
			return nil, fmt.Errorf("term %q: %w", t.Value, err)
		}
		sp, ok := newStarPattern(items)
		switch {
		case len(items) == 1 && items[0].wildcard == '*':
			tt.kind = textAll
		case ok && len(sp.parts) == 1:
			// "ab*" needs a boundary before "ab": the '*' can always run on
			// to the next white space, which is a boundary. Likewise for
			// "*ab" and the boundary after.
			tt.lit, tt.atStart, tt.atEnd = sp.parts[0], !sp.leading, !sp.trailing
		default:
			tt.kind, tt.glob = textGlob, newGlob(items)
		}
	}
	if tt.kind == textSubstring && tt.lit == "" {
		tt.kind = textAll
	}
	return tt, nil
}

func (t *textTerm) match(ev *event.Event) bool {
	switch t.kind {
	case textAll:
		return true
	case textSubstring:
		return textMatch(fullText(ev), t.lit, t.atStart, t.atEnd)
	}
	return t.glob.match(fullText(ev), true)
}

func (t *textTerm) cost() int {
	if t.kind == textGlob {
		return 400
	}
	return 100
}

func (t *textTerm) describe(b *strings.Builder) {
	switch {
	case t.kind == textAll:
		b.WriteString("all")
	case t.kind == textGlob:
		fmt.Fprintf(b, "text-glob(%q)", t.text)
	case t.atStart && t.atEnd:
		fmt.Fprintf(b, "word(%q)", t.lit)
	case t.atStart:
		fmt.Fprintf(b, "word-prefix(%q)", t.lit)
	case t.atEnd:
		fmt.Fprintf(b, "word-suffix(%q)", t.lit)
	default:
		fmt.Fprintf(b, "substring(%q)", t.lit)
	}
}

// rangePred is a Range.
type rangePred struct {
	name    string
	special special
	test    rangeTest
}

func (r *rangePred) match(ev *event.Event) bool {
	switch {
	case r.special == plain:
		for _, f := range ev.Values(r.name) {
			if r.test.matchString(f.Value) {
				return true
			}
		}
		return false
	case r.special.isTime() && r.test.timesOnly():
		tm := r.special.eventTime(ev)
		return !tm.IsZero() && r.test.matchTime(tm)
	case r.special == specialID && r.test.numbersOnly():
		return ev.ID != 0 && r.test.matchNumber(float64(ev.ID))
	}
	s, ok := r.special.value(ev)
	return ok && r.test.matchString(s)
}

func (r *rangePred) cost() int { return 15 }

func (r *rangePred) describe(b *strings.Builder) {
	fmt.Fprintf(b, "range(%s, %s)", r.name, strings.TrimPrefix((&Range{
		Lo: r.test.lo.text, Hi: r.test.hi.text, IncLo: r.test.lo.inclusive, IncHi: r.test.hi.inclusive,
	}).String(), ":"))
}
