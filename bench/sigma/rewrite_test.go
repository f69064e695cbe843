package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"

	sigmago "github.com/bradleyjkemp/sigma-go"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// This file rewrites one Sigma item into a sigma-go search that sigma-go
// evaluates, for one event, as the Sigma specification (2.1, modifiers
// appendix) and Vigie's documented choices say, using only what sigma-go
// does right: regular expressions, the "null" string that its base
// comparator matches against a missing value, and field mappings (through
// which it compares each element of a list). A disagreement on an item
// is explained when the rewritten item gives Vigie's answer: the rewrite
// is then an independent check of Vigie's handling of the features it
// works around.

// errNoRewrite is returned for items the rewrite does not cover.
var errNoRewrite = errors.New("no rewrite for this item")

// neverRE matches no string.
const neverRE = `[^\x00-\x{10FFFF}]`

// rewritten is an item as sigma-go should evaluate it for one event.
type rewritten struct {
	search sigmago.Search
	cfg    sigmago.Config // the alternative's config, with identity mappings added
	event  map[string]any // the event, with Null values read as "" where the item compares strings
}

// rewriteItem rewrites it for event e (m is e as sigma-go reads it) under
// the alternative config cfg; entry is Vigie's log source entry for e,
// whose renames fieldref uses.
func rewriteItem(it *sigma.Item, cfg sigmago.Config, entry logsource.Entry, e *event.Event, m map[string]any) (rewritten, error) {
	rw := rewritten{cfg: cfg, event: m}
	cloned := false
	// set changes the event as this item sees it, on a copy.
	set := func(name string, v any) {
		if !cloned {
			rw.event, cloned = maps.Clone(m), true
		}
		rw.event[name] = v
	}
	rw.cfg.FieldMappings = maps.Clone(cfg.FieldMappings)
	if rw.cfg.FieldMappings == nil {
		rw.cfg.FieldMappings = map[string]sigmago.FieldMapping{}
	}
	// identity makes sigma-go compare each element of a list value: it
	// only spreads lists read through a field mapping.
	identity := func(name string) {
		if _, ok := rw.cfg.FieldMappings[name]; !ok {
			rw.cfg.FieldMappings[name] = sigmago.FieldMapping{TargetNames: []string{name}}
		}
	}
	if it.Op == sigma.OpExists || it.Neq || it.TimePart != "" {
		return rw, errNoRewrite
	}

	if it.Field == "" { // keywords: contains, with wildcards, in every String value
		if it.All {
			return rw, errNoRewrite
		}
		var res []any
		for _, v := range it.Values {
			vs, err := valueRegexps(it, v, sigma.OpContains)
			if err != nil {
				return rw, err
			}
			res = append(res, vs...)
		}
		seen := map[string]bool{}
		for _, f := range e.Fields {
			if f.Type != event.String || seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			// Only String values are searched: a field of several values
			// is given as its String values alone.
			var strs []any
			for _, g := range e.Fields {
				if g.Name == f.Name && g.Type == event.String {
					strs = append(strs, g.Value)
				}
			}
			rw.cfg.FieldMappings[f.Name] = sigmago.FieldMapping{TargetNames: []string{f.Name}}
			set(f.Name, strs)
			rw.search.EventMatchers = append(rw.search.EventMatchers, sigmago.EventMatcher{{Field: f.Name, Modifiers: []string{"re"}, Values: res}})
		}
		if len(rw.search.EventMatchers) == 0 {
			rw.search.EventMatchers = []sigmago.EventMatcher{{{Field: "vigie.no-field", Modifiers: []string{"re"}, Values: []any{neverRE}}}}
		}
		return rw, nil
	}

	// Vigie's rename of the field, where it differs from thor.yml's.
	if to, ok := entry.Fields[it.Field]; ok {
		rw.cfg.FieldMappings[it.Field] = sigmago.FieldMapping{TargetNames: []string{to}}
	} else {
		delete(rw.cfg.FieldMappings, it.Field)
	}
	identity(it.Field)
	name := mappedName(rw.cfg, it.Field)
	hasNull := slices.ContainsFunc(it.Values, func(v sigma.Value) bool { return v.Kind == sigma.Null })
	if !hasNull && stringOp(it.Op) {
		// Vigie reads a Null value as "" in string comparisons.
		switch v := m[name].(type) {
		case nil:
			if _, ok := m[name]; ok {
				set(name, "")
			}
		case []any:
			if slices.Contains(v, nil) {
				vs := slices.Clone(v)
				for i := range vs {
					if vs[i] == nil {
						vs[i] = ""
					}
				}
				set(name, vs)
			}
		}
	}

	// One field matcher per rule value with all (ANDed in one event
	// matcher), else one with every value (ORed).
	var fms []sigmago.FieldMatcher
	add := func(mods []string, vals []any) {
		if it.All {
			for _, v := range vals {
				fms = append(fms, sigmago.FieldMatcher{Field: it.Field, Modifiers: mods, Values: []any{v}})
			}
			return
		}
		if len(fms) == 0 {
			fms = append(fms, sigmago.FieldMatcher{Field: it.Field, Modifiers: mods})
		}
		fms[0].Values = append(fms[0].Values, vals...)
	}
	switch {
	case it.FieldRef:
		var res []any
		for _, v := range it.Values {
			ref := v.Text
			if to, ok := entry.Fields[ref]; ok {
				ref = to
			}
			var alts []string
			for _, f := range e.Fields {
				if f.Name == ref {
					alts = append(alts, literalRegexp(f.Value, it.Op, it.Cased))
				}
			}
			if len(alts) == 0 {
				alts = []string{neverRE}
			}
			res = append(res, "(?:"+strings.Join(alts, ")|(?:")+")")
		}
		add([]string{"re"}, res)
	case it.Op == sigma.OpRegexp:
		var res []any
		for _, v := range it.Values {
			flags := it.ReFlags
			if flags != "" {
				res = append(res, "(?"+flags+")"+v.Text)
			} else {
				res = append(res, v.Text)
			}
		}
		add([]string{"re"}, res)
	case it.Op == sigma.OpCIDR, it.Op >= sigma.OpLT:
		var vals []any
		for _, v := range it.Values {
			vals = append(vals, v.Text)
		}
		add([]string{opName(it.Op)}, vals)
	default: // equal, contains, startswith, endswith
		for _, v := range it.Values {
			if v.Kind == sigma.Null {
				add(nil, []any{"null"}) // sigma-go's base comparator: a missing or nil value
				continue
			}
			vs, err := valueRegexps(it, v, it.Op)
			if err != nil {
				return rw, err
			}
			if it.All {
				// The variants of one value are ORed.
				fms = append(fms, sigmago.FieldMatcher{Field: it.Field, Modifiers: []string{"re"}, Values: vs})
			} else {
				add([]string{"re"}, vs)
			}
		}
	}
	rw.search.EventMatchers = []sigmago.EventMatcher{fms}
	return rw, nil
}

// stringOp reports whether op compares text (Vigie reads a Null value as
// "" for these).
func stringOp(op sigma.Op) bool { return op <= sigma.OpRegexp }

// mappedName is the event field sigma-go reads for a rule field.
func mappedName(cfg sigmago.Config, field string) string {
	if fm, ok := cfg.FieldMappings[field]; ok && len(fm.TargetNames) == 1 {
		return fm.TargetNames[0]
	}
	return field
}

func opName(op sigma.Op) string {
	return map[sigma.Op]string{sigma.OpCIDR: "cidr", sigma.OpLT: "lt", sigma.OpLTE: "lte", sigma.OpGT: "gt", sigma.OpGTE: "gte"}[op]
}

// valueRegexps returns the regular expressions, any of which matching
// means the value matches under op: one per windash and base64offset
// variant.
func valueRegexps(it *sigma.Item, v sigma.Value, op sigma.Op) ([]any, error) {
	if v.Kind != sigma.String {
		return []any{literalRegexp(v.Text, op, it.Cased)}, nil
	}
	texts := []string{v.Text}
	encoded := false
	for _, t := range it.Transforms {
		var next []string
		for _, s := range texts {
			switch t {
			case sigma.Windash:
				next = append(next, windashVariants(s)...)
			case sigma.UTF16LE, sigma.UTF16BE, sigma.UTF16:
				lit, ok := unescape(s)
				if !ok {
					return nil, errNoRewrite
				}
				next = append(next, encodeUTF16(lit, t))
				encoded = true
			case sigma.Base64, sigma.Base64Offset:
				lit := s
				if !encoded {
					var ok bool
					if lit, ok = unescape(s); !ok {
						return nil, errNoRewrite
					}
				}
				if t == sigma.Base64 {
					next = append(next, base64.StdEncoding.EncodeToString([]byte(lit)))
				} else {
					next = append(next, base64Offsets(lit)...)
				}
				encoded = true
			default:
				return nil, errNoRewrite
			}
		}
		texts = next
	}
	var out []any
	for _, s := range texts {
		if encoded {
			out = append(out, literalRegexp(s, op, true))
		} else {
			re, _, _ := globRegexp(s, op, it.Cased)
			out = append(out, re)
		}
	}
	return out, nil
}

// windashVariants replaces each of - / – — ― in s by each of them, in
// every combination (the specification's windash).
func windashVariants(s string) []string {
	dashes := []string{"-", "/", "–", "—", "―"}
	out := []string{""}
	for _, r := range s {
		c := string(r)
		if !slices.Contains(dashes, c) {
			for i := range out {
				out[i] += c
			}
			continue
		}
		var next []string
		for _, prefix := range out {
			for _, d := range dashes {
				next = append(next, prefix+d)
			}
		}
		out = next
	}
	return out
}

// unescape returns a Sigma string without its escapes, and false when it
// has a wildcard.
func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// encodeUTF16 encodes s as the utf16le (wide), utf16be or utf16 (byte
// order mark FF FE, then little-endian) modifier says.
func encodeUTF16(s string, t sigma.Transform) string {
	var b []byte
	if t == sigma.UTF16 {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if t == sigma.UTF16BE {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three encodings of s at offsets 0, 1 and 2 of
// a base64 stream, cut to the characters that do not depend on the
// neighbouring bytes, as pySigma's base64offset does:
// b64encode(i*b' ' + s)[(0, 2, 3)[i] : (None, -3, -2)[(len(s)+i) % 3]].
func base64Offsets(s string) []string {
	start := []int{0, 2, 3}
	end := []int{0, -3, -2}
	var out []string
	for i := range 3 {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + s))
		hi := len(enc)
		if e := end[(len(s)+i)%3]; e != 0 {
			hi += e
		}
		out = append(out, enc[start[i]:hi])
	}
	return out
}

// literalRegexp is a regular expression matching s literally under op.
func literalRegexp(s string, op sigma.Op, cased bool) string {
	var b strings.Builder
	if !cased {
		b.WriteString("(?i)")
	}
	b.WriteString("(?s)")
	if op == sigma.OpEqual || op == sigma.OpStartsWith {
		b.WriteString("^")
	}
	b.WriteString(regexp.QuoteMeta(s))
	if op == sigma.OpEqual || op == sigma.OpEndsWith {
		b.WriteString("$")
	}
	return b.String()
}

// itemFeatures lists what in it sigma-go lacks, as reasons; val is the
// event value sigma-go reads for it.
func itemFeatures(it *sigma.Item, fm *sigmago.FieldMatcher, val any, present bool) []string {
	var out []string
	if it.Field == "" {
		return []string{reasonKeywords}
	}
	for i, v := range it.Values {
		switch v.Kind {
		case sigma.Null:
			out = append(out, reasonNullValue)
		case sigma.Number:
			if fm != nil && i < len(fm.Values) && fmt.Sprint(fm.Values[i]) != v.Text {
				out = append(out, reasonYAMLNumber)
			}
		case sigma.String:
			if v.Text == "null" && it.Op == sigma.OpEqual && (!present || val == nil) {
				out = append(out, reasonNullString)
			}
			if len(v.Text) > 1 && strings.HasPrefix(v.Text, "%") && strings.HasSuffix(v.Text, "%") {
				out = append(out, reasonPlaceholder)
			}
			if len(it.Transforms) == 0 && !it.FieldRef && it.Op <= sigma.OpEndsWith {
				_, wild, esc := globRegexp(v.Text, it.Op, it.Cased)
				if wild {
					out = append(out, reasonWildcard)
				}
				if esc {
					out = append(out, reasonEscape)
				}
			}
		}
	}
	supported := map[string]bool{"contains": true, "endswith": true, "startswith": true, "re": true, "cidr": true,
		"gt": true, "gte": true, "lt": true, "lte": true, "base64": true}
	for i, m := range it.Modifiers {
		switch {
		case m == "all" && i < len(it.Modifiers)-1:
			out = append(out, reasonAllNotLast)
		case m != "all" && !supported[m]:
			out = append(out, reasonModifier(m))
		}
	}
	if present {
		switch val.(type) {
		case []any:
			out = append(out, reasonMultiValue)
		case nil:
			if stringOp(it.Op) {
				out = append(out, reasonNullField)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
