package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/store"
)

// Incidents is what the API needs from the incident manager.
type Incidents interface {
	Get(id int64) (*incident.Incident, error)
	List(f incident.Filter) []*incident.Incident
	SetStatus(ctx context.Context, id int64, to incident.Status, reason string, who incident.Actor) (*incident.Incident, error)
	Assign(ctx context.Context, id int64, assignee string, who incident.Actor) (*incident.Incident, error)
	AddNote(ctx context.Context, id int64, text string, who incident.Actor) (*incident.Incident, error)
	SetTags(ctx context.Context, id int64, tags []string, who incident.Actor) (*incident.Incident, error)
	SetSeverity(ctx context.Context, id int64, level string, who incident.Actor) (*incident.Incident, error)
	SetTitle(ctx context.Context, id int64, title string, who incident.Actor) (*incident.Incident, error)
	Merge(ctx context.Context, into, from int64, who incident.Actor) (*incident.Incident, error)
	Split(ctx context.Context, into, from int64, who incident.Actor) (*incident.Incident, error)
	Attach(ctx context.Context, id int64, alerts []*event.Event, who incident.Actor) (*incident.Incident, error)
}

// IncidentsResponse is the body of GET /api/v1/incidents.
type IncidentsResponse struct {
	Incidents []*incident.Incident `json:"incidents"`
}

// statuses are the incident statuses a client may name.
var statuses = []incident.Status{incident.StatusNew, incident.StatusInvestigating, incident.StatusContained,
	incident.StatusResolved, incident.StatusFalsePositive, incident.StatusMerged}

func checkStatus(st string) error {
	for _, x := range statuses {
		if incident.Status(st) == x {
			return nil
		}
	}
	return badRequest("bad_status", "status must be new, investigating, contained, resolved, false_positive or merged, got %q", st)
}

func (s *server) incidentActor(r *http.Request) incident.Actor {
	return incident.Actor{Name: actor(r), Remote: r.RemoteAddr}
}

func (s *server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	f := incident.Filter{Status: incident.Status(v.Get("status")), MinLevel: v.Get("min_level"),
		Assignee: v.Get("assignee"), Field: v.Get("field"), Value: v.Get("value")}
	if f.Status != "" {
		if err := checkStatus(string(f.Status)); err != nil {
			return err
		}
	}
	if f.MinLevel != "" {
		if _, ok := levelSeverity[f.MinLevel]; !ok {
			return badRequest("bad_level", "min_level must be informational, low, medium, high or critical, got %q", f.MinLevel)
		}
	}
	switch v.Get("open") {
	case "true", "1":
		f.Open = true
	case "", "false", "0":
	default:
		return badRequest("bad_parameter", "open must be true or false, got %q", v.Get("open"))
	}
	list := s.cfg.Incidents.List(f)
	if list == nil {
		list = []*incident.Incident{}
	}
	writeJSON(w, http.StatusOK, IncidentsResponse{Incidents: list})
	return nil
}

func (s *server) incidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("bad_id", "incident id must be a positive number, got %q", r.PathValue("id"))
	}
	return id, nil
}

func (s *server) getIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	inc, err := s.cfg.Incidents.Get(id)
	if err != nil {
		return incidentError(err)
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

// IncidentUpdate is the body of PATCH /api/v1/incidents/{id}: the fields
// present are changed, in this order, each audited.
type IncidentUpdate struct {
	Status   *string   `json:"status,omitempty"`
	Reason   string    `json:"reason,omitempty"` // for status false_positive, or a reopening
	Assignee *string   `json:"assignee,omitempty"`
	Tags     *[]string `json:"tags,omitempty"`
	Severity *string   `json:"severity,omitempty"` // "" goes back to the derived severity
	Title    *string   `json:"title,omitempty"`    // "" goes back to the derived title
}

func (s *server) updateIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	var u IncidentUpdate
	if err := readJSON(r, &u); err != nil {
		return err
	}
	// Check what can be checked before changing anything, so that a
	// refused update leaves the incident as it was.
	if u.Status != nil {
		if err := checkStatus(*u.Status); err != nil {
			return err
		}
	}
	if u.Severity != nil && *u.Severity != "" {
		if _, ok := levelSeverity[*u.Severity]; !ok {
			return badRequest("bad_level", "severity must be informational, low, medium, high, critical, or empty for the derived one, got %q", *u.Severity)
		}
	}
	who := s.incidentActor(r)
	ctx := r.Context()
	inc, err := s.cfg.Incidents.Get(id)
	if err != nil {
		return incidentError(err)
	}
	type step struct {
		change string
		do     func() (*incident.Incident, error)
	}
	var steps []step
	if u.Status != nil {
		steps = append(steps, step{"status", func() (*incident.Incident, error) {
			return s.cfg.Incidents.SetStatus(ctx, id, incident.Status(*u.Status), u.Reason, who)
		}})
	}
	if u.Assignee != nil {
		steps = append(steps, step{"assign", func() (*incident.Incident, error) { return s.cfg.Incidents.Assign(ctx, id, *u.Assignee, who) }})
	}
	if u.Tags != nil {
		steps = append(steps, step{"tags", func() (*incident.Incident, error) { return s.cfg.Incidents.SetTags(ctx, id, *u.Tags, who) }})
	}
	if u.Severity != nil {
		steps = append(steps, step{"severity", func() (*incident.Incident, error) { return s.cfg.Incidents.SetSeverity(ctx, id, *u.Severity, who) }})
	}
	if u.Title != nil {
		steps = append(steps, step{"title", func() (*incident.Incident, error) { return s.cfg.Incidents.SetTitle(ctx, id, *u.Title, who) }})
	}
	if len(steps) == 0 {
		return badRequest("empty_update", "nothing to change: send status, assignee, tags, severity or title")
	}
	for _, st := range steps {
		if inc, err = st.do(); err != nil {
			return incidentError(err)
		}
		s.incidentChanged(inc, st.change)
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

func (s *server) incidentChanged(inc *incident.Incident, change string) {
	if s.cfg.OnIncident != nil {
		s.cfg.OnIncident(inc, change)
	}
}

// NoteRequest is the body of POST /api/v1/incidents/{id}/notes.
type NoteRequest struct {
	Text string `json:"text"`
}

func (s *server) addNote(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	var req NoteRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	inc, err := s.cfg.Incidents.AddNote(r.Context(), id, req.Text, s.incidentActor(r))
	if err != nil {
		return incidentError(err)
	}
	s.incidentChanged(inc, "note")
	writeJSON(w, http.StatusCreated, inc)
	return nil
}

// MergeRequest is the body of POST /api/v1/incidents/{id}/merge and
// /split: the other incident.
type MergeRequest struct {
	From int64 `json:"from"`
}

func (s *server) mergeIncident(split bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.incidentID(r)
		if err != nil {
			return err
		}
		var req MergeRequest
		if err := readJSON(r, &req); err != nil {
			return err
		}
		do, change := s.cfg.Incidents.Merge, "merge"
		if split {
			do, change = s.cfg.Incidents.Split, "split"
		}
		inc, err := do(r.Context(), id, req.From, s.incidentActor(r))
		if err != nil {
			return incidentError(err)
		}
		s.incidentChanged(inc, change)
		writeJSON(w, http.StatusOK, inc)
		return nil
	}
}

// TimelineEntry is one item of GET /api/v1/incidents/{id}/timeline.
type TimelineEntry struct {
	Time       time.Time    `json:"time"`
	ID         event.ID     `json:"id"`
	Kind       string       `json:"kind"` // alert, event or pipeline_error
	InIncident bool         `json:"in_incident,omitempty"`
	Title      string       `json:"title"`
	Event      *event.Event `json:"event,omitempty"`
}

// TimelineResponse is the body of GET /api/v1/incidents/{id}/timeline,
// newest first; Next pages on with before=.
type TimelineResponse struct {
	Items []TimelineEntry `json:"items"`
	Next  event.ID        `json:"next,omitempty"`
}

func (s *server) timeline(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	inc, err := s.cfg.Incidents.Get(id)
	if err != nil {
		return incidentError(err)
	}
	q, err := s.parseQuery(r) // checks q, from, to, limit and before
	if err != nil {
		return err
	}
	f := incident.TimelineFilter{From: q.From, To: q.To, Query: r.URL.Query().Get("q"), Limit: q.Limit, Before: q.Before}
	if k := r.URL.Query().Get("kinds"); k != "" {
		f.Kinds = strings.Split(k, ",")
		for _, kind := range f.Kinds {
			if _, err := event.ParseKind(kind); err != nil {
				return badRequest("bad_parameter", "kinds: %v (use alert, event, pipeline_error)", err)
			}
		}
	}
	items, err := incident.Timeline(r.Context(), s.cfg.Store, inc, f)
	if err != nil {
		return incidentError(err)
	}
	resp := TimelineResponse{Items: make([]TimelineEntry, 0, len(items))}
	full := r.URL.Query().Get("events") == "true"
	for _, it := range items {
		e := TimelineEntry{Time: it.Time, ID: it.ID, Kind: it.Kind, InIncident: it.InIncident, Title: it.Title}
		if full {
			e.Event = it.Event
		}
		resp.Items = append(resp.Items, e)
	}
	limit := cmpOr(q.Limit, store.DefaultLimit)
	if len(items) == min(limit, store.MaxLimit) && len(items) > 0 {
		resp.Next = items[len(items)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func (s *server) incidentScope(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	inc, err := s.cfg.Incidents.Get(id)
	if err != nil {
		return incidentError(err)
	}
	subj, err := ScopeSubject(r.Context(), s.cfg.Store, inc, s.cfg.Now())
	if err != nil {
		return err
	}
	rep, err := scope.Build(r.Context(), s.cfg.Store, subj, s.cfg.Scope)
	if err != nil {
		return fmt.Errorf("scope of incident %d: %w", id, err)
	}
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		return rep.Text(w)
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// ScopePadding widens an incident's window for its scope report: the
// intruder's first steps come before the first alert (a spray is alerted
// once it has gone on a while), and what follows the last alert matters
// as much, up to ScopeAfter or now.
const (
	ScopePadding = time.Hour
	ScopeAfter   = 24 * time.Hour
)

// ScopeSubject is what a scope report of inc looks at: the entities that
// link its alerts (not the hubs nor the many values of one alert), and
// its window widened by ScopePadding before and ScopeAfter after, but
// not past now.
func ScopeSubject(ctx context.Context, st store.Searcher, inc *incident.Incident, now time.Time) (scope.Subject, error) {
	subj := scope.Subject{From: inc.First.Add(-ScopePadding), To: inc.Last.Add(ScopeAfter)}
	if subj.To.After(now) {
		subj.To = now
	}
	seen := map[string]bool{}
	add := func(list *[]string, v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			*list = append(*list, v)
		}
	}
	for _, en := range inc.Entities {
		if len(en.Links) == 0 || en.Common {
			continue
		}
		values := append([]string{en.Value}, en.Spellings...)
		for _, v := range values {
			switch en.Field {
			case event.UserName:
				add(&subj.Accounts, v)
			case event.HostName:
				add(&subj.Hosts, v)
			case event.SourceIP, event.DestinationIP:
				add(&subj.Addresses, v)
			}
		}
	}
	for _, a := range inc.Alerts {
		e, err := st.Get(ctx, a.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // pruned by retention
		}
		if err != nil {
			return subj, fmt.Errorf("reading alert %d: %w", a.ID, err)
		}
		subj.Alerts = append(subj.Alerts, e)
	}
	return subj, nil
}

func (s *server) entity(w http.ResponseWriter, r *http.Request) error {
	field, value := r.PathValue("field"), r.PathValue("value")
	if !isEntityField(field) {
		return badRequest("bad_field", "entity field must be one of %s, got %q", strings.Join(event.EntityFields(), ", "), field)
	}
	m, _ := s.cfg.Incidents.(*incident.Manager)
	info, err := incident.EntityView(r.Context(), s.cfg.Store, m, field, value)
	if err != nil {
		return incidentError(err)
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func isEntityField(f string) bool {
	for _, e := range event.EntityFields() {
		if e == f {
			return true
		}
	}
	return false
}

// incidentError maps the incident manager's errors to API errors.
func incidentError(err error) error {
	switch {
	case errors.Is(err, incident.ErrNoIncident):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, incident.ErrTransition):
		return &Error{Status: http.StatusConflict, Code: "bad_transition", Message: err.Error()}
	case errors.Is(err, incident.ErrInput):
		return badRequest("invalid_input", "%v", err)
	}
	var se interface{ Position() int }
	if errors.As(err, &se) {
		return badRequest("query_syntax", "%v", err)
	}
	return err
}

// AuditResponse is the body of GET /api/v1/audit.
type AuditResponse struct {
	Entries []store.AuditEntry `json:"entries"`
	Next    int64              `json:"next,omitempty"`
}

func (s *server) auditLog(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	var after int64
	if a := v.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return badRequest("bad_cursor", "after must be an audit sequence number, got %q", a)
		}
		after = n
	}
	limit := store.DefaultLimit
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 || n > store.MaxLimit {
			return badRequest("bad_limit", "limit must be a number from 1 to %d, got %q", store.MaxLimit, l)
		}
		limit = n
	}
	entries, err := s.cfg.Audit.AuditLog(r.Context(), after, limit, v.Get("target"))
	if err != nil {
		return err
	}
	resp := AuditResponse{Entries: entries}
	if resp.Entries == nil {
		resp.Entries = []store.AuditEntry{}
	}
	if len(entries) == limit {
		resp.Next = entries[len(entries)-1].Seq
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
