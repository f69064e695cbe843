package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigie-sec/vigie/internal/incident"
)

// chromium returns the browser's path, skipping the test when there is
// none, or failing it when VIGIE_REQUIRE_BROWSER=1.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VIGIE_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found, and VIGIE_REQUIRE_BROWSER=1: install Debian's chromium package")
	}
	t.Skip("no Chromium found (apt-get install chromium); skipping the browser test")
	return ""
}

// artifacts is where screenshots go: $VIGIE_ARTIFACTS, or a temporary
// folder.
func artifacts(t *testing.T) string {
	if d := os.Getenv("VIGIE_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser watches a page for what must never happen: a JavaScript dialog
// (a script from the data ran) and a Content-Security-Policy violation
// (an inline script or style in a page).
type browser struct {
	ctx context.Context
	// mu guards dialogs and violations.
	mu         sync.Mutex
	dialogs    []string
	violations []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.WindowSize(1280, 800))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	b := &browser{ctx: bctx}
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	entries := chromedp.Events(bctx, log.EntryAdded)
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			if ev.Entry != nil && strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.mu.Lock()
				b.violations = append(b.violations, ev.Entry.Text)
				b.mu.Unlock()
			}
		}
	}()
	if _, err := chromedp.Call(bctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the log domain: %v", err)
	}
	return b
}

func (b *browser) do(t *testing.T, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func run[T any](t *testing.T, b *browser, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	return run(t, b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func (b *browser) screenshot(t *testing.T, dir, name string) {
	t.Helper()
	png := run(t, b, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (b *browser) login(t *testing.T, base, name string) {
	t.Helper()
	b.do(t, "login as "+name,
		chromedp.Navigate(base+"/ui/login"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/ui/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/ui/logout"]`)),
	)
}

// waitFor evaluates cond in the page until it is true, across the
// navigation a form's submission starts.
func (b *browser) waitFor(t *testing.T, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last error %v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postStatus makes the page post a form with fetch, as a forged request
// would, and returns the answer's status.
func (b *browser) postStatus(t *testing.T, path, body string) int {
	t.Helper()
	js := fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: %s}).then(r => r.status)`, path, body)
	return run(t, b, "POST "+path, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
}

func TestBrowser(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	dir := artifacts(t)
	base := e.srv.URL
	incPath := fmt.Sprintf("/ui/incidents/%d", e.incA)
	var text string

	// A responder signs in and finds the incident in the list.
	b.login(t, base, "rick")
	b.screenshot(t, dir, "overview")
	b.do(t, "incident list", chromedp.Navigate(base+"/ui/incidents"))
	text = b.text(t, "main")
	if !strings.Contains(text, "rule ssh-brute") {
		t.Fatalf("the incident list does not show the incident:\n%s", text)
	}
	b.screenshot(t, dir, "incidents")

	// Open it and read the scope.
	b.do(t, "open the incident",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href=%q]`, incPath))),
		chromedp.WaitVisible(chromedp.CSS("#scope")))
	text = b.text(t, "#scope")
	for _, want := range []string{"unknown: no logs from web01", "alice", "web01", "198.51.100.5"} {
		if !strings.Contains(text, want) {
			t.Errorf("the scope section lacks %q:\n%s", want, text)
		}
	}
	b.screenshot(t, dir, "incident")

	// Add a note, then change the status.
	b.do(t, "add a note",
		chromedp.SendKeys(chromedp.CSS("#note-text"), "Seen from the browser"),
		chromedp.Click(chromedp.CSS("#note-form button")),
		chromedp.WaitVisible(chromedp.CSS(".notes")))
	text = b.text(t, ".notes")
	if !strings.Contains(text, "Seen from the browser") || !strings.Contains(text, "rick") {
		t.Errorf("the note is not listed: %q", text)
	}
	b.do(t, "set the status",
		chromedp.SetValue(chromedp.CSS("#status-select"), "investigating"),
		chromedp.Click(chromedp.CSS("#status-form button")))
	// The click loads a new page: wait for it to show the new status.
	b.waitFor(t, "the new status", `document.querySelector("#status") !== null && document.querySelector("#status").textContent.trim() === "investigating"`)
	text = b.text(t, "#status")
	if strings.TrimSpace(text) != "investigating" {
		t.Errorf("status shown %q, want investigating", text)
	}
	if inc, _ := e.incidents.Get(e.incA); inc.Status != incident.StatusInvestigating || len(inc.Notes) != 1 {
		t.Errorf("incident after the forms: status %s, %d notes", inc.Status, len(inc.Notes))
	}

	// A search with a syntax error says where.
	b.do(t, "search with a syntax error",
		chromedp.Navigate(base+"/ui/search"),
		chromedp.SendKeys(chromedp.CSS("#q"), "user.name:(alice OR"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS("#q-error")))
	text = b.text(t, "#q-error")
	if !strings.Contains(text, "Syntax error at position 17") {
		t.Errorf("syntax error shown as %q", text)
	}
	b.screenshot(t, dir, "search-error")

	// Results holding a script: it is shown, never run.
	var title string
	var scripts int
	b.do(t, "search the hostile event",
		chromedp.Navigate(base+`/ui/search?from=&q=%22Failed+password%22`),
		chromedp.WaitVisible(chromedp.CSS("table.results")))
	title = run(t, b, "title", chromedp.Title())
	scripts = run(t, b, "count scripts", chromedp.Evaluate[int](`document.querySelectorAll("script").length`))
	text = b.text(t, "table.results")
	if title != "Search · Vigie" || scripts != 1 {
		t.Errorf("page title %q and %d script elements; want the page's own only", title, scripts)
	}
	if !strings.Contains(text, xss) {
		t.Errorf("the hostile message is not shown as text")
	}
	b.screenshot(t, dir, "search")

	// Create, then revoke, a block decision.
	b.do(t, "create a decision",
		chromedp.Navigate(base+"/ui/decisions"),
		chromedp.SendKeys(chromedp.CSS("#d-value"), "192.0.2.50"),
		chromedp.SendKeys(chromedp.CSS("#d-reason"), "from the browser"),
		chromedp.Click(chromedp.CSS("#decision-form button")),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/revoke"]`)))
	text = b.text(t, "main table")
	if !strings.Contains(text, "192.0.2.50") || !strings.Contains(text, "active") {
		t.Errorf("the new decision is not listed as active:\n%s", text)
	}
	b.screenshot(t, dir, "decisions")
	b.do(t, "revoke it",
		chromedp.SendKeys(chromedp.CSS(`form[action$="/revoke"] input[name="reason"]`), "test over"),
		chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/revoke"]`)))
	text = b.text(t, "main")
	if strings.Contains(text, "192.0.2.50") {
		t.Errorf("the revoked decision is still listed as in force")
	}

	// Acknowledge two alerts at once from the queue.
	b.do(t, "check two alerts",
		chromedp.Navigate(base+"/ui/alerts"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#check-%d", e.alerts[0]))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#check-%d", e.alerts[1]))),
		chromedp.SetValue(chromedp.CSS("#t-action"), "acknowledge"),
		chromedp.Click(chromedp.CSS("#triage-apply")))
	b.waitFor(t, "the acknowledged alerts", `document.querySelectorAll("td.state-acknowledged").length === 2`)
	b.screenshot(t, dir, "alerts-triage")

	// Add bob's alert to alice's incident from the queue, then follow the
	// message's link to the incident, which lists it.
	b.do(t, "add an alert to the incident",
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#check-%d", e.alerts[2]))),
		chromedp.SetValue(chromedp.CSS("#t-incident"), fmt.Sprint(e.incA)),
		chromedp.Click(chromedp.CSS("#attach-button")))
	b.waitFor(t, "the attach message", `document.querySelector("#attach-result") !== null`)
	if text = b.text(t, "#attach-result"); !strings.Contains(text, fmt.Sprintf("Added 1 alert to incident %d: rule ssh-brute", e.incA)) {
		t.Errorf("the queue's message after adding says %q", text)
	}
	b.screenshot(t, dir, "alerts-attach")
	b.do(t, "open the incident from the message",
		chromedp.Click(chromedp.CSS("#attach-result a")),
		chromedp.WaitVisible(chromedp.CSS("#alerts")))
	text = b.text(t, "#alerts")
	if !strings.Contains(text, "Alerts (3)") || !strings.Contains(text, "rule odd-login") || !strings.Contains(text, "added by rick") {
		t.Errorf("the incident's alerts do not show the added alert:\n%s", text)
	}
	if inc, _ := e.incidents.Get(e.incA); !inc.HasAlert(e.alerts[2]) {
		t.Errorf("incident %d does not hold alert %d", e.incA, e.alerts[2])
	}

	// Test a rule before enabling it.
	b.do(t, "test a rule",
		chromedp.Navigate(base+"/ui/rules"),
		chromedp.SetValue(chromedp.CSS("#rt-yaml"), sshRule),
		chromedp.Click(chromedp.CSS("#rule-test button")),
		chromedp.WaitVisible(chromedp.CSS("#rule-test-result")))
	if text = b.text(t, "#rule-test-result"); !strings.Contains(text, "8 alerts over 11 events") {
		t.Errorf("the rule test says %q", text)
	}
	b.screenshot(t, dir, "rule-test")

	// An admin adds a webhook target in the settings and sends it a test
	// notification, which arrives.
	hook, hookGot := hookServer(t)
	b.do(t, "sign out before signing in as admin", chromedp.Click(chromedp.CSS(`form[action="/ui/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#name")))
	b.login(t, base, "ada")
	b.do(t, "new webhook target",
		chromedp.Navigate(base+"/ui/settings/notify"),
		chromedp.WaitVisible(chromedp.CSS("#target-form")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "browser-hook"),
		chromedp.SendKeys(chromedp.CSS("#f-url"), hook.URL),
		chromedp.Click(chromedp.CSS("#f-allow-private")),
		chromedp.Click(chromedp.CSS(`#target-form button[type="submit"]`)))
	testForm := `form[action="/ui/settings/notify/browser-hook/test"]`
	b.waitFor(t, "the new target", fmt.Sprintf(`!!document.querySelector(%q)`, testForm))
	b.do(t, "send a test notification", chromedp.Click(chromedp.CSS(testForm+" button")))
	b.waitFor(t, "the test's result", `!!document.querySelector("#test-result")`)
	if text = b.text(t, "#test-result"); text != "Test notification delivered to browser-hook." {
		t.Errorf("the test notification's result says %q", text)
	}
	select {
	case body := <-hookGot:
		if !strings.Contains(body, `"kind":"test"`) {
			t.Errorf("the webhook received %s, want a test notification", body)
		}
	case <-time.After(5 * time.Second):
		t.Error("the test notification did not arrive")
	}
	b.screenshot(t, dir, "settings-notify")

	// Sign out; a viewer sees no forms and a forged POST is refused.
	b.do(t, "sign out", chromedp.Click(chromedp.CSS(`form[action="/ui/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#name")))
	b.login(t, base, "vera")
	var forms int
	b.do(t, "viewer opens the incident", chromedp.Navigate(base+incPath), chromedp.WaitVisible(chromedp.CSS("#scope")))
	forms = run(t, b, "count forms", chromedp.Evaluate[int](`document.querySelectorAll("#note-form, #status-form, #assign-form, #block-form").length`))
	if forms != 0 {
		t.Errorf("the viewer sees %d triage forms, want none", forms)
	}
	b.screenshot(t, dir, "incident-viewer")
	csrf := `"csrf=" + encodeURIComponent(document.querySelector('input[name="csrf"]').value) + "&text=forged"`
	if st := b.postStatus(t, incPath+"/notes", csrf); st != 403 {
		t.Errorf("viewer's note with a valid CSRF token: %d, want 403", st)
	}
	if st := b.postStatus(t, incPath+"/notes", `"text=forged"`); st != 403 {
		t.Errorf("note without CSRF token: %d, want 403", st)
	}
	if inc, _ := e.incidents.Get(e.incA); len(inc.Notes) != 1 {
		t.Errorf("the forged notes were taken: %d notes", len(inc.Notes))
	}

	// On a phone-sized screen the pages do not scroll sideways: wide
	// tables scroll in their own box.
	b.do(t, "narrow screen", chromedp.EmulateViewport(390, 844))
	for i, p := range []string{"/ui/", incPath, "/ui/search?from=&q=alice", "/ui/decisions", "/ui/alerts?state=all", "/ui/rules"} {
		b.do(t, "narrow "+p, chromedp.Navigate(base+p))
		if wide := run(t, b, "page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); wide {
			culprit := run(t, b, "widest", chromedp.Evaluate[string](`(() => { let w = null; for (const el of document.querySelectorAll("body *")) { const r = el.getBoundingClientRect(); if (r.right > window.innerWidth + 1 && !el.closest(".scroll") && (!w || r.width < w.getBoundingClientRect().width)) w = el; } return w ? w.tagName + "." + w.className + " " + Math.round(w.getBoundingClientRect().right) : "?"; })()`))
			t.Errorf("%s scrolls sideways at 390 pixels wide (%s)", p, culprit)
		}
		b.screenshot(t, dir, fmt.Sprintf("narrow-%d", i+1))
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		t.Errorf("JavaScript dialogs opened (a script from the data ran): %q", b.dialogs)
	}
	if len(b.violations) > 0 {
		t.Errorf("Content-Security-Policy violations (inline script or style in a page): %q", b.violations)
	}
}
