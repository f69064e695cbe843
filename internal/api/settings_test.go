package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/settings"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// newTestSettings builds the settings manager as serve does: over a real
// notifier whose vigie.yaml has the target "yaml-hook", and the response
// manager.
func newTestSettings(t *testing.T, st *sqlite.Store, r *respond.Manager) *settings.Manager {
	t.Helper()
	yaml := settings.Config{Notify: notify.Config{GroupWait: 10 * time.Millisecond, Targets: map[string]notify.TargetConfig{
		"yaml-hook": {Type: notify.TypeWebhook, URL: "https://hooks.example.org/vigie", Secret: "yaml-secret"}}}}
	n, err := notify.New(yaml.Notify, notify.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	m, err := settings.New(yaml, settings.Deps{Records: st, Audit: st, Notifier: n, Responder: r})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// An admin manages notification targets through the API: secrets are
// never returned and kept when left out, errors name the field, targets
// of vigie.yaml are read-only, a test notification arrives.
func TestSettingsTargetsAPI(t *testing.T) {
	e := newTriageEnv(t)
	got := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("X-Vigie-Signature") + " " + string(b)
	}))
	t.Cleanup(hook.Close)
	const base = "/api/v1/settings/notify/targets"

	var bad api.InvalidSetting
	e.call(t, "POST", base, `{"name":"soc","type":"webhook","url":"ftp://x","min_level":"loud"}`, http.StatusBadRequest, &bad)
	fields := map[string]bool{}
	for _, p := range bad.Problems {
		fields[p.Field] = true
	}
	if bad.Code != "invalid_setting" || !fields["url"] || !fields["min_level"] {
		t.Errorf("invalid target answer %+v, want invalid_setting naming url and min_level", bad)
	}

	var v settings.TargetView
	e.call(t, "POST", base, `{"name":"soc","type":"webhook","url":"`+hook.URL+`","allow_private":true,"secret":"top-secret-value"}`,
		http.StatusCreated, &v)
	if v.Name != "soc" || v.Source != settings.SourceConsole || !v.HasSecret || v.Secret != "" {
		t.Errorf("created %+v, want soc from the console, with a hidden secret", v)
	}
	e.fail(t, "POST", base, `{"name":"soc","type":"webhook","url":"https://example.org/"}`, http.StatusConflict, "exists")
	e.fail(t, "PUT", base+"/yaml-hook", `{"type":"webhook","url":"https://example.org/"}`, http.StatusConflict, "read_only")
	e.fail(t, "DELETE", base+"/yaml-hook", "", http.StatusConflict, "read_only")
	e.fail(t, "PUT", base+"/nope", `{"type":"webhook","url":"https://example.org/"}`, http.StatusNotFound, "not_found")
	e.fail(t, "POST", base, `{"name":"x","type":"webhook","colour":"red"}`, http.StatusBadRequest, "bad_json")

	list := e.call(t, "GET", base, "", http.StatusOK, nil)
	if strings.Contains(list, "top-secret-value") || strings.Contains(list, "yaml-secret") ||
		!strings.Contains(list, `"name":"yaml-hook"`) || !strings.Contains(list, `"source":"vigie.yaml"`) {
		t.Errorf("list shows a secret or misses the YAML target: %s", list)
	}

	// PUT without the secret keeps it: the test notification is signed.
	e.call(t, "PUT", base+"/soc", `{"type":"webhook","url":"`+hook.URL+`","allow_private":true,"timeout":"5s"}`, http.StatusOK, &v)
	if !v.HasSecret || v.Timeout != "5s" {
		t.Errorf("updated %+v, want the secret kept and timeout 5s", v)
	}
	var res settings.TestResult
	e.call(t, "POST", base+"/soc/test", "", http.StatusOK, &res)
	if !res.OK {
		t.Fatalf("test notification: %+v", res)
	}
	select {
	case body := <-got:
		if !strings.HasPrefix(body, "sha256=") || !strings.Contains(body, `"kind":"test"`) {
			t.Errorf("test notification %s, want signed, of kind test", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no test notification arrived")
	}
	// A failing target: the test says why, with 200.
	e.call(t, "PUT", base+"/soc", `{"type":"webhook","url":"`+hook.URL+`"}`, http.StatusOK, nil)
	e.call(t, "POST", base+"/soc/test", "", http.StatusOK, &res)
	if res.OK || !strings.Contains(res.Error, "allow_private") {
		t.Errorf("test of a loopback target without allow_private: %+v, want a refusal naming allow_private", res)
	}

	e.call(t, "DELETE", base+"/soc", "", http.StatusNoContent, nil)
	e.fail(t, "GET", base+"/soc", "", http.StatusNotFound, "not_found")
	entries := e.audit(t, "notify/soc")
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		if en.Actor == "" || en.Remote == "" {
			t.Errorf("audit %s without actor or remote address: %+v", en.Action, en)
		}
		if strings.Contains(string(en.Detail), "top-secret-value") {
			t.Errorf("audit %s carries the secret", en.Action)
		}
	}
	want := "settings.notify.create settings.notify.update settings.notify.test settings.notify.update settings.notify.test settings.notify.delete"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit actions %v, want %s", actions, want)
	}
}

// Response policies through the API take effect on the next alert.
func TestSettingsPoliciesAPI(t *testing.T) {
	e := newTriageEnv(t)
	const base = "/api/v1/settings/respond/policies"
	var bad api.InvalidSetting
	e.call(t, "POST", base, `{"name":"p","enabled":true,"when":{},"entity":"user.name","action":"block"}`, http.StatusBadRequest, &bad)
	fields := map[string]bool{}
	for _, p := range bad.Problems {
		fields[p.Field] = true
	}
	if !fields["when"] || !fields["action"] {
		t.Errorf("invalid policy answer %+v, want problems for when and action", bad)
	}
	var v settings.PolicyView
	e.call(t, "POST", base, `{"name":"lock-travel","enabled":true,"when":{"detectors":["travel"]},"entity":"user.name","action":"disable","duration":"1h"}`,
		http.StatusCreated, &v)
	if v.Name != "lock-travel" || v.Duration != "1h" || v.ReadOnly() {
		t.Errorf("created %+v", v)
	}
	if ps := e.respond.Policies(); len(ps) != 1 || ps[0].Name != "lock-travel" || ps[0].Duration != time.Hour {
		t.Errorf("policies in force %+v, want lock-travel for 1h", ps)
	}
	e.call(t, "PUT", base+"/lock-travel", `{"enabled":false,"when":{"detectors":["travel"]},"entity":"user.name","action":"disable"}`, http.StatusOK, &v)
	if ps := e.respond.Policies(); len(ps) != 1 || ps[0].Enabled {
		t.Errorf("policies in force after disabling %+v", ps)
	}
	var list struct{ Policies []settings.PolicyView }
	e.call(t, "GET", base, "", http.StatusOK, &list)
	if len(list.Policies) != 1 || list.Policies[0].Enabled {
		t.Errorf("listed %+v", list.Policies)
	}
	e.call(t, "DELETE", base+"/lock-travel", "", http.StatusNoContent, nil)
	if ps := e.respond.Policies(); len(ps) != 0 {
		t.Errorf("policies in force after delete %+v", ps)
	}
	if n := len(e.audit(t, "policy/lock-travel")); n != 3 {
		t.Errorf("%d audit entries about the policy, want 3 (create, update, delete)", n)
	}
}
