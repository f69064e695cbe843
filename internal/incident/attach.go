package incident

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// MaxAttach is the most alerts one Attach takes.
const MaxAttach = 1000

// Move is the alerts an Attach took from another incident.
type Move struct {
	From   int64      `json:"from"`
	Alerts []event.ID `json:"alerts"`
	// Emptied says the incident had no alert left: it was then marked
	// merged into the incident the alerts went to, as Merge does, so
	// that Split brings its alerts back.
	Emptied bool `json:"emptied,omitempty"`
}

// Attach puts alerts into incident id because an analyst says they
// belong there, whatever grouping decided. The alerts are stored alert
// events (as detect.Alert.ToEvent renders them, with their stored ID).
//
// An alert already in the incident is left as it is (attaching it again
// is not an error); an alert in another incident moves: it leaves that
// incident with its entity mentions and its join, and an incident left
// without alerts is marked merged into id, its alerts recorded as a
// Part, so that Split undoes the move as it undoes a merge. The alerts'
// entity values (those grouping reads, less the ignored ones) join the
// incident, linking it to later alerts unless they are a hub or one of
// more than Grouping.FanOut values of one kind; each join is explained
// as "added by" the actor. Severity, tactics and the activity bounds are
// derived again.
//
// The action is audited as "incident.attach" on id, with the alerts and
// the moves, and as "incident.detach" on each incident alerts left. The
// changed incidents are stored in one batch; if storing fails, the
// Manager reloads what was stored before and returns the error.
//
// Attach refuses, with nothing changed: no actor, no alerts or more than
// MaxAttach, an event that is not a stored alert (ErrInput, naming its
// position in alerts), more than Config.MaxAlerts in the incident
// (ErrInput), an unknown incident (ErrNoIncident), and an incident that
// is merged or closed (ErrTransition: attach to the incident it was
// merged into, or reopen it first).
func (m *Manager) Attach(ctx context.Context, id int64, alerts []*event.Event, who Actor) (*Incident, error) {
	if who.Name == "" {
		return nil, inputError("an action needs an actor")
	}
	if len(alerts) == 0 {
		return nil, inputError("no alert to attach")
	}
	if len(alerts) > MaxAttach {
		return nil, inputError("%d alerts, more than %d at once", len(alerts), MaxAttach)
	}
	parsed := make([]parsedAlert, 0, len(alerts))
	seen := map[event.ID]bool{}
	for i, ev := range alerts {
		p, err := parseAlert(ev, m.cfg.Grouping.Fields)
		if err != nil {
			return nil, fmt.Errorf("%w: alert %d of %d: %w", ErrInput, i+1, len(alerts), err)
		}
		if !seen[p.ref.ID] {
			seen[p.ref.ID] = true
			parsed = append(parsed, p)
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.incidents[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("incident %d: %w", id, ErrNoIncident)
	case cur.Status == StatusMerged:
		return nil, fmt.Errorf("attaching alerts to incident %d: %w: it is merged into incident %d; attach them there",
			id, ErrTransition, cur.MergedInto)
	case !cur.Status.Open():
		return nil, fmt.Errorf("attaching alerts to incident %d: %w: it is %s; reopen it first", id, ErrTransition, cur.Status)
	}
	var todo []parsedAlert
	holders := map[event.ID]int64{} // moving alert → the incident it leaves
	leaving := map[int64][]event.ID{}
	for _, p := range parsed {
		holder, held := m.byAlert[p.ref.ID]
		if held && holder == id {
			continue
		}
		if held {
			holders[p.ref.ID] = holder
			leaving[holder] = append(leaving[holder], p.ref.ID)
		}
		todo = append(todo, p)
	}
	if len(todo) == 0 {
		return cur.clone(), nil
	}
	if n := len(cur.Alerts) + len(todo); n > m.cfg.MaxAlerts {
		return nil, inputError("incident %d would hold %d alerts, more than %d (incidents.max_alerts)", id, n, m.cfg.MaxAlerts)
	}
	values := make([][]alertValue, len(todo))
	for i, p := range todo {
		values[i] = m.usable(p.entities)
		if len(values[i]) == 0 && m.evidence != nil {
			var err error
			if values[i], err = m.evidenceValues(ctx, p.evidence); err != nil {
				return nil, fmt.Errorf("attaching alert %d: %w", p.ref.ID, err)
			}
		}
	}

	var moves []Move
	for _, from := range slices.Sorted(maps.Keys(leaving)) {
		ids := leaving[from]
		slices.Sort(ids)
		moves = append(moves, Move{From: from, Alerts: ids, Emptied: len(ids) == len(m.incidents[from].Alerts)})
	}
	if err := m.auditAttachLocked(ctx, who, id, todo, moves); err != nil {
		return nil, err
	}

	now := m.now()
	dst := cur.clone()
	changed := []*Incident{dst}
	for _, mv := range moves {
		src := m.incidents[mv.From].clone()
		take := map[int64]bool{}
		for _, a := range mv.Alerts {
			take[int64(a)] = true
		}
		src.take(take)
		if mv.Emptied {
			dst.Parts = append(dst.Parts, Part{Incident: src.ID, Alerts: mv.Alerts, Status: src.Status,
				Reason: fmt.Sprintf("all its alerts attached to #%d by %s", id, who.Name), Time: now, Actor: who.Name})
			src.Alerts, src.Entities = []AlertRef{}, []Entity{}
			src.Status, src.MergedInto = StatusMerged, id
		}
		src.Updated = now
		src.recompute()
		changed = append(changed, src)
	}
	for _, inc := range changed {
		m.unindexEntities(m.incidents[inc.ID])
	}
	for i, p := range todo {
		because := "added by " + who.Name
		if from, ok := holders[p.ref.ID]; ok {
			because += fmt.Sprintf(", moved from #%d", from)
		}
		linking, common := m.attachLinks(values[i], p.ref.Time)
		m.join(dst, p, values[i], linking, common, nil, because)
	}
	ids := make([]int64, 0, len(changed))
	for _, inc := range changed {
		m.incidents[inc.ID] = inc
		m.index(inc)
		ids = append(ids, inc.ID)
	}
	slices.Sort(ids)
	if err := m.persistLocked(ctx, ids); err != nil {
		if rerr := m.loadLocked(ctx); rerr != nil {
			err = fmt.Errorf("%w; reloading incidents: %w", err, rerr)
		}
		return nil, err
	}
	return dst.clone(), nil
}

// attachLinks sorts out the values of an alert an analyst attaches: all
// link, but for the values of a kind the alert names more than FanOut of
// and the hubs, as in grouping (see place).
func (m *Manager) attachLinks(values []alertValue, at time.Time) (linking, common map[string]bool) {
	perClass := map[string]int{}
	for _, v := range values {
		perClass[classOf(v.field)]++
	}
	linking, common = map[string]bool{}, map[string]bool{}
	for _, v := range values {
		if m.usage.common(v.key, at) {
			common[v.key] = true
			continue
		}
		if fo := m.cfg.Grouping.FanOut; fo < 0 || perClass[classOf(v.field)] <= fo {
			linking[v.key] = true
		}
	}
	return linking, common
}

// auditAttachLocked writes the audit entries of an Attach: one on the
// incident, one on each incident alerts leave.
func (m *Manager) auditAttachLocked(ctx context.Context, who Actor, id int64, todo []parsedAlert, moves []Move) error {
	ids := make([]event.ID, len(todo))
	for i, p := range todo {
		ids[i] = p.ref.ID
	}
	detail := map[string]any{"alerts": ids}
	if len(moves) > 0 {
		detail["moved"] = moves
	}
	if err := m.auditLocked(ctx, who, "incident.attach", id, detail); err != nil {
		return err
	}
	for _, mv := range moves {
		d := map[string]any{"alerts": mv.Alerts, "to": id}
		if mv.Emptied {
			d["merged_into"] = id
		}
		if err := m.auditLocked(ctx, who, "incident.detach", mv.From, d); err != nil {
			return err
		}
	}
	return nil
}
