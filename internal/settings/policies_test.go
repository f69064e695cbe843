package settings_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/settings"
)

var blockBrute = settings.Policy{Name: "block-brute", Enabled: true, When: settings.When{Detectors: []string{"successafter"}},
	Entity: event.SourceIP, OnlyExternal: true, Action: respond.ActionBlock, Duration: "2h"}

// alert is an alert event of a behaviour detector about a source address.
func alert(detector, source string) *event.Event {
	e := &event.Event{Time: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC), Kind: event.KindAlert}
	e.Add("rule.id", "vigie.behave."+detector)
	e.Add("rule.name", detector)
	e.Add("rule.level", "high")
	e.Add("vigie.detector", detector)
	e.Add(event.SourceIP, source)
	e.Sort()
	return e
}

// A policy made in the console acts on the next alert, without a
// restart; deleting it stops it.
func TestPolicyLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, open(t), settings.Config{})
	if ds, _ := e.respond.OnAlert(ctx, alert("successafter", "198.51.100.1")); len(ds) != 0 {
		t.Fatalf("decisions before any policy: %d", len(ds))
	}
	if err := e.settings.CreatePolicy(ctx, blockBrute, admin); err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	ds, err := e.respond.OnAlert(ctx, alert("successafter", "198.51.100.2"))
	if err != nil || len(ds) != 1 || ds[0].Value != "198.51.100.2" || ds[0].Expires.Sub(ds[0].Created) != 2*time.Hour || ds[0].DryRun {
		t.Fatalf("OnAlert = %+v, %v; want a 2h block of 198.51.100.2", ds, err)
	}
	// Switched to dry run.
	dry := blockBrute
	dry.DryRun = true
	if err := e.settings.UpdatePolicy(ctx, blockBrute.Name, dry, admin); err != nil {
		t.Fatalf("UpdatePolicy: %v", err)
	}
	ds, _ = e.respond.OnAlert(ctx, alert("successafter", "198.51.100.3"))
	if len(ds) != 1 || !ds[0].DryRun {
		t.Fatalf("OnAlert after dry_run = %+v, want one dry-run decision", ds)
	}
	if err := e.settings.DeletePolicy(ctx, blockBrute.Name, admin); err != nil {
		t.Fatal(err)
	}
	if ds, _ := e.respond.OnAlert(ctx, alert("successafter", "198.51.100.4")); len(ds) != 0 {
		t.Errorf("decisions after the policy was deleted: %+v", ds)
	}
	want := "settings.respond.create policy/block-brute root 192.0.2.7:5555\n" +
		"settings.respond.update policy/block-brute root 192.0.2.7:5555\n" +
		"settings.respond.delete policy/block-brute root 192.0.2.7:5555"
	if got := strings.Join(auditActions(t, e.st), "\n"); got != want {
		t.Errorf("audit\n%s\nwant\n%s", got, want)
	}
}

// vigie.yaml's policies are listed first and read-only, and stay in force.
func TestYAMLPoliciesReadOnly(t *testing.T) {
	ctx := context.Background()
	yamlPolicy := respond.Policy{Name: "from-yaml", Enabled: true, When: respond.When{Detectors: []string{"travel"}},
		Entity: event.UserName, Action: respond.ActionDisable}
	e := newEnv(t, open(t), settings.Config{Policies: []respond.Policy{yamlPolicy}})
	if err := e.settings.CreatePolicy(ctx, blockBrute, admin); err != nil {
		t.Fatal(err)
	}
	ps := e.settings.Policies()
	if len(ps) != 2 || ps[0].Name != "from-yaml" || !ps[0].ReadOnly() || ps[1].ReadOnly() {
		t.Fatalf("Policies() = %+v, want from-yaml (read-only) then block-brute", ps)
	}
	if live := e.respond.Policies(); len(live) != 2 || live[0].Name != "from-yaml" || live[1].Name != "block-brute" {
		t.Errorf("policies in force %+v", live)
	}
	p := blockBrute
	p.Name = "from-yaml"
	for name, err := range map[string]error{
		"create": e.settings.CreatePolicy(ctx, p, admin),
		"update": e.settings.UpdatePolicy(ctx, "from-yaml", p, admin),
		"delete": e.settings.DeletePolicy(ctx, "from-yaml", admin),
	} {
		if !errors.Is(err, settings.ErrReadOnly) {
			t.Errorf("%s from-yaml = %v, want ErrReadOnly", name, err)
		}
	}
	if err := e.settings.CreatePolicy(ctx, blockBrute, admin); !errors.Is(err, settings.ErrExists) {
		t.Errorf("second CreatePolicy = %v, want ErrExists", err)
	}
}

// Validation reuses respond's rules, with the field at fault.
func TestPolicyValidation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, open(t), settings.Config{})
	cases := []struct {
		name   string
		edit   func(p *settings.Policy)
		fields []string
	}{
		{"no condition", func(p *settings.Policy) { p.When = settings.When{} }, []string{"when"}},
		{"bad level", func(p *settings.Policy) { p.When.MinLevel = "severe" }, []string{"when.min_level"}},
		{"action does not fit the entity", func(p *settings.Policy) { p.Entity = event.UserName; p.OnlyExternal = false }, []string{"action"}},
		{"only_external on an account", func(p *settings.Policy) { p.Entity, p.Action = event.UserName, respond.ActionDisable }, []string{"only_external"}},
		{"unknown entity", func(p *settings.Policy) { p.Entity = "process.name" }, []string{"entity"}},
		{"duration over the maximum", func(p *settings.Policy) { p.Duration = "400h" }, []string{"duration"}},
		{"duration unreadable", func(p *settings.Policy) { p.Duration = "a while" }, []string{"duration"}},
		{"bad name", func(p *settings.Policy) { p.Name = "has space" }, []string{"name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := blockBrute
			c.edit(&p)
			err := e.settings.CreatePolicy(ctx, p, admin)
			var ie *settings.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("CreatePolicy = %v, want an InvalidError", err)
			}
			for _, f := range c.fields {
				if ie.For(f) == "" {
					t.Errorf("no problem named for %s in %v", f, ie.Problems)
				}
			}
		})
	}
	if live := e.respond.Policies(); len(live) != 0 {
		t.Errorf("refused policies are in force: %+v", live)
	}
}
