package detect

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

const sshRules = `
title: SSH authentication failure
id: 0f6c4b7e-5a1d-4c53-9a0e-2c1f3e6d7a01
name: ssh_failure
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password', 'Invalid user']
    condition: keywords
level: low
---
title: SSH brute force from one address
id: 7c2d9e41-3b8a-4f6e-8d15-9a0b1c2d3e4f
correlation:
    type: event_count
    rules: [ssh_failure]
    group-by: [source.ip]
    timespan: 10m
    condition: {gte: 10}
    generate: true
level: high
`

func sshFailure(at time.Time, ip string) *event.Event {
	e := &event.Event{Time: at, Format: "syslog", Source: "test"}
	msg := fmt.Sprintf("Failed password for root from %s port 4000 ssh2", ip)
	e.Add(event.Message, msg)
	e.Add(event.ProcessName, "sshd")
	e.Add(event.SourceIP, ip)
	e.Sort()
	e.Raw = []byte(msg)
	return e
}

func countAlerts(t *testing.T, st store.Searcher, q string) int64 {
	t.Helper()
	expr, err := query.Parse("event.kind:alert AND " + q)
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.Count(context.Background(), store.Query{Expr: expr})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// runLive runs live detection until the store holds want alerts, then
// stops it.
func runLive(t *testing.T, rs *RuleSet, st *sqlite.Store, statePath string, want int64) {
	t.Helper()
	l, err := NewLive(rs, LiveConfig{Store: st, StatePath: statePath, Poll: 5 * time.Millisecond, IdleAfter: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for countAlerts(t, st, "*") < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLiveResumesWhereItStopped(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules, err := sigma.Parse("ssh.yml", []byte(sshRules))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{}
	cfg.Correlation.Lateness = time.Millisecond
	rs := Compile(cfg, rules)
	for _, r := range rs.Reports {
		if r.Status != StatusOK {
			t.Fatalf("rule %s: %s %s", r.Title, r.Status, r.Reason)
		}
	}
	t0 := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	var batch []*event.Event
	for i := range 12 {
		batch = append(batch, sshFailure(t0.Add(time.Duration(i)*10*time.Second), "203.0.113.45"))
	}
	other := &event.Event{Time: t0, Format: "syslog", Raw: []byte("session opened")}
	other.Add(event.ProcessName, "sshd")
	other.Add(event.Message, "session opened for user root")
	other.Sort()
	batch = append(batch, sshFailure(t0, "192.0.2.200"), other)
	if err := st.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "detection.state")
	runLive(t, rs, st, state, 14)
	if n := countAlerts(t, st, "vigie.alert.kind:match"); n != 13 {
		t.Errorf("%d match alerts, want 13: one per failure", n)
	}
	if n := countAlerts(t, st, "vigie.alert.kind:correlation AND source.ip:203.0.113.45"); n != 1 {
		t.Errorf("%d correlation alerts for 203.0.113.45, want 1", n)
	}

	// After a restart only the new event is matched: nothing is matched
	// twice, and the correlation state carried over does not fire again
	// for the same burst.
	if err := st.Append(context.Background(), []*event.Event{sshFailure(t0.Add(2*time.Minute+5*time.Second), "203.0.113.45")}); err != nil {
		t.Fatal(err)
	}
	runLive(t, rs, st, state, 15)
	if n := countAlerts(t, st, "vigie.alert.kind:match"); n != 14 {
		t.Errorf("after restart: %d match alerts, want 14 (13 before, 1 new)", n)
	}
	if n := countAlerts(t, st, "vigie.alert.kind:correlation"); n != 1 {
		t.Errorf("after restart: %d correlation alerts, want still 1", n)
	}
}
