package casefile

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/store"
)

// ActionExport is the audit action of an export, with target
// "incident/ID" and ExportDetail as detail.
const ActionExport = "incident.export"

// RecordKind is the kind of the records that say what each export held.
const RecordKind = "export"

// ExportDetail is the detail of an ActionExport audit entry.
type ExportDetail struct {
	// Manifest is the hex SHA-256 of the bundle's manifest.json; empty
	// when the export failed.
	Manifest string `json:"manifest_sha256,omitempty"`
	Format   string `json:"format"`
	Counts   Counts `json:"counts"`
	Bytes    int64  `json:"bytes"`
	// Record is the ID of the export's record (kind RecordKind).
	Record string `json:"record,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Counts says how much an export holds.
type Counts struct {
	Alerts int `json:"alerts"`
	Events int `json:"events"`
	// EventsLeftOut are scope or evidence events that Config.MaxEvents
	// left out (a lower bound).
	EventsLeftOut int `json:"events_left_out,omitempty"`
	Audit         int `json:"audit"`
	Decisions     int `json:"decisions"`
	Notes         int `json:"notes"`
	Indicators    int `json:"indicators"`
}

// Custody is one earlier export of an incident, from the audit log.
type Custody struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Remote   string    `json:"remote,omitempty"`
	Manifest string    `json:"manifest_sha256,omitempty"`
	Format   string    `json:"format,omitempty"`
	Record   string    `json:"record,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// custodyOf reads an export's audit entry. A detail that does not parse
// leaves the manifest empty: the entry is still listed.
func custodyOf(e store.AuditEntry) Custody {
	c := Custody{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Remote: e.Remote}
	var d ExportDetail
	if json.Unmarshal(e.Detail, &d) == nil {
		c.Manifest, c.Format, c.Record, c.Error = d.Manifest, d.Format, d.Record, d.Error
	}
	return c
}

// exportRecord is what one export held (kind RecordKind).
type exportRecord struct {
	Incident int64             `json:"incident"`
	Time     time.Time         `json:"time"`
	Actor    string            `json:"actor"`
	Manifest string            `json:"manifest_sha256"`
	Format   string            `json:"format"`
	Status   incident.Status   `json:"status"`
	Alerts   []idRange         `json:"alerts"`
	Events   []idRange         `json:"events"`
	Audit    []idRange         `json:"audit"`
	Notes    []noteKey         `json:"notes"`
	Files    map[string]string `json:"files"` // name → hex SHA-256
}

// idRange is a run of consecutive IDs, [First, Last].
type idRange [2]int64

// noteKey identifies a note without repeating its text.
type noteKey struct {
	Time   time.Time `json:"time"`
	Author string    `json:"author"`
	SHA256 string    `json:"sha256"`
}

func keyOf(n incident.Note) noteKey {
	sum := sha256.Sum256([]byte(n.Text))
	return noteKey{Time: n.Time.UTC(), Author: n.Author, SHA256: hex.EncodeToString(sum[:])}
}

// ranges compresses sorted, distinct IDs into runs.
func ranges(ids []int64) []idRange {
	out := []idRange{}
	for _, id := range ids {
		if n := len(out); n > 0 && out[n-1][1] == id-1 {
			out[n-1][1] = id
			continue
		}
		out = append(out, idRange{id, id})
	}
	return out
}

// expand returns the IDs of runs, at most limit of them.
func expand(rs []idRange, limit int) ([]int64, error) {
	var out []int64
	for i, r := range rs {
		if r[0] > r[1] || r[0] <= 0 {
			return nil, fmt.Errorf("range %d [%d, %d] is empty or not positive", i, r[0], r[1])
		}
		if int64(limit-len(out)) <= r[1]-r[0] {
			return nil, fmt.Errorf("more than %d IDs", limit)
		}
		for id := r[0]; id <= r[1]; id++ {
			out = append(out, id)
		}
	}
	// A record read back from the store may have been altered: diff
	// needs sorted, distinct IDs.
	slices.Sort(out)
	return slices.Compact(out), nil
}

func eventIDs(evs []*event.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = int64(ev.ID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func auditSeqs(es []store.AuditEntry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// recordID is the ID of an export's record.
func recordID(incidentID int64, manifest string) string {
	return strconv.FormatInt(incidentID, 10) + "/" + manifest
}

// Changes is what changed in an incident since its previous export.
type Changes struct {
	Since    time.Time `json:"since"`
	By       string    `json:"by"`
	Manifest string    `json:"manifest_sha256"` // of the previous export
	// StatusFrom is the status at the previous export, when it changed.
	StatusFrom incident.Status `json:"status_from,omitempty"`
	StatusTo   incident.Status `json:"status_to,omitempty"`
	// AlertsAdded and AlertsRemoved are alert IDs.
	AlertsAdded   []event.ID `json:"alerts_added"`
	AlertsRemoved []event.ID `json:"alerts_removed"`
	// EventsAdded and EventsRemoved count events; the first
	// maxListedChanges of each are listed.
	EventsAdded         int             `json:"events_added"`
	EventsRemoved       int             `json:"events_removed"`
	EventsAddedListed   []event.ID      `json:"events_added_listed,omitempty"`
	EventsRemovedListed []event.ID      `json:"events_removed_listed,omitempty"`
	AuditAdded          int             `json:"audit_added"`
	NotesAdded          []incident.Note `json:"notes_added"`
	NotesRemoved        int             `json:"notes_removed"`
	// FilesChanged are the files whose content differs, added or gone.
	FilesChanged []string `json:"files_changed"`
}

// maxListedChanges bounds the event IDs Changes lists.
const maxListedChanges = 1000

// maxRecordIDs bounds the IDs read back from one export record.
const maxRecordIDs = 10_000_000

// latestRecord returns the record of the incident's latest successful
// export, or nil when there is none.
func (x *Exporter) latestRecord(ctx context.Context, prev []Custody) (*exportRecord, error) {
	for i := len(prev) - 1; i >= 0; i-- {
		c := prev[i]
		if c.Record == "" {
			continue
		}
		r, err := x.deps.Store.GetRecord(ctx, RecordKind, c.Record)
		if errors.Is(err, store.ErrNoRecord) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading export record %s: %w", c.Record, err)
		}
		rec := new(exportRecord)
		if err := json.Unmarshal(r.Body, rec); err != nil {
			return nil, fmt.Errorf("export record %s: %w", c.Record, err)
		}
		return rec, nil
	}
	return nil, nil
}

// changesSince compares what g holds with the previous export's record.
// Files are compared by the caller once the bundle is written.
func changesSince(prev *exportRecord, g *gathered) (*Changes, error) {
	c := &Changes{Since: prev.Time, By: prev.Actor, Manifest: prev.Manifest,
		AlertsAdded: []event.ID{}, AlertsRemoved: []event.ID{}, NotesAdded: []incident.Note{}, FilesChanged: []string{}}
	if prev.Status != g.inc.Status {
		c.StatusFrom, c.StatusTo = prev.Status, g.inc.Status
	}
	oldAlerts, err := expand(prev.Alerts, maxRecordIDs)
	if err != nil {
		return nil, fmt.Errorf("previous export %s: alerts: %w", prev.Manifest, err)
	}
	added, removed := diff(oldAlerts, eventIDs(g.alerts))
	for _, id := range added {
		c.AlertsAdded = append(c.AlertsAdded, event.ID(id))
	}
	for _, id := range removed {
		c.AlertsRemoved = append(c.AlertsRemoved, event.ID(id))
	}
	oldEvents, err := expand(prev.Events, maxRecordIDs)
	if err != nil {
		return nil, fmt.Errorf("previous export %s: events: %w", prev.Manifest, err)
	}
	added, removed = diff(oldEvents, eventIDs(g.events))
	c.EventsAdded, c.EventsRemoved = len(added), len(removed)
	for _, id := range added[:min(len(added), maxListedChanges)] {
		c.EventsAddedListed = append(c.EventsAddedListed, event.ID(id))
	}
	for _, id := range removed[:min(len(removed), maxListedChanges)] {
		c.EventsRemovedListed = append(c.EventsRemovedListed, event.ID(id))
	}
	oldAudit, err := expand(prev.Audit, maxRecordIDs)
	if err != nil {
		return nil, fmt.Errorf("previous export %s: audit: %w", prev.Manifest, err)
	}
	added, _ = diff(oldAudit, auditSeqs(g.audit))
	c.AuditAdded = len(added)
	had := map[noteKey]bool{}
	for _, k := range prev.Notes {
		had[k] = true
	}
	now := map[noteKey]bool{}
	for _, n := range g.inc.Notes {
		k := keyOf(n)
		now[k] = true
		if !had[k] {
			c.NotesAdded = append(c.NotesAdded, n)
		}
	}
	for k := range had {
		if !now[k] {
			c.NotesRemoved++
		}
	}
	return c, nil
}

// compareFiles fills c.FilesChanged from the previous export's file
// hashes and this one's (the caller's JSON files: the NDJSON files, the
// proofs and report.html, which always differ, are left out; their
// changes are counted above).
func (c *Changes) compareFiles(prev, cur map[string]string) {
	for name, sum := range cur {
		if prev[name] != sum {
			c.FilesChanged = append(c.FilesChanged, name)
		}
	}
	for name := range prev {
		if _, ok := cur[name]; !ok && !vigieFile(name) {
			c.FilesChanged = append(c.FilesChanged, name)
		}
	}
	slices.Sort(c.FilesChanged)
}

// vigieFile reports whether compareFiles leaves a bundle file out.
func vigieFile(name string) bool {
	switch name {
	case bundle.ManifestFile, bundle.EventsFile, bundle.AlertsFile, bundle.AuditFile, bundle.ProofsFile, "report.html":
		return true
	}
	return false
}

// diff returns the IDs of b not in a, and of a not in b; both sorted.
func diff(a, b []int64) (added, removed []int64) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			removed = append(removed, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			added = append(added, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// newRecord describes what an export held.
func newRecord(g *gathered, at time.Time, who, manifest, format string, files map[string]string) exportRecord {
	r := exportRecord{Incident: g.inc.ID, Time: at.UTC(), Actor: who, Manifest: manifest, Format: format,
		Status: g.inc.Status, Alerts: ranges(eventIDs(g.alerts)), Events: ranges(eventIDs(g.events)),
		Audit: ranges(auditSeqs(g.audit)), Notes: []noteKey{}, Files: files}
	for _, n := range g.inc.Notes {
		r.Notes = append(r.Notes, keyOf(n))
	}
	slices.SortFunc(r.Notes, func(a, b noteKey) int { return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.SHA256, b.SHA256)) })
	return r
}
