package sigma

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreSyntax leaves the detection's searches and condition out of
// comparisons of whole rules.
var ignoreSyntax = cmpopts.IgnoreFields(Detection{}, "Searches", "Condition")

func TestParseMetadata(t *testing.T) {
	// tests/schema/rules/rule_1.yml of the specification, with an
	// unquoted date and custom attributes.
	const rule = `title: A Title
id: 545a5da6-f103-4919-a519-e9aec1026ee4
name: a_title
related:
    - id: 6c82cf5c-090d-4d57-9188-533577631108
      type: similar
status: test
description: a very good information string that need to be written
license: DRL-1.1
references:
    - https://123.456
    - https://789.963
author: SomeOne
date: 2017-05-09
modified: 2023/04/14
tags:
    - attack.defense-evasion
    - attack.t1211
logsource:
    product: windows
    service: application
    definition: 'Requirements: audit policy'
    custom: ignored
detection:
    selection:
        Provider_Name: 'Application Error'
    condition: selection
fields: [a, b]
falsepositives:
    - a string
level: high
ruletype: Hayabusa
sample-evtx: |
    <Event/>
`
	rules, err := Parse("rule_1.yml", []byte(rule))
	if err != nil {
		t.Fatal(err)
	}
	want := &Rule{
		File: "rule_1.yml", Pos: Pos{1, 1}, Kind: KindDetection,
		ID: "545a5da6-f103-4919-a519-e9aec1026ee4", Name: "a_title", Title: "A Title",
		Description: "a very good information string that need to be written",
		Status:      "test", Level: "high", Author: "SomeOne", Date: "2017-05-09", Modified: "2023/04/14",
		Tags:           []string{"attack.defense-evasion", "attack.t1211"},
		References:     []string{"https://123.456", "https://789.963"},
		FalsePositives: []string{"a string"},
		Fields:         []string{"a", "b"},
		Related:        []Related{{ID: "6c82cf5c-090d-4d57-9188-533577631108", Type: "similar"}},
		License:        "DRL-1.1",
		Logsource:      Logsource{Product: "windows", Service: "application", Definition: "Requirements: audit policy", Pos: Pos{19, 1}},
		Detection:      &Detection{Pos: Pos{24, 1}, ConditionText: "selection"},
	}
	if diff := cmp.Diff([]*Rule{want}, rules, ignoreSyntax); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseLenientLists(t *testing.T) {
	const rule = `title: t
references: https://example.com
tags:
falsepositives: ~
author: [A, B]
fields: 5
logsource: {product: windows}
detection: {sel: {a: 1}, condition: sel}
`
	rules, err := Parse("r.yml", []byte(rule))
	if err != nil {
		t.Fatal(err)
	}
	r := rules[0]
	if diff := cmp.Diff([]string{"https://example.com"}, r.References); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if r.Tags != nil || r.FalsePositives != nil {
		t.Errorf("tags, falsepositives: got %q, %q, want nil", r.Tags, r.FalsePositives)
	}
	if r.Author != "A, B" {
		t.Errorf("author: got %q, want %q", r.Author, "A, B")
	}
	if diff := cmp.Diff([]string{"5"}, r.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	f := func(rule, want string) {
		t.Helper()
		rules, err := Parse("r.yml", []byte(rule))
		if err == nil || err.Error() != want {
			t.Errorf("%s\ngot  %v\nwant %s", rule, err, want)
		}
		if len(rules) != 0 {
			t.Errorf("%s\ngot %d rules, want none", rule, len(rules))
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s\nerror %T is not an *Error matching ErrInvalid", rule, err)
		}
	}
	const ok = "logsource: {product: windows}\ndetection: {sel: {a: 1}, condition: sel}\n"
	f(ok, "r.yml:1:1: missing title")
	f("title:\n"+ok, "r.yml:1:1: missing title")
	f("title: [a]\n"+ok, "r.yml:1:8: title must be a single value")
	f("title: t\nlevel: severe\n"+ok, `r.yml:2:8: unknown level "severe" (want informational, low, medium, high or critical)`)
	f("title: t\nlevel: High\n"+ok, `r.yml:2:8: unknown level "High" (want informational, low, medium, high or critical)`)
	f("title: t\ntags: {a: b}\n"+ok, "r.yml:2:7: tags must be a list of values")
	f("title: t\nreferences: [[a]]\n"+ok, "r.yml:2:14: references must be a list of values")
	f("title: t\nrelated: x\n"+ok, "r.yml:2:10: related must be a list of {id, type}")
	f("title: t\nrelated: [{type: derived}]\n"+ok, "r.yml:2:11: related entry without an id")
	f("title: t\ntitle: u\n"+ok, `r.yml:2:1: duplicate key "title"`)
	f("title: t\ndetection: {sel: {a: 1}, condition: sel}\n", "r.yml:1:1: missing logsource")
	f("title: t\nlogsource: windows\ndetection: {sel: {a: 1}, condition: sel}\n", "r.yml:2:12: logsource must be a mapping of category, product, service")
	f("title: t\nlogsource: {product: windows}\n", "r.yml:1:1: missing detection")
	f("title: t\nlogsource: {product: windows}\ndetection: [a]\n", "r.yml:3:12: detection must be a mapping of search identifiers and a condition")
	f("- a\n- b\n", "r.yml:1:1: a rule must be a mapping of attributes")
	f("title: t\n  bad: indent\n", "r.yml:2:1: mapping values are not allowed in this context")
	f("title: 'unclosed\n", "r.yml:2:1: found unexpected end of stream")
}

func TestParseDocuments(t *testing.T) {
	const file = `title: first
logsource: {product: windows}
detection: {sel: {a: 1}, condition: sel}
---
title: second
logsource: {product: windows}
detection: {sel: {a: 1}, condition: nope}
---
# only a comment
---
title: third
logsource: {product: windows}
detection:
    sel: {a: 1
    condition: sel
--- # fourth
title: fourth
logsource: {product: windows}
detection: {sel: {a: 1}, condition: sel}
...
---
`
	rules, err := Parse("multi.yml", []byte(file))
	var titles []string
	for _, r := range rules {
		titles = append(titles, r.Title+"@"+filePos(r.Pos))
	}
	if got, want := strings.Join(titles, " "), "first@1:1 fourth@17:1"; got != want {
		t.Errorf("rules: got %s, want %s", got, want)
	}
	want := "multi.yml:7:37: condition: unknown search identifier \"nope\"\n" +
		"multi.yml:14:1: did not find expected ',' or '}'"
	if err == nil || err.Error() != want {
		t.Errorf("errors:\ngot  %v\nwant %s", err, want)
	}
}

func filePos(p Pos) string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

func TestParseEmpty(t *testing.T) {
	for _, data := range []string{"", "\n", "---\n", "# comment\n", "---\n---\n", "~\n", "\xef\xbb\xbf"} {
		rules, err := Parse("e.yml", []byte(data))
		if len(rules) != 0 || err != nil {
			t.Errorf("Parse(%q) = %d rules, %v; want none, nil", data, len(rules), err)
		}
	}
}

func TestParseCRLF(t *testing.T) {
	data := "title: t\r\nlogsource: {product: windows}\r\ndetection:\r\n    sel: {a: 1}\r\n    condition: sel and nope\r\n---\r\ntitle: u\r\nlogsource: {product: windows}\r\ndetection: {sel: {a: 1}, condition: sel}\r\n"
	rules, err := Parse("crlf.yml", []byte(data))
	if want := `crlf.yml:5:24: condition: unknown search identifier "nope"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if len(rules) != 1 || rules[0].Title != "u" || rules[0].Pos != (Pos{7, 1}) {
		t.Errorf("got %d rules, want u at 7:1", len(rules))
	}
}

func TestParseCorrelation(t *testing.T) {
	f := func(name, rule string, want *Correlation) {
		t.Helper()
		rules, err := Parse(name, []byte(rule))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		r := rules[0]
		if r.Kind != KindCorrelation || r.Detection != nil {
			t.Errorf("%s: got kind %v, detection %v; want a correlation", name, r.Kind, r.Detection)
		}
		if diff := cmp.Diff(want, r.Correlation, ignorePos); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", name, diff)
		}
	}
	// The examples of the correlation specification.
	f("event_count", `title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
`, &Correlation{Type: EventCount, Rules: []string{"5638f7c0-ac70-491d-8465-2a65075e0d86"}, GroupBy: []string{"ComputerName"},
		Timespan: time.Hour, Condition: []Threshold{{"gte", 100}}})
	f("value_count", `title: Failed login
correlation:
    type: value_count
    rules: 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by: [ComputerName, WorkstationName]
    timespan: 1d
    condition:
        field: User
        gte: 100
`, &Correlation{Type: ValueCount, Rules: []string{"5638f7c0-ac70-491d-8465-2a65075e0d86"}, GroupBy: []string{"ComputerName", "WorkstationName"},
		Timespan: 24 * time.Hour, Field: "User", Condition: []Threshold{{"gte", 100}}})
	f("temporal", `title: Recon
correlation:
    type: temporal
    rules: [recon_cmd_a, recon_cmd_b, recon_cmd_c]
    group-by: [ComputerName, User]
    timespan: 5m
`, &Correlation{Type: Temporal, Rules: []string{"recon_cmd_a", "recon_cmd_b", "recon_cmd_c"}, GroupBy: []string{"ComputerName", "User"},
		Timespan: 5 * time.Minute, Condition: []Threshold{{"gte", 3}}})
	f("temporal_ordered with aliases", `title: —
correlation:
    type: temporal_ordered
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip, remote_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
    generate: true
`, &Correlation{Type: TemporalOrdered, Rules: []string{"internal_error", "new_network_connection"}, GroupBy: []string{"internal_ip", "remote_ip"},
		Timespan: 10 * time.Second, Condition: []Threshold{{"gte", 2}}, Generate: true,
		Aliases: map[string]map[string]string{
			"internal_ip": {"internal_error": "destination.ip", "new_network_connection": "source.ip"},
			"remote_ip":   {"internal_error": "source.ip", "new_network_connection": "destination.ip"},
		}})
	f("value_sum range", `title: Possible Exfiltration
correlation:
    type: value_sum
    rules: [website_access]
    group-by: [SourceIP]
    timespan: 1h
    condition:
        field: bytes_sent
        gt: 100
        lte: 200.5
`, &Correlation{Type: ValueSum, Rules: []string{"website_access"}, GroupBy: []string{"SourceIP"},
		Timespan: time.Hour, Field: "bytes_sent", Condition: []Threshold{{"gt", 100}, {"lte", 200.5}}})
	f("value_avg", `title: avg
correlation: {type: value_avg, rules: [a], group-by: [b], timespan: 24h, condition: {field: BytesOut, gt: 500}}
`, &Correlation{Type: ValueAvg, Rules: []string{"a"}, GroupBy: []string{"b"}, Timespan: 24 * time.Hour, Field: "BytesOut", Condition: []Threshold{{"gt", 500}}})
	f("value_percentile", `title: pct
correlation: {type: value_percentile, rules: [a], timespan: 1w, condition: {field: Image, lte: 1, neq: 0x0}}
`, &Correlation{Type: ValuePercentile, Rules: []string{"a"}, Timespan: 7 * 24 * time.Hour, Field: "Image", Condition: []Threshold{{"lte", 1}, {"neq", 0}}})
}

func TestParseCorrelationErrors(t *testing.T) {
	f := func(corr, want string) {
		t.Helper()
		_, err := Parse("c.yml", []byte("title: t\ncorrelation:\n"+corr))
		if err == nil || err.Error() != want {
			t.Errorf("%s\ngot  %v\nwant %s", corr, err, want)
		}
	}
	f("    type: event_counts\n    rules: a\n    timespan: 1h\n    condition: {gt: 1}\n",
		`c.yml:3:11: unknown correlation type "event_counts" (want event_count, value_count, temporal, temporal_ordered, value_sum, value_avg or value_percentile)`)
	f("    rules: a\n    timespan: 1h\n", "c.yml:2:1: correlation has no type")
	f("    type: temporal\n    timespan: 1h\n", "c.yml:2:1: correlation has no rules")
	f("    type: temporal\n    rules: []\n    timespan: 1h\n", "c.yml:2:1: correlation has no rules")
	f("    type: temporal\n    rules: a\n", "c.yml:2:1: correlation has no timespan")
	f("    type: temporal\n    rules: a\n    timespan: 1H\n", `c.yml:5:15: timespan: invalid duration "1H": the unit is lower-case (h)`)
	f("    type: event_count\n    rules: a\n    timespan: 1h\n", "c.yml:2:1: event_count correlation has no condition")
	f("    type: value_count\n    rules: a\n    timespan: 1h\n    condition: {gt: 1}\n", "c.yml:6:16: value_count correlation needs a field in its condition")
	f("    type: value_sum\n    rules: a\n    timespan: 1h\n    condition: {field: x}\n", "c.yml:2:1: value_sum correlation has no condition")
	f("    type: event_count\n    rules: a\n    timespan: 1h\n    condition: {gt: many}\n", "c.yml:6:21: correlation condition: gt needs a number")
	f("    type: event_count\n    rules: a\n    timespan: 1h\n    condition: {above: 1}\n", `c.yml:6:17: correlation condition: unknown key "above" (want gt, gte, lt, lte, eq, neq or field)`)
	f("    type: event_count\n    rules: a\n    timespan: 1h\n    condition: 5\n", "c.yml:6:16: correlation condition must be a mapping like {gte: 10}")
	f("    type: event_count\n    rules: a\n    timespan: 1h\n    condition: {gt: 1}\n    generate: yes\n", "c.yml:7:15: generate must be true or false")
	f("    type: event_count\n    rules: a\n    timespan: 1h\n    condition: {gt: 1}\n    groupby: [a]\n", `c.yml:7:5: unknown correlation attribute "groupby"`)
	f("    type: temporal\n    rules: a\n    timespan: 1h\n    aliases: {ip: a}\n", `c.yml:6:19: alias "ip" must map rule names to fields`)
}

func TestParseFilter(t *testing.T) {
	// tests/schema/filter/filter_1.yml of the specification.
	const rule = `title: Filter Administrator account
description: The valid administrator account start with adm_
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095 # Data Compressed - rar.exe
        - df0841c0-9846-4e9f-ad8a-7df91571771b # Login on jump host
    selection:
        User|startswith: 'adm_'
    condition: selection
`
	rules, err := Parse("filter_1.yml", []byte(rule))
	if err != nil {
		t.Fatal(err)
	}
	r := rules[0]
	if r.Kind != KindFilter {
		t.Errorf("got kind %v, want filter", r.Kind)
	}
	wantFilter := &Filter{Pos: Pos{6, 1}, Rules: []string{"6f3e2987-db24-4c78-a860-b4f4095a7095", "df0841c0-9846-4e9f-ad8a-7df91571771b"}}
	if diff := cmp.Diff(wantFilter, r.Filter); diff != "" {
		t.Errorf("filter (-want +got):\n%s", diff)
	}
	wantDetection := &Detection{
		Searches: []*Search{{Name: "selection", Groups: [][]*Item{{
			{Field: "User", Modifiers: []string{"startswith"}, Op: OpStartsWith, Values: []Value{str("adm_")}},
		}}}},
		Condition:     &Ident{Name: "selection"},
		ConditionText: "selection",
	}
	if diff := cmp.Diff(wantDetection, r.Detection, ignorePos); diff != "" {
		t.Errorf("detection (-want +got):\n%s", diff)
	}

	f := func(rule, want string) {
		t.Helper()
		_, err := Parse("f.yml", []byte(rule))
		if err == nil || err.Error() != want {
			t.Errorf("%s\ngot  %v\nwant %s", rule, err, want)
		}
	}
	f("title: t\nfilter: {rules: [a], sel: {b: 1}, condition: sel}\n", "f.yml:1:1: missing logsource")
	f("title: t\nlogsource: {product: windows}\nfilter: {sel: {b: 1}, condition: sel}\n", "f.yml:3:1: filter has no rules")
	f("title: t\nlogsource: {product: windows}\nfilter: {rules: a, sel: {b: 1}}\n", "f.yml:3:1: filter has no condition")
	f("title: t\nlogsource: {product: windows}\nfilter: {rules: a, sel: {b: 1}, condition: rules}\n", `f.yml:3:44: condition: unknown search identifier "rules"`)
	f("title: t\nlogsource: {product: windows}\nfilter: {rules: a, sel: {b: 1}, condition: sel | count() > 1}\n", "f.yml:3:48: condition: a filter cannot aggregate")
}

func TestParseDuration(t *testing.T) {
	f := func(s string, want time.Duration, wantErr string) {
		t.Helper()
		got, err := ParseDuration(s)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != want || gotErr != wantErr {
			t.Errorf("ParseDuration(%q) = %v, %q; want %v, %q", s, got, gotErr, want, wantErr)
		}
	}
	f("30s", 30*time.Second, "")
	f("90m", 90*time.Minute, "")
	f("1h", time.Hour, "")
	f("24h", 24*time.Hour, "")
	f("2d", 48*time.Hour, "")
	f("1w", 7*24*time.Hour, "")
	f("1M", 0, `invalid duration "1M": months and years have no fixed length; use days (d)`)
	f("1y", 0, `invalid duration "1y": months and years have no fixed length; use days (d)`)
	f("1Y", 0, `invalid duration "1Y": months and years have no fixed length; use days (d)`)
	f("5S", 0, `invalid duration "5S": the unit is lower-case (s)`)
	f("0m", 0, `invalid duration "0m": must be positive`)
	f("-1m", 0, `invalid duration "-1m": want a whole number before the unit`)
	f("1.5h", 0, `invalid duration "1.5h": want a whole number before the unit`)
	f("m", 0, `invalid duration "m": want a number and a unit s, m, h, d or w, like 5m`)
	f("", 0, `invalid duration "": want a number and a unit s, m, h, d or w, like 5m`)
	f("5", 0, `invalid duration "5": want a number and a unit s, m, h, d or w, like 5m`)
	f("5ms", 0, `invalid duration "5ms": want a whole number before the unit`)
	f("1h30m", 0, `invalid duration "1h30m": want a whole number before the unit`)
	f("100000000w", 0, `invalid duration "100000000w": too long`)
	f("99999999999999999999s", 0, `invalid duration "99999999999999999999s": too long`)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rule := func(title string) string {
		return "title: " + title + "\nlogsource: {product: windows}\ndetection: {sel: {a: 1}, condition: sel}\n"
	}
	write("b/2.yml", rule("b2"))
	write("b/1.yaml", rule("b1"))
	write("a.yml", rule("a")+"---\n"+rule("a2"))
	write("c/bad.yml", "title: bad\n")
	write("c/notes.txt", "not a rule")
	write("single.txt", rule("single"))

	rules, err := Load(dir, filepath.Join(dir, "single.txt"))
	var titles []string
	for _, r := range rules {
		titles = append(titles, r.Title)
	}
	if got, want := strings.Join(titles, ","), "a,a2,b1,b2,single"; got != want {
		t.Errorf("titles: got %s, want %s", got, want)
	}
	if want := filepath.Join(dir, "c", "bad.yml") + ":1:1: missing logsource"; err == nil || err.Error() != want {
		t.Errorf("error: got %v, want %s", err, want)
	}

	if _, err := Load(filepath.Join(dir, "missing")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing): got %v, want an error matching os.ErrNotExist", err)
	}
	if rules, err := ParseFile(filepath.Join(dir, "a.yml")); err != nil || len(rules) != 2 || rules[1].File != filepath.Join(dir, "a.yml") {
		t.Errorf("ParseFile: got %d rules, %v; want 2 with File set", len(rules), err)
	}
}
