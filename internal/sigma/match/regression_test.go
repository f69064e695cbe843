package match

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/decode/evtx"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// TestSigmaRegression runs SigmaHQ's regression cases: the named rule must
// match the case's EVTX file at least match_count times (once when not
// given). Other rules may match too.
func TestSigmaRegression(t *testing.T) {
	dir := shareddata.Path(t, "sigma")
	rules := sigmaRules(t)
	m := Compile(rules, Config{Sources: logsource.Default()})
	byID := map[string]int{}
	for i, r := range rules {
		byID[r.ID] = i
	}
	type info struct {
		Rules []struct {
			ID string `yaml:"id"`
		} `yaml:"rule_metadata"`
		Tests []struct {
			Type       string `yaml:"type"`
			MatchCount int    `yaml:"match_count"`
			Path       string `yaml:"path"`
		} `yaml:"regression_tests_info"`
	}
	cases, passed := 0, 0
	filepath.WalkDir(filepath.Join(dir, "regression_data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "info.yml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var in info
		if err := yaml.Unmarshal(data, &in); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, rt := range in.Tests {
			if rt.Type != "evtx" || len(in.Rules) == 0 {
				continue
			}
			id := in.Rules[0].ID
			ri, ok := byID[id]
			if !ok {
				continue // a rule the parser rejects, or not in this copy
			}
			cases++
			name := strings.TrimSuffix(filepath.Base(rt.Path), ".evtx")
			if st := m.Status()[ri]; !st.OK {
				t.Logf("%s (%s): %s", name, rules[ri].Title, st.Reason)
				continue
			}
			f, err := os.Open(filepath.Join(dir, rt.Path))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			var c collect
			evtx.Decoder{}.Decode(f, &c)
			f.Close()
			n := 0
			for _, e := range c.events {
				for _, r := range m.Match(e, nil) {
					if r == rules[ri] {
						n++
					}
				}
			}
			want := max(rt.MatchCount, 1)
			if n < want {
				t.Errorf("%s (%s): %d matches in %d events, want at least %d", rules[ri].ID, rules[ri].Title, n, len(c.events), want)
				continue
			}
			passed++
		}
		return nil
	})
	t.Logf("%d of %d regression cases pass", passed, cases)
}
