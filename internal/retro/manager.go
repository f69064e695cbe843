package retro

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// RecordKind is the kind of the store records holding hunts.
const RecordKind = "hunt"

// Sentinel errors callers branch on.
var (
	// ErrBusy is returned by Start when Config.MaxJobs hunts are running.
	ErrBusy = errors.New("too many hunts running")
	// ErrUnknownJob is returned for a hunt ID the manager does not know.
	ErrUnknownJob = errors.New("no such hunt")
	// ErrNotRunning is returned by Stop for a hunt that has ended.
	ErrNotRunning = errors.New("hunt not running")
	// ErrClosed is returned by Start after Close.
	ErrClosed = errors.New("hunt manager closed")
)

// Store is what hunts need from the store: reading events in ID order,
// storing alerts, and keeping the hunts' status.
type Store interface {
	store.Scanner
	store.Appender
	store.Records
}

// Deps are the manager's collaborators.
type Deps struct {
	Store Store
	// OnAlerts, when set, is given each batch of a hunt's alerts once they
	// are stored (their IDs set), on the hunt's goroutine: incidents,
	// response policies and notifications take them from there, as they
	// take live alerts. Hunts run concurrently with each other and with
	// live detection, so OnAlerts must be safe for concurrent use; it
	// must not keep the hunt waiting long, and it may call the Manager's
	// methods (Stop included).
	OnAlerts func(ctx context.Context, alerts []*event.Event)
	Logger   *slog.Logger     // default slog.Default()
	Now      func() time.Time // default time.Now
}

// Config tunes the manager; the zero value works. YAML:
//
//	max_jobs: 2       # hunts running at once
//	batch: 2000       # events read at once
//	save_every: 5s    # how often a running hunt's status is stored
type Config struct {
	MaxJobs   int           `yaml:"max_jobs"`
	Batch     int           `yaml:"batch"`
	SaveEvery time.Duration `yaml:"save_every"`
}

// Defaults of Config.
const (
	DefaultMaxJobs   = 2
	DefaultBatch     = 2000
	DefaultSaveEvery = 5 * time.Second
)

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.MaxJobs < 0:
		return fmt.Errorf("hunts: max_jobs %d is negative", c.MaxJobs)
	case c.Batch < 0 || c.Batch > store.MaxLimit:
		return fmt.Errorf("hunts: batch %d is outside 0 (default) to %d", c.Batch, store.MaxLimit)
	case c.SaveEvery < 0:
		return fmt.Errorf("hunts: save_every %s is negative", c.SaveEvery)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxJobs <= 0 {
		c.MaxJobs = DefaultMaxJobs
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	c.Batch = min(c.Batch, store.MaxLimit)
	if c.SaveEvery <= 0 {
		c.SaveEvery = DefaultSaveEvery
	}
	return c
}

// Manager starts, tracks and stops hunts. Its methods are safe for
// concurrent use.
type Manager struct {
	deps Deps
	cfg  Config

	// mu guards every field below and the jobs' statuses.
	mu      sync.Mutex
	jobs    map[string]*run
	nextID  int64
	loaded  bool
	closed  bool
	running int
	wg      sync.WaitGroup
}

// run is one hunt the manager knows: running in this process, or past.
type run struct {
	job    Job
	cancel context.CancelFunc // nil for past hunts
	done   chan struct{}      // closed when the hunt ends
	// stopReason is set by Close; empty for Stop.
	stopReason string
}

// New returns a manager. It reads nothing until Load or Start.
func New(deps Deps, cfg Config) *Manager {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Manager{deps: deps, cfg: cfg.withDefaults(), jobs: map[string]*run{}, nextID: 1}
}

// Load reads the hunts kept in the store, so that List shows past hunts,
// and marks those that were running when the process ended as failed
// ("interrupted by restart"). Start calls it when it was not called;
// calling it again does nothing.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(ctx)
}

func (m *Manager) loadLocked(ctx context.Context) error {
	if m.loaded {
		return nil
	}
	recs, err := m.deps.Store.ListRecords(ctx, RecordKind)
	if err != nil {
		return fmt.Errorf("loading hunts: %w", err)
	}
	for _, rec := range recs {
		j, err := decodeJob(rec)
		if err != nil {
			m.deps.Logger.Warn("hunt record ignored", "id", rec.ID, "err", err)
			continue
		}
		if n, err := strconv.ParseInt(j.ID, 10, 64); err == nil && n >= m.nextID {
			m.nextID = n + 1
		}
		if _, ok := m.jobs[j.ID]; ok {
			continue
		}
		if j.State == Running {
			j.State, j.Error = Failed, "interrupted by restart"
			j.Ended = rec.Updated
			if err := m.put(ctx, j); err != nil {
				return err
			}
		}
		done := make(chan struct{})
		close(done)
		m.jobs[j.ID] = &run{job: *j, done: done}
	}
	m.loaded = true
	return nil
}

// decodeJob reads a hunt record.
func decodeJob(rec store.Record) (*Job, error) {
	var j Job
	if err := json.Unmarshal(rec.Body, &j); err != nil {
		return nil, fmt.Errorf("hunt record %q: %w", rec.ID, err)
	}
	if j.ID != rec.ID {
		return nil, fmt.Errorf("hunt record %q holds hunt %q", rec.ID, j.ID)
	}
	switch j.State {
	case Running, Done, Stopped, Failed:
	default:
		return nil, fmt.Errorf("hunt record %q: unknown state %q", rec.ID, j.State)
	}
	return &j, nil
}

// put stores j's status.
func (m *Manager) put(ctx context.Context, j *Job) error {
	body, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("saving hunt %s: %w", j.ID, err)
	}
	if err := m.deps.Store.PutRecord(ctx, store.Record{Kind: RecordKind, ID: j.ID, Body: body, Updated: m.deps.Now()}); err != nil {
		return fmt.Errorf("saving hunt %s: %w", j.ID, err)
	}
	return nil
}

// Start validates spec, stores the new hunt's status and runs it in the
// background. The hunt does not end with ctx: Stop or Close end it.
func (m *Manager) Start(ctx context.Context, spec Spec) (*Job, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	id, err := m.reserve(ctx)
	if err != nil {
		return nil, err
	}
	h, err := newHunt(ctx, m, spec, id)
	if err == nil {
		err = m.put(ctx, &h.job)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.running--
		m.wg.Done()
		return nil, err
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &run{job: h.job, cancel: cancel, done: make(chan struct{})}
	if m.closed { // Close came while the hunt was being prepared
		r.stopReason = "stopped at shutdown"
		cancel()
	}
	h.run = r
	m.jobs[id] = r
	go m.execute(hctx, h)
	return r.job.clone(), nil
}

// reserve takes a place among the running hunts and a hunt ID.
func (m *Manager) reserve(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return "", ErrClosed
	case m.running >= m.cfg.MaxJobs:
		return "", fmt.Errorf("%w (%d); stop one or wait", ErrBusy, m.running)
	}
	if err := m.loadLocked(ctx); err != nil {
		return "", err
	}
	id := strconv.FormatInt(m.nextID, 10)
	m.nextID++
	m.running++
	m.wg.Add(1) // Close waits for the hunt from here on
	return id, nil
}

// execute runs h to its end and records how it ended.
func (m *Manager) execute(ctx context.Context, h *hunt) {
	defer m.wg.Done()
	defer close(h.run.done)
	defer h.run.cancel()
	err := h.scan(ctx)
	m.mu.Lock()
	j := &h.run.job
	j.Ended = m.deps.Now()
	switch {
	case err == nil:
		j.State = Done
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		j.State, j.Error = Stopped, h.run.stopReason
	default:
		j.State, j.Error = Failed, err.Error()
	}
	m.running--
	final := j.clone()
	m.mu.Unlock()
	m.deps.Logger.Info("hunt ended", "id", final.ID, "name", final.Name, "state", final.State,
		"scanned", final.Scanned, "alerts", final.Alerts, "err", final.Error)
	if err := m.put(context.WithoutCancel(ctx), final); err != nil {
		m.deps.Logger.Error("hunt status not saved", "id", final.ID, "err", err)
	}
}

// Get returns the status of hunt id, or ErrUnknownJob.
func (m *Manager) Get(id string) (*Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.jobs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownJob, id)
	}
	return r.job.clone(), nil
}

// List returns the status of every hunt known, newest first.
func (m *Manager) List() []*Job {
	m.mu.Lock()
	out := make([]*Job, 0, len(m.jobs))
	for _, r := range m.jobs {
		out = append(out, r.job.clone())
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b *Job) int {
		return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(len(b.ID), len(a.ID)), cmp.Compare(b.ID, a.ID))
	})
	return out
}

// Stop asks hunt id to stop before its next batch and returns at once;
// Wait waits for it. The hunt keeps the alerts of the batches it read
// and ends in state stopped. Stopping a hunt that ended is ErrNotRunning.
func (m *Manager) Stop(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.jobs[id]
	switch {
	case !ok:
		return fmt.Errorf("%w: %q", ErrUnknownJob, id)
	case r.job.State != Running || r.cancel == nil:
		return fmt.Errorf("%w: hunt %s is %s", ErrNotRunning, id, r.job.State)
	}
	r.cancel()
	return nil
}

// Wait waits until hunt id has ended, or ctx ends, and returns its
// status.
func (m *Manager) Wait(ctx context.Context, id string) (*Job, error) {
	m.mu.Lock()
	r, ok := m.jobs[id]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownJob, id)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return m.Get(id)
}

// Close stops every running hunt, waits for them to store their alerts
// and status, and refuses new hunts.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	for _, r := range m.jobs {
		if r.job.State == Running && r.cancel != nil {
			r.stopReason = "stopped at shutdown"
			r.cancel()
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}
