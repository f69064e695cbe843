package settings_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/settings"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
	signed "github.com/vigie-sec/vigie/internal/webhook"
)

// hit is one request a test webhook receiver got.
type hit struct {
	kind, title string
	signed      bool // carries a signature that "receiver-secret-1" verifies
	hasSig      bool
}

// receiver is a webhook endpoint on 127.0.0.1.
func receiver(t *testing.T) (*httptest.Server, chan hit) {
	t.Helper()
	got := make(chan hit, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var n notify.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		sig := r.Header.Get(signed.SignatureHeader)
		ok := signed.Verify([]byte("receiver-secret-1"), r.Header.Get(signed.TimestampHeader), sig, body, time.Now(), time.Minute) == nil
		got <- hit{kind: n.Kind, title: n.Title, signed: ok, hasSig: sig != ""}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

type env struct {
	st       store.Store
	notifier *notify.Notifier
	respond  *respond.Manager
	settings *settings.Manager
	yaml     settings.Config
}

func open(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newEnv runs a notifier and a response manager built from yaml, as
// serve builds them, and a settings Manager over them, loaded.
func newEnv(t testing.TB, st store.Store, yaml settings.Config) *env {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	yaml.Notify.GroupWait = 10 * time.Millisecond
	n, err := notify.New(yaml.Notify, notify.Deps{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	r, err := respond.New(respond.Config{Policies: yaml.Policies}, respond.Deps{Records: st, Audit: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := settings.New(yaml, settings.Deps{Records: st, Audit: st, Notifier: n, Responder: r})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return &env{st: st, notifier: n, respond: r, settings: s, yaml: yaml}
}

func next(t *testing.T, ch chan hit, what string) hit {
	t.Helper()
	select {
	case h := <-ch:
		return h
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s within 5s", what)
	}
	return hit{}
}

func nothing(t *testing.T, ch chan hit, what string) {
	t.Helper()
	select {
	case h := <-ch:
		t.Fatalf("unexpected %s: %+v", what, h)
	case <-time.After(150 * time.Millisecond):
	}
}

var admin = settings.Actor{User: "root", Remote: "192.0.2.7:5555"}

// auditActions returns "action target actor remote" of each entry.
func auditActions(t *testing.T, st store.Store) []string {
	t.Helper()
	entries, err := st.AuditLog(context.Background(), 0, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "settings.") {
			out = append(out, strings.Join([]string{e.Action, e.Target, e.Actor, e.Remote}, " "))
		}
	}
	return out
}

// A target made in the console is stored, receives notifications at
// once (no restart), can be tested, changed and deleted; every change
// is audited with who and from where.
func TestTargetLifecycle(t *testing.T) {
	ctx := context.Background()
	srv, got := receiver(t)
	e := newEnv(t, open(t), settings.Config{})

	hook := settings.Target{Name: "soc-hook", Type: "webhook", URL: srv.URL, AllowPrivate: true, Secret: "receiver-secret-1", MinLevel: "high"}
	if err := e.settings.CreateTarget(ctx, hook, admin); err != nil {
		t.Fatalf("CreateTarget: %v", err)
	}
	e.notifier.Notify(notify.Message{Kind: notify.KindAlert, Level: "medium", Title: "medium alert", Rule: "r1"})
	e.notifier.Notify(notify.Message{Kind: notify.KindAlert, Level: "critical", Title: "critical alert", Rule: "r2"})
	if h := next(t, got, "notification"); h.title != "critical alert" || !h.signed {
		t.Errorf("received %+v, want the critical alert, signed with the secret", h)
	}
	nothing(t, got, "the medium alert, below the target's min_level")

	if err := e.settings.TestTarget(ctx, "soc-hook", admin); err != nil {
		t.Fatalf("TestTarget: %v", err)
	}
	if h := next(t, got, "test notification"); h.kind != notify.KindTest {
		t.Errorf("test notification kind %q, want %q", h.kind, notify.KindTest)
	}

	v, err := e.settings.Target("soc-hook")
	if err != nil {
		t.Fatal(err)
	}
	if v.Secret != "" || !v.HasSecret || v.ReadOnly() || v.CreatedBy != "root" {
		t.Errorf("view %+v: want no secret shown, has_secret, editable, created by root", v)
	}
	raw, _ := json.Marshal(e.settings.Targets())
	if strings.Contains(string(raw), "receiver-secret-1") {
		t.Errorf("the secret is in the targets' JSON: %s", raw)
	}

	// An update with an empty secret keeps it.
	hook.Secret, hook.MinLevel = "", ""
	if err := e.settings.UpdateTarget(ctx, "soc-hook", hook, admin); err != nil {
		t.Fatalf("UpdateTarget: %v", err)
	}
	e.notifier.Notify(notify.Message{Kind: notify.KindAlert, Level: "low", Title: "low alert", Rule: "r3"})
	if h := next(t, got, "low alert after min_level was removed"); h.title != "low alert" || !h.signed {
		t.Errorf("received %+v, want the low alert, still signed", h)
	}
	// clear_secret removes it.
	hook.ClearSecret = true
	if err := e.settings.UpdateTarget(ctx, "soc-hook", hook, admin); err != nil {
		t.Fatalf("UpdateTarget clearing the secret: %v", err)
	}
	e.notifier.Notify(notify.Message{Kind: notify.KindAlert, Level: "low", Title: "unsigned", Rule: "r4"})
	if h := next(t, got, "alert after the secret was cleared"); h.hasSig {
		t.Errorf("received %+v, want no signature", h)
	}

	if err := e.settings.DeleteTarget(ctx, "soc-hook", admin); err != nil {
		t.Fatalf("DeleteTarget: %v", err)
	}
	e.notifier.Notify(notify.Message{Kind: notify.KindAlert, Level: "critical", Title: "after delete", Rule: "r5"})
	nothing(t, got, "notification after the target was deleted")
	if _, err := e.settings.Target("soc-hook"); !errors.Is(err, settings.ErrNotFound) {
		t.Errorf("Target after delete = %v, want ErrNotFound", err)
	}
	if _, err := e.st.GetRecord(ctx, settings.KindTarget, "soc-hook"); !errors.Is(err, store.ErrNoRecord) {
		t.Errorf("record after delete: %v, want ErrNoRecord", err)
	}

	want := []string{
		"settings.notify.create notify/soc-hook root 192.0.2.7:5555",
		"settings.notify.test notify/soc-hook root 192.0.2.7:5555",
		"settings.notify.update notify/soc-hook root 192.0.2.7:5555",
		"settings.notify.update notify/soc-hook root 192.0.2.7:5555",
		"settings.notify.delete notify/soc-hook root 192.0.2.7:5555",
	}
	if got := auditActions(t, e.st); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	entries, _ := e.st.AuditLog(ctx, 0, 1000, "notify/soc-hook")
	for _, en := range entries {
		if strings.Contains(string(en.Detail), "receiver-secret-1") {
			t.Errorf("audit entry %s carries the secret: %s", en.Action, en.Detail)
		}
	}
}

// Targets of vigie.yaml are listed read-only; the console can neither
// change nor shadow them. A console target does not silence them when
// vigie.yaml has no routes.
func TestYAMLTargetsReadOnly(t *testing.T) {
	ctx := context.Background()
	yamlSrv, yamlGot := receiver(t)
	consoleSrv, consoleGot := receiver(t)
	e := newEnv(t, open(t), settings.Config{Notify: notify.Config{Targets: map[string]notify.TargetConfig{
		"from-yaml": {Type: notify.TypeWebhook, URL: yamlSrv.URL, AllowPrivate: true, Secret: "yaml-secret-xyz"}}}})

	list := e.settings.Targets()
	if len(list) != 1 || !list[0].ReadOnly() || list[0].Source != settings.SourceYAML || list[0].Secret != "" || !list[0].HasSecret {
		t.Fatalf("Targets() = %+v, want from-yaml, read-only, secret hidden", list)
	}
	up := settings.Target{Name: "from-yaml", Type: "webhook", URL: consoleSrv.URL}
	if err := e.settings.UpdateTarget(ctx, "from-yaml", up, admin); !errors.Is(err, settings.ErrReadOnly) {
		t.Errorf("UpdateTarget(from-yaml) = %v, want ErrReadOnly", err)
	}
	if err := e.settings.DeleteTarget(ctx, "from-yaml", admin); !errors.Is(err, settings.ErrReadOnly) {
		t.Errorf("DeleteTarget(from-yaml) = %v, want ErrReadOnly", err)
	}
	if err := e.settings.CreateTarget(ctx, up, admin); !errors.Is(err, settings.ErrReadOnly) {
		t.Errorf("CreateTarget(from-yaml) = %v, want ErrReadOnly", err)
	}
	critical := settings.Target{Name: "console", Type: "webhook", URL: consoleSrv.URL, AllowPrivate: true, MinLevel: "critical"}
	if err := e.settings.CreateTarget(ctx, critical, admin); err != nil {
		t.Fatal(err)
	}
	e.notifier.Notify(notify.Message{Kind: notify.KindAlert, Level: "low", Title: "low"})
	if h := next(t, yamlGot, "low alert at the YAML target"); h.title != "low" {
		t.Errorf("YAML target got %q", h.title)
	}
	nothing(t, consoleGot, "low alert at the critical-only console target")
	if err := e.settings.TestTarget(ctx, "from-yaml", admin); err != nil {
		t.Errorf("TestTarget(from-yaml) = %v", err)
	}
	next(t, yamlGot, "test at the YAML target")
}

// Validation reuses notify's rules and names each field at fault.
func TestTargetValidation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, open(t), settings.Config{})
	facility := 40
	cases := []struct {
		name   string
		target settings.Target
		fields []string
	}{
		{"webhook without url", settings.Target{Name: "a", Type: "webhook"}, []string{"url"}},
		{"webhook ftp url", settings.Target{Name: "a", Type: "webhook", URL: "ftp://example.org/x"}, []string{"url"}},
		{"webhook credentials in url", settings.Target{Name: "a", Type: "webhook", URL: "https://u:p@example.org/"}, []string{"url"}},
		{"webhook with an email field", settings.Target{Name: "a", Type: "webhook", URL: "https://example.org/", Host: "smtp"}, []string{"host"}},
		{"email bad recipient and from", settings.Target{Name: "a", Type: "email", Host: "smtp.example.org", From: "Vigie <v@example.org>",
			To: []string{"soc@example.org", "not an address"}}, []string{"from", "to"}},
		{"email password without tls", settings.Target{Name: "a", Type: "email", Host: "smtp.example.org", TLS: "none",
			Username: "u", Password: "p", From: "v@example.org", To: []string{"soc@example.org"}}, []string{"username"}},
		{"syslog bad address and facility", settings.Target{Name: "a", Type: "syslog", Address: "siem.example.org", Facility: &facility},
			[]string{"address", "facility"}},
		{"unknown type", settings.Target{Name: "a", Type: "pager"}, []string{"type"}},
		{"bad timeout", settings.Target{Name: "a", Type: "webhook", URL: "https://example.org/", Timeout: "soon"}, []string{"timeout"}},
		{"bad route", settings.Target{Name: "a", Type: "webhook", URL: "https://example.org/", MinLevel: "urgent",
			Kinds: []string{"alert", "gossip"}}, []string{"min_level", "kinds"}},
		{"bad name", settings.Target{Name: "../x", Type: "webhook", URL: "https://example.org/"}, []string{"name"}},
		{"long url", settings.Target{Name: "a", Type: "webhook", URL: "https://example.org/" + strings.Repeat("x", 3000)}, []string{"url"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.settings.CreateTarget(ctx, c.target, admin)
			var ie *settings.InvalidError
			if !errors.As(err, &ie) || !errors.Is(err, settings.ErrInvalid) {
				t.Fatalf("CreateTarget = %v, want an InvalidError", err)
			}
			for _, f := range c.fields {
				if ie.For(f) == "" {
					t.Errorf("no problem named for %s in %v", f, ie.Problems)
				}
			}
		})
	}
	if list := e.settings.Targets(); len(list) != 0 {
		t.Errorf("refused targets are listed: %+v", list)
	}
	if recs, _ := e.st.ListRecords(ctx, settings.KindTarget); len(recs) != 0 {
		t.Errorf("refused targets were stored: %d records", len(recs))
	}
	if entries := auditActions(t, e.st); len(entries) != 0 {
		t.Errorf("refused changes were audited: %v", entries)
	}
}

// The SSRF guard applies to console targets: a webhook to a loopback
// address is refused when it is dialled, unless allow_private is set,
// and the test button says so.
func TestTestTargetSSRFRefused(t *testing.T) {
	ctx := context.Background()
	srv, got := receiver(t)
	e := newEnv(t, open(t), settings.Config{})
	if err := e.settings.CreateTarget(ctx, settings.Target{Name: "local", Type: "webhook", URL: srv.URL}, admin); err != nil {
		t.Fatal(err)
	}
	err := e.settings.TestTarget(ctx, "local", admin)
	if err == nil || !strings.Contains(err.Error(), "allow_private") {
		t.Fatalf("TestTarget to loopback = %v, want a refusal naming allow_private", err)
	}
	nothing(t, got, "request to a refused address")
	entries, _ := e.st.AuditLog(ctx, 0, 100, "notify/local")
	last := entries[len(entries)-1]
	var res settings.TestResult
	if err := json.Unmarshal(last.Detail, &res); err != nil || last.Action != settings.AuditNotifyTest || res.OK || res.Error == "" {
		t.Errorf("last audit %s %s, want a failed test with its error", last.Action, last.Detail)
	}
	if err := e.settings.TestTarget(ctx, "nope", admin); !errors.Is(err, settings.ErrNotFound) {
		t.Errorf("TestTarget(nope) = %v, want ErrNotFound", err)
	}
}

// After a restart, the stored targets and policies are applied again.
func TestLoadRestores(t *testing.T) {
	ctx := context.Background()
	srv, got := receiver(t)
	st := open(t)
	first := newEnv(t, st, settings.Config{})
	if err := first.settings.CreateTarget(ctx, settings.Target{Name: "hook", Type: "webhook", URL: srv.URL, AllowPrivate: true}, admin); err != nil {
		t.Fatal(err)
	}
	if err := first.settings.CreatePolicy(ctx, blockBrute, admin); err != nil {
		t.Fatal(err)
	}
	// A record that no longer validates is listed with its problem, not applied.
	if err := st.PutRecord(ctx, store.Record{Kind: settings.KindPolicy, ID: "broken",
		Body: []byte(`{"name":"broken","enabled":true,"when":{"detectors":["x"]},"entity":"user.name","action":"block"}`)}); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, st, settings.Config{})
	second.notifier.Notify(notify.Message{Kind: notify.KindAlert, Title: "after restart"})
	if h := next(t, got, "notification after restart"); h.title != "after restart" {
		t.Errorf("got %q", h.title)
	}
	ps := second.settings.Policies()
	if len(ps) != 2 || ps[0].Name != blockBrute.Name || ps[0].Problem != "" || ps[1].Name != "broken" || !strings.Contains(ps[1].Problem, "action") {
		t.Fatalf("policies after restart %+v, want %s and broken (with a problem about its action)", ps, blockBrute.Name)
	}
	if live := second.respond.Policies(); len(live) != 1 || live[0].Name != blockBrute.Name {
		t.Errorf("policies in force %+v, want only %s", live, blockBrute.Name)
	}
}
