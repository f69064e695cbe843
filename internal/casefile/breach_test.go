package casefile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/breachtest"
	"github.com/vigie-sec/vigie/internal/casefile"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
	"github.com/vigie-sec/vigie/internal/incident"
)

// TestBreach exports the simulated breach's incident: the bundle
// verifies, holds every alert of the incident, and names the
// exfiltration destination in STIX and MISP as such.
func TestBreach(t *testing.T) {
	b := breachtest.Load(t)
	ctx := context.Background()
	now := b.Truth.End.Add(time.Hour)
	if exfil := b.Truth.Breach.Exfiltration.DestinationIP; exfil != "203.0.113.76" {
		t.Logf("the simulation exfiltrates to %s", exfil)
	}
	clock := func() time.Time { return now }
	m, err := incident.New(incident.Config{}, incident.Deps{Records: b.Store, Audit: b.Store, Evidence: b.Store, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(ctx, b.Alerts); err != nil {
		t.Fatal(err)
	}
	// The breach's incident is the one naming its attacker's first
	// address, as the simulation's truth gives it.
	breach := b.Truth.Breach
	exfilDestination := breach.Exfiltration.DestinationIP
	var inc *incident.Incident
	for _, c := range m.List(incident.Filter{Field: "source.ip", Value: breach.AttackerIP}) {
		if c.Status != incident.StatusMerged && (inc == nil || len(c.Alerts) > len(inc.Alerts)) {
			inc = c
		}
	}
	if inc == nil {
		t.Fatalf("no incident names the attacker's address %s", breach.AttackerIP)
	}
	key, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	log, err := evidence.Open(ctx, b.Store, key, evidence.Config{Origin: "vigie-breach", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	x, err := casefile.New(casefile.Config{}, casefile.Deps{Incidents: m, Store: b.Store, Log: log, Key: key,
		Subject: api.ScopeSubject, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	start := time.Now()
	res, err := x.Export(ctx, inc.ID, "carol.lead", "192.0.2.77", &buf, bundle.TarGz)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("incident %d (%s): %d alerts, %d events (%d left out), %d audit entries, %d indicators; %d bytes in %s",
		inc.ID, inc.Title, res.Counts.Alerts, res.Counts.Events, res.Counts.EventsLeftOut, res.Counts.Audit,
		res.Counts.Indicators, res.Bytes, time.Since(start).Round(time.Millisecond))
	path := filepath.Join(t.TempDir(), "breach.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	verify(t, path, key)
	if res.Counts.Alerts != len(inc.Alerts) {
		t.Errorf("export counts %d alerts, the incident has %d", res.Counts.Alerts, len(inc.Alerts))
	}
	bd, err := bundle.Read(path, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if n := countIncidentAlerts(bd, inc); n != len(inc.Alerts) {
		t.Errorf("bundle holds %d of the incident's %d alerts", n, len(inc.Alerts))
	}
	misp := file(t, bd, "indicators.misp.json")
	if c := mispComment(t, misp, exfilDestination); !strings.HasPrefix(c, "exfiltration destination") {
		t.Errorf("MISP comment of %s = %q, want an exfiltration destination", exfilDestination, c)
	}
	if stix := string(file(t, bd, "indicators.stix.json")); !strings.Contains(stix, exfilDestination) {
		t.Errorf("STIX bundle does not name %s", exfilDestination)
	}
	if html := string(file(t, bd, "report.html")); !strings.Contains(html, exfilDestination) || strings.Contains(html, "<script") {
		t.Error("report.html does not name the exfiltration destination, or holds a script")
	}
}

func countIncidentAlerts(b *bundle.Bundle, inc *incident.Incident) int {
	n := 0
	for _, a := range b.Alerts {
		if inc.HasAlert(a.ID) {
			n++
		}
	}
	return n
}
