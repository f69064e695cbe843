package intel

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ids(list []Indicator) []string {
	var out []string
	for _, ind := range list {
		out = append(out, ind.ID+"="+ind.Value)
	}
	return out
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	s := NewStore(openStore(t))
	first := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return first }
	added, updated, err := s.Import(ctx, []Indicator{ind("b", IP, "192.0.2.2"), ind("a", Domain, "evil.example"), ind("b", IP, "192.0.2.3")})
	if err != nil || added != 2 || updated != 0 {
		t.Fatalf("first import: got %d added, %d updated, %v; want 2, 0, nil", added, updated, err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(list); len(got) != 2 || got[0] != "a=evil.example" || got[1] != "b=192.0.2.3" {
		t.Errorf("List: got %v, want a=evil.example, b=192.0.2.3 (the last of the two b)", got)
	}
	if !list[0].Added.Equal(first) {
		t.Errorf("Added = %v, want %v", list[0].Added, first)
	}

	s.now = func() time.Time { return first.Add(time.Hour) }
	changed := ind("a", Domain, "evil.example")
	changed.Confidence = 90
	added, updated, err = s.Import(ctx, []Indicator{changed, ind("b", IP, "192.0.2.3"), ind("c", MD5, "d41d8cd98f00b204e9800998ecf8427e")})
	if err != nil || added != 1 || updated != 1 {
		t.Fatalf("second import: got %d added, %d updated, %v; want 1, 1 (b unchanged), nil", added, updated, err)
	}
	a, err := s.Get(ctx, "a")
	if err != nil || a.Confidence != 90 || !a.Added.Equal(first) {
		t.Errorf("a after update: %+v, %v; want confidence 90 and the first Added", a, err)
	}

	bad := ind("d", IP, "192.0.2.300")
	if _, _, err := s.Import(ctx, []Indicator{ind("e", IP, "192.0.2.5"), bad}); err == nil {
		t.Error("import with an invalid indicator: got no error")
	}
	if _, err := s.Get(ctx, "e"); !errors.Is(err, ErrNoIndicator) {
		t.Errorf("valid indicator of a rejected import: got %v, want ErrNoIndicator", err)
	}

	if err := s.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "c"); !errors.Is(err, ErrNoIndicator) {
		t.Errorf("deleting twice: got %v, want ErrNoIndicator", err)
	}
	m, err := s.Matcher(ctx)
	if err != nil || m.Len() != 2 {
		t.Errorf("Matcher: %d indicators, %v; want 2", m.Len(), err)
	}
}

// failingRecords fails the PutRecord call number failAt (from 1), as a
// full disk would, and lets the others through.
type failingRecords struct {
	store.Records
	calls, failAt int
}

func (f *failingRecords) PutRecord(ctx context.Context, r store.Record) error {
	f.calls++
	if f.calls == f.failAt {
		return errors.New("disk full")
	}
	return f.Records.PutRecord(ctx, r)
}

func TestStoreImportUndo(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	s := NewStore(db)
	if _, _, err := s.Import(ctx, []Indicator{ind("a", IP, "192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	before, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changed := ind("a", IP, "192.0.2.9")
	// Two writes succeed (a replaced, b added), the third fails: both undone.
	failing := NewStore(&failingRecords{Records: db, failAt: 3})
	_, _, err = failing.Import(ctx, []Indicator{changed, ind("b", IP, "192.0.2.2"), ind("c", IP, "192.0.2.3")})
	if err == nil || err.Error() != "storing indicator c: disk full" {
		t.Fatalf("got %v, want storing indicator c: disk full", err)
	}
	after, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(after), ids(before); len(got) != 1 || got[0] != want[0] {
		t.Errorf("after a failed import: got %v, want %v", got, want)
	}

	// A failure at the second write undoes the first, an addition or a replacement.
	failing = NewStore(&failingRecords{Records: db, failAt: 2})
	_, _, err = failing.Import(ctx, []Indicator{ind("b", IP, "192.0.2.2"), ind("c", IP, "192.0.2.3"), changed})
	if err == nil || err.Error() != "storing indicator c: disk full" {
		t.Errorf("got %v, want storing indicator c: disk full (b removed)", err)
	}
	if _, err := s.Get(ctx, "b"); !errors.Is(err, ErrNoIndicator) {
		t.Errorf("b after the failed import: got %v, want ErrNoIndicator", err)
	}
	failing = NewStore(&failingRecords{Records: db, failAt: 2})
	_, _, err = failing.Import(ctx, []Indicator{changed, ind("c", IP, "192.0.2.3"), ind("d", IP, "192.0.2.4")})
	if err == nil || err.Error() != "storing indicator c: disk full" {
		t.Errorf("got %v, want storing indicator c: disk full (a put back)", err)
	}
	if a, err := s.Get(ctx, "a"); err != nil || a.Value != "192.0.2.1" {
		t.Errorf("a after the failed import: got %+v, %v; want 192.0.2.1", a, err)
	}
}
