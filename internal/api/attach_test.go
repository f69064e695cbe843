package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
)

// TestAttachAlerts moves bob's alert into alice's incident by hand, then
// checks each refusal.
func TestAttachAlerts(t *testing.T) {
	e := newTriageEnv(t)
	d := storeTriageData(t, e)
	A, B, C := d.incA, d.incB, d.incC
	path := func(id int64) string { return fmt.Sprintf("/api/v1/incidents/%d/alerts", id) }

	var inc incident.Incident
	e.call(t, "POST", path(A), fmt.Sprintf(`{"alerts":[%d,%d,%d]}`, d.b1.ID, d.a1.ID, d.b1.ID), http.StatusOK, &inc)
	var got []event.ID
	for _, a := range inc.Alerts {
		got = append(got, a.ID)
	}
	if want := []event.ID{d.a1.ID, d.a2.ID, d.b1.ID}; !slices.Equal(got, want) {
		t.Errorf("incident %d alerts %v, want %v", A, got, want)
	}
	if en := inc.Entity(event.UserName, "bob"); en == nil || len(en.Links) != 1 {
		t.Errorf("bob is not a linking entity of incident %d: %+v", A, en)
	}
	if j := inc.Joins[len(inc.Joins)-1]; j.Alert != d.b1.ID || j.Because != fmt.Sprintf("added by admin, moved from #%d", B) {
		t.Errorf("last join %+v, want bob's alert added by admin, moved from #%d", j, B)
	}
	// B had only that alert: it is merged into A.
	var b incident.Incident
	e.call(t, "GET", fmt.Sprintf("/api/v1/incidents/%d", B), "", http.StatusOK, &b)
	if b.Status != incident.StatusMerged || b.MergedInto != A || len(b.Alerts) != 0 {
		t.Errorf("incident %d after losing its alert: %s into %d, %d alerts", B, b.Status, b.MergedInto, len(b.Alerts))
	}
	if ch := e.changesSeen(); !slices.Equal(ch, []string{fmt.Sprintf("%d attach", A)}) {
		t.Errorf("OnIncident calls %q, want one attach", ch)
	}
	entries := e.audit(t, fmt.Sprintf("incident/%d", A))
	if len(entries) != 1 || entries[0].Action != "incident.attach" || entries[0].Actor != "admin" || entries[0].Remote == "" {
		t.Fatalf("audit of incident %d: %+v, want one incident.attach by admin", A, entries)
	}
	var detail struct {
		Alerts []event.ID `json:"alerts"`
		Moved  []struct {
			From   int64      `json:"from"`
			Alerts []event.ID `json:"alerts"`
		} `json:"moved"`
	}
	if err := json.Unmarshal(entries[0].Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(detail.Alerts, []event.ID{d.b1.ID}) || len(detail.Moved) != 1 || detail.Moved[0].From != B {
		t.Errorf("audit detail %s, want bob's alert moved from %d", entries[0].Detail, B)
	}
	if en := e.audit(t, fmt.Sprintf("incident/%d", B)); len(en) != 1 || en[0].Action != "incident.detach" {
		t.Errorf("audit of incident %d: %+v, want one incident.detach", B, en)
	}

	// Refusals change nothing.
	e.call(t, "PATCH", fmt.Sprintf("/api/v1/incidents/%d", C), `{"status":"resolved"}`, http.StatusOK, nil)
	for _, tc := range []struct {
		id     int64
		body   string
		status int
		code   string
		says   string
	}{
		{A, `{"alerts":[]}`, 400, "no_alerts", "name the alerts"},
		{A, `{}`, 400, "no_alerts", "name the alerts"},
		{A, `{"alerts":[1,0]}`, 400, "bad_id", "alerts[1]: 0 is not an event id"},
		{A, `{"alerts":"7"}`, 400, "bad_json", "request body"},
		{A, `{"ids":[7]}`, 400, "bad_json", "unknown field"},
		{A, "{\"alerts\":[" + strings.Repeat("1,", incident.MaxAttach) + "1]}", 400, "too_many", "1001 alerts, more than 1000"},
		{9999, fmt.Sprintf(`{"alerts":[%d]}`, d.c1.ID), 404, "not_found", "incident 9999"},
		{A, fmt.Sprintf(`{"alerts":[%d,99999]}`, d.c1.ID), 422, "unknown_alert", "alerts[1]: there is no event 99999"},
		{A, fmt.Sprintf(`{"alerts":[%d]}`, d.alice[0].ID), 422, "not_alert", fmt.Sprintf("alerts[0]: event %d is of kind event, not an alert", d.alice[0].ID)},
		{B, fmt.Sprintf(`{"alerts":[%d]}`, d.c1.ID), 409, "bad_transition", fmt.Sprintf("merged into incident %d", A)},
		{C, fmt.Sprintf(`{"alerts":[%d]}`, d.a1.ID), 409, "bad_transition", "it is resolved; reopen it first"},
	} {
		ae := e.fail(t, "POST", path(tc.id), tc.body, tc.status, tc.code)
		if !strings.Contains(ae.Message, tc.says) {
			t.Errorf("POST %s %.60s: %q, want it to say %q", path(tc.id), tc.body, ae.Message, tc.says)
		}
	}
	e.fail(t, "POST", "/api/v1/incidents/x/alerts", `{"alerts":[1]}`, 400, "bad_id")
	if n := len(e.audit(t, fmt.Sprintf("incident/%d", A))); n != 1 {
		t.Errorf("refused attachments were audited: %d entries on incident %d, want 1", n, A)
	}
	if id, _ := e.incidents.IncidentOf(d.c1.ID); id != C {
		t.Errorf("carol's alert moved to %d by a refused request", id)
	}
}
