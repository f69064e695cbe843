package match

import (
	"regexp/syntax"
	"slices"
)

// regexpLiterals returns strings, folded, one of which the folded value
// contains whenever the regular expression expr matches the value, or nil
// when it finds none (a class or an optional part everywhere). The
// matcher checks them with its Aho-Corasick pass and runs the expression
// only when one is there.
//
// Folding keeps this sound: a value containing a literal L contains, once
// folded, fold(L). A case-insensitive literal ((?i)) is only used when it
// is ASCII, whose case variants (including the Kelvin sign and the long s)
// all fold to the same letter.
func regexpLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits := requiredLiterals(re.Simplify())
	if shortest(lits) < minPrefilter {
		return nil
	}
	return lits
}

// minPrefilter is the shortest literal worth a needle: one byte would hit
// on almost every value.
const minPrefilter = 2

func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 && !isASCII(s) {
			return nil
		}
		return []string{foldString(s)}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if l := requiredLiterals(sub); l != nil && better(l, best) {
				best = l
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			l := requiredLiterals(sub)
			if l == nil {
				return nil
			}
			all = append(all, l...)
		}
		slices.Sort(all)
		return slices.Compact(all)
	}
	return nil
}

// better prefers the set whose shortest literal is longer, then the
// smaller set.
func better(a, b []string) bool {
	if b == nil {
		return true
	}
	if sa, sb := shortest(a), shortest(b); sa != sb {
		return sa > sb
	}
	return len(a) < len(b)
}

func shortest(l []string) int {
	if len(l) == 0 {
		return 0
	}
	n := len(l[0])
	for _, s := range l[1:] {
		n = min(n, len(s))
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
