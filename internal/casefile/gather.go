package casefile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/store"
)

// gathered is everything an export holds, before proofs.
type gathered struct {
	inc    *incident.Incident
	alerts []*event.Event // the incident's alert events, by ID
	// missingAlerts are alerts of the incident no longer in the store
	// (retention pruned them).
	missingAlerts []event.ID
	events        []*event.Event // evidence and scope events, by ID
	evidence      []*event.Event // the evidence events among them
	// eventsLeftOut counts events that MaxEvents left out (a lower bound
	// for the scope's: see recorder).
	eventsLeftOut   int
	missingEvidence int // evidence events no longer stored
	window          scope.Subject
	scope           *scope.Report
	timeline        []TimelineEntry
	timelineLeftOut bool
	decisions       []Decision
	audit           []store.AuditEntry // by Seq
	auditLeftOut    bool
	previousExports []Custody
}

// TimelineEntry is one item of timeline.json: the shape of GET
// /api/v1/incidents/{id}/timeline's items.
type TimelineEntry struct {
	Time       time.Time `json:"time"`
	ID         event.ID  `json:"id"`
	Kind       string    `json:"kind"`
	InIncident bool      `json:"in_incident,omitempty"`
	Title      string    `json:"title"`
}

// gather reads what the export of inc holds.
func (x *Exporter) gather(ctx context.Context, inc *incident.Incident) (*gathered, error) {
	g := &gathered{inc: inc}
	if err := x.readAlerts(ctx, g); err != nil {
		return nil, err
	}
	subj, err := x.deps.Subject(ctx, x.deps.Store, inc, x.now())
	if err != nil {
		return nil, fmt.Errorf("scope subject of incident %d: %w", inc.ID, err)
	}
	g.window = subj
	rec := &recorder{Searcher: x.deps.Store, from: subj.From, to: subj.To, limit: x.cfg.MaxEvents}
	if err := x.readEvidence(ctx, g, rec); err != nil {
		return nil, err
	}
	if g.scope, err = scope.Build(ctx, rec, subj, x.deps.Scope); err != nil {
		return nil, fmt.Errorf("scope of incident %d: %w", inc.ID, err)
	}
	g.events, g.eventsLeftOut = rec.result()
	if err := x.readTimeline(ctx, g); err != nil {
		return nil, err
	}
	if err := x.readDecisions(ctx, g); err != nil {
		return nil, err
	}
	if err := x.readAudit(ctx, g); err != nil {
		return nil, err
	}
	return g, nil
}

// readAlerts reads every alert of the incident, in ID order.
func (x *Exporter) readAlerts(ctx context.Context, g *gathered) error {
	ids := make([]event.ID, 0, len(g.inc.Alerts))
	for _, a := range g.inc.Alerts {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		ev, err := x.deps.Store.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			g.missingAlerts = append(g.missingAlerts, id)
			continue
		}
		if err != nil {
			return fmt.Errorf("reading alert %d of incident %d: %w", id, g.inc.ID, err)
		}
		g.alerts = append(g.alerts, ev)
	}
	return nil
}

// readEvidence adds the alerts' evidence events to rec, first, so that
// MaxEvents never leaves one out for the sake of a scope event.
func (x *Exporter) readEvidence(ctx context.Context, g *gathered, rec *recorder) error {
	var ids []event.ID
	for _, a := range g.alerts {
		for _, f := range a.Values("vigie.evidence") {
			// Hunts over files name "file#record"; only stored IDs are read.
			if id, err := strconv.ParseInt(f.Value, 10, 64); err == nil && id > 0 {
				ids = append(ids, event.ID(id))
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if rec.has(id) {
			continue // named by two alerts
		}
		if rec.full() {
			rec.leftOut(id)
			continue
		}
		ev, err := x.deps.Store.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			g.missingEvidence++
			continue
		}
		if err != nil {
			return fmt.Errorf("reading evidence event %d of incident %d: %w", id, g.inc.ID, err)
		}
		rec.add(ev)
		g.evidence = append(g.evidence, ev)
	}
	return nil
}

// readTimeline pages through the incident's timeline within the scope
// window, at most MaxTimeline items.
func (x *Exporter) readTimeline(ctx context.Context, g *gathered) error {
	f := incident.TimelineFilter{From: g.window.From, To: g.window.To, Limit: store.MaxLimit}
	for {
		items, err := incident.Timeline(ctx, x.deps.Store, g.inc, f)
		if err != nil {
			return fmt.Errorf("timeline of incident %d: %w", g.inc.ID, err)
		}
		for _, it := range items {
			if len(g.timeline) == x.cfg.MaxTimeline {
				g.timelineLeftOut = true
				return nil
			}
			g.timeline = append(g.timeline, TimelineEntry{Time: it.Time, ID: it.ID, Kind: it.Kind,
				InIncident: it.InIncident, Title: it.Title})
		}
		if len(items) < store.MaxLimit {
			return nil
		}
		f.Before = items[len(items)-1].ID
	}
}

// readAudit reads the audit entries about the incident and its
// decisions, and the incident's earlier exports among them.
func (x *Exporter) readAudit(ctx context.Context, g *gathered) error {
	targets := []string{"incident/" + strconv.FormatInt(g.inc.ID, 10)}
	for _, d := range g.decisions {
		targets = append(targets, "decision/"+d.ID)
	}
	seen := map[int64]bool{}
	for _, target := range targets {
		var after int64
		for {
			page, err := x.deps.Store.AuditLog(ctx, after, store.MaxLimit, target)
			if err != nil {
				return fmt.Errorf("reading the audit log of %s: %w", target, err)
			}
			for _, e := range page {
				if seen[e.Seq] {
					continue
				}
				if len(g.audit) == x.cfg.MaxAudit {
					g.auditLeftOut = true
					break
				}
				seen[e.Seq] = true
				g.audit = append(g.audit, e)
			}
			if len(page) < store.MaxLimit || g.auditLeftOut {
				break
			}
			after = page[len(page)-1].Seq
		}
	}
	slices.SortFunc(g.audit, func(a, b store.AuditEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, e := range g.audit {
		if e.Action == ActionExport && e.Target == targets[0] {
			g.previousExports = append(g.previousExports, custodyOf(e))
		}
	}
	return nil
}

// recorder is the store.Searcher scope.Build reads through: it keeps the
// ordinary events it returns that fall in the scope window, at most limit
// of them, so that the bundle holds the events the report is built from.
// It is safe for concurrent use.
type recorder struct {
	store.Searcher
	from, to time.Time
	limit    int

	// mu guards the fields below.
	mu   sync.Mutex
	kept map[event.ID]*event.Event
	// dropped are the IDs left out once limit was reached, at most
	// maxDropped of them (beyond, the count is a lower bound).
	dropped map[event.ID]bool
}

// maxDropped bounds the IDs remembered to count events left out.
const maxDropped = 1 << 20

func (r *recorder) Search(ctx context.Context, q store.Query) ([]*event.Event, error) {
	evs, err := r.Searcher.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		if ev.Kind == event.KindAlert || ev.Time.Before(r.from) || !ev.Time.Before(r.to) {
			continue
		}
		if _, ok := r.kept[ev.ID]; ok {
			continue
		}
		if len(r.kept) >= r.limit {
			r.leftOutLocked(ev.ID)
			continue
		}
		r.addLocked(ev)
	}
	return evs, nil
}

func (r *recorder) has(id event.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.kept[id]
	return ok
}

func (r *recorder) full() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.kept) >= r.limit
}

func (r *recorder) add(ev *event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addLocked(ev)
}

func (r *recorder) addLocked(ev *event.Event) {
	if r.kept == nil {
		r.kept = map[event.ID]*event.Event{}
	}
	r.kept[ev.ID] = ev
}

func (r *recorder) leftOut(id event.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leftOutLocked(id)
}

func (r *recorder) leftOutLocked(id event.ID) {
	if r.dropped == nil {
		r.dropped = map[event.ID]bool{}
	}
	if len(r.dropped) < maxDropped {
		r.dropped[id] = true
	}
}

// result returns the kept events by ID and how many were left out.
func (r *recorder) result() ([]*event.Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*event.Event, 0, len(r.kept))
	for _, ev := range r.kept {
		out = append(out, ev)
	}
	slices.SortFunc(out, func(a, b *event.Event) int { return cmp.Compare(a.ID, b.ID) })
	return out, len(r.dropped)
}
