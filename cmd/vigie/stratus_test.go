package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// TestStratusIncidents sends the Stratus Red Team CloudTrail detonations
// to a server running the bundled rules, and checks that the exfiltration
// and credential-access techniques become incidents whose scope names the
// objects and secrets involved, as the files record them.
func TestStratusIncidents(t *testing.T) {
	dir := shareddata.Path(t, "cloudtrail/stratus")
	s := startServer(t, t.TempDir(), "--rules", "../../rules")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cli := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, ctx, append(args, "--server", s.url, "--token", s.token)...)
		if err != nil {
			t.Fatalf("vigie %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	files, err := filepath.Glob(filepath.Join(dir, "aws.*.json"))
	if err != nil || len(files) != 35 {
		t.Fatalf("%d Stratus files, want 35: %v", len(files), err)
	}
	// A trail delivers in time order; the detonations are files named by
	// technique, so send them in the order of their first event, one
	// after the other, as the trail would have (live correlations take
	// events up to detection.lateness out of order, not months).
	first := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		type record struct{ EventTime string }
		var trail struct{ Records []record }
		if json.Unmarshal(b, &trail.Records) != nil { // a bare array, or {"Records": […]}
			json.Unmarshal(b, &trail)
		}
		if len(trail.Records) == 0 {
			t.Fatalf("%s: no records", f)
		}
		first[f] = slices.MinFunc(trail.Records, func(a, b record) int { return strings.Compare(a.EventTime, b.EventTime) }).EventTime
	}
	slices.SortFunc(files, func(a, b string) int { return strings.Compare(first[a], first[b]) })
	cli(append([]string{"ingest"}, files...)...)

	waitIncidents(t, ctx, cli)
	scopeOf := func(inc *incident.Incident) *scope.Report {
		t.Helper()
		var rep scope.Report
		if err := json.Unmarshal([]byte(cli("scope", fmt.Sprint(inc.ID), "--json")), &rep); err != nil {
			t.Fatal(err)
		}
		return &rep
	}
	objects := func(rep *scope.Report, kind string) []string {
		var out []string
		for _, d := range rep.Data {
			if d.Kind == kind {
				for _, o := range d.Objects {
					out = append(out, o.Name)
				}
			}
		}
		return out
	}
	has := func(list []string, part string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, part) })
	}

	// Credential access: aws.credential-access.secretsmanager-retrieve-secrets.json
	// reads 20 secrets, stratus-red-team-retrieve-secret-0-28bajb among them;
	// ssm-retrieve-securestring-parameters.json reads
	// /credentials/stratus-red-team/credentials-0 and others.
	secrets := map[string]bool{}
	for _, want := range []string{"stratus-red-team-retrieve-secret-0-28bajb", "/credentials/stratus-red-team/credentials-0"} {
		found := false
		for _, inc := range incidentsWith(t, cli, "T1555.006") {
			objs := objects(scopeOf(inc), scope.KindSecrets)
			for _, o := range objs {
				secrets[o] = true
			}
			if has(objs, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no credential-access incident's scope names %s (secrets listed: %d)", want, len(secrets))
		}
	}

	// Exfiltration: ec2-share-ami.json shares ami-de1fbCab6ccB03e6D with
	// 846424999548; rds-share-snapshot.json shares the snapshot
	// "exfiltration" with 503161813013.
	var shared []string
	for _, inc := range incidentsWith(t, cli, "T1537") {
		shared = append(shared, objects(scopeOf(inc), scope.KindSnapshots)...)
	}
	for _, want := range []string{"ami-de1fbCab6ccB03e6D", "exfiltration"} {
		if !has(shared, want) {
			t.Errorf("no exfiltration incident's scope names %s: %v", want, shared)
		}
	}

	// An exfiltration incident leaves as a case bundle that verifies
	// offline and carries the real CloudTrail records byte for byte.
	exfil := incidentsWith(t, cli, "T1537")
	if len(exfil) == 0 {
		t.Fatal("no exfiltration incident to export")
	}
	var cps api.CheckpointsResponse
	if err := json.Unmarshal([]byte(cli("checkpoints", "--json")), &cps); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "exfiltration.zip")
	cli("export", fmt.Sprint(exfil[0].ID), "-o", path)
	if out, err := runCLI(t, ctx, "verify", path, "--key", cps.PublicKey.String()); err != nil {
		t.Fatalf("the exfiltration bundle does not verify: %v\n%s", err, out)
	}
	b, err := bundle.Read(path, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	raw := 0
	for _, e := range b.Events {
		if bytes.Contains(e.Raw, []byte(`"eventSource"`)) {
			raw++
		}
	}
	t.Logf("exfiltration bundle: %d CloudTrail records among %d events, %d alerts", raw, len(b.Events), len(b.Alerts))
	if raw == 0 || len(b.Alerts) != len(exfil[0].Alerts) {
		t.Errorf("bundle: %d CloudTrail records among %d events, %d alerts (incident: %d)", raw, len(b.Events), len(b.Alerts), len(exfil[0].Alerts))
	}
}

// incidentsWith lists the incidents holding an alert of technique.
func incidentsWith(t *testing.T, cli func(...string) string, technique string) []*incident.Incident {
	t.Helper()
	var resp api.IncidentsResponse
	if err := json.Unmarshal([]byte(cli("incidents", "--json")), &resp); err != nil {
		t.Fatal(err)
	}
	var out []*incident.Incident
	for _, inc := range resp.Incidents {
		if slices.ContainsFunc(inc.Techniques, func(s string) bool { return strings.EqualFold(s, technique) }) {
			out = append(out, inc)
		}
	}
	return out
}
