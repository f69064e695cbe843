package query

import (
	"errors"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// patternItem is one piece of a parsed wildcard pattern: a wildcard ('*'
// or '?') or a run of literal text, lowercased.
type patternItem struct {
	wildcard byte // '*', '?', or 0 for literal text
	text     string
}

// parsePattern splits a Term.Pattern into items. Runs of '*' collapse to
// one.
func parsePattern(pattern string) ([]patternItem, error) {
	var items []patternItem
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			items = append(items, patternItem{text: strings.ToLower(lit.String())})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '\\':
			if i+1 == len(pattern) {
				return nil, errors.New("pattern ends with an unpaired '\\'")
			}
			i++
			lit.WriteByte(pattern[i])
		case '*', '?':
			flush()
			if c == '*' && len(items) > 0 && items[len(items)-1].wildcard == '*' {
				continue
			}
			items = append(items, patternItem{wildcard: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return items, nil
}

// starPattern matches a whole value against literal parts separated by
// '*': "abc*" is a prefix, "*abc" a suffix, "*abc*" a substring, and
// "a*b*c" is matched left to right, taking the first match of each middle
// part, which is enough for '*' alone. It costs one pass over the value.
type starPattern struct {
	parts             []string // lowercased, not empty
	leading, trailing bool     // the pattern starts (ends) with '*'
}

// newStarPattern returns the star pattern for items, or false when items
// hold a '?' or no literal.
func newStarPattern(items []patternItem) (*starPattern, bool) {
	p := &starPattern{}
	for i, it := range items {
		switch it.wildcard {
		case '?':
			return nil, false
		case '*':
			p.leading = p.leading || i == 0
			p.trailing = p.trailing || i == len(items)-1
		default:
			p.parts = append(p.parts, it.text)
		}
	}
	return p, len(p.parts) > 0
}

func (p *starPattern) match(s string) bool {
	parts := p.parts
	if !p.leading {
		n, ok := prefixFold(s, parts[0])
		if !ok {
			return false
		}
		s, parts = s[n:], parts[1:]
	}
	last := ""
	if !p.trailing {
		if len(parts) == 0 {
			return s == ""
		}
		last, parts = parts[len(parts)-1], parts[:len(parts)-1]
	}
	for _, part := range parts {
		_, j := indexFold(s, part)
		if j < 0 {
			return false
		}
		s = s[j:]
	}
	if !p.trailing {
		_, ok := suffixFold(s, last)
		return ok
	}
	return true
}

// shape names the star pattern for Matcher.String.
func (p *starPattern) shape() string {
	switch {
	case len(p.parts) == 1 && !p.leading && p.trailing:
		return "prefix"
	case len(p.parts) == 1 && p.leading && !p.trailing:
		return "suffix"
	case len(p.parts) == 1 && p.leading && p.trailing:
		return "contains"
	}
	return "stars"
}

// glob is the general wildcard matcher, for patterns with '?' and for
// bare words with several wildcards. It simulates the pattern as a
// nondeterministic automaton whose states are pattern positions, kept in a
// bit set, so a match costs O(len(s) × len(pattern)) at worst and never
// backtracks.
type glob struct {
	elems []globElem
	stars []int // indexes of the opStar elements, ascending
	// longest is the longest literal run of the pattern, lowercased: s
	// cannot match without it, and looking for it first rejects most
	// values at the speed of a substring search (BenchmarkWildcard).
	longest string
}

type globOp uint8

const (
	opRune globOp = iota // one rune equal to r (lowercased)
	opOne                // '?': any one rune
	opStar               // '*': any run of runes
)

type globElem struct {
	op globOp
	r  rune
}

func newGlob(items []patternItem) *glob {
	g := &glob{}
	for _, it := range items {
		switch it.wildcard {
		case '*':
			g.stars = append(g.stars, len(g.elems))
			g.elems = append(g.elems, globElem{op: opStar})
		case '?':
			g.elems = append(g.elems, globElem{op: opOne})
		default:
			for _, r := range it.text {
				g.elems = append(g.elems, globElem{op: opRune, r: r})
			}
			if len(it.text) > len(g.longest) {
				g.longest = it.text
			}
		}
	}
	return g
}

// match reports whether the pattern matches s. When words is false the
// pattern must match all of s. When words is true it may match any part
// of s that starts and ends at a word boundary (see isBoundary), and its
// wildcards match no white space.
func (g *glob) match(s string, words bool) bool {
	if g.longest != "" {
		if i, _ := indexFold(s, g.longest); i < 0 {
			return false
		}
	}
	accept := len(g.elems)
	n := accept/64 + 1
	var buf [8]uint64
	var cur, next []uint64
	if 2*n <= len(buf) {
		cur, next = buf[:n], buf[n:2*n]
	} else {
		cur, next = make([]uint64, n), make([]uint64, n)
	}
	if !words {
		setBit(cur, 0)
		g.closeStars(cur)
	}
	for i := 0; ; {
		if words && isBoundary(s, i) {
			setBit(cur, 0)
			g.closeStars(cur)
			if hasBit(cur, accept) {
				return true
			}
		}
		if i == len(s) {
			break
		}
		r, w := rune(s[i]), 1
		if r < utf8.RuneSelf {
			r = rune(lowerASCII(byte(r)))
		} else {
			r, w = utf8.DecodeRuneInString(s[i:])
			r = unicode.ToLower(r)
		}
		wild := !words || !unicode.IsSpace(r)
		clear(next)
		for k, word := range cur {
			for word != 0 {
				p := k*64 + bits.TrailingZeros64(word)
				word &= word - 1
				if p == accept {
					continue
				}
				switch e := g.elems[p]; e.op {
				case opRune:
					if e.r == r {
						setBit(next, p+1)
					}
				case opOne:
					if wild {
						setBit(next, p+1)
					}
				case opStar:
					if wild {
						setBit(next, p)
					}
				}
			}
		}
		g.closeStars(next)
		cur, next = next, cur
		i += w
		if !words && isEmpty(cur) {
			return false
		}
	}
	return !words && hasBit(cur, accept)
}

// closeStars adds the states reachable by letting a '*' match nothing.
// Parse collapses runs of '*', so one ascending pass is enough.
func (g *glob) closeStars(set []uint64) {
	for _, p := range g.stars {
		if hasBit(set, p) {
			setBit(set, p+1)
		}
	}
}

func setBit(set []uint64, i int)      { set[i/64] |= 1 << (i % 64) }
func hasBit(set []uint64, i int) bool { return set[i/64]&(1<<(i%64)) != 0 }

func isEmpty(set []uint64) bool {
	for _, w := range set {
		if w != 0 {
			return false
		}
	}
	return true
}
