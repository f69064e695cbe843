package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// memStore records committed batches. Append blocks while gate is held and
// fails while failing is set.
type memStore struct {
	mu      sync.Mutex
	events  []*event.Event
	batches int
	failing error
	gate    chan struct{} // when non-nil, Append waits for a receive on it
}

func (m *memStore) Append(ctx context.Context, batch []*event.Event) error {
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return m.failing
	}
	m.events = append(m.events, batch...)
	m.batches++
	return nil
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

func events(src string, n int) []*event.Event {
	out := make([]*event.Event, n)
	for i := range out {
		out[i] = &event.Event{Source: event.SourceID(src), Raw: []byte("x")}
	}
	return out
}

func start(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		if err := p.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		cancel()
		<-done
	})
}

func TestSubmitReturnsAfterCommit(t *testing.T) {
	st := &memStore{}
	p := New(st, Config{})
	start(t, p)
	batch := events("a", 3)
	batch[1].Kind = event.KindPipelineError
	if err := p.Submit(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if got := st.count(); got != 3 {
		t.Fatalf("stored %d events after Submit, want 3", got)
	}
	if batch[0].Time.IsZero() || batch[0].Received.IsZero() {
		t.Errorf("Submit left Time or Received zero: %v", batch[0])
	}
	s := p.Counters.Sources()
	if len(s) != 1 || s[0].Received != 3 || s[0].Stored != 3 || s[0].Malformed != 1 {
		t.Fatalf("counters = %+v, want received 3, stored 3, malformed 1", s)
	}
}

func TestTrySubmitQueueFull(t *testing.T) {
	st := &memStore{gate: make(chan struct{})}
	p := New(st, Config{QueueEvents: 10})
	start(t, p)
	ctx := context.Background()
	if err := p.Enqueue(ctx, events("a", 10)); err != nil {
		t.Fatal(err)
	}
	if err := p.TrySubmit(ctx, events("a", 1)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("TrySubmit on a full queue = %v, want ErrQueueFull", err)
	}
	// A blocking Enqueue waits, and proceeds once the writer commits.
	done := make(chan error, 1)
	go func() { done <- p.Enqueue(ctx, events("a", 5)) }()
	select {
	case err := <-done:
		t.Fatalf("Enqueue on a full queue returned %v before room was made", err)
	case <-time.After(50 * time.Millisecond):
	}
	st.gate <- struct{}{} // let the first commit through
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(st.gate)
}

func TestStoreFailure(t *testing.T) {
	st := &memStore{failing: errors.New("disk full")}
	p := New(st, Config{RetryBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	start(t, p)
	ctx := context.Background()
	if err := p.Submit(ctx, events("http", 2)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Submit with a failing store = %v, want ErrUnavailable", err)
	}
	if err := p.TrySubmit(ctx, events("http", 1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("TrySubmit while unhealthy = %v, want ErrUnavailable", err)
	}
	// Enqueued events nobody waits for are retried until the store recovers.
	if err := p.Enqueue(ctx, events("syslog", 4)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	st.mu.Lock()
	st.failing = nil
	st.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for st.count() != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("stored %d events after recovery, want the 4 enqueued", st.count())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.Health(); err != nil {
		t.Fatalf("Health after recovery = %v, want nil", err)
	}
	if err := p.Submit(ctx, events("http", 1)); err != nil {
		t.Fatalf("Submit after recovery: %v", err)
	}
}

func TestCloseDrains(t *testing.T) {
	st := &memStore{}
	p := New(st, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 5 {
		if err := p.Enqueue(ctx, events("a", 100)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	defer ccancel()
	if err := p.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after Close = %v, want nil", err)
	}
	if got := st.count(); got != 500 {
		t.Fatalf("stored %d after Close, want 500", got)
	}
	if err := p.Enqueue(ctx, events("a", 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close = %v, want ErrClosed", err)
	}
}

func TestBatching(t *testing.T) {
	st := &memStore{}
	p := New(st, Config{BatchEvents: 1000})
	for range 50 {
		if err := p.Enqueue(context.Background(), events("a", 100)); err != nil {
			t.Fatal(err)
		}
	}
	start(t, p)
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if st.count() != 5000 || st.batches != 5 {
		t.Fatalf("got %d events in %d batches, want 5000 in 5", st.count(), st.batches)
	}
}

func TestSourceLimit(t *testing.T) {
	c := NewCounters(nil)
	for i := range maxSources + 10 {
		c.reject(event.SourceID(rune('a'+i%26))+event.SourceID(string(rune(i))), "too_large")
	}
	s := c.Sources()
	if len(s) != maxSources+1 {
		t.Fatalf("%d sources tracked, want %d plus %q", len(s), maxSources, OtherSources)
	}
}

func TestOnCommitAfterEachCommit(t *testing.T) {
	st := &memStore{}
	var mu sync.Mutex
	var seen []int // events stored when OnCommit ran
	p := New(st, Config{OnCommit: func() {
		mu.Lock()
		seen = append(seen, st.count())
		mu.Unlock()
	}})
	start(t, p)
	for range 2 {
		if err := p.Submit(context.Background(), events("a", 2)); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != 2 || seen[1] != 4 {
		t.Errorf("OnCommit saw %v stored events, want [2 4]: once per commit, after it", seen)
	}
}
