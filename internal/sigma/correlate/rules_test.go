package correlate

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// TestRuleFiles runs the cases in testdata/*.txtar. Each holds:
//
//	-- rules.yml --  a Sigma rule file, parsed with sigma.Parse
//	-- input --      one match a line: offset, rule (name, id or title,
//	                 quoted if it has spaces), ref, then field=value pairs
//	-- want --       one hit a line: title | group | first..last | value | refs
//	-- config --     optional: "lateness 10m", "late N" (expected Stats.Late)
func TestRuleFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sections := splitArchive(string(data))
			rules, err := sigma.Parse(file+"#rules.yml", []byte(sections["rules.yml"]))
			if err != nil {
				t.Fatal(err)
			}
			cfg, wantLate := Config{}, 0
			for _, line := range nonEmptyLines(sections["config"]) {
				key, value, _ := strings.Cut(line, " ")
				switch key {
				case "lateness":
					if cfg.Lateness, err = time.ParseDuration(value); err != nil {
						t.Fatal(err)
					}
				case "late":
					if wantLate, err = strconv.Atoi(value); err != nil {
						t.Fatal(err)
					}
				default:
					t.Fatalf("unknown config %q", line)
				}
			}
			e, err := New(rules, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			record := func(hits []Hit) {
				for _, h := range hits {
					got = append(got, formatHit(h))
				}
			}
			for _, line := range nonEmptyLines(sections["input"]) {
				at, name, ref, fields := parseInput(t, line)
				r := findRule(rules, name)
				if r == nil {
					t.Fatalf("input %q: no rule %q", line, name)
				}
				record(e.Observe(r, makeEvent(at, fields), ref))
			}
			record(e.Flush())
			if diff := cmp.Diff(nonEmptyLines(sections["want"]), got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
			if st := e.Stats(); st.Late != wantLate {
				t.Errorf("Stats.Late = %d, want %d", st.Late, wantLate)
			}
		})
	}
}

func formatHit(h Hit) string {
	var g []string
	for _, kv := range h.Group {
		g = append(g, kv.Name+"="+kv.Value)
	}
	s := fmt.Sprintf("%s | %s | %v..%v | %g | %s", h.Rule.Title, strings.Join(g, " "), h.First.Sub(t0), h.Last.Sub(t0), h.Value, strings.Join(h.Refs, " "))
	if h.Truncated > 0 {
		s += fmt.Sprintf(" +%d", h.Truncated)
	}
	return s
}

func parseInput(t *testing.T, line string) (at time.Duration, rule, ref, fields string) {
	t.Helper()
	offset, rest, _ := strings.Cut(line, " ")
	at, err := time.ParseDuration(offset)
	if err != nil {
		t.Fatalf("input %q: %v", line, err)
	}
	if strings.HasPrefix(rest, `"`) {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			t.Fatalf("input %q: %v", line, err)
		}
		rule, _ = strconv.Unquote(q)
		rest = strings.TrimSpace(rest[len(q):])
	} else {
		rule, rest, _ = strings.Cut(rest, " ")
	}
	ref, fields, _ = strings.Cut(rest, " ")
	return at, rule, ref, fields
}

func findRule(rules []*sigma.Rule, name string) *sigma.Rule {
	for _, r := range rules {
		if r.Name == name || r.ID == name || r.Title == name {
			return r
		}
	}
	return nil
}

// splitArchive splits a txtar archive into its files; the comment before
// the first file is dropped.
func splitArchive(data string) map[string]string {
	files := map[string]string{}
	name := ""
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			name = strings.TrimSpace(trimmed[3 : len(trimmed)-3])
			continue
		}
		if name != "" {
			files[name] += line
		}
	}
	return files
}

func nonEmptyLines(s string) []string {
	var lines []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}
