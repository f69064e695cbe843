package sigma

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// exprString prints a condition tree with positions, for comparisons.
func exprString(e Expr) string {
	at := func(p Pos) string { return fmt.Sprintf("@%d:%d", p.Line, p.Col) }
	join := func(op string, p Pos, args []Expr) string {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = exprString(a)
		}
		return op + at(p) + "(" + strings.Join(parts, " ") + ")"
	}
	switch e := e.(type) {
	case *Ident:
		return e.Name + at(e.Pos)
	case *Not:
		return "not" + at(e.Pos) + "(" + exprString(e.X) + ")"
	case *And:
		return join("and", e.Pos, e.Args)
	case *Or:
		return join("or", e.Pos, e.Args)
	case *Of:
		q := "1"
		if e.All {
			q = "all"
		}
		return q + " of " + e.Pattern + at(e.Pos)
	}
	return fmt.Sprintf("%T", e)
}

func TestParseCondition(t *testing.T) {
	f := func(text, want string) {
		t.Helper()
		e, err := ParseCondition(text)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", text, err)
			return
		}
		if got := exprString(e); got != want {
			t.Errorf("ParseCondition(%q)\ngot  %s\nwant %s", text, got, want)
		}
	}
	// The forms of the specification.
	f("selection", "selection@1:1")
	f("keywords1 or keywords2", "or@1:1(keywords1@1:1 keywords2@1:14)")
	f("1 of them", "1 of them@1:1")
	f("all of them", "all of them@1:1")
	f("all of selection*", "all of selection*@1:1")
	f("1 of selection* and keywords", "and@1:1(1 of selection*@1:1 keywords@1:21)")
	f("1 of selection* and not 1 of filter*", "and@1:1(1 of selection*@1:1 not@1:21(1 of filter*@1:25))")
	f("keywords and not filters", "and@1:1(keywords@1:1 not@1:14(filters@1:18))")
	f("selection1 and (keywords1 or keywords2)", "and@1:1(selection1@1:1 or@1:17(keywords1@1:17 keywords2@1:30))")
	f("selection_main and 1 of selection_empty*", "and@1:1(selection_main@1:1 1 of selection_empty*@1:20)")
	// Precedence: not binds tighter than and, and tighter than or.
	f("a and b or c", "or@1:1(and@1:1(a@1:1 b@1:7) c@1:12)")
	f("a or b and c", "or@1:1(a@1:1 and@1:6(b@1:6 c@1:12))")
	f("not a and b", "and@1:1(not@1:1(a@1:5) b@1:11)")
	f("not a or not b and c", "or@1:1(not@1:1(a@1:5) and@1:10(not@1:10(b@1:14) c@1:20))")
	f("not (a or b)", "not@1:1(or@1:6(a@1:6 b@1:11))")
	f("not not a", "not@1:1(not@1:5(a@1:9))")
	f("a or b or c", "or@1:1(a@1:1 b@1:6 c@1:11)")
	f("a and b and c", "and@1:1(a@1:1 b@1:7 c@1:13)")
	f("(a or b) or c", "or@1:2(or@1:2(a@1:2 b@1:7) c@1:13)")
	f("((a))", "a@1:3")
	// Keywords are case-insensitive; names are not.
	f("Sel AND NOT Filter", "and@1:1(Sel@1:1 not@1:9(Filter@1:13))")
	f("ALL OF Sel* Or 1 OF THEM", "or@1:1(all of Sel*@1:1 1 of them@1:16)")
	// Names with dashes, dots and digits; an identifier called "all".
	f("sel-1 and sel.2 and 3rd", "and@1:1(sel-1@1:1 sel.2@1:11 3rd@1:21)")
	f("all and 1", "and@1:1(all@1:1 1@1:9)")
	f("1 of *", "1 of *@1:1")
	// Spaces and lines.
	f("  a\n  and (b)", "and@1:3(a@1:3 b@2:8)")
	f("a\tor\tb", "or@1:1(a@1:1 b@1:6)")
	f("é or ü", "or@1:1(é@1:1 ü@1:6)")
}

func TestParseConditionErrors(t *testing.T) {
	f := func(text, want string) {
		t.Helper()
		_, err := ParseCondition(text)
		if err == nil || err.Error() != want {
			t.Errorf("ParseCondition(%q):\ngot  %v\nwant %s", text, err, want)
		}
	}
	f("", ":1:1: empty condition")
	f("   ", ":1:1: empty condition")
	f("a and", ":1:6: unexpected end of condition: want a search identifier, not, 1 of, all of or (")
	f("a b", `:1:3: unexpected "b": want and, or, or the end of the condition`)
	f("(a", `:1:1: unclosed "("`)
	f("(a b)", `:1:4: unexpected "b": want and, or, or )`)
	f("a)", `:1:2: unexpected ")": want and, or, or the end of the condition`)
	f("()", `:1:2: unexpected ")": want a search identifier, not, 1 of, all of or (`)
	f("a and or b", `:1:7: unexpected "or": want a search identifier`)
	f("not", ":1:4: unexpected end of condition: want a search identifier, not, 1 of, all of or (")
	f("2 of them", `:1:1: "2" of: want 1 of or all of`)
	f("any of them", `:1:1: "any" of: want 1 of or all of`)
	f("1 of", ":1:5: unexpected end of condition: want them or a search identifier pattern")
	f("1 of (a)", `:1:6: unexpected "(": want them or a search identifier pattern`)
	f("all of and", `:1:8: unexpected "and": want them or a search identifier pattern`)
	f("sel*", `:1:1: wildcard in "sel*": patterns are only allowed after 1 of or all of`)
	f("a & b", `:1:3: unexpected character '&'`)
	f("a and\n  (b", `:2:3: unclosed "("`)
	f("them", `:1:1: unexpected "them": want a search identifier`)
	f("sel | count() > 5", ":1:5: an aggregation (| count() ...) is only allowed in a rule's condition")
}

// conditionRule is a rule with searches sel, filter_a and filter_b, and
// the condition on line 9.
const conditionRule = `title: t
logsource: {product: windows}
detection:
    sel: {a: 1}
    filter_a: {b: 1}
    filter_b: {c: 1}
    _hidden: {d: 1}
    A: {e: 1}
%s
`

func TestConditionInRule(t *testing.T) {
	f := func(cond, want string) {
		t.Helper()
		rules, err := Parse("r.yml", fmt.Appendf(nil, conditionRule, cond))
		if err != nil {
			t.Errorf("%s: %v", cond, err)
			return
		}
		if got := exprString(rules[0].Detection.Condition); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", cond, got, want)
		}
	}
	f("    condition: sel and not 1 of filter_*", "and@9:16(sel@9:16 not@9:24(1 of filter_*@9:28))")
	f("    condition: 'sel and not A'", "and@9:17(sel@9:17 not@9:25(A@9:29))")
	f(`    condition: "sel\tand\x20A"`, "and@9:17(sel@9:17 A@9:29)")
	f("    condition: >\n        sel and\n        A", "and@10:9(sel@10:9 A@11:9)")
	f("    condition: |\n        sel\n          and A", "and@10:9(sel@10:9 A@11:15)")
	f("    condition: sel and\n        A", "and@9:16(sel@9:16 A@10:9)")
	f("    condition:\n        - sel\n        - 'A and not _hidden'", "or@10:11(sel@10:11 and@11:12(A@11:12 not@11:18(_hidden@11:22)))")

	rules, err := Parse("r.yml", fmt.Appendf(nil, conditionRule, "    condition: [sel, A and all of filter*]"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rules[0].Detection.ConditionText, "(sel) or (A and all of filter*)"; got != want {
		t.Errorf("ConditionText of a list: got %q, want %q", got, want)
	}
}

func TestConditionErrorsInRule(t *testing.T) {
	f := func(cond, want string) {
		t.Helper()
		_, err := Parse("r.yml", fmt.Appendf(nil, conditionRule, cond))
		if err == nil || err.Error() != want {
			t.Errorf("%s:\ngot  %v\nwant %s", cond, err, want)
		}
	}
	f("    condition: sel and nope", `r.yml:9:24: condition: unknown search identifier "nope"`)
	f("    condition: sel and 1 of nope*", `r.yml:9:24: condition: "nope*" matches no search identifier`)
	f("    condition: 'sel and ''x'", `r.yml:9:25: condition: unexpected character '\''`)
	f("    condition: 'it''s and nope'", `r.yml:9:19: condition: unexpected character '\''`)
	f(`    condition: "sel and\x20\"x"`, `r.yml:9:28: condition: unexpected character '"'`)
	f(`    condition: "sel\u00e9 or é"`, `r.yml:9:17: condition: unknown search identifier "selé"`)
	f(`    condition: "sel or A or \u00e9"`, `r.yml:9:29: condition: unknown search identifier "é"`)
	f("    condition: 'sel or A or é'", `r.yml:9:29: condition: unknown search identifier "é"`)
	f("    condition: >\n        sel and\n        (A or sel", `r.yml:11:9: condition: unclosed "("`)
	f("    condition: >\n        sel and\n        (A or", `r.yml:11:14: condition: unexpected end of condition: want a search identifier, not, 1 of, all of or (`)
	f("    condition: sel and\n        A and nope", `r.yml:10:15: condition: unknown search identifier "nope"`)
	f("    condition:\n        - sel\n        - A or nope", `r.yml:11:16: condition: unknown search identifier "nope"`)
	f("    condition: sel and", `r.yml:9:23: condition: unexpected end of condition: want a search identifier, not, 1 of, all of or (`)
	f("    condition: ''", `r.yml:9:17: condition: empty condition`)
	f("    condition:", `r.yml:9:15: condition must be a string or a list of strings`)
	f("    condition: {a: b}", `r.yml:9:16: condition must be a string or a list of strings`)
	f("    condition: []", `r.yml:9:16: empty list of conditions`)
	f("    condition: 1 of _x*", `r.yml:9:16: condition: "_x*" matches no search identifier`)
	f("    timeframe: 5m", `r.yml:3:1: detection has no condition`)
	f("    timeframe: 5M\n    condition: sel", `r.yml:9:16: timeframe: invalid duration "5M": months and years have no fixed length; use days (d)`)
	f("    condition: sel | count() by x > y", `r.yml:9:37: condition: aggregation: want a number, not "y"`)
	f("    condition: sel | count( > 1", `r.yml:9:29: condition: aggregation: want ')'`)
	f("    condition: sel | counts() > 1", `r.yml:9:22: condition: aggregation: unknown function "counts"`)
	f("    condition: sel | count() by x", `r.yml:9:34: condition: aggregation: want a comparison (>, >=, <, <=, ==, !=) and a number`)
	f("    condition: sel | count() > 1 and", `r.yml:9:34: condition: aggregation: unexpected "and"`)
	f("    condition: sel |", `r.yml:9:21: condition: aggregation: want count, min, max, avg, sum or near after |`)
}

func TestAggregation(t *testing.T) {
	const rule = `title: t
id: 35e8a0fc-60c2-46d7-ba39-aafb15b9854e
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    filter: {IpAddress: '-'}
%s
`
	f := func(det string, want *Correlation, unsupported string) {
		t.Helper()
		rules, err := Parse("r.yml", fmt.Appendf(nil, rule, det))
		if err != nil {
			t.Errorf("%s: %v", det, err)
			return
		}
		r := rules[0]
		if diff := cmp.Diff(want, r.Correlation); diff != "" {
			t.Errorf("%s: Correlation (-want +got):\n%s", det, diff)
		}
		if r.Unsupported != unsupported {
			t.Errorf("%s: Unsupported got %q, want %q", det, r.Unsupported, unsupported)
		}
		if r.Kind != KindDetection {
			t.Errorf("%s: Kind got %v, want detection", det, r.Kind)
		}
	}
	id := "35e8a0fc-60c2-46d7-ba39-aafb15b9854e"
	f("    condition: selection and not filter | count() by IpAddress >= 5\n    timeframe: 5m",
		&Correlation{Pos: Pos{7, 41}, Type: EventCount, Rules: []string{id}, GroupBy: []string{"IpAddress"},
			Timespan: 5 * time.Minute, Condition: []Threshold{{"gte", 5}}}, "")
	f("    timeframe: 1h\n    condition: selection | count(TargetUserName) by IpAddress > 3",
		&Correlation{Pos: Pos{8, 26}, Type: ValueCount, Rules: []string{id}, GroupBy: []string{"IpAddress"},
			Timespan: time.Hour, Field: "TargetUserName", Condition: []Threshold{{"gt", 3}}}, "")
	// Without timeframe the Timespan is 0: unbounded.
	f("    condition: selection | count() < 2",
		&Correlation{Pos: Pos{7, 26}, Type: EventCount, Rules: []string{id}, Condition: []Threshold{{"lt", 2}}}, "")
	f("    condition: selection | count(User) by Host, Domain <= 2",
		&Correlation{Pos: Pos{7, 26}, Type: ValueCount, Rules: []string{id}, GroupBy: []string{"Host", "Domain"},
			Field: "User", Condition: []Threshold{{"lte", 2}}}, "")
	f("    condition: selection | count() == 2",
		&Correlation{Pos: Pos{7, 26}, Type: EventCount, Rules: []string{id}, Condition: []Threshold{{"eq", 2}}}, "")
	f("    condition: selection | count() = 2",
		&Correlation{Pos: Pos{7, 26}, Type: EventCount, Rules: []string{id}, Condition: []Threshold{{"eq", 2}}}, "")
	f("    condition: selection | count() != 2",
		&Correlation{Pos: Pos{7, 26}, Type: EventCount, Rules: []string{id}, Condition: []Threshold{{"neq", 2}}}, "")
	f("    condition: selection | max(Size) by Host > 100", nil, "condition: the max() aggregation of Sigma v1")
	f("    condition: selection | avg(Size) > 100", nil, "condition: the avg() aggregation of Sigma v1")
	f("    condition: selection | near filter", nil, "condition: the near aggregation of Sigma v1")
	f("    condition: [selection | count() > 1, filter]", nil, "condition: an aggregation in a list of conditions")
}
