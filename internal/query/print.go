package query

import "strings"

// The String methods print a tree in query syntax that Parse reads back to
// an equal tree (positions aside): every And, Or and Not is parenthesised,
// and characters that would mean something else are escaped. Trees built by
// hand print the same way; a non-phrase value that Parse could only read as
// an operator (AND, OR, NOT) or the empty value is printed quoted.

// String returns the term in query syntax, e.g. user.name:admin.
func (t *Term) String() string {
	var b strings.Builder
	bare := t.Field == ""
	if !bare {
		b.WriteString(t.Field)
		b.WriteByte(':')
	}
	switch {
	case t.Phrase:
		writeQuoted(&b, t.Value)
	case t.Wildcard && t.Pattern != "":
		writePattern(&b, t.Pattern, bare)
	case t.Value == "" || t.Value == "AND" || t.Value == "OR" || t.Value == "NOT":
		writeQuoted(&b, t.Value)
	default:
		writeLiteral(&b, t.Value, bare)
	}
	return b.String()
}

// String returns the range in query syntax: field:[lo TO hi] when both
// bounds are set, field:>lo or field:<=hi and so on when one is open.
func (r *Range) String() string {
	var b strings.Builder
	b.WriteString(r.Field)
	b.WriteByte(':')
	switch {
	case r.Lo == "" && r.Hi == "":
		b.WriteString("[* TO *]")
	case r.Hi == "":
		b.WriteByte('>')
		if r.IncLo {
			b.WriteByte('=')
		}
		writeBound(&b, r.Lo)
	case r.Lo == "":
		b.WriteByte('<')
		if r.IncHi {
			b.WriteByte('=')
		}
		writeBound(&b, r.Hi)
	default:
		b.WriteByte("{["[btoi(r.IncLo)])
		writeBound(&b, r.Lo)
		b.WriteString(" TO ")
		writeBound(&b, r.Hi)
		b.WriteByte("}]"[btoi(r.IncHi)])
	}
	return b.String()
}

// String returns (a AND b …). An And with no operands prints as "*".
func (a *And) String() string { return join(a.Operands, " AND ", "*") }

// String returns (a OR b …). An Or with no operands, which matches
// nothing, prints as (NOT *).
func (o *Or) String() string { return join(o.Operands, " OR ", "(NOT *)") }

// String returns (NOT a).
func (n *Not) String() string { return "(NOT " + exprString(n.Operand) + ")" }

// String returns "*".
func (*All) String() string { return "*" }

func exprString(e Expr) string {
	if e == nil {
		return "*"
	}
	return e.String()
}

func join(ops []Expr, sep, empty string) string {
	switch len(ops) {
	case 0:
		return empty
	case 1:
		return exprString(ops[0])
	}
	var b strings.Builder
	b.WriteByte('(')
	for i, op := range ops {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(exprString(op))
	}
	b.WriteByte(')')
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeQuoted writes s as a quoted phrase.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// writeLiteral writes s as an unquoted word whose every character is
// literal: a bare word when bare, else a value after "field:".
func writeLiteral(b *strings.Builder, s string, bare bool) {
	for i := 0; i < len(s); i++ {
		writeLiteralByte(b, s[i], bare, i == 0)
	}
}

// writePattern writes a wildcard pattern (escapes as in Term.Pattern).
func writePattern(b *strings.Builder, pattern string, bare bool) {
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '*' || c == '?':
			b.WriteByte(c)
			continue
		case c == '\\' && i+1 < len(pattern):
			i++
			c = pattern[i]
		}
		writeLiteralByte(b, c, bare, i == 0 || i == 1 && pattern[0] == '\\')
	}
}

// writeLiteralByte writes c so that it reads back as a literal character.
// start says whether c begins the word, where more characters are special.
func writeLiteralByte(b *strings.Builder, c byte, bare, start bool) {
	special := isSpace(c)
	switch c {
	case '\\', '(', ')', '"', '*', '?':
		special = true
	case ':':
		special = bare
	case '-', '+', '!':
		special = bare && start
	case '[', '{', '<', '>':
		special = !bare && start
	case '&', '|':
		special = start
	}
	if special {
		b.WriteByte('\\')
	}
	b.WriteByte(c)
}

// writeBound writes a range bound, quoted when it holds a character that
// would end it or mean something else.
func writeBound(b *strings.Builder, s string) {
	plain := s != "TO" && s != "AND" && s != "OR" && s != "NOT" && s != "&&" && s != "||" && s[0] != '='
	for i := 0; plain && i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"', '(', ')', '[', ']', '{', '}', '*', '?':
			plain = false
		default:
			plain = !isSpace(c)
		}
	}
	if plain {
		b.WriteString(s)
		return
	}
	writeQuoted(b, s)
}
