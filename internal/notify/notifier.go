package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
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

// Notifier routes, groups, rate-limits and delivers messages. Notify,
// Reload, Test, Stats and Collect may be called concurrently, before,
// during and after Run.
type Notifier struct {
	cfg  Config // the settings of New; Reload changes only targets and routes
	deps Deps
	log  *slog.Logger
	now  func() time.Time
	// routing is what Notify reads: the routes and targets in force.
	routing atomic.Pointer[routing]

	// mu guards runCtx and stopped, serialises Reload, and orders the
	// start and stop of targets' goroutines with Run.
	mu      sync.Mutex
	runCtx  context.Context // set while Run runs
	stopped bool            // Run has returned
	running atomic.Bool
	// workers counts the goroutines of every target, those removed by
	// Reload included, so that Run waits for them all.
	workers sync.WaitGroup
}

// routing is one generation of routes and targets; it is never modified
// once published.
type routing struct {
	routes  []Route
	targets []*target // sorted by name
}

// target is one configured destination and its queue. Its counters are
// written by its goroutines and by Notify, and read by Stats and Collect.
type target struct {
	name    string
	cfg     TargetConfig // as configured, defaults not filled in
	typ     string
	timeout time.Duration
	send    sender
	queue   chan Message // written by Notify, read by the target's collector

	// stop ends the target's goroutines; done is closed when both have
	// returned. Both are set by start, under Notifier.mu.
	stop context.CancelFunc
	done chan struct{}

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
	n := &Notifier{cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now}
	r, err := n.build(cfg, nil)
	if err != nil {
		return nil, err
	}
	n.routing.Store(r)
	return n, nil
}

// build makes the routing of cfg, reusing the targets of old whose
// configuration is unchanged (their queues, counters and goroutines
// carry on).
func (n *Notifier) build(cfg Config, old *routing) (*routing, error) {
	r := &routing{routes: cfg.Routes}
	for _, name := range sortedKeys(cfg.Targets) {
		tc := cfg.Targets[name]
		if old != nil {
			if t := old.find(name); t != nil && reflect.DeepEqual(t.cfg, tc) {
				r.targets = append(r.targets, t)
				continue
			}
		}
		t, err := n.newTarget(name, tc)
		if err != nil {
			return nil, err
		}
		r.targets = append(r.targets, t)
	}
	return r, nil
}

func (n *Notifier) newTarget(name string, tc TargetConfig) (*target, error) {
	built := tc
	if built.Timeout == 0 {
		built.Timeout = DefaultTimeout
	}
	s, err := newSender(name, built, n.deps)
	if err != nil {
		return nil, err
	}
	return &target{name: name, cfg: tc, typ: tc.Type, timeout: built.Timeout, send: s,
		queue: make(chan Message, n.cfg.QueueSize)}, nil
}

func (r *routing) find(name string) *target {
	for _, t := range r.targets {
		if t.name == name {
			return t
		}
	}
	return nil
}

// Reload replaces the targets and routes with those of cfg, validated as
// New validates them, without a restart; cfg's other settings (group
// wait, rate, queue size, retries) are ignored: those of New stay. A
// target whose configuration is unchanged keeps its queue, counters and
// pending groups. A removed or changed target stops: what it still had
// queued or grouped is not delivered, and its connection is closed once
// its goroutines have returned. On error nothing changes.
func (n *Notifier) Reload(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.routing.Load()
	r, err := n.build(cfg, old)
	if err != nil {
		return err
	}
	n.routing.Store(r)
	for _, t := range old.targets {
		if r.find(t.name) != t {
			n.retireLocked(t)
		}
	}
	if n.runCtx != nil {
		for _, t := range r.targets {
			if t.stop == nil {
				n.startLocked(t)
			}
		}
	}
	return nil
}

// startLocked starts t's collector and sender under Run's context.
func (n *Notifier) startLocked(t *target) {
	ctx, cancel := context.WithCancel(n.runCtx)
	t.stop, t.done = cancel, make(chan struct{})
	out := make(chan *Notification) // owned by the collector, which never closes it
	c := newCollector(n.cfg.GroupWait, n.cfg.Rate, t)
	var both sync.WaitGroup
	both.Go(func() { c.run(ctx, out) })
	both.Go(func() { n.deliver(ctx, t, out) })
	n.workers.Go(func() {
		both.Wait()
		close(t.done)
	})
}

// retireLocked stops a target Reload removed and closes its connection
// once its goroutines have returned.
func (n *Notifier) retireLocked(t *target) {
	if n.stopped && t.stop != nil {
		return // Run closed it
	}
	if t.stop == nil {
		n.closeTarget(t)
		return
	}
	t.stop()
	n.workers.Go(func() {
		<-t.done
		n.closeTarget(t)
	})
}

func (n *Notifier) closeTarget(t *target) {
	if err := t.send.Close(); err != nil {
		n.log.Warn("notify: closing target", "target", t.name, "err", err)
	}
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
	r := n.routing.Load()
	for _, t := range r.targets {
		if !r.routed(t.name, m) {
			continue
		}
		select {
		case t.queue <- m:
		default:
			t.dropped.Add(1)
		}
	}
}

// routed reports whether some route sends m to the named target; with
// no routes, every target receives everything.
func (r *routing) routed(name string, m Message) bool {
	if len(r.routes) == 0 {
		return true
	}
	for _, r := range r.routes {
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
// delivered. Targets that Reload adds while Run runs start at once. Run
// may be called once.
func (n *Notifier) Run(ctx context.Context) error {
	if n.running.Swap(true) {
		return errors.New("notify: Run called twice")
	}
	n.mu.Lock()
	n.runCtx = ctx
	for _, t := range n.routing.Load().targets {
		n.startLocked(t)
	}
	n.mu.Unlock()
	<-ctx.Done()
	n.mu.Lock()
	n.runCtx, n.stopped = nil, true
	final := n.routing.Load()
	n.mu.Unlock()
	n.workers.Wait()
	for _, t := range final.targets {
		n.closeTarget(t)
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
	t := n.routing.Load().find(name)
	if t == nil {
		return Stats{}, false
	}
	return Stats{Sent: t.sent.Load(), Failed: t.failed.Load(), Dropped: t.dropped.Load(),
		Grouped: t.grouped.Load(), Folded: t.folded.Load()}, true
}

// KindTest is the kind of the notification Test sends.
const KindTest = "test"

// ErrUnknownTarget is returned by Test for a target that is not
// configured.
var ErrUnknownTarget = errors.New("no such notification target")

// Test sends one test notification to the named target at once, with
// its own connection, bypassing grouping, the rate limit and retries,
// and returns the delivery's error. It waits at most the target's
// timeout. who is named in the notification's text.
func (n *Notifier) Test(ctx context.Context, name, who string) error {
	t := n.routing.Load().find(name)
	if t == nil {
		return fmt.Errorf("%w: %q", ErrUnknownTarget, name)
	}
	tc := t.cfg
	if tc.Timeout == 0 {
		tc.Timeout = DefaultTimeout
	}
	s, err := newSender(name, tc, n.deps)
	if err != nil {
		return err
	}
	defer s.Close()
	now := n.now()
	title := "Vigie test notification"
	text := fmt.Sprintf("A test of the notification target %q, sent by %s.", name, who)
	nt := &Notification{Key: "test/" + name, Kind: KindTest, Level: "informational", Title: title,
		Fields: map[string]string{}, First: now, Last: now, Changes: 1,
		Listed: []Change{{Time: now, Kind: KindTest, Level: "informational", Title: title, Text: text}}}
	ctx, cancel := context.WithTimeout(ctx, tc.Timeout)
	defer cancel()
	if err := s.Send(ctx, nt); err != nil {
		return fmt.Errorf("notify: testing %s: %w", name, err)
	}
	return nil
}
