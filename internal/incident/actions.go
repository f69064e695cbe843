package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/event"
)

// Bounds on what analysts write.
const (
	maxNoteLen = 64 << 10
	maxTextLen = 1024 // title, reason, assignee, one tag
	maxTags    = 64
	maxNotes   = 10_000
)

// ErrInput is matched by errors about an analyst's input.
var ErrInput = errors.New("invalid input")

func inputError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

func checkText(what, s string, limit int) error {
	if len(s) > limit {
		return inputError("%s is %d bytes, more than %d", what, len(s), limit)
	}
	if !utf8.ValidString(s) {
		return inputError("%s is not valid UTF-8", what)
	}
	return nil
}

// update applies an analyst's change to a copy of incident id, writes
// the audit entry, stores the copy and then makes it current. change
// returns the audit action and detail.
func (m *Manager) update(ctx context.Context, id int64, who Actor, change func(inc *Incident) (string, any, error)) (*Incident, error) {
	if who.Name == "" {
		return nil, inputError("an action needs an actor")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.incidents[id]
	if !ok {
		return nil, fmt.Errorf("incident %d: %w", id, ErrNoIncident)
	}
	inc := cur.clone()
	action, detail, err := change(inc)
	if err != nil {
		return nil, fmt.Errorf("incident %d: %w", id, err)
	}
	inc.Updated = m.now()
	inc.recompute()
	if err := m.auditLocked(ctx, who, action, id, detail); err != nil {
		return nil, err
	}
	if err := m.putLocked(ctx, inc); err != nil {
		return nil, err
	}
	m.incidents[id] = inc
	return inc.clone(), nil
}

// SetStatus moves an incident to a status. A false positive needs a
// reason; reopening a resolved or false-positive incident (to
// investigating) is audited as "incident.reopen". A merged incident's
// status changes only by Split.
func (m *Manager) SetStatus(ctx context.Context, id int64, to Status, reason string, who Actor) (*Incident, error) {
	if err := checkText("reason", reason, maxTextLen); err != nil {
		return nil, err
	}
	return m.update(ctx, id, who, func(inc *Incident) (string, any, error) {
		from := inc.Status
		if !from.CanMove(to) {
			return "", nil, fmt.Errorf("%w: %s to %q", ErrTransition, from, to)
		}
		if to == StatusFalsePositive && strings.TrimSpace(reason) == "" {
			return "", nil, inputError("a false positive needs a reason")
		}
		action := "incident.status"
		if from.Closed() {
			action = "incident.reopen"
		}
		inc.Status, inc.Reason = to, reason
		return action, map[string]any{"from": from, "to": to, "reason": reason}, nil
	})
}

// Assign sets the incident's assignee; "" unassigns it.
func (m *Manager) Assign(ctx context.Context, id int64, assignee string, who Actor) (*Incident, error) {
	if err := checkText("assignee", assignee, maxTextLen); err != nil {
		return nil, err
	}
	return m.update(ctx, id, who, func(inc *Incident) (string, any, error) {
		from := inc.Assignee
		inc.Assignee = assignee
		return "incident.assign", map[string]any{"from": from, "to": assignee}, nil
	})
}

// AddNote appends a note, written by the actor.
func (m *Manager) AddNote(ctx context.Context, id int64, text string, who Actor) (*Incident, error) {
	if err := checkText("note", text, maxNoteLen); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, inputError("empty note")
	}
	return m.update(ctx, id, who, func(inc *Incident) (string, any, error) {
		if len(inc.Notes) >= maxNotes {
			return "", nil, inputError("the incident has %d notes already", len(inc.Notes))
		}
		inc.Notes = append(inc.Notes, Note{Time: m.now(), Author: who.Name, Text: text})
		return "incident.note", map[string]any{"text": text}, nil
	})
}

// SetTags replaces the incident's tags (sorted, without duplicates).
func (m *Manager) SetTags(ctx context.Context, id int64, tags []string, who Actor) (*Incident, error) {
	if len(tags) > maxTags {
		return nil, inputError("%d tags, more than %d", len(tags), maxTags)
	}
	clean := make([]string, 0, len(tags))
	for i, t := range tags {
		if err := checkText(fmt.Sprintf("tag %d", i+1), t, maxTextLen); err != nil {
			return nil, err
		}
		if t = strings.TrimSpace(t); t != "" {
			clean = append(clean, t)
		}
	}
	slices.Sort(clean)
	clean = slices.Compact(clean)
	return m.update(ctx, id, who, func(inc *Incident) (string, any, error) {
		from := inc.Tags
		inc.Tags = clean
		return "incident.tags", map[string]any{"from": from, "to": clean}, nil
	})
}

// SetSeverity overrides the incident's severity with a Sigma level; ""
// returns to the derived severity.
func (m *Manager) SetSeverity(ctx context.Context, id int64, level string, who Actor) (*Incident, error) {
	if level != "" {
		if err := validLevel(level); err != nil {
			return nil, inputError("%s", err.Error())
		}
	}
	return m.update(ctx, id, who, func(inc *Incident) (string, any, error) {
		from := inc.EffectiveSeverity()
		inc.SeverityOverride = level
		return "incident.severity", map[string]any{"from": from, "to": level}, nil
	})
}

// SetTitle overrides the derived title; "" returns to it.
func (m *Manager) SetTitle(ctx context.Context, id int64, title string, who Actor) (*Incident, error) {
	if err := checkText("title", title, maxTextLen); err != nil {
		return nil, err
	}
	return m.update(ctx, id, who, func(inc *Incident) (string, any, error) {
		from := inc.Title
		inc.TitleOverride = strings.TrimSpace(title)
		return "incident.title", map[string]any{"from": from, "to": title}, nil
	})
}

// Merge moves the alerts, entities and joins of incident from into
// incident into; from takes status merged, with MergedInto set. Split
// undoes it.
func (m *Manager) Merge(ctx context.Context, into, from int64, who Actor) (*Incident, error) {
	if who.Name == "" {
		return nil, inputError("an action needs an actor")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dst, src, err := m.pairLocked(into, from)
	if err != nil {
		return nil, err
	}
	if src.Status == StatusMerged || dst.Status == StatusMerged {
		return nil, fmt.Errorf("merging incident %d into %d: %w: one of them is merged already", from, into, ErrTransition)
	}
	dst, src = dst.clone(), src.clone()
	reason := "merged by " + who.Name
	if err := m.auditLocked(ctx, who, "incident.merge", into, map[string]any{"from": from, "reason": reason}); err != nil {
		return nil, err
	}
	if err := m.auditLocked(ctx, who, "incident.merged_into", from, map[string]any{"into": into}); err != nil {
		return nil, err
	}
	m.mergeLocked(dst, src, reason, who.Name)
	if err := m.storePair(ctx, dst, src); err != nil {
		m.reindexLocked()
		return nil, err
	}
	return dst.clone(), nil
}

// pairLocked returns the incidents into and from, which must differ.
func (m *Manager) pairLocked(into, from int64) (*Incident, *Incident, error) {
	if into == from {
		return nil, nil, inputError("incident %d cannot be merged with or split from itself", into)
	}
	dst, ok := m.incidents[into]
	if !ok {
		return nil, nil, fmt.Errorf("incident %d: %w", into, ErrNoIncident)
	}
	src, ok := m.incidents[from]
	if !ok {
		return nil, nil, fmt.Errorf("incident %d: %w", from, ErrNoIncident)
	}
	return dst, src, nil
}

// storePair stores two incidents and makes them current. When the first
// is stored and the second is not, the store holds the first's new
// version until the next change or Load; the caller reports the error.
func (m *Manager) storePair(ctx context.Context, a, b *Incident) error {
	if err := m.putLocked(ctx, a); err != nil {
		return err
	}
	if err := m.putLocked(ctx, b); err != nil {
		return err
	}
	m.incidents[a.ID], m.incidents[b.ID] = a, b
	for _, inc := range []*Incident{a, b} {
		m.index(inc)
	}
	return nil
}

// reindexLocked rebuilds the lookup maps from the incidents held, after
// a merge or split that could not be stored changed them.
func (m *Manager) reindexLocked() {
	m.byEntity = map[string]map[int64]bool{}
	m.byPattern = map[string]map[int64]bool{}
	m.byMention = map[string]map[int64]bool{}
	m.byAlert = map[event.ID]int64{}
	for _, inc := range m.incidents {
		m.index(inc)
	}
}

// mergeLocked moves src into dst (both current copies or clones) and
// updates the lookup maps.
func (m *Manager) mergeLocked(dst, src *Incident, reason, actor string) {
	now := m.now()
	part := Part{Incident: src.ID, Status: src.Status, Reason: reason, Time: now, Actor: actor}
	for _, a := range src.Alerts {
		part.Alerts = append(part.Alerts, a.ID)
		m.byAlert[a.ID] = dst.ID
	}
	dst.Alerts = append(dst.Alerts, src.Alerts...)
	dst.Joins = append(dst.Joins, src.Joins...)
	m.unindexEntities(src)
	for _, e := range src.Entities {
		key := entityKey(e.Field, e.Value)
		i := slices.IndexFunc(dst.Entities, func(d Entity) bool { return entityKey(d.Field, d.Value) == key })
		if i < 0 {
			dst.Entities = append(dst.Entities, e)
			continue
		}
		d := &dst.Entities[i]
		d.Alerts = append(d.Alerts, e.Alerts...)
		d.Links = append(d.Links, e.Links...)
		d.Crowd = append(d.Crowd, e.Crowd...)
		d.Common = d.Common || e.Common
		for _, s := range e.Spellings {
			if !slices.Contains(d.Spellings, s) && len(d.Spellings) < maxSpellings {
				d.Spellings = append(d.Spellings, s)
			}
		}
	}
	for _, r := range src.Related {
		if r != dst.ID {
			dst.addRelated(r)
		}
	}
	dst.Parts = append(dst.Parts, part)
	dst.Updated = now
	dst.recompute()
	m.index(dst)
	src.Alerts, src.Entities, src.Joins = []AlertRef{}, []Entity{}, nil
	src.Status, src.MergedInto, src.Updated = StatusMerged, dst.ID, now
}

// Split takes incident from, merged into incident into, out again: the
// alerts it brought go back to it, with their entities and joins, and it
// gets back the status it had. Alerts that joined into after the merge
// stay in into.
func (m *Manager) Split(ctx context.Context, into, from int64, who Actor) (*Incident, error) {
	if who.Name == "" {
		return nil, inputError("an action needs an actor")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dst, src, err := m.pairLocked(into, from)
	if err != nil {
		return nil, err
	}
	pi := slices.IndexFunc(dst.Parts, func(p Part) bool { return p.Incident == from })
	if pi < 0 || src.Status != StatusMerged || src.MergedInto != into {
		return nil, fmt.Errorf("splitting incident %d from %d: %w: it was not merged into it", from, into, ErrTransition)
	}
	if dst.Status == StatusMerged {
		return nil, fmt.Errorf("splitting incident %d from %d: %w: %d is itself merged into %d; split that first",
			from, into, ErrTransition, into, dst.MergedInto)
	}
	dst, src = dst.clone(), src.clone()
	part := dst.Parts[pi]
	if err := m.auditLocked(ctx, who, "incident.split", into, map[string]any{"from": from}); err != nil {
		return nil, err
	}
	if err := m.auditLocked(ctx, who, "incident.split_from", from, map[string]any{"into": into, "status": part.Status}); err != nil {
		return nil, err
	}
	old := m.incidents[into]
	moved := map[int64]bool{}
	for _, id := range part.Alerts {
		moved[int64(id)] = true
	}
	taken := dst.take(moved)
	src.Alerts = append(src.Alerts, taken.Alerts...)
	src.Joins = append(src.Joins, taken.Joins...)
	src.Entities = append(src.Entities, taken.Entities...)
	dst.Parts = slices.Delete(dst.Parts, pi, pi+1)
	if len(dst.Parts) == 0 {
		dst.Parts = nil
	}
	now := m.now()
	src.Status, src.MergedInto, src.Updated = part.Status, 0, now
	dst.Updated = now
	src.recompute()
	dst.recompute()
	m.unindexEntities(old)
	if err := m.storePair(ctx, dst, src); err != nil {
		m.reindexLocked()
		return nil, err
	}
	return dst.clone(), nil
}

// partition splits ids into those in moved and the others.
func partition(ids []event.ID, moved map[int64]bool) (in, out []event.ID) {
	for _, id := range ids {
		if moved[int64(id)] {
			in = append(in, id)
		} else {
			out = append(out, id)
		}
	}
	return in, out
}
