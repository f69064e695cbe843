package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// TestMigrateV1 turns a new store back into a version 1 file (no records,
// no audit log, no integrity log) holding events, and checks that opening
// it adds the newer tables and keeps the events.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, newGenerator(1).batch(10))
	for _, q := range []string{"DROP TABLE records", "DROP TABLE audit", "DROP TABLE ledger", "PRAGMA user_version = 1"} {
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

// TestMigrateV2 turns a store back into a version 2 file (no integrity
// log) holding events and audit entries, and checks that opening it
// writes a leaf for each: events in ID order, then audit entries.
func TestMigrateV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	events := newGenerator(2).batch(30)
	mustAppend(t, s, events[:10])
	if err := s.AppendAudit(ctx, &store.AuditEntry{Actor: "a", Action: "b"}); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, events[10:])
	for _, q := range []string{"DELETE FROM events WHERE id = 5", "DROP TABLE ledger", "PRAGMA user_version = 2"} {
		if _, err := s.writer.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Config{})
	if err != nil {
		t.Fatalf("opening a version 2 store: %v", err)
	}
	defer s.Close()
	leaves, err := s.Leaves(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) != 30 { // 29 events left and 1 audit entry
		t.Fatalf("after migration: %d leaves, want 30", len(leaves))
	}
	for i, l := range leaves[:29] {
		wantID := int64(i + 1)
		if wantID >= 5 {
			wantID++
		}
		e, err := s.Get(ctx, event.ID(wantID))
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind != uint8(leaf.KindEvent) || l.Ref != wantID || l.Hash != leaf.HashLeaf(leaf.Event(nil, e)) {
			t.Errorf("leaf %d: %s %d, want event %d with its hash", i, leaf.Kind(l.Kind), l.Ref, wantID)
		}
	}
	if l := leaves[29]; l.Kind != uint8(leaf.KindAudit) || l.Ref != 1 {
		t.Errorf("last leaf: %s %d, want audit 1", leaf.Kind(l.Kind), l.Ref)
	}
	mustAppend(t, s, newGenerator(3).batch(1))
	if n, err := s.LedgerSize(ctx); err != nil || n != 31 {
		t.Errorf("after one more event, LedgerSize = %d, %v; want 31", n, err)
	}
}
