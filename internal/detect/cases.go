package detect

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	formats "github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// Case is a detection test case: rules, events, and the detections they
// must give. It is written as a txtar archive (the rules section may be
// left out when the rules under test are given to Run):
//
//	Failed logons followed by a success (comment, free text).
//	-- rules.yml --
//	title: …            (any file ending in .yml or .yaml: rules)
//	-- events.jsonl --
//	{"EventID": 4625, "Channel": "Security", …}
//	-- want --
//	match 5b0b75dc-9190-4047-b9a8-14164cee8a31 1,2
//	correlation 23179f25-6fce-4827-bae1-b219deaf563e 1
//
// The events file is decoded as "vigie hunt" would decode it (its format
// detected from its content). Each want line is "match RULE RECORDS" (the
// 1-based records of the events file that RULE matches, exactly) or
// "correlation RULE N" (the number of hits of a correlation rule); RULE is
// the rule's id, or for a rule without one its title with "_" for spaces.
// A rule that is not listed must not fire.
type Case struct {
	Name       string
	Rules      map[string][]byte // file name → YAML
	Events     []byte
	EventsName string
	Want       []string // normalised want lines, sorted
}

// ParseCase reads a txtar case.
func ParseCase(name string, data []byte) (*Case, error) {
	c := &Case{Name: name, Rules: map[string][]byte{}}
	var cur string
	var body bytes.Buffer
	flush := func() error {
		switch {
		case cur == "":
		case strings.HasSuffix(cur, ".yml") || strings.HasSuffix(cur, ".yaml"):
			c.Rules[cur] = slices.Clone(body.Bytes())
		case cur == "want":
			for _, line := range strings.Split(body.String(), "\n") {
				if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
					c.Want = append(c.Want, strings.Join(f, " "))
				}
			}
		case strings.HasPrefix(cur, "events"):
			c.Events, c.EventsName = slices.Clone(body.Bytes()), cur
		default:
			return fmt.Errorf("%s: unknown section %q: use *.yml, events.* or want", name, cur)
		}
		body.Reset()
		return nil
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		t := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			if err := flush(); err != nil {
				return nil, err
			}
			cur = strings.TrimSpace(t[3 : len(t)-3])
			continue
		}
		if cur != "" {
			body.WriteString(line)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if c.EventsName == "" {
		return nil, fmt.Errorf("%s: a case needs an events section (-- events.jsonl --, -- events.log --…)", name)
	}
	slices.Sort(c.Want)
	return c, nil
}

// ReadCase reads a txtar case file.
func ReadCase(path string) (*Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCase(path, b)
}

// Run evaluates the case with its own rules and extra, and returns the
// detections as want lines, sorted, and the reports of the rules that are
// not ok (a case whose rules do not load fails).
func (c *Case) Run(cfg Config, extra ...*sigma.Rule) (got []string, reports []RuleReport, err error) {
	rules := slices.Clone(extra)
	var parseErrs []error
	for _, name := range slices.Sorted(maps.Keys(c.Rules)) {
		rs, err := sigma.Parse(filepath.Join(c.Name, name), c.Rules[name])
		rules = append(rules, rs...)
		if err != nil {
			parseErrs = append(parseErrs, err)
		}
	}
	set := Compile(cfg, rules)
	for _, r := range set.Reports {
		if r.Status != StatusOK {
			reports = append(reports, r)
		}
	}
	if len(parseErrs) > 0 {
		return nil, reports, fmt.Errorf("rules: %w", errors.Join(parseErrs...))
	}
	if len(rules) == 0 {
		return nil, reports, fmt.Errorf("%s: no rules: add a rules section (-- rules.yml --) or give rules to test with", c.Name)
	}
	reg := formats.New(formats.Config{})
	dec, _ := reg.ByName(reg.Detect(c.Events, c.EventsName))
	var col decode.Collect
	if err := dec.Decode(bytes.NewReader(c.Events), &col); err != nil {
		return nil, reports, fmt.Errorf("events: %w", err)
	}
	events := col.Events
	eng := set.NewEngine()
	matches := map[*sigma.Rule][]int{}
	hits := map[*sigma.Rule]int{}
	var order []*sigma.Rule
	record := func(a Alert, n int) {
		if _, seen := matches[a.Rule]; !seen && hits[a.Rule] == 0 {
			order = append(order, a.Rule)
		}
		if a.Kind == KindMatch {
			matches[a.Rule] = append(matches[a.Rule], n)
		} else {
			hits[a.Rule]++
		}
	}
	for i, ev := range events {
		for _, a := range eng.Process(ev, strconv.Itoa(i+1)) {
			record(a, i+1)
		}
	}
	for _, a := range eng.Flush() {
		record(a, 0)
	}
	for _, r := range order {
		if ns := matches[r]; len(ns) > 0 {
			var s []string
			for _, n := range ns {
				s = append(s, strconv.Itoa(n))
			}
			got = append(got, "match "+ruleName(r)+" "+strings.Join(s, ","))
		}
		if hits[r] > 0 {
			got = append(got, "correlation "+ruleName(r)+" "+strconv.Itoa(hits[r]))
		}
	}
	slices.Sort(got)
	return got, reports, nil
}

func ruleName(r *sigma.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return strings.ReplaceAll(r.Title, " ", "_")
}
