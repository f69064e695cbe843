package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// fixture is a real store's events, alerts and audit entries with their
// inclusion proofs, computed by the library's reference tree over the
// store's own leaf hashes.
type fixture struct {
	key      *evidence.Key
	contents Contents
	stored   *sqlite.Store
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	at := time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

	ev := func(i int, raw string) *event.Event {
		e := &event.Event{
			Time: at.Add(time.Duration(i) * time.Second), Received: at.Add(time.Duration(i)*time.Second + 5*time.Millisecond),
			Source: "syslog-udp/10.0.0.5", Format: "authlog", Raw: []byte(raw),
		}
		e.Add(event.HostName, "dc01")
		e.Add(event.SourceIP, "203.0.113.7")
		e.Add(event.UserName, "alice")
		e.AddTyped(event.SourcePort, "4711", event.Number)
		e.Sort()
		return e
	}
	batch := []*event.Event{
		ev(0, "Mar 14 09:26:53 dc01 sshd[1]: Failed password for alice from 203.0.113.7 port 4711"),
		ev(1, "Mar 14 09:26:54 dc01 sshd[1]: Failed password for alice from 203.0.113.7 port 4712"),
		ev(2, "\xff\xfe binary \x00 record"), // raw that is not UTF-8
		ev(3, "Mar 14 09:26:56 dc01 sshd[1]: Accepted password for alice from 203.0.113.7"),
	}
	batch[1].Add("weird", "caf\xe9") // a field value that is not UTF-8
	batch[1].Sort()
	bad := &event.Event{Time: at, Received: at, Source: "http/winlogbeat", Format: "winjson", Raw: []byte(`{"broken`)}
	bad.MarkMalformed(errUnexpected)
	batch = append(batch, bad)
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, &store.AuditEntry{Time: at, Actor: "bob", Action: "incident.create", Target: "incident/7", Remote: "192.0.2.1", Detail: json.RawMessage(`{"title": "SSH <brute> & force"}`)}); err != nil {
		t.Fatal(err)
	}
	alert := &event.Event{Time: at.Add(3 * time.Second), Received: at.Add(3 * time.Second), Source: "vigie", Format: "alert", Kind: event.KindAlert}
	alert.Add("rule.id", "ssh-brute")
	alert.Add("rule.name", "SSH brute force then success")
	alert.Add("rule.level", "high")
	alert.AddTyped("event.severity", "73", event.Number)
	alert.Add("vigie.evidence", "1")
	alert.Add("vigie.evidence", "2")
	alert.Add(event.UserName, "alice")
	alert.Sort()
	if err := s.Append(ctx, []*event.Event{alert}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, &store.AuditEntry{Time: at.Add(time.Minute), Actor: "carol", Action: "decision.create", Target: "incident/7", Detail: json.RawMessage(`{"ip":"203.0.113.7","ttl":"4h"}`)}); err != nil {
		t.Fatal(err)
	}

	// The reference tree, over the leaf hashes the store wrote.
	size, err := s.LedgerSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leaves, err := s.Leaves(ctx, 0, int(size))
	if err != nil {
		t.Fatal(err)
	}
	tree := testonly.New(rfc6962.DefaultHasher)
	for _, l := range leaves {
		tree.Append(l.Hash[:])
	}
	var root leaf.Hash
	copy(root[:], tree.Hash())
	key, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cp := evidence.SignCheckpoint(key, "vigie-test", size, root, at.Add(2*time.Minute))
	proofOf := func(kind leaf.Kind, ref int64) Leafed {
		t.Helper()
		i, err := s.LeafIndex(ctx, uint8(kind), ref)
		if err != nil {
			t.Fatal(err)
		}
		hashes, err := tree.InclusionProof(uint64(i), uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		l := Leafed{Index: i}
		for _, h := range hashes {
			l.Proof = append(l.Proof, leaf.Hash(h))
		}
		return l
	}

	c := Contents{
		Incident: "7", ExportedBy: "alice", ExportedAt: at.Add(3 * time.Minute), Checkpoint: cp,
		Files: []File{
			{"incident.json", []byte(`{"id":"7","title":"SSH brute force"}` + "\n")},
			{"report.html", []byte("<!doctype html><title>Incident 7</title><p>Chain of custody: exported by alice.</p>\n")},
		},
	}
	all, err := s.Scan(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if e.Kind == event.KindAlert {
			c.Alerts = append(c.Alerts, e)
			c.AlertProofs = append(c.AlertProofs, proofOf(leaf.KindEvent, int64(e.ID)))
		} else {
			c.Events = append(c.Events, e)
			c.EventProofs = append(c.EventProofs, proofOf(leaf.KindEvent, int64(e.ID)))
		}
	}
	if c.Audit, err = s.AuditLog(ctx, 0, 100, ""); err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Audit {
		c.AuditProofs = append(c.AuditProofs, proofOf(leaf.KindAudit, a.Seq))
	}
	if len(c.Events) != 5 || len(c.Alerts) != 1 || len(c.Audit) != 2 {
		t.Fatalf("fixture: %d events, %d alerts, %d audit entries", len(c.Events), len(c.Alerts), len(c.Audit))
	}
	return &fixture{key: key, contents: c, stored: s}
}

var errUnexpected = io.ErrUnexpectedEOF

// write writes the fixture's bundle into a new file and returns its path.
func (f *fixture) write(t testing.TB, format Format) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "case."+format.String())
	var buf bytes.Buffer
	if _, err := Write(&buf, format, f.contents, f.key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// unpack reads the entries of a bundle with the standard library alone.
func unpack(t testing.TB, path string) []File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, File{f.Name, b})
		}
		return files
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{h.Name, b})
	}
}

// pack writes files as a bundle of format into a new file.
func pack(t testing.TB, format Format, files []File) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tampered."+format.String())
	var buf bytes.Buffer
	var err error
	if format == Zip {
		err = writeZipForTest(&buf, files)
	} else {
		err = writeTarGzForTest(&buf, files)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTarGzForTest(w io.Writer, files []File) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.Name, Size: int64(len(f.Data)), Mode: 0o644}); err != nil {
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

func writeZipForTest(w io.Writer, files []File) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.Create(f.Name)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// fileIndex returns the index of the named file.
func fileIndex(t testing.TB, files []File, name string) int {
	t.Helper()
	for i, f := range files {
		if f.Name == name {
			return i
		}
	}
	t.Fatalf("no %s in the bundle", name)
	return -1
}

// replaceOnce replaces old, which must occur exactly once, in the named
// file.
func replaceOnce(t testing.TB, files []File, name, old, new string) {
	t.Helper()
	i := fileIndex(t, files, name)
	if n := bytes.Count(files[i].Data, []byte(old)); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want 1", name, old, n)
	}
	files[i].Data = bytes.Replace(files[i].Data, []byte(old), []byte(new), 1)
}

// failures renders a report's failures, one a line.
func failures(r *Report) string {
	var b strings.Builder
	for _, f := range r.Failures {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// wantFailures checks that the report is not OK and that a failure line
// starts with each of want.
func wantFailures(t *testing.T, r *Report, want ...string) {
	t.Helper()
	if r.OK() {
		t.Fatalf("report is OK, want failures %q", want)
	}
	got := failures(r)
	for _, w := range want {
		if !strings.Contains("\n"+got, "\n"+w) {
			t.Errorf("missing failure %q; got:\n%s", w, got)
		}
	}
}
