package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
)

// decisionList is the decisions page's data.
type decisionList struct {
	All       bool // ended decisions too
	Decisions []*respond.Decision
	Now       time.Time
	// The create form, after a refusal.
	Form  decisionForm
	Error string
}

// decisionForm is what the create form sends.
type decisionForm struct {
	Scope, Value, Duration, Reason, Incident string
}

func (s *server) decisions(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &decisionList{All: r.URL.Query().Get("all") == "1", Now: s.cfg.Now(), Form: decisionForm{Scope: respond.ScopeIP, Duration: "4h"}}
	return s.showDecisions(w, r, v, d, http.StatusOK)
}

func (s *server) showDecisions(w http.ResponseWriter, r *http.Request, v *view, d *decisionList, status int) error {
	list, err := s.cfg.Decisions.List(r.Context(), respond.Filter{Active: !d.All})
	if err != nil {
		return fmt.Errorf("listing decisions: %w", err)
	}
	d.Decisions = list
	v.Title, v.Nav, v.Data, v.Live = "Decisions", "decisions", d, true
	s.render(w, status, "decisions", v)
	return nil
}

// actionOf is the action a decision of scope takes.
func actionOf(scope string) string {
	switch scope {
	case respond.ScopeIP, respond.ScopeRange:
		return respond.ActionBlock
	case respond.ScopeAccount:
		return respond.ActionDisable
	case respond.ScopeHost:
		return respond.ActionIsolate
	}
	return ""
}

func (s *server) respondActor(r *http.Request, v *view) respond.Actor {
	return respond.Actor{Name: v.Sess.User, Origin: respond.OriginAnalyst, Remote: r.RemoteAddr}
}

// createDecision makes a decision from the decisions page's form or the
// incident page's "block source" form (which sends incident=ID and comes
// back to the incident).
func (s *server) createDecision(w http.ResponseWriter, r *http.Request, v *view) error {
	f := decisionForm{Scope: r.PostFormValue("scope"), Value: strings.TrimSpace(r.PostFormValue("value")),
		Duration: strings.TrimSpace(r.PostFormValue("duration")), Reason: strings.TrimSpace(r.PostFormValue("reason")),
		Incident: strings.TrimSpace(r.PostFormValue("incident"))}
	var msg string
	var dur time.Duration
	if f.Duration != "" {
		var err error
		if dur, err = time.ParseDuration(f.Duration); err != nil || dur <= 0 {
			msg = fmt.Sprintf("Duration %q: write a positive duration such as 30m, 4h or 168h.", f.Duration)
		}
	}
	if f.Incident != "" {
		if _, err := strconv.ParseInt(f.Incident, 10, 64); err != nil {
			return badRequest("Incident %q is not an incident number.", f.Incident)
		}
	}
	action := actionOf(f.Scope)
	if msg == "" && action == "" {
		msg = fmt.Sprintf("Choose a scope: ip, range, account or host (got %q).", f.Scope)
	}
	if msg == "" {
		_, err := s.cfg.Decisions.Decide(r.Context(), respond.Request{Action: action, Scope: f.Scope, Value: f.Value,
			Duration: dur, Reason: f.Reason, Incident: f.Incident}, s.respondActor(r, v))
		switch {
		case err == nil:
			if f.Incident != "" {
				return seeOther(w, r, "/ui/incidents/"+f.Incident+"#decisions")
			}
			return seeOther(w, r, "/ui/decisions")
		case errors.Is(err, respond.ErrInvalid), errors.Is(err, respond.ErrAllowListed), errors.Is(err, respond.ErrTooMany):
			msg = err.Error()
		default:
			return err
		}
	}
	if f.Incident != "" && s.cfg.Incidents != nil {
		id, _ := strconv.ParseInt(f.Incident, 10, 64)
		inc, err := s.cfg.Incidents.Get(id)
		if err == nil {
			return s.formFailed(w, r, v, &incidentView{Inc: inc, DecisionError: msg})
		}
	}
	return s.showDecisions(w, r, v, &decisionList{Now: s.cfg.Now(), Form: f, Error: msg}, http.StatusBadRequest)
}

func (s *server) revokeDecision(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(reason) > maxNote {
		return badRequest("The reason is over %d characters.", maxNote)
	}
	dec, err := s.cfg.Decisions.Revoke(r.Context(), id, s.respondActor(r, v), reason)
	switch {
	case errors.Is(err, respond.ErrNotFound):
		return notFound("There is no decision %q.", id)
	case errors.Is(err, respond.ErrEnded):
		return &pageError{Status: http.StatusConflict, Msg: fmt.Sprintf("Decision %s has already ended.", id)}
	case err != nil:
		return err
	}
	if back := r.PostFormValue("back"); back == "incident" && dec.Incident != "" {
		return seeOther(w, r, "/ui/incidents/"+dec.Incident+"#decisions")
	}
	return seeOther(w, r, "/ui/decisions")
}
