package web

import (
	"path"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/query"
)

// FuzzSafeNext checks that the login page only ever sends a user to a
// page of the console on this server.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/ui/", "/ui/alerts?x=1", "//evil/", "https://evil/", "/ui/../api", "/ui/\\evil", "/\t/evil", "/ui/%2e%2e/x", "", "/ui", "/ui/login"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != Prefix && got != next {
			t.Fatalf("safeNext(%q) = %q, want the input or %q", next, got, Prefix)
		}
		if got == Prefix {
			return
		}
		p, _, _ := strings.Cut(strings.SplitN(got, "#", 2)[0], "?")
		if !strings.HasPrefix(got, "/ui/") || strings.HasPrefix(got, "//") || !strings.HasPrefix(path.Clean(p)+"/", Prefix) {
			t.Fatalf("safeNext(%q) = %q leaves the console", next, got)
		}
	})
}

// FuzzSyntaxView checks that a query's syntax error is split around its
// position without losing or inventing a byte.
func FuzzSyntaxView(f *testing.F) {
	for _, s := range []string{"a:(b", "a)", "é:(", "\xff(", `"open`, "a:[1 TO"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		_, err := query.Parse(q)
		se, ok := err.(*query.SyntaxError)
		if !ok {
			return
		}
		sv := newSyntaxView(q, se)
		if sv.Before+sv.At+sv.After != q {
			t.Fatalf("query %q split as %q %q %q", q, sv.Before, sv.At, sv.After)
		}
		if sv.AtEnd != (sv.At == "") {
			t.Fatalf("query %q: AtEnd %v with At %q", q, sv.AtEnd, sv.At)
		}
	})
}
