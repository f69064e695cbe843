package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// LiveStore is what live detection needs from the store: it reads events
// in the order they were stored and appends alerts.
type LiveStore interface {
	store.Scanner
	store.Appender
}

// LiveConfig configures live detection.
type LiveConfig struct {
	Store LiveStore
	// Behaviour, when set, are the behaviour detectors run beside the
	// rules; they keep their state across rule reloads.
	Behaviour *behave.Set
	// StatePath is the file holding the position reached in the store and
	// the correlation state, so that detection resumes after a restart.
	StatePath string
	// Batch is the most events read at once; default 2,000.
	Batch int
	// Poll is how often the store is checked when Wake is not called;
	// default 1 s.
	Poll time.Duration
	// SaveEvery is how often the state is written; default 5 s.
	SaveEvery time.Duration
	// IdleAfter is how long without new events before the open
	// correlation windows are closed as if event time had moved on by as
	// much; default 1 m. Set it to the correlation lateness.
	IdleAfter time.Duration
	// OnAlerts, when set, is given each batch of alerts once they are
	// stored (their IDs set), on the detection goroutine: incidents,
	// response policies and notifications take them from there. It
	// must not keep detection waiting long. After a crash, alerts of
	// events matched again are given again.
	OnAlerts func(ctx context.Context, alerts []*event.Event)
	Logger   *slog.Logger
	Now      func() time.Time
}

// Live runs the rule set over every event the store commits, in commit
// order, and appends the alerts to the store.
//
// Delivery is at least once: the position reached is saved every
// SaveEvery and at shutdown; after a crash the events since the last save
// are matched again, which may repeat their alerts but never skips an
// event.
type Live struct {
	cfg    LiveConfig
	wake   chan struct{}
	next   atomic.Pointer[RuleSet] // set by Reload, taken by Run
	engine *Engine
	cursor event.ID
	// watermark is the newest event time seen; lastEvent when (by the
	// clock) an event last came, and idle whether windows were closed
	// since.
	watermark time.Time
	lastEvent time.Time
	idle      bool

	// pending are alerts of processed events not yet stored; the state
	// is not saved while there are some.
	pending   []*event.Event
	lastSaved time.Time

	metrics liveMetrics
}

type liveMetrics struct {
	processed prometheus.Counter
	alerts    *prometheus.CounterVec
	cursor    prometheus.Gauge
}

// NewLive prepares live detection with rs, resuming from the state file
// when there is one.
func NewLive(rs *RuleSet, cfg LiveConfig) (*Live, error) {
	if cfg.Batch <= 0 {
		cfg.Batch = 2000
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.SaveEvery <= 0 {
		cfg.SaveEvery = 5 * time.Second
	}
	if cfg.IdleAfter <= 0 {
		cfg.IdleAfter = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Live{cfg: cfg, wake: make(chan struct{}, 1), engine: rs.NewEngine(),
		metrics: liveMetrics{
			processed: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_detect_events_total", Help: "Stored events run through live detection."}),
			alerts:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigie_detect_alerts_total", Help: "Alerts raised by live detection, by level."}, []string{"level"}),
			cursor:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_detect_position", Help: "ID of the last stored event live detection has processed."}),
		}}
	if cfg.Behaviour != nil {
		l.engine.SetBehaviour(cfg.Behaviour)
	}
	if err := l.load(); err != nil {
		return nil, err
	}
	return l, nil
}

// state is the file format of LiveConfig.StatePath.
type state struct {
	Version   int       `json:"version"`
	Cursor    event.ID  `json:"cursor"`
	Watermark time.Time `json:"watermark"`
	// Engine is the correlation and behaviour state (Engine.Snapshot).
	Engine json.RawMessage `json:"engine,omitempty"`
}

func (l *Live) load() error {
	b, err := os.ReadFile(l.cfg.StatePath)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading detection state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("reading detection state %s: %w (delete it to restart detection from the first stored event)", l.cfg.StatePath, err)
	}
	l.cursor, l.watermark = st.Cursor, st.Watermark
	if len(st.Engine) > 0 {
		if err := l.engine.Restore(bytes.NewReader(st.Engine)); err != nil {
			l.cfg.Logger.Warn("detection state not restored; correlations and baselines start afresh", "err", err)
		}
	}
	return nil
}

func (l *Live) save() error {
	if len(l.pending) > 0 {
		return fmt.Errorf("%d alerts not stored yet; state not saved", len(l.pending))
	}
	var eng bytes.Buffer
	if err := l.engine.Snapshot(&eng); err != nil {
		return fmt.Errorf("saving detection state: %w", err)
	}
	st := state{Version: 2, Cursor: l.cursor, Watermark: l.watermark, Engine: eng.Bytes()}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := l.cfg.StatePath + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("saving detection state: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("saving detection state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("saving detection state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving detection state: %w", err)
	}
	if err := os.Rename(tmp, l.cfg.StatePath); err != nil {
		return fmt.Errorf("saving detection state: %w", err)
	}
	if d, err := os.Open(filepath.Dir(l.cfg.StatePath)); err == nil {
		d.Sync()
		d.Close()
	}
	l.lastSaved = l.cfg.Now()
	return nil
}

// Wake tells Run that events were committed. It never blocks.
func (l *Live) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Reload replaces the rule set; Run switches to it before its next batch,
// carrying the correlation state of the rules that remain.
func (l *Live) Reload(rs *RuleSet) {
	l.next.Store(rs)
	l.Wake()
}

// Run processes events until ctx ends, then saves its state.
func (l *Live) Run(ctx context.Context) error {
	defer func() {
		if err := l.save(); err != nil {
			l.cfg.Logger.Error("detection state", "err", err)
		}
	}()
	t := time.NewTicker(l.cfg.Poll)
	defer t.Stop()
	for {
		if rs := l.next.Swap(nil); rs != nil {
			l.swap(rs)
		}
		n, err := l.step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.cfg.Logger.Error("live detection", "err", err)
		}
		if l.cfg.Now().Sub(l.lastSaved) >= l.cfg.SaveEvery {
			if err := l.save(); err != nil {
				l.cfg.Logger.Error("detection state", "err", err)
			}
		}
		if n == l.cfg.Batch && err == nil {
			continue // more is waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-l.wake:
		case <-t.C:
		}
	}
}

func (l *Live) swap(rs *RuleSet) {
	var snap bytes.Buffer
	err := l.engine.Snapshot(&snap)
	eng := rs.NewEngine()
	if l.cfg.Behaviour != nil {
		eng.SetBehaviour(l.cfg.Behaviour)
	}
	if err == nil && snap.Len() > 0 {
		err = eng.Restore(&snap)
	}
	if err != nil {
		l.cfg.Logger.Warn("correlation state not carried over to the new rules", "err", err)
	}
	l.engine = eng
	l.cfg.Logger.Info("rules reloaded", "summary", rs.Summary())
}

// step processes one batch of stored events and returns how many it read.
// The alerts of a batch are stored before the next batch is read, and the
// state is saved only when no alert is waiting.
func (l *Live) step(ctx context.Context) (int, error) {
	if err := l.storePending(ctx); err != nil {
		return 0, err
	}
	events, err := l.cfg.Store.Scan(ctx, l.cursor, l.cfg.Batch)
	if err != nil {
		return 0, err
	}
	now := l.cfg.Now()
	for _, ev := range events {
		if ev.Kind != event.KindEvent {
			continue
		}
		if ev.Time.After(l.watermark) {
			l.watermark = ev.Time
		}
		for _, a := range l.engine.Process(ev, strconv.FormatInt(int64(ev.ID), 10)) {
			l.pending = append(l.pending, a.ToEvent(now))
		}
	}
	// Correlation windows close in event time, as newer events come. When
	// none come for IdleAfter, event time is taken to have moved on by as
	// much, so that the last windows close too.
	var hits []Alert
	switch {
	case len(events) > 0:
		hits = l.engine.Advance(l.watermark)
		l.lastEvent, l.idle = now, false
	case !l.idle && now.Sub(l.lastEvent) >= l.cfg.IdleAfter:
		hits = l.engine.Advance(l.watermark.Add(l.cfg.IdleAfter))
		l.idle = true
	}
	for _, a := range hits {
		l.pending = append(l.pending, a.ToEvent(now))
	}
	if len(events) > 0 {
		l.cursor = events[len(events)-1].ID
		l.metrics.processed.Add(float64(len(events)))
		l.metrics.cursor.Set(float64(l.cursor))
	}
	return len(events), l.storePending(ctx)
}

func (l *Live) storePending(ctx context.Context) error {
	if len(l.pending) == 0 {
		return nil
	}
	if err := l.cfg.Store.Append(ctx, l.pending); err != nil {
		return fmt.Errorf("storing %d alerts: %w", len(l.pending), err)
	}
	for _, a := range l.pending {
		lv, _ := a.Get("rule.level")
		l.metrics.alerts.WithLabelValues(lv).Inc()
	}
	stored := l.pending
	l.pending = nil
	if l.cfg.OnAlerts != nil {
		l.cfg.OnAlerts(ctx, stored)
	}
	return nil
}

// Drain runs detection over every event stored so far, then closes the
// open correlation windows and behaviour detectors' state as a hunt does
// at the end of its files, stores the alerts, and saves the state. It is
// for one-shot runs and tests; Run is the live loop.
func (l *Live) Drain(ctx context.Context) error {
	for {
		n, err := l.step(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	now := l.cfg.Now()
	for _, a := range l.engine.Flush() {
		l.pending = append(l.pending, a.ToEvent(now))
	}
	if err := l.storePending(ctx); err != nil {
		return err
	}
	return l.save()
}

// Describe and Collect make Live a prometheus.Collector.
func (l *Live) Describe(ch chan<- *prometheus.Desc) {
	l.metrics.processed.Describe(ch)
	l.metrics.alerts.Describe(ch)
	l.metrics.cursor.Describe(ch)
}

// Collect implements prometheus.Collector.
func (l *Live) Collect(ch chan<- prometheus.Metric) {
	l.metrics.processed.Collect(ch)
	l.metrics.alerts.Collect(ch)
	l.metrics.cursor.Collect(ch)
}
