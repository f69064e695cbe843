package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// Open opens the store kept in dir, an empty directory the first time.
// The suite calls it again with the same dir to check that events survive
// a Close, and closes every store it opens.
type Open func(t *testing.T, dir string) store.Store

// Run runs the contract suite against the backend that open opens.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, Open)
	}{
		{"AppendAssignsIDs", testAppendAssignsIDs},
		{"RoundTrip", testRoundTrip},
		{"GetNotFound", testGetNotFound},
		{"SearchMatchesMatcher", testSearchMatchesMatcher},
		{"TimeBounds", testTimeBounds},
		{"Paging", testPaging},
		{"Limit", testLimit},
		{"Scan", testScan},
		{"PruneByAge", testPruneByAge},
		{"PruneBySize", testPruneBySize},
		{"Concurrent", testConcurrent},
		{"Reopen", testReopen},
		{"Records", testRecords},
		{"Audit", testAudit},
		{"Ledger", testLedger},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, open) })
	}
}

// newStore opens a store in a new directory and closes it when t ends.
func newStore(t *testing.T, open Open) (store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	return openIn(t, open, dir), dir
}

func openIn(t *testing.T, open Open, dir string) store.Store {
	t.Helper()
	s := open(t, dir)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func appendEvents(t *testing.T, s store.Appender, events []*event.Event) {
	t.Helper()
	if err := s.Append(context.Background(), events); err != nil {
		t.Fatalf("Append(%d events): %v", len(events), err)
	}
}

// appendInBatches appends events in batches of varied sizes.
func appendInBatches(t *testing.T, s store.Appender, events []*event.Event) {
	t.Helper()
	for i, size := 0, 1; i < len(events); size = size*3 + 1 {
		n := min(size, len(events)-i)
		appendEvents(t, s, events[i:i+n])
		i += n
	}
}

func parse(t *testing.T, q string) query.Expr {
	t.Helper()
	e, err := query.Parse(q)
	if err != nil {
		t.Fatalf("query.Parse(%q): %v", q, err)
	}
	return e
}

func searchIDs(t *testing.T, s store.Searcher, q store.Query) []event.ID {
	t.Helper()
	found, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%v): %v", q.Expr, err)
	}
	return ids(found)
}

func ids(events []*event.Event) []event.ID {
	out := make([]event.ID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// resultOrder is the order Search returns: newest time first, then
// highest ID.
func resultOrder(a, b *event.Event) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// want returns the IDs of the events that match e and lie within
// [from, to), in result order: what Search must return.
func want(t *testing.T, events []*event.Event, e query.Expr, from, to time.Time) []event.ID {
	t.Helper()
	m, err := query.Compile(e)
	if err != nil {
		t.Fatalf("query.Compile(%v): %v", e, err)
	}
	var match []*event.Event
	for _, ev := range events {
		if (!from.IsZero() && ev.Time.Before(from)) || (!to.IsZero() && !ev.Time.Before(to)) {
			continue
		}
		if m.Match(ev) {
			match = append(match, ev)
		}
	}
	slices.SortFunc(match, resultOrder)
	return ids(match)
}

// eventDiff compares events as stored and read back: nil and empty
// slices are equal, and times are compared as instants.
func eventDiff(want, got *event.Event) string {
	return gocmp.Diff(want, got, cmpopts.EquateEmpty())
}

func testAppendAssignsIDs(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	first := corpus(5, 1)
	appendEvents(t, s, first)
	second := corpus(3, 2)
	appendEvents(t, s, second)
	if err := s.Append(context.Background(), nil); err != nil {
		t.Errorf("Append(empty batch) = %v, want nil", err)
	}
	all := append(first, second...)
	for i, e := range all {
		if e.ID <= 0 {
			t.Fatalf("event %d has ID %d after Append, want > 0", i, e.ID)
		}
		if i > 0 && e.ID <= all[i-1].ID {
			t.Fatalf("event %d has ID %d, not above the previous event's %d: IDs must increase in append order", i, e.ID, all[i-1].ID)
		}
	}
}

func testRoundTrip(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	at := time.Date(2024, 7, 31, 13, 6, 24, 123456789, time.UTC)
	full := &event.Event{
		Time: at, Received: at.Add(1500 * time.Millisecond), Source: "syslog-udp/10.0.0.5", Format: "syslog",
		Raw: []byte("<34>1 2024-07-31T13:06:24.123456789Z mymachine su - - 'su root' failed for lonvick"),
	}
	full.Add(event.Message, "'su root' failed for lonvick")
	full.Add(event.UserName, "lonvick")
	full.Add(event.UserName, "root") // multi-valued, in order
	full.Add(event.UserName, "lonvick")
	full.AddTyped(event.DestinationPort, "22", event.Number)
	full.AddTyped("ok", "true", event.Bool)
	full.AddTyped("gone", "", event.Null)
	full.Add("empty", "")
	full.Add("unicode", "İstanbul \u212A ſ café 日本語 \U0001F600")
	full.Add("binary", "nul\x00and\xffinvalid")
	full.Add("long", string(slices.Repeat([]byte("0123456789abcdef"), 4096)))
	full.Sort()
	events := []*event.Event{
		full,
		{
			Time: at, Received: at, Source: "file/auth.log", Format: "authlog",
			Kind: event.KindPipelineError, ParseError: "unexpected byte 0xff at offset 2",
			Raw: []byte{0x00, 0xff, 0xfe, 'a', 0x00, '\n', 0x80},
		},
		{Time: at.Add(-48 * time.Hour), Source: "http/winlogbeat", Format: "evtx", Kind: event.KindAlert,
			Fields: []event.Field{{Name: "rule", Value: "x"}}},
		{},                       // zero times, no fields, no raw
		{Time: time.Unix(0, -1)}, // before the epoch
		{Time: time.Date(2200, 1, 1, 0, 0, 0, 1, time.UTC), Raw: []byte{}},
		// Unsorted fields stay in their order.
		{Time: at, Fields: []event.Field{{Name: "b", Value: "2"}, {Name: "a", Value: "1"}}},
	}
	appendEvents(t, s, events)
	ctx := context.Background()
	for _, e := range events {
		got, err := s.Get(ctx, e.ID)
		if err != nil {
			t.Fatalf("Get(%d): %v", e.ID, err)
		}
		if d := eventDiff(e, got); d != "" {
			t.Errorf("Get(%d) differs from the appended event (-want +got):\n%s", e.ID, d)
		}
	}
	found, err := s.Search(ctx, store.Query{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[event.ID]*event.Event{}
	for _, e := range found {
		byID[e.ID] = e
	}
	for _, e := range events {
		if d := eventDiff(e, byID[e.ID]); d != "" {
			t.Errorf("Search result for event %d differs from the appended event (-want +got):\n%s", e.ID, d)
		}
	}
}

func testGetNotFound(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	appendEvents(t, s, corpus(2, 1))
	for _, id := range []event.ID{0, -1, 1 << 40} {
		_, err := s.Get(context.Background(), id)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%d) error = %v, want store.ErrNotFound", id, err)
		}
	}
}

// testSearchMatchesMatcher checks that every query finds exactly what the
// query matcher accepts among all events, in result order, and that
// Count agrees.
func testSearchMatchesMatcher(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	events := corpus(3000, 42)
	appendInBatches(t, s, events)
	ctx := context.Background()
	for _, qs := range corpusQueries {
		e := parse(t, qs)
		wantIDs := want(t, events, e, time.Time{}, time.Time{})
		got := searchIDs(t, s, store.Query{Expr: e, Limit: store.MaxLimit})
		if d := gocmp.Diff(wantIDs, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("Search(%q): got %d events, want %d (-want +got):\n%s", qs, len(got), len(wantIDs), d)
		}
		n, err := s.Count(ctx, store.Query{Expr: e})
		if err != nil {
			t.Fatalf("Count(%q): %v", qs, err)
		}
		if n != int64(len(wantIDs)) {
			t.Errorf("Count(%q) = %d, want %d", qs, n, len(wantIDs))
		}
		if len(wantIDs) > 3 {
			if got := searchIDs(t, s, store.Query{Expr: e, Limit: 3}); !slices.Equal(got, wantIDs[:3]) {
				t.Errorf("Search(%q, Limit 3) = %v, want %v", qs, got, wantIDs[:3])
			}
		}
	}
}

func testTimeBounds(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	events := corpus(1500, 7)
	appendInBatches(t, s, events)
	bounds := []struct{ from, to time.Time }{
		{base.Add(2 * time.Hour), time.Time{}},
		{time.Time{}, base.Add(3 * time.Hour)},
		{base.Add(2 * time.Hour), base.Add(3 * time.Hour)},
		{events[100].Time, events[100].Time.Add(time.Nanosecond)}, // one instant: From inclusive
		{events[200].Time, events[200].Time},                      // empty: To exclusive
		{base.Add(1000 * time.Hour), time.Time{}},                 // after everything
	}
	for _, qs := range []string{"", "user.name:alice", "admin", "NOT admin", "host.name:web-01 OR password"} {
		e := parse(t, qs)
		for _, b := range bounds {
			q := store.Query{Expr: e, From: b.from, To: b.to, Limit: store.MaxLimit}
			wantIDs := want(t, events, e, b.from, b.to)
			if got := searchIDs(t, s, q); !slices.Equal(got, wantIDs) {
				t.Errorf("Search(%q, from %v, to %v): got %d events, want %d\ngot  %v\nwant %v", qs, b.from, b.to, len(got), len(wantIDs), got, wantIDs)
			}
			n, err := s.Count(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(wantIDs)) {
				t.Errorf("Count(%q, from %v, to %v) = %d, want %d", qs, b.from, b.to, n, len(wantIDs))
			}
		}
	}
}

// testPaging pages through results with Before, the ID of the last event
// of the previous page; times are not in ID order in the corpus, so paging
// by ID alone would skip or repeat events.
func testPaging(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	events := corpus(1200, 9)
	appendInBatches(t, s, events)
	for _, qs := range []string{"", "user.name:alice OR user.name:bob", "admin", "NOT password"} {
		e := parse(t, qs)
		for _, size := range []int{1, 7, 100} {
			wantIDs := want(t, events, e, time.Time{}, base.Add(20*time.Hour))
			var got []event.ID
			q := store.Query{Expr: e, Limit: size, To: base.Add(20 * time.Hour)}
			for page := 0; ; page++ {
				ids := searchIDs(t, s, q)
				if len(ids) > size {
					t.Fatalf("Search(%q, Limit %d) returned %d events", qs, size, len(ids))
				}
				got = append(got, ids...)
				if len(ids) < size || page > len(events) {
					break
				}
				q.Before = ids[len(ids)-1]
			}
			if d := gocmp.Diff(wantIDs, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("paging %q by %d (-want +got):\n%s", qs, size, d)
			}
		}
	}
}

func testLimit(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	events := make([]*event.Event, store.MaxLimit+50)
	for i := range events {
		events[i] = &event.Event{Time: base.Add(time.Duration(i) * time.Second)}
		events[i].Add(event.UserName, "alice")
	}
	for i := 0; i < len(events); i += 2000 {
		appendEvents(t, s, events[i:min(i+2000, len(events))])
	}
	for _, tc := range []struct {
		q    string
		lim  int
		want int
	}{
		{"", 0, store.DefaultLimit},
		{"user.name:alice", 0, store.DefaultLimit},
		{"", store.MaxLimit + 10, store.MaxLimit},
		{"user.name:alice", store.MaxLimit + 10, store.MaxLimit},
		{"user.name:alice", 5, 5},
	} {
		got := searchIDs(t, s, store.Query{Expr: parse(t, tc.q), Limit: tc.lim})
		if len(got) != tc.want {
			t.Errorf("Search(%q, Limit %d) returned %d events, want %d", tc.q, tc.lim, len(got), tc.want)
		}
		if len(got) > 0 && got[0] != events[len(events)-1].ID {
			t.Errorf("Search(%q, Limit %d) starts with event %d, want the newest, %d", tc.q, tc.lim, got[0], events[len(events)-1].ID)
		}
	}
	n, err := s.Count(context.Background(), store.Query{Expr: parse(t, "user.name:alice"), Limit: 1})
	if err != nil || n != int64(len(events)) {
		t.Errorf("Count(user.name:alice, Limit 1) = %d, %v; want %d: Count ignores Limit", n, err, len(events))
	}
}

func testPruneByAge(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	events := corpus(800, 3)
	appendInBatches(t, s, events)
	ctx := context.Background()
	// The cutoff is the time of an event, which stays: Prune drops what is
	// older than now-MaxAge.
	cutoff := events[len(events)/3].Time
	now := cutoff.Add(21 * time.Hour)
	var old, kept []*event.Event
	for _, e := range events {
		if e.Time.Before(cutoff) {
			old = append(old, e)
		} else {
			kept = append(kept, e)
		}
	}
	if len(old) == 0 || len(kept) == 0 {
		t.Fatalf("BUG: corpus has %d events before the cutoff and %d after", len(old), len(kept))
	}
	n, err := s.Prune(ctx, store.Retention{MaxAge: 21 * time.Hour}, now)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if n != int64(len(old)) {
		t.Errorf("Prune by age deleted %d events, want %d", n, len(old))
	}
	for _, e := range old[:min(20, len(old))] {
		if _, err := s.Get(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%d) of a pruned event: error %v, want store.ErrNotFound", e.ID, err)
		}
	}
	for _, qs := range []string{"", "user.name:alice", "admin", "NOT admin"} {
		e := parse(t, qs)
		if got, wantIDs := searchIDs(t, s, store.Query{Expr: e, Limit: store.MaxLimit}), want(t, kept, e, time.Time{}, time.Time{}); !slices.Equal(got, wantIDs) {
			t.Errorf("after Prune, Search(%q) = %d events, want %d", qs, len(got), len(wantIDs))
		}
	}
	if n, err := s.Prune(ctx, store.Retention{MaxAge: 21 * time.Hour}, now); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want 0, nil", n, err)
	}
	if n, err := s.Prune(ctx, store.Retention{}, now); err != nil || n != 0 {
		t.Errorf("Prune with no limits = %d, %v; want 0, nil", n, err)
	}
	// A cursor on a pruned event has nothing after it.
	if got := searchIDs(t, s, store.Query{Before: old[0].ID}); len(got) != 0 {
		t.Errorf("Search(Before: pruned event %d) = %v, want none", old[0].ID, got)
	}
	// Appending still works, with new IDs.
	more := corpus(3, 4)
	appendEvents(t, s, more)
	if more[0].ID <= events[len(events)-1].ID {
		t.Errorf("ID after Prune is %d, want above %d", more[0].ID, events[len(events)-1].ID)
	}
}

func testPruneBySize(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	events := corpus(600, 5)
	appendInBatches(t, s, events)
	ctx := context.Background()
	now := base.Add(24 * time.Hour)
	if n, err := s.Prune(ctx, store.Retention{MaxBytes: 1 << 50}, now); err != nil || n != 0 {
		t.Errorf("Prune(MaxBytes 1 PiB) = %d, %v; want 0, nil", n, err)
	}
	// Halve the limit until everything is gone; at every step, the events
	// left must be the newest.
	sorted := slices.Clone(events)
	slices.SortFunc(sorted, resultOrder)
	total, partial := int64(0), false
	for limit := int64(1 << 40); limit > 0 && total < int64(len(events)); limit /= 2 {
		n, err := s.Prune(ctx, store.Retention{MaxBytes: limit}, now)
		if err != nil {
			t.Fatalf("Prune(MaxBytes %d): %v", limit, err)
		}
		total += n
		left := searchIDs(t, s, store.Query{Limit: store.MaxLimit})
		if len(left) != len(events)-int(total) {
			t.Fatalf("Prune(MaxBytes %d) reported %d deleted events in all, but %d of %d are left", limit, total, len(left), len(events))
		}
		if wantIDs := ids(sorted[:len(left)]); !slices.Equal(left, wantIDs) {
			t.Fatalf("after Prune(MaxBytes %d), the events left are not the newest:\ngot  %v\nwant %v", limit, left, wantIDs)
		}
		partial = partial || (n > 0 && len(left) > 0)
	}
	if !partial {
		t.Errorf("no Prune by size left some events: the test checked nothing")
	}
	for {
		n, err := s.Prune(ctx, store.Retention{MaxBytes: 1}, now)
		if err != nil {
			t.Fatalf("Prune(MaxBytes 1): %v", err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != int64(len(events)) {
		t.Errorf("Prune(MaxBytes 1) deleted %d events in all, want all %d", total, len(events))
	}
	if n, err := s.Count(ctx, store.Query{}); err != nil || n != 0 {
		t.Errorf("Count after pruning everything = %d, %v; want 0", n, err)
	}
}

func testConcurrent(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	const writers, batches, batchSize = 4, 15, 40
	ctx := context.Background()
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, writers+4)
	var mu sync.Mutex
	var all []*event.Event
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				batch := corpus(batchSize, uint64(w*1000+b))
				if err := s.Append(ctx, batch); err != nil {
					errs <- fmt.Errorf("Append: %w", err)
					return
				}
				mu.Lock()
				all = append(all, batch...)
				mu.Unlock()
			}
		}()
	}
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			qs := []string{"", "user.name:alice", "admin OR bob", "NOT password"}[r]
			e, _ := query.Parse(qs)
			for {
				select {
				case <-done:
					return
				default:
				}
				found, err := s.Search(ctx, store.Query{Expr: e, Limit: 50})
				if err != nil {
					errs <- fmt.Errorf("Search(%q): %w", qs, err)
					return
				}
				if !slices.IsSortedFunc(found, resultOrder) {
					errs <- fmt.Errorf("Search(%q) returned events out of order", qs)
					return
				}
				if _, err := s.Count(ctx, store.Query{Expr: e}); err != nil {
					errs <- fmt.Errorf("Count(%q): %w", qs, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[event.ID]bool{}
	for _, e := range all {
		if seen[e.ID] {
			t.Fatalf("ID %d assigned twice", e.ID)
		}
		seen[e.ID] = true
	}
	n, err := s.Count(ctx, store.Query{})
	if err != nil || n != writers*batches*batchSize {
		t.Errorf("Count = %d, %v; want %d", n, err, writers*batches*batchSize)
	}
	e := parse(t, "user.name:alice OR admin")
	if got, wantIDs := searchIDs(t, s, store.Query{Expr: e, Limit: store.MaxLimit}), want(t, all, e, time.Time{}, time.Time{}); !slices.Equal(got, wantIDs) {
		t.Errorf("after concurrent appends, Search = %d events, want %d", len(got), len(wantIDs))
	}
}

func testReopen(t *testing.T, open Open) {
	dir := t.TempDir()
	ctx := context.Background()
	events := corpus(300, 11)
	s := open(t, dir)
	appendInBatches(t, s, events)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, dir)
	for _, e := range []*event.Event{events[0], events[150], events[299]} {
		got, err := s.Get(ctx, e.ID)
		if err != nil {
			t.Fatalf("after reopening, Get(%d): %v", e.ID, err)
		}
		if d := eventDiff(e, got); d != "" {
			t.Errorf("after reopening, event %d differs (-want +got):\n%s", e.ID, d)
		}
	}
	for _, qs := range []string{"", "user.name:alice", "admin"} {
		e := parse(t, qs)
		if got, wantIDs := searchIDs(t, s, store.Query{Expr: e, Limit: store.MaxLimit}), want(t, events, e, time.Time{}, time.Time{}); !slices.Equal(got, wantIDs) {
			t.Errorf("after reopening, Search(%q) = %d events, want %d", qs, len(got), len(wantIDs))
		}
	}
	// IDs are never reused, even when every event was pruned.
	if _, err := s.Prune(ctx, store.Retention{MaxAge: time.Hour}, base.Add(1000*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2 := openIn(t, open, dir)
	more := corpus(2, 12)
	appendEvents(t, s2, more)
	if last := events[len(events)-1].ID; more[0].ID <= last {
		t.Errorf("after pruning everything and reopening, new ID %d is not above the last ID %d", more[0].ID, last)
	}
}

func testScan(t *testing.T, open Open) {
	s, _ := newStore(t, open)
	events := corpus(300, 3)
	// Times out of ID order: Scan follows IDs, not times.
	slices.Reverse(events)
	appendInBatches(t, s, events)
	ctx := context.Background()
	var got []event.ID
	for after := event.ID(0); ; {
		page, err := s.Scan(ctx, after, 70)
		if err != nil {
			t.Fatalf("Scan(%d, 70): %v", after, err)
		}
		if len(page) > 70 {
			t.Fatalf("Scan(%d, 70) returned %d events", after, len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			got = append(got, e.ID)
		}
		after = page[len(page)-1].ID
	}
	var want []event.ID
	for _, e := range events {
		want = append(want, e.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Scan pages gave IDs %v…, want every ID once in increasing order %v…", head(got), head(want))
	}
	last := events[len(events)-1].ID
	if page, err := s.Scan(ctx, last, 10); err != nil || len(page) != 0 {
		t.Errorf("Scan after the last ID = %d events, %v; want none", len(page), err)
	}
}

func head(ids []event.ID) []event.ID { return ids[:min(len(ids), 10)] }
