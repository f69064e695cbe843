package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
)

// corpusEvent returns an event with a message, a multi-valued user.name
// (one value repeated in another case) and two other entity fields.
func corpusEvent() *event.Event {
	e := &event.Event{Time: time.Date(2024, 7, 31, 13, 6, 24, 0, time.UTC), Raw: []byte("sshd[1]: Failed password for root from 10.0.0.5")}
	e.Add(event.Message, "Failed password for root from 10.0.0.5")
	e.Add(event.UserName, "root")
	e.Add(event.UserName, "alice")
	e.Add(event.UserName, "ROOT")
	e.Add(event.SourceIP, "10.0.0.5")
	e.Add(event.HostName, "web-01")
	e.Add(event.EventOutcome, "failure")
	return e
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func mustAppend(t *testing.T, s *Store, events []*event.Event) {
	t.Helper()
	if err := s.Append(context.Background(), events); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func mustParse(t *testing.T, q string) query.Expr {
	t.Helper()
	e, err := query.Parse(q)
	if err != nil {
		t.Fatalf("query.Parse(%q): %v", q, err)
	}
	return e
}
