package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/incident"
)

// TestAttachFromQueue adds bob's alert to alice's incident from the
// alert queue, then checks who may and what is refused.
func TestAttachFromQueue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	odd := e.alerts[2] // bob's alert, alone in incident B
	c := e.login(t, auth.RoleAnalyst)
	audits := func() int {
		t.Helper()
		list, err := e.st.AuditLog(ctx, 0, 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, en := range list {
			if strings.HasPrefix(en.Action, "incident.") {
				n++
			}
		}
		return n
	}

	_, body := c.get("/ui/alerts")
	for _, want := range []string{
		`id="attach-button"`,
		fmt.Sprintf(`<option value="%d">#%d high: rule ssh-brute`, e.incA, e.incA),
		fmt.Sprintf(`<option value="%d">#%d low: rule odd-login`, e.incB, e.incB),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the analyst's queue lacks %q", want)
		}
	}
	viewer := e.login(t, auth.RoleViewer)
	if _, body := viewer.get("/ui/alerts"); strings.Contains(body, "attach") || strings.Contains(body, `type="checkbox"`) {
		t.Errorf("a viewer's queue offers to add alerts to an incident")
	}

	// Refused forms say why on the queue, and change nothing.
	if _, err := e.incidents.Merge(ctx, e.incA, e.incB, incident.Actor{Name: "setup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.incidents.Split(ctx, e.incA, e.incB, incident.Actor{Name: "setup"}); err != nil {
		t.Fatal(err)
	}
	before := audits()
	inc := fmt.Sprint(e.incA)
	for name, tc := range map[string]struct {
		form url.Values
		want string
	}{
		"no alert":        {url.Values{"incident": {inc}}, "Check the alerts to change."},
		"no incident":     {url.Values{"id": ids(odd)}, "Choose the incident to add the alerts to."},
		"not a number":    {url.Values{"id": ids(odd), "incident": {xss}}, "&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; is not an incident number."},
		"zero":            {url.Values{"id": ids(odd), "incident": {"0"}}, "&#34;0&#34; is not an incident number."},
		"unknown":         {url.Values{"id": ids(odd), "incident": {"999"}}, "There is no incident 999."},
		"not an alert":    {url.Values{"id": {"1"}, "incident": {inc}}, "Event 1 is not an alert."},
		"gone":            {url.Values{"id": {"99999"}, "incident": {inc}}, "There is no alert 99999"},
		"not an alert id": {url.Values{"id": {"x"}, "incident": {inc}}, "Checked alert 1, &#34;x&#34;, is not an alert id."},
	} {
		resp, body := c.postCSRF("/ui/alerts/attach", tc.form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="attach-error"`) {
			t.Errorf("%s: %s, want 400 with %q on the queue", name, resp.Status, tc.want)
		}
		if strings.Contains(body, xss) {
			t.Errorf("%s: a script shows unescaped", name)
		}
	}
	if resp, _ := c.post("/ui/alerts/attach", url.Values{"id": ids(odd), "incident": {inc}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: %s, want 403", resp.Status)
	}
	if resp, _ := viewer.postCSRF("/ui/alerts/attach", url.Values{"id": ids(odd), "incident": {inc}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("as a viewer: %s, want 403", resp.Status)
	}
	if n := audits(); n != before {
		t.Errorf("refused forms were audited: %d incident entries, want %d", n, before)
	}
	if id, _ := e.incidents.IncidentOf(odd); id != e.incB {
		t.Fatalf("bob's alert is in incident %d after refused forms, want %d", id, e.incB)
	}

	// Bob's alert joins alice's incident; the queue says so, linking it.
	resp, _ := c.postCSRF("/ui/alerts/attach", url.Values{"id": ids(odd), "incident": {inc}, "back": {"state=all&junk=1"}})
	wantLoc := fmt.Sprintf("/ui/alerts?attached=%d&count=1&state=all", e.incA)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != wantLoc {
		t.Fatalf("attach: %s to %q, want 303 to %q", resp.Status, resp.Header.Get("Location"), wantLoc)
	}
	_, body = c.get(wantLoc)
	if want := fmt.Sprintf(`Added 1 alert to <a href="/ui/incidents/%d">incident %d: rule ssh-brute`, e.incA, e.incA); !strings.Contains(body, want) {
		t.Errorf("the queue after attaching lacks %q", want)
	}
	a, err := e.incidents.Get(e.incA)
	if err != nil {
		t.Fatal(err)
	}
	if !a.HasAlert(odd) || len(a.Alerts) != 3 || a.Joins[len(a.Joins)-1].Because != fmt.Sprintf("added by anna, moved from #%d", e.incB) {
		t.Errorf("incident %d: %d alerts, joins %+v; want bob's alert added by anna", e.incA, len(a.Alerts), a.Joins)
	}
	if b, _ := e.incidents.Get(e.incB); b.Status != incident.StatusMerged || b.MergedInto != e.incA {
		t.Errorf("incident %d, emptied: %s into %d, want merged into %d", e.incB, b.Status, b.MergedInto, e.incA)
	}
	_, body = c.get(fmt.Sprintf("/ui/incidents/%d", e.incA))
	if !strings.Contains(body, "Alerts (3)") || !strings.Contains(body, "rule odd-login") || !strings.Contains(body, "added by anna") {
		t.Errorf("the incident page does not show the added alert")
	}
	// A message naming an incident that does not exist is not shown.
	if _, body := c.get("/ui/alerts?attached=999&count=1"); strings.Contains(body, "attach-result") {
		t.Errorf("the queue shows a message about incident 999")
	}
	// The merged incident is no longer offered; adding to it is refused.
	_, body = c.get("/ui/alerts")
	if strings.Contains(body, fmt.Sprintf(`<option value="%d">`, e.incB)) {
		t.Errorf("the picker offers merged incident %d", e.incB)
	}
	_, body = c.postCSRF("/ui/alerts/attach", url.Values{"id": ids(e.alerts[0]), "incident": {fmt.Sprint(e.incB)}})
	if want := fmt.Sprintf("merged into incident %d", e.incA); !strings.Contains(body, want) {
		t.Errorf("adding to the merged incident: the queue lacks %q", want)
	}
}
