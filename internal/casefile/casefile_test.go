package casefile_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/casefile"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// t0 is when the hand-built intrusion begins.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// hostile is a value an intruder chose, which the report must show as
// text and never run.
const hostile = `<script>alert("pwned")</script>`

// fixture is a hand-built incident in a real store, with the real
// incident manager, decisions, integrity log and exporter.
type fixture struct {
	st        *sqlite.Store
	incidents *incident.Manager
	decisions *respond.Manager
	key       *evidence.Key
	x         *casefile.Exporter
	inc       *incident.Incident
	now       time.Time
}

// newFixture stores a small intrusion: a failed then successful SSH
// logon from 203.0.113.9 to web-01 as alice, a logon by an account named
// with a script, and 500 MB sent from web-01 to 203.0.113.76; the alerts
// detection would raise on them; the incident they form; and a block of
// the attacker's address.
func newFixture(t *testing.T, cfg casefile.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, now: t0.Add(48 * time.Hour)}
	clock := func() time.Time { return f.now }

	mk := func(at time.Time, fields ...string) *event.Event {
		ev := &event.Event{Time: at, Received: at.Add(time.Second), Source: "file/test", Format: "jsonl"}
		for i := 0; i+1 < len(fields); i += 2 {
			ev.Add(fields[i], fields[i+1])
		}
		ev.Sort()
		ev.Raw, _ = json.Marshal(fields)
		return ev
	}
	events := []*event.Event{
		// Background, before the window: web-01's usual traffic.
		mk(t0.Add(-30*time.Hour), "host.name", "web-01", "source.ip", "10.0.0.5", "destination.ip", "198.51.100.20",
			"source.bytes", "20000", "event.category", "network"),
		mk(t0, "host.name", "web-01", "user.name", "alice", "source.ip", "203.0.113.9", "event.category", "authentication",
			"event.outcome", "failure", "event.action", "ssh_login"),
		mk(t0.Add(time.Minute), "host.name", "web-01", "user.name", "alice", "source.ip", "203.0.113.9", "event.category", "authentication",
			"event.outcome", "success", "event.action", "ssh_login",
			"file.hash.sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
		mk(t0.Add(2*time.Minute), "host.name", "web-01", "user.name", hostile, "source.ip", "203.0.113.9",
			"event.category", "authentication", "event.outcome", "success", "process.command_line", hostile),
		mk(t0.Add(time.Hour), "host.name", "web-01", "source.ip", "10.0.0.5", "destination.ip", "203.0.113.76",
			"destination.domain", "drop.example.net", "source.bytes", "500000000", "event.category", "network"),
	}
	if err := st.Append(ctx, events); err != nil {
		t.Fatal(err)
	}
	rule := &sigma.Rule{ID: "r-ssh", Title: "SSH logon from the internet", Level: "high", Tags: []string{"attack.t1078", "attack.initial-access"}}
	logon := detect.Alert{Rule: rule, Kind: detect.KindMatch, Time: events[2].Time, Event: events[2], Ref: strconv.FormatInt(int64(events[2].ID), 10)}
	odd := detect.Alert{Rule: rule, Kind: detect.KindMatch, Time: events[3].Time, Event: events[3], Ref: strconv.FormatInt(int64(events[3].ID), 10)}
	find := &behave.Finding{Detector: "exfil", Title: "Large upload to a new destination", Level: "critical", Time: events[4].Time,
		Tags: []string{"attack.t1041", "attack.exfiltration"}, Evidence: []string{strconv.FormatInt(int64(events[4].ID), 10)},
		Entities: []behave.Entity{{Field: "host.name", Value: "web-01"}, {Field: "source.ip", Value: "10.0.0.5"},
			{Field: "destination.ip", Value: "203.0.113.76"}, {Field: "destination.domain", Value: "drop.example.net"}}}
	exfil := detect.Alert{Rule: &sigma.Rule{ID: "vigie.behave.exfil", Title: "exfil"}, Kind: detect.KindBehaviour, Finding: find,
		Time: find.Time, Refs: find.Evidence}
	alerts := []*event.Event{logon.ToEvent(f.now), odd.ToEvent(f.now), exfil.ToEvent(f.now)}
	if err := st.Append(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	f.incidents, err = incident.New(incident.Config{}, incident.Deps{Records: st, Audit: st, Evidence: st, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.incidents.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.incidents.Add(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	id, ok := f.incidents.IncidentOf(alerts[0].ID)
	if !ok {
		t.Fatal("the logon alert is in no incident")
	}
	who := incident.Actor{Name: "alice.analyst", Remote: "192.0.2.10"}
	if _, err := f.incidents.SetStatus(ctx, id, incident.StatusInvestigating, "", who); err != nil {
		t.Fatal(err)
	}
	if _, err := f.incidents.AddNote(ctx, id, "Attacker logged on as alice; "+hostile, who); err != nil {
		t.Fatal(err)
	}
	f.decisions, err = respond.New(respond.Config{}, respond.Deps{Records: st, Audit: st, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.decisions.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.decisions.Decide(ctx, respond.Request{Value: "203.0.113.9", Reason: "attacker"},
		respond.Actor{Name: "bob.responder", Origin: respond.OriginAnalyst}); err != nil {
		t.Fatal(err)
	}
	if f.key, err = evidence.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	log, err := evidence.Open(ctx, st, f.key, evidence.Config{Origin: "vigie-test", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f.x, err = casefile.New(cfg, casefile.Deps{Incidents: f.incidents, Store: st, Decisions: f.decisions, Log: log,
		Key: f.key, Subject: api.ScopeSubject, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if f.inc, err = f.incidents.Get(id); err != nil {
		t.Fatal(err)
	}
	return f
}

// export writes the incident's bundle to a file and returns its path.
func (f *fixture) export(t *testing.T, format bundle.Format) (string, casefile.Result) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "case."+format.String())
	var buf bytes.Buffer
	res, err := f.x.Export(context.Background(), f.inc.ID, "carol.lead", "192.0.2.77", &buf, format)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if res.Bytes != int64(buf.Len()) {
		t.Errorf("Result.Bytes = %d, wrote %d", res.Bytes, buf.Len())
	}
	return path, res
}

func verify(t *testing.T, path string, key *evidence.Key) *bundle.Report {
	t.Helper()
	rep, err := bundle.Verify(path, key.Public(), bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !rep.Trusted {
		t.Fatalf("bundle does not verify with the instance key:\n%s", rep)
	}
	return rep
}

func file(t *testing.T, b *bundle.Bundle, name string) []byte {
	t.Helper()
	for _, f := range b.Files {
		if f.Name == name {
			return f.Data
		}
	}
	t.Fatalf("bundle has no %s", name)
	return nil
}

func TestExport(t *testing.T) {
	f := newFixture(t, casefile.Config{})
	if len(f.inc.Alerts) != 3 {
		t.Fatalf("the hand-built incident has %d alerts, want the 3 stored", len(f.inc.Alerts))
	}
	path, res := f.export(t, bundle.TarGz)
	rep := verify(t, path, f.key)
	b, err := bundle.Read(path, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}

	var want, got []event.ID
	for _, a := range f.inc.Alerts {
		want = append(want, a.ID)
	}
	for _, a := range b.Alerts {
		got = append(got, a.ID)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("bundle alerts %v, the incident's are %v", got, want)
	}
	if rep.Alerts != 3 || res.Counts.Alerts != 3 {
		t.Errorf("verified %d alerts, counted %d; want 3", rep.Alerts, res.Counts.Alerts)
	}
	// The evidence events (logon, odd logon, upload) and the scope's
	// events in the window are there; the background before it is not.
	var evIDs []event.ID
	for _, ev := range b.Events {
		evIDs = append(evIDs, ev.ID)
	}
	if !slices.Equal(evIDs, []event.ID{2, 3, 4, 5}) {
		t.Errorf("bundle events %v, want [2 3 4 5]", evIDs)
	}
	if hex.EncodeToString(rep.Manifest.SHA256[:]) != res.Manifest {
		t.Errorf("Result.Manifest %s, manifest.json hashes to %x", res.Manifest, rep.Manifest.SHA256)
	}
	if rep.Manifest.Previous != nil {
		t.Errorf("first export names a previous one: %+v", rep.Manifest.Previous)
	}
	if rep.Manifest.Incident != strconv.FormatInt(f.inc.ID, 10) || rep.Manifest.ExportedBy != "carol.lead" {
		t.Errorf("manifest names incident %q by %q", rep.Manifest.Incident, rep.Manifest.ExportedBy)
	}

	// The audit entries about the incident: status, note, and the
	// decision's creation (a decision on the attacker's address).
	actions := map[string]int{}
	for _, a := range b.Audit {
		actions[a.Action]++
	}
	for _, a := range []string{"incident.status", "incident.note", "decision.create"} {
		if actions[a] != 1 {
			t.Errorf("bundle audit has %d %s entries, want 1 (all: %v)", actions[a], a, actions)
		}
	}
	var decisions []casefile.Decision
	if err := json.Unmarshal(file(t, b, "decisions.json"), &decisions); err != nil {
		t.Fatal(err)
	}
	if len(decisions) != 1 || decisions[0].Value != "203.0.113.9" || decisions[0].Concerns != "entity source.ip 203.0.113.9" {
		t.Errorf("decisions.json = %+v, want the block of 203.0.113.9 by entity", decisions)
	}
	var inc incident.Incident
	if err := json.Unmarshal(file(t, b, "incident.json"), &inc); err != nil {
		t.Fatal(err)
	}
	if inc.ID != f.inc.ID || inc.Title != f.inc.Title || len(inc.Notes) != 1 {
		t.Errorf("incident.json: id %d title %q, %d notes", inc.ID, inc.Title, len(inc.Notes))
	}

	// The report: the title, escaped; no script; the hostile field and
	// note as text; how to verify with the instance key.
	html := string(file(t, b, "report.html"))
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Error("report.html contains <script")
	}
	for _, s := range []string{
		"Incident " + strconv.FormatInt(f.inc.ID, 10) + ":",
		templateEscape(f.inc.Title),
		"&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;",
		templateEscape("vigie verify BUNDLE --key " + f.key.Public().String()),
		"@media print",
		"This is the first export",
		"203.0.113.76",
	} {
		if !strings.Contains(html, s) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	for _, s := range []string{"src=", "href=\"http", "@import", "url("} {
		if strings.Contains(html, s) {
			t.Errorf("report.html refers to an outside resource: %q", s)
		}
	}

	// Indicators: the exfiltration destination and the attacker.
	stix, misp := string(file(t, b, "indicators.stix.json")), string(file(t, b, "indicators.misp.json"))
	for _, s := range []string{"203.0.113.76", "203.0.113.9", "drop.example.net", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"} {
		if !strings.Contains(stix, s) || !strings.Contains(misp, s) {
			t.Errorf("STIX has %q: %v, MISP: %v", s, strings.Contains(stix, s), strings.Contains(misp, s))
		}
	}

	if role := mispComment(t, file(t, b, "indicators.misp.json"), "203.0.113.76"); !strings.HasPrefix(role, "exfiltration destination") ||
		!strings.Contains(role, "likely_exfiltration") {
		t.Errorf("MISP comment of 203.0.113.76 = %q, want an exfiltration destination with its verdict", role)
	}
	if !strings.Contains(stix, "exfiltration") {
		t.Error("STIX bundle does not say exfiltration")
	}

	// The export is audited after the bundle, naming its manifest.
	entries, err := f.st.AuditLog(context.Background(), 0, 1000, "incident/"+strconv.FormatInt(f.inc.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	var detail casefile.ExportDetail
	if err := json.Unmarshal(last.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if last.Action != casefile.ActionExport || last.Actor != "carol.lead" || last.Remote != "192.0.2.77" ||
		detail.Manifest != res.Manifest || detail.Format != "tar.gz" || detail.Counts.Alerts != 3 || last.Seq != res.AuditSeq {
		t.Errorf("last audit entry %+v, detail %+v; want the export of manifest %s", last, detail, res.Manifest)
	}
	for _, a := range b.Audit {
		if a.Action == casefile.ActionExport {
			t.Errorf("the bundle holds an export entry (seq %d): it was written after", a.Seq)
		}
	}
}

// mispComment returns the comment of the MISP attribute of value.
func mispComment(t *testing.T, data []byte, value string) string {
	t.Helper()
	var m struct {
		Event struct {
			Attribute []struct{ Value, Comment string }
		}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Event.Attribute {
		if a.Value == value {
			return a.Comment
		}
	}
	t.Errorf("MISP event has no attribute %s", value)
	return ""
}

// templateEscape escapes s as html/template does in text (a public
// key's base64 may hold "+").
func templateEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}

// TestReexport exports, adds a note, changes the status, exports again as
// a zip: the second bundle names the first as previous with the new note,
// and its report shows the first export in the chain of custody.
func TestReexport(t *testing.T) {
	f := newFixture(t, casefile.Config{})
	ctx := context.Background()
	_, first := f.export(t, bundle.TarGz)
	note := "Second look: the upload went to drop.example.net"
	who := incident.Actor{Name: "dave.analyst"}
	var err error
	if _, err = f.incidents.AddNote(ctx, f.inc.ID, note, who); err != nil {
		t.Fatal(err)
	}
	if f.inc, err = f.incidents.SetStatus(ctx, f.inc.ID, incident.StatusContained, "", who); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	path, second := f.export(t, bundle.Zip)
	rep := verify(t, path, f.key)
	prev := rep.Manifest.Previous
	if prev == nil || hex.EncodeToString(prev.Manifest[:]) != first.Manifest {
		t.Fatalf("second export's previous = %+v, want manifest %s", prev, first.Manifest)
	}
	if !strings.Contains(prev.Changes, note) || !strings.Contains(prev.Changes, "status investigating → contained") {
		t.Errorf("previous.changes = %q, want the new note and the status change", prev.Changes)
	}
	c := second.Changes
	if c == nil || len(c.NotesAdded) != 1 || c.NotesAdded[0].Text != note || c.NotesAdded[0].Author != "dave.analyst" {
		t.Fatalf("changes = %+v, want the one new note", c)
	}
	if len(c.AlertsAdded) != 0 || len(c.AlertsRemoved) != 0 || c.EventsAdded != 0 || c.EventsRemoved != 0 {
		t.Errorf("changes name alerts or events: %+v", c)
	}
	// New audit entries: the first export, the note, the status.
	if c.AuditAdded != 3 {
		t.Errorf("audit entries added = %d, want 3 (export, note, status)", c.AuditAdded)
	}
	if !slices.Contains(c.FilesChanged, "notes.json") || !slices.Contains(c.FilesChanged, "incident.json") ||
		slices.Contains(c.FilesChanged, "decisions.json") {
		t.Errorf("files changed = %v, want notes.json and incident.json, not decisions.json", c.FilesChanged)
	}
	b, err := bundle.Read(path, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	html := string(file(t, b, "report.html"))
	for _, s := range []string{"Changes since the previous export", first.Manifest, note, "carol.lead", "from investigating to contained"} {
		if !strings.Contains(html, s) {
			t.Errorf("second report lacks %q", s)
		}
	}
	exports := 0
	for _, a := range b.Audit {
		if a.Action == casefile.ActionExport && a.Seq == first.AuditSeq {
			exports++
		}
	}
	if exports != 1 {
		t.Errorf("the second bundle holds %d audit entries of the first export, want 1", exports)
	}
}

// TestMaxEvents bounds the raw events: evidence first, and the bundle
// and its report say how many were left out.
func TestMaxEvents(t *testing.T) {
	f := newFixture(t, casefile.Config{MaxEvents: 2})
	path, res := f.export(t, bundle.TarGz)
	verify(t, path, f.key)
	if res.Counts.Events != 2 || res.Counts.EventsLeftOut != 2 {
		t.Errorf("counts %+v, want 2 events and 2 left out (4 in scope)", res.Counts)
	}
	b, err := bundle.Read(path, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// The evidence events are 3, 4 and 5: the first two fit.
	if len(b.Events) != 2 || b.Events[0].ID != 3 || b.Events[1].ID != 4 {
		t.Errorf("events %v, want evidence events 3 and 4", b.Events)
	}
	if html := string(file(t, b, "report.html")); !strings.Contains(html, "at least 2 more events of the scope were left out (limit 2)") {
		t.Error("report.html does not state the truncation")
	}
	var summary struct {
		Counts casefile.Counts `json:"counts"`
	}
	if err := json.Unmarshal(file(t, b, "export.json"), &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Counts.EventsLeftOut != 2 {
		t.Errorf("export.json counts %+v", summary.Counts)
	}
}

// TestFailedExport: a writer that fails leaves an audit entry saying so,
// and no record for a next export to compare with.
func TestFailedExport(t *testing.T) {
	f := newFixture(t, casefile.Config{})
	_, err := f.x.Export(context.Background(), f.inc.ID, "carol.lead", "", failingWriter{}, bundle.TarGz)
	if err == nil {
		t.Fatal("export to a failing writer succeeded")
	}
	entries, err := f.st.AuditLog(context.Background(), 0, 1000, "incident/"+strconv.FormatInt(f.inc.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	var d casefile.ExportDetail
	if err := json.Unmarshal(last.Detail, &d); err != nil {
		t.Fatal(err)
	}
	if last.Action != casefile.ActionExport || d.Error == "" || d.Manifest != "" {
		t.Errorf("audit entry %s %+v, want a failed export", last.Action, d)
	}
	recs, err := f.st.ListRecords(context.Background(), casefile.RecordKind)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Errorf("%d export records after a failed export", len(recs))
	}
	_, res := f.export(t, bundle.TarGz)
	if res.Changes != nil {
		t.Errorf("an export after a failed one has changes %+v: nothing was handed out before", res.Changes)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestNew(t *testing.T) {
	if _, err := casefile.New(casefile.Config{}, casefile.Deps{}); err == nil {
		t.Error("New without dependencies succeeded")
	}
	if err := (casefile.Config{MaxEvents: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "export.max_events") {
		t.Errorf("Validate(max_events -1) = %v", err)
	}
}

func TestUnknownIncident(t *testing.T) {
	f := newFixture(t, casefile.Config{})
	_, err := f.x.Export(context.Background(), 999, "carol.lead", "", &bytes.Buffer{}, bundle.TarGz)
	if err == nil || !strings.Contains(err.Error(), "999") {
		t.Errorf("export of incident 999 = %v", err)
	}
}
