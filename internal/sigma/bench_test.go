package sigma

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/shareddata"
)

// BenchmarkParse parses the SigmaHQ rules held in memory.
func BenchmarkParse(b *testing.B) {
	dir := shareddata.Path(b, "sigma/rules")
	var files [][]byte
	size := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yml" {
			return err
		}
		data, err := os.ReadFile(path)
		files = append(files, data)
		size += len(data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rules=sigmahq", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			for _, data := range files {
				if _, err := Parse("r.yml", data); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkParseCondition(b *testing.B) {
	const text = "(1 of selection_* and not 1 of filter_main_*) or (keywords and not filter_optional_x)"
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := ParseCondition(text); err != nil {
			b.Fatal(err)
		}
	}
}
