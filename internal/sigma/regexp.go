package sigma

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// TranslateRegexp rewrites the value of an re item, a regular expression
// in Sigma's PCRE flavour, with the item's ReFlags (some of "i", "m",
// "s"), into the RE2 syntax of Go's regexp package, and checks that it
// compiles. The parser only checks; the compiler calls it again to build
// the matcher, since Value.Text keeps the expression as written.
//
// What RE2 lacks but can be rewritten is: \Z (end of text or before a
// final newline) becomes (?:\n?\z), \e becomes \x1B, and (?#...) comments
// are dropped. A construct of PCRE that RE2 cannot evaluate (lookaround,
// backreferences, atomic groups, possessive quantifiers, recursion, \G,
// \K...) gives an error that matches errors.ErrUnsupported and names the
// construct; any other error is a syntax error of the expression.
func TranslateRegexp(expr, flags string) (string, error) {
	re := translateRegexp(expr)
	if flags != "" {
		re = "(?" + flags + ")" + re
	}
	if _, err := syntax.Parse(re, syntax.Perl); err != nil {
		if construct := pcreOnly(expr); construct != "" {
			return "", &unsupportedRegexpError{construct}
		}
		var serr *syntax.Error
		if errors.As(err, &serr) {
			return "", fmt.Errorf("invalid regular expression: %s: `%s`", serr.Code, serr.Expr)
		}
		return "", fmt.Errorf("invalid regular expression: %w", err)
	}
	return re, nil
}

// unsupportedRegexpError is a valid PCRE construct that RE2 cannot evaluate.
type unsupportedRegexpError struct {
	construct string
}

func (e *unsupportedRegexpError) Error() string {
	return "regular expression uses " + e.construct + ", which Go's RE2 engine does not support"
}

func (e *unsupportedRegexpError) Is(target error) bool { return target == errors.ErrUnsupported }

// translateRegexp applies the rewrites of TranslateRegexp.
func translateRegexp(expr string) string {
	if !strings.Contains(expr, `\Z`) && !strings.Contains(expr, `\e`) && !strings.Contains(expr, "(?#") {
		return expr
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '\\' && i+1 < len(expr):
			_, size := utf8.DecodeRuneInString(expr[i+1:])
			switch next := expr[i+1]; {
			case next == 'Z' && !inClass:
				b.WriteString(`(?:\n?\z)`)
			case next == 'e':
				b.WriteString(`\x1B`)
			default:
				b.WriteString(expr[i : i+1+size])
			}
			i += 1 + size
			continue
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			i++
			// A "]" first in a class (after an optional "^") is literal.
			if i < len(expr) && expr[i] == '^' {
				b.WriteByte('^')
				i++
			}
			if i < len(expr) && expr[i] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		case !inClass && strings.HasPrefix(expr[i:], "(?#"):
			end := strings.IndexByte(expr[i:], ')')
			if end < 0 {
				b.WriteString(expr[i:])
				return b.String()
			}
			i += end + 1
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// pcreOnly names the first construct of expr that PCRE evaluates and RE2
// does not, or returns "".
func pcreOnly(expr string) string {
	groups := []struct{ prefix, name string }{
		{"(?=", "a lookahead (?=...)"},
		{"(?!", "a negative lookahead (?!...)"},
		{"(?<=", "a lookbehind (?<=...)"},
		{"(?<!", "a negative lookbehind (?<!...)"},
		{"(?>", "an atomic group (?>...)"},
		{"(?|", "a branch reset group (?|...)"},
		{"(?(", "a conditional group (?(...)...)"},
		{"(?R)", "recursion (?R)"},
		{"(?&", "a subroutine call (?&name)"},
		{"(?P>", "a subroutine call (?P>name)"},
		{"(?P=", "a named backreference (?P=name)"},
	}
	escapes := map[byte]string{
		'1': "a backreference \\1", '2': "a backreference \\2", '3': "a backreference \\3",
		'4': "a backreference \\4", '5': "a backreference \\5", '6': "a backreference \\6",
		'7': "a backreference \\7", '8': "a backreference \\8", '9': "a backreference \\9",
		'k': "a named backreference \\k", 'g': "a backreference \\g", 'K': "\\K (reset match start)",
		'G': "the \\G anchor", 'R': "\\R (any newline)", 'X': "\\X (grapheme cluster)",
		'h': "\\h (horizontal space)", 'H': "\\H (not horizontal space)", 'V': "\\V (not vertical space)",
		'N': "\\N (not a newline)", 'c': "a control escape \\c", 'o': "an octal escape \\o{...}",
	}
	inClass := false
	quantified := false // the previous token was a quantifier
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		wasQuantified := quantified
		quantified = false
		switch {
		case c == '\\' && i+1 < len(expr):
			if name, ok := escapes[expr[i+1]]; ok && !(inClass && expr[i+1] >= '1' && expr[i+1] <= '9') {
				return name
			}
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(expr) && expr[i+1] == '^' {
				i++
			}
			if i+1 < len(expr) && expr[i+1] == ']' {
				i++
			}
		case c == '(':
			for _, g := range groups {
				if strings.HasPrefix(expr[i:], g.prefix) {
					return g.name
				}
			}
			if len(expr) > i+2 && expr[i+1] == '?' && (expr[i+2] >= '0' && expr[i+2] <= '9' || expr[i+2] == '+' || expr[i+2] == '-' && i+3 < len(expr) && expr[i+3] >= '0' && expr[i+3] <= '9') {
				return "a subroutine call (?N)"
			}
			if strings.HasPrefix(expr[i:], "(?") {
				i++ // "?" opens a group, it is no quantifier
			}
		case c == '+' && wasQuantified:
			return "a possessive quantifier " + string(expr[i-1]) + "+"
		case c == '*' || c == '+' || c == '?' || c == '}':
			quantified = true
		}
	}
	return ""
}
