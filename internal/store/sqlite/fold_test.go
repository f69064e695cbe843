package sqlite

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestFoldRune checks, for every rune, that runes the query matcher
// lowercases alike fold alike, and so do runes that uppercase or
// case-fold alike: the entity and word terms must not tell apart what the
// matcher calls equal.
func TestFoldRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		f := foldRune(r)
		for _, other := range []rune{unicode.ToLower(r), unicode.ToUpper(r), unicode.SimpleFold(r)} {
			if g := foldRune(other); g != f {
				t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U", r, f, other, g)
			}
		}
		if foldRune(f) != f {
			t.Fatalf("foldRune(%U) = %U, which folds again to %U", r, f, foldRune(f))
		}
	}
}

func TestFoldKey(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := foldKey(in); got != want {
			t.Errorf("foldKey(%q) = %q, want %q", in, got, want)
		}
	}
	f("Alice", "alice")
	f("İBRAHİM", "ibrahim")
	f("\u212Aelvin", "kelvin")
	f("ſam", "sam")
	f("JOSÉ", "josé")
	f("bad\xffutf8", "bad\uFFFDutf8")
	f("", "")
}

func TestWords(t *testing.T) {
	f := func(in string, want []string, startsInWord, endsInWord bool) {
		t.Helper()
		ws, s, e := words(in)
		if !slices.Equal(ws, want) || s != startsInWord || e != endsInWord {
			t.Errorf("words(%q) = %q, %v, %v; want %q, %v, %v", in, ws, s, e, want, startsInWord, endsInWord)
		}
	}
	f("admin", []string{"admin"}, true, true)
	f("Failed password", []string{"failed", "password"}, true, true)
	f("-enc", []string{"enc"}, false, true)
	f("10.0.0.5:", []string{"10", "0", "0", "5"}, true, false)
	f("svc_admin", []string{"svc", "admin"}, true, true)
	f("café", []string{"caf"}, true, false)
	f("İstanbul \u212Aelvin ſ", []string{"istanbul", "kelvin", "s"}, true, true)
	f("日本語", nil, false, false)
	f("a\xffb", []string{"a", "b"}, true, true)
	f("", nil, false, false)
}

func TestAppendEventTerms(t *testing.T) {
	e := corpusEvent()
	got := string(appendEventTerms(nil, e))
	want := " failed password for root from 10 0 0 5 _uroot _ualice _s10_2e0_2e0_2e5 _hweb_2d01"
	if got != want {
		t.Errorf("appendEventTerms = %q, want %q", got, want)
	}
	for _, term := range strings.Fields(got) {
		for _, c := range term {
			if !isWordRune(c) && c != '_' {
				t.Fatalf("term %q holds %q: the terms JSON array must need no escaping", term, c)
			}
		}
	}
}
