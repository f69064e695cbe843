package query

import (
	"unicode"
	"unicode/utf8"
)

// Case-insensitive comparison without allocating: patterns are lowercased
// once, at compile time, and each rune of the event text is lowercased as it
// is compared (unicode.ToLower, with a fast path for ASCII). Two strings
// match when they are equal after lowercasing every rune.

// lowerASCII lowercases an ASCII byte.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// prefixFold reports whether s begins with text that lowercases to lower
// (which is already lowercase), and how many bytes of s that text takes.
func prefixFold(s, lower string) (int, bool) {
	i, j := 0, 0
	for j < len(lower) {
		if i >= len(s) {
			return 0, false
		}
		if c := s[i]; c < utf8.RuneSelf {
			if lowerASCII(c) != lower[j] {
				return 0, false
			}
			i++
			j++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		p, m := utf8.DecodeRuneInString(lower[j:])
		if unicode.ToLower(r) != p {
			return 0, false
		}
		i += n
		j += m
	}
	return i, true
}

// suffixFold reports whether s ends with text that lowercases to lower,
// and how many bytes of s that text takes.
func suffixFold(s, lower string) (int, bool) {
	i, j := len(s), len(lower)
	for j > 0 {
		if i <= 0 {
			return 0, false
		}
		if c := s[i-1]; c < utf8.RuneSelf {
			if lowerASCII(c) != lower[j-1] {
				return 0, false
			}
			i--
			j--
			continue
		}
		r, n := utf8.DecodeLastRuneInString(s[:i])
		p, m := utf8.DecodeLastRuneInString(lower[:j])
		if unicode.ToLower(r) != p {
			return 0, false
		}
		i -= n
		j -= m
	}
	return len(s) - i, true
}

// equalFold reports whether s lowercases to lower.
func equalFold(s, lower string) bool {
	n, ok := prefixFold(s, lower)
	return ok && n == len(s)
}

// indexFold returns the first s[start:end] that lowercases to lower, or
// start -1. lower must not be empty.
func indexFold(s, lower string) (start, end int) {
	first := lower[0]
	// Only an ASCII byte can start a match of an ASCII first byte, except
	// for the only two other runes that lowercase to ASCII: U+0130 (to 'i')
	// and the Kelvin sign U+212A (to 'k').
	asciiOnly := first < utf8.RuneSelf && first != 'i' && first != 'k'
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if lowerASCII(c) == first {
				if n, ok := prefixFold(s[i:], lower); ok {
					return i, i + n
				}
			}
			i++
			continue
		}
		if !asciiOnly {
			if n, ok := prefixFold(s[i:], lower); ok {
				return i, i + n
			}
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return -1, -1
}

// isWordRune reports whether r is part of a word: a letter, a digit or a
// combining mark. Everything else separates words.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isBoundary reports whether offset i of s is a word boundary: the start
// or end of s, or any offset not between two word runes.
func isBoundary(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(before) || !isWordRune(after)
}

// textMatch finds lower in s as a substring whose start (when atStart) and
// end (when atEnd) are word boundaries.
func textMatch(s, lower string, atStart, atEnd bool) bool {
	for off := 0; off < len(s); {
		i, j := indexFold(s[off:], lower)
		if i < 0 {
			return false
		}
		i, j = off+i, off+j
		if (!atStart || isBoundary(s, i)) && (!atEnd || isBoundary(s, j)) {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		off = i + n
	}
	return false
}
