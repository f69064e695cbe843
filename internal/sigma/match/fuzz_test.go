package match

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// FuzzMatch checks that the matcher agrees with the reference evaluator on
// any event, for the rules of every testdata case. The input is one JSON
// object; seeds are the events of the cases.
func FuzzMatch(f *testing.F) {
	type compiled struct {
		m   *Matcher
		cfg Config
	}
	var all []compiled
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		a := parseArchive(string(data))
		rules, err := sigma.Parse(file, []byte(a.files["rule.yml"]))
		if err != nil {
			f.Fatal(err)
		}
		var cfg Config
		if src, ok := a.files["sources.yml"]; ok {
			mp, err := logsource.Parse("sources.yml", []byte(src))
			if err != nil {
				f.Fatal(err)
			}
			cfg.Sources = mp
		}
		if ph, ok := a.files["placeholders"]; ok {
			yaml.Unmarshal([]byte(ph), &cfg.Placeholders)
		}
		all = append(all, compiled{Compile(rules, cfg), cfg})
		for _, line := range strings.Split(a.files["events.jsonl"], "\n") {
			if strings.TrimSpace(line) != "" {
				f.Add([]byte(line))
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(line) > 10240 {
			return
		}
		e := &event.Event{}
		if jsonl.DecodeObject(line, e) != nil {
			return
		}
		for _, fl := range e.Fields {
			if fl.Name == "vigie.format" {
				e.Format = fl.Value
			}
		}
		for _, c := range all {
			got := ids(c.m.Match(e, nil))
			if want := ids(slowMatch(c.m, c.cfg, e)); !slices.Equal(got, want) {
				t.Fatalf("got %v, reference %v", got, want)
			}
		}
	})
}
