package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"

	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) store.Store {
		s, err := Open(filepath.Join(dir, "events.db"), Config{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

// TestDiskFull fills the database (max_page_count makes SQLite answer
// SQLITE_FULL, as a full disk does), checks that the failed batch left
// nothing behind, then makes room and checks that appends resume.
func TestDiskFull(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	g := newGenerator(3)
	before := g.batch(100)
	mustAppend(t, s, before)

	var pages int64
	if err := s.writer.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+2)); err != nil {
		t.Fatal(err)
	}
	big := g.batch(2000)
	err := s.Append(ctx, big)
	if err == nil {
		t.Fatal("Append to a full database succeeded")
	}
	t.Logf("Append error: %v", err)
	if !strings.Contains(err.Error(), "full") {
		t.Errorf("Append error = %v, want one that says the database is full", err)
	}
	if big[0].ID != 0 {
		t.Errorf("a failed Append set IDs (first %d)", big[0].ID)
	}
	if n, err := s.Count(ctx, store.Query{}); err != nil || n != int64(len(before)) {
		t.Errorf("after the failed Append, Count = %d, %v; want %d", n, err, len(before))
	}

	if _, err := s.writer.ExecContext(ctx, "PRAGMA max_page_count = 4294967294"); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, big)
	if n, err := s.Count(ctx, store.Query{}); err != nil || n != int64(len(before)+len(big)) {
		t.Errorf("after room was made, Count = %d, %v; want %d", n, err, len(before)+len(big))
	}
	if big[0].ID != before[len(before)-1].ID+1 {
		t.Errorf("after the failure, IDs resume at %d, want %d", big[0].ID, before[len(before)-1].ID+1)
	}
	for _, e := range []*event.Event{before[0], before[99], big[0], big[1999]} {
		got, err := s.Get(ctx, e.ID)
		if err != nil {
			t.Fatalf("Get(%d): %v", e.ID, err)
		}
		if got.Time != e.Time || string(got.Raw) != string(e.Raw) {
			t.Errorf("event %d changed", e.ID)
		}
	}
	user, _ := big[1999].Get(event.UserName)
	found, err := s.Search(ctx, store.Query{Expr: &query.Term{Field: event.UserName, Value: user}, Limit: store.MaxLimit})
	if err != nil || !slices.ContainsFunc(found, func(e *event.Event) bool { return e.ID == big[1999].ID }) {
		t.Errorf("Search(user.name:%s) = %d events, %v; want one with ID %d", user, len(found), err, big[1999].ID)
	}
	checkIntegrity(t, s)
}

// checkIntegrity runs SQLite's and FTS5's own consistency checks.
func checkIntegrity(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	var res string
	if err := s.writer.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check = %q, %v", res, err)
	}
	if _, err := s.writer.ExecContext(ctx, "INSERT INTO terms(terms) VALUES ('integrity-check')"); err != nil {
		t.Errorf("terms integrity-check: %v", err)
	}
}

func TestAppendCanceled(t *testing.T) {
	s, _ := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	batch := newGenerator(1).batch(10)
	if err := s.Append(ctx, batch); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a canceled context = %v, want context.Canceled", err)
	}
	if n, err := s.Count(context.Background(), store.Query{}); err != nil || n != 0 {
		t.Errorf("Count = %d, %v; want 0", n, err)
	}
	mustAppend(t, s, batch)
}

func TestClosed(t *testing.T) {
	s, _ := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	ctx := context.Background()
	if err := s.Append(ctx, newGenerator(1).batch(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Prune(ctx, store.Retention{MaxAge: time.Hour}, time.Now()); !errors.Is(err, ErrClosed) {
		t.Errorf("Prune after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Search(ctx, store.Query{}); err == nil {
		t.Errorf("Search after Close succeeded")
	}
}

func TestOpenNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.writer.ExecContext(context.Background(), fmt.Sprintf("PRAGMA user_version = %d", schemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path, Config{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: error %v, want one about a newer version", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "dir", "events.db"), Config{}); err == nil {
		t.Errorf("Open in a missing directory succeeded")
	}
}

// TestPruneShrinksFile checks that pruning by size returns space to the
// file system and that repeated pruning converges under the limit
// without deleting much more than needed.
func TestPruneShrinksFile(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	g := newGenerator(5)
	for range 10 {
		mustAppend(t, s, g.batch(2000))
	}
	if _, err := s.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	size0 := fileSize(t, path)
	limit := size0 / 2
	now := g.start.Add(time.Hour)
	for i := 0; i < 10; i++ {
		if _, err := s.Prune(ctx, store.Retention{MaxBytes: limit}, now); err != nil {
			t.Fatalf("Prune: %v", err)
		}
		if used, _ := s.usedBytes(ctx); used <= limit {
			break
		}
	}
	used, err := s.usedBytes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if used > limit {
		t.Errorf("after 10 prunes, %d bytes are used, over the limit %d", used, limit)
	}
	if size := fileSize(t, path); size > limit+limit/10 {
		t.Errorf("file is %d bytes after pruning to %d (was %d): free pages were not returned", size, limit, size0)
	}
	if wal := fileSize(t, path+"-wal"); wal > 1<<20 {
		t.Errorf("write-ahead log is %d bytes after Prune, want it truncated", wal)
	}
	left, err := s.Count(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("size %d -> %d (limit %d), used %d, %d events left", size0, fileSize(t, path), limit, used, left)
	if left < 20000*3/10 {
		t.Errorf("%d of 20000 events left after pruning to half the size: too many deleted", left)
	}
	checkIntegrity(t, s)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestOpenTwice(t *testing.T) {
	_, path := openTemp(t)
	if s, err := Open(path, Config{}); err == nil {
		s.Close()
		t.Fatal("a second Open of an open store succeeded")
	}
}

// TestPruneSteadyState appends and prunes by age in rounds, as a store
// under retention does: the file must stop growing.
func TestPruneSteadyState(t *testing.T) {
	if testing.Short() {
		t.Skip("appends and prunes 48,000 events")
	}
	s, _ := openTemp(t)
	ctx := context.Background()
	g := newGenerator(1)
	var steady int64
	for round := range 12 {
		mustAppend(t, s, g.batch(2000))
		mustAppend(t, s, g.batch(2000))
		now := g.start.Add(time.Duration(g.n) * time.Millisecond)
		if _, err := s.Prune(ctx, store.Retention{MaxAge: 12 * time.Second}, now); err != nil {
			t.Fatal(err)
		}
		used, err := s.usedBytes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case round == 4:
			steady = used
		case round > 4 && used > steady*6/5:
			t.Fatalf("round %d: %d bytes used, more than 1.2 times the %d of round 4: the file keeps growing", round, used, steady)
		}
	}
	t.Logf("steady state: %d bytes for 12,000 events", steady)
}

// TestFTS5 checks that the SQLite linked in has FTS5, which the terms
// index needs.
func TestFTS5(t *testing.T) {
	s, _ := openTemp(t)
	var used bool
	if err := s.readers.QueryRow("SELECT sqlite_compileoption_used('ENABLE_FTS5')").Scan(&used); err != nil || !used {
		t.Fatalf("sqlite_compileoption_used('ENABLE_FTS5') = %v, %v; want true", used, err)
	}
}
