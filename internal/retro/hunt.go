package retro

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// Fields added to every alert a hunt raises.
const (
	FieldHuntID   = "vigie.hunt.id"
	FieldHuntName = "vigie.hunt.name"
)

// hunt is one running hunt: the engine and the alerts not stored yet.
// Only its goroutine uses it; the status it shares is run.job, under
// Manager.mu.
type hunt struct {
	m         *Manager
	spec      Spec
	job       Job // the status at start
	run       *run
	engine    *detect.Engine
	pending   []*event.Event // alerts not stored yet, at most about Config.Batch
	lastSaved time.Time
}

// newHunt prepares a hunt: its engine, and the IDs it reads.
func newHunt(ctx context.Context, m *Manager, spec Spec, id string) (*hunt, error) {
	rs, rules := spec.Rules, 0
	if rs == nil {
		rs = detect.Compile(detect.Config{}, nil)
	} else {
		rules = rs.Counts()[detect.StatusOK]
	}
	engine := rs.NewEngine()
	var detectors []string
	if spec.Behaviour != nil {
		set := spec.Behaviour()
		if set == nil {
			return nil, fmt.Errorf("%w: the behaviour function gave no detector set", ErrInvalidSpec)
		}
		engine.SetBehaviour(set)
		detectors = set.Names()
	}
	start, last, err := bounds(ctx, m.deps.Store)
	if err != nil {
		return nil, err
	}
	now := m.deps.Now()
	return &hunt{m: m, spec: spec, engine: engine, lastSaved: now, job: Job{
		ID: id, Name: spec.Name, State: Running, RequestedBy: spec.RequestedBy, Started: now,
		From: spec.From, To: spec.To, Total: int64(last - start), Rules: rules, Detectors: detectors,
		Position: start, Last: last,
	}}, nil
}

// bounds returns the IDs a hunt reads, those in (start, last]: start is
// just below the first stored event, last the highest stored ID.
func bounds(ctx context.Context, s store.Scanner) (start, last event.ID, err error) {
	first, ok, err := idAbove(ctx, s, 0)
	if err != nil || !ok {
		return 0, 0, err
	}
	last, err = lastID(ctx, s, first)
	return first - 1, last, err
}

// lastID returns the highest stored ID, given a stored ID known, with
// only the Scanner: it looks past known by doubling steps until nothing
// is above, then bisects. That is about 2·log2(n) reads of one event for
// n events, where reading every ID would be n.
func lastID(ctx context.Context, s store.Scanner, known event.ID) (event.ID, error) {
	step := event.ID(1024)
	var hi event.ID // nothing is stored above hi
	for {
		id, ok, err := idAbove(ctx, s, known+step)
		if err != nil {
			return 0, err
		}
		if !ok {
			hi = known + step
			break
		}
		known = id
		if step < 1<<56 {
			step *= 2
		}
	}
	for hi > known {
		mid := known + (hi-known)/2
		id, ok, err := idAbove(ctx, s, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			known = id
		} else {
			hi = mid
		}
	}
	return known, nil
}

// idAbove returns the first stored ID above after, if any.
func idAbove(ctx context.Context, s store.Scanner, after event.ID) (event.ID, bool, error) {
	evs, err := s.Scan(ctx, after, 1)
	if err != nil {
		return 0, false, fmt.Errorf("finding the events to hunt over: %w", err)
	}
	if len(evs) == 0 {
		return 0, false, nil
	}
	return evs[0].ID, true, nil
}

func (h *hunt) inRange(t time.Time) bool {
	return (h.spec.From.IsZero() || !t.Before(h.spec.From)) && (h.spec.To.IsZero() || t.Before(h.spec.To))
}

// scan runs the hunt over its events. It returns context.Canceled when
// stopped; the alerts of the events read are stored all the same.
func (h *hunt) scan(ctx context.Context) error {
	// Alerts of events read are stored even once the hunt is stopped.
	keep := context.WithoutCancel(ctx)
	batch := h.m.cfg.Batch
	cursor, last := h.job.Position, h.job.Last
	var watermark time.Time // the newest event time seen
	for cursor < last {
		if err := ctx.Err(); err != nil {
			return err
		}
		events, err := h.m.deps.Store.Scan(ctx, cursor, batch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("reading events after %d: %w", cursor, err)
		}
		if len(events) == 0 {
			break // the last events were deleted by retention meanwhile
		}
		var scanned, matched int64
		for _, ev := range events {
			if ev.ID > last {
				cursor = last
				break
			}
			cursor = ev.ID
			scanned++
			if ev.Kind != event.KindEvent || !h.inRange(ev.Time) {
				continue
			}
			matched++
			if ev.Time.After(watermark) {
				watermark = ev.Time
			}
			h.add(h.engine.Process(ev, strconv.FormatInt(int64(ev.ID), 10)))
			if len(h.pending) >= batch {
				if err := h.storePending(keep); err != nil {
					return err
				}
			}
		}
		// Correlation windows close, and behaviour detectors decide, in
		// event time; the engine's reorder buffer absorbs events stored
		// out of time order by up to the correlation lateness.
		if !watermark.IsZero() {
			h.add(h.engine.Advance(watermark))
		}
		h.progress(cursor, scanned, matched)
		if err := h.storePending(keep); err != nil {
			return err
		}
		h.maybeSave(keep)
	}
	h.add(h.engine.Flush())
	return h.storePending(keep)
}

// add renders alerts as events marked with the hunt, to be stored.
func (h *hunt) add(alerts []detect.Alert) {
	if len(alerts) == 0 {
		return
	}
	now := h.m.deps.Now()
	for i := range alerts {
		e := alerts[i].ToEvent(now)
		e.Add(FieldHuntID, h.job.ID)
		if h.job.Name != "" {
			e.Add(FieldHuntName, h.job.Name)
		}
		e.Sort()
		h.pending = append(h.pending, e)
	}
}

// storePending appends the pending alerts, counts them and hands them to
// OnAlerts.
func (h *hunt) storePending(ctx context.Context) error {
	if len(h.pending) == 0 {
		return nil
	}
	if err := h.m.deps.Store.Append(ctx, h.pending); err != nil {
		return fmt.Errorf("storing %d alerts: %w", len(h.pending), err)
	}
	stored := h.pending
	h.pending = nil
	h.m.mu.Lock()
	h.run.job.Alerts += int64(len(stored))
	h.m.mu.Unlock()
	if h.m.deps.OnAlerts != nil {
		h.m.deps.OnAlerts(ctx, stored)
	}
	return nil
}

func (h *hunt) progress(cursor event.ID, scanned, matched int64) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	j := &h.run.job
	j.Position = cursor
	j.Scanned += scanned
	j.Matched += matched
}

// maybeSave stores the hunt's status every Config.SaveEvery.
func (h *hunt) maybeSave(ctx context.Context) {
	now := h.m.deps.Now()
	if now.Sub(h.lastSaved) < h.m.cfg.SaveEvery {
		return
	}
	h.lastSaved = now
	h.m.mu.Lock()
	j := h.run.job.clone()
	h.m.mu.Unlock()
	if err := h.m.put(ctx, j); err != nil {
		h.m.deps.Logger.Warn("hunt progress not saved", "id", j.ID, "err", err)
	}
}
