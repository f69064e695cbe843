// Package shareddata locates the real logs and rules in ../shared/data that
// tests and benchmarks run on. Those files are not part of the repository:
// a test that needs one skips when it is absent, and fails instead when the
// environment variable VIGIE_REQUIRE_SHARED is set to 1 (as CI does).
package shareddata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the absolute path of the shared data folder, found from this
// source file's location (the module root's sibling "shared/data"), or ""
// when it does not exist. VIGIE_SHARED_DATA overrides the location.
func Dir() string {
	if d := os.Getenv("VIGIE_SHARED_DATA"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	d := filepath.Join(root, "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

// Path returns the absolute path of rel inside the shared data folder. When
// it is missing, it skips tb, or fails it if VIGIE_REQUIRE_SHARED=1.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	d := Dir()
	p := filepath.Join(d, filepath.FromSlash(rel))
	if d != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("VIGIE_REQUIRE_SHARED") == "1" {
		tb.Fatalf("shared data %s is missing (VIGIE_REQUIRE_SHARED=1): put the shared folder beside the repository or set VIGIE_SHARED_DATA", rel)
	}
	tb.Skipf("shared data %s not found beside the repository; skipping (set VIGIE_SHARED_DATA to its location)", rel)
	return ""
}
