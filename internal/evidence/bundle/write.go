package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// Contents is what a bundle holds. The proofs go with the items of the
// same index and are against Checkpoint, which the bundle's key signed.
type Contents struct {
	Incident   string
	ExportedBy string
	ExportedAt time.Time
	Checkpoint evidence.Checkpoint

	Events      []*event.Event // stored events, none of kind alert
	EventProofs []Leafed
	Alerts      []*event.Event // stored events of kind alert
	AlertProofs []Leafed
	Audit       []store.AuditEntry
	AuditProofs []Leafed

	Files    []File    // other files: incident.json, report.html…
	Previous *Previous // the export this one follows, if any
}

// File is a file of the caller's in a bundle. Its name is relative,
// slash-separated, without "..", and not one of the names Vigie writes.
type File struct {
	Name string
	Data []byte
}

// Write writes the bundle of c to w in the given format, signing its
// manifest with key, and returns the manifest. It checks c first: the
// checkpoint must be signed by key and every proof must hold, so that a
// bundle Write returns verifies.
func Write(w io.Writer, format Format, c Contents, key *evidence.Key) (Manifest, error) {
	if err := check(&c, key); err != nil {
		return Manifest{}, fmt.Errorf("writing bundle: %w", err)
	}
	files, err := contentFiles(&c)
	if err != nil {
		return Manifest{}, fmt.Errorf("writing bundle: %w", err)
	}
	pub := key.Public()
	m := Manifest{
		Format:     FormatName,
		Incident:   c.Incident,
		ExportedBy: c.ExportedBy,
		ExportedAt: c.ExportedAt.UTC(),
		Instance:   Instance{PublicKey: pub.String(), KeyID: pub.KeyID()},
		Checkpoint: c.Checkpoint,
		Previous:   c.Previous,
	}
	for _, f := range files {
		m.Files = append(m.Files, FileEntry{Name: f.Name, SHA256: sha256.Sum256(f.Data), Size: int64(len(f.Data))})
	}
	manifest, err := m.sign(key)
	if err != nil {
		return Manifest{}, fmt.Errorf("writing bundle: %w", err)
	}
	files = append([]File{{ManifestFile, manifest}}, files...)
	switch format {
	case TarGz:
		err = writeTarGz(w, files, m.ExportedAt)
	case Zip:
		err = writeZip(w, files, m.ExportedAt)
	default:
		err = fmt.Errorf("unknown format %d", format)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("writing bundle: %w", err)
	}
	return m, nil
}

// check refuses contents that would not make a valid bundle.
func check(c *Contents, key *evidence.Key) error {
	if c.Incident == "" {
		return errors.New("no incident id")
	}
	if err := c.Checkpoint.Verify(key.Public()); err != nil {
		return fmt.Errorf("the checkpoint is not the signing key's: %w", err)
	}
	if len(c.Events) != len(c.EventProofs) || len(c.Alerts) != len(c.AlertProofs) || len(c.Audit) != len(c.AuditProofs) {
		return fmt.Errorf("%d events, %d alerts, %d audit entries but %d, %d, %d proofs",
			len(c.Events), len(c.Alerts), len(c.Audit), len(c.EventProofs), len(c.AlertProofs), len(c.AuditProofs))
	}
	var buf []byte
	for i, e := range c.Events {
		if e.Kind == event.KindAlert {
			return fmt.Errorf("event %d is an alert: put it in Alerts", e.ID)
		}
		buf = leaf.Event(buf[:0], e)
		if err := checkInclusion(&c.Checkpoint, c.EventProofs[i], leaf.HashLeaf(buf)); err != nil {
			return fmt.Errorf("event %d: %w", e.ID, err)
		}
	}
	for i, e := range c.Alerts {
		if e.Kind != event.KindAlert {
			return fmt.Errorf("alert %d is of kind %s, not alert", e.ID, e.Kind)
		}
		buf = leaf.Event(buf[:0], e)
		if err := checkInclusion(&c.Checkpoint, c.AlertProofs[i], leaf.HashLeaf(buf)); err != nil {
			return fmt.Errorf("alert %d: %w", e.ID, err)
		}
	}
	for i := range c.Audit {
		a := &c.Audit[i]
		if err := checkInclusion(&c.Checkpoint, c.AuditProofs[i], leaf.HashLeaf(leaf.Audit(nil, a))); err != nil {
			return fmt.Errorf("audit entry %d: %w", a.Seq, err)
		}
	}
	seen := map[string]bool{}
	for _, name := range []string{ManifestFile, EventsFile, AlertsFile, AuditFile, ProofsFile} {
		seen[name] = true
	}
	for _, f := range c.Files {
		if err := checkName(f.Name); err != nil {
			return fmt.Errorf("file %q: %w", f.Name, err)
		}
		if key := strings.ToLower(f.Name); seen[key] {
			return fmt.Errorf("file %q: name taken", f.Name)
		} else {
			seen[key] = true
		}
	}
	return nil
}

// contentFiles encodes the files the manifest lists.
func contentFiles(c *Contents) ([]File, error) {
	var events, alerts, audit bytes.Buffer
	for i, e := range c.Events {
		if err := writeLine(&events, newEventLine(e, c.EventProofs[i].Index)); err != nil {
			return nil, fmt.Errorf("event %d: %w", e.ID, err)
		}
	}
	for i, e := range c.Alerts {
		if err := writeLine(&alerts, newEventLine(e, c.AlertProofs[i].Index)); err != nil {
			return nil, fmt.Errorf("alert %d: %w", e.ID, err)
		}
	}
	for i := range c.Audit {
		if err := writeLine(&audit, newAuditLine(&c.Audit[i], c.AuditProofs[i].Index)); err != nil {
			return nil, fmt.Errorf("audit entry %d: %w", c.Audit[i].Seq, err)
		}
	}
	proofs, err := json.MarshalIndent(proofsFile{
		Checkpoint: c.Checkpoint,
		Events:     newProofLines(c.EventProofs),
		Alerts:     newProofLines(c.AlertProofs),
		Audit:      newProofLines(c.AuditProofs),
	}, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encoding proofs: %w", err)
	}
	files := []File{
		{EventsFile, events.Bytes()},
		{AlertsFile, alerts.Bytes()},
		{AuditFile, audit.Bytes()},
		{ProofsFile, append(proofs, '\n')},
	}
	return append(files, c.Files...), nil
}

func writeLine(b *bytes.Buffer, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(line)
	b.WriteByte('\n')
	return nil
}

func writeTarGz(w io.Writer, files []File, mtime time.Time) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.Name, Size: int64(len(f.Data)), Mode: 0o644, ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func writeZip(w io.Writer, files []File, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mtime})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}
