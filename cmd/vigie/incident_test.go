package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/breachtest"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/simulate"
)

// TestBreachToIncident streams the simulator's breach (seed 1) into a
// server running the bundled rules and every detector, and checks what an
// analyst gets through the CLI against truth.json: one incident for the
// breach, and a scope report naming the compromised account, the hosts
// reached, the staged files, the exfiltration with its bytes and the
// host whose logging was turned off. Then the analyst works the
// incident, blocks the attacker, and imports the C2 address as an
// indicator, which a retro-hunt finds in history.
func TestBreachToIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a week of simulated logs through a server: not with -short")
	}
	sim, err := simulate.Generate(simulate.Config{Seed: breachtest.Seed, Days: breachtest.Days})
	if err != nil {
		t.Fatal(err)
	}
	truth := sim.Truth()
	dir := t.TempDir()
	var geo bytes.Buffer
	if err := sim.WriteFile(&geo, simulate.FileGeo); err != nil {
		t.Fatal(err)
	}
	recs, err := geoiptest.ReadCSV(&geo)
	if err != nil {
		t.Fatal(err)
	}
	geoPath := filepath.Join(dir, "geo.mmdb")
	geoiptest.Write(t, geoPath, recs)
	config := filepath.Join(dir, "vigie.yaml")
	os.WriteFile(config, []byte(`
detection:
  lateness: 2s
response:
  executors:
    bouncer: {enabled: true}
  policies:
    - name: block-spray-sources
      enabled: true
      dry_run: true
      when: {detectors: [spray]}
      entity: source.ip
      only_external: true
      action: block
      duration: 4h
`), 0o600)
	s := startServer(t, filepath.Join(dir, "data"), "--config", config, "--rules", breachtest.RulesDir(),
		"--detectors", "all", "--geoip", geoPath)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cli := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, ctx, append(args, "--server", s.url, "--token", s.token)...)
		if err != nil {
			t.Fatalf("vigie %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	cli("simulate", "--live", "--speed", "1e9", "--seed", fmt.Sprint(breachtest.Seed), "--days", fmt.Sprint(breachtest.Days))

	user := truth.Breach.Account.UserName
	incidents := waitIncidents(t, ctx, cli)
	var breach *incident.Incident
	var withUser []*incident.Incident
	for _, inc := range incidents.Incidents {
		if inc.Entity("user.name", user) != nil {
			withUser = append(withUser, inc)
		}
	}
	if len(withUser) != 1 {
		t.Fatalf("%d incidents name %s, want one (of %d)", len(withUser), user, len(incidents.Incidents))
	}
	breach = withUser[0]
	t.Logf("breach incident %d: %q, %d alerts, %s; %d incidents in all", breach.ID, breach.Title, len(breach.Alerts), breach.EffectiveSeverity(), len(incidents.Incidents))
	for _, ip := range []string{truth.Breach.AttackerIP, truth.Breach.WorkstationIP} {
		if breach.Entity("source.ip", ip) == nil && breach.Entity("destination.ip", ip) == nil {
			t.Errorf("breach incident does not name %s", ip)
		}
	}

	// The scope report, against truth.json.
	var rep scope.Report
	if err := json.Unmarshal([]byte(cli("scope", fmt.Sprint(breach.ID), "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Accounts, func(a scope.Account) bool { return strings.EqualFold(a.Name, user) }) {
		t.Errorf("scope accounts %v lack %s", names(rep.Accounts, func(a scope.Account) string { return a.Name }), user)
	}
	for _, h := range truth.Breach.Hosts {
		if !slices.ContainsFunc(rep.Hosts, func(x scope.Host) bool { return sameHost(x, h) }) {
			t.Errorf("scope hosts %v lack %s", names(rep.Hosts, func(x scope.Host) string { return x.Name }), h)
		}
	}
	ex := truth.Breach.Exfiltration
	i := slices.IndexFunc(rep.Transfers, func(x scope.Transfer) bool { return x.Destination == ex.DestinationIP })
	if i < 0 {
		t.Errorf("no transfer to the exfiltration destination %s", ex.DestinationIP)
	} else if x := rep.Transfers[i]; x.Bytes != ex.Bytes || x.Verdict != scope.LikelyExfiltration {
		t.Errorf("transfer to %s: %d bytes, %s; truth: %d bytes, exfiltration", ex.DestinationIP, x.Bytes, x.Verdict, ex.Bytes)
	}
	// The staged files: those of the share first read during the staging
	// stage. The report lists the other files the account read in the
	// incident's window too.
	var staging simulate.StageTruth
	for _, st := range truth.Breach.Stages {
		if st.Stage == simulate.StageStaging {
			staging = st
		}
	}
	staged := -1
	for _, d := range rep.Data {
		if d.Name != ex.Share {
			continue
		}
		staged = 0
		for _, o := range d.Objects {
			if !o.First.Before(staging.Start) && !o.First.After(staging.End) {
				staged++
			}
		}
	}
	if staged != ex.FilesStaged {
		t.Errorf("%d files of %s first read while staging, truth: %d (containers %v)", staged, ex.Share, ex.FilesStaged,
			names(rep.Data, func(d scope.Data) string { return fmt.Sprint(d.Name, "=", d.ObjectsTotal) }))
	}
	sil := truth.Breach.Silenced
	if !slices.ContainsFunc(rep.Gaps, func(g scope.Gap) bool {
		return strings.EqualFold(strings.SplitN(g.Entity, ".", 2)[0], strings.SplitN(sil.Host, ".", 2)[0]) &&
			g.From.Sub(sil.From).Abs() <= time.Minute && !g.To.Before(minTime(sil.Until, rep.To))
	}) {
		t.Errorf("no telemetry gap for %s covering %s to %s: %v", sil.Host, sil.From, sil.Until, names(rep.Gaps, func(g scope.Gap) string { return g.Text }))
	}
	if text := cli("scope", fmt.Sprint(breach.ID)); !strings.Contains(text, "unknown: no logs from") {
		t.Errorf("scope text does not state the gaps as unknown:\n%s", text)
	}

	// The analyst works the incident; every action is audited.
	id := fmt.Sprint(breach.ID)
	cli("incident", "status", id, "investigating")
	cli("incident", "assign", id, "alice")
	cli("incident", "note", id, "VPN account of "+user+" disabled by the helpdesk")
	var inc incident.Incident
	if err := json.Unmarshal([]byte(cli("incident", "show", id, "--json")), &inc); err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.StatusInvestigating || inc.Assignee != "alice" || len(inc.Notes) != 1 {
		t.Errorf("after the analyst's actions: status %s, assignee %q, %d notes", inc.Status, inc.Assignee, len(inc.Notes))
	}
	if _, err := runCLI(t, ctx, "incident", "status", id, "false_positive", "--server", s.url, "--token", s.token); err == nil ||
		!strings.Contains(err.Error(), "reason") {
		t.Errorf("false positive without a reason: %v, want an error asking for one", err)
	}

	// Block the attacker: a decision that a bouncer would pull.
	var d respond.Decision
	if err := json.Unmarshal([]byte(cli("decide", "block", "ip", truth.Breach.AttackerIP, "--duration", "24h",
		"--reason", "password spraying", "--incident", id, "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Value != truth.Breach.AttackerIP || d.Actor != "admin" || d.Incident != id {
		t.Errorf("decision %+v", d)
	}
	var decisions api.DecisionsResponse
	if err := json.Unmarshal([]byte(cli("decisions", "--all", "--json")), &decisions); err != nil {
		t.Fatal(err)
	}
	dry := 0
	for _, x := range decisions.Decisions {
		if x.DryRun && x.Policy == "block-spray-sources" {
			dry++
		}
	}
	if dry == 0 {
		t.Error("the dry-run policy recorded no decision for the spraying sources")
	}
	var audit api.AuditResponse
	resp, body := s.do(t, "GET", "/api/v1/audit?target=incident/"+id, nil)
	if resp.StatusCode != 200 || json.Unmarshal(body, &audit) != nil {
		t.Fatalf("audit: %d %s", resp.StatusCode, body)
	}
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	for _, want := range []string{"incident.status by admin", "incident.assign by admin", "incident.note by admin"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log of incident %s: %v, lacks %q", id, actions, want)
		}
	}

	// A new indicator, the C2 address, is matched over the stored history:
	// its hits are alerts of the breach incident.
	feed := filepath.Join(dir, "c2.csv")
	os.WriteFile(feed, []byte("type,value,confidence,description\nip,"+truth.Breach.C2.IP+",90,C2 of the intrusion\n"), 0o600)
	var imp api.ImportResult
	if err := json.Unmarshal([]byte(cli("intel", "import", feed, "--json")), &imp); err != nil {
		t.Fatal(err)
	}
	if imp.Added != 1 || imp.Hunt == nil {
		t.Fatalf("import: %+v", imp)
	}
	for {
		var h api.HuntsResponse
		if err := json.Unmarshal([]byte(cli("hunts", "--json")), &h); err != nil {
			t.Fatal(err)
		}
		if h.Hunts[0].State != "running" {
			if h.Hunts[0].State != "done" || h.Hunts[0].Alerts == 0 {
				t.Errorf("retro-match of the C2 address: %+v", h.Hunts[0])
			}
			t.Logf("retro-match: %d alerts over %d events", h.Hunts[0].Alerts, h.Hunts[0].Scanned)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var hits api.AlertsResponse
	if err := json.Unmarshal([]byte(cli("alerts", "--json", "vigie.hunt.id:"+imp.Hunt.ID)), &hits); err != nil {
		// alerts --json prints one object per line
		hits.Alerts = nil
		for _, line := range strings.Split(strings.TrimSpace(cli("alerts", "--json", "vigie.hunt.id:"+imp.Hunt.ID)), "\n") {
			var a api.Alert
			if json.Unmarshal([]byte(line), &a) == nil {
				hits.Alerts = append(hits.Alerts, a)
			}
		}
	}
	if len(hits.Alerts) == 0 {
		t.Fatal("no alert carries the retro-hunt's id")
	}
	time.Sleep(time.Second)
	if err := json.Unmarshal([]byte(cli("incident", "show", id, "--json")), &inc); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(inc.Alerts, func(a incident.AlertRef) bool { return a.HuntID == imp.Hunt.ID }) {
		t.Errorf("the C2 indicator's retro-hunt alerts did not join incident %s", id)
	}

	evidenceRoundTrip(t, ctx, s, dir, id, inc, truth.Breach.Exfiltration.DestinationIP, cli)
}

// evidenceRoundTrip exports the breach incident as a case bundle and
// checks it offline with the instance's public key; a flipped byte fails
// it. Then, with the server stopped, the data folder verifies against
// its integrity log until an alert's raw bytes are changed in the SQLite
// file directly: verify --data names it, and exporting the incident is
// then refused with the alert named.
func evidenceRoundTrip(t *testing.T, ctx context.Context, s *server, dir, id string, inc incident.Incident, exfil string,
	cli func(...string) string) {
	t.Helper()
	var cps api.CheckpointsResponse
	if err := json.Unmarshal([]byte(cli("checkpoints", "--json")), &cps); err != nil {
		t.Fatal(err)
	}
	key := cps.PublicKey.String()
	case1 := filepath.Join(dir, "case.tar.gz")
	cli("export", id, "-o", case1)
	out, err := runCLI(t, ctx, "verify", case1, "--key", key)
	if err != nil {
		t.Fatalf("the exported bundle does not verify: %v\n%s", err, out)
	}
	t.Logf("bundle: %s", strings.SplitN(out, "\n", 2)[0])
	b, err := bundle.Read(case1, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Alerts) < len(inc.Alerts) {
		t.Errorf("bundle holds %d alerts, the incident %d", len(b.Alerts), len(inc.Alerts))
	}
	i := slices.IndexFunc(b.Files, func(f bundle.File) bool { return f.Name == "indicators.stix.json" })
	if i < 0 || !bytes.Contains(b.Files[i].Data, []byte(exfil)) {
		t.Errorf("the bundle's STIX indicators do not name the exfiltration destination %s", exfil)
	}
	raw, err := os.ReadFile(case1)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x40
	flipped := filepath.Join(dir, "flipped.tar.gz")
	os.WriteFile(flipped, raw, 0o600)
	if out, err := runCLI(t, ctx, "verify", flipped, "--key", key); err == nil {
		t.Errorf("a bundle with a flipped byte verifies:\n%s", out)
	}

	s.stop(t)
	data := filepath.Join(dir, "data")
	if out, err := runCLI(t, ctx, "verify", "--data", data, "--key", key); err != nil {
		t.Fatalf("the untouched data folder does not verify: %v\n%s", err, out)
	}
	victim := b.Alerts[0].ID
	db, err := sql.Open("sqlite", filepath.Join(data, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE events SET raw = CAST('forged' AS BLOB) WHERE id = ?", int64(victim)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = runCLI(t, ctx, "verify", "--data", data, "--key", key)
	if err == nil || !strings.Contains(out, fmt.Sprintf("ALTERED: event %d", victim)) {
		t.Errorf("verify --data after altering event %d: %v\n%s", victim, err, out)
	}
	// Exporting from the tampered store is refused, naming the record:
	// Vigie never signs a bundle whose records do not match its log.
	s2 := startServer(t, data)
	case2 := filepath.Join(dir, "case-after.tar.gz")
	out, err = runCLI(t, ctx, "export", id, "-o", case2, "--server", s2.url, "--token", s2.token)
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), fmt.Sprintf("alert %d", victim)) ||
		!strings.Contains(err.Error(), "verify --data") {
		t.Errorf("export from the tampered store: %v\n%s", err, out)
	}
	if _, err := os.Stat(case2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused export left %s behind: %v", case2, err)
	}
	s2.stop(t)
}

// waitIncidents waits until detection has caught up with ingestion: the
// incidents and their alerts stop changing for 5 seconds.
func waitIncidents(t *testing.T, ctx context.Context, cli func(...string) string) api.IncidentsResponse {
	t.Helper()
	var incidents api.IncidentsResponse
	last, stable := "", time.Now()
	for time.Since(stable) < 5*time.Second {
		if ctx.Err() != nil {
			t.Fatalf("incidents still changing: %s", last)
		}
		time.Sleep(500 * time.Millisecond)
		if err := json.Unmarshal([]byte(cli("incidents", "--json")), &incidents); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, inc := range incidents.Incidents {
			n += len(inc.Alerts)
		}
		if now := fmt.Sprint(len(incidents.Incidents), n); now != last {
			last, stable = now, time.Now()
		}
	}
	return incidents
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func names[T any](xs []T, f func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// sameHost compares a scope host with truth's name, by first label.
func sameHost(h scope.Host, name string) bool {
	short := func(s string) string { return strings.ToLower(strings.SplitN(s, ".", 2)[0]) }
	if short(h.Name) == short(name) {
		return true
	}
	return slices.ContainsFunc(h.Aliases, func(a string) bool { return short(a) == short(name) })
}
