package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigie-sec/vigie/internal/alertstate"
	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/casefile"
	decdetect "github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/ingest"
	"github.com/vigie-sec/vigie/internal/ingest/bulk"
	"github.com/vigie-sec/vigie/internal/ingest/ndjson"
	"github.com/vigie-sec/vigie/internal/intel"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/respond/bouncer"
	"github.com/vigie-sec/vigie/internal/retro"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/settings"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// allowListed is the network the response configuration of triageEnv
// never acts on.
const allowListed = "203.0.113.0/24"

// triageEnv is the API with the real parts of issue 5 over one real
// SQLite store, wired as vigie serve wires them.
type triageEnv struct {
	srv       *httptest.Server
	st        *sqlite.Store
	incidents *incident.Manager
	respond   *respond.Manager
	hunter    *retro.Manager
	users     *auth.Service
	evidence  *evidence.Log
	key       *evidence.Key
	settings  *settings.Manager

	// mu guards changes.
	mu      sync.Mutex
	changes []string // OnIncident calls, as "ID change"
}

func newTriageEnv(t *testing.T) *triageEnv { return newTriageEnvAuth(t, auth.NewAuthenticator(token)) }

// newTriageEnvAuth is newTriageEnv with another authenticator.
func newTriageEnvAuth(t *testing.T, authn api.Authenticator) *triageEnv {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &triageEnv{st: st}
	if e.users, err = auth.NewService(auth.Config{Argon2: auth.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}},
		auth.Deps{Records: st, Audit: st}); err != nil {
		t.Fatal(err)
	}
	if e.incidents, err = incident.New(incident.Config{}, incident.Deps{Records: st, Audit: st, Evidence: st}); err != nil {
		t.Fatal(err)
	}
	if err := e.incidents.Load(ctx); err != nil {
		t.Fatal(err)
	}
	b := bouncer.New(st, nil)
	rcfg := respond.Config{Allow: respond.Allow{Networks: []string{allowListed}}, Interval: 10 * time.Millisecond}
	rcfg.Executors.Bouncer.Enabled = true
	if err := rcfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if e.respond, err = respond.New(rcfg, respond.Deps{Records: st, Audit: st, Executors: []respond.Executor{b}, Logger: log}); err != nil {
		t.Fatal(err)
	}
	if err := e.respond.Load(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan struct{})
	go func() { e.respond.Run(runCtx); close(runDone) }()
	// Retro alerts join incidents, as serve's triage makes them.
	e.hunter = retro.New(retro.Deps{Store: st, Logger: log, OnAlerts: func(ctx context.Context, alerts []*event.Event) {
		if _, err := e.incidents.Add(ctx, alerts); err != nil {
			t.Errorf("grouping retro alerts: %v", err)
		}
	}}, retro.Config{})
	if err := e.hunter.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if e.key, err = evidence.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	if e.evidence, err = evidence.Open(ctx, st, e.key, evidence.Config{Origin: "api-test"}); err != nil {
		t.Fatal(err)
	}
	exporter, err := casefile.New(casefile.Config{}, casefile.Deps{Incidents: e.incidents, Store: st, Decisions: e.respond,
		Log: e.evidence, Key: e.key, Subject: api.ScopeSubject})
	if err != nil {
		t.Fatal(err)
	}
	pipe := ingest.New(st, ingest.Config{Logger: log})
	pipeCtx, stopPipe := context.WithCancel(ctx)
	pipeDone := make(chan error, 1)
	go func() { pipeDone <- pipe.Run(pipeCtx) }()
	reg := prometheus.NewRegistry()
	reg.MustRegister(pipe.Counters)
	e.settings = newTestSettings(t, st, e.respond)
	h := api.New(api.Config{
		Auth: authn, Store: st, Sources: pipe.Counters, Health: pipe.Health,
		Ingest:  ndjson.New(ndjson.Config{Submit: pipe, JSON: jsonl.DecodeObject, Decoder: decdetect.New(decdetect.Config{}).ByName}),
		Bulk:    bulk.New(bulk.Config{Submit: pipe, JSON: jsonl.DecodeObject}),
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Version: "test", Audit: st,
		Incidents: e.incidents,
		OnIncident: func(inc *incident.Incident, change string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.changes = append(e.changes, fmt.Sprintf("%d %s", inc.ID, change))
		},
		Scope:        scope.Config{},
		Decisions:    e.respond,
		Bouncers:     b,
		BouncerAPI:   b,
		Hunts:        &testHunts{Manager: e.hunter, audit: st},
		Intel:        &testIntel{store: intel.NewStore(st), hunts: e.hunter, audit: st},
		Users:        e.users,
		IngestTokens: e.users,
		Evidence:     e.evidence,
		Exporter:     exporter,
		Ledger:       st,
		Settings:     e.settings,
		AlertStates:  alertstate.New(st, st),
		Rules:        func() *detect.RuleSet { return nil },
		Logger:       log,
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		e.srv.Close()
		stopRun()
		<-runDone
		e.hunter.Close()
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		pipe.Close(cctx)
		stopPipe()
		<-pipeDone
		st.Close()
	})
	return e
}

// testHunts runs the API's hunts on the real retro.Manager, loading the
// rule files of a request as vigie serve does (cmd/vigie/hunts.go).
type testHunts struct {
	*retro.Manager
	audit store.Auditor
}

func (h *testHunts) Start(ctx context.Context, req api.HuntRequest, who string) (*retro.Job, error) {
	now := time.Now()
	from, _ := api.ParseTime(req.From, now)
	to, _ := api.ParseTime(req.To, now)
	spec := retro.Spec{Name: req.Name, From: from, To: to, RequestedBy: who}
	if len(req.Rules) > 0 {
		rs, err := loadRuleFiles(req.Rules)
		if err != nil {
			return nil, err
		}
		spec.Rules = rs
	}
	job, err := h.Manager.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := h.audit.AppendAudit(ctx, &store.AuditEntry{Actor: who, Action: "hunt.start", Target: "hunt/" + job.ID}); err != nil {
		return nil, err
	}
	return job, nil
}

// loadRuleFiles writes the files under their base names in a temporary
// folder and compiles them; errors name the files as the client sent
// them.
func loadRuleFiles(files []api.RuleFile) (*detect.RuleSet, error) {
	dir, err := os.MkdirTemp("", "vigie-api-hunt-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.Name)), []byte(f.YAML), 0o600); err != nil {
			return nil, err
		}
	}
	strip := func(s string) string { return strings.ReplaceAll(s, dir+string(filepath.Separator), "") }
	rs, err := detect.Load(detect.Config{}, dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", api.ErrBadRules, strip(err.Error()))
	}
	var bad []string
	for _, r := range rs.Reports {
		if r.Status == detect.StatusInvalid {
			bad = append(bad, fmt.Sprintf("%s:%d: %s", strip(r.File), r.Line, strip(r.Reason)))
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: %s", api.ErrBadRules, strings.Join(bad, "; "))
	}
	return rs, nil
}

// testIntel keeps indicators in the real intel.Store and retro-matches
// new ones over the stored events, as vigie serve does.
type testIntel struct {
	store *intel.Store
	hunts *retro.Manager
	audit store.Auditor
}

func (s *testIntel) Import(ctx context.Context, rep *intel.ImportReport, who string) (*api.ImportResult, error) {
	added, updated, err := s.store.Import(ctx, rep.Indicators)
	if err != nil {
		return nil, err
	}
	res := &api.ImportResult{Added: added, Updated: updated, Skipped: rep.Skipped}
	if err := s.audit.AppendAudit(ctx, &store.AuditEntry{Actor: who, Action: "intel.import", Target: "intel"}); err != nil {
		return nil, err
	}
	if added+updated > 0 {
		m := intel.Compile(rep.Indicators)
		job, err := s.hunts.Start(ctx, retro.Spec{Name: fmt.Sprintf("indicators: %d new or updated", added+updated),
			RequestedBy: who, Behaviour: func() *behave.Set { return behave.NewSet(intel.NewDetector(m)) }})
		if err != nil {
			return nil, err
		}
		res.Hunt = job
	}
	return res, nil
}

func (s *testIntel) List(ctx context.Context) ([]intel.Indicator, error) { return s.store.List(ctx) }

func (s *testIntel) Delete(ctx context.Context, id, who string) error {
	if err := s.store.Delete(ctx, id); err != nil {
		return err
	}
	return s.audit.AppendAudit(ctx, &store.AuditEntry{Actor: who, Action: "intel.delete", Target: "intel/" + id})
}

// call sends a request with the API token (and the given headers) and
// checks its status; out, when not nil, receives the JSON answer.
func (e *triageEnv) call(t *testing.T, method, path, body string, want int, out any, header ...string) string {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s %s: %s %s, want %d", method, path, body, resp.Status, b, want)
	}
	if out != nil {
		// Decode into a zero value: fields the answer omits must not
		// keep an earlier answer's values.
		reflect.ValueOf(out).Elem().SetZero()
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return string(b)
}

// fail checks that a request is refused with the status and error code.
func (e *triageEnv) fail(t *testing.T, method, path, body string, status int, code string) api.Error {
	t.Helper()
	var ae api.Error
	e.call(t, method, path, body, status, &ae)
	if ae.Code != code || ae.Message == "" {
		t.Fatalf("%s %s %s: error %+v, want code %s with a message", method, path, body, ae, code)
	}
	return ae
}

// changesSeen returns the OnIncident calls so far.
func (e *triageEnv) changesSeen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.changes)
}

// audit returns the audit entries about target.
func (e *triageEnv) audit(t *testing.T, target string) []store.AuditEntry {
	t.Helper()
	var ar api.AuditResponse
	e.call(t, "GET", "/api/v1/audit?target="+url.QueryEscape(target), "", http.StatusOK, &ar)
	return ar.Entries
}

// waitFor polls cond until it holds, for at most 15 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// base is the time of the test activity: well in the past, so that scope
// windows end before now.
var base = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

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
	e.Add("event.outcome", outcome)
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
	e.AddTyped("event.severity", fmt.Sprint(detect.Severity(level)), event.Number)
	e.Add("vigie.alert.kind", detect.KindMatch)
	e.Add("vigie.evidence", fmt.Sprint(evidence))
	for i := 0; i+1 < len(entities); i += 2 {
		e.Add(entities[i], entities[i+1])
	}
	e.Sort()
	return e
}

func (e *triageEnv) append(t *testing.T, events ...*event.Event) {
	t.Helper()
	if err := e.st.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
}

func TestTriageRoutesNeedToken(t *testing.T) {
	e := newTriageEnv(t)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/incidents"},
		{"GET", "/api/v1/incidents/1"},
		{"PATCH", "/api/v1/incidents/1"},
		{"POST", "/api/v1/incidents/1/notes"},
		{"POST", "/api/v1/incidents/1/merge"},
		{"POST", "/api/v1/incidents/1/split"},
		{"GET", "/api/v1/incidents/1/timeline"},
		{"GET", "/api/v1/incidents/1/scope"},
		{"GET", "/api/v1/entities/user.name/alice"},
		{"GET", "/api/v1/audit"},
		{"POST", "/api/v1/decisions"},
		{"GET", "/api/v1/decisions"},
		{"GET", "/api/v1/decisions/1"},
		{"DELETE", "/api/v1/decisions/1"},
		{"POST", "/api/v1/bouncers"},
		{"GET", "/api/v1/bouncers"},
		{"DELETE", "/api/v1/bouncers/fw1"},
		{"POST", "/api/v1/hunts"},
		{"GET", "/api/v1/hunts"},
		{"GET", "/api/v1/hunts/1"},
		{"DELETE", "/api/v1/hunts/1"},
		{"POST", "/api/v1/intel?format=csv&source=x.csv"},
		{"GET", "/api/v1/intel"},
		{"DELETE", "/api/v1/intel/ip:198.51.100.1"},
	} {
		for _, authz := range []string{"", "Bearer wrong-token", "Bearer " + token + "x"} {
			req, err := http.NewRequest(r.method, e.srv.URL+r.path, strings.NewReader(`{"name":"x","text":"x","from":1}`))
			if err != nil {
				t.Fatal(err)
			}
			if authz != "" {
				req.Header.Set("Authorization", authz)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), `"code":"unauthorized"`) {
				t.Errorf("%s %s with Authorization %q = %s %s, want 401 unauthorized", r.method, r.path, authz, resp.Status, b)
			}
		}
	}
	// Nothing was done by the refused requests.
	if n := len(e.audit(t, "")); n != 0 {
		t.Errorf("refused requests left %d audit entries", n)
	}
	// The bouncer routes take bouncer keys, not API tokens.
	for _, hdr := range [][2]string{{"Authorization", "Bearer " + token}, {"X-Api-Key", token}, {"X-Api-Key", ""}} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/decisions/stream?startup=true", nil)
		req.Header.Set(hdr[0], hdr[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("stream with %s %q = %d, want 403", hdr[0], hdr[1], resp.StatusCode)
		}
	}
}

// triageData is what TestIncidents stores: seven failed logins for alice
// on web01, two logins of bob on db02, and four alerts: two about alice
// (incident A), one about bob (B), one about carol (C).
type triageData struct {
	alice, bob     []*event.Event
	a1, a2, b1, c1 *event.Event
	incA, incB     int64
	incC           int64
}

func storeTriageData(t *testing.T, e *triageEnv) *triageData {
	t.Helper()
	d := &triageData{}
	for i := range 7 {
		d.alice = append(d.alice, sshEvent(base.Add(time.Duration(i)*time.Minute), "alice", "web01", "198.51.100.5", "failure"))
	}
	for i := range 2 {
		d.bob = append(d.bob, sshEvent(base.Add(time.Duration(i)*time.Minute+30*time.Second), "bob", "db02", "198.51.100.9", "success"))
	}
	e.append(t, append(slices.Clone(d.alice), d.bob...)...)
	d.a1 = alertEvent(base.Add(6*time.Minute), "ssh-brute", "high", d.alice[6].ID,
		event.UserName, "alice", event.HostName, "web01", event.SourceIP, "198.51.100.5")
	d.a2 = alertEvent(base.Add(8*time.Minute), "sudo-root", "medium", d.alice[6].ID,
		event.UserName, "Alice", event.HostName, "web01")
	d.b1 = alertEvent(base.Add(9*time.Minute), "odd-login", "low", d.bob[1].ID,
		event.UserName, "bob", event.HostName, "db02", event.SourceIP, "198.51.100.9")
	d.c1 = alertEvent(base.Add(10*time.Minute), "usb-storage", "medium", d.bob[0].ID,
		event.UserName, "carol", event.HostName, "ws03")
	e.append(t, d.a1, d.a2, d.b1, d.c1)
	if _, err := e.incidents.Add(context.Background(), []*event.Event{d.a1, d.a2, d.b1, d.c1}); err != nil {
		t.Fatal(err)
	}
	of := func(a *event.Event) int64 {
		id, ok := e.incidents.IncidentOf(a.ID)
		if !ok {
			t.Fatalf("alert %d in no incident", a.ID)
		}
		return id
	}
	d.incA, d.incB, d.incC = of(d.a1), of(d.b1), of(d.c1)
	if of(d.a2) != d.incA || d.incA == d.incB || d.incA == d.incC || d.incB == d.incC {
		t.Fatalf("grouping: a1 %d a2 %d b1 %d c1 %d, want alice's two alerts together and the others apart",
			d.incA, of(d.a2), d.incB, d.incC)
	}
	return d
}

func TestIncidents(t *testing.T) {
	e := newTriageEnv(t)
	d := storeTriageData(t, e)
	A, B, C := d.incA, d.incB, d.incC
	ids := func(path string) []int64 {
		t.Helper()
		var ir api.IncidentsResponse
		e.call(t, "GET", path, "", http.StatusOK, &ir)
		var out []int64
		for _, inc := range ir.Incidents {
			out = append(out, inc.ID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(v ...int64) []int64 { slices.Sort(v); return v }
	list := func(want []int64, path string) {
		t.Helper()
		if got := ids(path); !slices.Equal(got, want) {
			t.Errorf("GET %s: incidents %v, want %v", path, got, want)
		}
	}
	list(sorted(A, B, C), "/api/v1/incidents")
	list(sorted(A, B, C), "/api/v1/incidents?status=new")
	list(nil, "/api/v1/incidents?status=resolved")
	list(sorted(A), "/api/v1/incidents?min_level=high")
	list(sorted(A, C), "/api/v1/incidents?min_level=medium")
	list(sorted(A), "/api/v1/incidents?field=user.name&value=ALICE")
	list(sorted(B), "/api/v1/incidents?field=source.ip&value=198.51.100.9")
	list(nil, "/api/v1/incidents?field=user.name&value=mallory")
	list(sorted(A, B, C), "/api/v1/incidents?open=true")
	e.fail(t, "GET", "/api/v1/incidents?min_level=severe", "", 400, "bad_level")
	e.fail(t, "GET", "/api/v1/incidents?open=maybe", "", 400, "bad_parameter")

	// One incident: alice's two alerts, highest level, both spellings.
	var inc incident.Incident
	e.call(t, "GET", fmt.Sprintf("/api/v1/incidents/%d", A), "", http.StatusOK, &inc)
	if inc.ID != A || len(inc.Alerts) != 2 || inc.Alerts[0].ID != d.a1.ID || inc.Alerts[1].ID != d.a2.ID ||
		inc.Severity != "high" || inc.Status != incident.StatusNew || !inc.First.Equal(d.a1.Time) || !inc.Last.Equal(d.a2.Time) {
		t.Errorf("GET incident %d = %+v, want alerts %d and %d, high, new, %s to %s", A, inc, d.a1.ID, d.a2.ID, d.a1.Time, d.a2.Time)
	}
	if en := inc.Entity(event.UserName, "alice"); en == nil || !slices.Contains(en.Spellings, "Alice") || !slices.Contains(en.Spellings, "alice") {
		t.Errorf("incident %d entities %+v: want alice with spellings alice and Alice", A, inc.Entities)
	}
	e.fail(t, "GET", "/api/v1/incidents/9999", "", 404, "not_found")
	e.fail(t, "GET", "/api/v1/incidents/abc", "", 400, "bad_id")
	e.fail(t, "GET", "/api/v1/incidents/-1", "", 400, "bad_id")

	// Status: new → investigating → resolved; resolved → contained is
	// refused.
	path := func(id int64, rest string) string { return fmt.Sprintf("/api/v1/incidents/%d%s", id, rest) }
	e.call(t, "PATCH", path(C, ""), `{"status":"investigating","assignee":"ana"}`, http.StatusOK, &inc)
	if inc.Status != incident.StatusInvestigating || inc.Assignee != "ana" {
		t.Errorf("after PATCH investigating: %s assigned to %q", inc.Status, inc.Assignee)
	}
	e.call(t, "PATCH", path(C, ""), `{"status":"resolved"}`, http.StatusOK, &inc)
	if inc.Status != incident.StatusResolved {
		t.Errorf("after PATCH resolved: %s", inc.Status)
	}
	e.fail(t, "PATCH", path(C, ""), `{"status":"contained"}`, 409, "bad_transition")
	list(sorted(C), "/api/v1/incidents?status=resolved")
	list(sorted(A, B), "/api/v1/incidents?open=true")
	list(sorted(C), "/api/v1/incidents?assignee=ana")
	// A false positive needs a reason.
	e.fail(t, "PATCH", path(B, ""), `{"status":"false_positive"}`, 400, "invalid_input")
	e.fail(t, "PATCH", path(B, ""), `{"status":"false_positive","reason":"   "}`, 400, "invalid_input")
	e.fail(t, "PATCH", path(B, ""), `{"statuss":"resolved"}`, 400, "bad_json")
	e.fail(t, "PATCH", path(B, ""), `{}`, 400, "empty_update")
	e.fail(t, "PATCH", path(B, ""), ``, 400, "bad_json")
	e.fail(t, "PATCH", path(B, ""), `{"status":"resolved"} {}`, 400, "bad_json")
	e.fail(t, "PATCH", path(9999, ""), `{"status":"resolved"}`, 404, "not_found")
	e.fail(t, "PATCH", "/api/v1/incidents/x1", `{"status":"resolved"}`, 400, "bad_id")
	e.fail(t, "PATCH", path(B, ""), `{"status":"closed"}`, 400, "bad_status")
	// A refused field refuses the whole update: the valid status is not applied.
	e.fail(t, "PATCH", path(B, ""), `{"status":"investigating","severity":"extreme"}`, 400, "bad_level")
	e.fail(t, "GET", "/api/v1/incidents?status=bogus", "", 400, "bad_status")
	e.call(t, "GET", path(B, ""), "", http.StatusOK, &inc)
	if inc.Status != incident.StatusNew || inc.Reason != "" {
		t.Errorf("refused updates changed incident %d: %s %q", B, inc.Status, inc.Reason)
	}

	// Notes.
	e.call(t, "POST", path(A, "/notes"), `{"text":"alice's password was sprayed"}`, http.StatusCreated, &inc)
	if len(inc.Notes) != 1 || inc.Notes[0].Author != "admin" || inc.Notes[0].Text != "alice's password was sprayed" {
		t.Errorf("notes after POST: %+v", inc.Notes)
	}
	e.fail(t, "POST", path(A, "/notes"), `{"text":"  "}`, 400, "invalid_input")
	e.fail(t, "POST", path(A, "/notes"), `{"note":"x"}`, 400, "bad_json")
	e.fail(t, "POST", path(9999, "/notes"), `{"text":"x"}`, 404, "not_found")

	// Merge B into A, then split it out again.
	e.call(t, "POST", path(A, "/merge"), fmt.Sprintf(`{"from":%d}`, B), http.StatusOK, &inc)
	if len(inc.Alerts) != 3 || len(inc.Parts) != 1 || inc.Parts[0].Incident != B {
		t.Errorf("after merge: %d alerts, parts %+v; want 3 alerts and part %d", len(inc.Alerts), inc.Parts, B)
	}
	var merged incident.Incident
	e.call(t, "GET", path(B, ""), "", http.StatusOK, &merged)
	if merged.Status != incident.StatusMerged || merged.MergedInto != A || len(merged.Alerts) != 0 {
		t.Errorf("merged incident %d: %s into %d with %d alerts", B, merged.Status, merged.MergedInto, len(merged.Alerts))
	}
	list(sorted(A), "/api/v1/incidents?field=user.name&value=bob")
	e.fail(t, "POST", path(A, "/merge"), fmt.Sprintf(`{"from":%d}`, B), 409, "bad_transition")
	e.fail(t, "POST", path(A, "/merge"), fmt.Sprintf(`{"from":%d}`, A), 400, "invalid_input")
	e.fail(t, "POST", path(A, "/merge"), `{"from":9999}`, 404, "not_found")
	e.fail(t, "POST", path(A, "/split"), fmt.Sprintf(`{"from":%d}`, C), 409, "bad_transition")
	e.call(t, "POST", path(A, "/split"), fmt.Sprintf(`{"from":%d}`, B), http.StatusOK, &inc)
	if len(inc.Alerts) != 2 || len(inc.Parts) != 0 {
		t.Errorf("after split: %d alerts, parts %+v; want 2 and none", len(inc.Alerts), inc.Parts)
	}
	e.call(t, "GET", path(B, ""), "", http.StatusOK, &merged)
	if merged.Status != incident.StatusNew || merged.MergedInto != 0 || len(merged.Alerts) != 1 || merged.Alerts[0].ID != d.b1.ID {
		t.Errorf("split incident %d: %s into %d with alerts %+v", B, merged.Status, merged.MergedInto, merged.Alerts)
	}
	e.fail(t, "POST", path(A, "/split"), fmt.Sprintf(`{"from":%d}`, B), 409, "bad_transition")

	// The notifications were told of each change that was made, and
	// only of those.
	want := []string{
		fmt.Sprintf("%d status", C), fmt.Sprintf("%d assign", C), fmt.Sprintf("%d status", C),
		fmt.Sprintf("%d note", A), fmt.Sprintf("%d merge", A), fmt.Sprintf("%d split", A),
	}
	if got := e.changesSeen(); !slices.Equal(got, want) {
		t.Errorf("OnIncident calls %q, want %q", got, want)
	}

	// The audit log has each action, by admin, under incident/ID.
	actions := func(target string) []string {
		t.Helper()
		var out []string
		for _, en := range e.audit(t, target) {
			if en.Actor != "admin" || en.Target != target || en.Remote == "" {
				t.Errorf("audit entry %+v: want actor admin, target %s and the client's address", en, target)
			}
			out = append(out, en.Action)
		}
		return out
	}
	for target, want := range map[string][]string{
		fmt.Sprintf("incident/%d", C): {"incident.status", "incident.assign", "incident.status"},
		fmt.Sprintf("incident/%d", A): {"incident.note", "incident.merge", "incident.split"},
		fmt.Sprintf("incident/%d", B): {"incident.merged_into", "incident.split_from"},
	} {
		if got := actions(target); !slices.Equal(got, want) {
			t.Errorf("audit of %s: %q, want %q", target, got, want)
		}
	}
	var cEntries = e.audit(t, fmt.Sprintf("incident/%d", C))
	var detail struct{ From, To string }
	if len(cEntries) == 3 {
		json.Unmarshal(cEntries[2].Detail, &detail)
	}
	if detail.From != "investigating" || detail.To != "resolved" {
		t.Errorf("audit detail of the last status change: %+v, want investigating to resolved", detail)
	}
	// Paging the whole audit log: 8 entries, 3 at a time.
	var all []int64
	after := int64(0)
	for range 5 {
		var ar api.AuditResponse
		e.call(t, "GET", fmt.Sprintf("/api/v1/audit?limit=3&after=%d", after), "", http.StatusOK, &ar)
		for _, en := range ar.Entries {
			all = append(all, en.Seq)
		}
		if ar.Next == 0 {
			break
		}
		after = ar.Next
	}
	if len(all) != 8 || !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != 8 {
		t.Errorf("audit pages gave sequence numbers %v, want 8 distinct in order", all)
	}
	e.fail(t, "GET", "/api/v1/audit?after=x", "", 400, "bad_cursor")
	e.fail(t, "GET", "/api/v1/audit?limit=0", "", 400, "bad_limit")

	// The entity view finds alice's incident and alerts.
	var info incident.EntityInfo
	e.call(t, "GET", "/api/v1/entities/user.name/Alice", "", http.StatusOK, &info)
	if info.Value != "alice" || info.AlertCount != 2 || len(info.Incidents) != 1 || info.Incidents[0].ID != A {
		t.Errorf("entity alice: value %q, %d alerts, incidents %+v; want 2 alerts in incident %d", info.Value, info.AlertCount, info.Incidents, A)
	}
	e.fail(t, "GET", "/api/v1/entities/process.name/sshd", "", 400, "bad_field")
}

func TestTimelineAndScope(t *testing.T) {
	e := newTriageEnv(t)
	d := storeTriageData(t, e)
	// Incident A names alice, web01 and 198.51.100.5: alice's seven
	// events and the two alerts.
	want := map[event.ID]bool{d.a1.ID: true, d.a2.ID: true}
	for _, ev := range d.alice {
		want[ev.ID] = true
	}
	seen := map[event.ID]bool{}
	var pages []int
	var last time.Time
	before := event.ID(0)
	for range 10 {
		path := fmt.Sprintf("/api/v1/incidents/%d/timeline?limit=4", d.incA)
		if before != 0 {
			path += fmt.Sprintf("&before=%d", before)
		}
		var tr api.TimelineResponse
		e.call(t, "GET", path, "", http.StatusOK, &tr)
		pages = append(pages, len(tr.Items))
		for _, it := range tr.Items {
			if seen[it.ID] {
				t.Errorf("timeline item %d repeated (page %d)", it.ID, len(pages))
			}
			seen[it.ID] = true
			if !last.IsZero() && it.Time.After(last) {
				t.Errorf("timeline item %d at %s after %s: want newest first", it.ID, it.Time, last)
			}
			last = it.Time
			isAlert := it.ID == d.a1.ID || it.ID == d.a2.ID
			if isAlert != it.InIncident || isAlert != (it.Kind == "alert") || it.Event != nil {
				t.Errorf("timeline item %+v: in_incident and kind alert only for the incident's alerts, no event without events=true", it)
			}
		}
		if tr.Next == 0 {
			break
		}
		if tr.Next != tr.Items[len(tr.Items)-1].ID {
			t.Errorf("next %d is not the page's last item %d", tr.Next, tr.Items[len(tr.Items)-1].ID)
		}
		before = tr.Next
	}
	if !slices.Equal(pages, []int{4, 4, 1}) {
		t.Errorf("timeline pages of %v items, want 4, 4, 1", pages)
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("timeline lacks event %d", id)
		}
	}
	for id := range seen {
		if !want[id] {
			t.Errorf("timeline has event %d, which names none of the incident's entities", id)
		}
	}
	var tr api.TimelineResponse
	e.fail(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/timeline?kinds=nope", d.incA), "", 400, "bad_parameter")
	e.call(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/timeline?kinds=alert&events=true", d.incA), "", http.StatusOK, &tr)
	if len(tr.Items) != 2 || tr.Items[0].ID != d.a2.ID || tr.Items[0].Event == nil || tr.Items[0].Title != "rule sudo-root" {
		t.Errorf("alerts of the timeline with events: %+v, want a2 then a1 with their events", tr.Items)
	}
	e.fail(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/timeline?q=user.name:(", d.incA), "", 400, "query_syntax")
	e.fail(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/timeline?before=x", d.incA), "", 400, "bad_cursor")
	e.fail(t, "GET", "/api/v1/incidents/9999/timeline", "", 404, "not_found")

	// Scope: the incident's account, in JSON and in text.
	var rep scope.Report
	e.call(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/scope", d.incA), "", http.StatusOK, &rep)
	var accounts []string
	for _, a := range rep.Accounts {
		accounts = append(accounts, strings.ToLower(a.Name))
	}
	if !slices.Contains(accounts, "alice") || slices.Contains(accounts, "bob") || slices.Contains(accounts, "carol") {
		t.Errorf("scope accounts %q: want alice, not bob nor carol", accounts)
	}
	if !rep.From.Equal(d.a1.Time.Add(-api.ScopePadding)) || rep.EventsRead == 0 {
		t.Errorf("scope window from %s (%d events read), want %s", rep.From, rep.EventsRead, d.a1.Time.Add(-api.ScopePadding))
	}
	text := e.call(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/scope?format=text", d.incA), "", http.StatusOK, nil)
	if !strings.Contains(text, "alice") {
		t.Errorf("scope text lacks alice:\n%s", text)
	}
	e.fail(t, "GET", "/api/v1/incidents/9999/scope", "", 404, "not_found")
}

func TestDecisionsAndBouncers(t *testing.T) {
	e := newTriageEnv(t)
	var dec respond.Decision
	e.call(t, "POST", "/api/v1/decisions", `{"action":"block","scope":"ip","value":"198.51.100.23","duration":"2h","reason":"brute force"}`,
		http.StatusCreated, &dec)
	if dec.ID == "" || dec.Value != "198.51.100.23" || dec.Actor != "admin" || dec.Origin != respond.OriginAnalyst ||
		dec.Expires.Sub(dec.Created) != 2*time.Hour || dec.Reason != "brute force" {
		t.Fatalf("decision = %+v, want a 2h block of 198.51.100.23 by admin", dec)
	}
	first := dec.ID
	// Refused requests.
	e.fail(t, "POST", "/api/v1/decisions", `{"action":"block","value":"203.0.113.7"}`, 409, "allow_listed")
	e.fail(t, "POST", "/api/v1/decisions", `{"action":"block","value":"203.0.113.0/28"}`, 409, "allow_listed")
	e.fail(t, "POST", "/api/v1/decisions", `{"action":"block","value":"198.51.100.24","duration":"forever"}`, 400, "bad_duration")
	e.fail(t, "POST", "/api/v1/decisions", `{"action":"block","value":"198.51.100.24","duration":"-1h"}`, 400, "bad_duration")
	e.fail(t, "POST", "/api/v1/decisions", `{"action":"block","value":"not-an-address"}`, 400, "invalid_decision")
	e.fail(t, "POST", "/api/v1/decisions", `{"action":"block","value":"198.51.100.24","ttl":"1h"}`, 400, "bad_json")
	e.fail(t, "GET", "/api/v1/decisions/999", "", 404, "not_found")
	e.fail(t, "DELETE", "/api/v1/decisions/999", "", 404, "not_found")
	e.fail(t, "GET", "/api/v1/decisions?active=perhaps", "", 400, "bad_parameter")

	// The block reaches the bouncer executor.
	waitFor(t, "the block applied by the bouncer", func() bool {
		var d respond.Decision
		e.call(t, "GET", "/api/v1/decisions/"+first, "", http.StatusOK, &d)
		x := d.Executions[bouncer.Name]
		return x != nil && x.Op == respond.OpApply && x.State == respond.StateDone
	})
	// A bouncer key is shown once, then works on the stream.
	var bk api.BouncerKey
	e.call(t, "POST", "/api/v1/bouncers", `{"name":"fw1"}`, http.StatusCreated, &bk)
	if bk.Name != "fw1" || len(bk.Key) < 32 {
		t.Fatalf("bouncer key = %+v", bk)
	}
	if out := e.call(t, "GET", "/api/v1/bouncers", "", http.StatusOK, nil); !strings.Contains(out, `"name":"fw1"`) || strings.Contains(out, bk.Key) {
		t.Errorf("bouncer list %s: want fw1 without its key", out)
	}
	if out := e.fail(t, "POST", "/api/v1/bouncers", `{"name":"fw1"}`, 400, "bad_bouncer"); strings.Contains(out.Message, bk.Key) {
		t.Errorf("a second registration shows the key")
	}
	e.fail(t, "POST", "/api/v1/bouncers", `{"name":"fw 1/x"}`, 400, "bad_bouncer")
	type stream struct {
		New     []bouncer.Decision `json:"new"`
		Deleted []bouncer.Decision `json:"deleted"`
	}
	pull := func(query string, key string, status int) stream {
		t.Helper()
		var s stream
		var out any = &s
		if status != http.StatusOK {
			out = nil
		}
		e.call(t, "GET", "/v1/decisions/stream"+query, "", status, out, "X-Api-Key", key)
		return s
	}
	values := func(ds []bouncer.Decision) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Value)
		}
		return out
	}
	s := pull("?startup=true", bk.Key, http.StatusOK)
	if !slices.Equal(values(s.New), []string{"198.51.100.23"}) || len(s.Deleted) != 0 || s.New[0].Type != "ban" || s.New[0].Scope != "Ip" {
		t.Errorf("startup stream = %+v, want the ban of 198.51.100.23", s)
	}
	pull("?startup=true", bk.Key+"x", http.StatusForbidden)
	pull("?startup=true", "", http.StatusForbidden)

	// A second block, revoked: the stream serves it, then its deletion.
	e.call(t, "POST", "/api/v1/decisions", `{"value":"198.51.100.24","duration":"30m"}`, http.StatusCreated, &dec)
	second := dec.ID
	applied := func(id, op string) func() bool {
		return func() bool {
			var d respond.Decision
			e.call(t, "GET", "/api/v1/decisions/"+id, "", http.StatusOK, &d)
			x := d.Executions[bouncer.Name]
			return x != nil && x.Op == op && x.State == respond.StateDone
		}
	}
	waitFor(t, "the second block applied", applied(second, respond.OpApply))
	if s := pull("", bk.Key, http.StatusOK); !slices.Equal(values(s.New), []string{"198.51.100.24"}) || len(s.Deleted) != 0 {
		t.Errorf("stream after the second block = %+v, want only 198.51.100.24 as new", s)
	}
	var active, all api.DecisionsResponse
	e.call(t, "GET", "/api/v1/decisions", "", http.StatusOK, &active)
	if len(active.Decisions) != 2 {
		t.Errorf("%d active decisions, want 2", len(active.Decisions))
	}
	e.call(t, "DELETE", "/api/v1/decisions/"+second, `{"reason":"false alarm"}`, http.StatusOK, &dec)
	if dec.Revoked.IsZero() || dec.RevokedBy != "admin" || dec.RevokeReason != "false alarm" {
		t.Errorf("revoked decision = %+v", dec)
	}
	e.fail(t, "DELETE", "/api/v1/decisions/"+second, "", 409, "ended")
	waitFor(t, "the second block revoked at the bouncer", applied(second, respond.OpRevoke))
	if s := pull("", bk.Key, http.StatusOK); len(s.New) != 0 || !slices.Equal(values(s.Deleted), []string{"198.51.100.24"}) {
		t.Errorf("stream after the revocation = %+v, want 198.51.100.24 deleted", s)
	}
	e.call(t, "GET", "/api/v1/decisions", "", http.StatusOK, &active)
	e.call(t, "GET", "/api/v1/decisions?active=false", "", http.StatusOK, &all)
	if len(active.Decisions) != 1 || active.Decisions[0].ID != first || len(all.Decisions) != 2 {
		t.Errorf("after revocation: %d active (want %s only), %d in all (want 2)", len(active.Decisions), first, len(all.Decisions))
	}
	var byValue api.DecisionsResponse
	e.call(t, "GET", "/api/v1/decisions?active=all&scope=ip&value=198.51.100.24", "", http.StatusOK, &byValue)
	if len(byValue.Decisions) != 1 || byValue.Decisions[0].ID != second {
		t.Errorf("decisions of 198.51.100.24: %+v", byValue.Decisions)
	}

	// Removing the bouncer revokes its key.
	e.call(t, "DELETE", "/api/v1/bouncers/fw1", "", http.StatusNoContent, nil)
	pull("?startup=true", bk.Key, http.StatusForbidden)
	e.fail(t, "DELETE", "/api/v1/bouncers/fw1", "", 404, "not_found")

	// Audit: the decisions' own and the API's bouncer actions.
	for target, want := range map[string][]string{
		"decision/" + first:  {respond.AuditCreate},
		"decision/" + second: {respond.AuditCreate, respond.AuditRevoke},
		"bouncer/fw1":        {"bouncer.add", "bouncer.remove"},
	} {
		var got []string
		for _, en := range e.audit(t, target) {
			if en.Actor != "admin" {
				t.Errorf("audit %+v: actor %q, want admin", en, en.Actor)
			}
			got = append(got, en.Action)
		}
		if !slices.Equal(got, want) {
			t.Errorf("audit of %s: %q, want %q", target, got, want)
		}
	}
}

func TestIntel(t *testing.T) {
	e := newTriageEnv(t)
	// One stored event met the C2 address.
	e.append(t, sshEvent(base, "dave", "web02", "198.51.100.77", "success"), sshEvent(base, "erin", "web03", "198.51.100.78", "success"))
	csv := "type,value,name,confidence\nip,198.51.100.77,c2 server,90\ndomain,evil.example,phishing,\n"
	var res api.ImportResult
	e.call(t, "POST", "/api/v1/intel?format=csv&source=cert.csv", csv, http.StatusOK, &res)
	if res.Added != 2 || res.Updated != 0 || len(res.Skipped) != 0 || res.Hunt == nil {
		t.Fatalf("import = %+v, want 2 added and a hunt", res)
	}
	var job retro.Job
	waitFor(t, "the retro-match", func() bool {
		e.call(t, "GET", "/api/v1/hunts/"+res.Hunt.ID, "", http.StatusOK, &job)
		return job.State != retro.Running
	})
	if job.State != retro.Done || job.Alerts != 1 {
		t.Errorf("retro-match of the indicators: %s with %d alerts, want done with 1 (the event naming 198.51.100.77)", job.State, job.Alerts)
	}
	var ir api.IndicatorsResponse
	e.call(t, "GET", "/api/v1/intel", "", http.StatusOK, &ir)
	before := map[string]string{}
	for _, ind := range ir.Indicators {
		before[ind.ID] = ind.Value
		if ind.Source != "cert.csv" {
			t.Errorf("indicator %+v: source %q, want cert.csv", ind, ind.Source)
		}
	}
	if len(before) != 2 || before["ip:198.51.100.77"] != "198.51.100.77" || before["domain:evil.example"] != "evil.example" {
		t.Fatalf("indicators = %v", before)
	}
	// Importing the same file again changes nothing; a changed
	// confidence updates one indicator, and the format is guessed from
	// the file name.
	e.call(t, "POST", "/api/v1/intel?format=csv&source=cert.csv", csv, http.StatusOK, &res)
	if res.Added != 0 || res.Updated != 0 || res.Hunt != nil {
		t.Errorf("same import again = %+v, want nothing added or updated, no hunt", res)
	}
	changed := strings.Replace(csv, "c2 server,90", "c2 server,80", 1)
	e.call(t, "POST", "/api/v1/intel?source=cert.csv", changed, http.StatusOK, &res)
	if res.Added != 0 || res.Updated != 1 || res.Hunt == nil {
		t.Fatalf("changed import = %+v, want 1 updated and a hunt", res)
	}
	waitFor(t, "the second retro-match", func() bool {
		e.call(t, "GET", "/api/v1/hunts/"+res.Hunt.ID, "", http.StatusOK, &job)
		return job.State != retro.Running
	})
	e.call(t, "GET", "/api/v1/intel", "", http.StatusOK, &ir)
	before = map[string]string{}
	for _, ind := range ir.Indicators {
		before[ind.ID] = ind.Value
		if ind.ID == "ip:198.51.100.77" && ind.Confidence != 80 {
			t.Errorf("updated indicator confidence %d, want 80", ind.Confidence)
		}
	}

	// A malformed file: rejected with its line and column, nothing of it
	// imported (its second line is valid).
	bad := "type,value,confidence\nip,198.51.100.80,90\nip,198.51.100.81,abc\n"
	ae := e.fail(t, "POST", "/api/v1/intel?format=csv&source=bad.csv", bad, http.StatusUnprocessableEntity, "bad_indicators")
	if !strings.Contains(ae.Message, "bad.csv:3:18") || !strings.Contains(ae.Message, "nothing was imported") {
		t.Errorf("malformed CSV: %q, want bad.csv:3:18 and that nothing was imported", ae.Message)
	}
	var after api.IndicatorsResponse
	e.call(t, "GET", "/api/v1/intel", "", http.StatusOK, &after)
	if len(after.Indicators) != len(ir.Indicators) {
		t.Errorf("after a rejected file: %d indicators, want the %d before", len(after.Indicators), len(ir.Indicators))
	}
	for _, ind := range after.Indicators {
		if before[ind.ID] != ind.Value {
			t.Errorf("after a rejected file: indicator %s %s was not there before", ind.ID, ind.Value)
		}
	}
	e.fail(t, "POST", "/api/v1/intel?format=csv", csv, 400, "bad_parameter")
	e.fail(t, "POST", "/api/v1/intel?source=feed.bin", "198.51.100.90\n", 400, "bad_format")
	e.fail(t, "POST", "/api/v1/intel?source=feed.csv&format=yaml", "type,value\nip,198.51.100.90\n", 400, "bad_format")

	// Delete.
	e.call(t, "DELETE", "/api/v1/intel/ip:198.51.100.77", "", http.StatusNoContent, nil)
	e.fail(t, "DELETE", "/api/v1/intel/ip:198.51.100.77", "", 404, "not_found")
	e.call(t, "GET", "/api/v1/intel", "", http.StatusOK, &after)
	if len(after.Indicators) != 1 || after.Indicators[0].ID != "domain:evil.example" {
		t.Errorf("after delete: %+v, want only domain:evil.example", after.Indicators)
	}
}

// sshFailureRule matches failed sshd logins.
const sshFailureRule = `title: SSH failed password
id: 5a0f6c1e-8a43-4f4e-9d0c-3c2b1a0f9e11
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
level: low
`

func TestHunts(t *testing.T) {
	e := newTriageEnv(t)
	var stored []*event.Event
	for i := range 7 {
		stored = append(stored, sshEvent(base.Add(time.Duration(i)*time.Minute), "alice", "web01", "198.51.100.5", "failure"))
	}
	for i := range 3 {
		stored = append(stored, sshEvent(base.Add(time.Duration(i)*time.Minute), "bob", "db02", "198.51.100.9", "success"))
	}
	e.append(t, stored...)
	body, _ := json.Marshal(api.HuntRequest{Name: "ssh failures", Rules: []api.RuleFile{{Name: "ssh.yml", YAML: sshFailureRule}}})
	var job retro.Job
	e.call(t, "POST", "/api/v1/hunts", string(body), http.StatusAccepted, &job)
	if job.ID == "" || job.Name != "ssh failures" || job.RequestedBy != "admin" {
		t.Fatalf("hunt = %+v", job)
	}
	waitFor(t, "the hunt to end", func() bool {
		e.call(t, "GET", "/api/v1/hunts/"+job.ID, "", http.StatusOK, &job)
		return job.State != retro.Running
	})
	if job.State != retro.Done || job.Alerts != 7 || job.Scanned != 10 || job.Matched != 10 || job.Rules != 1 {
		t.Errorf("hunt ended %s: %d alerts, %d read, %d in range, %d rules; want done, 7, 10, 10, 1",
			job.State, job.Alerts, job.Scanned, job.Matched, job.Rules)
	}
	var hr api.HuntsResponse
	e.call(t, "GET", "/api/v1/hunts", "", http.StatusOK, &hr)
	if len(hr.Hunts) != 1 || hr.Hunts[0].ID != job.ID {
		t.Errorf("hunts = %+v", hr.Hunts)
	}
	// Its alerts were stored and grouped into one incident.
	var sr api.SearchResponse
	e.call(t, "GET", "/api/v1/events?q="+url.QueryEscape("vigie.hunt.id:"+job.ID), "", http.StatusOK, &sr)
	if len(sr.Events) != 7 {
		t.Errorf("%d alerts stored with the hunt's id, want 7", len(sr.Events))
	}
	var ir api.IncidentsResponse
	e.call(t, "GET", "/api/v1/incidents?field=user.name&value=alice", "", http.StatusOK, &ir)
	if len(ir.Incidents) != 1 || len(ir.Incidents[0].Alerts) != 7 || ir.Incidents[0].Alerts[0].HuntID != job.ID {
		t.Errorf("incidents of alice after the hunt: %d (want one with the 7 hunt alerts)", len(ir.Incidents))
	}
	// A hunt over a window that holds no event raises nothing.
	body, _ = json.Marshal(api.HuntRequest{Name: "later", Rules: []api.RuleFile{{Name: "ssh.yml", YAML: sshFailureRule}},
		From: base.Add(time.Hour).Format(time.RFC3339)})
	var later retro.Job
	e.call(t, "POST", "/api/v1/hunts", string(body), http.StatusAccepted, &later)
	waitFor(t, "the second hunt to end", func() bool {
		e.call(t, "GET", "/api/v1/hunts/"+later.ID, "", http.StatusOK, &later)
		return later.State != retro.Running
	})
	// It reads the 10 events and the first hunt's 7 alerts.
	if later.State != retro.Done || later.Alerts != 0 || later.Matched != 0 || later.Scanned != 17 {
		t.Errorf("hunt after the events: %s, %d alerts, %d in range, %d read; want done, 0, 0, 17", later.State, later.Alerts, later.Matched, later.Scanned)
	}

	// Refused hunts.
	broken, _ := json.Marshal(api.HuntRequest{Rules: []api.RuleFile{{Name: "broken-rule.yml", YAML: "title: broken\ndetection: [unclosed\n"}}})
	ae := e.fail(t, "POST", "/api/v1/hunts", string(broken), 400, "invalid_hunt")
	if !strings.Contains(ae.Message, "broken-rule.yml") || strings.Contains(ae.Message, os.TempDir()) {
		t.Errorf("YAML error %q: want the file name sent, not the server's folder", ae.Message)
	}
	e.fail(t, "POST", "/api/v1/hunts", `{"name":"nothing"}`, 400, "invalid_hunt")
	e.fail(t, "POST", "/api/v1/hunts", `{"name":"x","from":"last tuesday"}`, 400, "bad_time")
	e.fail(t, "POST", "/api/v1/hunts", `{"name":"x","rule":[]}`, 400, "bad_json")
	if n := len(e.hunter.List()); n != 2 {
		t.Errorf("%d hunts known after refused requests, want 2", n)
	}

	// Stop.
	e.fail(t, "DELETE", "/api/v1/hunts/"+job.ID, "", 409, "not_running")
	e.fail(t, "DELETE", "/api/v1/hunts/999", "", 404, "not_found")
	e.fail(t, "GET", "/api/v1/hunts/999", "", 404, "not_found")
}
