package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/store"
)

// TestMigrateV1 turns a new store back into a version 1 file (no records,
// no audit log) holding events, and checks that opening it adds the
// version 2 tables and keeps the events.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, newGenerator(1).batch(10))
	for _, q := range []string{"DROP TABLE records", "DROP TABLE audit", "PRAGMA user_version = 1"} {
		if _, err := s.writer.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Config{})
	if err != nil {
		t.Fatalf("opening a version 1 store: %v", err)
	}
	defer s.Close()
	if n, err := s.Count(ctx, store.Query{}); err != nil || n != 10 {
		t.Errorf("after migration: %d events, %v; want 10", n, err)
	}
	if err := s.PutRecord(ctx, store.Record{Kind: "incident", ID: "1", Body: []byte("{}")}); err != nil {
		t.Errorf("PutRecord after migration: %v", err)
	}
	if err := s.AppendAudit(ctx, &store.AuditEntry{Actor: "a", Action: "b"}); err != nil {
		t.Errorf("AppendAudit after migration: %v", err)
	}
}
