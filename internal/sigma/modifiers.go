package sigma

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// transformModifiers maps the names of the value transforms.
var transformModifiers = map[string]Transform{
	"base64":       Base64,
	"base64offset": Base64Offset,
	"utf16le":      UTF16LE,
	"wide":         UTF16LE,
	"utf16be":      UTF16BE,
	"utf16":        UTF16,
	"windash":      Windash,
	"expand":       Expand,
}

// opModifiers maps the names of the comparisons; an item has at most one.
var opModifiers = map[string]Op{
	"contains":   OpContains,
	"startswith": OpStartsWith,
	"endswith":   OpEndsWith,
	"re":         OpRegexp,
	"cidr":       OpCIDR,
	"exists":     OpExists,
	"lt":         OpLT,
	"lte":        OpLTE,
	"gt":         OpGT,
	"gte":        OpGTE,
}

// timeModifiers are the time parts an item may compare.
var timeModifiers = map[string]bool{
	"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
}

// modifiers applies the modifiers of it, written in key, and checks that
// they fit together and with the values. Errors about a modifier point at
// it inside the key; errors about a value point at the value.
func (p *parser) modifiers(s *Search, it *Item, key *yaml.Node) error {
	var positions []Pos // of each rune of the key, computed on the first error
	modPos := func(i int) Pos {
		if positions == nil {
			positions = p.src.scalarPositions(key)
		}
		off := utf8.RuneCountInString(it.Field) + 1
		for _, m := range it.Modifiers[:i] {
			off += utf8.RuneCountInString(m) + 1
		}
		return positions[min(off, len(positions)-1)]
	}
	what := describe(s, it)
	opName := ""
	for i, m := range it.Modifiers {
		if t, ok := transformModifiers[m]; ok {
			it.Transforms = append(it.Transforms, t)
			continue
		}
		if op, ok := opModifiers[m]; ok {
			if opName != "" {
				return p.errorf(modPos(i), "%s: modifiers %s and %s cannot be combined", what, opName, m)
			}
			opName, it.Op = m, op
			continue
		}
		switch {
		case m == "all":
			it.All = true
		case m == "cased":
			it.Cased = true
		case m == "neq":
			it.Neq = true
		case m == "fieldref":
			it.FieldRef = true
		case m == "i" || m == "m" || m == "s":
			if it.Op != OpRegexp {
				return p.errorf(modPos(i), "%s: modifier %s is a flag of re and must follow it (re|%s)", what, m, m)
			}
			if !strings.Contains(it.ReFlags, m) {
				it.ReFlags += m
			}
		case timeModifiers[m]:
			if it.TimePart != "" {
				return p.errorf(modPos(i), "%s: modifiers %s and %s cannot be combined", what, it.TimePart, m)
			}
			it.TimePart = m
		case m == "":
			return p.errorf(modPos(i), "%s: empty modifier", what)
		default:
			return p.errorf(modPos(i), "%s: unknown modifier %q", what, m)
		}
	}

	// Combinations.
	modIndex := func(name string) int {
		for i, m := range it.Modifiers {
			if m == name {
				return i
			}
		}
		return 0
	}
	stringOp := it.Op == OpEqual || it.Op == OpContains || it.Op == OpStartsWith || it.Op == OpEndsWith
	if len(it.Transforms) > 0 && !stringOp {
		return p.errorf(modPos(modIndex(opName)), "%s: %s cannot follow the value transform %s", what, opName, it.Transforms[0])
	}
	if it.FieldRef && !stringOp {
		return p.errorf(modPos(modIndex(opName)), "%s: %s cannot be combined with fieldref", what, opName)
	}
	if it.FieldRef && it.Field == "" {
		return p.errorf(modPos(modIndex("fieldref")), "%s: fieldref needs a field", what)
	}
	if it.FieldRef && len(it.Transforms) > 0 {
		return p.errorf(modPos(modIndex("fieldref")), "%s: fieldref cannot be combined with %s", what, it.Transforms[0])
	}
	if it.TimePart != "" {
		switch it.Op {
		case OpEqual, OpLT, OpLTE, OpGT, OpGTE:
		default:
			return p.errorf(modPos(modIndex(opName)), "%s: %s cannot be combined with %s", what, opName, it.TimePart)
		}
		if it.FieldRef || len(it.Transforms) > 0 {
			return p.errorf(modPos(modIndex(it.TimePart)), "%s: %s compares numbers only", what, it.TimePart)
		}
	}
	if it.Op == OpExists && (it.Neq || it.All || it.Cased) {
		return p.errorf(modPos(modIndex("exists")), "%s: exists takes no other modifier", what)
	}

	// Values.
	for _, v := range it.Values {
		if v.Kind == Null && !(it.Op == OpEqual && !it.FieldRef && it.TimePart == "") {
			return p.errorf(v.Pos, "%s: null can only be compared with a plain value, not with modifiers", what)
		}
		switch {
		case it.Op == OpExists:
			if v.Kind != Bool || len(it.Values) != 1 {
				return p.errorf(v.Pos, "%s: exists takes true or false, not %q", what, v.Text)
			}
		case it.Op == OpCIDR:
			if _, err := netip.ParsePrefix(v.Text); err != nil {
				if _, err2 := netip.ParseAddr(v.Text); err2 != nil {
					return p.errorf(v.Pos, "%s: invalid network %q: %v", what, v.Text, err)
				}
			}
		case it.Op == OpRegexp:
			if _, err := TranslateRegexp(v.Text, it.ReFlags); err != nil {
				if errors.Is(err, errors.ErrUnsupported) {
					p.unsupportedf("%s: %v", what, err)
					continue
				}
				return p.errorf(v.Pos, "%s: %v", what, err)
			}
		case numericOp(it.Op) || it.TimePart != "":
			if !isNumber(v) {
				return p.errorf(v.Pos, "%s: %s needs a number, not %q", what, opOrTime(it), v.Text)
			}
		case it.FieldRef:
			if v.Kind != String || v.Text == "" {
				return p.errorf(v.Pos, "%s: fieldref needs a field name, not %q", what, v.Text)
			}
		}
	}
	return nil
}

// numericOp reports whether op compares numbers.
func numericOp(op Op) bool {
	return op == OpLT || op == OpLTE || op == OpGT || op == OpGTE
}

func opOrTime(it *Item) string {
	if numericOp(it.Op) {
		return it.Op.String()
	}
	return it.TimePart
}

// isNumber reports whether v is a number, written as one or as a string.
func isNumber(v Value) bool {
	if v.Kind == Bool || v.Kind == Null {
		return false
	}
	_, ok := parseNumber(v.Text)
	return ok
}

// parseNumber parses a YAML number: decimal, float, or an integer with a
// 0x, 0o or 0b prefix, with optional "_" separators.
func parseNumber(text string) (float64, bool) {
	text = strings.ReplaceAll(text, "_", "")
	if x, err := strconv.ParseFloat(text, 64); err == nil {
		return x, true
	}
	if i, err := strconv.ParseInt(text, 0, 64); err == nil {
		return float64(i), true
	}
	return 0, false
}
