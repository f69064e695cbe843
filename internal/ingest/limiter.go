package ingest

import (
	"context"
	"sync"
)

// limiter is a counting semaphore over events.
type limiter struct {
	// mu guards used and freed.
	mu    sync.Mutex
	used  int
	max   int
	freed chan struct{} // closed and replaced whenever capacity is released
}

func newLimiter(max int) *limiter {
	return &limiter{max: max, freed: make(chan struct{})}
}

func (l *limiter) tryAcquire(n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used+n > l.max {
		return false
	}
	l.used += n
	return true
}

// acquire waits for room for n, until ctx ends or stop is closed.
func (l *limiter) acquire(ctx context.Context, n int, stop <-chan struct{}) error {
	for {
		l.mu.Lock()
		if l.used+n <= l.max {
			l.used += n
			l.mu.Unlock()
			return nil
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-freed:
		case <-stop:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *limiter) release(n int) {
	l.mu.Lock()
	l.used -= n
	close(l.freed)
	l.freed = make(chan struct{})
	l.mu.Unlock()
}

func (l *limiter) inUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used
}
