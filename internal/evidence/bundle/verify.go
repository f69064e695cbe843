package bundle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
)

// Failure is one thing in a bundle that does not verify.
type Failure struct {
	File    string // the bundle file, "manifest.json", "events.ndjson"…
	Line    int    // the line of an NDJSON file, from 1; 0 when none
	Object  string // what the line stands for: "event 4711", "audit entry 3"
	Message string
}

func (f Failure) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		fmt.Fprintf(&b, " line %d", f.Line)
	}
	if f.Object != "" {
		fmt.Fprintf(&b, " (%s)", f.Object)
	}
	b.WriteString(": ")
	b.WriteString(f.Message)
	return b.String()
}

// maxFailures bounds the failures a Report keeps; Omitted counts the rest.
const maxFailures = 1000

// Report is the outcome of Verify.
type Report struct {
	Manifest *Manifest // nil when manifest.json is missing or unreadable
	// Key is the key the signatures were checked with. Trusted is false
	// when the caller gave none and Key is the manifest's own: the bundle
	// is then only shown to be self-consistent, not to come from a known
	// instance.
	Key     evidence.PublicKey
	Trusted bool
	// Files counts the files listed in the manifest that are present with
	// their listed size and SHA-256; Events, Alerts and Audit the lines
	// that match their inclusion proofs.
	Files, Events, Alerts, Audit int
	Failures                     []Failure
	Omitted                      int // failures beyond the first maxFailures
}

// OK reports whether the bundle verified without any failure. It does
// not say whether the key was trusted: see Trusted.
func (r *Report) OK() bool { return r.Manifest != nil && len(r.Failures) == 0 && r.Omitted == 0 }

func (r *Report) fail(f Failure) {
	if len(r.Failures) >= maxFailures {
		r.Omitted++
		return
	}
	r.Failures = append(r.Failures, f)
}

// String renders the report as text for people.
func (r *Report) String() string {
	var b strings.Builder
	if !r.Trusted {
		b.WriteString("WARNING: no trusted public key was given: the bundle was checked against the key it names itself.\n")
		b.WriteString("WARNING: this proves it is self-consistent, NOT that it comes from the instance you expect.\n")
	}
	if m := r.Manifest; m != nil {
		fmt.Fprintf(&b, "incident %s, exported by %s at %s\n", m.Incident, m.ExportedBy, m.ExportedAt.Format("2006-01-02 15:04:05Z07:00"))
		fmt.Fprintf(&b, "instance key %s (%s)\n", m.Instance.KeyID, m.Instance.PublicKey)
		fmt.Fprintf(&b, "%s\n", m.Checkpoint)
		if p := m.Previous; p != nil {
			fmt.Fprintf(&b, "follows the export whose manifest has SHA-256 %x: %s\n", p.Manifest, p.Changes)
		}
	}
	fmt.Fprintf(&b, "%d files, %d events, %d alerts, %d audit entries verified\n", r.Files, r.Events, r.Alerts, r.Audit)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "FAIL %s\n", f)
	}
	if r.Omitted > 0 {
		fmt.Fprintf(&b, "FAIL … and %d more failures\n", r.Omitted)
	}
	switch {
	case !r.OK():
		fmt.Fprintf(&b, "NOT VERIFIED: %d failures\n", len(r.Failures)+r.Omitted)
	case r.Trusted:
		b.WriteString("VERIFIED\n")
	default:
		b.WriteString("VERIFIED (self-consistent only: the key was NOT checked against a trusted key)\n")
	}
	return b.String()
}

// Verify checks the bundle at path offline: the manifest's signature by
// pub, every file against the manifest, the checkpoint's signature, and
// every NDJSON line against its inclusion proof. When pub is empty it uses
// the key the manifest names and says so (Report.Trusted is false).
//
// It returns an error, matching ErrRefused, for an archive it will not
// read (truncated, over lim, hostile names or entry types); everything
// else is a Failure in the report. It never writes to disk.
func Verify(path string, pub evidence.PublicKey, lim Limits) (*Report, error) {
	a, err := openArchive(path, lim)
	if err != nil {
		return nil, err
	}
	defer a.close()
	v := &verifier{a: a, r: &Report{}}
	if err := v.run(pub); err != nil {
		return nil, err
	}
	return v.r, nil
}

type verifier struct {
	a *archive
	r *Report
	m *Manifest
}

// run verifies; its error is a refusal met while reading entries again.
func (v *verifier) run(pub evidence.PublicKey) error {
	data, err := v.a.readAll(ManifestFile)
	if err != nil {
		if errors.Is(err, ErrRefused) {
			return err
		}
		v.r.fail(Failure{File: ManifestFile, Message: err.Error()})
		return nil
	}
	m, canon, err := parseManifest(data)
	if err != nil {
		v.r.fail(Failure{File: ManifestFile, Message: fmt.Sprintf("not a valid manifest: %v", err)})
		return nil
	}
	v.m, v.r.Manifest = m, m
	if m.Format != FormatName {
		v.r.fail(Failure{File: ManifestFile, Message: fmt.Sprintf("format %q, want %q", m.Format, FormatName)})
		return nil
	}
	if !v.checkKey(pub) {
		return nil
	}
	if err := m.verifySignature(canon, v.r.Key); err != nil {
		v.r.fail(Failure{File: ManifestFile, Message: err.Error()})
	}
	if err := m.Checkpoint.Verify(v.r.Key); err != nil {
		v.r.fail(Failure{File: ManifestFile, Object: m.Checkpoint.String(), Message: err.Error()})
	}
	v.checkFiles()
	return v.checkProofs()
}

// checkKey chooses the key to check signatures with.
func (v *verifier) checkKey(pub evidence.PublicKey) bool {
	named, err := evidence.ParsePublicKey(v.m.Instance.PublicKey)
	if err != nil {
		v.r.fail(Failure{File: ManifestFile, Message: fmt.Sprintf("instance key: %v", err)})
	} else if v.m.Instance.KeyID != named.KeyID() {
		v.r.fail(Failure{File: ManifestFile, Message: fmt.Sprintf("instance key id %q is not the id %s of its key", v.m.Instance.KeyID, named.KeyID())})
	}
	if len(pub) != 0 {
		v.r.Key, v.r.Trusted = pub, true
		if named != nil && !named.Equal(pub) {
			v.r.fail(Failure{File: ManifestFile, Message: fmt.Sprintf("names instance key %s (%s), not the trusted key %s (%s)", named.KeyID(), named, pub.KeyID(), pub)})
		}
		return true
	}
	v.r.Key = named
	return named != nil
}

var ownFiles = []string{EventsFile, AlertsFile, AuditFile, ProofsFile}

// checkFiles compares the archive's files with the manifest's list.
func (v *verifier) checkFiles() {
	listed := map[string]bool{}
	for _, f := range v.m.Files {
		fail := func(format string, args ...any) {
			v.r.fail(Failure{File: f.Name, Message: fmt.Sprintf(format, args...)})
		}
		if err := checkName(f.Name); err != nil {
			fail("listed in the manifest with a bad name: %v", err)
			continue
		}
		if f.Name == ManifestFile || listed[f.Name] {
			fail("listed twice in the manifest")
			continue
		}
		listed[f.Name] = true
		i, ok := v.a.byName[f.Name]
		if !ok {
			fail("listed in the manifest but missing from the bundle")
			continue
		}
		e := v.a.entries[i]
		switch {
		case e.size != f.Size:
			fail("size %d differs from the manifest's %d", e.size, f.Size)
		case e.sum != f.SHA256:
			fail("SHA-256 differs from the manifest")
		default:
			v.r.Files++
		}
	}
	for _, name := range ownFiles {
		if !listed[name] {
			v.r.fail(Failure{File: ManifestFile, Message: fmt.Sprintf("does not list %s", name)})
		}
	}
	for _, e := range v.a.entries {
		if e.name != ManifestFile && !listed[e.name] {
			v.r.fail(Failure{File: e.name, Message: fmt.Sprintf("extra file %s not in the manifest", e.name)})
		}
	}
}

// checkProofs reads proofs.json and, in step with each of its arrays, the
// NDJSON file it proves, one line and one proof at a time.
func (v *verifier) checkProofs() error {
	rc, err := v.a.open(ProofsFile)
	if err != nil {
		for _, name := range ownFiles[:3] {
			if _, ok := v.a.byName[name]; ok {
				v.r.fail(Failure{File: name, Message: "no proofs.json: no line can be checked"})
			}
		}
		return nil
	}
	defer rc.Close()
	w := &window{r: rc, max: v.a.lim.MaxLine}
	d := json.NewDecoder(w)
	d.UseNumber()
	seen := map[string]bool{}
	err = v.walkProofs(d, w, seen)
	var refused *RefusedError
	if errors.As(err, &refused) {
		return err
	}
	if err != nil {
		v.r.fail(Failure{File: ProofsFile, Message: fmt.Sprintf("offset %d: %v", d.InputOffset(), err)})
	}
	for _, name := range ownFiles[:3] {
		if _, ok := v.a.byName[name]; ok && !seen[name] {
			v.r.fail(Failure{File: name, Message: "proofs.json has no proofs for this file"})
		}
	}
	return nil
}

func (v *verifier) walkProofs(d *json.Decoder, w *window, seen map[string]bool) error {
	w.allow(0)
	if tok, err := d.Token(); err != nil {
		return err
	} else if tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	for d.More() {
		w.allow(d.InputOffset())
		tok, err := d.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("member %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "checkpoint":
			var cp evidence.Checkpoint
			if err := d.Decode(&cp); err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
			if !bytes.Equal(cp.Body(), v.m.Checkpoint.Body()) || !bytes.Equal(cp.Signature, v.m.Checkpoint.Signature) {
				v.r.fail(Failure{File: ProofsFile, Message: fmt.Sprintf("%s differs from the manifest's %s", cp, v.m.Checkpoint)})
			}
		case EventsFile, AlertsFile, AuditFile:
			if err := v.checkLines(key, d, w); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown member %.60q", key)
		}
	}
	return nil
}

// checkLines checks the lines of file against the proofs array d is at.
func (v *verifier) checkLines(file string, d *json.Decoder, w *window) error {
	if tok, err := d.Token(); err != nil {
		return err
	} else if tok != json.Delim('[') {
		return fmt.Errorf("%s: want an array of proofs", file)
	}
	if _, ok := v.a.byName[file]; !ok {
		n := 0
		for ; d.More(); n++ {
			w.allow(d.InputOffset())
			var p proofLine
			if err := d.Decode(&p); err != nil {
				return fmt.Errorf("%s proof %d: %w", file, n+1, err)
			}
		}
		v.r.fail(Failure{File: file, Message: fmt.Sprintf("missing: none of its %d lines could be checked", n)})
		_, err := d.Token()
		return err
	}
	rc, err := v.a.open(file)
	if err != nil {
		return err
	}
	defer rc.Close()
	lines := &lineReader{r: bufio.NewReader(rc), max: v.a.lim.MaxLine}
	n := 0
	for ; d.More(); n++ {
		w.allow(d.InputOffset())
		var p proofLine
		if err := d.Decode(&p); err != nil {
			return fmt.Errorf("%s proof %d: %w", file, n+1, err)
		}
		line, long, err := lines.next()
		if err == io.EOF {
			v.r.fail(Failure{File: file, Line: n + 1, Message: "proofs.json has a proof for this line but the file ends before it"})
			continue
		}
		if err != nil {
			return err
		}
		if long {
			v.r.fail(Failure{File: file, Line: n + 1, Message: fmt.Sprintf("line longer than %d bytes", v.a.lim.MaxLine)})
			continue
		}
		v.checkLine(file, n+1, line, &p)
	}
	if _, err := d.Token(); err != nil {
		return err
	}
	extra := 0
	for {
		_, _, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		extra++
	}
	if extra > 0 {
		v.r.fail(Failure{File: file, Line: n + 1, Message: fmt.Sprintf("this line and %d after it have no inclusion proof in proofs.json", extra-1)})
	}
	return nil
}

// checkLine checks one NDJSON line (its number is n) against its proof.
func (v *verifier) checkLine(file string, n int, line []byte, p *proofLine) {
	f := Failure{File: file, Line: n}
	fail := func(format string, args ...any) {
		f.Message = fmt.Sprintf(format, args...)
		v.r.fail(f)
	}
	var index int64
	var h leaf.Hash
	if file == AuditFile {
		var l auditLine
		if err := decodeLine(line, &l); err != nil {
			fail("not an audit line: %v", err)
			return
		}
		f.Object = fmt.Sprintf("audit entry %d", l.Seq)
		a, err := l.entry()
		if err != nil {
			fail("%v", err)
			return
		}
		index, h = l.LeafIndex, leaf.HashLeaf(leaf.Audit(nil, a))
	} else {
		var l eventLine
		if err := decodeLine(line, &l); err != nil {
			fail("not an event line: %v", err)
			return
		}
		f.Object = fmt.Sprintf("event %d", l.ID)
		if l.Kind == event.KindAlert {
			f.Object = fmt.Sprintf("alert %d", l.ID)
		}
		e, err := l.event()
		if err != nil {
			fail("%v", err)
			return
		}
		if (file == AlertsFile) != (e.Kind == event.KindAlert) {
			fail("an event of kind %s in %s", e.Kind, file)
			return
		}
		index, h = l.LeafIndex, leaf.HashLeaf(leaf.Event(nil, e))
	}
	if p.Line != n {
		fail("proofs.json's proof at this position is for line %d", p.Line)
		return
	}
	if p.LeafIndex != index {
		fail("leaf index %d differs from proofs.json's %d", index, p.LeafIndex)
		return
	}
	l, err := p.leafed()
	if err != nil {
		fail("proofs.json: %v", err)
		return
	}
	if err := checkInclusion(&v.m.Checkpoint, l, h); err != nil {
		fail("%v", err)
		return
	}
	switch file {
	case EventsFile:
		v.r.Events++
	case AlertsFile:
		v.r.Alerts++
	default:
		v.r.Audit++
	}
}

// lineReader reads lines of at most max bytes; a longer line is skipped
// and reported as long.
type lineReader struct {
	r   *bufio.Reader
	max int64
	buf []byte
}

// next returns the next line without its "\n", or io.EOF after the last.
func (l *lineReader) next() (line []byte, long bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		if !long {
			if int64(len(l.buf)+len(chunk)) > l.max+1 {
				long, l.buf = true, l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(l.buf) == 0 && !long:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		return bytes.TrimSuffix(l.buf, []byte("\n")), long, nil
	}
}

// readAll reads a whole entry of at most MaxLine bytes.
func (a *archive) readAll(name string) ([]byte, error) {
	i, ok := a.byName[name]
	if !ok {
		return nil, fmt.Errorf("missing from the bundle")
	}
	if a.entries[i].size > a.lim.MaxLine {
		return nil, fmt.Errorf("%d bytes, over the limit of %d", a.entries[i].size, a.lim.MaxLine)
	}
	rc, err := a.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
