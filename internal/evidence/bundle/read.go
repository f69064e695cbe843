package bundle

import (
	"bufio"
	"fmt"
	"io"
	"slices"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// Bundle is the parsed content of a bundle, as Read returns it.
type Bundle struct {
	Manifest    *Manifest
	Events      []*event.Event
	EventProofs []Leafed
	Alerts      []*event.Event
	AlertProofs []Leafed
	Audit       []store.AuditEntry
	AuditProofs []Leafed
	Files       []File // the other files, in manifest order
}

// Read parses the bundle at path into memory, for a caller that compares
// it with a new export. It checks the form of every file, not signatures,
// hashes or proofs: call Verify for that. It refuses the same archives
// as Verify; other errors name the file and line.
func Read(path string, lim Limits) (*Bundle, error) {
	a, err := openArchive(path, lim)
	if err != nil {
		return nil, err
	}
	defer a.close()
	data, err := a.readAll(ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	m, _, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	b := &Bundle{Manifest: m}
	if b.Events, err = readEvents(a, EventsFile); err != nil {
		return nil, err
	}
	if b.Alerts, err = readEvents(a, AlertsFile); err != nil {
		return nil, err
	}
	if b.Audit, err = readAudit(a); err != nil {
		return nil, err
	}
	if err := readProofs(a, b); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		if slices.Contains(ownFiles, f.Name) {
			continue
		}
		rc, err := a.open(f.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		b.Files = append(b.Files, File{Name: f.Name, Data: data})
	}
	return b, nil
}

// eachLine calls fn with every line of the entry name and its number.
func eachLine(a *archive, name string, fn func(n int, line []byte) error) error {
	rc, err := a.open(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	lines := &lineReader{r: bufio.NewReader(rc), max: a.lim.MaxLine}
	for n := 1; ; n++ {
		line, long, err := lines.next()
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return fmt.Errorf("%s line %d: %w", name, n, err)
		case long:
			return fmt.Errorf("%s line %d: longer than %d bytes", name, n, a.lim.MaxLine)
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("%s line %d: %w", name, n, err)
		}
	}
}

func readEvents(a *archive, name string) ([]*event.Event, error) {
	var out []*event.Event
	err := eachLine(a, name, func(_ int, line []byte) error {
		var l eventLine
		if err := decodeLine(line, &l); err != nil {
			return err
		}
		e, err := l.event()
		if err != nil {
			return fmt.Errorf("event %d: %w", l.ID, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func readAudit(a *archive) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	err := eachLine(a, AuditFile, func(_ int, line []byte) error {
		var l auditLine
		if err := decodeLine(line, &l); err != nil {
			return err
		}
		e, err := l.entry()
		if err != nil {
			return fmt.Errorf("audit entry %d: %w", l.Seq, err)
		}
		out = append(out, *e)
		return nil
	})
	return out, err
}

func readProofs(a *archive, b *Bundle) error {
	rc, err := a.open(ProofsFile)
	if err != nil {
		return fmt.Errorf("%s: %w", ProofsFile, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("%s: %w", ProofsFile, err)
	}
	var p proofsFile
	if err := strictUnmarshal(data, &p); err != nil {
		return fmt.Errorf("%s: %w", ProofsFile, err)
	}
	for _, s := range []struct {
		name  string
		lines []proofLine
		items int
		out   *[]Leafed
	}{
		{EventsFile, p.Events, len(b.Events), &b.EventProofs},
		{AlertsFile, p.Alerts, len(b.Alerts), &b.AlertProofs},
		{AuditFile, p.Audit, len(b.Audit), &b.AuditProofs},
	} {
		if len(s.lines) != s.items {
			return fmt.Errorf("%s: %d proofs for the %d lines of %s", ProofsFile, len(s.lines), s.items, s.name)
		}
		for i := range s.lines {
			l, err := s.lines[i].leafed()
			if err != nil {
				return fmt.Errorf("%s: %s line %d: %w", ProofsFile, s.name, i+1, err)
			}
			*s.out = append(*s.out, l)
		}
	}
	return nil
}
