package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// testLedger checks the integrity log: one leaf per event and audit entry,
// in the order they were stored, with the hash of the record as it reads
// back; leaves outlive pruned events, and Prune says what it deleted.
func testLedger(t *testing.T, open Open) {
	ctx := context.Background()
	s, dir := newStore(t, open)
	events := corpus(300, 7)
	appendInBatches(t, s, events[:200])
	a := &store.AuditEntry{Actor: "alice", Action: "incident.note", Target: "incident/1", Remote: "10.0.0.1:5000", Detail: json.RawMessage(`{"text":"x"}`)}
	if err := s.AppendAudit(ctx, a); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, s, events[200:])

	want := 301
	if n, err := s.LedgerSize(ctx); err != nil || n != int64(want) {
		t.Fatalf("LedgerSize = %d, %v; want %d", n, err, want)
	}
	var all []store.LedgerEntry
	for from := int64(0); ; {
		page, err := s.Leaves(ctx, from, 64)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		from = page[len(page)-1].Index + 1
	}
	if len(all) != want {
		t.Fatalf("Leaves read %d leaves in pages of 64, want %d", len(all), want)
	}
	for i, l := range all {
		if l.Index != int64(i) {
			t.Fatalf("leaf %d has index %d", i, l.Index)
		}
	}
	check := func(l store.LedgerEntry, kind leaf.Kind, ref int64, data []byte) {
		t.Helper()
		if l.Kind != uint8(kind) || l.Ref != ref {
			t.Errorf("leaf %d is %s %d, want %s %d", l.Index, leaf.Kind(l.Kind), l.Ref, kind, ref)
		}
		if l.Hash != leaf.HashLeaf(data) {
			t.Errorf("leaf %d (%s %d): hash does not match the stored record", l.Index, kind, ref)
		}
		idx, err := s.LeafIndex(ctx, uint8(kind), ref)
		if err != nil || idx != l.Index {
			t.Errorf("LeafIndex(%s %d) = %d, %v; want %d", kind, ref, idx, err, l.Index)
		}
	}
	order := append(append(append([]*event.Event{}, events[:200]...), nil), events[200:]...)
	for i, e := range order {
		if e == nil {
			log, err := s.AuditLog(ctx, 0, 10, "")
			if err != nil || len(log) != 1 {
				t.Fatalf("AuditLog = %d entries, %v", len(log), err)
			}
			check(all[i], leaf.KindAudit, a.Seq, leaf.Audit(nil, &log[0]))
			continue
		}
		got, err := s.Get(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		check(all[i], leaf.KindEvent, int64(e.ID), leaf.Event(nil, got))
	}
	if _, err := s.LeafIndex(ctx, uint8(leaf.KindEvent), int64(events[299].ID)+1); !errors.Is(err, store.ErrNoRecord) {
		t.Errorf("LeafIndex of an unknown event: %v, want store.ErrNoRecord", err)
	}
	if _, err := s.LeafIndex(ctx, uint8(leaf.KindAudit), a.Seq+1); !errors.Is(err, store.ErrNoRecord) {
		t.Errorf("LeafIndex of an unknown audit entry: %v, want store.ErrNoRecord", err)
	}

	// Prune keeps the leaves and records the IDs it deleted.
	cutoff := events[100].Time
	var old []event.ID
	for _, e := range events {
		if e.Time.Before(cutoff) {
			old = append(old, e.ID)
		}
	}
	n, err := s.Prune(ctx, store.Retention{MaxAge: time.Hour}, cutoff.Add(time.Hour))
	if err != nil || n != int64(len(old)) || n == 0 {
		t.Fatalf("Prune = %d, %v; want %d", n, err, len(old))
	}
	log, err := s.AuditLog(ctx, a.Seq, 100, "")
	if err != nil || len(log) == 0 {
		t.Fatalf("after Prune, AuditLog = %d entries, %v; want the prune record", len(log), err)
	}
	deleted := map[int64]bool{}
	for _, e := range log {
		if e.Action != store.ActionPrune || e.Actor != "retention" {
			t.Errorf("after Prune, audit entry %s by %s, want %s by retention", e.Action, e.Actor, store.ActionPrune)
			continue
		}
		var d struct{ IDs [][2]int64 }
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("prune record detail %s: %v", e.Detail, err)
		}
		for _, r := range d.IDs {
			for id := r[0]; id <= r[1]; id++ {
				deleted[id] = true
			}
		}
	}
	if len(deleted) != len(old) {
		t.Errorf("prune records name %d events, want the %d deleted", len(deleted), len(old))
	}
	for _, id := range old {
		if !deleted[int64(id)] {
			t.Errorf("pruned event %d is in no prune record", id)
		}
	}
	size, err := s.LedgerSize(ctx)
	if err != nil || size != int64(want+len(log)) {
		t.Errorf("after Prune, LedgerSize = %d, %v; want %d: every leaf kept, one per prune record", size, err, want+len(log))
	}

	// The log survives a reopen and goes on from where it was.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openIn(t, open, dir)
	more := corpus(5, 8)
	appendEvents(t, s, more)
	if n, err := s.LedgerSize(ctx); err != nil || n != size+5 {
		t.Errorf("after reopen and 5 more events, LedgerSize = %d, %v; want %d", n, err, size+5)
	}
	if idx, err := s.LeafIndex(ctx, uint8(leaf.KindEvent), int64(more[4].ID)); err != nil || idx != size+4 {
		t.Errorf("LeafIndex of the last event = %d, %v; want %d", idx, err, size+4)
	}
}
