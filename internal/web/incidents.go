package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/store"
)

// statuses an analyst may choose, in the order the form lists them.
var statuses = []incident.Status{incident.StatusNew, incident.StatusInvestigating, incident.StatusContained,
	incident.StatusResolved, incident.StatusFalsePositive}

// levels are Sigma's levels, lowest first.
var levels = []string{"informational", "low", "medium", "high", "critical"}

// incidentList is the incident list page's data.
type incidentList struct {
	Status, MinLevel, Assignee string
	Open                       bool
	Statuses                   []incident.Status
	Levels                     []string
	Incidents                  []*incident.Incident
}

func (s *server) incidents(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := &incidentList{Status: q.Get("status"), MinLevel: q.Get("min_level"), Assignee: strings.TrimSpace(q.Get("assignee")),
		Open: q.Get("open") == "1", Statuses: statuses, Levels: levels}
	f := incident.Filter{Status: incident.Status(d.Status), MinLevel: d.MinLevel, Assignee: d.Assignee, Open: d.Open}
	if d.Status != "" && !validStatus(d.Status) {
		return badRequest("Unknown status %q.", d.Status)
	}
	if d.MinLevel != "" && !detect.ValidLevel(d.MinLevel) {
		return badRequest("Unknown level %q.", d.MinLevel)
	}
	d.Incidents = s.cfg.Incidents.List(f)
	v.Live = true
	return s.show(w, "incidents", "Incidents", "incidents", v, d)
}

func validStatus(st string) bool {
	for _, x := range statuses {
		if string(x) == st {
			return true
		}
	}
	return false
}

// incidentView is the incident page's data.
type incidentView struct {
	Inc      *incident.Incident
	Statuses []incident.Status
	// Alerts are the incident's alerts with why they fired and joined.
	Alerts []alertRow
	// Timeline and its filter.
	From, To, Query string
	Timeline        []incident.TimelineItem
	TimelineError   string
	// TimelineNext is the cursor of the timeline's next (older) page.
	TimelineNext event.ID
	// Scope is the scope report, or why it could not be made.
	Scope      *scope.Report
	ScopeError string
	Graph      template.HTML // the movement graph, drawn by package chart
	Decisions  []*respond.Decision
	// Sources are the addresses a responder may block, from the
	// incident's entities.
	Sources []string
	// Form errors, by form, after a refused POST.
	StatusError, AssignError, NoteError, MergeError, DecisionError, ExportError string
	// Export is whether case bundles can be exported.
	Export bool
	// Values typed in a refused form, shown again.
	Reason, Note string
}

// alertRow is an alert of an incident.
type alertRow struct {
	Ref      incident.AlertRef
	Because  string // why it joined the incident
	Why      string // a behaviour detector's explanation, or the rule's description
	Evidence []string
	Missing  bool // the alert event is gone (retention)
}

// timelinePage is the number of timeline items an incident page shows.
const timelinePage = 200

// maxAlertRows bounds the alerts read for one incident page.
const maxAlertRows = 200

func (s *server) incidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound("There is no incident %q: incident ids are positive numbers.", r.PathValue("id"))
	}
	return id, nil
}

func (s *server) getIncident(r *http.Request) (*incident.Incident, error) {
	id, err := s.incidentID(r)
	if err != nil {
		return nil, err
	}
	inc, err := s.cfg.Incidents.Get(id)
	if errors.Is(err, incident.ErrNoIncident) {
		return nil, notFound("There is no incident %d.", id)
	}
	return inc, err
}

func (s *server) incidentPage(w http.ResponseWriter, r *http.Request, v *view) error {
	inc, err := s.getIncident(r)
	if err != nil {
		return err
	}
	d := &incidentView{Inc: inc}
	if err := s.fillIncident(r, d); err != nil {
		return err
	}
	v.Live = true
	return s.show(w, "incident", fmt.Sprintf("Incident %d", inc.ID), "incidents", v, d)
}

// fillIncident gathers what the incident page shows besides the incident.
func (s *server) fillIncident(r *http.Request, d *incidentView) error {
	ctx := r.Context()
	inc := d.Inc
	d.Statuses = statuses
	d.Export = s.cfg.Exporter != nil
	because := map[event.ID]string{}
	for _, j := range inc.Joins {
		because[j.Alert] = j.Because
	}
	for i, a := range inc.Alerts {
		if i == maxAlertRows {
			break
		}
		row := alertRow{Ref: a, Because: because[a.ID]}
		ev, err := s.cfg.Store.Get(ctx, a.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			row.Missing = true
		case err != nil:
			return fmt.Errorf("reading alert %d: %w", a.ID, err)
		default:
			row.Why, _ = ev.Get("vigie.why.text")
			if row.Why == "" {
				row.Why, _ = ev.Get("rule.description")
			}
			for _, f := range ev.Values("vigie.evidence") {
				row.Evidence = append(row.Evidence, f.Value)
			}
		}
		d.Alerts = append(d.Alerts, row)
	}

	// Timeline, filtered by the analyst's from, to and query.
	q := r.URL.Query()
	d.From, d.To, d.Query = q.Get("from"), q.Get("to"), q.Get("q")
	now := s.cfg.Now()
	tf := incident.TimelineFilter{Query: d.Query, Limit: timelinePage}
	var terr error
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return badRequest("The timeline cursor %q is not an event id.", b)
		}
		tf.Before = event.ID(n)
	}
	if tf.From, terr = api.ParseTime(d.From, now); terr != nil {
		d.TimelineError = "from: " + terr.Error()
	} else if tf.To, terr = api.ParseTime(d.To, now); terr != nil {
		d.TimelineError = "to: " + terr.Error()
	} else if len(d.Query) > maxQuery {
		d.TimelineError = fmt.Sprintf("the query is over %d characters", maxQuery)
	} else if d.Timeline, terr = incident.Timeline(ctx, s.cfg.Store, inc, tf); terr != nil {
		if !errors.Is(terr, incident.ErrInput) && !isSyntax(terr) {
			return terr
		}
		d.TimelineError = terr.Error()
	}
	if len(d.Timeline) == timelinePage {
		d.TimelineNext = d.Timeline[len(d.Timeline)-1].ID
	}

	// Scope report.
	subj, err := api.ScopeSubject(ctx, s.cfg.Store, inc, now)
	if err != nil {
		return err
	}
	if d.Scope, err = scope.Build(ctx, s.cfg.Store, subj, s.cfg.Scope); err != nil {
		s.cfg.Logger.Error("scope report", "incident", inc.ID, "err", err)
		d.ScopeError = "The scope report could not be made; the server log says why."
	} else if len(d.Scope.Movement.Edges) > 0 {
		d.Graph = movementSVG(d.Scope)
	}

	// Decisions linked to the incident, and what could be blocked.
	if s.cfg.Decisions != nil {
		all, err := s.cfg.Decisions.List(ctx, respond.Filter{})
		if err != nil {
			return fmt.Errorf("listing decisions: %w", err)
		}
		id := strconv.FormatInt(inc.ID, 10)
		for _, dec := range all {
			if dec.Incident == id {
				d.Decisions = append(d.Decisions, dec)
			}
		}
		for _, en := range inc.Entities {
			if en.Field == event.SourceIP && !en.Common {
				d.Sources = append(d.Sources, en.Value)
			}
		}
	}
	return nil
}

func isSyntax(err error) bool {
	var se interface{ Position() int }
	return errors.As(err, &se) || strings.Contains(err.Error(), "at position")
}

// formFailed shows the incident page again with a form's error.
func (s *server) formFailed(w http.ResponseWriter, r *http.Request, v *view, d *incidentView) error {
	if err := s.fillIncident(r, d); err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = fmt.Sprintf("Incident %d", d.Inc.ID), "incidents", d
	s.render(w, http.StatusBadRequest, "incident", v)
	return nil
}

func (s *server) incidentActor(r *http.Request, v *view) incident.Actor {
	return incident.Actor{Name: v.Sess.User, Remote: r.RemoteAddr}
}

func incidentURL(id int64) string { return "/ui/incidents/" + strconv.FormatInt(id, 10) }

// incidentFormError turns the manager's refusals into a message for the
// form; other errors are returned.
func incidentFormError(err error) (string, error) {
	switch {
	case errors.Is(err, incident.ErrTransition), errors.Is(err, incident.ErrInput):
		return err.Error(), nil
	case errors.Is(err, incident.ErrNoIncident):
		return "", notFound("%v", err)
	}
	return "", err
}

func (s *server) changed(inc *incident.Incident, change string) {
	if s.cfg.OnIncident != nil {
		s.cfg.OnIncident(inc, change)
	}
}

func (s *server) setStatus(w http.ResponseWriter, r *http.Request, v *view) error {
	inc, err := s.getIncident(r)
	if err != nil {
		return err
	}
	st, reason := r.PostFormValue("status"), strings.TrimSpace(r.PostFormValue("reason"))
	d := &incidentView{Inc: inc, Reason: reason}
	switch {
	case !validStatus(st):
		d.StatusError = fmt.Sprintf("Choose a status among the list (got %q).", st)
	case incident.Status(st) == incident.StatusFalsePositive && reason == "":
		d.StatusError = "Say why this is a false positive."
	case len(reason) > maxNote:
		d.StatusError = fmt.Sprintf("The reason is over %d characters.", maxNote)
	}
	if d.StatusError == "" {
		updated, err := s.cfg.Incidents.SetStatus(r.Context(), inc.ID, incident.Status(st), reason, s.incidentActor(r, v))
		if err == nil {
			s.changed(updated, "status")
			return seeOther(w, r, incidentURL(inc.ID))
		}
		if d.StatusError, err = incidentFormError(err); err != nil {
			return err
		}
	}
	return s.formFailed(w, r, v, d)
}

func (s *server) assign(w http.ResponseWriter, r *http.Request, v *view) error {
	inc, err := s.getIncident(r)
	if err != nil {
		return err
	}
	who := strings.TrimSpace(r.PostFormValue("assignee"))
	d := &incidentView{Inc: inc}
	if len(who) > 256 {
		d.AssignError = "The assignee's name is over 256 characters."
		return s.formFailed(w, r, v, d)
	}
	updated, err := s.cfg.Incidents.Assign(r.Context(), inc.ID, who, s.incidentActor(r, v))
	if err == nil {
		s.changed(updated, "assign")
		return seeOther(w, r, incidentURL(inc.ID))
	}
	if d.AssignError, err = incidentFormError(err); err != nil {
		return err
	}
	return s.formFailed(w, r, v, d)
}

func (s *server) addNote(w http.ResponseWriter, r *http.Request, v *view) error {
	inc, err := s.getIncident(r)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	d := &incidentView{Inc: inc, Note: text}
	switch {
	case text == "":
		d.NoteError = "Write the note before adding it."
	case len(text) > maxNote:
		d.NoteError = fmt.Sprintf("The note is over %d characters.", maxNote)
	default:
		updated, err := s.cfg.Incidents.AddNote(r.Context(), inc.ID, text, s.incidentActor(r, v))
		if err == nil {
			s.changed(updated, "note")
			return seeOther(w, r, incidentURL(inc.ID)+"#notes")
		}
		if d.NoteError, err = incidentFormError(err); err != nil {
			return err
		}
	}
	return s.formFailed(w, r, v, d)
}

func (s *server) merge(w http.ResponseWriter, r *http.Request, v *view) error {
	inc, err := s.getIncident(r)
	if err != nil {
		return err
	}
	d := &incidentView{Inc: inc}
	from, perr := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("from")), 10, 64)
	if perr != nil || from <= 0 || from == inc.ID {
		d.MergeError = "Give the number of another incident."
		return s.formFailed(w, r, v, d)
	}
	updated, err := s.cfg.Incidents.Merge(r.Context(), inc.ID, from, s.incidentActor(r, v))
	if err == nil {
		s.changed(updated, "merge")
		return seeOther(w, r, incidentURL(inc.ID))
	}
	if errors.Is(err, incident.ErrNoIncident) {
		d.MergeError = fmt.Sprintf("There is no incident %d.", from)
	} else if d.MergeError, err = incidentFormError(err); err != nil {
		return err
	}
	return s.formFailed(w, r, v, d)
}
