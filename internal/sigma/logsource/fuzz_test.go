package logsource

import (
	"errors"
	"testing"
)

// maxFuzzInput bounds the inputs FuzzParse tries.
const maxFuzzInput = 10240

// FuzzParse checks that Parse never panics, that every error it returns is
// a positioned ErrSyntax, and that whatever it accepts resolves.
func FuzzParse(f *testing.F) {
	f.Add(defaultYAML[:min(len(defaultYAML), maxFuzzInput)])
	f.Add([]byte("entries:\n  - name: a\n    product: p\n    conditions: &c {F: [x, y]}\n  - name: b\n    product: p\n    service: s\n    conditions: *c\n"))
	f.Add([]byte("entries:\n  - name: a\n    product: windows: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		m, err := Parse("fuzz.yml", data)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		for _, en := range m.Entries() {
			m.Resolve(en.Category, en.Product, en.Service)
		}
	})
}
