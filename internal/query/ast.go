package query

import "slices"

// Expr is a parsed query: one of *Term, *Range, *And, *Or, *Not, or *All.
// Walk it with a type switch, or with Inspect.
//
// A nil Expr matches every event, like *All.
type Expr interface {
	expr()
	// String renders the expression back in query syntax, fully
	// parenthesised, so that Parse(e.String()) is equivalent to e.
	String() string
}

// Term matches a field against a value. Field is "" for a bare word or
// phrase, which matches the full text (the message, or the raw record).
//
// Matching is case-insensitive. Value holds no escapes. When Wildcard is
// true, Value may hold unescaped '*' (any run of characters) and '?' (one
// character); an escaped '\*' in the query is a literal star and sets no
// wildcard (Pattern keeps the escapes for such values). A Phrase
// (quoted) matches as a substring of the full text when Field is "", and as
// the exact value otherwise; a bare word matches full text as a whole word.
//
// Precisely: Wildcard is true only when the query has at least one
// unescaped '*' or '?' in the value, and then Pattern is the authoritative
// form (Value cannot tell a literal star from a wildcard). When Wildcard is
// false, Pattern is "" and every character of Value is literal. A Phrase
// never has wildcards. Parse collapses runs of '*' into one. The query
// _exists_:name, and name:*, parse to Term{Field: name, Value: "*",
// Wildcard: true, Pattern: "*"}: the field has at least one value.
type Term struct {
	Field    string
	Value    string
	Phrase   bool
	Wildcard bool
	// Pattern is the wildcard pattern with '\' escapes for literal '*',
	// '?' and '\'; set only when Wildcard is true.
	Pattern string
	Pos     int // byte offset of the term in the query
}

// Range matches a field whose value lies between Lo and Hi. An empty bound
// ("*" in the query) is open. Values compare as numbers when both sides
// parse as numbers, as RFC 3339 times when both parse as times, and as
// strings otherwise.
//
// Each bound is compared on its own, by the rules of ParseNumber and
// ParseTime. Parse sets IncLo (IncHi) to false when Lo (Hi) is open, so
// that field:>=5 and field:[5 TO *] give equal trees. The shorthands
// field:>5, field:>=5, field:<5 and field:<=5 are ranges with one open bound.
type Range struct {
	Field        string
	Lo, Hi       string
	IncLo, IncHi bool // '[' / ']' are inclusive, '{' / '}' exclusive
	Pos          int
}

// And matches when every operand matches.
type And struct{ Operands []Expr }

// Or matches when any operand matches.
type Or struct{ Operands []Expr }

// Not matches when its operand does not.
type Not struct{ Operand Expr }

// All matches every event: the empty query and "*".
type All struct{}

func (*Term) expr()  {}
func (*Range) expr() {}
func (*And) expr()   {}
func (*Or) expr()    {}
func (*Not) expr()   {}
func (*All) expr()   {}

// Inspect walks e depth-first: it calls f(e) and, when f returns true,
// inspects each operand of e in order. Nil operands are skipped.
func Inspect(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch e := e.(type) {
	case *And:
		for _, op := range e.Operands {
			Inspect(op, f)
		}
	case *Or:
		for _, op := range e.Operands {
			Inspect(op, f)
		}
	case *Not:
		Inspect(e.Operand, f)
	}
}

// Fields returns the field names e refers to, sorted and without
// duplicates. Bare words and phrases (Field "") are not included; the
// special fields (see the package documentation) are.
func Fields(e Expr) []string {
	var names []string
	Inspect(e, func(e Expr) bool {
		switch e := e.(type) {
		case *Term:
			if e.Field != "" {
				names = append(names, e.Field)
			}
		case *Range:
			names = append(names, e.Field)
		}
		return true
	})
	slices.Sort(names)
	return slices.Compact(names)
}
