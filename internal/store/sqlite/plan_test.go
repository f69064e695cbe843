package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

func TestTermsQuery(t *testing.T) {
	f := func(q, want string) {
		t.Helper()
		e, err := query.Parse(q)
		if err != nil {
			t.Fatalf("query.Parse(%q): %v", q, err)
		}
		if got := termsQuery(e); got != want {
			t.Errorf("termsQuery(%s) = %s, want %s", q, got, want)
		}
	}
	// Entity fields: the value's term, folded and escaped.
	f("user.name:Alice", `"_ualice"`)
	f(`user.name:"John Smith"`, `"_ujohn_20smith"`)
	f("source.ip:10.0.0.5", `"_s10_2e0_2e0_2e5"`)
	f("host.name:WEB-01", `"_hweb_2d01"`)
	f("destination.ip:fe80::1", `"_dfe80_3a_3a1"`)
	f("user.name:ſam", `"_usam"`)
	f("user.name:adm*", `"_uadm" *`)
	f("user.name:a?min", `"_ua" *`)
	f("user.name:*admin", "")
	f("user.name:*", "")
	// Bare words are whole words: their words are exact.
	f("admin", `"admin"`)
	f("10.0.0.5", `"10 0 0 5"`)
	f("svc_admin", `"svc admin"`)
	f(`\-enc`, `"enc"`)
	// Phrases may start and end inside words.
	f(`"Failed password for"`, `"password for" *`)
	f(`"ssword fo"`, `"fo" *`)
	f(`"password"`, "")
	f(`" password "`, `"password"`)
	// Wildcard words: whole at the stretch's ends, partial by a wildcard.
	f("admin*", `"admin" *`)
	f("*admin", "")
	f("adm?n", `"adm" *`)
	f("pass*word", `"pass" *`)
	f("a*b.c", `("a" * AND "c")`)
	f("10.0.0.*", `"10 0 0"`)
	// Words the terms index cannot spell.
	f("日本語", "")
	f(`"日本語 admin"`, `"admin" *`)
	// Booleans.
	f("user.name:alice admin", `("_ualice" AND "admin")`)
	f("user.name:alice OR admin", `("_ualice" OR "admin")`)
	f("user.name:alice OR NOT admin", "")
	f("user.name:alice NOT admin", `"_ualice"`)
	f("(a OR b) c", `(("a" OR "b") AND "c")`)
	// What only the matcher decides.
	f("NOT admin", "")
	f("destination.port:[1 TO 1024]", "")
	f("event.original:admin", "")
	f("process.name:sshd", "")
	f("*", "")
	f("", "")
}

// TestTermsQueryLimits runs the largest queries the parser accepts: the
// terms query must stay within what FTS5 parses (an expression depth of
// 256).
func TestTermsQueryLimits(t *testing.T) {
	s, _ := openTemp(t)
	mustAppend(t, s, []*event.Event{corpusEvent()})
	deep := "root"
	for i := range query.MaxDepth - 2 {
		deep = fmt.Sprintf("(w%d%s%s)", i, []string{" OR ", " "}[i%2], deep)
	}
	for _, q := range []string{
		deep,
		strings.Repeat("root ", query.MaxQueryLen/5-1),
		strings.TrimSuffix(strings.Repeat("user.name:root OR ", query.MaxQueryLen/18-1), " OR "),
	} {
		e, err := query.Parse(q)
		if err != nil {
			t.Fatalf("query.Parse: %v", err)
		}
		if _, err := s.Search(context.Background(), store.Query{Expr: e}); err != nil {
			t.Errorf("Search of a %d-byte query: %v", len(q), err)
		}
	}
}
