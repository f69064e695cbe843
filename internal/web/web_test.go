package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/respond"
)

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	for _, path := range []string{"/ui/", "/ui/login", "/ui/static/style.css", "/ui/nowhere"} {
		resp, _ := c.get(path)
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"X-Frame-Options":         "DENY",
		}
		if path != "/ui/static/style.css" {
			want["Cache-Control"] = "no-store"
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}

// TestRoles walks every page and form with every role, and without a
// session, checking the status of each.
func TestRoles(t *testing.T) {
	e := newEnv(t)
	inc := fmt.Sprint(e.incA)
	const (
		anon = auth.RoleNone
		ok   = http.StatusOK
		see  = http.StatusSeeOther
		deny = http.StatusForbidden
	)
	type route struct {
		method, path string
		form         url.Values
		min          auth.Role // the lowest role allowed
		okStatus     int
	}
	routes := []route{
		{"GET", "/ui/", nil, auth.RoleViewer, ok},
		{"GET", "/ui/incidents", nil, auth.RoleViewer, ok},
		{"GET", "/ui/incidents/" + inc, nil, auth.RoleViewer, ok},
		{"GET", "/ui/search?q=alice", nil, auth.RoleViewer, ok},
		{"GET", "/ui/alerts", nil, auth.RoleViewer, ok},
		{"GET", "/ui/decisions", nil, auth.RoleViewer, ok},
		{"GET", "/ui/entity/user.name/alice", nil, auth.RoleViewer, ok},
		{"GET", "/ui/rules", nil, auth.RoleViewer, ok},
		{"GET", "/ui/sources", nil, auth.RoleViewer, ok},
		{"GET", "/ui/events/1", nil, auth.RoleViewer, ok},
		{"GET", "/ui/live", nil, auth.RoleViewer, ok},
		{"GET", "/ui/password", nil, auth.RoleViewer, ok},
		{"GET", "/ui/settings", nil, auth.RoleAdmin, ok},
		{"GET", "/ui/audit", nil, auth.RoleAdmin, ok},
		{"GET", "/ui/audit?target=incident/" + inc, nil, auth.RoleAdmin, ok},
		{"POST", "/ui/incidents/" + inc + "/notes", url.Values{"text": {"looked at it"}}, auth.RoleAnalyst, see},
		{"POST", "/ui/incidents/" + inc + "/assign", url.Values{"assignee": {"anna"}}, auth.RoleAnalyst, see},
		{"POST", "/ui/incidents/" + inc + "/status", url.Values{"status": {"investigating"}}, auth.RoleAnalyst, see},
		{"POST", "/ui/decisions", url.Values{"scope": {"ip"}, "value": {"192.0.2.7"}, "duration": {"1h"}}, auth.RoleResponder, see},
		{"POST", "/ui/rules/switch", url.Values{"id": {"ssh-brute"}, "disabled": {"1"}}, auth.RoleAnalyst, see},
		{"POST", "/ui/alerts/triage", url.Values{"id": {"13"}, "action": {"acknowledge"}}, auth.RoleAnalyst, see},
		{"POST", "/ui/rules/test", url.Values{"yaml": {sshRule}}, auth.RoleAnalyst, ok},
		{"POST", "/ui/settings/users", url.Values{"name": {"newbie"}, "password": {"a long enough password"}, "role": {"viewer"}}, auth.RoleAdmin, see},
	}
	roles := []auth.Role{anon, auth.RoleViewer, auth.RoleAnalyst, auth.RoleResponder, auth.RoleAdmin}
	clients := map[auth.Role]*client{anon: e.client(t)}
	for _, r := range roles[1:] {
		clients[r] = e.login(t, r)
	}
	for _, rt := range routes {
		for _, role := range roles {
			c := clients[role]
			var resp *http.Response
			if rt.method == "GET" {
				resp, _ = c.get(rt.path)
			} else {
				form := url.Values{}
				for k, v := range rt.form {
					form[k] = v
				}
				// Each role's creation names another thing.
				switch rt.path {
				case "/ui/settings/users":
					form.Set("name", fmt.Sprintf("newbie%d", role))
				case "/ui/decisions":
					form.Set("value", fmt.Sprintf("192.0.2.%d", role))
				case "/ui/incidents/" + inc + "/status":
					// new → investigating → contained → investigating
					form.Set("status", map[auth.Role]string{auth.RoleResponder: "contained"}[role])
					if form.Get("status") == "" {
						form.Set("status", "investigating")
					}
				}
				resp, _ = c.postCSRF(rt.path, form)
			}
			want := rt.okStatus
			switch {
			case role == anon && rt.method == "GET":
				want = see // to the login page
			case role == anon:
				want = http.StatusUnauthorized
			case !role.Allows(rt.min):
				want = deny
			}
			if resp.StatusCode != want {
				t.Errorf("%s %s as %s: %s, want %d", rt.method, rt.path, role, resp.Status, want)
			}
			if role == anon && rt.method == "GET" && !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login?next=") {
				t.Errorf("%s %s without a session: Location %q, want the login page", rt.method, rt.path, resp.Header.Get("Location"))
			}
		}
	}
	// The viewer's refused POSTs changed nothing; the allowed ones did.
	got, err := e.incidents.Get(e.incA)
	if err != nil {
		t.Fatal(err)
	}
	var authors []string
	for _, n := range got.Notes {
		authors = append(authors, n.Author)
	}
	if strings.Join(authors, ",") != "anna,rick,ada" {
		t.Errorf("note authors %v, want anna, rick and ada (the viewer was refused)", authors)
	}
	decs, err := e.respond.List(context.Background(), respond.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	for _, d := range decs {
		made = append(made, d.Actor+" "+d.Value)
	}
	slices.Sort(made)
	if want := []string{"ada 192.0.2.4", "rick 192.0.2.3"}; !slices.Equal(made, want) {
		t.Errorf("decisions %v, want %v (viewer's and analyst's refused)", made, want)
	}
}

// TestMenuByRole checks that forms a role may not use are not shown.
func TestMenuByRole(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/ui/incidents/%d", e.incA)
	for _, tc := range []struct {
		role                     auth.Role
		note, status, block, set bool
	}{
		{auth.RoleViewer, false, false, false, false},
		{auth.RoleAnalyst, true, true, false, false},
		{auth.RoleResponder, true, true, true, false},
		{auth.RoleAdmin, true, true, true, true},
	} {
		c := e.login(t, tc.role)
		_, body := c.get(path)
		for what, want := range map[string]bool{`id="note-form"`: tc.note, `id="status-form"`: tc.status,
			`id="block-form"`: tc.block, `href="/ui/settings"`: tc.set} {
			if strings.Contains(body, what) != want {
				t.Errorf("incident page as %s: has %s = %v, want %v", tc.role, what, !want, want)
			}
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleAnalyst)
	path := fmt.Sprintf("/ui/incidents/%d/notes", e.incA)
	// Another token of the same length (changing its first character
	// to a fixed one would leave it unchanged when it starts with it).
	wrong := "x" + c.csrf[1:]
	if c.csrf[0] == 'x' {
		wrong = "y" + c.csrf[1:]
	}
	for name, form := range map[string]url.Values{
		"missing": {"text": {"forged"}},
		"wrong":   {"text": {"forged"}, "csrf": {wrong}},
		"empty":   {"text": {"forged"}, "csrf": {""}},
	} {
		resp, body := c.post(path, form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "security token is missing or out of date") {
			t.Errorf("note with %s CSRF token: %s, want 403 with an explanation:\n%s", name, resp.Status, body)
		}
	}
	resp, _ := c.post(fmt.Sprintf("/ui/incidents/%d/status", e.incA), url.Values{"status": {"resolved"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status without CSRF token: %s, want 403", resp.Status)
	}
	inc, err := e.incidents.Get(e.incA)
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Notes) != 0 || inc.Status != incident.StatusNew {
		t.Errorf("refused forms changed the incident: notes %v, status %s", inc.Notes, inc.Status)
	}
	entries, err := e.st.AuditLog(context.Background(), 0, 100, fmt.Sprintf("incident/%d", e.incA))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("refused forms were audited: %+v", entries)
	}
	// A form over 64 KiB is refused before it is read whole.
	resp, _ = c.postCSRF(path, url.Values{"text": {strings.Repeat("x", 70<<10)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("note of 70 KiB: %s, want 413", resp.Status)
	}
	// The same note with the token is taken, and audited.
	resp, _ = c.postCSRF(path, url.Values{"text": {"genuine"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("note with the token: %s", resp.Status)
	}
	entries, err = e.st.AuditLog(context.Background(), 0, 100, fmt.Sprintf("incident/%d", e.incA))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Actor != "anna" {
		t.Errorf("audit after the note: %+v, want one entry by anna", entries)
	}
}

// TestEscaping checks that a script in stored events is shown as text in
// search results, on the event page and in the incident timeline.
func TestEscaping(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	for _, path := range []string{
		"/ui/search?from=&q=" + url.QueryEscape(`"Failed password"`),
		fmt.Sprintf("/ui/incidents/%d", e.incA),
		"/ui/search?from=&q=" + url.QueryEscape(`process.command_line:"`+xss+`"`),
	} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("GET %s: the script is in the page unescaped", path)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("GET %s: the escaped script is not shown", path)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	for i := range 5 {
		resp, body := c.post("/ui/login", url.Values{"name": {"anna"}, "password": {"wrong password!"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password.") {
			t.Fatalf("wrong password %d: %s, want 401 saying so", i+1, resp.Status)
		}
	}
	resp, body := c.post("/ui/login", url.Values{"name": {"anna"}, "password": {password}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("login past the limit: %s, want 429 with a clear message:\n%s", resp.Status, body)
	}
	if resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("a refused login set a cookie")
	}
}

func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleAnalyst)
	newPassword := "another fine password"
	// Refusals re-render the form with the message by the field.
	for _, tc := range []struct {
		old, new, confirm, msg string
	}{
		{password, newPassword, newPassword + "x", "The two new passwords differ."},
		{password, "short", "short", "at least 12 characters"},
		{"not my password", newPassword, newPassword, "The current password is wrong."},
	} {
		resp, body := c.postCSRF("/ui/password", url.Values{"old": {tc.old}, "new": {tc.new}, "confirm": {tc.confirm}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.msg) || !strings.Contains(body, `class="field-error"`) {
			t.Errorf("password change %+v: %s, want 400 with %q by the field", tc, resp.Status, tc.msg)
		}
	}
	resp, _ := c.postCSRF("/ui/password", url.Values{"old": {password}, "new": {newPassword}, "confirm": {newPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login?changed=1" {
		t.Fatalf("password change: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	// The old session no longer works, even with its cookie sent again.
	old := e.client(t)
	u, _ := url.Parse(e.srv.URL)
	old.http.Jar.SetCookies(u, []*http.Cookie{{Name: auth.CookieName, Value: sessionCookie(t, c)}})
	resp, _ = old.get("/ui/incidents")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login") {
		t.Errorf("old session after the change: %s to %q, want the login page", resp.Status, resp.Header.Get("Location"))
	}
	fresh := e.client(t)
	resp, _ = fresh.post("/ui/login", url.Values{"name": {"anna"}, "password": {newPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login with the new password: %s", resp.Status)
	}
}

// sessionCookie is the session cookie c's jar held before its last
// answer cleared it: the test keeps a copy at login.
func sessionCookie(t *testing.T, c *client) string {
	t.Helper()
	if c.session == "" {
		t.Fatal("no session cookie kept")
	}
	return c.session
}

func TestMustChangePassword(t *testing.T) {
	e := newEnv(t)
	admin := auth.Identity{User: "ada", Role: auth.RoleAdmin, Via: "session"}
	if err := e.auth.CreateUser(context.Background(), "nina", "first password here", auth.RoleAnalyst, admin); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	resp, _ := c.post("/ui/login", url.Values{"name": {"nina"}, "password": {"first password here"}, "next": {"/ui/alerts"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/password" {
		t.Fatalf("login with a password to change: %s to %q, want /ui/password", resp.Status, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/ui/", "/ui/incidents", "/ui/search?q=x"} {
		resp, _ := c.get(path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/password" {
			t.Errorf("GET %s before changing the password: %s to %q", path, resp.Status, resp.Header.Get("Location"))
		}
	}
	_, body := c.get("/ui/password")
	if !strings.Contains(body, "You must choose a new password") {
		t.Errorf("the password page does not say the change is required")
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the password page")
	}
	c.csrf = m[1]
	resp, _ = c.postCSRF(fmt.Sprintf("/ui/incidents/%d/notes", e.incA), url.Values{"text": {"x"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("note before changing the password: %s, want 403", resp.Status)
	}
}

func TestSearchSyntaxError(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	resp, body := c.get("/ui/search?q=" + url.QueryEscape("user.name:(alice OR"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("search with a syntax error: %s, want 400", resp.Status)
	}
	if !strings.Contains(body, "Syntax error at position 17") || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("the syntax error and its position are not shown:\n%s", body)
	}
	resp, body = c.get("/ui/search?q=" + url.QueryEscape("user.name:alice)x"))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "user.name:alice<mark>)</mark>x") {
		t.Errorf("the offending character is not marked (%s):\n%s", resp.Status, body)
	}
}

func TestSearchResults(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	_, body := c.get("/ui/search?from=&q=" + url.QueryEscape("user.name:bob process.name:sshd"))
	if !strings.Contains(body, "2 events match") {
		t.Errorf("search for bob does not count his 2 events")
	}
	if n := strings.Count(body, `href="/ui/entity/user.name/bob"`); n != 2 {
		t.Errorf("%d links to bob's entity page, want one per result (2)", n)
	}
	if !strings.Contains(body, "<details>") || !strings.Contains(body, `<meter`) || !strings.Contains(body, "<svg") {
		t.Errorf("results lack the expandable raw event, the histogram table or its chart")
	}
}

func TestIncidentPage(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleAnalyst)
	path := fmt.Sprintf("/ui/incidents/%d", e.incA)
	_, body := c.get(path)
	for _, want := range []string{"rule ssh-brute", "rule sudo-root", "why ssh-brute fires", "T1110", "credential-access",
		`id="scope"`, "Accounts (", "Hosts (", "Outbound transfers", "Timeline", `href="/ui/entity/user.name/alice"`,
		"<svg", `<div class="gaps" role="alert">`, "unknown: no logs from web01", "the Security log of web01 was cleared", "<td>198.51.100.5</td><td>web01</td><td>alice</td><td>sshd</td><td>failure</td><td>8</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	// A false positive needs a reason: the form says so and nothing changes.
	resp, body := c.postCSRF(path+"/status", url.Values{"status": {"false_positive"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Say why this is a false positive.") {
		t.Errorf("false positive without reason: %s", resp.Status)
	}
	// A refused transition is explained.
	resp, _ = c.postCSRF(path+"/status", url.Values{"status": {"resolved"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %s", resp.Status)
	}
	resp, body = c.postCSRF(path+"/status", url.Values{"status": {"contained"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "status change not allowed") {
		t.Errorf("resolved to contained: %s, want 400 explaining", resp.Status)
	}
	inc, _ := e.incidents.Get(e.incA)
	if inc.Status != incident.StatusResolved {
		t.Errorf("status %s, want resolved", inc.Status)
	}
	// Timeline filter with a bad query shows the error, not a 500.
	resp, body = c.get(path + "?q=" + url.QueryEscape("a:(b"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "at position") {
		t.Errorf("timeline with a bad query: %s", resp.Status)
	}
	// The timeline pages on from a cursor: items older than it only.
	inc, _ = e.incidents.Get(e.incA)
	newest := inc.Alerts[len(inc.Alerts)-1]
	_, body = c.get(fmt.Sprintf("%s?before=%d", path, newest.ID))
	tl := body[strings.Index(body, `id="timeline"`):strings.Index(body, `id="decisions"`)]
	if strings.Contains(tl, "rule "+newest.RuleID) || !strings.Contains(tl, "rule ssh-brute") {
		t.Errorf("timeline before %d (%s) is wrong:\n%s", newest.ID, newest.RuleID, tl)
	}
	if resp, _ := c.get(path + "?before=x"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("timeline with a bad cursor: %s", resp.Status)
	}
	// Merge B into A.
	resp, _ = c.postCSRF(path+"/merge", url.Values{"from": {fmt.Sprint(e.incB)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("merge: %s", resp.Status)
	}
	if b, _ := e.incidents.Get(e.incB); b.Status != incident.StatusMerged || b.MergedInto != e.incA {
		t.Errorf("incident B after merge: %s into %d", b.Status, b.MergedInto)
	}
}

func TestDecisions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.login(t, auth.RoleResponder)
	inc := fmt.Sprint(e.incA)
	resp, _ := c.postCSRF("/ui/decisions", url.Values{"scope": {"ip"}, "value": {"198.51.100.5"}, "duration": {"2h"},
		"reason": {"brute force"}, "incident": {inc}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/incidents/"+inc+"#decisions" {
		t.Fatalf("block from the incident: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	list, err := e.respond.List(ctx, respond.Filter{Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Action != "block" || list[0].Incident != inc || list[0].Actor != "rick" || list[0].Origin != respond.OriginAnalyst {
		t.Fatalf("decisions %+v", list)
	}
	_, body := c.get("/ui/incidents/" + inc)
	if !strings.Contains(body, "198.51.100.5") || !strings.Contains(body, "Revoke "+list[0].ID) {
		t.Errorf("the incident page does not list its decision with a revoke button")
	}
	// An allow-listed address is refused, with the reason by the form.
	resp, body = c.postCSRF("/ui/decisions", url.Values{"scope": {"ip"}, "value": {"203.0.113.9"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "allow-listed") {
		t.Errorf("allow-listed block: %s", resp.Status)
	}
	resp, body = c.postCSRF("/ui/decisions", url.Values{"scope": {"ip"}, "value": {"not-an-ip"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not an IP address") {
		t.Errorf("bad address: %s", resp.Status)
	}
	resp, _ = c.postCSRF("/ui/decisions/"+list[0].ID+"/revoke", url.Values{"reason": {"contained"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %s", resp.Status)
	}
	d, err := e.respond.Get(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Revoked.IsZero() || d.RevokedBy != "rick" || d.RevokeReason != "contained" {
		t.Errorf("after revoke: %+v", d)
	}
	resp, _ = c.postCSRF("/ui/decisions/"+list[0].ID+"/revoke", nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("revoking twice: %s, want 409", resp.Status)
	}
	entries, err := e.st.AuditLog(ctx, 0, 100, "decision/"+list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 2 {
		t.Errorf("decision audit %+v, want its creation and revocation", entries)
	}
}

func TestSettings(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleAdmin)
	resp, body := c.postCSRF("/ui/settings/users", url.Values{"name": {"Bad Name!"}, "password": {"a long enough password"}, "role": {"viewer"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "invalid user name") {
		t.Errorf("bad user name: %s", resp.Status)
	}
	resp, _ = c.postCSRF("/ui/settings/users", url.Values{"name": {"otto"}, "password": {"a long enough password"}, "role": {"analyst"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create user: %s", resp.Status)
	}
	resp, _ = c.postCSRF("/ui/settings/users/otto", url.Values{"do": {"role"}, "role": {"responder"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("set role: %s", resp.Status)
	}
	resp, body = c.postCSRF("/ui/settings/users/otto", url.Values{"do": {"reset"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Temporary password of otto") {
		t.Errorf("reset: %s", resp.Status)
	}
	resp, body = c.postCSRF("/ui/settings/tokens", url.Values{"owner": {"otto"}, "role": {"viewer"}, "ttl": {"24h"}, "label": {"ci"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "vigie_") {
		t.Fatalf("create token: %s", resp.Status)
	}
	toks, err := e.auth.Tokens(context.Background(), "otto")
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens %v, %v", toks, err)
	}
	resp, _ = c.postCSRF("/ui/settings/tokens/"+toks[0].ID+"/revoke", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke token: %s", resp.Status)
	}
	users, err := e.auth.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == "otto" && (u.Role != auth.RoleResponder || !u.MustChange) {
			t.Errorf("otto: %+v, want responder who must change the password", u)
		}
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	resp, _ := c.postCSRF("/ui/logout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", resp.Status)
	}
	old := e.client(t)
	u, _ := url.Parse(e.srv.URL)
	old.http.Jar.SetCookies(u, []*http.Cookie{{Name: auth.CookieName, Value: c.session}})
	resp, _ = old.get("/ui/")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the session works after logout: %s", resp.Status)
	}
}

func TestLoginNext(t *testing.T) {
	e := newEnv(t)
	for next, want := range map[string]string{
		"/ui/alerts?level=high": "/ui/alerts?level=high",
		"https://evil.example/": "/ui/",
		"//evil.example/ui/":    "/ui/",
		"/ui/../../x":           "/ui/",
		"/ui/login?next=/ui/":   "/ui/",
		"/ui/incidents/1#notes": "/ui/incidents/1#notes",
		"/api/v1/events":        "/ui/",
	} {
		c := e.client(t)
		resp, _ := c.post("/ui/login", url.Values{"name": {"vera"}, "password": {password}, "next": {next}})
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("login with next=%q goes to %q, want %q", next, got, want)
		}
	}
}

func TestCrossOriginPost(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	post := func(path, origin string, form url.Values) *http.Response {
		t.Helper()
		req, err := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, _ := c.do(req)
		return resp
	}
	login := url.Values{"name": {"anna"}, "password": {password}}
	for _, origin := range []string{"https://evil.example", "null", "http://" + strings.TrimPrefix(e.srv.URL, "http://") + ".evil.example"} {
		if resp := post("/ui/login", origin, login); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("login posted from %s: %s, want 403 and no cookie", origin, resp.Status)
		}
	}
	if resp := post("/ui/login", e.srv.URL, login); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login posted from the console itself: %s", resp.Status)
	}
	// A signed-in user's form from another site is refused even with the
	// right token.
	a := e.login(t, auth.RoleAnalyst)
	req, _ := http.NewRequest("POST", e.srv.URL+fmt.Sprintf("/ui/incidents/%d/notes", e.incA),
		strings.NewReader(url.Values{"csrf": {a.csrf}, "text": {"cross"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := a.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("note from another site: %s, want 403", resp.Status)
	}
}
