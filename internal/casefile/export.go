package casefile

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/intel"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/store"
)

// Config bounds an export. The zero value works: every zero field takes
// the default written beside it. In YAML (the "export" section):
//
//	export:
//	  max_events: 100000    # raw events of the scope in one bundle
//	  max_timeline: 100000  # items of timeline.json
//	  max_audit: 100000     # audit entries in one bundle
type Config struct {
	MaxEvents   int `yaml:"max_events"`
	MaxTimeline int `yaml:"max_timeline"`
	MaxAudit    int `yaml:"max_audit"`
}

// Defaults of Config.
const (
	DefaultMaxEvents   = 100_000
	DefaultMaxTimeline = 100_000
	DefaultMaxAudit    = 100_000
)

// Validate reports a negative bound.
func (c Config) Validate() error {
	for _, b := range []struct {
		name string
		v    int
	}{{"max_events", c.MaxEvents}, {"max_timeline", c.MaxTimeline}, {"max_audit", c.MaxAudit}} {
		if b.v < 0 {
			return fmt.Errorf("export.%s: %d is negative", b.name, b.v)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxEvents == 0 {
		c.MaxEvents = DefaultMaxEvents
	}
	if c.MaxTimeline == 0 {
		c.MaxTimeline = DefaultMaxTimeline
	}
	if c.MaxAudit == 0 {
		c.MaxAudit = DefaultMaxAudit
	}
	return c
}

// Incidents gives the incident to export; *incident.Manager is one.
type Incidents interface {
	Get(id int64) (*incident.Incident, error)
}

// Store is what an export reads and writes: events, the integrity log's
// leaf indices, the audit log (read, and the export's own entry) and
// records (the export records). *sqlite.Store is one.
type Store interface {
	store.Searcher
	store.Ledger
	store.Auditor
	store.Records
}

// Decisions lists response decisions; *respond.Manager is one.
type Decisions interface {
	List(ctx context.Context, f respond.Filter) ([]*respond.Decision, error)
}

// Log is the integrity log: a fresh signed checkpoint and inclusion
// proofs against it. *evidence.Log is one.
type Log interface {
	Checkpoint(ctx context.Context) (evidence.Checkpoint, error)
	InclusionProof(ctx context.Context, index, size int64) ([]leaf.Hash, error)
}

// SubjectFunc gives the subject of an incident's scope report, as the
// API's scope route computes it (api.ScopeSubject), so that the bundle's
// scope is the one analysts saw.
type SubjectFunc func(ctx context.Context, st store.Searcher, inc *incident.Incident, now time.Time) (scope.Subject, error)

// Deps are what an Exporter works with. All are required but Decisions
// (nil: no decision is exported) and Now.
type Deps struct {
	Incidents Incidents
	Store     Store
	Decisions Decisions
	Log       Log
	Key       *evidence.Key    // the instance key, which signed Log's checkpoints
	Subject   SubjectFunc      // api.ScopeSubject
	Scope     scope.Config     // the scope report's configuration, as the API uses it
	Now       func() time.Time // default time.Now
}

// Exporter writes case bundles. It is safe for concurrent use; exports
// of the same incident at the same time are each complete and audited,
// and each names the export before both as its previous one.
type Exporter struct {
	cfg      Config
	deps     Deps
	internal []netip.Prefix
}

// New returns an Exporter.
func New(cfg Config, deps Deps) (*Exporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Incidents == nil || deps.Store == nil || deps.Log == nil || deps.Key == nil || deps.Subject == nil {
		return nil, errors.New("casefile: Incidents, Store, Log, Key and Subject are required")
	}
	if err := deps.Scope.Validate(); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	x := &Exporter{cfg: cfg.withDefaults(), deps: deps}
	nets := deps.Scope.InternalNetworks
	if len(nets) == 0 {
		nets = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
			"127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"}
	}
	for _, n := range nets {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("casefile: internal network %q: %w", n, err)
		}
		x.internal = append(x.internal, p)
	}
	return x, nil
}

func (x *Exporter) now() time.Time { return x.deps.Now() }

// Result says what an export wrote.
type Result struct {
	Manifest string `json:"manifest_sha256"` // hex SHA-256 of manifest.json
	Counts   Counts `json:"counts"`
	Bytes    int64  `json:"bytes"` // size of the bundle written
	// Changes is what changed since the previous export; nil for the
	// first.
	Changes *Changes `json:"changes,omitempty"`
	// AuditSeq is the Seq of the export's audit entry.
	AuditSeq int64 `json:"audit_seq"`
}

// Export writes the case bundle of incident incidentID to w, then audits
// the export as who from remote and records what it held. The bundle is
// complete and verifiable when Export returns nil. An error after writing
// began leaves w with a partial bundle, which the caller discards; that
// failure is audited too.
func (x *Exporter) Export(ctx context.Context, incidentID int64, who, remote string, w io.Writer, format bundle.Format) (Result, error) {
	if strings.TrimSpace(who) == "" {
		return Result{}, errors.New("export: who exports must be named")
	}
	inc, err := x.deps.Incidents.Get(incidentID)
	if err != nil {
		return Result{}, fmt.Errorf("export of incident %d: %w", incidentID, err)
	}
	cw := &countingWriter{w: w}
	res, werr := x.write(ctx, inc, who, cw, format)
	res.Bytes = cw.n
	detail := ExportDetail{Manifest: res.Manifest, Format: format.String(), Counts: res.Counts, Bytes: cw.n}
	if werr != nil {
		detail.Error = werr.Error()
	} else {
		detail.Record = recordID(inc.ID, res.Manifest)
	}
	body, err := json.Marshal(detail)
	if err != nil {
		return res, errors.Join(werr, fmt.Errorf("encoding the export's audit detail: %w", err))
	}
	entry := &store.AuditEntry{Time: x.now(), Actor: who, Action: ActionExport,
		Target: "incident/" + strconv.FormatInt(inc.ID, 10), Remote: remote, Detail: body}
	if err := x.deps.Store.AppendAudit(ctx, entry); err != nil {
		return res, errors.Join(werr, fmt.Errorf("auditing the export of incident %d: %w", inc.ID, err))
	}
	res.AuditSeq = entry.Seq
	return res, werr
}

// write gathers, proves and writes the bundle, and stores its record.
func (x *Exporter) write(ctx context.Context, inc *incident.Incident, who string, w io.Writer, format bundle.Format) (Result, error) {
	g, err := x.gather(ctx, inc)
	if err != nil {
		return Result{}, err
	}
	prevRec, err := x.latestRecord(ctx, g.previousExports)
	if err != nil {
		return Result{}, err
	}
	var changes *Changes
	if prevRec != nil {
		if changes, err = changesSince(prevRec, g); err != nil {
			return Result{}, err
		}
	}
	cp, err := x.deps.Log.Checkpoint(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("signing a checkpoint for the export of incident %d: %w", inc.ID, err)
	}
	c := bundle.Contents{Incident: strconv.FormatInt(inc.ID, 10), ExportedBy: who, ExportedAt: x.now(), Checkpoint: cp}
	for _, ev := range g.events {
		if ev.Kind == event.KindAlert {
			c.Alerts = append(c.Alerts, ev) // an alert that is evidence of a correlation
			continue
		}
		c.Events = append(c.Events, ev)
	}
	c.Alerts = mergeAlerts(g.alerts, c.Alerts)
	if c.EventProofs, err = x.prove(ctx, cp, leaf.KindEvent, ids(c.Events)); err != nil {
		return Result{}, err
	}
	if c.AlertProofs, err = x.prove(ctx, cp, leaf.KindEvent, ids(c.Alerts)); err != nil {
		return Result{}, err
	}
	seqs := make([]int64, len(g.audit))
	for i, e := range g.audit {
		seqs[i] = e.Seq
	}
	if c.AuditProofs, err = x.prove(ctx, cp, leaf.KindAudit, seqs); err != nil {
		return Result{}, err
	}
	c.Audit = g.audit
	counts := Counts{Alerts: len(g.alerts), Events: len(g.events), EventsLeftOut: g.eventsLeftOut,
		Audit: len(g.audit), Decisions: len(g.decisions), Notes: len(inc.Notes)}
	var prevFiles map[string]string
	if prevRec != nil {
		prevFiles = prevRec.Files
	}
	files, nIndicators, err := x.files(g, cp, who, counts, changes, prevFiles)
	if err != nil {
		return Result{}, err
	}
	counts.Indicators = nIndicators
	c.Files = files
	if changes != nil {
		sum, err := hex.DecodeString(prevRec.Manifest)
		if err != nil || len(sum) != sha256.Size {
			return Result{}, fmt.Errorf("export record of incident %d names manifest %q: not a SHA-256", inc.ID, prevRec.Manifest)
		}
		c.Previous = &bundle.Previous{Changes: changes.Summary()}
		copy(c.Previous.Manifest[:], sum)
	}
	m, err := bundle.Write(w, format, c, x.deps.Key)
	if err != nil {
		return Result{Counts: counts}, fmt.Errorf("export of incident %d: %w", inc.ID, err)
	}
	res := Result{Manifest: hex.EncodeToString(m.SHA256[:]), Counts: counts, Changes: changes}
	hashes := map[string]string{}
	for _, f := range m.Files {
		hashes[f.Name] = hex.EncodeToString(f.SHA256[:])
	}
	rec := newRecord(g, c.ExportedAt, who, res.Manifest, format.String(), hashes)
	body, err := json.Marshal(rec)
	if err != nil {
		return res, fmt.Errorf("encoding the export record: %w", err)
	}
	if err := x.deps.Store.PutRecord(ctx, store.Record{Kind: RecordKind, ID: recordID(inc.ID, res.Manifest), Body: body, Updated: c.ExportedAt}); err != nil {
		return res, fmt.Errorf("storing the export record of incident %d: %w", inc.ID, err)
	}
	return res, nil
}

// mergeAlerts returns the incident's alerts and the alerts among the
// evidence events, by ID, without repeats.
func mergeAlerts(own, evidence []*event.Event) []*event.Event {
	out := slices.Concat(own, evidence)
	slices.SortFunc(out, func(a, b *event.Event) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(out, func(a, b *event.Event) bool { return a.ID == b.ID })
}

func ids(evs []*event.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = int64(ev.ID)
	}
	return out
}

// prove returns the leaf index and inclusion proof of each ref against
// cp.
func (x *Exporter) prove(ctx context.Context, cp evidence.Checkpoint, kind leaf.Kind, refs []int64) ([]bundle.Leafed, error) {
	out := make([]bundle.Leafed, 0, len(refs))
	for _, ref := range refs {
		idx, err := x.deps.Store.LeafIndex(ctx, uint8(kind), ref)
		if err != nil {
			return nil, fmt.Errorf("leaf of %s %d: %w", kind, ref, err)
		}
		if idx >= cp.Size {
			return nil, fmt.Errorf("leaf %d of %s %d is beyond %s", idx, kind, ref, cp)
		}
		p, err := x.deps.Log.InclusionProof(ctx, idx, cp.Size)
		if err != nil {
			return nil, fmt.Errorf("inclusion proof of %s %d (leaf %d): %w", kind, ref, idx, err)
		}
		out = append(out, bundle.Leafed{Index: idx, Proof: p})
	}
	return out, nil
}

// files renders the bundle's own files and returns them with the number
// of indicators.
func (x *Exporter) files(g *gathered, cp evidence.Checkpoint, who string, counts Counts, changes *Changes, prevFiles map[string]string) ([]bundle.File, int, error) {
	var files []bundle.File
	addJSON := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding %s: %w", name, err)
		}
		files = append(files, bundle.File{Name: name, Data: append(b, '\n')})
		return nil
	}
	notes := g.inc.Notes
	if notes == nil {
		notes = []incident.Note{}
	}
	decisions := g.decisions
	if decisions == nil {
		decisions = []Decision{}
	}
	timeline := g.timeline
	if timeline == nil {
		timeline = []TimelineEntry{}
	}
	ic, skipped := indicatorCase(g, cp.Origin, x.internal, x.now())
	stix, err := intel.ExportSTIX(ic)
	if err != nil {
		return nil, 0, fmt.Errorf("indicators of incident %d as STIX: %w", g.inc.ID, err)
	}
	misp, err := intel.ExportMISP(ic)
	if err != nil {
		return nil, 0, fmt.Errorf("indicators of incident %d as MISP: %w", g.inc.ID, err)
	}
	counts.Indicators = len(ic.Observables)
	summary := exportSummary{Incident: g.inc.ID, Window: window{From: g.window.From, To: g.window.To},
		Counts: counts, MaxEvents: x.cfg.MaxEvents, MissingAlerts: g.missingAlerts, MissingEvidence: g.missingEvidence,
		TimelineTruncated: g.timelineLeftOut, AuditTruncated: g.auditLeftOut, IndicatorsSkipped: skipped,
		Custody: g.previousExports, Changes: changes}
	if summary.MissingAlerts == nil {
		summary.MissingAlerts = []event.ID{}
	}
	if summary.Custody == nil {
		summary.Custody = []Custody{}
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{"incident.json", g.inc}, {"timeline.json", timeline}, {"scope.json", g.scope},
		{"notes.json", notes}, {"decisions.json", decisions}, {"export.json", summary},
	} {
		if err := addJSON(f.name, f.v); err != nil {
			return nil, 0, err
		}
	}
	files = append(files, bundle.File{Name: "indicators.stix.json", Data: stix}, bundle.File{Name: "indicators.misp.json", Data: misp})
	names := []string{bundle.EventsFile, bundle.AlertsFile, bundle.AuditFile}
	hashes := map[string]string{}
	for _, f := range files {
		names = append(names, f.Name)
		sum := sha256.Sum256(f.Data)
		hashes[f.Name] = hex.EncodeToString(sum[:])
	}
	if changes != nil {
		changes.compareFiles(prevFiles, hashes)
	}
	names = append(names, "report.html")
	rd := &reportData{Incident: g.inc, Generated: x.now(), Exporter: who, PublicKey: x.deps.Key.Public().String(),
		Checkpoint: cp.String(), Counts: counts, MaxEvents: x.cfg.MaxEvents, MaxAudit: x.cfg.MaxAudit,
		MaxTimeline: x.cfg.MaxTimeline, MissingAlerts: g.missingAlerts, MissingEvidence: g.missingEvidence,
		AuditLeftOut: g.auditLeftOut, TimelineItems: len(g.timeline), TimelineLeftOut: g.timelineLeftOut,
		Scope: g.scope, Decisions: g.decisions, Custody: g.previousExports, Changes: changes, Files: names}
	rd.Alerts = slices.Clone(g.inc.Alerts)
	slices.SortStableFunc(rd.Alerts, func(a, b incident.AlertRef) int { return a.Time.Compare(b.Time) })
	if len(rd.Alerts) > maxReportAlerts {
		rd.AlertsLeftOut = len(rd.Alerts) - maxReportAlerts
		rd.Alerts = rd.Alerts[:maxReportAlerts]
	}
	html, err := renderReport(rd)
	if err != nil {
		return nil, 0, err
	}
	files = append(files, bundle.File{Name: "report.html", Data: html})
	return files, len(ic.Observables), nil
}

// exportSummary is export.json: what this export holds and left out.
type exportSummary struct {
	Incident          int64      `json:"incident"`
	Window            window     `json:"scope_window"`
	Counts            Counts     `json:"counts"`
	MaxEvents         int        `json:"max_events"`
	MissingAlerts     []event.ID `json:"missing_alerts"` // pruned by retention
	MissingEvidence   int        `json:"missing_evidence_events"`
	TimelineTruncated bool       `json:"timeline_truncated"`
	AuditTruncated    bool       `json:"audit_truncated"`
	IndicatorsSkipped int        `json:"indicators_skipped"` // values not valid for their type
	// Custody are the earlier exports of the incident, from the audit log.
	Custody []Custody `json:"custody"`
	Changes *Changes  `json:"changes_since_previous,omitempty"`
}

type window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Summary says in one line what changed, for the manifest's Previous.
func (c *Changes) Summary() string {
	var parts []string
	if c.StatusTo != "" {
		parts = append(parts, fmt.Sprintf("status %s → %s", c.StatusFrom, c.StatusTo))
	}
	parts = append(parts,
		fmt.Sprintf("alerts +%d −%d", len(c.AlertsAdded), len(c.AlertsRemoved)),
		fmt.Sprintf("events +%d −%d", c.EventsAdded, c.EventsRemoved),
		fmt.Sprintf("audit entries +%d", c.AuditAdded),
		fmt.Sprintf("notes +%d −%d", len(c.NotesAdded), c.NotesRemoved))
	for _, n := range c.NotesAdded[:min(len(c.NotesAdded), 5)] {
		parts = append(parts, fmt.Sprintf("new note by %s at %s: %q", n.Author, n.Time.UTC().Format(time.RFC3339), shorten(n.Text, 200)))
	}
	return "since the export of " + c.Since.UTC().Format(time.RFC3339) + " by " + c.By + ": " + strings.Join(parts, "; ")
}

// shorten cuts s to at most n bytes, on a rune boundary.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = strings.ToValidUTF8(s[:n], "")
	return s + "…"
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
