package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/casefile"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/ingest"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/settings"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
	"github.com/vigie-sec/vigie/internal/web"
)

// password is every test user's password.
const password = "correct horse battery"

// xss is a hostile value planted in stored events.
const xss = `<script>alert(1)</script>`

// base is the time of the test activity: in the past, so that scope
// windows end before now.
var base = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// env is the console over real parts: a SQLite store, the auth service,
// the incident and response managers, wired as vigie serve wires them.
type env struct {
	srv       *httptest.Server
	st        *sqlite.Store
	auth      *auth.Service
	incidents *incident.Manager
	respond   *respond.Manager
	counters  *ingest.Counters
	settings  *settings.Manager
	key       *evidence.Key
	// alerts are the three stored alerts, oldest first.
	alerts []event.ID
	// incA is the incident of alice's brute force (two alerts), incB
	// bob's.
	incA, incB int64
}

// users are the test users, by role.
var users = map[auth.Role]string{
	auth.RoleViewer:    "vera",
	auth.RoleAnalyst:   "anna",
	auth.RoleResponder: "rick",
	auth.RoleAdmin:     "ada",
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st}
	e.auth, err = auth.NewService(auth.Config{Argon2: auth.Argon2Params{Time: 1, MemoryKiB: 1024, Threads: 1}},
		auth.Deps{Records: st, Audit: st})
	if err != nil {
		t.Fatal(err)
	}
	for role, name := range users {
		if err := e.auth.EnsureUser(ctx, name, password, role); err != nil {
			t.Fatal(err)
		}
	}
	if e.incidents, err = incident.New(incident.Config{}, incident.Deps{Records: st, Audit: st, Evidence: st}); err != nil {
		t.Fatal(err)
	}
	if err := e.incidents.Load(ctx); err != nil {
		t.Fatal(err)
	}
	rcfg := respond.Config{Allow: respond.Allow{Networks: []string{"203.0.113.0/24"}}}
	if err := rcfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if e.respond, err = respond.New(rcfg, respond.Deps{Records: st, Audit: st, Logger: log}); err != nil {
		t.Fatal(err)
	}
	if err := e.respond.Load(ctx); err != nil {
		t.Fatal(err)
	}
	e.counters = ingest.NewCounters(nil)
	e.settings = newSettings(t, st, e.respond)
	e.storeData(t)
	if e.key, err = evidence.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	evlog, err := evidence.Open(ctx, st, e.key, evidence.Config{Origin: "web-test"})
	if err != nil {
		t.Fatal(err)
	}
	exporter, err := casefile.New(casefile.Config{}, casefile.Deps{Incidents: e.incidents, Store: st, Decisions: e.respond,
		Log: evlog, Key: e.key, Subject: api.ScopeSubject})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := detect.Load(detect.Config{}, filepath.Join("testdata", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Config{
		Auth: e.auth, Store: st, Incidents: e.incidents, Decisions: e.respond, Sources: e.counters,
		Rules: func() *detect.RuleSet { return rules }, Users: e.auth, IngestTokens: e.auth, Audit: st, RuleSwitches: &recordSwitches{st, st}, AlertStates: &recordStates{st, st}, Version: "test", Logger: log,
		Settings: e.settings, Exporter: exporter,
	})
	mux := http.NewServeMux()
	mux.Handle(web.Prefix, h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		e.srv.Close()
		st.Close()
	})
	return e
}

// sshEvent is a decoded sshd syslog line.
func sshEvent(at time.Time, user, host, ip, outcome string) *event.Event {
	msg := fmt.Sprintf("Failed password for %s from %s port 22 ssh2", user, ip)
	if outcome == "success" {
		msg = fmt.Sprintf("Accepted password for %s from %s port 22 ssh2", user, ip)
	}
	e := &event.Event{Time: at, Source: "test/auth.log", Format: "syslog", Raw: []byte(msg)}
	e.Add(event.Message, msg)
	e.Add(event.ProcessName, "sshd")
	e.Add(event.UserName, user)
	e.Add(event.HostName, host)
	e.Add(event.SourceIP, ip)
	e.Add(event.EventOutcome, outcome)
	e.Add(event.EventCategory, "authentication")
	e.Sort()
	return e
}

// alertEvent is an alert as detect.Alert.ToEvent stores it; entities are
// field, value pairs.
func alertEvent(at time.Time, rule, level string, evidence event.ID, entities ...string) *event.Event {
	e := &event.Event{Time: at, Source: "vigie/sigma", Format: "alert", Kind: event.KindAlert, Raw: []byte("{}")}
	e.Add("rule.id", rule)
	e.Add("rule.name", "rule "+rule)
	e.Add("rule.level", level)
	e.Add("rule.description", "why "+rule+" fires")
	e.AddTyped("event.severity", fmt.Sprint(detect.Severity(level)), event.Number)
	e.Add("vigie.alert.kind", detect.KindMatch)
	e.Add("vigie.evidence", fmt.Sprint(evidence))
	e.Add("threat.technique.id", "T1110")
	e.Add("threat.tactic.name", "credential-access")
	for i := 0; i+1 < len(entities); i += 2 {
		e.Add(entities[i], entities[i+1])
	}
	e.Sort()
	return e
}

// storeData stores eight failed logins of alice on web01, one of which
// carries a script in its message and command line, the Security log of
// web01 cleared just after, two logins of bob,
// and three alerts: two about alice (incident A), one about bob (B).
func (e *env) storeData(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	var events []*event.Event
	for i := range 7 {
		events = append(events, sshEvent(base.Add(time.Duration(i)*time.Minute), "alice", "web01", "198.51.100.5", "failure"))
	}
	hostile := sshEvent(base.Add(3*time.Minute+time.Second), "alice", "web01", "198.51.100.5", "failure")
	hostile.Set(event.Message, "Failed password "+xss)
	hostile.Set(event.ProcessCommandLine, xss)
	hostile.Raw = []byte("raw " + xss)
	events = append(events, hostile)
	cleared := &event.Event{Time: base.Add(7 * time.Minute), Source: "test/evtx", Format: "evtx", Raw: []byte("<Event/>")}
	cleared.Add("Channel", "Security")
	cleared.Add(event.EventCode, "1102")
	cleared.Add(event.HostName, "web01")
	cleared.Add("SubjectUserName", "alice")
	cleared.Sort()
	events = append(events, cleared)
	for i := range 2 {
		events = append(events, sshEvent(base.Add(time.Duration(i)*time.Minute+30*time.Second), "bob", "db02", "198.51.100.9", "success"))
	}
	if err := e.st.Append(ctx, events); err != nil {
		t.Fatal(err)
	}
	alerts := []*event.Event{
		alertEvent(base.Add(6*time.Minute), "ssh-brute", "high", events[6].ID,
			event.UserName, "alice", event.HostName, "web01", event.SourceIP, "198.51.100.5"),
		alertEvent(base.Add(8*time.Minute), "sudo-root", "medium", events[6].ID,
			event.UserName, "alice", event.HostName, "web01"),
		alertEvent(base.Add(9*time.Minute), "odd-login", "low", events[10].ID,
			event.UserName, "bob", event.HostName, "db02", event.SourceIP, "198.51.100.9"),
	}
	if err := e.st.Append(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		e.alerts = append(e.alerts, a.ID)
	}
	if _, err := e.incidents.Add(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	var ok bool
	if e.incA, ok = e.incidents.IncidentOf(alerts[0].ID); !ok {
		t.Fatal("alice's alert has no incident")
	}
	if e.incB, ok = e.incidents.IncidentOf(alerts[2].ID); !ok || e.incB == e.incA {
		t.Fatalf("bob's alert: incident %d, %v; want one apart from %d", e.incB, ok, e.incA)
	}
}

// client is a browser-like HTTP client: it keeps cookies and does not
// follow redirects, so that tests see them.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
	// session is the session cookie set at login, kept to replay it.
	session string
}

func (e *env) client(t testing.TB) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: e.srv.URL, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login signs in as the user of role and reads the CSRF token from a
// page.
func (e *env) login(t testing.TB, role auth.Role) *client {
	t.Helper()
	c := e.client(t)
	resp, _ := c.post("/ui/login", url.Values{"name": {users[role]}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: %s", users[role], resp.Status)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.CookieName {
			c.session = ck.Value
		}
	}
	c.readCSRF()
	return c
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// readCSRF takes the session's CSRF token from the overview's forms.
func (c *client) readCSRF() {
	c.t.Helper()
	_, body := c.get("/ui/")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token in the overview:\n%s", body)
	}
	c.csrf = m[1]
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a form as is (add the csrf field yourself, or use postCSRF).
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postCSRF sends a form with the session's CSRF token.
func (c *client) postCSRF(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	f := url.Values{"csrf": {c.csrf}}
	for k, vs := range form {
		f[k] = vs
	}
	return c.post(path, f)
}
