package query

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits that keep a hostile query from tying up the server.
const (
	// MaxQueryLen is the longest query Parse accepts, in bytes.
	MaxQueryLen = 64 << 10
	// MaxDepth is how deeply parentheses, field groups and prefix
	// operators (NOT, -, +, !) may nest.
	MaxDepth = 100
	// MaxPatternLen is the longest wildcard pattern (Term.Pattern) Parse
	// accepts, in bytes. It bounds the automaton that matches the most
	// general patterns (see glob) to 17 words of state.
	MaxPatternLen = 1024
)

// existsField is the pseudo-field of _exists_:name.
const existsField = "_exists_"

// ErrSyntax is matched, with errors.Is, by every error Parse returns.
var ErrSyntax = errors.New("query syntax error")

// SyntaxError is a query Parse rejected, with where and why.
type SyntaxError struct {
	Pos int    // byte offset of the fault in the query, from 0
	Msg string // what is wrong, without the position
}

// Error returns "at position 17: unexpected ')'".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

func errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses a query. The empty query, or one of only white space, and
// "*" give &All{}. Errors are *SyntaxError. The grammar and the meaning of
// each form are in the package documentation.
//
// The tree Parse returns is normalised: And and Or have at least two
// operands and no operand of their own type (nested ones are flattened),
// and All appears only as the whole tree or under Not.
func Parse(s string) (Expr, error) {
	if len(s) > MaxQueryLen {
		return nil, errorf(MaxQueryLen, "query is longer than %d bytes", MaxQueryLen)
	}
	if !utf8.ValidString(s) {
		i := 0
		for {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, errorf(i, "invalid UTF-8")
			}
			i += n
		}
	}
	p := &parser{src: s}
	t, err := p.scan(modeExpr)
	if err != nil {
		return nil, err
	}
	if t.kind == tokEOF {
		return &All{}, nil
	}
	e, err := p.parseOr("")
	if err != nil {
		return nil, err
	}
	if t, err = p.scan(modeExpr); err != nil {
		return nil, err
	}
	if t.kind != tokEOF {
		// parseOr stops only at the end or at a ')'.
		return nil, errorf(t.pos, "unexpected %s", p.describe(t))
	}
	return e, nil
}

// parser is a recursive-descent parser over src. Its grammar:
//
//	or      = and { ("OR" | "||") and }
//	and     = unary { ["AND" | "&&"] unary }
//	unary   = ("NOT" | "!" | "-" | "+") unary | primary
//	primary = "(" or ")" | field ":" value | word | phrase
//	value   = word | phrase | range | compare | "(" or ")"  (in the field)
type parser struct {
	src   string
	pos   int
	depth int
	// op is the last operator consumed since the last term, for "missing
	// term after AND" errors; hasOp says whether there is one.
	op    token
	hasOp bool
	// text and pattern are scratch space for scanWord and scanPhrase.
	text, pattern []byte
}

// mode is the scan mode for terms in the context of field ("" at the top
// level, the field's name inside field:( … )).
func mode(field string) scanMode {
	if field == "" {
		return modeExpr
	}
	return modeGroup
}

func (p *parser) consumeOp(t token) {
	p.pos = t.end
	p.op, p.hasOp = t, true
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return errorf(pos, "query is nested more than %d levels deep", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseOr(field string) (Expr, error) {
	var ops []Expr
	for {
		e, err := p.parseAnd(field)
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
		t, err := p.scan(mode(field))
		if err != nil {
			return nil, err
		}
		if t.kind != tokOr {
			return newOr(ops), nil
		}
		p.consumeOp(t)
	}
}

func (p *parser) parseAnd(field string) (Expr, error) {
	var ops []Expr
	for {
		e, err := p.parseUnary(field)
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
		t, err := p.scan(mode(field))
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokEOF, tokRParen, tokOr:
			return newAnd(ops), nil
		case tokAnd:
			p.consumeOp(t)
		}
		// Anything else starts the next operand: an implicit AND.
	}
}

func (p *parser) parseUnary(field string) (Expr, error) {
	t, err := p.scan(mode(field))
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tokNot, tokMinus, tokPlus:
		p.consumeOp(t)
		if t.kind != tokNot || t.text == "!" {
			// The one-character operators must touch their term.
			if p.pos == len(p.src) || isSpace(p.src[p.pos]) {
				return nil, errorf(t.pos, "missing term after '%s' (write '\\%s' for a literal '%s')", t.text, t.text, t.text)
			}
		}
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		e, err := p.parseUnary(field)
		if err != nil {
			return nil, err
		}
		p.leave()
		if t.kind == tokPlus {
			return e, nil
		}
		return &Not{Operand: e}, nil
	}
	return p.parsePrimary(field)
}

func (p *parser) parsePrimary(field string) (Expr, error) {
	t, err := p.scan(mode(field))
	if err != nil {
		return nil, err
	}
	var e Expr
	switch t.kind {
	case tokEOF, tokRParen, tokAnd, tokOr:
		return nil, p.missingTerm(t)
	case tokLParen:
		e, err = p.parseGroup(field, t)
	case tokPhrase:
		p.pos = t.end
		e = &Term{Field: field, Value: t.text, Phrase: true, Pos: t.pos}
	case tokWord:
		p.pos = t.end
		if field == "" && t.wild && t.pattern == "*" {
			e = &All{}
		} else {
			e, err = wordTerm(field, t, t.pos)
		}
	case tokField:
		p.pos = t.end
		e, err = p.parseValue(t)
	case tokRange:
		e, err = p.parseRange(field, t.pos, t)
	case tokCompare:
		e, err = p.parseCompare(field, t.pos, t)
	default:
		panic(fmt.Sprintf("BUG: query: unexpected token kind %d", t.kind))
	}
	if err != nil {
		return nil, err
	}
	p.hasOp = false
	return e, nil
}

// missingTerm reports t, found where a term was expected.
func (p *parser) missingTerm(t token) error {
	switch {
	case (t.kind == tokEOF || t.kind == tokRParen) && p.hasOp:
		return errorf(p.op.pos, "missing term after %s", p.describeOp(p.op))
	case t.kind == tokAnd || t.kind == tokOr:
		if p.hasOp {
			return errorf(t.pos, "unexpected %s after %s", p.describeOp(t), p.describeOp(p.op))
		}
		return errorf(t.pos, "missing term before %s", p.describeOp(t))
	}
	return errorf(t.pos, "unexpected %s", p.describe(t))
}

func (p *parser) describeOp(t token) string {
	s := p.src[t.pos:t.end]
	if len(s) == 1 {
		return "'" + s + "'"
	}
	return s
}

// parseGroup parses "(" or ")" with open the '(' token.
func (p *parser) parseGroup(field string, open token) (Expr, error) {
	p.pos = open.end
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	t, err := p.scan(mode(field))
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tokEOF:
		return nil, errorf(open.pos, "missing ')' to close this '('")
	case tokRParen:
		return nil, errorf(open.pos, "empty parentheses")
	}
	p.hasOp = false
	e, err := p.parseOr(field)
	if err != nil {
		return nil, err
	}
	if t, err = p.scan(mode(field)); err != nil {
		return nil, err
	}
	if t.kind != tokRParen {
		return nil, errorf(open.pos, "missing ')' to close this '('")
	}
	p.pos = t.end
	p.leave()
	return e, nil
}

// parseValue parses what follows the field token f ("name:").
func (p *parser) parseValue(f token) (Expr, error) {
	name := f.text
	if name == existsField {
		return p.parseExists(f)
	}
	t, err := p.scan(modeValue)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tokLParen:
		return p.parseGroup(name, t)
	case tokPhrase:
		p.pos = t.end
		return &Term{Field: name, Value: t.text, Phrase: true, Pos: f.pos}, nil
	case tokWord:
		p.pos = t.end
		return wordTerm(name, t, f.pos)
	case tokRange:
		return p.parseRange(name, f.pos, t)
	case tokCompare:
		return p.parseCompare(name, f.pos, t)
	}
	return nil, errorf(t.pos, "missing value after %q, found %s", name+":", p.describe(t))
}

// parseExists parses the field name after "_exists_:".
func (p *parser) parseExists(f token) (Expr, error) {
	t, err := p.scan(modeValue)
	if err != nil {
		return nil, err
	}
	if t.kind != tokWord || t.escaped || t.wild || !validField(t.text) {
		return nil, errorf(t.pos, "expected a field name after %q, found %s", existsField+":", p.describe(t))
	}
	p.pos = t.end
	return &Term{Field: t.text, Value: "*", Wildcard: true, Pattern: "*", Pos: f.pos}, nil
}

func validField(name string) bool {
	if name == "" || name == existsField {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isFieldChar(name[i]) {
			return false
		}
	}
	return true
}

func wordTerm(field string, t token, pos int) (Expr, error) {
	if len(t.pattern) > MaxPatternLen {
		return nil, errorf(t.pos, "wildcard pattern is longer than %d bytes (quote the value to match it literally)", MaxPatternLen)
	}
	return &Term{Field: field, Value: t.text, Wildcard: t.wild, Pattern: t.pattern, Pos: pos}, nil
}

// parseRange parses field:[lo TO hi] from the '[' or '{' token open.
func (p *parser) parseRange(field string, pos int, open token) (Expr, error) {
	p.pos = open.end
	r := &Range{Field: field, IncLo: p.src[open.pos] == '[', Pos: pos}
	var err error
	if r.Lo, err = p.parseBound(field, open, "lower"); err != nil {
		return nil, err
	}
	t, err := p.scan(modeBound)
	if err != nil {
		return nil, err
	}
	switch {
	case t.kind == tokEOF:
		return nil, errorf(open.pos, "unterminated range")
	case t.kind != tokWord || t.text != "TO" || t.escaped:
		return nil, errorf(t.pos, "expected TO in range, found %s", p.describe(t))
	}
	p.pos = t.end
	if r.Hi, err = p.parseBound(field, open, "upper"); err != nil {
		return nil, err
	}
	p.skipSpace()
	switch {
	case p.pos == len(p.src):
		return nil, errorf(open.pos, "unterminated range")
	case p.src[p.pos] == ']':
		r.IncHi = true
	case p.src[p.pos] == '}':
	default:
		t, err := p.scan(modeBound)
		if err != nil {
			return nil, err
		}
		return nil, errorf(p.pos, "expected ']' or '}' to close the range, found %s", p.describe(t))
	}
	p.pos++
	r.IncLo = r.IncLo && r.Lo != ""
	r.IncHi = r.IncHi && r.Hi != ""
	return r, nil
}

// parseBound parses one bound of the range opened by open. An unescaped
// "*" is an open bound, returned as "".
func (p *parser) parseBound(field string, open token, which string) (string, error) {
	t, err := p.scan(modeBound)
	if err != nil {
		return "", err
	}
	switch t.kind {
	case tokEOF:
		return "", errorf(open.pos, "unterminated range")
	case tokPhrase:
		if t.text == "" {
			return "", errorf(t.pos, "empty range bound (write * for an open bound)")
		}
	case tokWord:
		if t.end == t.pos || (t.text == "TO" && !t.escaped) {
			return "", errorf(t.pos, "missing %s bound of range", which)
		}
		if t.wild {
			if t.pattern != "*" {
				return "", errorf(t.pos, "wildcards are not allowed in range bounds")
			}
			t.text = ""
		}
	default:
		return "", errorf(t.pos, "unexpected %s in range", p.describe(t))
	}
	if err := checkBound(field, t); err != nil {
		return "", err
	}
	p.pos = t.end
	return t.text, nil
}

// parseCompare parses field:>v, >=, < and <= from the '<' or '>' token.
func (p *parser) parseCompare(field string, pos int, op token) (Expr, error) {
	p.pos = op.end
	opText := p.src[op.pos:op.end]
	inclusive := p.pos < len(p.src) && p.src[p.pos] == '='
	if inclusive {
		p.pos++
		opText += "="
	}
	t, err := p.scan(modeBound)
	if err != nil {
		return nil, err
	}
	switch {
	case t.kind == tokPhrase && t.text != "":
	case t.kind == tokWord && t.end > t.pos && !t.wild:
	case t.kind == tokWord && t.wild:
		return nil, errorf(t.pos, "wildcards are not allowed after '%s'", opText)
	default:
		return nil, errorf(t.pos, "missing value after '%s', found %s", opText, p.describe(t))
	}
	if err := checkBound(field, t); err != nil {
		return nil, err
	}
	p.pos = t.end
	r := &Range{Field: field, Pos: pos}
	if opText[0] == '>' {
		r.Lo, r.IncLo = t.text, inclusive
	} else {
		r.Hi, r.IncHi = t.text, inclusive
	}
	return r, nil
}

// checkBound rejects a bound that can never compare sensibly with the
// field: the special time fields take only times, so that a typo or an
// unsupported form such as "now-1d" is an error rather than a silent string
// comparison.
func checkBound(field string, t token) error {
	if t.text == "" || !isTimeField(field) {
		return nil
	}
	if _, ok := ParseTime(t.text); !ok {
		return errorf(t.pos, "%s bound %q is not an RFC 3339 time or a date (2006-01-02T15:04:05Z or 2006-01-02)", field, t.text)
	}
	return nil
}

// newAnd builds the conjunction of ops: nested Ands are flattened and All
// operands dropped.
func newAnd(ops []Expr) Expr {
	var flat []Expr
	for _, op := range ops {
		switch op := op.(type) {
		case *And:
			flat = append(flat, op.Operands...)
		case *All:
		default:
			flat = append(flat, op)
		}
	}
	switch len(flat) {
	case 0:
		return &All{}
	case 1:
		return flat[0]
	}
	return &And{Operands: flat}
}

// newOr builds the disjunction of ops: nested Ors are flattened, and an All
// operand makes the whole All.
func newOr(ops []Expr) Expr {
	var flat []Expr
	for _, op := range ops {
		switch op := op.(type) {
		case *Or:
			flat = append(flat, op.Operands...)
		case *All:
			return op
		default:
			flat = append(flat, op)
		}
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return &Or{Operands: flat}
}
