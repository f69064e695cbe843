package sqlite

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The query matcher compares text after lowercasing every rune
// (unicode.ToLower), and counts letters, digits and combining marks as
// word runes (package query, "Matching"). The indexes here are filters in
// front of it: they must select every event it accepts, and may select
// more. Folding and word splitting are therefore coarser than the
// matcher's: runes it lowercases alike fold alike here, and every word
// boundary it sees is a boundary here too.

// foldKey returns the folded form of s: strings that lowercase alike (and
// also those that uppercase alike, or are equal under strings.EqualFold)
// have the same key. Invalid UTF-8 bytes become U+FFFD, as they do when
// the matcher decodes them.
func foldKey(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			var b strings.Builder
			b.Grow(len(s))
			for _, r := range s {
				b.WriteRune(foldRune(r))
			}
			return b.String()
		}
	}
	return strings.ToLower(s)
}

// foldRune maps r to one lowercase representative of every rune that
// lowercases, uppercases or case-folds to the same rune as r.
// TestFoldRune checks this for every rune.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	r = unicode.ToLower(unicode.ToUpper(r))
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return unicode.ToLower(least)
}

// isWordRune reports whether a folded rune is part of a word for the terms
// index: an ASCII letter or digit. Four non-ASCII runes fold to ASCII
// letters (U+0130 'İ', U+0131 'ı', U+017F 'ſ' and the Kelvin sign), and
// count as letters too; they are letters for the matcher. Every other rune
// separates words here, including the non-ASCII letters and marks the
// matcher joins into words: the terms index then finds the ASCII parts of
// such words, and the matcher rejects what does not match.
func isWordRune(r rune) bool {
	return ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')
}

// foldAt returns the folded rune at text[i:] and its encoded size.
func foldAt(text string, i int) (rune, int) {
	c := rune(text[i])
	if c < utf8.RuneSelf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c, 1
	}
	c, size := utf8.DecodeRuneInString(text[i:])
	return foldRune(c), size
}

// appendWords appends the words of text to dst, folded to lowercase ASCII,
// each preceded by a space.
func appendWords(dst []byte, text string) []byte {
	inWord := false
	for i := 0; i < len(text); {
		c, size := foldAt(text, i)
		i += size
		if !isWordRune(c) {
			inWord = false
			continue
		}
		if !inWord {
			dst = append(dst, ' ')
			inWord = true
		}
		dst = append(dst, byte(c))
	}
	return dst
}

// words returns the folded words of a query text, and whether its first
// and last runes are word runes (then, in a text that contains it, its
// first word may be the end of a longer word, and its last word the start
// of one).
func words(text string) (ws []string, startsInWord, endsInWord bool) {
	b := appendWords(nil, text)
	ws = strings.Fields(string(b))
	if text == "" {
		return ws, false, false
	}
	first, _ := foldAt(text, 0)
	_, lastSize := utf8.DecodeLastRuneInString(text)
	last, _ := foldAt(text, len(text)-lastSize)
	return ws, isWordRune(first), isWordRune(last)
}
