package respond

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// newManager opens a store in a temporary folder and a loaded Manager on
// it, with a fake clock.
func newManager(t *testing.T, cfg Config, ex ...Executor) (*Manager, *sqlite.Store, *clock, *changes) {
	t.Helper()
	s := openStore(t, t.TempDir())
	t.Cleanup(func() { s.Close() })
	clk, ch := newClock(), &changes{}
	m, err := New(cfg, Deps{Records: s, Audit: s, Executors: ex, Now: clk.Now, OnChange: ch.add, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m, s, clk, ch
}

func TestDecideStoresAndAudits(t *testing.T) {
	ctx := context.Background()
	fw := &recorder{name: "fw"}
	m, s, clk, ch := newManager(t, Config{}, fw)
	d, err := m.Decide(ctx, Request{Value: "198.51.100.7", Reason: "ssh brute force", Incident: "12"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := &Decision{ID: "1", Action: "block", Scope: "ip", Value: "198.51.100.7", Reason: "ssh brute force",
		Origin: "analyst", Actor: "alice", Incident: "12", Created: clk.Now(), Expires: clk.Now().Add(4 * time.Hour),
		Executions: map[string]*Execution{"fw": {Op: "apply", State: "pending", Updated: clk.Now()}}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if !ch.has("create 1") {
		t.Errorf("changes %v, want create 1", ch.all())
	}
	d2, err := m.Decide(ctx, Request{Action: "disable", Value: "jdoe", Duration: time.Hour}, alice)
	if err != nil {
		t.Fatal(err)
	}
	if d2.ID != "2" || d2.Scope != "account" || !d2.Expires.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("second decision %+v, want ID 2, scope account, one hour", d2)
	}
	audit, err := s.AuditLog(ctx, 0, 10, "decision/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 {
		t.Fatalf("audit for decision/1: %d entries, want 1", len(audit))
	}
	a := audit[0]
	if a.Action != "decision.create" || a.Actor != "alice" || a.Remote != "192.0.2.10" {
		t.Errorf("audit entry %+v, want decision.create by alice from 192.0.2.10", a)
	}
	var detail map[string]any
	if err := json.Unmarshal(a.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if detail["value"] != "198.51.100.7" || detail["action"] != "block" || detail["incident"] != "12" {
		t.Errorf("audit detail %s, want the value, action and incident", a.Detail)
	}
}

func TestDecideRefuses(t *testing.T) {
	cfg := Config{
		MaxDuration: 24 * time.Hour,
		Allow: Allow{Networks: []string{"203.0.113.0/24", "192.0.2.1"}, Accounts: []string{"Break-Glass"},
			Hosts: []string{"dc01.court.example"}},
	}
	m, _, _, _ := newManager(t, cfg)
	f := func(req Request, sentinel error, msg string) {
		t.Helper()
		_, err := m.Decide(context.Background(), req, alice)
		if !errors.Is(err, sentinel) {
			t.Fatalf("Decide(%+v) = %v, want %v", req, err, sentinel)
		}
		if err.Error() != msg {
			t.Fatalf("Decide(%+v) error\n %q, want\n %q", req, err, msg)
		}
	}
	f(Request{Value: "203.0.113.0/24"}, ErrAllowListed, "203.0.113.0/24 is allow-listed (response.allow.networks): not blocked")
	f(Request{Value: "203.0.113.9"}, ErrAllowListed, "203.0.113.9 is within 203.0.113.0/24, allow-listed (response.allow.networks): not blocked")
	f(Request{Value: "::ffff:203.0.113.9"}, ErrAllowListed, "203.0.113.9 is within 203.0.113.0/24, allow-listed (response.allow.networks): not blocked")
	f(Request{Value: "192.0.2.0/24"}, ErrAllowListed, "192.0.2.0/24 contains 192.0.2.1/32, allow-listed (response.allow.networks): not blocked")
	f(Request{Action: "disable", Value: "break-glass"}, ErrAllowListed, "account break-glass is allow-listed (response.allow.accounts): not disabled")
	f(Request{Action: "isolate", Value: "DC01.court.example"}, ErrAllowListed, "host dc01.court.example is allow-listed (response.allow.hosts): not isolated")
	f(Request{Value: "10.0.0.0/8"}, ErrInvalid, "10.0.0.0/8 is wider than /16 (response.max_range_bits.ipv4): not blocked")
	f(Request{Value: "2001:db8::/32"}, ErrInvalid, "2001:db8::/32 is wider than /48 (response.max_range_bits.ipv6): not blocked")
	f(Request{Value: "198.51.100.300"}, ErrInvalid, `"198.51.100.300" is not an IP address`)
	f(Request{Scope: "ip", Value: "198.51.100.0/24"}, ErrInvalid, `"198.51.100.0/24" is a range: use scope range`)
	f(Request{Action: "disable", Scope: "ip", Value: "198.51.100.7"}, ErrInvalid, `action "disable" does not apply to scope ip (want block)`)
	f(Request{Action: "isolate", Value: "ws 01"}, ErrInvalid, `host "ws 01": ' ' is not allowed in a host name`)
	f(Request{Action: "disable", Value: "  "}, ErrInvalid, `account "  ": empty`)
	f(Request{Action: "disable", Value: "adm*"}, ErrInvalid, `account "adm*": wildcards are not allowed`)
	f(Request{Value: "198.51.100.7", Duration: 25 * time.Hour}, ErrInvalid, "duration 25h0m0s is above the maximum 24h0m0s (response.max_duration)")
	f(Request{Value: "198.51.100.7", Duration: -time.Second}, ErrInvalid, "duration -1s is negative")
	f(Request{Scope: "mailbox", Value: "x"}, ErrInvalid, `unknown scope "mailbox" (want ip, range, account or host)`)
	if _, err := m.Decide(context.Background(), Request{Value: "198.51.100.7"}, Actor{Name: "x", Origin: "robot"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown origin: %v, want ErrInvalid", err)
	}
	ds, err := m.List(context.Background(), Filter{})
	if err != nil || len(ds) != 0 {
		t.Errorf("List after refusals = %d decisions, %v; want none stored", len(ds), err)
	}
}

func TestCanonicalValues(t *testing.T) {
	m, _, _, _ := newManager(t, Config{})
	f := func(req Request, scope, value string) {
		t.Helper()
		d, err := m.Decide(context.Background(), req, alice)
		if err != nil {
			t.Fatal(err)
		}
		if d.Scope != scope || d.Value != value {
			t.Errorf("Decide(%+v) = %s %s, want %s %s", req, d.Scope, d.Value, scope, value)
		}
	}
	f(Request{Value: " ::ffff:198.51.100.7"}, "ip", "198.51.100.7")
	f(Request{Value: "10.1.2.3/16"}, "range", "10.1.0.0/16")
	f(Request{Value: "2001:DB8::1"}, "ip", "2001:db8::1")
	f(Request{Action: "isolate", Value: "WS-0042.Court.example"}, "host", "ws-0042.court.example")
	f(Request{Scope: "account", Value: "CORT\\jdoe "}, "account", "CORT\\jdoe")
}

func TestMaxActive(t *testing.T) {
	m, _, _, _ := newManager(t, Config{MaxActive: 2})
	for _, v := range []string{"198.51.100.1", "198.51.100.2"} {
		if _, err := m.Decide(context.Background(), Request{Value: v}, alice); err != nil {
			t.Fatal(err)
		}
	}
	_, err := m.Decide(context.Background(), Request{Value: "198.51.100.3"}, alice)
	if !errors.Is(err, ErrTooMany) {
		t.Fatalf("third decision with max_active 2: %v, want ErrTooMany", err)
	}
}

func TestDecisionsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := newClock()
	s := openStore(t, dir)
	m, err := New(Config{}, Deps{Records: s, Audit: s, Executors: []Executor{&recorder{name: "fw"}}, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	d1, err := m.Decide(ctx, Request{Value: "198.51.100.7"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := m.Decide(ctx, Request{Action: "isolate", Value: "ws-0042", Reason: "beacon", Alert: "991"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	d1, err = m.Revoke(ctx, d1.ID, Actor{Name: "bob", Origin: OriginAnalyst}, "false positive")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir)
	defer s.Close()
	m, err = New(Config{}, Deps{Records: s, Audit: s, Executors: []Executor{&recorder{name: "fw"}}, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []*Decision{d1, d2} {
		got, err := m.Get(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decision %s after reopening (-want +got):\n%s", want.ID, diff)
		}
	}
	if d1.RevokedBy != "bob" || d1.RevokeReason != "false positive" || d1.Executions["fw"].Op != "revoke" {
		t.Errorf("revoked decision %+v: want revoked by bob, execution revoke", d1)
	}
	active, err := m.List(ctx, Filter{Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].ID != "2" {
		t.Errorf("active after reopening: %d decisions, want decision 2 only", len(active))
	}
	all, err := m.List(ctx, Filter{Scope: "ip"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != "1" {
		t.Errorf("List(scope ip) = %d decisions, want decision 1", len(all))
	}
	d3, err := m.Decide(ctx, Request{Value: "198.51.100.8"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	if d3.ID != "3" {
		t.Errorf("first ID after reopening = %s, want 3", d3.ID)
	}
}

func TestExpiry(t *testing.T) {
	ctx := context.Background()
	fw := &recorder{name: "fw"}
	m, s, clk, ch := newManager(t, Config{}, fw)
	d, err := m.Decide(ctx, Request{Value: "198.51.100.7", Duration: time.Hour}, alice)
	if err != nil {
		t.Fatal(err)
	}
	m.Tick(ctx)
	waitFor(t, "apply done", func() bool { return execState(t, m, d.ID, "fw") == "apply/done" })

	clk.Advance(59 * time.Minute)
	m.Tick(ctx)
	if got := execState(t, m, d.ID, "fw"); got != "apply/done" {
		t.Fatalf("after 59 minutes of 60: execution %s, want apply/done", got)
	}
	clk.Advance(time.Minute)
	m.Tick(ctx)
	waitFor(t, "revoke done", func() bool { return execState(t, m, d.ID, "fw") == "revoke/done" })
	if diff := cmp.Diff([]string{"apply 1", "revoke 1"}, fw.Calls()); diff != "" {
		t.Errorf("executor calls (-want +got):\n%s", diff)
	}
	got, _ := m.Get(ctx, d.ID)
	if !got.Expired || got.Active(clk.Now()) {
		t.Errorf("decision after its hour: expired %v active %v, want expired and not active", got.Expired, got.Active(clk.Now()))
	}
	audit, err := s.AuditLog(ctx, 0, 10, "decision/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[1].Action != "decision.expire" || audit[1].Actor != "system" {
		t.Errorf("audit %+v, want create then expire by system", audit)
	}
	waitFor(t, "expiry and execution reported", func() bool { return ch.has("expire 1") && ch.has("executed 1 fw") })
	active, _ := m.List(ctx, Filter{Active: true})
	if len(active) != 0 {
		t.Errorf("%d active decisions after expiry, want 0", len(active))
	}
	// Over and settled: forgotten from memory, still in the store, never
	// expired twice.
	m.Tick(ctx)
	m.mu.Lock()
	n := len(m.live)
	m.mu.Unlock()
	if n != 0 {
		t.Errorf("%d decisions kept in memory after settling, want 0", n)
	}
	if _, err := m.Get(ctx, d.ID); err != nil {
		t.Errorf("Get after settling: %v", err)
	}
	audit, _ = s.AuditLog(ctx, 0, 10, "decision/1")
	if len(audit) != 2 {
		t.Errorf("%d audit entries after more rounds, want 2", len(audit))
	}
}

func TestRetryWithBackoff(t *testing.T) {
	ctx := context.Background()
	fw := &recorder{name: "fw", failures: 2}
	m, _, clk, ch := newManager(t, Config{Retry: Backoff{Min: 10 * time.Second, Max: time.Minute}}, fw)
	d, err := m.Decide(ctx, Request{Value: "198.51.100.7"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	m.Tick(ctx)
	waitFor(t, "first failure", func() bool { return execState(t, m, d.ID, "fw") == "apply/failed" })
	got, _ := m.Get(ctx, d.ID)
	x := got.Executions["fw"]
	if x.Attempts != 1 || x.LastError != "target unreachable" || !x.NextTry.Equal(start.Add(10*time.Second)) {
		t.Errorf("after one failure: %+v, want 1 attempt, the error, next try in 10s", x)
	}
	waitFor(t, "the failure reported", func() bool { return ch.has("failed 1 fw") })
	clk.Advance(9 * time.Second)
	m.Tick(ctx)
	time.Sleep(20 * time.Millisecond)
	if n := len(fw.Calls()); n != 1 {
		t.Fatalf("%d calls before the backoff elapsed, want 1", n)
	}
	clk.Advance(time.Second)
	m.Tick(ctx)
	waitFor(t, "second failure", func() bool { return len(fw.Calls()) == 2 && idle(m) })
	got, _ = m.Get(ctx, d.ID)
	if want := clk.Now().Add(20 * time.Second); !got.Executions["fw"].NextTry.Equal(want) {
		t.Errorf("second next try %s, want %s (doubled)", got.Executions["fw"].NextTry, want)
	}
	clk.Advance(20 * time.Second)
	m.Tick(ctx)
	waitFor(t, "success", func() bool { return execState(t, m, d.ID, "fw") == "apply/done" })
	got, _ = m.Get(ctx, d.ID)
	if x := got.Executions["fw"]; x.Attempts != 3 || x.LastError != "" {
		t.Errorf("after success: %+v, want 3 attempts and no error", x)
	}
}

func TestBackoff(t *testing.T) {
	m, _, _, _ := newManager(t, Config{})
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 320 * time.Second, 10 * time.Minute, 10 * time.Minute}
	for i, w := range want {
		if got := m.backoff(i + 1); got != w {
			t.Errorf("backoff after %d failures = %s, want %s", i+1, got, w)
		}
	}
	if got := m.backoff(1000); got != 10*time.Minute {
		t.Errorf("backoff after 1000 failures = %s, want the 10m cap", got)
	}
}

func TestPendingWorkResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := newClock()
	s := openStore(t, dir)
	down := &recorder{name: "fw", failures: 1000}
	m, err := New(Config{}, Deps{Records: s, Audit: s, Executors: []Executor{down}, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	failed, err := m.Decide(ctx, Request{Value: "198.51.100.7"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	m.Tick(ctx)
	waitFor(t, "failure", func() bool { return execState(t, m, failed.ID, "fw") == "apply/failed" })
	// Decided just before the stop: never attempted.
	pending, err := m.Decide(ctx, Request{Value: "198.51.100.8"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openStore(t, dir)
	defer s.Close()
	up := &recorder{name: "fw"}
	m, err = New(Config{}, Deps{Records: s, Audit: s, Executors: []Executor{up}, Now: clk.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	m.Tick(ctx)
	waitFor(t, "both applied", func() bool {
		return execState(t, m, failed.ID, "fw") == "apply/done" && execState(t, m, pending.ID, "fw") == "apply/done"
	})
	got, _ := m.Get(ctx, failed.ID)
	if got.Executions["fw"].Attempts != 2 {
		t.Errorf("attempts across the restart = %d, want 2", got.Executions["fw"].Attempts)
	}
}

func TestHangingExecutor(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	hung, fw := &recorder{name: "hung", hang: true}, &recorder{name: "fw"}
	cfg := Config{ExecutionTimeout: 2 * time.Second, Interval: 10 * time.Millisecond}
	m, err := New(cfg, Deps{Records: s, Audit: s, Executors: []Executor{hung, fw}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	// More decisions than the hung executor has slots.
	var ids []string
	start := time.Now()
	for i := range 2 * executorSlots {
		d, err := m.Decide(ctx, Request{Value: "198.51.100." + string(rune('1'+i))}, alice)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	// Each Decide is a few store writes; none waits for an executor, which
	// would take the 2s timeout each.
	if el := time.Since(start); el >= cfg.ExecutionTimeout {
		t.Errorf("%d Decide calls took %s with a hanging executor", len(ids), el)
	}
	waitFor(t, "fw applied every decision", func() bool { return len(fw.Calls()) == len(ids) })
	if el := time.Since(start); el >= cfg.ExecutionTimeout {
		t.Errorf("fw done after %s, not before the hung executor's timeout %s", el, cfg.ExecutionTimeout)
	}
	waitFor(t, "hung executor timed out", func() bool { return execState(t, m, ids[0], "hung") == "apply/failed" })
	d, _ := m.Get(ctx, ids[0])
	if x := d.Executions["hung"]; !strings.Contains(x.LastError, "deadline exceeded") {
		t.Errorf("hung execution error %q, want a deadline", x.LastError)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	fw := &recorder{name: "fw"}
	m, s, _, ch := newManager(t, Config{}, fw)
	bob := Actor{Name: "bob", Origin: OriginAnalyst, Remote: "192.0.2.11"}

	applied, _ := m.Decide(ctx, Request{Value: "198.51.100.7"}, alice)
	m.Tick(ctx)
	waitFor(t, "apply done", func() bool { return execState(t, m, applied.ID, "fw") == "apply/done" })
	// Decided and revoked before any attempt: nothing to undo.
	never, _ := m.Decide(ctx, Request{Value: "198.51.100.8"}, alice)
	if _, err := m.Revoke(ctx, never.ID, bob, "typo"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoke(ctx, applied.ID, bob, "contained"); err != nil {
		t.Fatal(err)
	}
	m.Tick(ctx)
	waitFor(t, "revoke done", func() bool { return execState(t, m, applied.ID, "fw") == "revoke/done" })
	if diff := cmp.Diff([]string{"apply 1", "revoke 1"}, fw.Calls()); diff != "" {
		t.Errorf("executor calls (-want +got):\n%s", diff)
	}
	if got := execState(t, m, never.ID, "fw"); got != "revoke/done" {
		t.Errorf("never applied decision: execution %s, want revoke/done", got)
	}
	if _, err := m.Revoke(ctx, applied.ID, bob, "again"); !errors.Is(err, ErrEnded) {
		t.Errorf("revoking twice: %v, want ErrEnded", err)
	}
	if _, err := m.Revoke(ctx, "99", bob, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking an unknown decision: %v, want ErrNotFound", err)
	}
	audit, _ := s.AuditLog(ctx, 0, 10, "decision/1")
	if len(audit) != 2 || audit[1].Action != "decision.revoke" || audit[1].Actor != "bob" || audit[1].Remote != "192.0.2.11" {
		t.Errorf("audit %+v, want create then revoke by bob", audit)
	}
	if !ch.has("revoke 1") {
		t.Errorf("changes %v, want revoke 1", ch.all())
	}
}

func TestRevokeWhileApplying(t *testing.T) {
	ctx := context.Background()
	slow := &slowExecutor{release: make(chan struct{})}
	m, _, _, _ := newManager(t, Config{}, slow)
	d, _ := m.Decide(ctx, Request{Value: "198.51.100.7"}, alice)
	m.Tick(ctx)
	waitFor(t, "apply started", func() bool { return slow.started() == 1 })
	if _, err := m.Revoke(ctx, d.ID, alice, "oops"); err != nil {
		t.Fatal(err)
	}
	if got := execState(t, m, d.ID, "slow"); got != "revoke/pending" {
		t.Errorf("revoked during apply: %s, want revoke/pending", got)
	}
	m.Tick(ctx) // the apply is still in flight: no revoke yet
	close(slow.release)
	waitFor(t, "apply returned", func() bool { return idle(m) })
	m.Tick(ctx)
	waitFor(t, "revoke done", func() bool { return execState(t, m, d.ID, "slow") == "revoke/done" })
	if got := slow.ops(); got != "apply,revoke" {
		t.Errorf("calls %s, want apply,revoke in that order", got)
	}
}

// slowExecutor's Apply waits for release.
type slowExecutor struct {
	release chan struct{}
	mu      sync.Mutex
	calls   []string
}

func (s *slowExecutor) Name() string { return "slow" }
func (s *slowExecutor) Apply(ctx context.Context, d *Decision) error {
	s.mu.Lock()
	s.calls = append(s.calls, "apply")
	s.mu.Unlock()
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (s *slowExecutor) Revoke(ctx context.Context, d *Decision) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "revoke")
	return nil
}
func (s *slowExecutor) started() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}
func (s *slowExecutor) ops() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.calls, ",")
}
