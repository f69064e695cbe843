package respond

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// bruteForceThenSuccess is the example policy of the documentation: brute
// force then success from outside → block the source for 4h.
var bruteForceThenSuccess = Policy{
	Name: "ssh-bf-success", Enabled: true,
	When:   When{Detectors: []string{"successafter"}},
	Entity: event.SourceIP, OnlyExternal: true, Action: ActionBlock, Duration: 4 * time.Hour,
}

// successAfter renders a successafter finding as detect stores it.
func successAfter(source, user string, id event.ID) *event.Event {
	f := &behave.Finding{Detector: "successafter", Title: "Login as " + user + " from " + source + " after 12 failures",
		Level: "high", Time: time.Date(2025, 3, 14, 8, 59, 0, 0, time.UTC),
		Entities: []behave.Entity{{Field: event.SourceIP, Value: source}, {Field: event.UserName, Value: user}},
		Evidence: []string{"101", "102"}, Tags: []string{"attack.t1110.001", "attack.credential-access"}}
	a := detect.Alert{Rule: &sigma.Rule{ID: "vigie.behave.successafter", Title: "successafter"}, Kind: detect.KindBehaviour,
		Finding: f, Time: f.Time, Refs: f.Evidence}
	e := a.ToEvent(f.Time)
	e.ID = id
	return e
}

// sigmaMatch renders a Sigma match on an event with the given source.
func sigmaMatch(ruleID, title, level, source string) *event.Event {
	ev := &event.Event{Time: time.Date(2025, 3, 14, 8, 59, 0, 0, time.UTC)}
	ev.Add(event.SourceIP, source)
	ev.Add(event.HostName, "web01")
	ev.Sort()
	a := detect.Alert{Rule: &sigma.Rule{ID: ruleID, Title: title, Level: level}, Kind: detect.KindMatch,
		Time: ev.Time, Event: ev, Ref: "7"}
	return a.ToEvent(ev.Time)
}

func TestPolicies(t *testing.T) {
	webshell := Policy{Name: "webshell", Enabled: true, When: When{Rules: []string{"Webshell Detection", "0000-1111"}, MinLevel: "high"},
		Entity: event.SourceIP, Action: ActionBlock}
	isolate := Policy{Name: "isolate-web", Enabled: true, When: When{Rules: []string{"0000-1111"}}, Entity: event.HostName,
		Action: ActionIsolate, Duration: time.Hour}
	disableUser := Policy{Name: "disable-user", Enabled: true, When: When{Detectors: []string{"successafter"}},
		Entity: event.UserName, Action: ActionDisable, Duration: 2 * time.Hour}
	off := bruteForceThenSuccess
	off.Enabled = false
	dry := bruteForceThenSuccess
	dry.Name, dry.DryRun = "dry", true
	allow := Allow{Networks: []string{"203.0.113.0/24"}, Accounts: []string{"svc-backup"}}

	cases := []struct {
		name     string
		policies []Policy
		alert    *event.Event
		want     []string // "action scope value duration policy"
	}{
		{"external brute force then success blocks the source for 4h", []Policy{bruteForceThenSuccess},
			successAfter("198.51.100.23", "jdoe", 55), []string{"block ip 198.51.100.23 4h0m0s ssh-bf-success"}},
		{"internal source is left alone", []Policy{bruteForceThenSuccess},
			successAfter("10.20.0.5", "jdoe", 55), nil},
		{"allow-listed source is left alone", []Policy{bruteForceThenSuccess},
			successAfter("203.0.113.4", "jdoe", 55), nil},
		{"disabled policy does nothing", []Policy{off}, successAfter("198.51.100.23", "jdoe", 55), nil},
		{"other detector does not match", []Policy{bruteForceThenSuccess},
			sigmaMatch("0000-1111", "Webshell Detection", "critical", "198.51.100.23"), nil},
		{"rule by title and level", []Policy{webshell},
			sigmaMatch("abcd", "webshell detection", "critical", "198.51.100.24"), []string{"block ip 198.51.100.24 4h0m0s webshell"}},
		{"rule by id, level too low", []Policy{webshell}, sigmaMatch("0000-1111", "x", "medium", "198.51.100.24"), nil},
		{"host entity isolates", []Policy{isolate}, sigmaMatch("0000-1111", "x", "low", "198.51.100.24"),
			[]string{"isolate host web01 1h0m0s isolate-web"}},
		{"account entity disables, allow-listed account skipped", []Policy{disableUser},
			successAfter("198.51.100.23", "svc-backup", 55), nil},
		{"two policies on one alert", []Policy{bruteForceThenSuccess, disableUser}, successAfter("198.51.100.23", "jdoe", 55),
			[]string{"block ip 198.51.100.23 4h0m0s ssh-bf-success", "disable account jdoe 2h0m0s disable-user"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fw := &recorder{name: "fw"}
			m, _, _, _ := newManager(t, Config{Policies: c.policies, Allow: allow}, fw)
			ds, err := m.OnAlert(context.Background(), c.alert)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, strings.Join([]string{d.Action, d.Scope, d.Value, d.Expires.Sub(d.Created).String(), d.Policy}, " "))
				if d.Origin != OriginPolicy || d.Actor != d.Policy {
					t.Errorf("decision %s: origin %s actor %s, want policy and the policy's name", d.ID, d.Origin, d.Actor)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("decisions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}

	t.Run("dry run is stored, listed, never executed", func(t *testing.T) {
		ctx := context.Background()
		fw := &recorder{name: "fw"}
		m, _, _, _ := newManager(t, Config{Policies: []Policy{dry}}, fw)
		ds, err := m.OnAlert(ctx, successAfter("198.51.100.23", "jdoe", 55))
		if err != nil || len(ds) != 1 {
			t.Fatalf("OnAlert = %d decisions, %v; want 1", len(ds), err)
		}
		m.Tick(ctx)
		time.Sleep(20 * time.Millisecond)
		listed, _ := m.List(ctx, Filter{Active: true})
		if len(listed) != 1 || !listed[0].DryRun || len(listed[0].Executions) != 0 {
			t.Fatalf("listed %+v, want one dry-run decision without executions", listed)
		}
		if s := listed[0].Summary(); !strings.HasPrefix(s, "would have blocked ip 198.51.100.23 until 2025-03-14T13:00:00Z (policy dry)") {
			t.Errorf("summary %q", s)
		}
		if calls := fw.Calls(); len(calls) != 0 {
			t.Errorf("executor calls %v for a dry run, want none", calls)
		}
	})

	t.Run("repeat alert extends, audited, no duplicate", func(t *testing.T) {
		ctx := context.Background()
		fw := &recorder{name: "fw"}
		m, s, clk, _ := newManager(t, Config{Policies: []Policy{bruteForceThenSuccess}}, fw)
		first, err := m.OnAlert(ctx, successAfter("198.51.100.23", "jdoe", 55))
		if err != nil {
			t.Fatal(err)
		}
		m.Tick(ctx)
		waitFor(t, "apply", func() bool { return execState(t, m, "1", "fw") == "apply/done" })
		clk.Advance(time.Hour)
		again, err := m.OnAlert(ctx, successAfter("198.51.100.23", "jdoe", 56))
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 1 || again[0].ID != first[0].ID {
			t.Fatalf("second alert gave %+v, want decision %s again", again, first[0].ID)
		}
		if want := first[0].Expires.Add(time.Hour); !again[0].Expires.Equal(want) {
			t.Errorf("extended expiry %s, want %s", again[0].Expires, want)
		}
		all, _ := m.List(ctx, Filter{})
		if len(all) != 1 {
			t.Errorf("%d decisions stored, want 1", len(all))
		}
		audit, _ := s.AuditLog(ctx, 0, 10, "decision/1")
		if len(audit) != 2 || audit[1].Action != "decision.extend" || audit[1].Actor != "policy:ssh-bf-success" {
			t.Errorf("audit %+v, want create then extend by policy:ssh-bf-success", audit)
		}
		if first[0].Alert != "55" {
			t.Errorf("decision alert %q, want the alert event id 55", first[0].Alert)
		}
		// The executor learns the new expiry.
		m.Tick(ctx)
		waitFor(t, "apply again", func() bool { return len(fw.Calls()) == 2 })
		if got := fw.Calls(); got[1] != "apply 1" {
			t.Errorf("calls %v, want a second apply", got)
		}
	})
}
