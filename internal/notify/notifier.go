package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
)

// Deps are what a Notifier needs from its surroundings.
type Deps struct {
	Logger *slog.Logger     // nil: slog.Default()
	Now    func() time.Time // message and header times; nil: time.Now
	// HTTPClient, when set, posts to every webhook target as it is: the
	// SSRF guard and the per-target timeout are then the caller's. When
	// nil, each webhook target gets its own guarded client.
	HTTPClient *http.Client
	Version    string // Vigie's version, for CEF headers and User-Agent; "dev" when empty
}

// sender delivers one notification to one target. Send is called by one
// goroutine at a time and must return when ctx ends.
type sender interface {
	Send(ctx context.Context, n *Notification) error
	Close() error
}

// Notifier routes, groups, rate-limits and delivers messages. Notify may
// be called concurrently, before, during and after Run.
type Notifier struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	routes  []Route
	targets []*target // sorted by name
	running atomic.Bool
}

// target is one configured destination and its queue. Its counters are
// written by its goroutines and by Notify, and read by Stats and Collect.
type target struct {
	name    string
	typ     string
	timeout time.Duration
	send    sender
	queue   chan Message // written by Notify, read by the target's collector

	sent, failed, dropped, grouped, folded atomic.Int64
}

// Stats counts what happened to one target's messages.
type Stats struct {
	Sent    int64 // notifications delivered
	Failed  int64 // notifications given up after the last retry
	Dropped int64 // messages dropped because the target's queue was full
	Grouped int64 // messages merged into a notification of an earlier one
	Folded  int64 // notifications the rate limit held back and folded into another
}

// New validates cfg and builds a Notifier; it opens no connection.
func New(cfg Config, deps Deps) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Version == "" {
		deps.Version = "dev"
	}
	n := &Notifier{cfg: cfg, log: deps.Logger, now: deps.Now, routes: cfg.Routes}
	for _, name := range sortedKeys(cfg.Targets) {
		tc := cfg.Targets[name]
		if tc.Timeout == 0 {
			tc.Timeout = DefaultTimeout
		}
		s, err := newSender(name, tc, deps)
		if err != nil {
			return nil, err
		}
		n.targets = append(n.targets, &target{name: name, typ: tc.Type, timeout: tc.Timeout, send: s,
			queue: make(chan Message, cfg.QueueSize)})
	}
	return n, nil
}

func newSender(name string, tc TargetConfig, deps Deps) (sender, error) {
	key := "notify.targets." + name
	switch tc.Type {
	case TypeWebhook:
		return newWebhook(key, tc, deps), nil
	case TypeEmail:
		return newEmail(key, tc, deps)
	case TypeSyslog:
		return newSyslog(tc, deps)
	}
	return nil, fmt.Errorf("BUG: %s.type %q passed validation", key, tc.Type)
}

// Notify routes m and queues it for each chosen target, without blocking:
// a target whose queue is full drops it and counts the drop.
func (n *Notifier) Notify(m Message) {
	m = normalize(m, n.now())
	for i, t := range n.targets {
		if !n.routed(i, m) {
			continue
		}
		select {
		case t.queue <- m:
		default:
			t.dropped.Add(1)
		}
	}
}

// routed reports whether some route sends m to the i-th target; with no
// routes, every target receives everything.
func (n *Notifier) routed(i int, m Message) bool {
	if len(n.routes) == 0 {
		return true
	}
	name := n.targets[i].name
	for _, r := range n.routes {
		if r.matches(m) && contains(r.Targets, name) {
			return true
		}
	}
	return false
}

func (r *Route) matches(m Message) bool {
	return detect.LevelAtLeast(m.Level, r.MinLevel) &&
		(len(r.Kinds) == 0 || contains(r.Kinds, m.Kind)) &&
		(len(r.Rules) == 0 || contains(r.Rules, m.Rule))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Run delivers until ctx ends, then closes the targets' connections and
// returns nil. What is still grouped or queued when ctx ends is not
// delivered. Run may be called once.
func (n *Notifier) Run(ctx context.Context) error {
	if n.running.Swap(true) {
		return errors.New("notify: Run called twice")
	}
	var wg sync.WaitGroup
	for _, t := range n.targets {
		out := make(chan *Notification) // owned by the collector, which never closes it
		c := newCollector(n.cfg.GroupWait, n.cfg.Rate, t)
		wg.Go(func() { c.run(ctx, out) })
		wg.Go(func() { n.deliver(ctx, t, out) })
	}
	wg.Wait()
	for _, t := range n.targets {
		if err := t.send.Close(); err != nil {
			n.log.Warn("notify: closing target", "target", t.name, "err", err)
		}
	}
	return nil
}

// deliver sends each notification from out, retrying with a doubling
// backoff, until ctx ends.
func (n *Notifier) deliver(ctx context.Context, t *target, out <-chan *Notification) {
	for {
		select {
		case <-ctx.Done():
			return
		case nt := <-out:
			n.deliverOne(ctx, t, nt)
		}
	}
}

func (n *Notifier) deliverOne(ctx context.Context, t *target, nt *Notification) {
	backoff := n.cfg.RetryBackoff
	var err error
	attempts := 0
	for attempts <= n.cfg.Retries {
		if attempts > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		attempts++
		actx, cancel := context.WithTimeout(ctx, t.timeout)
		err = t.send.Send(actx, nt)
		cancel()
		if err == nil {
			t.sent.Add(1)
			return
		}
		if ctx.Err() != nil {
			return
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			break
		}
	}
	t.failed.Add(1)
	n.log.Warn("notify: delivery failed", "target", t.name, "type", t.typ, "key", nt.Key,
		"changes", nt.Changes, "attempts", attempts, "err", err)
}

// permanentError is a failure that retrying cannot fix (a refused
// destination, a rejected request).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Stats returns the counters of the named target, and false when there is
// no such target.
func (n *Notifier) Stats(name string) (Stats, bool) {
	for _, t := range n.targets {
		if t.name == name {
			return Stats{Sent: t.sent.Load(), Failed: t.failed.Load(), Dropped: t.dropped.Load(),
				Grouped: t.grouped.Load(), Folded: t.folded.Load()}, true
		}
	}
	return Stats{}, false
}
