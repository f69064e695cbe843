package alertstate

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

func TestTriage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, st)
	if err := s.Set(ctx, []event.ID{1, 2}, StatusAcknowledged, "alice", "", "bob", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, []event.ID{2}, StatusFalsePositive, "", "backup job", "bob", ""); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ status, assignee, reason string }{
		{StatusFalsePositive, "", ""}, {"closed", "", ""}, {"", "", ""},
	} {
		if err := s.Set(ctx, []event.ID{3}, bad.status, bad.assignee, bad.reason, "bob", ""); !errors.Is(err, ErrInput) {
			t.Errorf("Set(%+v) = %v, want ErrInput", bad, err)
		}
	}
	if err := s.Set(ctx, make([]event.ID, MaxBatch+1), StatusAcknowledged, "", "", "bob", ""); !errors.Is(err, ErrInput) {
		t.Errorf("a batch over MaxBatch: %v", err)
	}
	st.Close()
	st, err = sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := New(st, st).States(ctx, []event.ID{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if g := got[1]; g.Status != StatusAcknowledged || g.Assignee != "alice" || g.By != "bob" {
		t.Errorf("alert 1: %+v", g)
	}
	if g := got[2]; g.Status != StatusFalsePositive || g.Reason != "backup job" || g.Assignee != "alice" {
		t.Errorf("alert 2: %+v (the assignee stays)", g)
	}
	if g := got[3]; g.Status != StatusNew || g.By != "" {
		t.Errorf("alert 3, never triaged: %+v", g)
	}
	audit, err := st.AuditLog(ctx, 0, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != "alert.triage" || audit[0].Actor != "bob" || audit[0].Remote != "192.0.2.1" {
		t.Errorf("audit %+v, want the two accepted changes", audit)
	}
}
