package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// alertsView is the alert queue's data.
type alertsView struct {
	Level, Rule, Field, Value string
	Levels                    []string
	Fields                    []string
	Alerts                    []alertItem
	Next                      event.ID
	Error                     string
}

// alertItem is one alert of the queue.
type alertItem struct {
	ID         event.ID
	Time       time.Time
	RuleID     string
	Title      string
	Level      string
	Kind       string
	Techniques []string
	Evidence   []string
	Entities   []entityValue
	// Incident is the incident it belongs to, 0 when none (yet).
	Incident int64
}

// entityValue is one entity field and value.
type entityValue struct{ Field, Value string }

// alertFilter is the query for alerts of at least level, of a rule, and
// naming an entity value; empty parts do not narrow.
func alertFilter(level, rule, field, value string) query.Expr {
	ops := []query.Expr{&query.Term{Field: "event.kind", Value: "alert"}}
	if level != "" {
		ops = append(ops, &query.Range{Field: "event.severity", Lo: strconv.Itoa(detect.Severity(level)), IncLo: true})
	}
	if rule != "" {
		ops = append(ops, &query.Term{Field: "rule.id", Value: rule, Phrase: true})
	}
	if value != "" {
		if e := incident.EntityExpr(field, value); e != nil {
			ops = append(ops, e)
		}
	}
	return &query.And{Operands: ops}
}

func (s *server) alerts(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := &alertsView{Level: q.Get("level"), Rule: strings.TrimSpace(q.Get("rule")), Field: q.Get("field"),
		Value: strings.TrimSpace(q.Get("value")), Levels: levels, Fields: []string{}}
	d.Fields = append(d.Fields, event.EntityFields()...)
	if d.Field == "" {
		d.Field = event.UserName
	}
	status := http.StatusOK
	switch {
	case d.Level != "" && !detect.ValidLevel(d.Level):
		d.Error, status = fmt.Sprintf("Unknown level %q.", d.Level), http.StatusBadRequest
	case !slices.Contains(d.Fields, d.Field):
		d.Error, status = fmt.Sprintf("Entities are searched by %s, not %q.", strings.Join(d.Fields, ", "), d.Field), http.StatusBadRequest
	case len(d.Rule) > 256 || len(d.Value) > 1024:
		d.Error, status = "The rule or the entity value is too long.", http.StatusBadRequest
	}
	if d.Error == "" {
		st := store.Query{Expr: alertFilter(d.Level, d.Rule, d.Field, d.Value), Limit: pageSize}
		if b := q.Get("before"); b != "" {
			n, err := strconv.ParseInt(b, 10, 64)
			if err != nil || n <= 0 {
				return badRequest("The page cursor %q is not an event id.", b)
			}
			st.Before = event.ID(n)
		}
		events, err := s.cfg.Store.Search(r.Context(), st)
		if err != nil {
			return fmt.Errorf("searching alerts: %w", err)
		}
		for _, e := range events {
			d.Alerts = append(d.Alerts, s.alertItem(e))
		}
		if len(events) == pageSize {
			d.Next = events[len(events)-1].ID
		}
	}
	v.Title, v.Nav, v.Data, v.Live = "Alerts", "alerts", d, true
	s.render(w, status, "alerts", v)
	return nil
}

// incidentOf is the optional part of the incident manager that finds an
// alert's incident.
type incidentOf interface {
	IncidentOf(alert event.ID) (int64, bool)
}

func (s *server) alertItem(e *event.Event) alertItem {
	a := alertItem{ID: e.ID, Time: e.Time}
	a.RuleID, _ = e.Get("rule.id")
	a.Title, _ = e.Get("rule.name")
	a.Level, _ = e.Get("rule.level")
	a.Kind, _ = e.Get("vigie.alert.kind")
	for _, f := range e.Values("threat.technique.id") {
		a.Techniques = append(a.Techniques, f.Value)
	}
	for _, f := range e.Values("vigie.evidence") {
		a.Evidence = append(a.Evidence, f.Value)
	}
	for _, name := range event.EntityFields() {
		for _, f := range e.Values(name) {
			a.Entities = append(a.Entities, entityValue{name, f.Value})
		}
	}
	if m, ok := s.cfg.Incidents.(incidentOf); ok {
		a.Incident, _ = m.IncidentOf(e.ID)
	}
	return a
}
