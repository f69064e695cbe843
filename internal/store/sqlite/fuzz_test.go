package sqlite

import (
	"cmp"
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// fuzzWords are the pieces fuzz events are made of: words inside words,
// case and folding variants, punctuation and non-ASCII.
var fuzzWords = []string{
	"admin", "Admin", "ADMIN", "svc_admin", "administrator", "admin2", "x-admin", "root", "r00t",
	"café", "cafe\u0301", "İstanbul", "istanbul", "\u212Aelvin", "kelvin", "ſam", "sam", "日本",
	"10.0.0.5", "10.0.0.50", "fe80::1", "C:\\Windows\\cmd.exe", "-enc", "a", "b", "ab", "a.b",
	"\"quoted\"", "tab\there", "nul\x00x", "bad\xff", "*", "?", "\\", "",
}

// FuzzSearch compares Search and Count with the query matcher applied to
// every event, for any query that parses.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{
		"admin", "user.name:admin", `"min adm"`, "adm*", "*min", "a?min", "host.name:10.0.0.*",
		"café OR kelvin", "NOT ſam", "user.name:(root OR admin) a.b", `source.ip:"fe80::1"`,
		"x\\-admin", "istanbul", "event.original:*cmd*",
	} {
		f.Add(q)
	}
	s, err := Open(filepath.Join(f.TempDir(), "events.db"), Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	events := fuzzEvents(400)
	if err := s.Append(context.Background(), events); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, qs string) {
		if len(qs) > 200 {
			return
		}
		e, err := query.Parse(qs)
		if err != nil {
			return
		}
		m, err := query.Compile(e)
		if err != nil {
			t.Fatalf("query.Compile(%q): %v", qs, err)
		}
		var want []event.ID
		for _, ev := range events {
			if m.Match(ev) {
				want = append(want, ev.ID)
			}
		}
		slices.Reverse(want) // fuzz events have increasing times
		found, err := s.Search(context.Background(), store.Query{Expr: e, Limit: store.MaxLimit})
		if err != nil {
			t.Fatalf("Search(%q): %v", qs, err)
		}
		got := make([]event.ID, len(found))
		for i, ev := range found {
			got[i] = ev.ID
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Search(%q) (terms query %s) = %v, want %v", qs, termsQuery(e), got, want)
		}
		n, err := s.Count(context.Background(), store.Query{Expr: e})
		if err != nil || n != int64(len(want)) {
			t.Fatalf("Count(%q) = %d, %v; want %d", qs, n, err, len(want))
		}
	})
}

// fuzzEvents returns n events of fuzzWords, with increasing times.
func fuzzEvents(n int) []*event.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return fuzzWords[rng.IntN(len(fuzzWords))] }
	text := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(pick())
			b.WriteString([]string{" ", "", ",", "=", "_", "\n"}[rng.IntN(6)])
		}
		return b.String()
	}
	events := make([]*event.Event, n)
	for i := range events {
		e := &event.Event{Time: time.Unix(int64(i), 0), Raw: []byte(text())}
		if rng.IntN(3) > 0 {
			e.Add(event.Message, text())
		}
		for _, name := range []string{event.UserName, event.HostName, event.SourceIP, event.DestinationIP, "process.name"} {
			for range rng.IntN(3) {
				e.Add(name, text())
			}
		}
		e.Sort()
		events[i] = e
	}
	slices.SortStableFunc(events, func(a, b *event.Event) int { return cmp.Compare(a.Time.Unix(), b.Time.Unix()) })
	return events
}
