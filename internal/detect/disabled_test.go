package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

// TestDisabled turns off one of two rules: it is reported disabled and
// matches nothing; the other still matches; a correlation over the
// disabled rule is reported invalid rather than silently dropped.
func TestDisabled(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r.yml"), []byte(`title: A
id: 11111111-1111-4111-8111-111111111111
name: rule_a
logsource: {product: linux, service: sshd}
detection:
    sel: {event.outcome: failure}
    condition: sel
level: low
---
title: B
id: 22222222-2222-4222-8222-222222222222
logsource: {product: linux, service: sshd}
detection:
    sel: {event.outcome: success}
    condition: sel
level: low
---
title: C
id: 33333333-3333-4333-8333-333333333333
correlation:
    type: event_count
    rules: [rule_a]
    group-by: [source.ip]
    timespan: 5m
    condition: {gte: 2}
level: high
`), 0o600)
	rs, err := Load(Config{Disabled: map[string]bool{"11111111-1111-4111-8111-111111111111": true}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]Status{}
	for _, r := range rs.Reports {
		status[r.Title] = r.Status
	}
	if status["A"] != StatusDisabled || status["B"] != StatusOK || status["C"] != StatusInvalid {
		t.Errorf("statuses %v, want A disabled, B ok, C invalid", status)
	}
	eng := rs.NewEngine()
	for _, outcome := range []string{"failure", "success"} {
		ev := &event.Event{Source: "syslog", Format: "syslog"}
		ev.Add("event.outcome", outcome)
		ev.Add("process.name", "sshd")
		ev.Add("event.category", "authentication")
		ev.Sort()
		got := eng.Process(ev, "1")
		want := 0
		if outcome == "success" {
			want = 1
		}
		if len(got) != want {
			t.Errorf("%s: %d alerts, want %d", outcome, len(got), want)
		}
	}
}
