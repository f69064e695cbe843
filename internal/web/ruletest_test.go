package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// sshRule matches failed SSH passwords by their message.
const sshRule = `title: Failed SSH password
id: t-ssh
name: t_ssh
logsource: {product: linux, service: sshd}
detection:
  sel: {message|contains: Failed password}
  condition: sel
level: low
`

// sshBurst is sshRule and a correlation over it: five failures of one
// user within ten minutes.
const sshBurst = sshRule + `---
title: SSH burst
id: t-burst
correlation:
  type: event_count
  rules: [t_ssh]
  group-by: [user.name]
  timespan: 10m
  condition: {gte: 5}
level: high
`

var eventLinkRE = regexp.MustCompile(`<a href="/ui/events/(\d+)">event \d+</a>`)

func TestRuleTest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	stored := func() int64 {
		n, err := e.st.Count(ctx, store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0 := stored()
	// Valid Sigma on line 3, but RE2 has no lookbehind.
	const unsupported = "title: ok\nid: a\nlogsource: {product: linux, service: sshd}\ndetection:\n  sel: {message|contains: x}\n  condition: sel\n" +
		"---\ntitle: lookbehind\nid: b\nlogsource: {product: linux, service: sshd}\ndetection:\n  sel: {message|re: '(?<=a)b'}\n  condition: sel\n"
	c := e.login(t, auth.RoleAnalyst)
	_, body := c.get("/ui/rules")
	if !strings.Contains(body, `id="rule-test"`) || !strings.Contains(body, `name="recent" value="5000"`) {
		t.Errorf("the analyst's rules page has no test form with 5000 events by default")
	}
	if _, body := e.login(t, auth.RoleViewer).get("/ui/rules"); strings.Contains(body, `id="rule-test"`) {
		t.Errorf("the viewer's rules page has the test form")
	}

	for _, tc := range []struct {
		name, yaml, recent string
		status             int
		want               []string
		links              int // links to matching events
	}{
		// The 11 stored events that are not alerts, 8 of them failed
		// passwords of alice (one carrying a script).
		{"match", sshRule, "", http.StatusOK, []string{"8 alerts over 11 events from 2026-03-01 10:00:00Z to 2026-03-01 10:07:00Z", "Failed SSH password: 8."}, 8},
		// The 3 newest: the log clearing (10:07) and alice's failures
		// at 10:06 and 10:05.
		{"recent", sshRule, "3", http.StatusOK, []string{"2 alerts over 3 events from 2026-03-01 10:05:00Z to 2026-03-01 10:07:00Z"}, 2},
		// The base rule's matches only feed the correlation: one hit.
		{"correlation", sshBurst, "", http.StatusOK, []string{"1 alert over 11 events", "SSH burst: 1.", "SSH burst <small>correlation</small>",
			// The fifth failure completes it: 10:00 to 10:03:01.
			"q=_id%3A1&#43;OR&#43;_id%3A2&#43;OR&#43;_id%3A3&#43;OR&#43;_id%3A4&#43;OR&#43;_id%3A8\">5 events</a>"}, 0},
		{"syntax", "title: broken\ndetection: [\n", "", http.StatusBadRequest, []string{"The rule was not tested", "<code>rule.yml:3:1: did not find expected node content</code>"}, 0},
		{"unsupported", unsupported, "", http.StatusBadRequest, []string{"<code>rule.yml:8: unsupported: search &#34;sel&#34;: field &#34;message&#34;: regular expression uses a lookbehind"}, 0},
		{"empty", "  \n", "", http.StatusBadRequest, []string{"Paste a Sigma rule"}, 0},
		{"too many", sshRule, "50001", http.StatusBadRequest, []string{"write a number from 1 to 50000"}, 0},
		{"not a number", sshRule, "lots", http.StatusBadRequest, []string{"write a number from 1 to 50000"}, 0},
		// The posted YAML comes back escaped in the textarea.
		{"escaped", "title: " + xss + "\n", "", http.StatusBadRequest, []string{"title: &lt;script&gt;alert(1)&lt;/script&gt;\n</textarea>"}, 0},
	} {
		resp, body := c.postCSRF("/ui/rules/test", url.Values{"yaml": {tc.yaml}, "recent": {tc.recent}})
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %s, want %d", tc.name, resp.Status, tc.status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q", tc.name, w)
			}
		}
		if strings.Contains(body, xss) {
			t.Errorf("%s: a script shows unescaped", tc.name)
		}
		links := eventLinkRE.FindAllStringSubmatch(body, -1)
		if len(links) != tc.links {
			t.Errorf("%s: %d links to matching events, want %d", tc.name, len(links), tc.links)
		}
		for _, l := range links {
			var id event.ID
			fmt.Sscan(l[1], &id)
			ev, err := e.st.Get(ctx, id)
			if err != nil {
				t.Fatalf("%s: linked event %d: %v", tc.name, id, err)
			}
			if m, _ := ev.Get(event.Message); !strings.Contains(m, "Failed password") {
				t.Errorf("%s: linked event %d is %q, not a failed password", tc.name, id, m)
			}
		}
	}
	if n := stored(); n != n0 {
		t.Errorf("testing rules changed the store: %d events, was %d", n, n0)
	}
}

// TestRuleTestPages tests over more events than one store page: every
// event of the window once, and only those.
func TestRuleTestPages(t *testing.T) {
	e := newEnv(t)
	t0 := base.Add(time.Hour)
	var events []*event.Event
	for i := range 4500 {
		events = append(events, sshEvent(t0.Add(time.Duration(i)*time.Second), "carol", "web02", "198.51.100.7", "failure"))
	}
	if err := e.st.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	c := e.login(t, auth.RoleAnalyst)
	for recent, want := range map[string]string{
		// The newest 4,000 of carol's failures: 11:08:20 to 12:14:59.
		"4000": "4000 alerts over 4000 events from 2026-03-01 11:08:20Z to 2026-03-01 12:14:59Z",
		// All 4,511 events; carol's 4,500 failures and alice's 8.
		"": "4508 alerts over 4511 events from 2026-03-01 10:00:00Z to 2026-03-01 12:14:59Z",
	} {
		resp, body := c.postCSRF("/ui/rules/test", url.Values{"yaml": {sshRule}, "recent": {recent}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			i := strings.Index(body, "Test result")
			t.Errorf("recent=%q: %s, want %q in\n%s", recent, resp.Status, want, body[max(i, 0):min(len(body), max(i, 0)+300)])
		}
		if n := len(eventLinkRE.FindAllString(body, -1)); n != 50 {
			t.Errorf("recent=%q: %d matches listed, want the first 50", recent, n)
		}
	}
}

// TestRuleSwitch turns a rule off and on from the rules page: the state
// is kept by RuleSwitches, shown on the page and audited; unknown rules,
// bad forms, viewers and forms without the CSRF token change nothing.
func TestRuleSwitch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sw := &recordSwitches{e.st, e.st}
	c := e.login(t, auth.RoleAnalyst)
	row := func() string {
		t.Helper()
		_, body := c.get("/ui/rules")
		i := strings.Index(body, `<tr id="rule-ssh-brute">`)
		if i < 0 {
			t.Fatal("the rules page has no row for ssh-brute")
		}
		return body[i : i+strings.Index(body[i:], "</tr>")]
	}
	if r := row(); !strings.Contains(r, "<td>on") || !strings.Contains(r, `name="disabled" value="1"`) || !strings.Contains(r, ">Disable</button>") {
		t.Errorf("ssh-brute is not shown on with a Disable button:\n%s", r)
	}
	resp, _ := c.postCSRF("/ui/rules/switch", url.Values{"id": {"ssh-brute"}, "disabled": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/rules#rule-ssh-brute" {
		t.Errorf("disable: %s to %q, want 303 to the rule's row", resp.Status, resp.Header.Get("Location"))
	}
	if off, _ := sw.Disabled(ctx); !off["ssh-brute"] || len(off) != 1 {
		t.Errorf("disabled rules %v, want ssh-brute only", off)
	}
	if r := row(); !strings.Contains(r, "<td>off") || !strings.Contains(r, `name="disabled" value="0"`) || !strings.Contains(r, ">Enable</button>") {
		t.Errorf("ssh-brute is not shown off with an Enable button:\n%s", r)
	}
	for name, form := range map[string]url.Values{
		"unknown rule":  {"id": {"no-such-rule"}, "disabled": {"1"}},
		"no state":      {"id": {"odd-rule"}},
		"bad state":     {"id": {"odd-rule"}, "disabled": {"yes"}},
		"empty id":      {"id": {""}, "disabled": {"1"}},
		"long id":       {"id": {strings.Repeat("x", 300)}, "disabled": {"1"}},
		"with a script": {"id": {xss}, "disabled": {"1"}},
	} {
		resp, body := c.postCSRF("/ui/rules/switch", form)
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 404 or 400", name, resp.Status)
		}
		if strings.Contains(body, xss) {
			t.Errorf("%s: the page echoes a script", name)
		}
	}
	if resp, _ := c.post("/ui/rules/switch", url.Values{"id": {"ssh-brute"}, "disabled": {"0"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("enable without the CSRF token: %s, want 403", resp.Status)
	}
	if resp, _ := e.login(t, auth.RoleViewer).postCSRF("/ui/rules/switch", url.Values{"id": {"ssh-brute"}, "disabled": {"0"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("enable as a viewer: %s, want 403", resp.Status)
	}
	if _, body := e.login(t, auth.RoleViewer).get("/ui/rules"); strings.Contains(body, "/ui/rules/switch") {
		t.Errorf("the viewer's rules page has toggles")
	}
	if off, _ := sw.Disabled(ctx); !off["ssh-brute"] || len(off) != 1 {
		t.Errorf("after refused forms: disabled rules %v, want ssh-brute only", off)
	}
	if resp, _ := c.postCSRF("/ui/rules/switch", url.Values{"id": {"ssh-brute"}, "disabled": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("enable: %s, want 303", resp.Status)
	}
	if off, _ := sw.Disabled(ctx); len(off) != 0 {
		t.Errorf("after enabling: disabled rules %v, want none", off)
	}
	log, err := e.st.AuditLog(ctx, 0, 100, "rule/ssh-brute")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log {
		got = append(got, a.Actor+" "+a.Action)
	}
	if want := "anna rule.disable,anna rule.enable"; strings.Join(got, ",") != want {
		t.Errorf("audit of rule/ssh-brute: %v, want %s", got, want)
	}
}
