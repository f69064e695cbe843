package detect

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestCases runs the txtar detection cases in testdata.
func TestCases(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no cases in testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := ReadCase(f)
			if err != nil {
				t.Fatal(err)
			}
			got, reports, err := c.Run(Config{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reports {
				t.Errorf("rule %s:%d is %s: %s", r.File, r.Line, r.Status, r.Reason)
			}
			if !slices.Equal(got, c.Want) {
				t.Errorf("got\n%q\nwant\n%q", got, c.Want)
			}
		})
	}
}

func TestParseCaseErrors(t *testing.T) {
	for _, src := range []string{
		"-- r.yml --\ntitle: x\n",                          // no events
		"-- r.yml --\ntitle: x\n-- events --\n-- odd --\n", // unknown section
	} {
		if _, err := ParseCase("case", []byte(src)); err == nil {
			t.Errorf("ParseCase(%q) succeeded, want an error", src)
		}
	}
}
