package query

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

func TestWildcardValue(t *testing.T) {
	f := func(pattern, value string, want bool) {
		t.Helper()
		m, err := newValueMatcher(&Term{Field: "f", Wildcard: true, Pattern: pattern})
		if err != nil {
			t.Fatalf("newValueMatcher(%q): %v", pattern, err)
		}
		if got := m.match(value); got != want {
			t.Fatalf("match(%q, %q) = %v, want %v", pattern, value, got, want)
		}
		items, _ := parsePattern(pattern)
		if got := newGlob(items).match(value, false); got != want {
			t.Fatalf("glob(%q).match(%q) = %v, want %v", pattern, value, got, want)
		}
	}
	f(`*`, ``, true)
	f(`*`, `anything at all`, true)
	f(`?`, ``, false)
	f(`?`, `é`, true)
	f(`??`, `é`, false)
	f(`a*`, `A`, true)
	f(`a*`, `ba`, false)
	f(`*a`, `BA`, true)
	f(`*a`, `ab`, false)
	f(`*ab*`, `xxABxx`, true)
	f(`*ab*`, `a b`, false)
	f(`a*b`, `ab`, true)
	f(`a*b`, `a`, false)
	f(`ab*ba`, `aba`, false)
	f(`ab*ba`, `abba`, true)
	f(`*a*a*a*`, `aa`, false)
	f(`*a*a*a*`, `banana`, true)
	f(`a*a*a`, `aaaa`, true)
	f(`a*b*c`, `a-c-b-c`, true)
	f(`a*b*c`, `a-c-b`, false)
	f(`*\cmd.exe`, `C:\Windows\cmd.exe`, true)
	f(`*\\cmd.exe`, `C:\Windows\cmd.exe`, true)
	f(`*\*`, `a*`, true)
	f(`*\*`, `a`, false)
	f(`a?c`, `abc`, true)
	f(`a?c`, `ac`, false)
	f(`a?c`, `aéc`, true)
	f(`*?`, `x`, true)
	f(`?*?`, `x`, false)
	f(`k*`, "\u212a", true) // Kelvin sign lowercases to k
	f(`*i`, "\u0130", true) // so does İ to i
	f(`ß*`, "SS", false)    // no full case folding
	f(`straße`+"*", `STRAßE`, true)
	f(`*мир*`, `Привет, МИР!`, true)
}

func TestFoldHelpers(t *testing.T) {
	f := func(s, lower string, prefix, suffix int, index [2]int) {
		t.Helper()
		n, ok := prefixFold(s, lower)
		if !ok {
			n = -1
		}
		if n != prefix {
			t.Fatalf("prefixFold(%q, %q) = %d, want %d", s, lower, n, prefix)
		}
		n, ok = suffixFold(s, lower)
		if !ok {
			n = -1
		}
		if n != suffix {
			t.Fatalf("suffixFold(%q, %q) = %d, want %d", s, lower, n, suffix)
		}
		if i, j := indexFold(s, lower); [2]int{i, j} != index {
			t.Fatalf("indexFold(%q, %q) = %d, %d, want %v", s, lower, i, j, index)
		}
	}
	f("Hello", "he", 2, -1, [2]int{0, 2})
	f("Hello", "lo", -1, 2, [2]int{3, 5})
	f("Hello", "x", -1, -1, [2]int{-1, -1})
	f("Hello", "hello!", -1, -1, [2]int{-1, -1})
	f("\u212aelvin", "kel", 5, -1, [2]int{0, 5})
	f("x\u212a", "k", -1, 3, [2]int{1, 4})
	f("\u0130stanbul", "istanbul", 9, 9, [2]int{0, 9})
	f("ÉCOLE", "école", 6, 6, [2]int{0, 6})
	f("aaab", "aab", -1, 3, [2]int{1, 4})
	f("a\xffb", "b", -1, 1, [2]int{2, 3})
}

func TestBoundary(t *testing.T) {
	f := func(s string, want string) {
		t.Helper()
		var got strings.Builder
		for i := 0; i <= len(s); i++ {
			if i < len(s) && !isRuneStart(s[i]) {
				got.WriteByte(' ') // inside a rune: never asked
			} else if isBoundary(s, i) {
				got.WriteByte('|')
			} else {
				got.WriteByte('.')
			}
		}
		if got.String() != want {
			t.Fatalf("boundaries of %q = %s, want %s", s, got.String(), want)
		}
	}
	f("", "|")
	f("ab", "|.|")
	f("a b", "||||")
	f("a_b1", "|||.|")
	f("x=1,", "|||||")
	f("é1", "| .|")
}

// refMatch is a slow, obviously correct wildcard matcher over runes: the
// reference for the automaton and every fast path. In words mode, the
// wildcards match no white space.
func refMatch(items []patternItem, s []rune, words bool) bool {
	if len(items) == 0 {
		return len(s) == 0
	}
	it := items[0]
	switch it.wildcard {
	case '*':
		for i := 0; i <= len(s); i++ {
			if refMatch(items[1:], s[i:], words) {
				return true
			}
			if i < len(s) && words && unicode.IsSpace(s[i]) {
				return false
			}
		}
		return false
	case '?':
		return len(s) > 0 && !(words && unicode.IsSpace(s[0])) && refMatch(items[1:], s[1:], words)
	}
	lit := []rune(it.text)
	if len(s) < len(lit) {
		return false
	}
	for i, r := range lit {
		if unicode.ToLower(s[i]) != r {
			return false
		}
	}
	return refMatch(items[1:], s[len(lit):], words)
}

// refWords is refMatch over every stretch of s between word boundaries.
func refWords(items []patternItem, s string) bool {
	for i := 0; i <= len(s); i++ {
		if !isBoundary(s, i) || i < len(s) && !isRuneStart(s[i]) {
			continue
		}
		for j := i; j <= len(s); j++ {
			if (j == len(s) || isRuneStart(s[j])) && isBoundary(s, j) && refMatch(items, []rune(s[i:j]), true) {
				return true
			}
		}
	}
	return false
}

func isRuneStart(c byte) bool { return c&0xc0 != 0x80 }

// TestWildcardAgainstReference checks the automaton, the star patterns
// and the bare-word fast paths against refMatch on random patterns and
// texts over a small alphabet, where matches are frequent.
func TestWildcardAgainstReference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "b", "A", " ", ".", "é", "\u212a", "k"}
	text := func(n int) string {
		var b strings.Builder
		for range rnd.IntN(n) {
			b.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 20000 {
		var pattern strings.Builder
		for range 1 + rnd.IntN(5) {
			switch rnd.IntN(4) {
			case 0:
				pattern.WriteByte('*')
			case 1:
				pattern.WriteByte('?')
			default:
				pattern.WriteString(text(3))
			}
		}
		p := pattern.String()
		if !strings.ContainsAny(p, "*?") {
			continue
		}
		items, err := parsePattern(p)
		if err != nil {
			t.Fatal(err)
		}
		s := text(10)

		want := refMatch(items, []rune(s), false)
		if got := newGlob(items).match(s, false); got != want {
			t.Fatalf("glob(%q).match(%q, false) = %v, want %v", p, s, got, want)
		}
		m, _ := newValueMatcher(&Term{Field: "f", Wildcard: true, Pattern: p})
		if got := m.match(s); got != want {
			t.Fatalf("value matcher %q (kind %d) on %q = %v, want %v", p, m.kind, s, got, want)
		}

		want = refWords(items, s)
		if got := newGlob(items).match(s, true); got != want {
			t.Fatalf("glob(%q).match(%q, true) = %v, want %v", p, s, got, want)
		}
		tt, _ := compileText(&Term{Wildcard: true, Pattern: p})
		if got := tt.match(newEvent("message", s)); got != want {
			t.Fatalf("bare %q (plan %s) on %q = %v, want %v", p, (&Matcher{root: tt}).String(), s, got, want)
		}
	}
}

func TestGlobLongPattern(t *testing.T) {
	// Longer than MaxPatternLen, so that the state sets do not fit in the
	// array on the stack, and span many words.
	p := strings.Repeat("a?", 1500) + "*"
	items, _ := parsePattern(p)
	g := newGlob(items)
	if !g.match(strings.Repeat("ab", 1500)+"tail", false) {
		t.Fatalf("long pattern does not match")
	}
	if g.match(strings.Repeat("ab", 1499), false) {
		t.Fatalf("long pattern matches a short value")
	}
	if g.match(strings.Repeat("ab", 1499)+"bb", false) {
		t.Fatalf("long pattern matches a wrong value")
	}
	if !g.match("x "+strings.Repeat("ab", 1500)+"tail", true) {
		t.Fatalf("long pattern does not match words")
	}
}
