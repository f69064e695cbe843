package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/web"
)

// stateCell finds an alert row's checkbox (if any) and its state cell.
var stateCellRE = regexp.MustCompile(`(?s)<tr>\s*(?:<td><input type="checkbox" name="id" value="(\d+)"[^>]*></td>)?\s*<td><a href="/ui/events/(\d+)">.*?<td class="state-([a-z_]+)">(.*?)</td>`)

// queueStates returns the state cell of each alert of a queue page, and
// the alerts with a checkbox.
func queueStates(body string) (map[event.ID]string, []event.ID) {
	states := map[event.ID]string{}
	var checked []event.ID
	for _, m := range stateCellRE.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[2], 10, 64)
		states[event.ID(id)] = m[3] + " " + m[4]
		if m[1] != "" {
			checked = append(checked, event.ID(id))
		}
	}
	return states, checked
}

func ids(list ...event.ID) []string {
	var out []string
	for _, id := range list {
		out = append(out, fmt.Sprint(id))
	}
	return out
}

func TestTriage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sts := &recordStates{e.st, e.st}
	brute, sudo, odd := e.alerts[0], e.alerts[1], e.alerts[2]
	c := e.login(t, auth.RoleAnalyst)
	audits := func() int {
		t.Helper()
		list, err := e.st.AuditLog(ctx, 0, 1000, "alerts")
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	_, body := c.get("/ui/alerts")
	states, checks := queueStates(body)
	if len(states) != 3 || states[brute] != "new new" || states[odd] != "new new" || len(checks) != 3 || !strings.Contains(body, `id="triage-form"`) {
		t.Errorf("analyst's queue: states %v, checkboxes %v, want 3 new alerts with checkboxes and the form", states, checks)
	}
	if !strings.Contains(body, `<datalist id="t-analysts"><option value="ada"><option value="anna"><option value="rick"></datalist>`) {
		t.Errorf("the assignee list is not the analysts, responders and admins")
	}
	_, body = e.login(t, auth.RoleViewer).get("/ui/alerts")
	if states, checks := queueStates(body); len(states) != 3 || len(checks) != 0 || strings.Contains(body, "triage-form") {
		t.Errorf("viewer's queue: states %v, checkboxes %v, want 3 states and no form", states, checks)
	}

	resp, _ := c.postCSRF("/ui/alerts/triage", url.Values{"id": ids(brute, sudo, brute), "action": {"acknowledge"},
		"back": {"level=low&state=all&junk=1&before=99"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/alerts?before=99&level=low&state=all" {
		t.Errorf("acknowledge: %s to %q, want 303 to the queue as filtered", resp.Status, resp.Header.Get("Location"))
	}
	resp, _ = c.postCSRF("/ui/alerts/triage", url.Values{"id": ids(odd), "action": {"false_positive"}, "reason": {"scanner " + xss}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("false positive: %s, want 303", resp.Status)
	}
	resp, _ = c.postCSRF("/ui/alerts/triage", url.Values{"id": ids(brute), "action": {"assign"}, "assignee": {"rick"}, "reason": {"ignored"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("assign: %s, want 303", resp.Status)
	}
	got, err := sts.States(ctx, e.alerts)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[event.ID]web.AlertState{
		brute: {Status: web.AlertAcknowledged, Assignee: "rick", By: "anna"},
		sudo:  {Status: web.AlertAcknowledged, By: "anna"},
		odd:   {Status: web.AlertFalsePositive, Reason: "scanner " + xss, By: "anna"},
	} {
		g := got[id]
		g.Time = time.Time{}
		if g != want {
			t.Errorf("alert %d: state %+v, want %+v", id, g, want)
		}
	}
	if n := audits(); n != 3 {
		t.Errorf("%d triage audit entries, want 3", n)
	}

	// Refused forms change nothing and say why, on the queue.
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprint(i + 1)
	}
	for name, tc := range map[string]struct {
		form url.Values
		want string
	}{
		"no alert":        {url.Values{"action": {"acknowledge"}}, "Check the alerts to change."},
		"too many":        {url.Values{"id": many, "action": {"acknowledge"}}, "Change at most 500 alerts at once (501 checked)."},
		"not an id":       {url.Values{"id": {"7", xss}, "action": {"acknowledge"}}, "Checked alert 2, &#34;&lt;script&gt;"},
		"not an alert":    {url.Values{"id": {"1"}, "action": {"acknowledge"}}, "Event 1 is not an alert."},
		"gone":            {url.Values{"id": {"99999"}, "action": {"acknowledge"}}, "There is no alert 99999"},
		"no action":       {url.Values{"id": ids(sudo)}, "Choose what to do: acknowledge, false_positive, assign, reset"},
		"no reason":       {url.Values{"id": ids(sudo), "action": {"false_positive"}, "reason": {"  "}}, "Say why the alerts are false positives."},
		"no assignee":     {url.Values{"id": ids(sudo), "action": {"assign"}}, "Name the analyst"},
		"viewer assignee": {url.Values{"id": ids(sudo), "action": {"assign"}, "assignee": {"vera"}}, "vera cannot triage alerts"},
		"unknown user":    {url.Values{"id": ids(sudo), "action": {"assign"}, "assignee": {"nobody"}}, "There is no user &#34;nobody&#34;."},
	} {
		resp, body := c.postCSRF("/ui/alerts/triage", tc.form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="triage-error"`) {
			t.Errorf("%s: %s, want 400 with %q on the queue", name, resp.Status, tc.want)
		}
		if strings.Contains(body, xss) {
			t.Errorf("%s: a script shows unescaped", name)
		}
	}
	if resp, _ := c.post("/ui/alerts/triage", url.Values{"id": ids(sudo), "action": {"reset"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: %s, want 403", resp.Status)
	}
	if resp, _ := e.login(t, auth.RoleViewer).postCSRF("/ui/alerts/triage", url.Values{"id": ids(sudo), "action": {"reset"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("as a viewer: %s, want 403", resp.Status)
	}
	if n := audits(); n != 3 {
		t.Errorf("refused forms were audited: %d triage entries, want 3", n)
	}

	// The state filter; false positives are hidden by default.
	for q, want := range map[string][]event.ID{
		"":                     {sudo, brute},
		"state=all":            {odd, sudo, brute},
		"state=new":            nil,
		"state=acknowledged":   {sudo, brute},
		"state=false_positive": {odd},
	} {
		resp, body := c.get("/ui/alerts?" + q)
		states, _ := queueStates(body)
		var shown []event.ID
		for _, m := range stateCellRE.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseInt(m[2], 10, 64)
			shown = append(shown, event.ID(id))
		}
		if resp.StatusCode != http.StatusOK || !slices.Equal(shown, want) {
			t.Errorf("alerts?%s: %s, alerts %v, want %v", q, resp.Status, shown, want)
		}
		if strings.Contains(body, xss) {
			t.Errorf("alerts?%s: the reason shows unescaped", q)
		}
		if q == "state=all" {
			for id, want := range map[event.ID]string{
				brute: "acknowledged acknowledged<br><small>assigned to rick</small><br><small>by anna,",
				odd:   "false_positive false positive<br><small>scanner &lt;script&gt;alert(1)&lt;/script&gt;</small><br><small>by anna,",
			} {
				if !strings.HasPrefix(states[id], want) {
					t.Errorf("alert %d's state cell %q, want it to start %q", id, states[id], want)
				}
			}
		}
	}
	if resp, _ := c.get("/ui/alerts?state=closed"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown state filter: %s, want 400", resp.Status)
	}
	// Reset brings the false positive back to the default queue.
	c.postCSRF("/ui/alerts/triage", url.Values{"id": ids(odd), "action": {"reset"}})
	if _, body := c.get("/ui/alerts"); !strings.Contains(body, fmt.Sprintf(`name="id" value="%d"`, odd)) {
		t.Errorf("the reset alert is not in the default queue")
	}
}

// TestTriageQueuePaging hides a third of 250 alerts as false positives:
// the default queue still fills its pages from older alerts, and paging
// shows every other alert once.
func TestTriageQueuePaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var alerts []*event.Event
	for i := range 250 {
		alerts = append(alerts, alertEvent(base.Add(time.Hour+time.Duration(i)*time.Second), "noisy", "low", 1, event.UserName, "carol"))
	}
	if err := e.st.Append(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	var fp []event.ID
	want := map[event.ID]bool{e.alerts[0]: true, e.alerts[1]: true, e.alerts[2]: true}
	for i, a := range alerts {
		if i%3 != 0 {
			want[a.ID] = true
		} else {
			fp = append(fp, a.ID)
		}
	}
	if err := (&recordStates{e.st, e.st}).Set(ctx, fp, web.AlertFalsePositive, "", "noise", auth.Identity{User: "anna"}, ""); err != nil {
		t.Fatal(err)
	}
	c := e.login(t, auth.RoleViewer)
	seen := map[event.ID]bool{}
	next := "/ui/alerts"
	pages := 0
	for ; next != ""; pages++ {
		_, body := c.get(next)
		states, _ := queueStates(body)
		for id, st := range states {
			if seen[id] || !want[id] || !strings.HasPrefix(st, "new") {
				t.Errorf("page %d: alert %d (%s) shown twice, or not to be shown", pages, id, st)
			}
			seen[id] = true
		}
		next = ""
		if m := regexp.MustCompile(`href="(/ui/alerts\?[^"]*before=\d+)">Older alerts`).FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		if pages == 0 && len(states) != 100 {
			t.Errorf("first page: %d alerts, want 100", len(states))
		}
	}
	// 166 new noisy alerts and the 3 others: 100, then 69; the first
	// page ends within the second store page read.
	if len(seen) != len(want) || len(want) != 169 || pages != 2 {
		t.Errorf("%d alerts over %d pages, want %d over 2", len(seen), pages, len(want))
	}
	_, body := c.get("/ui/alerts?state=false_positive")
	if states, _ := queueStates(body); len(states) != 84 || strings.Contains(body, "Older alerts") {
		t.Errorf("false positives: %d on the first page, want all 84 and no older ones", len(states))
	}
}

// TestWithoutOptionalParts serves the console without Audit,
// RuleSwitches and AlertStates: their pages and forms are absent (the
// queue's checkboxes remain, for adding alerts to an incident).
func TestWithoutOptionalParts(t *testing.T) {
	e := newEnv(t)
	h := web.New(web.Config{Auth: e.auth, Store: e.st, Incidents: e.incidents, Users: e.auth, Version: "test"})
	mux := http.NewServeMux()
	mux.Handle(web.Prefix, h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	bare := *e
	bare.srv = srv
	c := bare.login(t, auth.RoleAdmin)
	for path, not := range map[string]string{
		"/ui/":       `href="/ui/audit"`,
		"/ui/rules":  "/ui/rules/switch",
		"/ui/alerts": `id="t-action"`,
	} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, not) {
			t.Errorf("GET %s: %s; has %q: %v, want 200 without it", path, resp.Status, not, strings.Contains(body, not))
		}
	}
	if _, body := c.get("/ui/alerts"); strings.Contains(body, "state-new") || !strings.Contains(body, `action="/ui/alerts/attach" id="triage-form"`) {
		t.Errorf("the queue shows triage states without AlertStates, or its form does not add to incidents")
	}
	for _, req := range []struct{ method, path string }{{"GET", "/ui/audit"}, {"POST", "/ui/rules/switch"}, {"POST", "/ui/alerts/triage"}} {
		var resp *http.Response
		if req.method == "GET" {
			resp, _ = c.get(req.path)
		} else {
			resp, _ = c.postCSRF(req.path, url.Values{"id": ids(e.alerts[0]), "action": {"acknowledge"}, "disabled": {"1"}})
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %s, want 404", req.method, req.path, resp.Status)
		}
	}
}
