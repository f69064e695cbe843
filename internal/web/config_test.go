package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/settings"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// newSettings builds the settings manager as serve does, over a running
// notifier whose vigie.yaml has the target "yaml-hook" and the response
// manager.
func newSettings(t testing.TB, st *sqlite.Store, r *respond.Manager) *settings.Manager {
	t.Helper()
	yaml := settings.Config{Notify: notify.Config{GroupWait: 10 * time.Millisecond, Targets: map[string]notify.TargetConfig{
		"yaml-hook": {Type: notify.TypeWebhook, URL: "https://hooks.example.org/vigie", Secret: "yaml-secret-value"}}}}
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

// hookServer is a webhook receiver; it passes each body on the channel.
func hookServer(t testing.TB) (*httptest.Server, chan string) {
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// Only admins see and use the settings pages; the others get 403 and no
// link.
func TestConfigPagesAdminOnly(t *testing.T) {
	e := newEnv(t)
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleAnalyst, auth.RoleResponder} {
		c := e.login(t, role)
		for _, p := range []string{"/ui/settings/notify", "/ui/settings/policies", "/ui/settings/notify/yaml-hook"} {
			if resp, _ := c.get(p); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %s, want 403", role, p, resp.Status)
			}
		}
		resp, _ := c.postCSRF("/ui/settings/notify", url.Values{"name": {"x"}, "type": {"webhook"}, "url": {"https://example.org/"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST a target: %s, want 403", role, resp.Status)
		}
		if _, body := c.get("/ui/"); strings.Contains(body, "/ui/settings") {
			t.Errorf("%s sees a link to the settings", role)
		}
	}
	if len(e.settings.Targets()) != 1 {
		t.Errorf("a refused post made a target: %+v", e.settings.Targets())
	}
	admin := e.login(t, auth.RoleAdmin)
	_, body := admin.get("/ui/settings")
	if !strings.Contains(body, `href="/ui/settings/notify"`) || !strings.Contains(body, `href="/ui/settings/policies"`) {
		t.Error("the settings page does not link the notification and policy pages")
	}
}

// An admin makes, tests, changes and deletes a webhook target with the
// forms: errors show next to their field, the secret is never shown
// back and is kept when the form leaves it empty, each change is audited.
func TestConfigTargetsPage(t *testing.T) {
	e := newEnv(t)
	hook, got := hookServer(t)
	c := e.login(t, auth.RoleAdmin)

	resp, body := c.get("/ui/settings/notify")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "yaml-hook") || strings.Contains(body, "yaml-secret-value") ||
		strings.Contains(body, `action="/ui/settings/notify/yaml-hook/delete"`) {
		t.Fatalf("targets page %s: want yaml-hook listed without its secret nor a delete button", resp.Status)
	}
	for _, want := range []string{`<label for="f-url">URL`, `<label for="f-secret">Signing secret`, `<label for="f-min-level">Lowest level`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks the label %s", want)
		}
	}

	resp, body = c.postCSRF("/ui/settings/notify", url.Values{"name": {"soc"}, "type": {"webhook"}, "url": {"ftp://x"}, "port": {"twelve"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="f-port-error"`) {
		t.Errorf("bad port: %s, want 400 with the error next to the port field", resp.Status)
	}
	resp, body = c.postCSRF("/ui/settings/notify", url.Values{"name": {"soc"}, "type": {"webhook"}, "url": {"ftp://x"}, "min_level": {"high"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<span class="field-error" id="f-url-error" role="alert">scheme &#34;ftp&#34;: want https or http</span>`) {
		t.Errorf("bad url: %s, want 400 with the error next to the url field:\n%s", resp.Status, body)
	}
	if !strings.Contains(body, `value="soc"`) || !strings.Contains(body, `<option value="high" selected>`) {
		t.Error("the refused form lost what was typed")
	}

	form := url.Values{"name": {"soc"}, "type": {"webhook"}, "url": {hook.URL}, "allow_private": {"on"}, "secret": {"form-secret-123"}}
	if resp, body = c.postCSRF("/ui/settings/notify", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %s\n%s", resp.Status, body)
	}
	_, body = c.get("/ui/settings/notify/soc")
	if strings.Contains(body, "form-secret-123") || !strings.Contains(body, "set; leave empty to keep it") {
		t.Error("the edit page shows the secret, or does not say one is set")
	}

	resp, body = c.postCSRF("/ui/settings/notify/soc/test", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Test notification delivered to soc.") {
		t.Errorf("test: %s, want it delivered\n%s", resp.Status, body)
	}
	select {
	case b := <-got:
		if !strings.Contains(b, `"kind":"test"`) {
			t.Errorf("the receiver got %s, want a test notification", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no test notification arrived")
	}

	// Saved without the secret and with allow_private off: the secret is
	// kept, the loopback receiver is now refused, and the test says so.
	if resp, _ = c.postCSRF("/ui/settings/notify/soc", url.Values{"type": {"webhook"}, "url": {hook.URL}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %s", resp.Status)
	}
	if v, _ := e.settings.Target("soc"); !v.HasSecret || v.AllowPrivate {
		t.Errorf("after update %+v, want the secret kept and allow_private off", v)
	}
	_, body = c.postCSRF("/ui/settings/notify/soc/test", nil)
	if !strings.Contains(body, "Test notification to soc failed") || !strings.Contains(body, "allow_private") {
		t.Error("the failed test does not say why")
	}
	if resp, _ = c.postCSRF("/ui/settings/notify/yaml-hook/delete", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("deleting the YAML target: %s, want 409", resp.Status)
	}
	if resp, _ = c.postCSRF("/ui/settings/notify/soc/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %s", resp.Status)
	}
	if resp, _ = c.post("/ui/settings/notify", url.Values{"name": {"x"}, "type": {"webhook"}, "url": {"https://example.org/"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("post without CSRF token: %s, want 403", resp.Status)
	}

	entries, err := e.st.AuditLog(context.Background(), 0, 1000, "notify/soc")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		if en.Actor != "ada" || en.Remote == "" {
			t.Errorf("audit %s by %q from %q, want ada with an address", en.Action, en.Actor, en.Remote)
		}
	}
	if want := "settings.notify.create settings.notify.test settings.notify.update settings.notify.test settings.notify.delete"; strings.Join(actions, " ") != want {
		t.Errorf("audit %v, want %s", actions, want)
	}
}

// An admin makes a response policy; it is in force at once.
func TestConfigPoliciesPage(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleAdmin)
	resp, body := c.postCSRF("/ui/settings/policies", url.Values{"name": {"lock"}, "enabled": {"on"}, "entity": {"user.name"}, "action": {"block"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="f-when-error"`) || !strings.Contains(body, `id="f-action-error"`) {
		t.Errorf("bad policy: %s, want 400 with errors at when and action\n%s", resp.Status, body)
	}
	resp, _ = c.postCSRF("/ui/settings/policies", url.Values{"name": {"lock"}, "enabled": {"on"}, "when.detectors": {"travel\nnewplace"},
		"entity": {"user.name"}, "action": {"disable"}, "duration": {"2h"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create policy: %s", resp.Status)
	}
	ps := e.respond.Policies()
	if len(ps) != 1 || ps[0].Name != "lock" || len(ps[0].When.Detectors) != 2 || ps[0].Duration != 2*time.Hour || !ps[0].Enabled {
		t.Fatalf("policies in force %+v", ps)
	}
	_, body = c.get("/ui/settings/policies")
	if !strings.Contains(body, `href="/ui/settings/policies/lock"`) || !strings.Contains(body, "detectors travel, newplace") {
		t.Error("the policy is not listed")
	}
	if resp, _ = c.postCSRF("/ui/settings/policies/lock", url.Values{"when.detectors": {"travel"}, "entity": {"user.name"}, "action": {"disable"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update policy: %s", resp.Status)
	}
	if ps = e.respond.Policies(); len(ps) != 1 || ps[0].Enabled {
		t.Errorf("after unchecking enabled: %+v", ps)
	}
	if resp, _ = c.postCSRF("/ui/settings/policies/lock/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete policy: %s", resp.Status)
	}
	if ps = e.respond.Policies(); len(ps) != 0 {
		t.Errorf("after delete: %+v", ps)
	}
}
