package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/store"
)

// AttachRequest is the body of POST /api/v1/incidents/{id}/alerts: the
// stored alerts (event ids, at most incident.MaxAttach) to put into the
// incident.
type AttachRequest struct {
	Alerts []event.ID `json:"alerts"`
}

// attachAlerts puts alerts into an incident by hand. An alert in another
// incident moves (see incident.Manager.Attach). The answer is the
// incident as it stands after.
func (s *server) attachAlerts(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	var req AttachRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	switch {
	case len(req.Alerts) == 0:
		return badRequest("no_alerts", `name the alerts to attach: {"alerts": [1234, 1240]}`)
	case len(req.Alerts) > incident.MaxAttach:
		return badRequest("too_many", "%d alerts, more than %d at once", len(req.Alerts), incident.MaxAttach)
	}
	for i, a := range req.Alerts {
		if a <= 0 {
			return badRequest("bad_id", "alerts[%d]: %d is not an event id", i, a)
		}
	}
	if _, err := s.cfg.Incidents.Get(id); err != nil {
		return incidentError(err)
	}
	ids := slices.Clone(req.Alerts)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	alerts := make([]*event.Event, 0, len(ids))
	for _, a := range ids {
		e, err := s.cfg.Store.Get(r.Context(), a)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return unprocessable("unknown_alert", "alerts[%d]: there is no event %d (retention may have removed it)", slices.Index(req.Alerts, a), a)
		case err != nil:
			return fmt.Errorf("reading alert %d: %w", a, err)
		case e.Kind != event.KindAlert:
			return unprocessable("not_alert", "alerts[%d]: event %d is of kind %s, not an alert", slices.Index(req.Alerts, a), a, e.Kind)
		}
		alerts = append(alerts, e)
	}
	inc, err := s.cfg.Incidents.Attach(r.Context(), id, alerts, s.incidentActor(r))
	if err != nil {
		return incidentError(err)
	}
	s.incidentChanged(inc, "attach")
	writeJSON(w, http.StatusOK, inc)
	return nil
}

func unprocessable(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: code, Message: fmt.Sprintf(format, args...)}
}
