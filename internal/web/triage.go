package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/alertstate"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// The states of an alert in the queue.
const (
	AlertNew           = alertstate.StatusNew
	AlertAcknowledged  = alertstate.StatusAcknowledged
	AlertFalsePositive = alertstate.StatusFalsePositive
)

// AlertState is where an alert stands in triage (package alertstate
// keeps it). An alert without one is new.
type AlertState = alertstate.State

// MaxTriage is the most alerts one triage form changes.
const MaxTriage = 500

// AlertStates keeps the alerts' triage states. The integrator implements
// it (with audit); the console shows the states in the alert queue and
// lets analysts change many alerts at once.
type AlertStates interface {
	// States returns the states of those of ids that have one.
	States(ctx context.Context, ids []event.ID) (map[event.ID]AlertState, error)
	// Set changes the alerts ids (at most MaxTriage); an empty status,
	// assignee or reason leaves that field as it is.
	Set(ctx context.Context, ids []event.ID, status, assignee, reason string, who auth.Identity, remote string) error
}

// stateFilters are the queue's state filter values; "" is the default:
// every alert but false positives.
var stateFilters = []string{"", AlertNew, AlertAcknowledged, AlertFalsePositive, "all"}

// keeps reports whether the state filter f shows an alert of status.
func keeps(f, status string) bool {
	switch f {
	case "":
		return status != AlertFalsePositive
	case "all":
		return true
	}
	return f == status
}

// triageActions are the bulk form's actions.
var triageActions = []string{"acknowledge", "false_positive", "assign", "reset"}

// triage applies the bulk form to the checked alerts and returns to the
// queue as it was filtered. A refused form shows the queue again with
// the reason.
func (s *server) triage(w http.ResponseWriter, r *http.Request, v *view) error {
	back := queueQuery(r.PostFormValue("back"))
	action := r.PostFormValue("action")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	assignee := strings.TrimSpace(r.PostFormValue("assignee"))
	ids, msg := triageIDs(r.PostForm["id"])
	if msg == "" {
		msg = s.checkTriage(r.Context(), action, reason, assignee)
	}
	if msg == "" {
		msg = s.checkAlerts(r.Context(), ids)
	}
	if msg != "" {
		return s.alertsPage(w, r, v, back, queueForms{triage: msg})
	}
	status := map[string]string{"acknowledge": AlertAcknowledged, "false_positive": AlertFalsePositive, "reset": AlertNew}[action]
	if action != "false_positive" {
		reason = ""
	}
	if action != "assign" {
		assignee = ""
	}
	if err := s.cfg.AlertStates.Set(r.Context(), ids, status, assignee, reason, identity(r, v), r.RemoteAddr); err != nil {
		return fmt.Errorf("triaging %d alerts: %w", len(ids), err)
	}
	return seeOther(w, r, "/ui/alerts?"+back.Encode())
}

// triageIDs parses the checked alert ids: 1 to MaxTriage positive
// numbers, duplicates dropped.
func triageIDs(raw []string) ([]event.ID, string) {
	if len(raw) == 0 {
		return nil, "Check the alerts to change."
	}
	if len(raw) > MaxTriage {
		return nil, fmt.Sprintf("Change at most %d alerts at once (%d checked).", MaxTriage, len(raw))
	}
	ids := make([]event.ID, 0, len(raw))
	for i, s := range raw {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Sprintf("Checked alert %d, %q, is not an alert id.", i+1, truncate(s, 40))
		}
		ids = append(ids, event.ID(n))
	}
	slices.Sort(ids)
	return slices.Compact(ids), ""
}

// checkTriage checks the form's action and its reason or assignee.
func (s *server) checkTriage(ctx context.Context, action, reason, assignee string) string {
	switch {
	case !slices.Contains(triageActions, action):
		return fmt.Sprintf("Choose what to do: %s (got %q).", strings.Join(triageActions, ", "), truncate(action, 40))
	case action == "false_positive" && reason == "":
		return "Say why the alerts are false positives."
	case len(reason) > maxNote:
		return fmt.Sprintf("The reason is over %d characters.", maxNote)
	case action == "assign" && assignee == "":
		return "Name the analyst to assign the alerts to."
	case len(assignee) > 64:
		return "The assignee's name is too long."
	case action == "assign" && s.cfg.Users != nil:
		users, err := s.cfg.Users.Users(ctx)
		if err != nil {
			return "The users could not be read; try again."
		}
		for _, u := range users {
			if strings.EqualFold(u.Name, assignee) {
				if u.Disabled || !u.Role.Allows(auth.RoleAnalyst) {
					return fmt.Sprintf("%s cannot triage alerts (disabled, or not an analyst).", u.Name)
				}
				return ""
			}
		}
		return fmt.Sprintf("There is no user %q.", assignee)
	}
	return ""
}

// checkAlerts checks that every id is a stored alert.
func (s *server) checkAlerts(ctx context.Context, ids []event.ID) string {
	for _, id := range ids {
		e, err := s.cfg.Store.Get(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Sprintf("There is no alert %d (retention may have removed it).", id)
		case err != nil:
			return fmt.Sprintf("Alert %d could not be read; try again.", id)
		case e.Kind != event.KindAlert:
			return fmt.Sprintf("Event %d is not an alert.", id)
		}
	}
	return ""
}

// queueQuery keeps the alert queue's own parameters of a query string.
func queueQuery(raw string) url.Values {
	q, _ := url.ParseQuery(raw)
	out := url.Values{}
	for _, k := range []string{"level", "rule", "field", "value", "state", "before"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}
