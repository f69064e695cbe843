package logsource

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/shareddata"
)

// triple is a rule's log source.
type triple struct{ category, product, service string }

func (t triple) String() string {
	return fmt.Sprintf("%s|%s|%s", t.category, t.product, t.service)
}

// ruleLogSources counts the rules of each log source in the YAML files
// under the given shared data folders. Documents without a logsource
// (correlation rules) are skipped. The logsource is read with the YAML
// library alone, not with package sigma.
func ruleLogSources(t *testing.T, rels ...string) map[triple]int {
	t.Helper()
	counts := make(map[triple]int)
	for _, rel := range rels {
		root := shareddata.Path(t, rel)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			dec := yaml.NewDecoder(f)
			for {
				var doc struct {
					LogSource *struct {
						Category string `yaml:"category"`
						Product  string `yaml:"product"`
						Service  string `yaml:"service"`
					} `yaml:"logsource"`
				}
				err := dec.Decode(&doc)
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if ls := doc.LogSource; ls != nil {
					counts[triple{ls.Category, ls.Product, ls.Service}]++
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return counts
}

// TestRuleLogSources resolves the log source of every SigmaHQ and Hayabusa
// rule and checks the exact list of those left unmapped, with the number
// of rules each covers: a new gap, or a gap closed, shows up here.
func TestRuleLogSources(t *testing.T) {
	counts := ruleLogSources(t, "sigma/rules", "sigma/rules-compliance", "sigma/rules-dfir",
		"sigma/rules-emerging-threats", "sigma/rules-threat-hunting", "hayabusa-rules")

	// Each is unmapped on purpose: no Vigie decoder produces these events,
	// or (for a few SaaS logs) no field with a fixed value identifies them.
	want := map[string]int{
		// Generic categories without a fitting decoder.
		"database||":                        1, // SQL query logs
		"firewall||":                        2, // firewall appliances (src_ip, dst_port, action)
		"||apache":                          2, // Apache error.log; weblog reads access logs only
		"||nginx":                           1, // nginx error.log
		"||netflow":                         1,
		"appliance|paloalto|globalprotect":  1,
		"file_event|paloalto|globalprotect": 1,
		// Application logs: keyword rules over application text logs.
		"application|django|":        1,
		"application|jvm|":           5,
		"application|nodejs|":        1,
		"application|opencanary|":    24,
		"application|python|":        1,
		"application|rpc_firewall|":  17,
		"application|ruby_on_rails|": 1,
		"application|spring|":        2,
		"application|sql|":           1,
		"application|velocity|":      1,
		// SaaS audit logs whose records have no fixed-value field to select
		// them by (Condition tests equality only).
		"|bitbucket|audit":          14,
		"|github|audit":             15,
		"|okta|okta":                23,
		"|onelogin|onelogin.events": 2,
		"|qualys|":                  2,
		// Azure PIM alerts: not part of the diagnostic-settings export.
		"|azure|pim": 7,
		// Network devices.
		"|cisco|aaa":       13,
		"|cisco|bgp":       1,
		"|cisco|duo":       1,
		"|cisco|ldp":       1,
		"|cisco|syslog":    1,
		"|fortigate|event": 7,
		"|fortios|sslvpnd": 1,
		"|huawei|bgp":      1,
		"|juniper|bgp":     1,
		// macOS: no decoder (ESF, unified log).
		"file_event|macos|":       5,
		"process_creation|macos|": 70,
		// Windows ETW (Microsoft-Windows-Kernel-File): not in event logs.
		"file_access|windows|": 13,
		"file_rename|windows|": 2,
	}
	got := make(map[string]int)
	mapped, rules := 0, 0
	m := Default()
	for tr, n := range counts {
		rules += n
		if _, ok := m.Resolve(tr.category, tr.product, tr.service); ok {
			mapped += n
			continue
		}
		got[tr.String()] = n
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		t.Logf("unmapped %-40s %4d rules", k, got[k])
	}
	t.Logf("%d of %d rules (%d log sources) have a mapped log source", mapped, rules, len(counts))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unmapped log sources (-want +got):\n%s", diff)
	}
}
