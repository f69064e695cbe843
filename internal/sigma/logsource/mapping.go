package logsource

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
)

//go:embed default.yml
var defaultYAML []byte

// Mapping is a set of entries, resolved as the package documentation
// describes. A Mapping is immutable once built: its methods may be called
// from any number of goroutines, and Merge returns a new Mapping.
type Mapping struct {
	entries []Entry // in file order; names are unique
}

// Default returns the mapping built into Vigie (default.yml).
func Default() *Mapping {
	m, err := Parse("default.yml", defaultYAML)
	if err != nil {
		panic("BUG: the embedded logsource mapping does not parse: " + err.Error())
	}
	return m
}

// Entries returns a copy of the entries of m, in the order they were given
// (after Merge: the defaults, each replaced in place by a user entry of the
// same name, then the user's new entries).
func (m *Mapping) Entries() []Entry {
	out := make([]Entry, len(m.entries))
	for i, en := range m.entries {
		out[i] = en.clone()
	}
	return out
}

// Merge returns a mapping holding the entries of m and of other. An entry
// of other replaces the entry of m with the same Name, at its position; the
// other entries of other are added after those of m. Neither m nor other is
// modified. This is how a user's mapping file is laid over Default.
func (m *Mapping) Merge(other *Mapping) *Mapping {
	out := &Mapping{entries: slices.Clone(m.entries)}
	index := make(map[string]int, len(out.entries))
	for i, en := range out.entries {
		index[en.Name] = i
	}
	for _, en := range other.entries {
		if i, ok := index[en.Name]; ok {
			out.entries[i] = en
			continue
		}
		index[en.Name] = len(out.entries)
		out.entries = append(out.entries, en)
	}
	return out
}

// Resolve returns the alternatives for the Sigma log source (category,
// product, service), any of which may be empty, following the rules in the
// package documentation. It returns false when the mapping does not cover
// every part of the log source, or when no combination of its entries can
// hold. The returned entries are new: the caller may keep and modify them.
func (m *Mapping) Resolve(category, product, service string) ([]Entry, bool) {
	want := [3]string{category, product, service}
	var groups [][]Entry // candidates with the same keys, in file order
	var groupKeys [][3]string
	var covered [3]bool
	for _, en := range m.entries {
		keys := en.keys()
		if !within(keys, want) {
			continue
		}
		for i, k := range keys {
			if k != "" {
				covered[i] = true
			}
		}
		g := slices.IndexFunc(groupKeys, func(k [3]string) bool { return sameKeys(k, keys) })
		if g < 0 {
			groupKeys = append(groupKeys, keys)
			groups = append(groups, nil)
			g = len(groups) - 1
		}
		groups[g] = append(groups[g], en)
	}
	if len(groups) == 0 {
		return nil, false
	}
	for i, w := range want {
		if w != "" && !covered[i] {
			return nil, false
		}
	}
	// Most specific group first, so that its names lead and its renames win.
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return given(groupKeys[b]) - given(groupKeys[a]) })

	alts := []Entry{{Category: category, Product: product, Service: service}}
	for _, g := range order {
		var next []Entry
		for _, alt := range alts {
			for _, en := range groups[g] {
				if c, ok := combine(alt, en); ok {
					next = append(next, c)
				}
			}
		}
		alts = next
	}
	return alts, len(alts) > 0
}

// keys returns the category, product and service of en.
func (en Entry) keys() [3]string { return [3]string{en.Category, en.Product, en.Service} }

// within reports whether every key given in keys equals the one in want.
func within(keys, want [3]string) bool {
	for i, k := range keys {
		if k != "" && !strings.EqualFold(k, want[i]) {
			return false
		}
	}
	return true
}

// sameKeys reports whether a and b give the same keys with equal values.
func sameKeys(a, b [3]string) bool {
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// given counts the keys given in keys.
func given(keys [3]string) int {
	n := 0
	for _, k := range keys {
		if k != "" {
			n++
		}
	}
	return n
}

// combine returns acc with the conditions and field renames of en added:
// a field tested by both keeps only the values both allow, and acc's
// renames win. ok is false when a field is left with no allowed value.
func combine(acc, en Entry) (Entry, bool) {
	out := acc.clone()
	if out.Name == "" {
		out.Name = en.Name
	} else {
		out.Name += "+" + en.Name
	}
	for _, c := range en.Conditions {
		i := slices.IndexFunc(out.Conditions, func(o Condition) bool { return o.Field == c.Field })
		if i < 0 {
			out.Conditions = append(out.Conditions, Condition{Field: c.Field, Values: slices.Clone(c.Values)})
			continue
		}
		both := slices.DeleteFunc(out.Conditions[i].Values, func(v string) bool { return !c.allows(v) })
		if len(both) == 0 {
			return Entry{}, false
		}
		out.Conditions[i].Values = both
	}
	for from, to := range en.Fields {
		if _, ok := out.Fields[from]; ok {
			continue
		}
		if out.Fields == nil {
			out.Fields = make(map[string]string, len(en.Fields))
		}
		out.Fields[from] = to
	}
	return out, true
}

// clone returns a deep copy of en.
func (en Entry) clone() Entry {
	out := en
	out.Conditions = make([]Condition, len(en.Conditions))
	for i, c := range en.Conditions {
		out.Conditions[i] = Condition{Field: c.Field, Values: slices.Clone(c.Values)}
	}
	if en.Conditions == nil {
		out.Conditions = nil
	}
	out.Fields = maps.Clone(en.Fields)
	return out
}

// String renders en on one line, for messages and tests:
// "process_creation_4688: Channel=Security EventID=4688 Image→NewProcessName".
func (en Entry) String() string {
	var b strings.Builder
	b.WriteString(en.Name)
	b.WriteString(":")
	for _, c := range en.Conditions {
		fmt.Fprintf(&b, " %s=%s", c.Field, strings.Join(c.Values, "|"))
	}
	for _, from := range slices.Sorted(maps.Keys(en.Fields)) {
		fmt.Fprintf(&b, " %s→%s", from, en.Fields[from])
	}
	return b.String()
}
