package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/store"
)

func testRecords(t *testing.T, open Open) {
	ctx := context.Background()
	s, dir := newStore(t, open)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	put := func(s store.Store, kind, id, body string, at time.Time) {
		t.Helper()
		if err := s.PutRecord(ctx, store.Record{Kind: kind, ID: id, Body: []byte(body), Updated: at}); err != nil {
			t.Fatal(err)
		}
	}
	put(s, "incident", "2", `{"title":"b"}`, t0)
	put(s, "incident", "1", `{"title":"a"}`, t0)
	put(s, "decision", "1", `{"value":"203.0.113.9"}`, t0)
	put(s, "incident", "2", `{"title":"b2"}`, t0.Add(time.Minute)) // replaces

	if _, err := s.GetRecord(ctx, "incident", "3"); !errors.Is(err, store.ErrNoRecord) {
		t.Errorf("GetRecord(unknown) = %v, want ErrNoRecord", err)
	}
	if err := s.PutRecord(ctx, store.Record{Kind: "incident", Body: []byte("{}")}); err == nil {
		t.Error("PutRecord without an ID succeeded")
	}
	if err := s.DeleteRecord(ctx, "decision", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRecord(ctx, "decision", "missing"); err != nil {
		t.Errorf("deleting a missing record: %v", err)
	}
	// A batch with a bad record writes none of its records.
	err := s.PutRecords(ctx, []store.Record{{Kind: "incident", ID: "9", Body: []byte("{}")}, {Kind: "incident", Body: []byte("{}")}})
	if err == nil {
		t.Error("PutRecords with a record without an ID succeeded")
	}
	if err := s.PutRecords(ctx, []store.Record{{Kind: "decision", ID: "7", Body: []byte("{}")}, {Kind: "decision", ID: "8", Body: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"7", "8"} {
		if err := s.DeleteRecord(ctx, "decision", id); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s store.Store) {
		t.Helper()
		got, err := s.ListRecords(ctx, "incident")
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Record{
			{Kind: "incident", ID: "1", Body: []byte(`{"title":"a"}`), Updated: t0},
			{Kind: "incident", ID: "2", Body: []byte(`{"title":"b2"}`), Updated: t0.Add(time.Minute)},
		}
		if d := gocmp.Diff(want, got); d != "" {
			t.Errorf("ListRecords(incident) (-want +got):\n%s", d)
		}
		r, err := s.GetRecord(ctx, "incident", "2")
		if err != nil || string(r.Body) != `{"title":"b2"}` {
			t.Errorf("GetRecord(incident/2) = %q, %v", r.Body, err)
		}
		if got, err := s.ListRecords(ctx, "decision"); err != nil || len(got) != 0 {
			t.Errorf("ListRecords(decision) after delete = %d records, %v", len(got), err)
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openIn(t, open, dir)
	check(s)

	// Pages of a kind with many records, and its last record.
	var ids []string
	for i := range 25 {
		id := fmt.Sprintf("%04d", i*3)
		ids = append(ids, id)
		put(s, "page", id, "{}", t0)
	}
	put(s, "pagez", "9999", "{}", t0) // another kind, after in key order
	var got []string
	for after := ""; ; {
		page, err := s.ListRecordsAfter(ctx, "page", after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 10 {
			t.Fatalf("ListRecordsAfter(limit 10) returned %d records", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if r.Kind != "page" {
				t.Errorf("ListRecordsAfter(page) returned a %s record", r.Kind)
			}
			got = append(got, r.ID)
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, ids) {
		t.Errorf("ListRecordsAfter pages = %v, want %v", got, ids)
	}
	if page, err := s.ListRecordsAfter(ctx, "page", "0010", 2); err != nil || len(page) != 2 || page[0].ID != "0012" || page[1].ID != "0015" {
		t.Errorf("ListRecordsAfter(page, 0010, 2) = %v, %v; want 0012 and 0015", page, err)
	}
	if r, err := s.LastRecord(ctx, "page"); err != nil || r.ID != "0072" || r.Kind != "page" {
		t.Errorf("LastRecord(page) = %s, %v; want 0072", r.ID, err)
	}
	if _, err := s.LastRecord(ctx, "none"); !errors.Is(err, store.ErrNoRecord) {
		t.Errorf("LastRecord of an empty kind: %v, want ErrNoRecord", err)
	}
}

func testAudit(t *testing.T, open Open) {
	ctx := context.Background()
	s, dir := newStore(t, open)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	entries := []store.AuditEntry{
		{Time: t0, Actor: "alice", Action: "incident.status", Target: "incident/1", Remote: "192.0.2.1", Detail: []byte(`{"status":"investigating"}`)},
		{Time: t0.Add(time.Second), Actor: "policy:bf", Action: "decision.create", Target: "decision/1"},
		{Time: t0.Add(2 * time.Second), Actor: "bob", Action: "incident.note", Target: "incident/1"},
	}
	for i := range entries {
		if err := s.AppendAudit(ctx, &entries[i]); err != nil {
			t.Fatal(err)
		}
		if i > 0 && entries[i].Seq <= entries[i-1].Seq {
			t.Errorf("entry %d has seq %d after %d", i, entries[i].Seq, entries[i-1].Seq)
		}
	}
	if err := s.AppendAudit(ctx, &store.AuditEntry{Action: "x"}); err == nil {
		t.Error("AppendAudit without an actor succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openIn(t, open, dir)
	got, err := s.AuditLog(ctx, 0, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := gocmp.Diff(entries, got); d != "" {
		t.Errorf("AuditLog (-want +got):\n%s", d)
	}
	got, err = s.AuditLog(ctx, entries[0].Seq, 10, "incident/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Seq != entries[2].Seq {
		t.Errorf("AuditLog(after first, incident/1) = %+v, want only entry 3", got)
	}
}
