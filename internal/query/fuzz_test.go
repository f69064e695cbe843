package query

import (
	"errors"
	"testing"
)

// maxFuzzLen caps fuzz inputs, as Prometheus' parser fuzzing does: longer
// inputs find nothing new and slow the fuzzer down.
const maxFuzzLen = 10 << 10

// FuzzParse checks that Parse never panics, that its errors are
// positioned SyntaxErrors, and that every tree it returns is normal,
// prints as a query that parses back to the same tree, and compiles and
// matches without panicking.
func FuzzParse(f *testing.F) {
	for _, q := range seedQueries {
		f.Add(q)
	}
	for _, q := range []string{
		"", "*", `a\ b\:c`, `f:"x\"y\\"`, "f:(a OR (b -c) +d)", "f:[a TO b}", "f:{* TO 5]",
		"f:>=-1.5e3", "!a || b && NOT c", "_exists_:x", `"unterminated`, "(a", "a)", "f:[1 5]",
		"@timestamp:[2024-05-01 TO 2024-05-02T00:00:00Z]", "f:(>5 OR [1 TO 2])", "a:b:c", "- a",
	} {
		f.Add(q)
	}
	ev := newEvent("message", "Failed password for admin from 10.0.0.1", "user.name", "admin", "f", "5")
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > maxFuzzLen {
			t.Skip()
		}
		e, err := Parse(q)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) error %T %v, want a *SyntaxError", q, err, err)
			}
			if se.Pos < 0 || se.Pos > len(q) {
				t.Fatalf("Parse(%q) error position %d outside the query", q, se.Pos)
			}
			return
		}
		if err := checkNormal(e, true); err != nil {
			t.Fatalf("Parse(%q) = %s: %v", q, e, err)
		}
		s := e.String()
		back, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, which does not parse: %v", q, s, err)
		}
		if !sameTree(e, back) {
			t.Fatalf("Parse(%q) = %s, which parses as %s", q, s, back)
		}
		if s2 := back.String(); s2 != s {
			t.Fatalf("Parse(%q) prints as %q, then as %q", q, s, s2)
		}
		m, err := Compile(e)
		if err != nil {
			t.Fatalf("Compile(Parse(%q)): %v", q, err)
		}
		m.Match(ev)
		m.Match(newEvent("message", q))
	})
}

// checkNormal checks the normal form Parse promises: And and Or with two
// or more operands, none of their own type, and All only as the whole
// tree or under Not.
func checkNormal(e Expr, top bool) error {
	switch e := e.(type) {
	case *And:
		for _, op := range e.Operands {
			if _, ok := op.(*And); ok {
				return errors.New("And in And")
			}
		}
		return checkOperands(e.Operands)
	case *Or:
		for _, op := range e.Operands {
			if _, ok := op.(*Or); ok {
				return errors.New("Or in Or")
			}
		}
		return checkOperands(e.Operands)
	case *Not:
		if _, ok := e.Operand.(*All); ok {
			return nil
		}
		return checkNormal(e.Operand, false)
	case *All:
		if !top {
			return errors.New("All inside the tree")
		}
	case *Term:
		if e.Wildcard == (e.Pattern == "") || e.Phrase && e.Wildcard {
			return errors.New("inconsistent Term")
		}
	case *Range:
		if e.Lo == "" && e.IncLo || e.Hi == "" && e.IncHi {
			return errors.New("open Range bound marked inclusive")
		}
	}
	return nil
}

func checkOperands(ops []Expr) error {
	if len(ops) < 2 {
		return errors.New("fewer than two operands")
	}
	for _, op := range ops {
		if err := checkNormal(op, false); err != nil {
			return err
		}
	}
	return nil
}
