package match

import (
	"math"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Case-insensitive comparison folds both sides with the same function:
// ASCII letters are lowered, other runes go through
// unicode.ToLower(unicode.ToUpper(r)) (simple case mappings, so that "ſ"
// and "s", "K" (Kelvin) and "k" fold together). Bytes that are not valid
// UTF-8 are kept as they are. Folding may change a value's length in bytes.

// needsFold reports whether foldString(s) could differ from s.
func needsFold(s string) bool { return foldFrom(s) < len(s) }

// foldFrom returns the offset of the first byte of s that folding could
// change (an upper-case ASCII letter or a non-ASCII byte), or len(s).
func foldFrom(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return i
		}
	}
	return len(s)
}

// appendFold appends the folded form of s to dst.
func appendFold(dst []byte, s string) []byte {
	dst = slices.Grow(dst, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, c)
			i++
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(unicode.ToUpper(r)))
		i += n
	}
	return dst
}

// foldString returns the folded form of s, allocating only when it
// differs from s. For compile time; per event, folded values go to the
// scratch buffer.
func foldString(s string) string {
	if !needsFold(s) {
		return s
	}
	return string(appendFold(nil, s))
}

// bytesString returns a string sharing b's memory. The caller must not
// modify b while the string is in use: the per-event scratch buffer only
// grows during an event and is rewritten only at the next one, after every
// string made from it is dropped. This is the package's only use of unsafe.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// parseNumber reads s as a number: an optional sign, decimal digits with an
// optional fraction and exponent, or "0x" and hex digits. Unlike
// strconv.ParseFloat it refuses "inf", "nan", "_" and hex floats, so that
// only text that looks like a number compares numerically. Whether s parses
// does not depend on case, so a value and its folded form agree.
func parseNumber(s string) (float64, bool) {
	if len(s) == 0 || len(s) > 64 {
		return 0, false
	}
	t := s
	if t[0] == '+' || t[0] == '-' {
		t = t[1:]
	}
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		u, err := strconv.ParseUint(t[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		f := float64(u)
		if s[0] == '-' {
			f = -f
		}
		return f, true
	}
	i, digits := 0, 0
	for i < len(t) && isDigit(t[i]) {
		i++
		digits++
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && isDigit(t[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		j := i
		for i < len(t) && isDigit(t[i]) {
			i++
		}
		if i == j {
			return 0, false
		}
	}
	if i != len(t) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeError(err) {
		return 0, false
	}
	return f, true
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// numberKey returns the canonical text of a number, the key under which
// numeric equality tests are indexed: s itself for a plain decimal integer
// of up to 15 digits without a leading zero (the common case, which does
// not allocate), else the integer or shortest float text of f written into
// buf.
func numberKey(s string, f float64, buf []byte) (string, []byte) {
	if plainInteger(s) {
		return s, buf
	}
	start := len(buf)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		buf = strconv.AppendInt(buf, int64(f), 10)
	} else {
		buf = strconv.AppendFloat(buf, f, 'g', -1, 64)
	}
	return bytesString(buf[start:]), buf
}

func plainInteger(s string) bool {
	if len(s) == 0 || len(s) > 15 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
