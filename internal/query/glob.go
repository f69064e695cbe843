package query

import (
	"errors"
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
// nondeterministic automaton whose states are the pattern positions, kept
// in a bit set and advanced for all positions at once with shifts and
// masks (the shift-and algorithm): a match costs O(len(s) × len(pattern)
// / 64) and never backtracks. Parse caps patterns at MaxPatternLen, so a
// set is at most 17 words.
type glob struct {
	size  int      // pattern positions; bit size of a set is the accept state
	words int      // uint64 words in a state set
	star  []uint64 // positions holding '*'
	one   []uint64 // positions holding '?'
	// runes are the masks of the positions holding each literal rune: the
	// mask of ASCII rune r is runes[ascii[r]-1] when ascii[r] > 0, that of
	// another rune runes[other[r]-1].
	runes [][]uint64
	ascii [utf8.RuneSelf]int32
	other map[rune]int32
	// firstStar says whether position 0 holds '*'.
	firstStar bool
	// longest is the longest literal run of the pattern, lowercased: s
	// cannot match without it, and looking for it first rejects most
	// values at the speed of a substring search (BenchmarkWildcard).
	longest string
}

func newGlob(items []patternItem) *glob {
	size := 0
	for _, it := range items {
		if it.wildcard != 0 {
			size++
		} else {
			size += utf8.RuneCountInString(it.text)
		}
	}
	g := &glob{size: size, words: size/64 + 1}
	g.star, g.one = make([]uint64, g.words), make([]uint64, g.words)
	p := 0
	for _, it := range items {
		switch it.wildcard {
		case '*':
			setBit(g.star, p)
			g.firstStar = g.firstStar || p == 0
			p++
		case '?':
			setBit(g.one, p)
			p++
		default:
			for _, r := range it.text {
				setBit(g.maskFor(r), p)
				p++
			}
			if len(it.text) > len(g.longest) {
				g.longest = it.text
			}
		}
	}
	return g
}

// maskFor returns the mask of rune r, adding it if it is new.
func (g *glob) maskFor(r rune) []uint64 {
	if m := g.mask(r); m != nil {
		return m
	}
	g.runes = append(g.runes, make([]uint64, g.words))
	id := int32(len(g.runes))
	if r < utf8.RuneSelf {
		g.ascii[r] = id
	} else {
		if g.other == nil {
			g.other = make(map[rune]int32)
		}
		g.other[r] = id
	}
	return g.runes[id-1]
}

// mask returns the mask of rune r, or nil when the pattern does not hold
// it.
func (g *glob) mask(r rune) []uint64 {
	var id int32
	if r < utf8.RuneSelf {
		id = g.ascii[r]
	} else {
		id = g.other[r]
	}
	if id == 0 {
		return nil
	}
	return g.runes[id-1]
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
	var buf [2 * (MaxPatternLen/64 + 1)]uint64
	var cur, next []uint64
	if 2*g.words <= len(buf) {
		cur, next = buf[:g.words], buf[g.words:2*g.words]
	} else {
		cur, next = make([]uint64, g.words), make([]uint64, g.words)
	}
	if !words {
		g.start(cur)
	}
	for i := 0; ; {
		if words && isBoundary(s, i) {
			g.start(cur)
			if hasBit(cur, g.size) {
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
		i += w
		if !g.step(cur, next, g.mask(r), !words || !unicode.IsSpace(r)) && !words {
			return false
		}
		cur, next = next, cur
	}
	return !words && hasBit(cur, g.size)
}

// start adds the initial states to set.
func (g *glob) start(set []uint64) {
	setBit(set, 0)
	if g.firstStar {
		setBit(set, 1)
	}
}

// step sets next to the states reached from cur by reading a rune whose
// mask is eq; wild says whether '*' and '?' may match the rune. It
// reports whether any state is reached.
func (g *glob) step(cur, next, eq []uint64, wild bool) bool {
	var carry uint64
	for k, c := range cur {
		var advance, stay uint64
		if eq != nil {
			advance = c & eq[k]
		}
		if wild {
			advance |= c & g.one[k]
			stay = c & g.star[k]
		}
		next[k] = advance<<1 | carry | stay
		carry = advance >> 63
	}
	// Let each '*' reached match nothing, too. Parse collapses runs of
	// '*', so the position after a '*' is never a '*' and one pass does.
	carry = 0
	var any uint64
	for k, n := range next {
		s := n & g.star[k]
		n |= s<<1 | carry
		carry = s >> 63
		next[k] = n
		any |= n
	}
	return any != 0
}

func setBit(set []uint64, i int)      { set[i/64] |= 1 << (i % 64) }
func hasBit(set []uint64, i int) bool { return set[i/64]&(1<<(i%64)) != 0 }
