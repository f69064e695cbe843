package respond

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// openStore opens a real SQLite store in dir.
func openStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is an executor that records its calls. It fails the first
// failures calls, and blocks until its context ends when hang is set.
type recorder struct {
	name     string
	hang     bool
	mu       sync.Mutex
	failures int
	calls    []string // "apply 1", "revoke 1"
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Apply(ctx context.Context, d *Decision) error  { return r.call(ctx, OpApply, d) }
func (r *recorder) Revoke(ctx context.Context, d *Decision) error { return r.call(ctx, OpRevoke, d) }

func (r *recorder) call(ctx context.Context, op string, d *Decision) error {
	if r.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, op+" "+d.ID)
	if r.failures > 0 {
		r.failures--
		return errors.New("target unreachable")
	}
	return nil
}

func (r *recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// waitFor polls cond until it holds, failing the test after 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// execState returns decision id's execution by executor, as "op/state".
func execState(t *testing.T, m *Manager, id, executor string) string {
	t.Helper()
	d, err := m.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	x := d.Executions[executor]
	if x == nil {
		return "none"
	}
	return x.Op + "/" + x.State
}

// changes collects OnChange calls.
type changes struct {
	mu   sync.Mutex
	list []string // "create 1", "executed 1 fw"…
}

func (c *changes) add(ch Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := ch.Kind + " " + ch.Decision.ID
	if ch.Executor != "" {
		s += " " + ch.Executor
	}
	c.list = append(c.list, s)
}

func (c *changes) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.list...)
}

func (c *changes) has(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.list {
		if x == s {
			return true
		}
	}
	return false
}

// idle reports whether m has no call in flight.
func idle(m *Manager) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.inflight) == 0
}

var quiet = slog.New(slog.DiscardHandler)

var alice = Actor{Name: "alice", Origin: OriginAnalyst, Remote: "192.0.2.10"}
