package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// ErrQueueFull is returned by TrySubmit when the queue has no room.
var ErrQueueFull = errors.New("ingest queue full")

// ErrUnavailable wraps the store error returned to Submit callers whose
// events could not be committed.
var ErrUnavailable = errors.New("event store unavailable")

// ErrClosed is returned for submissions after Close.
var ErrClosed = errors.New("ingest pipeline closed")

// Appender is what the pipeline needs from the store. Append must be
// durable when it returns nil.
type Appender interface {
	Append(ctx context.Context, batch []*event.Event) error
}

// Config tunes a Pipeline. The zero value works.
type Config struct {
	// QueueEvents bounds the events accepted but not yet committed.
	// Default 200,000.
	QueueEvents int
	// BatchEvents is the most events committed in one store transaction.
	// Default 5,000.
	BatchEvents int
	// RetryBackoff is the first wait after a store error; it doubles up to
	// 5 s. Default 100 ms.
	RetryBackoff time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Logger receives store errors; default slog.Default().
	Logger *slog.Logger
	// OnCommit, when set, is called after each successful commit, from
	// the committing goroutine: it must not block (live detection uses
	// it to wake up).
	OnCommit func()
}

func (c *Config) setDefaults() {
	if c.QueueEvents <= 0 {
		c.QueueEvents = 200_000
	}
	if c.BatchEvents <= 0 {
		c.BatchEvents = 5_000
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 100 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// request is one submission. done is nil for Enqueue, which nobody waits on.
type request struct {
	events []*event.Event
	done   chan error
}

// Pipeline queues events and commits them to an Appender. All methods are
// safe for concurrent use. Run must be running for submissions to complete.
type Pipeline struct {
	cfg      Config
	store    Appender
	limit    *limiter
	queue    chan *request
	Counters *Counters

	// mu guards closed; submitters hold it for reading while they queue.
	mu      sync.RWMutex
	closed  bool
	closing chan struct{} // closed by Close
	stopped chan struct{} // closed when Run returns

	// healthMu guards lastErr and failures.
	healthMu sync.Mutex
	lastErr  error // last store error, nil when healthy
	failures int   // consecutive failed commits
}

// New returns a pipeline writing to store.
func New(store Appender, cfg Config) *Pipeline {
	cfg.setDefaults()
	p := &Pipeline{
		cfg:      cfg,
		store:    store,
		limit:    newLimiter(cfg.QueueEvents),
		queue:    make(chan *request, cfg.QueueEvents),
		Counters: NewCounters(cfg.Now),
		closing:  make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	p.Counters.queue = p.QueueLength
	return p
}

// Submit queues events, waiting for room, and returns after they are
// committed. It returns ErrUnavailable (wrapped) when the store failed, or
// ctx.Err() when ctx ended first — in that case the events may still be
// committed later.
func (p *Pipeline) Submit(ctx context.Context, events []*event.Event) error {
	return p.submit(ctx, events, true, true)
}

// TrySubmit is Submit without waiting for room: it returns ErrQueueFull at
// once when the queue cannot take the events, and ErrUnavailable when the
// store is known to be failing.
func (p *Pipeline) TrySubmit(ctx context.Context, events []*event.Event) error {
	if err := p.Health(); err != nil {
		return err
	}
	return p.submit(ctx, events, false, true)
}

// Enqueue queues events, waiting for room, and returns once they are queued
// without waiting for the commit. For transports that cannot acknowledge.
func (p *Pipeline) Enqueue(ctx context.Context, events []*event.Event) error {
	return p.submit(ctx, events, true, false)
}

// Reject counts a record a transport refused before it became an event.
func (p *Pipeline) Reject(src event.SourceID, reason string) {
	p.Counters.reject(src, reason)
}

// Health returns nil when the last commit succeeded, or the store error.
func (p *Pipeline) Health() error {
	p.healthMu.Lock()
	defer p.healthMu.Unlock()
	return p.lastErr
}

func (p *Pipeline) setHealth(err error) {
	p.healthMu.Lock()
	p.lastErr = err
	if err == nil {
		p.failures = 0
	}
	p.healthMu.Unlock()
}

func (p *Pipeline) submit(ctx context.Context, events []*event.Event, wait, ack bool) error {
	if len(events) == 0 {
		return nil
	}
	now := p.cfg.Now()
	for _, e := range events {
		if e.Received.IsZero() {
			e.Received = now
		}
		if e.Time.IsZero() {
			e.Time = e.Received
		}
	}
	n := min(len(events), p.cfg.QueueEvents)
	if wait {
		if err := p.limit.acquire(ctx, n, p.closing); err != nil {
			return err
		}
	} else if !p.limit.tryAcquire(n) {
		return ErrQueueFull
	}
	r := &request{events: events}
	if ack {
		r.done = make(chan error, 1)
	}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		p.limit.release(n)
		return ErrClosed
	}
	p.Counters.received(events)
	p.queue <- r // never blocks: capacity >= events the limiter admits
	p.mu.RUnlock()
	if !ack {
		return nil
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run commits queued events until Close is called and the queue is empty.
// It returns nil after a Close, or ctx.Err() if ctx ends first (queued
// events are then not committed; use Close for a graceful stop).
func (p *Pipeline) Run(ctx context.Context) error {
	defer close(p.stopped)
	var pending []*request
	for {
		if len(pending) == 0 {
			select {
			case r := <-p.queue:
				pending = append(pending, r)
			case <-p.closing:
				select {
				case r := <-p.queue:
					pending = append(pending, r)
				default:
					return nil
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		pending = p.fill(pending)
		pending = p.commit(ctx, pending)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// fill adds queued requests to pending without waiting, up to BatchEvents.
func (p *Pipeline) fill(pending []*request) []*request {
	n := 0
	for _, r := range pending {
		n += len(r.events)
	}
	for n < p.cfg.BatchEvents {
		select {
		case r := <-p.queue:
			pending = append(pending, r)
			n += len(r.events)
		default:
			return pending
		}
	}
	return pending
}

// commit appends the pending requests in one batch. On success it answers
// them all and returns pending[:0]. On failure it answers the waiting
// requests with the error, and returns the unacknowledged ones for a retry
// after a backoff.
func (p *Pipeline) commit(ctx context.Context, pending []*request) []*request {
	var batch []*event.Event
	for _, r := range pending {
		batch = append(batch, r.events...)
	}
	err := p.store.Append(ctx, batch)
	if err == nil {
		p.setHealth(nil)
		p.Counters.stored(batch)
		if p.cfg.OnCommit != nil {
			p.cfg.OnCommit()
		}
		for _, r := range pending {
			p.limit.release(min(len(r.events), p.cfg.QueueEvents))
			if r.done != nil {
				r.done <- nil
			}
		}
		return pending[:0]
	}
	err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	p.setHealth(err)
	p.cfg.Logger.Error("committing events", "events", len(batch), "err", err)
	keep := pending[:0]
	for _, r := range pending {
		if r.done != nil {
			p.limit.release(min(len(r.events), p.cfg.QueueEvents))
			r.done <- err
			continue
		}
		keep = append(keep, r)
	}
	if len(keep) > 0 {
		p.backoff(ctx)
	}
	return keep
}

func (p *Pipeline) backoff(ctx context.Context) {
	d := p.cfg.RetryBackoff
	p.healthMu.Lock()
	p.failures++
	for i := 1; i < p.failures && d < 5*time.Second; i++ {
		d *= 2
	}
	p.healthMu.Unlock()
	t := time.NewTimer(min(d, 5*time.Second))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Close stops accepting submissions, waits for Run to commit what is queued
// and return, or for ctx to end.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.closing)
	}
	p.mu.Unlock()
	select {
	case <-p.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing ingest pipeline: %d events not committed: %w", p.limit.inUse(), ctx.Err())
	}
}

// QueueLength returns the events accepted and not yet committed, and the
// capacity.
func (p *Pipeline) QueueLength() (used, capacity int) {
	return p.limit.inUse(), p.cfg.QueueEvents
}
