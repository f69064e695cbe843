package notify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reload adds, keeps and removes targets while Run runs: an added target
// receives the next messages, a removed one nothing more, and an
// unchanged one keeps its counters.
func TestReloadWhileRunning(t *testing.T) {
	srvA, gotA := newReceiver(t, http.StatusOK)
	srvB, gotB := newReceiver(t, http.StatusOK)
	wait := 20 * time.Millisecond
	n := start(t, Config{GroupWait: wait, Targets: map[string]TargetConfig{"a": hook(srvA.URL)}})

	n.Notify(Message{Kind: KindAlert, Rule: "r1", Title: "first"})
	if r := next(t, gotA, 5*time.Second, "first notification at a"); r.n.Title != "first" {
		t.Fatalf("a got %q, want first", r.n.Title)
	}
	waitStats(t, n, "a", func(s Stats) bool { return s.Sent == 1 }, "Sent 1")

	if err := n.Reload(Config{Targets: map[string]TargetConfig{"a": hook(srvA.URL), "b": hook(srvB.URL)}}); err != nil {
		t.Fatalf("Reload adding b: %v", err)
	}
	n.Notify(Message{Kind: KindAlert, Rule: "r2", Title: "second"})
	for name, ch := range map[string]chan received{"a": gotA, "b": gotB} {
		if r := next(t, ch, 5*time.Second, "second notification at "+name); r.n.Title != "second" {
			t.Errorf("%s got %q, want second", name, r.n.Title)
		}
	}
	waitStats(t, n, "a", func(s Stats) bool { return s.Sent == 2 }, "Sent 2: a was kept, counters and all")

	if err := n.Reload(Config{Targets: map[string]TargetConfig{"b": hook(srvB.URL)}}); err != nil {
		t.Fatalf("Reload removing a: %v", err)
	}
	if _, ok := n.Stats("a"); ok {
		t.Error("a still has stats after it was removed")
	}
	n.Notify(Message{Kind: KindAlert, Rule: "r3", Title: "third"})
	if r := next(t, gotB, 5*time.Second, "third notification at b"); r.n.Title != "third" {
		t.Errorf("b got %q, want third", r.n.Title)
	}
	nothing(t, gotA, 10*wait, "notification at the removed target a")
}

// A changed target is a new one: the new URL receives, the old does not.
func TestReloadChangedTarget(t *testing.T) {
	srvOld, gotOld := newReceiver(t, http.StatusOK)
	srvNew, gotNew := newReceiver(t, http.StatusOK)
	n := start(t, Config{GroupWait: 10 * time.Millisecond, Targets: map[string]TargetConfig{"x": hook(srvOld.URL)}})
	if err := n.Reload(Config{Targets: map[string]TargetConfig{"x": hook(srvNew.URL)}}); err != nil {
		t.Fatal(err)
	}
	n.Notify(Message{Kind: KindAlert, Title: "after"})
	next(t, gotNew, 5*time.Second, "notification at the new URL")
	nothing(t, gotOld, 200*time.Millisecond, "notification at the old URL")
}

// Routes are reloaded with the targets.
func TestReloadRoutes(t *testing.T) {
	srv, got := newReceiver(t, http.StatusOK)
	targets := map[string]TargetConfig{"x": hook(srv.URL)}
	n := start(t, Config{GroupWait: 10 * time.Millisecond, Targets: targets,
		Routes: []Route{{Targets: []string{"x"}, MinLevel: "critical"}}})
	n.Notify(Message{Kind: KindAlert, Level: "high", Title: "high before"})
	nothing(t, got, 200*time.Millisecond, "high alert under a critical route")
	if err := n.Reload(Config{Targets: targets, Routes: []Route{{Targets: []string{"x"}, MinLevel: "high"}}}); err != nil {
		t.Fatal(err)
	}
	n.Notify(Message{Kind: KindAlert, Level: "high", Title: "high after"})
	if r := next(t, got, 5*time.Second, "high alert under a high route"); r.n.Title != "high after" {
		t.Errorf("got %q, want high after", r.n.Title)
	}
}

// An invalid configuration changes nothing and says which setting is wrong.
func TestReloadInvalid(t *testing.T) {
	srv, got := newReceiver(t, http.StatusOK)
	n := start(t, Config{GroupWait: 10 * time.Millisecond, Targets: map[string]TargetConfig{"x": hook(srv.URL)}})
	err := n.Reload(Config{Targets: map[string]TargetConfig{"x": {Type: TypeWebhook, URL: "ftp://example.org"}}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Key != "notify.targets.x.url" || fe.Field != "url" {
		t.Fatalf("Reload(ftp url) = %v, want a FieldError of notify.targets.x.url", err)
	}
	n.Notify(Message{Kind: KindAlert, Title: "still there"})
	next(t, got, 5*time.Second, "notification at the unchanged target")
}

// Notify, Stats, Collect and Reload run concurrently (for -race), and Run
// returns.
func TestReloadConcurrent(t *testing.T) {
	srv, _ := newReceiver(t, http.StatusOK)
	n := start(t, Config{GroupWait: time.Millisecond, Targets: map[string]TargetConfig{"x": hook(srv.URL)}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			n.Notify(Message{Kind: KindAlert, Title: "x"})
			n.Stats("x")
		}
	})
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			cfg := Config{Targets: map[string]TargetConfig{"x": hook(srv.URL)}}
			if i%2 == 1 {
				cfg.Targets["y"] = hook(srv.URL + "/y")
			}
			if err := n.Reload(cfg); err != nil {
				t.Errorf("Reload: %v", err)
				return
			}
		}
	})
	wg.Wait()
}

// Test delivers one notification of kind test at once, and reports the
// target's answer.
func TestTestNotification(t *testing.T) {
	ok, got := newReceiver(t, http.StatusOK)
	failing, _ := newReceiver(t, http.StatusInternalServerError)
	n, err := New(Config{GroupWait: time.Hour, Targets: map[string]TargetConfig{
		"ok": hook(ok.URL), "failing": hook(failing.URL)}}, Deps{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	// Run is not needed: Test sends on its own connection.
	if err := n.Test(context.Background(), "ok", "alice"); err != nil {
		t.Fatalf("Test(ok) = %v", err)
	}
	r := next(t, got, time.Second, "test notification")
	if r.n.Kind != KindTest || !strings.Contains(r.n.Text(), "sent by alice") || r.header.Get("X-Vigie-Signature") == "" {
		t.Errorf("test notification kind %q, text %q, signature %q", r.n.Kind, r.n.Text(), r.header.Get("X-Vigie-Signature"))
	}
	if err := n.Test(context.Background(), "failing", "alice"); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("Test(failing) = %v, want the 500 answer", err)
	}
	if err := n.Test(context.Background(), "nope", "alice"); !errors.Is(err, ErrUnknownTarget) {
		t.Errorf("Test(nope) = %v, want ErrUnknownTarget", err)
	}
	if s, _ := n.Stats("ok"); s != (Stats{}) {
		t.Errorf("a test changed the target's counters: %+v", s)
	}
}
