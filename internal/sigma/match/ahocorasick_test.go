package match

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

type occurrence struct {
	needle int32
	end    int
}

// TestAutomaton compares the automaton with strings.Index on random
// needles and texts over a small alphabet, where overlaps are frequent.
func TestAutomaton(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for round := 0; round < 300; round++ {
		alphabet := "abc"
		if round%3 == 0 {
			alphabet = "ab\x00\xff"
		}
		seen := map[string]bool{}
		var needles []string
		for len(needles) < 1+rng.IntN(20) {
			w := word(alphabet, 1+rng.IntN(5))
			if !seen[w] {
				seen[w] = true
				needles = append(needles, w)
			}
		}
		a := buildAutomaton(needles, []int{1 << 18, 1, 40, 200}[round%4])
		for k := 0; k < 20; k++ {
			text := word(alphabet+"z", rng.IntN(40))
			var got []occurrence
			a.scan(text, func(n int32, end int) { got = append(got, occurrence{n, end}) })
			var want []occurrence
			for i, n := range needles {
				for at := 0; at+len(n) <= len(text); at++ {
					if strings.HasPrefix(text[at:], n) {
						want = append(want, occurrence{int32(i), at + len(n)})
					}
				}
			}
			cmpOcc := func(x, y occurrence) int {
				if x.end != y.end {
					return x.end - y.end
				}
				return int(x.needle - y.needle)
			}
			slices.SortFunc(got, cmpOcc)
			slices.SortFunc(want, cmpOcc)
			if !slices.Equal(got, want) {
				t.Fatalf("needles %q text %q: got %v, want %v", needles, text, got, want)
			}
		}
	}
}

func TestAutomatonAllBytes(t *testing.T) {
	var needles []string
	for c := 0; c < 256; c++ {
		needles = append(needles, string([]byte{byte(c), byte(255 - c)}))
	}
	a := buildAutomaton(needles, 300)
	n := 0
	a.scan("\x00\xff\x01\xfe", func(int32, int) { n++ })
	if n != 2 { // "\x00\xff" and "\x01\xfe"; "\xff\x01" is not a needle
		t.Fatalf("got %d occurrences, want 2", n)
	}
}

// TestTrie compares trie walks with strings.HasPrefix and HasSuffix.
func TestTrie(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab\xff"[rng.IntN(3)]
		}
		return string(b)
	}
	for round := 0; round < 200; round++ {
		seen := map[string]bool{}
		var needles, reversed []string
		for len(needles) < 1+rng.IntN(15) {
			w := word(1 + rng.IntN(4))
			if !seen[w] {
				seen[w] = true
				needles = append(needles, w)
				r := []byte(w)
				slices.Reverse(r)
				reversed = append(reversed, string(r))
			}
		}
		pre, suf := buildTrie(needles), buildTrie(reversed)
		for k := 0; k < 20; k++ {
			text := word(rng.IntN(8))
			var gotP, gotS, wantP, wantS []int32
			pre.walk(text, false, func(n int32, l int) {
				if l != len(needles[n]) {
					t.Fatalf("length %d for %q", l, needles[n])
				}
				gotP = append(gotP, n)
			})
			suf.walk(text, true, func(n int32, _ int) { gotS = append(gotS, n) })
			for i, n := range needles {
				if strings.HasPrefix(text, n) {
					wantP = append(wantP, int32(i))
				}
				if strings.HasSuffix(text, n) {
					wantS = append(wantS, int32(i))
				}
			}
			slices.Sort(gotP)
			slices.Sort(gotS)
			if !slices.Equal(gotP, wantP) || !slices.Equal(gotS, wantS) {
				t.Fatalf("needles %q text %q: prefixes %v want %v, suffixes %v want %v", needles, text, gotP, wantP, gotS, wantS)
			}
		}
	}
}
