package intel

import (
	"fmt"
	"slices"
	"strings"
)

// Limits of the pattern parser, for patterns from untrusted files.
const (
	maxPatternBytes = 64 << 10
	maxPatternDepth = 64
)

// PatternError is a syntax error in a STIX pattern, at byte Offset.
type PatternError struct {
	Offset int
	Msg    string
}

func (e *PatternError) Error() string { return fmt.Sprintf("pattern offset %d: %s", e.Offset, e.Msg) }

// patternValue is one value a STIX pattern names, normalised.
type patternValue struct {
	Type  Type
	Value string
}

// patternResult is what part of a pattern reduces to: the values any of
// which it matches, or the reason it cannot be matched as a set of values.
type patternResult struct {
	values      []patternValue
	unsupported string
}

// parsePattern parses a STIX 2.1 pattern. It returns the values the
// pattern matches when it is one of the forms Vigie matches (comparisons
// of one value joined by OR, or by AND when they name the same value); a
// reason when it is valid but not in that subset; or an error (a
// *PatternError, or a value that is not valid for its object type) when it
// is not valid STIX patterning.
//
// The whole grammar of STIX patterning is read (observation operators and
// qualifiers, every comparison operator, every literal), so that a valid
// pattern outside the subset is skipped rather than rejected.
func parsePattern(pattern string) (values []patternValue, unsupported string, err error) {
	if len(pattern) > maxPatternBytes {
		return nil, "", &PatternError{Offset: maxPatternBytes, Msg: fmt.Sprintf("pattern over %d bytes", maxPatternBytes)}
	}
	p := &patternParser{lex: lexer{src: pattern}}
	p.next()
	res, err := p.followedBy(0)
	if err != nil {
		return nil, "", err
	}
	if p.tok.kind != tEOF {
		return nil, "", p.errorf("unexpected %s after the pattern", p.tok)
	}
	if res.unsupported != "" {
		return nil, res.unsupported, nil
	}
	return res.values, "", nil
}

type tokenKind uint8

const (
	tEOF tokenKind = iota
	tLBracket
	tRBracket
	tLParen
	tRParen
	tComma
	tColon
	tDot
	tStar
	tOp     // = != < > <= >=
	tIdent  // identifiers and keywords
	tString // 'text', unescaped in text
	tNumber
	tTyped // b'…', h'…', t'…': binary, hex and timestamp literals
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tString:
		return fmt.Sprintf("string %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

type lexer struct {
	src string
	pos int
}

// next returns the next token, or an error for text that is no token.
func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && strings.IndexByte(" \t\r\n", l.src[l.pos]) >= 0 {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	if k := punctuation(c); k != tEOF {
		l.pos++
		return token{kind: k, text: l.src[start:l.pos], pos: start}, nil
	}
	switch {
	case c == '=':
		l.pos++
		return token{kind: tOp, text: "=", pos: start}, nil
	case c == '!' || c == '<' || c == '>':
		l.pos++
		if l.pos < len(l.src) && l.src[l.pos] == '=' {
			l.pos++
		} else if c == '!' {
			return token{}, &PatternError{Offset: start, Msg: "'!' not followed by '='"}
		}
		return token{kind: tOp, text: l.src[start:l.pos], pos: start}, nil
	case c == '\'':
		s, err := l.str()
		return token{kind: tString, text: s, pos: start}, err
	case (c == 'b' || c == 'h' || c == 't') && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'':
		l.pos++
		s, err := l.str()
		return token{kind: tTyped, text: string(c) + s, pos: start}, err
	case c == '-' || c == '+' || c >= '0' && c <= '9':
		l.pos++
		for l.pos < len(l.src) && (l.src[l.pos] >= '0' && l.src[l.pos] <= '9' || l.src[l.pos] == '.' ||
			l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
			l.pos++
		}
		if l.pos == start+1 && (c == '-' || c == '+') {
			return token{}, &PatternError{Offset: start, Msg: fmt.Sprintf("%q not followed by a number", c)}
		}
		return token{kind: tNumber, text: l.src[start:l.pos], pos: start}, nil
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for l.pos < len(l.src) {
			d := l.src[l.pos]
			if d == '_' || d == '-' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d >= '0' && d <= '9' {
				l.pos++
				continue
			}
			break
		}
		return token{kind: tIdent, text: l.src[start:l.pos], pos: start}, nil
	}
	return token{}, &PatternError{Offset: start, Msg: fmt.Sprintf("unexpected character %q", c)}
}

// punctuation returns the kind of a one-byte token, tEOF for another byte.
func punctuation(c byte) tokenKind {
	switch c {
	case '[':
		return tLBracket
	case ']':
		return tRBracket
	case '(':
		return tLParen
	case ')':
		return tRParen
	case ',':
		return tComma
	case ':':
		return tColon
	case '.':
		return tDot
	case '*':
		return tStar
	}
	return tEOF
}

// str reads a quoted string at l.pos; \' and \\ are its only escapes.
func (l *lexer) str() (string, error) {
	start := l.pos
	l.pos++ // the opening quote
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '\'':
			l.pos++
			return b.String(), nil
		case '\\':
			if l.pos+1 >= len(l.src) || (l.src[l.pos+1] != '\'' && l.src[l.pos+1] != '\\') {
				return "", &PatternError{Offset: l.pos, Msg: `invalid escape in string: only \' and \\ are allowed`}
			}
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return "", &PatternError{Offset: start, Msg: "unterminated string"}
}

type patternParser struct {
	lex lexer
	tok token
	err error // the first lexing error
}

func (p *patternParser) next() {
	if p.err != nil {
		return
	}
	t, err := p.lex.next()
	if err != nil {
		p.err = err
		p.tok = token{kind: tEOF, pos: p.lex.pos}
		return
	}
	p.tok = t
}

func (p *patternParser) errorf(format string, args ...any) error {
	if p.err != nil {
		return p.err
	}
	return &PatternError{Offset: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

// keyword reports whether the current token is the keyword kw (keywords
// are matched regardless of case).
func (p *patternParser) keyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *patternParser) expect(k tokenKind, what string) error {
	if p.tok.kind != k {
		return p.errorf("expected %s, found %s", what, p.tok)
	}
	p.next()
	return nil
}

// followedBy: observations joined by FOLLOWEDBY, the weakest operator.
func (p *patternParser) followedBy(depth int) (patternResult, error) {
	return p.binary(depth, "FOLLOWEDBY", p.obsOr, func(a, b patternResult) patternResult {
		return unsupportedResult("observations joined by FOLLOWEDBY")
	})
}

func (p *patternParser) obsOr(depth int) (patternResult, error) {
	return p.binary(depth, "OR", p.obsAnd, union)
}

func (p *patternParser) obsAnd(depth int) (patternResult, error) {
	return p.binary(depth, "AND", p.obsQualified, func(a, b patternResult) patternResult {
		return unsupportedResult("observations joined by AND")
	})
}

// binary parses operands of sub joined by the keyword op, left to right,
// and combines their results with join.
func (p *patternParser) binary(depth int, op string, sub func(int) (patternResult, error),
	join func(a, b patternResult) patternResult) (patternResult, error) {
	res, err := sub(depth)
	if err != nil {
		return res, err
	}
	for p.keyword(op) {
		p.next()
		right, err := sub(depth)
		if err != nil {
			return res, err
		}
		res = join(res, right)
	}
	return res, nil
}

func (p *patternParser) obsQualified(depth int) (patternResult, error) {
	res, err := p.obsPrimary(depth)
	if err != nil {
		return res, err
	}
	for {
		switch {
		case p.keyword("WITHIN"):
			p.next()
			if err := p.expect(tNumber, "a number of seconds after WITHIN"); err != nil {
				return res, err
			}
			if !p.keyword("SECONDS") {
				return res, p.errorf("expected SECONDS, found %s", p.tok)
			}
			p.next()
			res = unsupportedResult("qualifier WITHIN")
		case p.keyword("REPEATS"):
			p.next()
			if err := p.expect(tNumber, "a count after REPEATS"); err != nil {
				return res, err
			}
			if !p.keyword("TIMES") {
				return res, p.errorf("expected TIMES, found %s", p.tok)
			}
			p.next()
			res = unsupportedResult("qualifier REPEATS")
		case p.keyword("START"):
			p.next()
			if err := p.expectTimestamp("START"); err != nil {
				return res, err
			}
			if !p.keyword("STOP") {
				return res, p.errorf("expected STOP, found %s", p.tok)
			}
			p.next()
			if err := p.expectTimestamp("STOP"); err != nil {
				return res, err
			}
			res = unsupportedResult("qualifier START/STOP")
		default:
			return res, nil
		}
	}
}

func (p *patternParser) expectTimestamp(after string) error {
	if p.tok.kind != tTyped || p.tok.text[0] != 't' {
		return p.errorf("expected a timestamp t'…' after %s, found %s", after, p.tok)
	}
	p.next()
	return nil
}

func (p *patternParser) obsPrimary(depth int) (patternResult, error) {
	if depth > maxPatternDepth {
		return patternResult{}, p.errorf("pattern nested over %d levels", maxPatternDepth)
	}
	switch p.tok.kind {
	case tLBracket:
		p.next()
		res, err := p.compOr(depth + 1)
		if err != nil {
			return res, err
		}
		return res, p.expect(tRBracket, "']'")
	case tLParen:
		p.next()
		res, err := p.followedBy(depth + 1)
		if err != nil {
			return res, err
		}
		return res, p.expect(tRParen, "')'")
	}
	return patternResult{}, p.errorf("expected '[' or '(' to open an observation, found %s", p.tok)
}

func (p *patternParser) compOr(depth int) (patternResult, error) {
	return p.binary(depth, "OR", p.compAnd, union)
}

func (p *patternParser) compAnd(depth int) (patternResult, error) {
	return p.binary(depth, "AND", p.compPrimary, intersect)
}

func (p *patternParser) compPrimary(depth int) (patternResult, error) {
	if depth > maxPatternDepth {
		return patternResult{}, p.errorf("pattern nested over %d levels", maxPatternDepth)
	}
	if p.tok.kind == tLParen {
		p.next()
		res, err := p.compOr(depth + 1)
		if err != nil {
			return res, err
		}
		return res, p.expect(tRParen, "')'")
	}
	return p.comparison()
}

// objectPath is "type:property.property[index]…", with the positions of
// its parts for errors.
type objectPath struct {
	objType string
	props   []string // "[*]" and "[0]" are kept as elements
	pos     int
}

func (o objectPath) String() string { return o.objType + ":" + strings.Join(o.props, ".") }

func (p *patternParser) path() (objectPath, error) {
	op := objectPath{pos: p.tok.pos}
	if p.tok.kind != tIdent {
		return op, p.errorf("expected an object path such as ipv4-addr:value, found %s", p.tok)
	}
	op.objType = p.tok.text
	p.next()
	if err := p.expect(tColon, "':' after the object type"); err != nil {
		return op, err
	}
	for {
		switch p.tok.kind {
		case tIdent, tString:
			op.props = append(op.props, p.tok.text)
		default:
			return op, p.errorf("expected a property name, found %s", p.tok)
		}
		p.next()
		for p.tok.kind == tLBracket {
			p.next()
			if p.tok.kind != tStar && p.tok.kind != tNumber {
				return op, p.errorf("expected '*' or an index, found %s", p.tok)
			}
			op.props = append(op.props, "["+p.tok.text+"]")
			p.next()
			if err := p.expect(tRBracket, "']'"); err != nil {
				return op, err
			}
		}
		if p.tok.kind != tDot {
			return op, nil
		}
		p.next()
	}
}

// literal is one constant of a comparison.
type literal struct {
	tok token
}

func (p *patternParser) literal() (literal, error) {
	switch p.tok.kind {
	case tString, tNumber, tTyped:
	case tIdent:
		if !p.keyword("true") && !p.keyword("false") {
			return literal{}, p.errorf("expected a constant, found %s", p.tok)
		}
	default:
		return literal{}, p.errorf("expected a constant, found %s", p.tok)
	}
	l := literal{tok: p.tok}
	p.next()
	return l, nil
}

func (p *patternParser) comparison() (patternResult, error) {
	if p.keyword("EXISTS") {
		p.next()
		if _, err := p.path(); err != nil {
			return patternResult{}, err
		}
		return unsupportedResult("operator EXISTS"), nil
	}
	path, err := p.path()
	if err != nil {
		return patternResult{}, err
	}
	negated := false
	if p.keyword("NOT") {
		negated = true
		p.next()
	}
	var op string
	switch {
	case p.tok.kind == tOp:
		op = p.tok.text
	case p.tok.kind == tIdent && slices.Contains([]string{"IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"}, strings.ToUpper(p.tok.text)):
		op = strings.ToUpper(p.tok.text)
	default:
		return patternResult{}, p.errorf("expected a comparison operator after %s, found %s", path, p.tok)
	}
	p.next()
	var lits []literal
	if op == "IN" {
		if err := p.expect(tLParen, "'(' after IN"); err != nil {
			return patternResult{}, err
		}
		for {
			l, err := p.literal()
			if err != nil {
				return patternResult{}, err
			}
			lits = append(lits, l)
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
		if err := p.expect(tRParen, "')' to close the IN list"); err != nil {
			return patternResult{}, err
		}
	} else {
		l, err := p.literal()
		if err != nil {
			return patternResult{}, err
		}
		lits = append(lits, l)
	}
	if negated {
		return unsupportedResult("negated comparison (NOT)"), nil
	}
	return reduceComparison(path, op, lits)
}

// reduceComparison turns one comparison into the values it matches.
func reduceComparison(path objectPath, op string, lits []literal) (patternResult, error) {
	t, ok := pathType(path)
	if !ok {
		return unsupportedResult("object path " + path.String()), nil
	}
	if t == "" {
		return unsupportedResult("hash algorithm " + path.props[len(path.props)-1]), nil
	}
	switch op {
	case "=", "IN":
	case "ISSUBSET":
		if t != IP {
			return unsupportedResult("ISSUBSET on " + path.String()), nil
		}
	default:
		return unsupportedResult("operator " + op), nil
	}
	var res patternResult
	for _, l := range lits {
		if l.tok.kind != tString {
			return unsupportedResult(fmt.Sprintf("%s compared with %s, not a string", path, l.tok)), nil
		}
		vt := t
		if t == IP && strings.Contains(l.tok.text, "/") {
			vt = CIDR
		}
		v, err := Normalise(vt, l.tok.text)
		if err != nil {
			return res, &PatternError{Offset: l.tok.pos, Msg: fmt.Sprintf("%s: %v", path, err)}
		}
		if v := (patternValue{vt, v}); !slices.Contains(res.values, v) {
			res.values = append(res.values, v)
		}
	}
	return res, nil
}

// pathType returns the indicator type of an object path; "" with true for
// a file hash of an algorithm Vigie does not match.
func pathType(path objectPath) (Type, bool) {
	props := strings.Join(path.props, ".")
	switch path.objType {
	case "ipv4-addr", "ipv6-addr":
		return IP, props == "value"
	case "domain-name":
		return Domain, props == "value"
	case "url":
		return URL, props == "value"
	case "email-addr":
		return Email, props == "value"
	case "email-message":
		return Email, props == "from_ref.value" || props == "sender_ref.value"
	case "user-account":
		return Account, props == "account_login"
	case "file":
		if len(path.props) != 2 || path.props[0] != "hashes" {
			return "", false
		}
		switch strings.ReplaceAll(strings.ToUpper(path.props[1]), "-", "") {
		case "MD5":
			return MD5, true
		case "SHA1":
			return SHA1, true
		case "SHA256":
			return SHA256, true
		}
		return "", true
	}
	return "", false
}

func unsupportedResult(reason string) patternResult { return patternResult{unsupported: reason} }

// union is the result of a OR b.
func union(a, b patternResult) patternResult {
	if a.unsupported != "" {
		return a
	}
	if b.unsupported != "" {
		return b
	}
	for _, v := range b.values {
		if !slices.Contains(a.values, v) {
			a.values = append(a.values, v)
		}
	}
	return a
}

// intersect is the result of a AND b: only when both name the same
// values can it be matched as those values.
func intersect(a, b patternResult) patternResult {
	if a.unsupported != "" {
		return a
	}
	if b.unsupported != "" {
		return b
	}
	if len(a.values) != len(b.values) {
		return unsupportedResult("comparisons of different values joined by AND")
	}
	for _, v := range b.values {
		if !slices.Contains(a.values, v) {
			return unsupportedResult("comparisons of different values joined by AND")
		}
	}
	return a
}
