package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/vigie-sec/vigie/internal/alertstate"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// AlertStates keeps the analysts' triage of alerts.
type AlertStates interface {
	States(ctx context.Context, ids []event.ID) (map[event.ID]alertstate.State, error)
	Set(ctx context.Context, ids []event.ID, status, assignee, reason, who, remote string) error
}

// AlertTriage is the body of PATCH /api/v1/alerts: a change to several
// alerts at once ("" leaves a field as it is).
type AlertTriage struct {
	IDs      []event.ID `json:"ids"`
	Status   string     `json:"status,omitempty"` // new, acknowledged, false_positive
	Assignee string     `json:"assignee,omitempty"`
	Reason   string     `json:"reason,omitempty"` // required for false_positive
}

func (s *server) triageAlerts(w http.ResponseWriter, r *http.Request) error {
	var req AlertTriage
	if err := readJSON(r, &req); err != nil {
		return err
	}
	err := s.cfg.AlertStates.Set(r.Context(), req.IDs, req.Status, req.Assignee, req.Reason, actor(r), r.RemoteAddr)
	if errors.Is(err, alertstate.ErrInput) {
		return badRequest("invalid_triage", "%v", err)
	}
	if err != nil {
		return err
	}
	states, err := s.cfg.AlertStates.States(r.Context(), req.IDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"states": states})
	return nil
}

// RuleSwitches turns rules off and on.
type RuleSwitches interface {
	Disabled(ctx context.Context) (map[string]bool, error)
	SetDisabled(ctx context.Context, ruleID string, disabled bool, who auth.Identity, remote string) error
}

// RulesResponse is the body of GET /api/v1/rules: every rule live
// detection loaded, with its status (ok, unsupported, invalid, disabled)
// and why.
type RulesResponse struct {
	Rules []detect.RuleReport `json:"rules"`
}

func (s *server) listRules(w http.ResponseWriter, r *http.Request) error {
	resp := RulesResponse{Rules: []detect.RuleReport{}}
	if rs := s.cfg.Rules(); rs != nil {
		resp.Rules = append(resp.Rules, rs.Reports...)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *server) switchRule(disabled bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.cfg.RuleSwitches.SetDisabled(r.Context(), r.PathValue("id"), disabled, identity(r), r.RemoteAddr); err != nil {
			return badRequest("bad_rule", "%v", err)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
