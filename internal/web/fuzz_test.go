package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/auth"
)

// FuzzSearch sends arbitrary search forms to the console: each is
// answered with the results (200) or a message (400), never a server
// error, and what the user typed is never echoed unescaped.
func FuzzSearch(f *testing.F) {
	for _, seed := range [][3]string{
		{"user.name:alice", "", ""},
		{"user.name:(alice OR", "24h", "now"},
		{`"Failed password" AND NOT bob`, "2026-03-01", "2026-03-02T00:00:00Z"},
		{`<script>alert(1)</script>`, "7d", ""},
		{"a:[1 TO *] b:>=5 _exists_:c", "now-15m", "x"},
		{"\xff\xfe)", "-1h", "2026-13-40"},
		{`process.command_line:"<img src=x onerror=alert(1)>"`, "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	e := newEnv(f)
	c := e.login(f, auth.RoleViewer)
	// What the page holds by itself, whatever the query: a value found
	// there proves nothing.
	_, baseline := c.get("/ui/search?q=x")
	f.Fuzz(func(t *testing.T, q, from, to string) {
		c.t = t
		resp, body := c.get("/ui/search?" + url.Values{"q": {q}, "from": {from}, "to": {to}}.Encode())
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("search q=%q from=%q to=%q: %s", q, from, to, resp.Status)
		}
		for _, s := range []string{q, from, to} {
			if strings.ContainsAny(s, "<>") && len(s) > 3 && !strings.Contains(baseline, s) && strings.Contains(body, s) {
				t.Fatalf("the page echoes %q unescaped", s)
			}
		}
	})
}

// FuzzRuleTest posts arbitrary rules to the rule test: each is tested
// (200) or refused with its problems (400), never a server error; the
// problems name rule.yml, never the server's temporary folder; and the
// YAML is never echoed unescaped.
func FuzzRuleTest(f *testing.F) {
	for _, seed := range [][2]string{
		{sshBurst, ""},
		{sshRule, "3"},
		{"title: broken\ndetection: [\n", ""},
		{"title: x\nlogsource: {product: linux}\ndetection:\n  s: {a|re: '(?<=x)'}\n  condition: s\n", "10"},
		{"title: <script>alert(1)</script>\ndetection: {condition: nope}\n", "-1"},
		{"correlation: {type: event_count, rules: [nothing], timespan: 1m}\n", "50000"},
		{"\xff\xfe: [", "9999999999999999999999"},
	} {
		f.Add(seed[0], seed[1])
	}
	e := newEnv(f)
	c := e.login(f, auth.RoleAnalyst)
	f.Fuzz(func(t *testing.T, yaml, recent string) {
		c.t = t
		resp, body := c.postCSRF("/ui/rules/test", url.Values{"yaml": {yaml}, "recent": {recent}})
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("rule test %q, recent %q: %s", yaml, recent, resp.Status)
		}
		if strings.Contains(body, "vigie-ruletest-") {
			t.Fatalf("rule test %q: the page names the temporary folder", yaml)
		}
		if strings.Contains(yaml, "<script") && strings.Contains(body, "<script>") {
			t.Fatalf("rule test %q: the page echoes a script unescaped", yaml)
		}
	})
}

// FuzzTriage posts arbitrary triage forms: each changes the alerts (303
// back to the queue, never elsewhere) or is refused (400), never a
// server error.
func FuzzTriage(f *testing.F) {
	for _, seed := range [][5]string{
		{"13", "acknowledge", "", "", "level=high&state=all"},
		{"12", "false_positive", "scanner", "", ""},
		{"14", "assign", "", "rick", "before=3"},
		{"-1", "reset", "", "", "//evil.example/"},
		{"1", "assign", "", "vera", "%zz"},
		{"99999999999999999999", "<script>", "<script>alert(1)</script>", "", "state=<x>"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	e := newEnv(f)
	c := e.login(f, auth.RoleAnalyst)
	f.Fuzz(func(t *testing.T, id, action, reason, assignee, back string) {
		c.t = t
		resp, body := c.postCSRF("/ui/alerts/triage", url.Values{"id": strings.Split(id, ","), "action": {action},
			"reason": {reason}, "assignee": {assignee}, "back": {back}})
		switch resp.StatusCode {
		case http.StatusSeeOther:
			if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/ui/alerts?") || strings.ContainsAny(loc, "\r\n") {
				t.Fatalf("triage %q %q: sent to %q", id, action, loc)
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("triage %q %q %q %q %q: %s", id, action, reason, assignee, back, resp.Status)
		}
		if strings.Contains(reason+action+id, "<script") && strings.Contains(body, "<script>") {
			t.Fatalf("the page echoes a script unescaped")
		}
	})
}
