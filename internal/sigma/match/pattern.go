package match

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/sigma"
)

// piece is one part of a Sigma string value: a literal run of bytes, or
// one of the wildcards '*' (any run of characters) and '?' (one
// character).
type piece struct {
	lit  string
	wild byte // '*', '?', or 0 for a literal
}

// pattern is a Sigma string after escapes, transforms and the operator's
// added wildcards: adjacent literals are merged and runs of '*' are one.
type pattern []piece

// parsePattern reads Sigma's escapes: \* \? and \\ are the literal
// characters; a backslash before anything else (or at the end) is a
// literal backslash, so Windows paths need no doubling.
func parsePattern(s string) pattern {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, piece{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*', '?':
			flush()
			p = append(p, piece{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p.normal()
}

// literalPattern is a pattern matching s exactly, wildcards included.
func literalPattern(s string) pattern {
	if s == "" {
		return nil
	}
	return pattern{{lit: s}}
}

// normal merges adjacent literals and repeated '*'.
func (p pattern) normal() pattern {
	out := p[:0:0]
	for _, x := range p {
		n := len(out)
		switch {
		case x.wild == 0 && x.lit == "":
			continue
		case x.wild == 0 && n > 0 && out[n-1].wild == 0:
			out[n-1].lit += x.lit
		case x.wild == '*' && n > 0 && out[n-1].wild == '*':
		default:
			out = append(out, x)
		}
	}
	return out
}

func (p pattern) hasWildcard() bool {
	for _, x := range p {
		if x.wild != 0 {
			return true
		}
	}
	return false
}

// literal returns the text of a pattern without wildcards.
func (p pattern) literal() string {
	if len(p) == 0 {
		return ""
	}
	return p[0].lit
}

// String writes p back in Sigma syntax, for keys and messages.
func (p pattern) String() string {
	var b strings.Builder
	for _, x := range p {
		if x.wild != 0 {
			b.WriteByte(x.wild)
			continue
		}
		for i := 0; i < len(x.lit); i++ {
			if c := x.lit[i]; c == '*' || c == '?' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(x.lit[i])
		}
	}
	return b.String()
}

func (p pattern) fold() pattern {
	out := make(pattern, len(p))
	for i, x := range p {
		out[i] = piece{lit: foldString(x.lit), wild: x.wild}
	}
	return out
}

// longestLiteral returns the longest literal piece: a string every match
// of p contains.
func (p pattern) longestLiteral() string {
	best := ""
	for _, x := range p {
		if x.wild == 0 && len(x.lit) > len(best) {
			best = x.lit
		}
	}
	return best
}

// match reports whether p matches all of s. '?' consumes one UTF-8
// sequence (one byte when s is not valid UTF-8 there). It backtracks only to
// the last '*', which is enough because every other piece matches a length
// fixed by its position: O(len(s)·len(p)) at worst.
func (p pattern) match(s string) bool {
	i, j := 0, 0
	star, starI := -1, 0
	for {
		if j < len(p) {
			x := p[j]
			switch {
			case x.wild == '*':
				star, starI = j, i
				j++
				continue
			case x.wild == '?':
				if i < len(s) {
					_, n := utf8.DecodeRuneInString(s[i:])
					i += n
					j++
					continue
				}
			default:
				if strings.HasPrefix(s[i:], x.lit) {
					i += len(x.lit)
					j++
					continue
				}
			}
		} else if i == len(s) {
			return true
		}
		if star < 0 || starI >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		i, j = starI, star+1
	}
}

// windashChars are the characters the windash modifier interchanges.
var windashChars = []string{"-", "/", "–", "—", "―"}

// maxWindash bounds the dash characters of one windash value: each gives
// five variants, so a value with n of them expands to 5^n patterns. SigmaHQ
// values have one or two.
const maxWindash = 4

// windash returns every variant of p with each dash character replaced,
// independently, by each of windashChars.
func windash(p pattern) ([]pattern, error) {
	type spot struct{ piece, at, size int }
	var spots []spot
	for i, x := range p {
		for at := 0; at < len(x.lit); {
			size := 0
			for _, d := range windashChars {
				if strings.HasPrefix(x.lit[at:], d) {
					size = len(d)
					break
				}
			}
			if size > 0 {
				spots = append(spots, spot{i, at, size})
				at += size
			} else {
				at++
			}
		}
	}
	if len(spots) > maxWindash {
		return nil, fmt.Errorf("windash: %d dash characters in one value (at most %d)", len(spots), maxWindash)
	}
	out := []pattern{p}
	for k := len(spots) - 1; k >= 0; k-- { // from the end, so earlier offsets stay valid
		sp := spots[k]
		var next []pattern
		for _, v := range out {
			for _, d := range windashChars {
				w := append(pattern(nil), v...)
				lit := w[sp.piece].lit
				w[sp.piece].lit = lit[:sp.at] + d + lit[sp.at+sp.size:]
				next = append(next, w)
			}
		}
		out = next
	}
	return out, nil
}

// encodeUTF16 encodes each literal of p; '*' is kept, '?' (one character
// of unknown byte length) is refused.
func encodeUTF16(p pattern, t sigma.Transform) (pattern, error) {
	out := make(pattern, 0, len(p)+1)
	if t == sigma.UTF16 {
		out = append(out, piece{lit: "\xff\xfe"})
	}
	for _, x := range p {
		if x.wild == '?' {
			return nil, fmt.Errorf("%s: value with a '?' wildcard", t)
		}
		if x.wild != 0 {
			out = append(out, x)
			continue
		}
		var b []byte
		for _, u := range utf16.Encode([]rune(x.lit)) {
			if t == sigma.UTF16BE {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		out = append(out, piece{lit: string(b)})
	}
	return out.normal(), nil
}

// base64Offsets returns the three encodings of s shifted by 0, 1 and 2
// bytes, without the characters that depend on the surrounding bytes, as
// pySigma's base64offset does:
// b64encode(i*" " + s)[(0,2,3)[i] : (None,-3,-2)[(len(s)+i)%3]].
func base64Offsets(s string) []string {
	starts := [3]int{0, 2, 3}
	ends := [3]int{0, 3, 2}
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + s))
		end := len(enc) - ends[(len(s)+i)%3]
		if starts[i] > end {
			continue
		}
		out = append(out, enc[starts[i]:end])
	}
	return out
}

// expandPlaceholders replaces each %name% of s by every value configured
// for it (a value is itself a Sigma string, wildcards allowed); "\%" is a
// plain percent sign.
func expandPlaceholders(s string, values map[string][]string) ([]string, error) {
	out := []string{""}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '%' {
			out = appendEach(out, "%")
			i += 2
			continue
		}
		if c == '%' {
			if j := strings.IndexByte(s[i+1:], '%'); j > 0 {
				name := s[i+1 : i+1+j]
				vals, ok := values[name]
				if !ok || len(vals) == 0 {
					return nil, fmt.Errorf("expand: no values configured for placeholder %%%s%%", name)
				}
				var next []string
				for _, o := range out {
					for _, v := range vals {
						next = append(next, o+v)
					}
				}
				out = next
				i += j + 2
				continue
			}
		}
		out = appendEach(out, s[i:i+1])
		i++
	}
	return out, nil
}

func appendEach(out []string, s string) []string {
	for k := range out {
		out[k] += s
	}
	return out
}

// stringPatterns turns one value of a string comparison (equal, contains,
// startswith, endswith) into the patterns any of which satisfies it, with
// the transforms applied in order and the operator's wildcards added.
// cased reports that the patterns compare case-sensitively (asked by the
// item, or bytes made by base64).
func stringPatterns(it *sigma.Item, v sigma.Value, placeholders map[string][]string) (ps []pattern, cased bool, err error) {
	cased = it.Cased
	texts := []string{v.Text}
	for _, t := range it.Transforms {
		if t == sigma.Expand {
			if texts, err = expandPlaceholders(v.Text, placeholders); err != nil {
				return nil, false, err
			}
		}
	}
	for _, s := range texts {
		ps = append(ps, parsePattern(s))
	}
	for _, t := range it.Transforms {
		var next []pattern
		for _, p := range ps {
			switch t {
			case sigma.Expand:
				next = append(next, p)
			case sigma.Windash:
				w, err := windash(p)
				if err != nil {
					return nil, false, err
				}
				next = append(next, w...)
			case sigma.UTF16LE, sigma.UTF16BE, sigma.UTF16:
				e, err := encodeUTF16(p, t)
				if err != nil {
					return nil, false, err
				}
				next = append(next, e)
			case sigma.Base64, sigma.Base64Offset:
				if p.hasWildcard() {
					return nil, false, fmt.Errorf("%s: value with wildcards", t)
				}
				cased = true
				if t == sigma.Base64 {
					next = append(next, literalPattern(base64.StdEncoding.EncodeToString([]byte(p.literal()))))
					continue
				}
				for _, s := range base64Offsets(p.literal()) {
					next = append(next, literalPattern(s))
				}
			default:
				return nil, false, fmt.Errorf("transform %s", t)
			}
		}
		ps = next
	}
	star := piece{wild: '*'}
	for i, p := range ps {
		switch it.Op {
		case sigma.OpContains:
			p = append(append(pattern{star}, p...), star)
		case sigma.OpStartsWith:
			p = append(append(pattern(nil), p...), star)
		case sigma.OpEndsWith:
			p = append(pattern{star}, p...)
		}
		p = p.normal()
		if !cased {
			p = p.fold()
		}
		ps[i] = p
	}
	return ps, cased, nil
}
