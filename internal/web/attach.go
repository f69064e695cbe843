package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
)

// maxIncidentChoices bounds the open incidents the queue's picker lists,
// newest first; an older one is chosen by typing its number.
const maxIncidentChoices = 200

// incidentChoice is an open incident in the queue's picker.
type incidentChoice struct {
	ID       int64
	Title    string
	Severity string
	Alerts   int
}

// attachedNote is the queue's message after alerts were added to an
// incident.
type attachedNote struct {
	Incident int64
	Title    string
	Count    int
}

// openIncidents lists the incidents alerts may be added to, newest
// first, at most maxIncidentChoices; more says some were left out.
func (s *server) openIncidents() (list []incidentChoice, more bool) {
	open := s.cfg.Incidents.List(incident.Filter{Open: true})
	for _, inc := range open[:min(len(open), maxIncidentChoices)] {
		list = append(list, incidentChoice{ID: inc.ID, Title: inc.Title, Severity: inc.EffectiveSeverity(), Alerts: len(inc.Alerts)})
	}
	return list, len(open) > maxIncidentChoices
}

// attached reads the queue's "attached" and "count" parameters, set by
// attach's redirect, into the message shown; nil when absent or not
// about an existing incident.
func (s *server) attached(q url.Values) *attachedNote {
	id, err := strconv.ParseInt(q.Get("attached"), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	n, err := strconv.Atoi(q.Get("count"))
	if err != nil || n <= 0 || n > MaxTriage {
		return nil
	}
	inc, err := s.cfg.Incidents.Get(id)
	if err != nil {
		return nil
	}
	return &attachedNote{Incident: id, Title: inc.Title, Count: n}
}

// attach adds the checked alerts to the chosen incident and returns to
// the queue as it was filtered, with a message linking to the incident.
// A refused form shows the queue again with the reason.
func (s *server) attach(w http.ResponseWriter, r *http.Request, v *view) error {
	back := queueQuery(r.PostFormValue("back"))
	ids, msg := triageIDs(r.PostForm["id"])
	var id int64
	if msg == "" {
		id, msg = parseIncidentChoice(r.PostFormValue("incident"))
	}
	var alerts []*event.Event
	if msg == "" {
		alerts, msg = s.readAlerts(r, ids)
	}
	var inc *incident.Incident
	if msg == "" {
		var err error
		if inc, err = s.cfg.Incidents.Attach(r.Context(), id, alerts, s.incidentActor(r, v)); err != nil {
			if msg = attachMessage(id, err); msg == "" {
				return fmt.Errorf("adding %d alerts to incident %d: %w", len(ids), id, err)
			}
		}
	}
	if msg != "" {
		return s.alertsPage(w, r, v, back, queueForms{attach: msg})
	}
	s.changed(inc, "attach")
	back.Set("attached", strconv.FormatInt(id, 10))
	back.Set("count", strconv.Itoa(len(ids)))
	return seeOther(w, r, "/ui/alerts?"+back.Encode())
}

// parseIncidentChoice reads the picker's incident number.
func parseIncidentChoice(raw string) (int64, string) {
	raw = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw), "#"))
	if raw == "" {
		return 0, "Choose the incident to add the alerts to."
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Sprintf("%q is not an incident number.", truncate(raw, 40))
	}
	return id, ""
}

// readAlerts reads the checked alerts, or says which is missing or not
// an alert.
func (s *server) readAlerts(r *http.Request, ids []event.ID) ([]*event.Event, string) {
	if msg := s.checkAlerts(r.Context(), ids); msg != "" {
		return nil, msg
	}
	alerts := make([]*event.Event, 0, len(ids))
	for _, id := range ids {
		e, err := s.cfg.Store.Get(r.Context(), id)
		if err != nil {
			return nil, fmt.Sprintf("Alert %d could not be read; try again.", id)
		}
		alerts = append(alerts, e)
	}
	return alerts, ""
}

// attachMessage says why the incident manager refused, or "" for an
// error that is not the analyst's to fix.
func attachMessage(id int64, err error) string {
	switch {
	case errors.Is(err, incident.ErrNoIncident):
		return fmt.Sprintf("There is no incident %d.", id)
	case errors.Is(err, incident.ErrTransition), errors.Is(err, incident.ErrInput):
		return "The alerts were not added: " + err.Error() + "."
	}
	return ""
}
