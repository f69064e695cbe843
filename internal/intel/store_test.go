package intel

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

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

// TestStoreImportAtomic fails an import at the store (its context ended)
// and checks that nothing of it was written: a replaced indicator keeps
// its old value, a new one is absent.
func TestStoreImportAtomic(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	s := NewStore(db)
	if _, _, err := s.Import(ctx, []Indicator{ind("a", IP, "192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err := s.Import(ended, []Indicator{ind("a", IP, "192.0.2.9"), ind("b", IP, "192.0.2.2")})
	if err == nil {
		t.Fatal("import with an ended context succeeded")
	}
	if a, err := s.Get(ctx, "a"); err != nil || a.Value != "192.0.2.1" {
		t.Errorf("a after the failed import: got %+v, %v; want 192.0.2.1", a, err)
	}
	if _, err := s.Get(ctx, "b"); !errors.Is(err, ErrNoIndicator) {
		t.Errorf("b after the failed import: got %v, want ErrNoIndicator", err)
	}
}
