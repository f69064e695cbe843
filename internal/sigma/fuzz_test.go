package sigma

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzing does:
// larger inputs only slow the fuzzer down.
const maxFuzzInput = 10240

// fuzzRules seed FuzzParse besides the specification's examples.
var fuzzRules = []string{
	fmt.Sprintf(itemRule, `CommandLine|contains|all|windash: ['-a', '/b']`),
	fmt.Sprintf(itemRule, `CommandLine|re|i: '(?i)a(?=b)\Z'`),
	fmt.Sprintf(itemRule, `Ip|cidr: ['10.0.0.0/8', '::1']`),
	fmt.Sprintf(itemRule, `Size|gte: 0x10`),
	fmt.Sprintf(itemRule, `'|all': [a, b]`),
	fmt.Sprintf(conditionRule, `    condition: "sel\tand\x20not 1 of filter_*"`),
	fmt.Sprintf(conditionRule, "    condition: >\n        sel and\n        (A or filter_a)"),
	fmt.Sprintf(conditionRule, "    condition: ['sel and ''A''', all of them]"),
	"title: t\nid: x\nlogsource: {product: windows}\ndetection:\n    sel: {a: 1}\n    timeframe: 5m\n    condition: sel | count(User) by Host >= 5\n",
	"title: t\ncorrelation: {type: temporal, rules: [a, b], group-by: x, timespan: 1h, aliases: {x: {a: f, b: g}}}\n---\ntitle: u\n",
	"title: t\nlogsource: {product: windows}\nfilter: {rules: a, sel: {b: &x 1, c: *x}, condition: sel}\n",
}

func FuzzParse(f *testing.F) {
	for _, r := range fuzzRules {
		f.Add([]byte(r))
	}
	if dir := shareddata.Dir(); dir != "" {
		paths, _ := filepath.Glob(filepath.Join(dir, "sigma-specification", "tests", "schema", "*", "*.yml"))
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			t.Skip()
		}
		rules, err := Parse("f.yml", data)
		lines := countLines(data)
		for _, e := range joined(err) {
			var perr *Error
			if !errors.As(e, &perr) {
				t.Fatalf("error %v is a %T, not an *Error", e, e)
			}
			if perr.File != "f.yml" || perr.Pos.Line < 1 || perr.Pos.Line > lines || perr.Pos.Col < 1 {
				t.Fatalf("error %v: position out of the file (%d lines)", e, lines)
			}
		}
		for _, r := range rules {
			if r.Title == "" {
				t.Fatalf("rule without title")
			}
			switch r.Kind {
			case KindDetection, KindFilter:
				if r.Detection == nil || r.Detection.Condition == nil {
					t.Fatalf("%v rule without a condition", r.Kind)
				}
			case KindCorrelation:
				if r.Correlation == nil || len(r.Correlation.Condition) == 0 {
					t.Fatalf("correlation rule without a condition")
				}
			}
		}
	})
}

// formatExpr prints a condition fully parenthesized, so that parsing it
// again gives the same tree.
func formatExpr(e Expr) string {
	join := func(op string, args []Expr) string {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = formatExpr(a)
		}
		return "(" + strings.Join(parts, " "+op+" ") + ")"
	}
	switch e := e.(type) {
	case *Ident:
		return e.Name
	case *Not:
		return "not " + formatExpr(e.X)
	case *And:
		return join("and", e.Args)
	case *Or:
		return join("or", e.Args)
	case *Of:
		if e.All {
			return "all of " + e.Pattern
		}
		return "1 of " + e.Pattern
	}
	panic(fmt.Sprintf("BUG: unknown condition node %T", e))
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"selection", "keywords1 or keywords2", "1 of them", "all of them", "all of selection*",
		"1 of selection* and keywords", "1 of selection* and not 1 of filter*", "keywords and not filters",
		"selection1 and (keywords1 or keywords2)", "a and b or not c", "((a))", "ALL OF Sel* Or 1 OF THEM",
		"sel | count() by x > 5", "a &", "(a", "é\nand\tb", "2 of them",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > maxFuzzInput {
			t.Skip()
		}
		lines := strings.Count(text, "\n") + 1
		e, err := ParseCondition(text)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Pos.Line < 1 || perr.Pos.Line > lines || perr.Pos.Col < 1 {
				t.Fatalf("ParseCondition(%q): bad error %v", text, err)
			}
			return
		}
		if !utf8.ValidString(text) {
			return // invalid bytes become U+FFFD, which cannot be parsed back
		}
		once := formatExpr(e)
		again, err := ParseCondition(once)
		if err != nil {
			t.Fatalf("ParseCondition(%q) = %s, which fails to parse: %v", text, once, err)
		}
		if twice := formatExpr(again); twice != once {
			t.Fatalf("ParseCondition(%q) = %s, parsed again %s", text, once, twice)
		}
	})
}
