package incident

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// t0 is the time of the first alert of the tests.
var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newManager returns a Manager over a fresh SQLite store.
func newManager(t *testing.T, cfg Config) (*Manager, *sqlite.Store) {
	t.Helper()
	st := openStore(t)
	c := &clock{t: t0.Add(100 * 24 * time.Hour)}
	m, err := New(cfg, Deps{Records: st, Audit: st, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m, st
}

// alertIDs numbers hand-made alerts.
type alertMaker struct{ next event.ID }

// match renders a Sigma match alert, as detection stores it, on an event
// with the given entity fields ("user.name=alice").
func (am *alertMaker) match(ruleID, level string, at time.Time, entities ...string) *event.Event {
	ev := &event.Event{Time: at}
	for _, kv := range entities {
		k, v, _ := strings.Cut(kv, "=")
		ev.Add(k, v)
	}
	ev.Sort()
	r := &sigma.Rule{ID: ruleID, Title: "Rule " + ruleID, Level: level, Tags: []string{"attack.t1078", "attack.initial-access"}}
	a := detect.Alert{Rule: r, Kind: detect.KindMatch, Time: at, Event: ev, Ref: "7"}
	return am.stamp(a.ToEvent(at))
}

// behaviour renders a behaviour alert naming entities, which may be of any
// field (destination.domain, file.path).
func (am *alertMaker) behaviour(detector string, at time.Time, entities ...string) *event.Event {
	f := &behave.Finding{Detector: detector, Title: "Finding " + detector, Level: "high", Time: at,
		Tags: []string{"attack.t1041", "attack.exfiltration"}, Evidence: []string{"3"}}
	for _, kv := range entities {
		k, v, _ := strings.Cut(kv, "=")
		f.Entities = append(f.Entities, behave.Entity{Field: k, Value: v})
	}
	a := detect.Alert{Rule: &sigma.Rule{ID: "vigie.behave." + detector, Title: detector}, Kind: detect.KindBehaviour,
		Finding: f, Time: at, Refs: f.Evidence}
	return am.stamp(a.ToEvent(at))
}

func (am *alertMaker) stamp(e *event.Event) *event.Event {
	am.next++
	e.ID = am.next
	return e
}

func add(t *testing.T, m *Manager, alerts ...*event.Event) []Change {
	t.Helper()
	ch, err := m.Add(context.Background(), alerts)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// incidentOf returns the incident holding an alert, failing if none does.
func incidentOf(t *testing.T, m *Manager, a *event.Event) *Incident {
	t.Helper()
	id, ok := m.IncidentOf(a.ID)
	if !ok {
		t.Fatalf("alert %d is in no incident", a.ID)
	}
	inc, err := m.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

var alice = Actor{Name: "alice.analyst", Remote: "192.0.2.10"}

// openStoreF opens a store for a fuzz target, closed when it ends.
func openStoreF(f *testing.F) *sqlite.Store {
	st, err := sqlite.Open(filepath.Join(f.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	return st
}

// nopRecords is a store.Records that holds nothing, for tests that only
// check New's arguments.
type nopRecords struct{}

func (nopRecords) PutRecord(context.Context, store.Record) error    { return nil }
func (nopRecords) PutRecords(context.Context, []store.Record) error { return nil }
func (nopRecords) GetRecord(context.Context, string, string) (store.Record, error) {
	return store.Record{}, store.ErrNoRecord
}
func (nopRecords) ListRecords(context.Context, string) ([]store.Record, error) { return nil, nil }
func (nopRecords) DeleteRecord(context.Context, string, string) error          { return nil }
func (nopRecords) ListRecordsAfter(context.Context, string, string, int) ([]store.Record, error) {
	return nil, nil
}
func (nopRecords) LastRecord(context.Context, string) (store.Record, error) {
	return store.Record{}, store.ErrNoRecord
}
