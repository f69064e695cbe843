package query

import (
	"fmt"
	"unicode/utf8"
)

// A token is one lexical unit of a query. Which characters end a word, and
// whether a leading '-' or '[' is an operator, depends on where the parser
// is, so the parser asks for the next token in a scan mode.
type token struct {
	kind     tokenKind
	pos, end int    // src[pos:end] is the token, including quotes and escapes
	text     string // unescaped word or phrase; field name for tokField
	pattern  string // wildcard pattern (escapes kept) when wild
	wild     bool   // the word has an unescaped '*' or '?'
	escaped  bool   // the word has a backslash escape
}

type tokenKind uint8

const (
	tokEOF     tokenKind = iota
	tokLParen            // (
	tokRParen            // )
	tokAnd               // AND, &&
	tokOr                // OR, ||
	tokNot               // NOT, !
	tokMinus             // - before a term
	tokPlus              // + before a term
	tokPhrase            // "quoted"
	tokWord              // unquoted word
	tokField             // name: (the colon is part of the token)
	tokRange             // [ or { opening a range
	tokCompare           // < or > opening a comparison
)

type scanMode uint8

const (
	// modeExpr is the top level: a word followed by ':' is a field name;
	// operators and prefix operators are recognised.
	modeExpr scanMode = iota
	// modeGroup is inside field:( … ): words are values of the field, ':'
	// is literal, and '[', '{', '<', '>' open ranges and comparisons.
	modeGroup
	// modeValue is right after field: : like modeGroup, but '-', '+' and
	// '!' are literal, so that field:-5 is the value -5.
	modeValue
	// modeBound is a range bound or comparison operand: ']' and '}' end a
	// word, and nothing is an operator.
	modeBound
)

// isSpace reports whether c separates tokens. Only ASCII white space does;
// other Unicode spaces are part of words.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// isEscapable reports whether a backslash before c makes c literal. A
// backslash before any other character is itself literal, so that Windows
// paths such as *\cmd.exe need no doubling.
func isEscapable(c byte) bool {
	switch c {
	case '\\', '"', ':', '(', ')', '*', '?', '[', ']', '{', '}', '<', '>', '!', '+', '-', '&', '|':
		return true
	}
	return isSpace(c)
}

// isFieldChar reports whether c may appear in a field name.
func isFieldChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '@' || c == '-' || c >= 0x80
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

// scan returns the token at p.pos, after white space, without consuming
// it: set p.pos to its end for that.
func (p *parser) scan(m scanMode) (token, error) {
	p.skipSpace()
	i := p.pos
	if i >= len(p.src) {
		return token{kind: tokEOF, pos: i, end: i}, nil
	}
	single := func(k tokenKind) (token, error) {
		return token{kind: k, pos: i, end: i + 1, text: p.src[i : i+1]}, nil
	}
	switch c := p.src[i]; c {
	case '(':
		return single(tokLParen)
	case ')':
		return single(tokRParen)
	case '"':
		return p.scanPhrase(i)
	case '-', '+', '!':
		if m == modeExpr || m == modeGroup {
			switch c {
			case '-':
				return single(tokMinus)
			case '+':
				return single(tokPlus)
			}
			return single(tokNot)
		}
	case '[', '{':
		if m == modeGroup || m == modeValue {
			return single(tokRange)
		}
	case '<', '>':
		if m == modeGroup || m == modeValue {
			return single(tokCompare)
		}
	case ':':
		if m == modeExpr {
			return token{}, errorf(i, "unexpected ':' (a field name must come right before it)")
		}
	}
	return p.scanWord(i, m)
}

// scanPhrase scans a quoted string starting at src[i] == '"'. Inside it a
// backslash escapes '"' and '\'; before any other character it is literal.
func (p *parser) scanPhrase(i int) (token, error) {
	p.text = p.text[:0]
	escaped := false
	for j := i + 1; j < len(p.src); j++ {
		c := p.src[j]
		if c == '"' {
			t := token{kind: tokPhrase, pos: i, end: j + 1, text: p.src[i+1 : j]}
			if escaped {
				t.text = string(p.text)
			}
			return t, nil
		}
		if c == '\\' && j+1 < len(p.src) && (p.src[j+1] == '"' || p.src[j+1] == '\\') {
			j++
			c = p.src[j]
			escaped = true
		}
		p.text = append(p.text, c)
	}
	return token{}, errorf(i, "unterminated quoted string")
}

// scanWord scans an unquoted word starting at src[i].
func (p *parser) scanWord(i int, m scanMode) (token, error) {
	p.text, p.pattern = p.text[:0], p.pattern[:0]
	t := token{kind: tokWord, pos: i}
	rewritten := false // p.text differs from the source text
	lastStar := false
	j := i
loop:
	for j < len(p.src) {
		c := p.src[j]
		switch {
		case isSpace(c) || c == '(' || c == ')' || c == '"':
			break loop
		case c == ':' && m == modeExpr:
			return p.fieldToken(t, j)
		case (c == ']' || c == '}') && m == modeBound:
			break loop
		case c == '\\' && j+1 < len(p.src) && isEscapable(p.src[j+1]):
			d := p.src[j+1]
			p.text = append(p.text, d)
			if d == '*' || d == '?' || d == '\\' {
				p.pattern = append(p.pattern, '\\')
			}
			p.pattern = append(p.pattern, d)
			t.escaped, rewritten, lastStar = true, true, false
			j += 2
			continue
		case c == '*' && lastStar:
			rewritten = true
			j++
			continue
		case c == '*' || c == '?':
			t.wild = true
			lastStar = c == '*'
			p.text = append(p.text, c)
			p.pattern = append(p.pattern, c)
			j++
			continue
		case c == '\\':
			p.pattern = append(p.pattern, '\\')
		}
		p.text = append(p.text, c)
		p.pattern = append(p.pattern, c)
		lastStar = false
		j++
	}
	t.end = j
	t.text = p.src[i:j]
	if rewritten {
		t.text = string(p.text)
	}
	if t.wild {
		t.pattern = string(p.pattern)
	}
	if m != modeBound && !t.escaped && !t.wild {
		switch t.text {
		case "AND", "&&":
			t.kind = tokAnd
		case "OR", "||":
			t.kind = tokOr
		case "NOT":
			t.kind = tokNot
		}
	}
	return t, nil
}

// fieldToken finishes a word that ended at the ':' at src[colon].
func (p *parser) fieldToken(t token, colon int) (token, error) {
	name := p.src[t.pos:colon]
	for k := 0; k < len(name); k++ {
		switch c := name[k]; {
		case c == '*' || c == '?':
			return token{}, errorf(t.pos+k, "wildcards are not supported in field names")
		case !isFieldChar(c):
			return token{}, errorf(t.pos+k, "invalid character %q in field name (quote the value, or escape ':' as '\\:')", c)
		}
	}
	return token{kind: tokField, pos: t.pos, end: colon + 1, text: name}, nil
}

// describe names a token for an error message.
func (p *parser) describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokWord, tokPhrase, tokField:
		s := p.src[t.pos:t.end]
		if len(s) > 40 {
			n := 40
			for n > 0 && !utf8.RuneStart(s[n]) {
				n--
			}
			return fmt.Sprintf("%q…", s[:n])
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("'%s'", p.src[t.pos:t.end])
}
