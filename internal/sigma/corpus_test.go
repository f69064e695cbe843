package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/shareddata"
)

// TestCorpus parses every rule of the shared SigmaHQ and Hayabusa rule
// sets and of the specification's examples. A change in any figure is a
// regression or a deliberate change, to be explained in the commit.
func TestCorpus(t *testing.T) {
	type corpus struct {
		dir         string // in the shared data
		files       int
		rules       int
		kinds       [3]int // detection, correlation, filter
		aggregation int    // detection rules with a Sigma v1 count aggregation
		unsupported int
		// genuine are the files with an error in the rule itself, by path
		// relative to dir, with the reason.
		genuine map[string]string
	}
	corpora := []corpus{
		{dir: "sigma/rules", files: 3141, rules: 3141, kinds: [3]int{3141, 0, 0}},
		{dir: "sigma/rules-compliance", files: 3, rules: 3, kinds: [3]int{3, 0, 0}},
		{dir: "sigma/rules-dfir"}, // holds only a README
		{dir: "sigma/rules-emerging-threats", files: 473, rules: 473, kinds: [3]int{473, 0, 0}},
		{dir: "sigma/rules-threat-hunting", files: 140, rules: 140, kinds: [3]int{140, 0, 0}},
		{dir: "hayabusa-rules", files: 193, rules: 195, kinds: [3]int{192, 3, 0}, aggregation: 3,
			genuine: map[string]string{
				"hayabusa/builtin/Security/LogonLogoff/Logon/Sec_4624_Info_Logon-Type-4-Batch.yml": "detection has no condition",
			}},
		{dir: "sigma-specification/tests/schema", files: 12, rules: 12, kinds: [3]int{2, 8, 2}},
	}
	for _, c := range corpora {
		t.Run(c.dir, func(t *testing.T) {
			dir := shareddata.Path(t, c.dir)
			files := 0
			err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if ext := filepath.Ext(path); err == nil && !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
					files++
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			rules, err := Load(dir)

			// Every error must be a listed genuine one, and every listed
			// one must still fail.
			failed := map[string]bool{}
			for _, e := range joined(err) {
				var perr *Error
				if !errors.As(e, &perr) {
					t.Errorf("error without a position: %v", e)
					continue
				}
				rel, _ := filepath.Rel(dir, perr.File)
				rel = filepath.ToSlash(rel)
				failed[rel] = true
				if reason, ok := c.genuine[rel]; !ok {
					t.Errorf("unexpected error: %v", e)
				} else if !strings.Contains(perr.Msg, reason) {
					t.Errorf("error of %s: got %q, want one containing %q", rel, perr.Msg, reason)
				}
			}
			for rel := range c.genuine {
				if !failed[rel] {
					t.Errorf("%s: parsed without the expected error %q", rel, c.genuine[rel])
				}
			}

			var kinds [3]int
			aggregation, unsupported := 0, 0
			for _, r := range rules {
				kinds[r.Kind]++
				if r.Kind == KindDetection && r.Correlation != nil {
					aggregation++
				}
				if r.Unsupported != "" {
					unsupported++
					t.Logf("unsupported: %s: %s", r.File, r.Unsupported)
				}
				checkRule(t, r)
			}
			if files != c.files || len(rules) != c.rules || kinds != c.kinds || aggregation != c.aggregation || unsupported != c.unsupported {
				t.Errorf("got %d files, %d rules (detection, correlation, filter: %v), %d aggregations, %d unsupported;\n"+
					"want %d files, %d rules (%v), %d aggregations, %d unsupported",
					files, len(rules), kinds, aggregation, unsupported, c.files, c.rules, c.kinds, c.aggregation, c.unsupported)
			}
		})
	}
}

// joined returns the errors joined in err.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, joined(e)...)
		}
		return out
	}
	return []error{err}
}

// checkRule checks the invariants of a parsed rule.
func checkRule(t *testing.T, r *Rule) {
	t.Helper()
	if r.Title == "" || r.Pos.Line == 0 {
		t.Errorf("%s: no title or position", r.File)
	}
	switch r.Kind {
	case KindDetection, KindFilter:
		d := r.Detection
		if d == nil || d.Condition == nil || len(d.Searches) == 0 {
			t.Errorf("%s:%d: detection without condition or searches", r.File, r.Pos.Line)
			return
		}
		for _, s := range d.Searches {
			if s.Pos.Line == 0 || len(s.Groups) == 0 {
				t.Errorf("%s: search %q without position or groups", r.File, s.Name)
			}
			for _, g := range s.Groups {
				for _, it := range g {
					if it.Pos.Line == 0 || len(it.Values) == 0 {
						t.Errorf("%s: search %q: item %q without position or values", r.File, s.Name, it.Field)
					}
				}
			}
		}
		checkPositions(t, r, d.Condition)
		if r.Kind == KindFilter && (r.Filter == nil || len(r.Filter.Rules) == 0) {
			t.Errorf("%s: filter without rules", r.File)
		}
	case KindCorrelation:
		c := r.Correlation
		if c == nil || len(c.Rules) == 0 || c.Timespan <= 0 || len(c.Condition) == 0 {
			t.Errorf("%s:%d: incomplete correlation %+v", r.File, r.Pos.Line, c)
		}
	}
}

// checkPositions checks that every node of a condition has a position
// after the detection's.
func checkPositions(t *testing.T, r *Rule, e Expr) {
	t.Helper()
	if p := e.Position(); p.Line <= r.Detection.Pos.Line || p.Col < 1 {
		t.Errorf("%s: condition node %T at %v, before detection at %v", r.File, e, p, r.Detection.Pos)
	}
	switch e := e.(type) {
	case *Not:
		checkPositions(t, r, e.X)
	case *And:
		for _, a := range e.Args {
			checkPositions(t, r, a)
		}
	case *Or:
		for _, a := range e.Args {
			checkPositions(t, r, a)
		}
	}
}
