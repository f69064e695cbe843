package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/retro"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// TestTriagePoliciesIgnoreHunts gives triage two alerts that a policy
// matches, one live and one from a retro-hunt: only the live one leads
// to a decision, and both join an incident.
func TestTriagePoliciesIgnoreHunts(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Response.Policies = []respond.Policy{{Name: "ioc-block", Enabled: true, DryRun: true,
		When: respond.When{Detectors: []string{"ioc"}}, Entity: event.SourceIP, Action: "block", Duration: time.Hour}}
	tri, err := newTriage(ctx, cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	alert := func(src string, hunt bool) *event.Event {
		e := &event.Event{Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Kind: event.KindAlert, Source: "vigie/behave"}
		e.Add("rule.id", "vigie.behave.ioc")
		e.Add("rule.name", "Indicator of compromise: "+src)
		e.Add("rule.level", "high")
		e.Add("vigie.detector", "ioc")
		e.Add(event.SourceIP, src)
		if hunt {
			e.Add(retro.FieldHuntID, "1")
		}
		e.Sort()
		return e
	}
	alerts := []*event.Event{alert("198.51.100.7", false), alert("198.51.100.8", true)}
	if err := st.Append(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	tri.alerts(ctx, alerts)
	ds, err := tri.respond.List(ctx, respond.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Value != "198.51.100.7" {
		t.Errorf("decisions %+v, want one, for the live alert's 198.51.100.7", ds)
	}
	for _, a := range alerts {
		if _, ok := tri.incidents.IncidentOf(a.ID); !ok {
			t.Errorf("alert %d in no incident", a.ID)
		}
	}
}
