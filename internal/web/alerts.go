package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
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
	// State is the triage state filter (stateFilters); Triage says that
	// AlertStates is set.
	State  string
	Triage bool
	// Check shows the rows' checkboxes and the triage form (analysts).
	Check bool
	// FormError is why a triage form was refused; Back is the queue's
	// query, for the form to return to.
	FormError, Back string
	// Analysts are the users alerts may be assigned to.
	Analysts []string
	// Attach shows the "add to incident" part of the form (analysts,
	// with Incidents), with the open incidents to choose from;
	// AttachError is why it was refused, Attached what it did.
	Attach      bool
	Open        []incidentChoice
	OpenMore    bool
	AttachError string
	Attached    *attachedNote
}

// queueForms are the reasons the queue's bulk forms were refused.
type queueForms struct{ triage, attach string }

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
	// State is its triage state, with AlertStates.
	State AlertState
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

// maxQueueScan bounds the alerts read for one page of the queue when
// the state filter hides many of them.
const maxQueueScan = 20 * pageSize

func (s *server) alerts(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.alertsPage(w, r, v, r.URL.Query(), queueForms{})
}

// alertsPage shows the queue filtered by q; forms says why a bulk form
// was refused.
func (s *server) alertsPage(w http.ResponseWriter, r *http.Request, v *view, q url.Values, forms queueForms) error {
	d := &alertsView{Level: q.Get("level"), Rule: strings.TrimSpace(q.Get("rule")), Field: q.Get("field"),
		Value: strings.TrimSpace(q.Get("value")), State: q.Get("state"), Levels: levels, Fields: []string{},
		Triage: s.cfg.AlertStates != nil, FormError: forms.triage, AttachError: forms.attach, Back: queueQuery(q.Encode()).Encode()}
	formErr := forms.triage + forms.attach
	d.Fields = append(d.Fields, event.EntityFields()...)
	if d.Field == "" {
		d.Field = event.UserName
	}
	status := http.StatusOK
	if formErr != "" {
		status = http.StatusBadRequest
	}
	switch {
	case d.Level != "" && !detect.ValidLevel(d.Level):
		d.Error, status = fmt.Sprintf("Unknown level %q.", d.Level), http.StatusBadRequest
	case !slices.Contains(d.Fields, d.Field):
		d.Error, status = fmt.Sprintf("Entities are searched by %s, not %q.", strings.Join(d.Fields, ", "), d.Field), http.StatusBadRequest
	case len(d.Rule) > 256 || len(d.Value) > 1024:
		d.Error, status = "The rule or the entity value is too long.", http.StatusBadRequest
	case d.Triage && !slices.Contains(stateFilters, d.State):
		d.Error, status = fmt.Sprintf("Unknown state %q: new, acknowledged, false_positive or all.", d.State), http.StatusBadRequest
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
		if err := s.fillQueue(r.Context(), d, st); err != nil {
			return err
		}
	}
	d.Attach = s.cfg.Incidents != nil && v.Can("analyst")
	if d.Attach {
		d.Open, d.OpenMore = s.openIncidents()
		d.Attached = s.attached(q)
	}
	d.Check = (d.Triage || d.Attach) && v.Can("analyst")
	if d.Triage && d.Check && s.cfg.Users != nil {
		if users, err := s.cfg.Users.Users(r.Context()); err == nil {
			for _, u := range users {
				if !u.Disabled && u.Role.Allows(auth.RoleAnalyst) {
					d.Analysts = append(d.Analysts, u.Name)
				}
			}
		}
	}
	v.Title, v.Nav, v.Data, v.Live = "Alerts", "alerts", d, true
	s.render(w, status, "alerts", v)
	return nil
}

// fillQueue reads a page of alerts from st on. Without AlertStates it is
// one store page; with them, pages are read until pageSize alerts pass
// the state filter or maxQueueScan were read.
func (s *server) fillQueue(ctx context.Context, d *alertsView, st store.Query) error {
	for scanned := 0; ; {
		events, err := s.cfg.Store.Search(ctx, st)
		if err != nil {
			return fmt.Errorf("searching alerts: %w", err)
		}
		scanned += len(events)
		var states map[event.ID]AlertState
		if d.Triage && len(events) > 0 {
			ids := make([]event.ID, len(events))
			for i, e := range events {
				ids[i] = e.ID
			}
			if states, err = s.cfg.AlertStates.States(ctx, ids); err != nil {
				return fmt.Errorf("reading alert states: %w", err)
			}
		}
		for _, e := range events {
			a := s.alertItem(e)
			if d.Triage {
				a.State = states[e.ID]
				if a.State.Status == "" {
					a.State.Status = AlertNew
				}
				if !keeps(d.State, a.State.Status) {
					continue
				}
			}
			if len(d.Alerts) == pageSize {
				d.Next = d.Alerts[len(d.Alerts)-1].ID
				return nil
			}
			d.Alerts = append(d.Alerts, a)
		}
		if len(events) < pageSize {
			return nil
		}
		st.Before = events[len(events)-1].ID
		if len(d.Alerts) == pageSize || scanned >= maxQueueScan {
			d.Next = st.Before
			return nil
		}
	}
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
