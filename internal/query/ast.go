package query

// Expr is a parsed query: one of *Term, *Range, *And, *Or, *Not, or *All.
// Walk it with a type switch.
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
