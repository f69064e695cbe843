package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/alertstate"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
)

// Alert is one alert as GET /api/v1/alerts returns it. Alerts are stored
// as events of kind alert; this is their summary, and the full event is at
// /api/v1/events/{id}.
type Alert struct {
	ID         event.ID            `json:"id"`
	Time       time.Time           `json:"time"`
	RuleID     string              `json:"rule_id"`
	RuleTitle  string              `json:"rule_title"`
	Level      string              `json:"level"`
	Kind       string              `json:"kind"` // match or correlation
	Tags       []string            `json:"tags"`
	Techniques []string            `json:"techniques,omitempty"`
	Evidence   []string            `json:"evidence"`
	Group      map[string]string   `json:"group,omitempty"`
	Entities   map[string][]string `json:"entities,omitempty"`
	// State is the analysts' triage, when the server keeps it.
	State *alertstate.State `json:"state,omitempty"`
}

// AlertsResponse is the body of GET /api/v1/alerts.
type AlertsResponse struct {
	Alerts []Alert  `json:"alerts"`
	Next   event.ID `json:"next,omitempty"`
}

// levelSeverity is the ECS event.severity of each Sigma level, as package
// detect writes it.
var levelSeverity = map[string]int{"informational": 21, "low": 31, "medium": 47, "high": 73, "critical": 99}

// alerts serves GET /api/v1/alerts: the parameters of GET /api/v1/events,
// restricted to alerts, plus level (the lowest level returned).
func (s *server) alerts(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parseQuery(r)
	if err != nil {
		return err
	}
	restrict := "event.kind:alert"
	if lv := r.URL.Query().Get("level"); lv != "" {
		sev, ok := levelSeverity[strings.ToLower(lv)]
		if !ok {
			return badRequest("bad_level", "level must be informational, low, medium, high or critical, got %q", lv)
		}
		restrict += " AND event.severity:>=" + strconv.Itoa(sev)
	}
	if text := strings.TrimSpace(r.URL.Query().Get("q")); text != "" {
		restrict += " AND (" + text + ")"
	}
	if q.Expr, err = query.Parse(restrict); err != nil {
		return fmt.Errorf("alert query: %w", err)
	}
	events, err := s.cfg.Store.Search(r.Context(), q)
	if err != nil {
		return fmt.Errorf("searching alerts: %w", err)
	}
	resp := AlertsResponse{Alerts: make([]Alert, 0, len(events))}
	for _, e := range events {
		resp.Alerts = append(resp.Alerts, alertOf(e))
	}
	if s.cfg.AlertStates != nil && len(events) > 0 {
		ids := make([]event.ID, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		states, err := s.cfg.AlertStates.States(r.Context(), ids)
		if err != nil {
			return err
		}
		for i := range resp.Alerts {
			st := states[resp.Alerts[i].ID]
			resp.Alerts[i].State = &st
		}
	}
	resp.Next = nextCursor(events, q.Limit)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func alertOf(e *event.Event) Alert {
	a := Alert{ID: e.ID, Time: e.Time, Tags: []string{}, Evidence: []string{}}
	a.RuleID, _ = e.Get("rule.id")
	a.RuleTitle, _ = e.Get("rule.name")
	a.Level, _ = e.Get("rule.level")
	a.Kind, _ = e.Get("vigie.alert.kind")
	for _, f := range e.Fields {
		switch {
		case f.Name == "tags":
			a.Tags = append(a.Tags, f.Value)
		case f.Name == "threat.technique.id":
			a.Techniques = append(a.Techniques, f.Value)
		case f.Name == "vigie.evidence":
			a.Evidence = append(a.Evidence, f.Value)
		case strings.HasPrefix(f.Name, "vigie.group."):
			if a.Group == nil {
				a.Group = map[string]string{}
			}
			a.Group[strings.TrimPrefix(f.Name, "vigie.group.")] = f.Value
		}
	}
	for _, name := range event.EntityFields() {
		for _, f := range e.Values(name) {
			if a.Entities == nil {
				a.Entities = map[string][]string{}
			}
			a.Entities[name] = append(a.Entities[name], f.Value)
		}
	}
	return a
}
