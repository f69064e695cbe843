package sigma

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePos leaves positions out of comparisons of parsed trees.
var ignorePos = cmpopts.IgnoreTypes(Pos{})

// itemRule is a rule whose search "sel" holds one item, written on line 5
// from column 9.
const itemRule = `title: t
logsource: {product: windows}
detection:
    sel:
        %s
    condition: sel
`

// parseItem parses itemRule with the item line and returns the item.
func parseItem(t *testing.T, line string) (*Rule, *Item) {
	t.Helper()
	rules, err := Parse("r.yml", fmt.Appendf(nil, itemRule, line))
	if err != nil {
		t.Fatalf("Parse(%q): %v", line, err)
	}
	if len(rules) != 1 {
		t.Fatalf("Parse(%q): got %d rules, want 1", line, len(rules))
	}
	s := rules[0].Detection.Search("sel")
	if len(s.Groups) != 1 || len(s.Groups[0]) != 1 {
		t.Fatalf("Parse(%q): got groups %v, want one item", line, s.Groups)
	}
	return rules[0], s.Groups[0][0]
}

func str(text string) Value { return Value{Kind: String, Text: text} }
func num(text string) Value { return Value{Kind: Number, Text: text} }

func TestModifiers(t *testing.T) {
	f := func(line string, want Item) {
		t.Helper()
		_, got := parseItem(t, line)
		if diff := cmp.Diff(&want, got, ignorePos); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", line, diff)
		}
	}
	// Examples of the specification and of its modifiers appendix.
	f(`Image: 'C:\Windows\System32\whoami.exe'`,
		Item{Field: "Image", Values: []Value{str(`C:\Windows\System32\whoami.exe`)}})
	f(`Image|endswith: '\\example.exe'`,
		Item{Field: "Image", Modifiers: []string{"endswith"}, Op: OpEndsWith, Values: []Value{str(`\\example.exe`)}})
	f(`Description|contains: 'Test executable'`,
		Item{Field: "Description", Modifiers: []string{"contains"}, Op: OpContains, Values: []Value{str("Test executable")}})
	f(`User|startswith: 'adm_'`,
		Item{Field: "User", Modifiers: []string{"startswith"}, Op: OpStartsWith, Values: []Value{str("adm_")}})
	f(`CommandLine|contains|all: ['-a', '-b']`,
		Item{Field: "CommandLine", Modifiers: []string{"contains", "all"}, Op: OpContains, All: true, Values: []Value{str("-a"), str("-b")}})
	f(`PasswordLastSet|exists: true`,
		Item{Field: "PasswordLastSet", Modifiers: []string{"exists"}, Op: OpExists, Values: []Value{{Kind: Bool, Text: "true"}}})
	f(`PasswordLastSet|exists: False`,
		Item{Field: "PasswordLastSet", Modifiers: []string{"exists"}, Op: OpExists, Values: []Value{{Kind: Bool, Text: "false"}}})
	f(`User|cased: 'Admin'`,
		Item{Field: "User", Modifiers: []string{"cased"}, Cased: true, Values: []Value{str("Admin")}})
	f(`User|contains|cased: 'Admin'`,
		Item{Field: "User", Modifiers: []string{"contains", "cased"}, Op: OpContains, Cased: true, Values: []Value{str("Admin")}})
	f(`User|neq: 'Admin'`,
		Item{Field: "User", Modifiers: []string{"neq"}, Neq: true, Values: []Value{str("Admin")}})
	f(`CommandLine|windash|contains: ' -enc '`,
		Item{Field: "CommandLine", Modifiers: []string{"windash", "contains"}, Op: OpContains, Transforms: []Transform{Windash}, Values: []Value{str(" -enc ")}})
	f(`CommandLine|contains|windash: ' -enc '`,
		Item{Field: "CommandLine", Modifiers: []string{"contains", "windash"}, Op: OpContains, Transforms: []Transform{Windash}, Values: []Value{str(" -enc ")}})
	f(`CommandLine|re: '^a.*b$'`,
		Item{Field: "CommandLine", Modifiers: []string{"re"}, Op: OpRegexp, Values: []Value{str("^a.*b$")}})
	f(`CommandLine|re|i: 'abc'`,
		Item{Field: "CommandLine", Modifiers: []string{"re", "i"}, Op: OpRegexp, ReFlags: "i", Values: []Value{str("abc")}})
	f(`CommandLine|re|i|m|s: 'abc'`,
		Item{Field: "CommandLine", Modifiers: []string{"re", "i", "m", "s"}, Op: OpRegexp, ReFlags: "ims", Values: []Value{str("abc")}})
	f(`CommandLine|base64: 'cmd'`,
		Item{Field: "CommandLine", Modifiers: []string{"base64"}, Transforms: []Transform{Base64}, Values: []Value{str("cmd")}})
	f(`CommandLine|base64offset|contains: 'IEX'`,
		Item{Field: "CommandLine", Modifiers: []string{"base64offset", "contains"}, Op: OpContains, Transforms: []Transform{Base64Offset}, Values: []Value{str("IEX")}})
	f(`CommandLine|wide|base64offset|contains: 'ping'`,
		Item{Field: "CommandLine", Modifiers: []string{"wide", "base64offset", "contains"}, Op: OpContains, Transforms: []Transform{UTF16LE, Base64Offset}, Values: []Value{str("ping")}})
	f(`CommandLine|utf16le|base64: 'cmd'`,
		Item{Field: "CommandLine", Modifiers: []string{"utf16le", "base64"}, Transforms: []Transform{UTF16LE, Base64}, Values: []Value{str("cmd")}})
	f(`CommandLine|utf16be|base64: 'cmd'`,
		Item{Field: "CommandLine", Modifiers: []string{"utf16be", "base64"}, Transforms: []Transform{UTF16BE, Base64}, Values: []Value{str("cmd")}})
	f(`CommandLine|utf16|base64: 'cmd'`,
		Item{Field: "CommandLine", Modifiers: []string{"utf16", "base64"}, Transforms: []Transform{UTF16, Base64}, Values: []Value{str("cmd")}})
	f(`DestinationIp|cidr: 10.0.0.0/8`,
		Item{Field: "DestinationIp", Modifiers: []string{"cidr"}, Op: OpCIDR, Values: []Value{str("10.0.0.0/8")}})
	f(`DestinationIp|cidr: ['fe80::/10', '192.168.1.7']`,
		Item{Field: "DestinationIp", Modifiers: []string{"cidr"}, Op: OpCIDR, Values: []Value{str("fe80::/10"), str("192.168.1.7")}})
	f(`Computer|expand: '%DomainControllers%'`,
		Item{Field: "Computer", Modifiers: []string{"expand"}, Transforms: []Transform{Expand}, Values: []Value{str("%DomainControllers%")}})
	f(`Computer|contains|expand: '%Servers%'`,
		Item{Field: "Computer", Modifiers: []string{"contains", "expand"}, Op: OpContains, Transforms: []Transform{Expand}, Values: []Value{str("%Servers%")}})
	f(`TargetUserName|fieldref: SubjectUserName`,
		Item{Field: "TargetUserName", Modifiers: []string{"fieldref"}, FieldRef: true, Values: []Value{str("SubjectUserName")}})
	f(`TargetUserName|fieldref|endswith: SubjectUserName`,
		Item{Field: "TargetUserName", Modifiers: []string{"fieldref", "endswith"}, Op: OpEndsWith, FieldRef: true, Values: []Value{str("SubjectUserName")}})
	f(`TargetUserName|fieldref|neq: SubjectUserName`,
		Item{Field: "TargetUserName", Modifiers: []string{"fieldref", "neq"}, FieldRef: true, Neq: true, Values: []Value{str("SubjectUserName")}})
	f(`Size|lt: 5`, Item{Field: "Size", Modifiers: []string{"lt"}, Op: OpLT, Values: []Value{num("5")}})
	f(`Size|lte: 5.5`, Item{Field: "Size", Modifiers: []string{"lte"}, Op: OpLTE, Values: []Value{num("5.5")}})
	f(`Size|gt: '10'`, Item{Field: "Size", Modifiers: []string{"gt"}, Op: OpGT, Values: []Value{str("10")}})
	f(`Size|gte: 0x10`, Item{Field: "Size", Modifiers: []string{"gte"}, Op: OpGTE, Values: []Value{num("0x10")}})
	f(`Size|neq: 0`, Item{Field: "Size", Modifiers: []string{"neq"}, Neq: true, Values: []Value{num("0")}})
	f(`Time|hour|gte: 20`, Item{Field: "Time", Modifiers: []string{"hour", "gte"}, Op: OpGTE, TimePart: "hour", Values: []Value{num("20")}})
	for _, part := range []string{"minute", "hour", "day", "week", "month", "year"} {
		f(`Time|`+part+`: 1`, Item{Field: "Time", Modifiers: []string{part}, TimePart: part, Values: []Value{num("1")}})
	}
	// Special values.
	f(`Field: null`, Item{Field: "Field", Values: []Value{{Kind: Null}}})
	f(`Field: ~`, Item{Field: "Field", Values: []Value{{Kind: Null}}})
	f(`Field:`, Item{Field: "Field", Values: []Value{{Kind: Null}}})
	f(`Field: ''`, Item{Field: "Field", Values: []Value{str("")}})
	f(`Field: "null"`, Item{Field: "Field", Values: []Value{str("null")}})
	f(`EventID: [517, 1102]`, Item{Field: "EventID", Values: []Value{num("517"), num("1102")}})
	f(`TicketOptions: '0x40810000'`, Item{Field: "TicketOptions", Values: []Value{str("0x40810000")}})
	f(`TicketEncryption: 0x17`, Item{Field: "TicketEncryption", Values: []Value{num("0x17")}})
	f(`Enabled: true`, Item{Field: "Enabled", Values: []Value{{Kind: Bool, Text: "true"}}})
	f(`Path: 'C:\*\?\\*'`, Item{Field: "Path", Values: []Value{str(`C:\*\?\\*`)}})
	f(`Path: "a\tb"`, Item{Field: "Path", Values: []Value{str("a\tb")}})
	f(`'|all': ['OabVirtualDirectory', ' -ExternalUrl ']`,
		Item{Modifiers: []string{"all"}, All: true, Values: []Value{str("OabVirtualDirectory"), str(" -ExternalUrl ")}})
	f(`'|contains': x`, Item{Modifiers: []string{"contains"}, Op: OpContains, Values: []Value{str("x")}})
}

func TestModifierErrors(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		_, err := Parse("r.yml", fmt.Appendf(nil, itemRule, line))
		if err == nil || err.Error() != want {
			t.Errorf("%s:\ngot  %v\nwant %s", line, err, want)
		}
	}
	// Errors about modifiers point at the modifier inside the key, which
	// starts at 5:9; errors about values point at the value.
	f(`Image|foo: x`, `r.yml:5:15: search "sel": field "Image": unknown modifier "foo"`)
	f(`Image|endswith|foo: x`, `r.yml:5:24: search "sel": field "Image": unknown modifier "foo"`)
	f(`'Image|foo': x`, `r.yml:5:16: search "sel": field "Image": unknown modifier "foo"`)
	f(`Image|: x`, `r.yml:5:15: search "sel": field "Image": empty modifier`)
	f(`Image|contains|startswith: x`, `r.yml:5:24: search "sel": field "Image": modifiers contains and startswith cannot be combined`)
	f(`Image|re|contains: x`, `r.yml:5:18: search "sel": field "Image": modifiers re and contains cannot be combined`)
	f(`Image|gt|lt: 1`, `r.yml:5:18: search "sel": field "Image": modifiers gt and lt cannot be combined`)
	f(`Image|i: x`, `r.yml:5:15: search "sel": field "Image": modifier i is a flag of re and must follow it (re|i)`)
	f(`Image|contains|i: x`, `r.yml:5:24: search "sel": field "Image": modifier i is a flag of re and must follow it (re|i)`)
	f(`Time|hour|day: 1`, `r.yml:5:19: search "sel": field "Time": modifiers hour and day cannot be combined`)
	f(`Time|hour|contains: 1`, `r.yml:5:19: search "sel": field "Time": contains cannot be combined with hour`)
	f(`Time|hour: x`, `r.yml:5:20: search "sel": field "Time": hour needs a number, not "x"`)
	f(`Image|base64|re: x`, `r.yml:5:22: search "sel": field "Image": re cannot follow the value transform base64`)
	f(`Image|windash|cidr: x`, `r.yml:5:23: search "sel": field "Image": cidr cannot follow the value transform windash`)
	f(`Image|fieldref|re: x`, `r.yml:5:24: search "sel": field "Image": re cannot be combined with fieldref`)
	f(`Image|fieldref|base64: x`, `r.yml:5:15: search "sel": field "Image": fieldref cannot be combined with base64`)
	f(`Image|fieldref: 5`, `r.yml:5:25: search "sel": field "Image": fieldref needs a field name, not "5"`)
	f(`Image|exists: yes`, `r.yml:5:23: search "sel": field "Image": exists takes true or false, not "yes"`)
	f(`Image|exists: [true, false]`, `r.yml:5:24: search "sel": field "Image": exists takes true or false, not "true"`)
	f(`Image|exists|neq: true`, `r.yml:5:15: search "sel": field "Image": exists takes no other modifier`)
	f(`Ip|cidr: 10.0.0.0/33`, `r.yml:5:18: search "sel": field "Ip": invalid network "10.0.0.0/33": netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`)
	f(`Ip|cidr: [10.0.0.0/8, nope]`, `r.yml:5:31: search "sel": field "Ip": invalid network "nope": netip.ParsePrefix("nope"): no '/'`)
	f(`Size|gt: big`, `r.yml:5:18: search "sel": field "Size": gt needs a number, not "big"`)
	f(`Size|lte: true`, `r.yml:5:19: search "sel": field "Size": lte needs a number, not "true"`)
	f(`Image|re: '(abc'`, "r.yml:5:19: search \"sel\": field \"Image\": invalid regular expression: missing closing ): `(abc`")
	f(`Image|re: 'a**'`, "r.yml:5:19: search \"sel\": field \"Image\": invalid regular expression: invalid nested repetition operator: `**`")
	f(`Image|contains: null`, `r.yml:5:25: search "sel": field "Image": null can only be compared with a plain value, not with modifiers`)
	f(`Image: {a: b}`, `r.yml:5:16: search "sel": field "Image": the value must be a plain value or a list of them, not a map`)
	f(`Image: [[a]]`, `r.yml:5:17: search "sel": field "Image": a value must be a plain value, not a list or map`)
	f(`Image: []`, `r.yml:5:16: search "sel": field "Image": empty list of values`)
	f(`'|foo': [a]`, `r.yml:5:11: search "sel": keywords: unknown modifier "foo"`)
}

func TestUnsupportedRegexp(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		r, _ := parseItem(t, line)
		if r.Unsupported != want {
			t.Errorf("%s: Unsupported\ngot  %q\nwant %q", line, r.Unsupported, want)
		}
	}
	f(`CommandLine|re: 'a(?=b)'`, `search "sel": field "CommandLine": regular expression uses a lookahead (?=...), which Go's RE2 engine does not support`)
	f(`CommandLine|re: ['ok', '(?<!x)y', '(a)\1']`, `search "sel": field "CommandLine": regular expression uses a negative lookbehind (?<!...), which Go's RE2 engine does not support; `+
		`search "sel": field "CommandLine": regular expression uses a backreference \1, which Go's RE2 engine does not support`)
	f(`CommandLine|re|i: 'a++b'`, `search "sel": field "CommandLine": regular expression uses a possessive quantifier ++, which Go's RE2 engine does not support`)
	f(`CommandLine|re: 'abc\Z'`, "")
}

func TestTranslateRegexp(t *testing.T) {
	f := func(expr, flags, want, wantErr string) {
		t.Helper()
		got, err := TranslateRegexp(expr, flags)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != want || gotErr != wantErr {
			t.Errorf("TranslateRegexp(%q, %q) = %q, %q; want %q, %q", expr, flags, got, gotErr, want, wantErr)
		}
	}
	f(`^a.*b$`, "", `^a.*b$`, "")
	f(`abc`, "is", `(?is)abc`, "")
	f(`abc\Z`, "", `abc(?:\n?\z)`, "")
	f(`[\Z]\\Z`, "", ``, "invalid regular expression: invalid escape sequence: `\\Z`")
	f(`a\\\Z`, "", `a\\(?:\n?\z)`, "")
	f(`\e\[0m`, "", `\x1B\[0m`, "")
	f(`a(?# comment )b`, "", `ab`, "")
	f(`[(?=]x`, "", `[(?=]x`, "")
	f(`a(?=b)`, "", "", "regular expression uses a lookahead (?=...), which Go's RE2 engine does not support")
	f(`a(?!b)`, "", "", "regular expression uses a negative lookahead (?!...), which Go's RE2 engine does not support")
	f(`(?<=a)b`, "", "", "regular expression uses a lookbehind (?<=...), which Go's RE2 engine does not support")
	f(`(?>ab)`, "", "", "regular expression uses an atomic group (?>...), which Go's RE2 engine does not support")
	f(`(a)\1`, "", "", `regular expression uses a backreference \1, which Go's RE2 engine does not support`)
	f(`(?<n>a)\k<n>`, "", "", `regular expression uses a named backreference \k, which Go's RE2 engine does not support`)
	f(`a*+`, "", "", "regular expression uses a possessive quantifier *+, which Go's RE2 engine does not support")
	f(`a{2}+`, "", "", "regular expression uses a possessive quantifier }+, which Go's RE2 engine does not support")
	f(`\Gabc`, "", "", `regular expression uses the \G anchor, which Go's RE2 engine does not support`)
	f(`(?<n>a)`, "", `(?<n>a)`, "")
	f(`[\d\s\w]+?\x{41}\p{L}`, "", `[\d\s\w]+?\x{41}\p{L}`, "")
	if _, err := TranslateRegexp(`a(?=b)`, ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("TranslateRegexp(lookahead): got %v, want an error matching errors.ErrUnsupported", err)
	}
}

func TestSearches(t *testing.T) {
	const rule = `title: t
logsource: {product: windows}
detection:
    keywords:
        - 'EVILSERVICE'
        - 'svchost.exe -n evil'
    map_list:
        - Image|endswith: '\\example.exe'
        - Description|contains: 'Test executable'
    mixed:
        - a
        - F: 1
          G: 2
        - b
    map:
        EventLog: Security
        EventID: [517, 1102]
    scalar: lonely
    condition: 1 of them
`
	rules, err := Parse("r.yml", []byte(rule))
	if err != nil {
		t.Fatal(err)
	}
	got := rules[0].Detection.Searches
	want := []*Search{
		{Name: "keywords", Groups: [][]*Item{{{Values: []Value{str("EVILSERVICE"), str("svchost.exe -n evil")}}}}},
		{Name: "map_list", Groups: [][]*Item{
			{{Field: "Image", Modifiers: []string{"endswith"}, Op: OpEndsWith, Values: []Value{str(`\\example.exe`)}}},
			{{Field: "Description", Modifiers: []string{"contains"}, Op: OpContains, Values: []Value{str("Test executable")}}},
		}},
		{Name: "mixed", Groups: [][]*Item{
			{{Values: []Value{str("a"), str("b")}}},
			{{Field: "F", Values: []Value{num("1")}}, {Field: "G", Values: []Value{num("2")}}},
		}},
		{Name: "map", Groups: [][]*Item{{
			{Field: "EventLog", Values: []Value{str("Security")}},
			{Field: "EventID", Values: []Value{num("517"), num("1102")}},
		}}},
		{Name: "scalar", Groups: [][]*Item{{{Values: []Value{str("lonely")}}}}},
	}
	if diff := cmp.Diff(want, got, ignorePos); diff != "" {
		t.Errorf("searches (-want +got):\n%s", diff)
	}
	// Positions: a search at its name, an item at its key, a keyword
	// item at its first value, a value at itself.
	d := rules[0].Detection
	checkPos := func(what string, got, want Pos) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	checkPos("detection", d.Pos, Pos{3, 1})
	checkPos("keywords", d.Searches[0].Pos, Pos{4, 5})
	checkPos("keyword item", d.Searches[0].Groups[0][0].Pos, Pos{5, 11})
	checkPos("keyword value 2", d.Searches[0].Groups[0][0].Values[1].Pos, Pos{6, 11})
	checkPos("map_list item 2", d.Searches[1].Groups[1][0].Pos, Pos{9, 11})
	checkPos("map item EventID", d.Searches[3].Groups[0][1].Pos, Pos{17, 9})
	checkPos("EventID value 1102", d.Searches[3].Groups[0][1].Values[1].Pos, Pos{17, 24})
}

func TestSearchErrors(t *testing.T) {
	f := func(search, want string) {
		t.Helper()
		rule := "title: t\nlogsource: {product: windows}\ndetection:\n" + search + "    condition: sel\n"
		_, err := Parse("r.yml", []byte(rule))
		if err == nil || err.Error() != want {
			t.Errorf("%s:\ngot  %v\nwant %s", search, err, want)
		}
	}
	f("    sel:\n", `r.yml:4:9: search "sel" is empty`)
	f("    sel: {}\n", `r.yml:4:10: search "sel" has an empty map`)
	f("    sel: []\n", `r.yml:4:10: search "sel" is an empty list`)
	f("    sel:\n        - [a]\n", `r.yml:5:11: search "sel": a list holds values or maps, not lists`)
	f("    sel:\n        a: 1\n        a: 2\n", `r.yml:6:9: duplicate key "a"`)
	f("    sel: {a: 1}\n    sel: {b: 1}\n", `r.yml:5:5: duplicate key "sel"`)
	f("    sel:\n        a: &x [1]\n        <<: {b: 1}\n", `r.yml:6:9: merge keys (<<) are not supported`)
	f("    sel: !!binary aGVsbG8=\n    other: {a: [1, {b: 2}]}\n", `r.yml:5:20: search "other": field "a": a value must be a plain value, not a list or map`)
}

func TestExpand(t *testing.T) {
	d := &Detection{}
	for _, name := range []string{"selection", "selection_img", "sel2", "_hidden", "filter_main", "filter_optional_x"} {
		d.Searches = append(d.Searches, &Search{Name: name})
	}
	f := func(pattern string, want ...string) {
		t.Helper()
		var got []string
		for _, s := range d.Expand(pattern) {
			got = append(got, s.Name)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Expand(%q) = %v, want %v", pattern, got, want)
		}
	}
	f("them", "selection", "selection_img", "sel2", "filter_main", "filter_optional_x")
	f("selection*", "selection", "selection_img")
	f("sel*", "selection", "selection_img", "sel2")
	f("*", "selection", "selection_img", "sel2", "_hidden", "filter_main", "filter_optional_x")
	f("_*", "_hidden")
	f("filter_*_x", "filter_optional_x")
	f("*_*_*", "filter_optional_x")
	f("*img", "selection_img")
	f("sel2", "sel2")
	f("nope*")
	f("selection*x")
}
