package query

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

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
// in a range. Its cost is linear in the size of the values it reads, but
// for adversarial cases (a long word whose prefix repeats throughout the
// text), and at most O(len(value) × len(term)).
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
// and(eq(user.name, "admin"), prefix(source.ip, "10.0.0.*")), for tests
// and debugging. Its format may change.
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
