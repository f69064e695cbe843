package detect_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/evtx"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// sigmaFolders are the SigmaHQ rule folders of the shared data (DRL 1.1),
// loaded together as "the full SigmaHQ rule set".
var sigmaFolders = []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-dfir", "rules-compliance"}

var (
	sigmaHQOnce sync.Once
	sigmaHQ     *detect.RuleSet
	sigmaHQErr  error
)

// sigmaHQRules loads the full SigmaHQ rule set once per test binary.
func sigmaHQRules(t *testing.T) *detect.RuleSet {
	t.Helper()
	var paths []string
	for _, f := range sigmaFolders {
		paths = append(paths, shareddata.Path(t, "sigma/"+f))
	}
	sigmaHQOnce.Do(func() { sigmaHQ, sigmaHQErr = detect.Load(detect.Config{}, paths...) })
	if sigmaHQErr != nil {
		t.Fatalf("loading SigmaHQ rules: %v", sigmaHQErr)
	}
	if n := len(sigmaHQ.Rules); n < 3000 {
		t.Fatalf("loaded %d SigmaHQ rules, want the full set (about 3,800)", n)
	}
	return sigmaHQ
}

// regressionCase is one sigma/regression_data/**/info.yml: the rules that
// must fire on the events of each test file.
type regressionCase struct {
	Rules []struct {
		ID    string `yaml:"id"`
		Title string `yaml:"title"`
	} `yaml:"rule_metadata"`
	Tests []struct {
		Name       string `yaml:"name"`
		Type       string `yaml:"type"`
		Path       string `yaml:"path"` // relative to the sigma folder
		MatchCount int    `yaml:"match_count"`
	} `yaml:"regression_tests_info"`
}

// decodeEVTX decodes one EVTX file and returns its events. A damaged file
// fails the test: the regression files are intact.
func decodeEVTX(t *testing.T, path string) []*event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c decode.Collect
	if err := (evtx.Decoder{}).Decode(f, &c); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return c.Events
}

// TestSigmaRegression runs SigmaHQ's own regression cases
// (sigma/regression_data, DRL 1.1): each names a rule and an EVTX file of
// events on which that rule must fire at least match_count times (at
// least once when absent). Other rules may fire too. The whole SigmaHQ
// rule set is loaded, as in production, so that log source dispatch,
// field renames and filters act as they would in a hunt.
func TestSigmaRegression(t *testing.T) {
	sigmaDir := shareddata.Path(t, "sigma")
	var infos []string
	err := filepath.WalkDir(filepath.Join(sigmaDir, "regression_data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "info.yml" {
			infos = append(infos, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(infos)
	if len(infos) < 129 {
		t.Fatalf("found %d regression cases, want the 129 of the shared data", len(infos))
	}

	rs := sigmaHQRules(t)
	byID := map[string]*sigma.Rule{}
	for _, r := range rs.Rules {
		byID[r.ID] = r
	}
	status := map[string]detect.RuleReport{}
	for _, rep := range rs.Reports {
		if rep.ID != "" {
			status[rep.ID] = rep
		}
	}

	cases := 0
	for _, info := range infos {
		name, _ := filepath.Rel(filepath.Join(sigmaDir, "regression_data"), filepath.Dir(info))
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			data, err := os.ReadFile(info)
			if err != nil {
				t.Fatal(err)
			}
			var c regressionCase
			if err := yaml.Unmarshal(data, &c); err != nil {
				t.Fatalf("%s: %v", info, err)
			}
			if len(c.Rules) == 0 || len(c.Tests) == 0 {
				t.Fatalf("%s names no rule or no test", info)
			}
			for _, tc := range c.Tests {
				if tc.Type != "evtx" {
					t.Fatalf("test %q has type %q; only evtx cases exist in the shared data", tc.Name, tc.Type)
				}
				cases++
				events := decodeEVTX(t, filepath.Join(sigmaDir, filepath.FromSlash(tc.Path)))
				got := map[string]int{}
				var buf []*sigma.Rule
				for _, ev := range events {
					if ev.Kind != event.KindEvent {
						continue
					}
					buf = rs.Matcher.Match(ev, buf[:0])
					for _, r := range buf {
						// A v1 aggregation is compiled as a base rule
						// "<id>/events" feeding a correlation.
						got[strings.TrimSuffix(r.ID, "/events")]++
					}
				}
				want := max(tc.MatchCount, 1)
				for _, rm := range c.Rules {
					if got[rm.ID] >= want {
						continue
					}
					r := byID[rm.ID]
					if r == nil {
						t.Errorf("rule %s (%s) is not in the loaded rule set", rm.ID, rm.Title)
						continue
					}
					why := ""
					if rep, ok := status[rm.ID]; ok && rep.Status != detect.StatusOK {
						why = " (rule is " + string(rep.Status) + ": " + rep.Reason + ")"
					}
					t.Errorf("rule %s %q (%s) matched %d of %d events, want at least %d%s",
						rm.ID, rm.Title, r.File, got[rm.ID], len(events), want, why)
				}
			}
		})
	}
	t.Logf("%d regression cases", cases)
}
