package bundle

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
)

var formats = []Format{TarGz, Zip}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	for _, format := range formats {
		t.Run(format.String(), func(t *testing.T) {
			path := f.write(t, format)
			r, err := Verify(path, f.key.Public(), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() || !r.Trusted {
				t.Fatalf("not verified:\n%s", r)
			}
			// 4 files of Vigie's and 2 of the caller's; 5 events, 1
			// alert, 2 audit entries from the store.
			if r.Files != 6 || r.Events != 5 || r.Alerts != 1 || r.Audit != 2 {
				t.Errorf("verified %d files, %d events, %d alerts, %d audit entries; want 6, 5, 1, 2", r.Files, r.Events, r.Alerts, r.Audit)
			}
			if !strings.HasSuffix(r.String(), "\nVERIFIED\n") || strings.Contains(r.String(), "WARNING") {
				t.Errorf("text:\n%s", r)
			}

			b, err := Read(path, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			c := f.contents
			if d := cmp.Diff(c.Events, b.Events); d != "" {
				t.Errorf("events (-stored +read):\n%s", d)
			}
			if d := cmp.Diff(c.Alerts, b.Alerts); d != "" {
				t.Errorf("alerts (-stored +read):\n%s", d)
			}
			if d := cmp.Diff(c.Audit, b.Audit); d != "" {
				t.Errorf("audit (-stored +read):\n%s", d)
			}
			if d := cmp.Diff(c.EventProofs, b.EventProofs); d != "" {
				t.Errorf("event proofs:\n%s", d)
			}
			if d := cmp.Diff(c.AuditProofs, b.AuditProofs); d != "" {
				t.Errorf("audit proofs:\n%s", d)
			}
			if d := cmp.Diff(c.Files, b.Files); d != "" {
				t.Errorf("files:\n%s", d)
			}
			m := b.Manifest
			if m.Incident != "7" || m.ExportedBy != "alice" || !m.ExportedAt.Equal(c.ExportedAt) || m.Instance.PublicKey != f.key.Public().String() {
				t.Errorf("manifest: %+v", m)
			}
			files := unpack(t, path)
			if files[0].Name != ManifestFile {
				t.Errorf("first entry %s, want manifest.json", files[0].Name)
			}
			if m.SHA256 != sha256.Sum256(files[0].Data) {
				t.Errorf("Manifest.SHA256 is not the SHA-256 of manifest.json")
			}
		})
	}
}

// TestLinesAreReadable checks that a line carries the items a person and
// another implementation need, in the documented shape.
func TestLinesAreReadable(t *testing.T) {
	f := newFixture(t)
	files := unpack(t, f.write(t, TarGz))
	events := string(files[fileIndex(t, files, EventsFile)].Data)
	for _, want := range []string{
		`"raw":"Mar 14 09:26:53 dc01 sshd[1]: Failed password for alice from 203.0.113.7 port 4711"`,
		`"raw_base64":"//4gYmluYXJ5IAAgcmVjb3Jk"`, // "\xff\xfe binary \x00 record"
		`{"name":"weird","type":0,"value":{"base64":"Y2Fm6Q=="}}`,
		`"time_ns":"1773480413589793238","received_ns":"1773480413594793238","time":"2026-03-14T09:26:53.589793238Z"`,
		`"kind":2,"kind_name":"pipeline_error","parse_error":"unexpected EOF"`,
		`{"name":"source.port","type":1,"value":"4711"}`,
	} {
		if !strings.Contains(events, want) {
			t.Errorf("events.ndjson lacks %s:\n%s", want, events)
		}
	}
	audit := string(files[fileIndex(t, files, AuditFile)].Data)
	for _, want := range []string{
		`"seq":1,`,
		`"actor":"bob","action":"incident.create","target":"incident/7","remote":"192.0.2.1"`,
		`"detail_base64":"eyJ0aXRsZSI6ICJTU0ggPGJydXRlPiAmIGZvcmNlIn0="`,
	} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit.ndjson lacks %s:\n%s", want, audit)
		}
	}
	if n := strings.Count(audit, "\n"); n != 2 {
		t.Errorf("audit.ndjson has %d lines, want 2", n)
	}
}

func TestUntrustedKey(t *testing.T) {
	f := newFixture(t)
	r, err := Verify(f.write(t, Zip), nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Trusted || !r.Key.Equal(f.key.Public()) {
		t.Fatalf("OK %v, trusted %v:\n%s", r.OK(), r.Trusted, r)
	}
	text := r.String()
	if !strings.HasPrefix(text, "WARNING: no trusted public key was given") ||
		!strings.HasSuffix(text, "VERIFIED (self-consistent only: the key was NOT checked against a trusted key)\n") {
		t.Errorf("text does not warn:\n%s", text)
	}
}

// TestTamper changes a bundle in each way an intruder or a careless
// handler could, and checks each is caught with a precise message.
func TestTamper(t *testing.T) {
	f := newFixture(t)
	c := f.contents
	ev1, ev2 := c.Events[0].ID, c.Events[1].ID
	alert := c.Alerts[0].ID
	tests := []struct {
		name   string
		change func(t *testing.T, files []File) []File
		want   []string
	}{{
		name: "flip a byte of an event's raw",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, EventsFile, "port 4711", "port 4717")
			return files
		},
		want: []string{
			"events.ndjson: SHA-256 differs from the manifest",
			fmt.Sprintf("events.ndjson line 1 (event %d): does not match its inclusion proof", ev1),
		},
	}, {
		name: "flip a byte of an event's field",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, EventsFile, `"value":{"base64":"Y2Fm6Q=="}`, `"value":{"base64":"Y2Fm6A=="}`)
			return files
		},
		want: []string{
			"events.ndjson: SHA-256 differs from the manifest",
			fmt.Sprintf("events.ndjson line 2 (event %d): does not match its inclusion proof", ev2),
		},
	}, {
		name: "change an event's readable time only",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, EventsFile, `"time":"2026-03-14T09:26:54.589793238Z"`, `"time":"2026-03-14T09:26:59.589793238Z"`)
			return files
		},
		want: []string{
			"events.ndjson: SHA-256 differs from the manifest",
			fmt.Sprintf(`events.ndjson line 2 (event %d): time "2026-03-14T09:26:59.589793238Z" does not agree with time_ns`, ev2),
		},
	}, {
		name: "flip a byte of an alert",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, AlertsFile, `"value":"high"`, `"value":"higg"`)
			return files
		},
		want: []string{
			"alerts.ndjson: SHA-256 differs from the manifest",
			fmt.Sprintf("alerts.ndjson line 1 (alert %d): does not match its inclusion proof", alert),
		},
	}, {
		name: "flip a byte of an audit entry",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, AuditFile, `"actor":"carol"`, `"actor":"carom"`)
			return files
		},
		want: []string{
			"audit.ndjson: SHA-256 differs from the manifest",
			"audit.ndjson line 2 (audit entry 2): does not match its inclusion proof",
		},
	}, {
		name: "change an audit entry's readable detail only",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, AuditFile, `"ttl":"4h"`, `"ttl":"9h"`)
			return files
		},
		want: []string{
			"audit.ndjson line 2 (audit entry 2): detail does not agree with detail_base64",
		},
	}, {
		name: "flip a byte of a proof",
		change: func(t *testing.T, files []File) []File {
			i := fileIndex(t, files, ProofsFile)
			at := bytes.Index(files[i].Data, []byte(`"audit.ndjson"`))
			at += bytes.Index(files[i].Data[at:], []byte(`"proof": [`)) + len(`"proof": [`)
			at += bytes.IndexByte(files[i].Data[at:], '"') + 1
			files[i].Data[at] ^= 1 // a hex digit to another
			return files
		},
		want: []string{
			"proofs.json: SHA-256 differs from the manifest",
			"audit.ndjson line 1 (audit entry 1): does not match its inclusion proof",
		},
	}, {
		name: "flip a byte of the report",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, "report.html", "exported by alice", "exported by alicf")
			return files
		},
		want: []string{"report.html: SHA-256 differs from the manifest"},
	}, {
		name: "flip a byte of the manifest",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, ManifestFile, `"exported_by": "alice"`, `"exported_by": "alicf"`)
			return files
		},
		want: []string{"manifest.json: manifest signature does not verify with key " + f.key.Public().KeyID()},
	}, {
		name: "change a file's hash in the manifest",
		change: func(t *testing.T, files []File) []File {
			sum := sha256.Sum256(files[fileIndex(t, files, "report.html")].Data)
			replaceOnce(t, files, ManifestFile, fmt.Sprintf("%x", sum), fmt.Sprintf("%x", sha256.Sum256([]byte("other"))))
			return files
		},
		want: []string{
			"manifest.json: manifest signature does not verify",
			"report.html: SHA-256 differs from the manifest",
		},
	}, {
		name: "add a member to the manifest",
		change: func(t *testing.T, files []File) []File {
			replaceOnce(t, files, ManifestFile, `"exported_by": "alice"`, `"exported_by": "alice", "note": "x"`)
			return files
		},
		want: []string{`manifest.json: not a valid manifest: json: unknown field "note"`},
	}, {
		name: "remove the events",
		change: func(t *testing.T, files []File) []File {
			i := fileIndex(t, files, EventsFile)
			return append(files[:i], files[i+1:]...)
		},
		want: []string{
			"events.ndjson: listed in the manifest but missing from the bundle",
			"events.ndjson: missing: none of its 5 lines could be checked",
		},
	}, {
		name: "remove the report",
		change: func(t *testing.T, files []File) []File {
			i := fileIndex(t, files, "report.html")
			return append(files[:i], files[i+1:]...)
		},
		want: []string{"report.html: listed in the manifest but missing from the bundle"},
	}, {
		name: "remove the proofs",
		change: func(t *testing.T, files []File) []File {
			i := fileIndex(t, files, ProofsFile)
			return append(files[:i], files[i+1:]...)
		},
		want: []string{
			"proofs.json: listed in the manifest but missing from the bundle",
			"events.ndjson: no proofs.json: no line can be checked",
		},
	}, {
		name: "add a file",
		change: func(t *testing.T, files []File) []File {
			return append(files, File{"x.txt", []byte("planted\n")})
		},
		want: []string{"x.txt: extra file x.txt not in the manifest"},
	}, {
		name: "reorder two events",
		change: func(t *testing.T, files []File) []File {
			i := fileIndex(t, files, EventsFile)
			lines := bytes.SplitAfter(files[i].Data, []byte("\n"))
			lines[0], lines[1] = lines[1], lines[0]
			files[i].Data = bytes.Join(lines, nil)
			return files
		},
		want: []string{
			"events.ndjson: SHA-256 differs from the manifest",
			fmt.Sprintf("events.ndjson line 1 (event %d): leaf index %d differs from proofs.json's %d", ev2, c.EventProofs[1].Index, c.EventProofs[0].Index),
			fmt.Sprintf("events.ndjson line 2 (event %d): leaf index %d differs from proofs.json's %d", ev1, c.EventProofs[0].Index, c.EventProofs[1].Index),
		},
	}, {
		name: "drop an event line",
		change: func(t *testing.T, files []File) []File {
			i := fileIndex(t, files, EventsFile)
			lines := bytes.SplitAfter(files[i].Data, []byte("\n"))
			files[i].Data = bytes.Join(lines[1:], nil)
			return files
		},
		want: []string{
			fmt.Sprintf("events.ndjson line 1 (event %d): leaf index %d differs from proofs.json's %d", ev2, c.EventProofs[1].Index, c.EventProofs[0].Index),
			"events.ndjson line 5: proofs.json has a proof for this line but the file ends before it",
		},
	}, {
		name: "move an alert into the events",
		change: func(t *testing.T, files []File) []File {
			a, e := fileIndex(t, files, AlertsFile), fileIndex(t, files, EventsFile)
			files[e].Data = append(files[e].Data, files[a].Data...)
			return files
		},
		want: []string{"events.ndjson line 6: this line and 0 after it have no inclusion proof in proofs.json"},
	}}
	for _, format := range formats {
		path := f.write(t, format)
		for _, tt := range tests {
			t.Run(format.String()+"/"+tt.name, func(t *testing.T) {
				files := tt.change(t, unpack(t, path))
				r, err := Verify(pack(t, format, files), f.key.Public(), Limits{})
				if err != nil {
					t.Fatal(err)
				}
				wantFailures(t, r, tt.want...)
				if !strings.Contains(r.String(), "NOT VERIFIED") {
					t.Errorf("text does not say NOT VERIFIED:\n%s", r)
				}
			})
		}
	}
}

// TestEveryByte flips bytes all over each file of a bundle: each change
// must make the bundle fail.
func TestEveryByte(t *testing.T) {
	f := newFixture(t)
	path := f.write(t, TarGz)
	orig := unpack(t, path)
	pub := f.key.Public()
	for i := range orig {
		stride := max(1, len(orig[i].Data)/97)
		for at := 0; at < len(orig[i].Data); at += stride {
			files := unpack(t, path)
			files[i].Data[at] ^= 0x04
			r, err := Verify(pack(t, TarGz, files), pub, Limits{})
			if err != nil {
				t.Fatalf("%s byte %d: %v", orig[i].Name, at, err)
			}
			if r.OK() {
				t.Fatalf("%s byte %d flipped: still verifies", orig[i].Name, at)
			}
		}
	}
}

func TestOtherKey(t *testing.T) {
	f := newFixture(t)
	other, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cp := f.contents.Checkpoint
	forged := evidence.SignCheckpoint(other, cp.Origin, cp.Size, cp.Root, cp.Time)

	t.Run("checkpoint replaced", func(t *testing.T) {
		files := unpack(t, f.write(t, TarGz))
		for _, name := range []string{ManifestFile, ProofsFile} {
			i := fileIndex(t, files, name)
			files[i].Data = replaceCheckpoint(t, files[i].Data, cp, forged)
		}
		r, err := Verify(pack(t, TarGz, files), f.key.Public(), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		wantFailures(t, r,
			"manifest.json: manifest signature does not verify with key "+f.key.Public().KeyID(),
			fmt.Sprintf("manifest.json (%s): bad checkpoint: signed by key %q", forged, other.Public().KeyID()),
			"proofs.json: SHA-256 differs from the manifest",
		)
	})
	t.Run("bundle re-signed by another key", func(t *testing.T) {
		c := f.contents
		c.Checkpoint = forged
		var buf bytes.Buffer
		if _, err := Write(&buf, Zip, c, other); err != nil {
			t.Fatal(err)
		}
		path := pack(t, Zip, nil)
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Verify(path, f.key.Public(), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		wantFailures(t, r,
			fmt.Sprintf("manifest.json: names instance key %s (%s), not the trusted key %s", other.Public().KeyID(), other.Public(), f.key.Public().KeyID()),
			"manifest.json: manifest signature does not verify with key "+f.key.Public().KeyID(),
			fmt.Sprintf("manifest.json (%s): bad checkpoint: signed by key %q", forged, other.Public().KeyID()),
		)
		// Without a trusted key it is self-consistent, and says so.
		r, err = Verify(path, nil, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.Trusted {
			t.Fatalf("OK %v trusted %v", r.OK(), r.Trusted)
		}
	})
}

// replaceCheckpoint replaces the JSON members of old by those of new.
func replaceCheckpoint(t *testing.T, data []byte, old, new evidence.Checkpoint) []byte {
	t.Helper()
	o, err := old.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	n, err := new.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{"key_id", ""}, {"signature", ""}} {
		ov := jsonMember(t, o, pair[0])
		nv := jsonMember(t, n, pair[0])
		if !bytes.Contains(data, []byte(ov)) {
			t.Fatalf("no %s %s", pair[0], ov)
		}
		data = bytes.ReplaceAll(data, []byte(ov), []byte(nv))
	}
	return data
}

func jsonMember(t *testing.T, obj []byte, name string) string {
	t.Helper()
	i := bytes.Index(obj, []byte(`"`+name+`":"`))
	if i < 0 {
		t.Fatalf("no %s in %s", name, obj)
	}
	v := obj[i+len(name)+4:]
	return string(v[:bytes.IndexByte(v, '"')])
}

func TestPrevious(t *testing.T) {
	f := newFixture(t)
	first := f.write(t, TarGz)
	r, err := Verify(first, f.key.Public(), Limits{})
	if err != nil || !r.OK() {
		t.Fatalf("%v\n%s", err, r)
	}
	c := f.contents
	c.Previous = &Previous{Manifest: r.Manifest.SHA256, Changes: "1 event added to the scope"}
	var buf bytes.Buffer
	m, err := Write(&buf, TarGz, c, f.key)
	if err != nil {
		t.Fatal(err)
	}
	path := pack(t, TarGz, nil)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r2, err := Verify(path, f.key.Public(), Limits{})
	if err != nil || !r2.OK() {
		t.Fatalf("%v\n%s", err, r2)
	}
	first0 := unpack(t, first)[0]
	if r2.Manifest.Previous.Manifest != sha256.Sum256(first0.Data) || r2.Manifest.Previous.Changes != "1 event added to the scope" || m.SHA256 != r2.Manifest.SHA256 {
		t.Errorf("previous: %+v", r2.Manifest.Previous)
	}
	if !strings.Contains(r2.String(), fmt.Sprintf("follows the export whose manifest has SHA-256 %x: 1 event added", sha256.Sum256(first0.Data))) {
		t.Errorf("text:\n%s", r2)
	}
}

func TestWriteRefuses(t *testing.T) {
	f := newFixture(t)
	other, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(c *Contents) *evidence.Key
		want   string
	}{
		{"a proof of another leaf", func(c *Contents) *evidence.Key {
			c.EventProofs[0], c.EventProofs[1] = c.EventProofs[1], c.EventProofs[0]
			return f.key
		}, fmt.Sprintf("event %d: does not match its inclusion proof", f.contents.Events[0].ID)},
		{"a checkpoint of another key", func(c *Contents) *evidence.Key { return other }, "the checkpoint is not the signing key's"},
		{"a path out of the bundle", func(c *Contents) *evidence.Key {
			c.Files = append(c.Files, File{"../evil", nil})
			return f.key
		}, `file "../evil": ".." in path`},
		{"a name of Vigie's", func(c *Contents) *evidence.Key {
			c.Files = append(c.Files, File{"Events.ndjson", nil})
			return f.key
		}, `file "Events.ndjson": name taken`},
		{"an alert among events", func(c *Contents) *evidence.Key {
			c.Events[0] = c.Alerts[0]
			return f.key
		}, "is an alert"},
		{"missing proofs", func(c *Contents) *evidence.Key {
			c.AuditProofs = c.AuditProofs[:1]
			return f.key
		}, "5 events, 1 alerts, 2 audit entries but 5, 1, 1 proofs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.contents
			c.Events = append([]*event.Event(nil), c.Events...)
			c.EventProofs = append([]Leafed(nil), c.EventProofs...)
			key := tt.change(&c)
			var buf bytes.Buffer
			_, err := Write(&buf, Zip, c, key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
}

func TestLimitsRefuse(t *testing.T) {
	f := newFixture(t)
	path := f.write(t, Zip)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxArchive: fi.Size() - 1}, "over the limit of"},
		{Limits{MaxFiles: 5}, "more than 5 entries"},
		{Limits{MaxFile: 100}, "is over the limit of 100 bytes"},
		{Limits{MaxTotal: 1000}, "entries total more than 1000 bytes"},
	} {
		_, err := Verify(path, f.key.Public(), tt.lim)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.lim, err, tt.want)
		}
	}
	// A line over MaxLine is a failure of that line, not a refusal.
	r, err := Verify(path, f.key.Public(), Limits{MaxLine: 1500})
	if err != nil {
		t.Fatal(err)
	}
	wantFailures(t, r, "manifest.json: ")
}

func TestSmallFixtureVerifies(t *testing.T) {
	f := smallFixture(t)
	for _, format := range formats {
		r, err := Verify(f.write(t, format), f.key.Public(), Limits{})
		if err != nil || !r.OK() || r.Events != 1 || r.Alerts != 1 || r.Audit != 1 {
			t.Fatalf("%s: %v\n%s", format, err, r)
		}
	}
}

// TestHugeValues checks that a line or a proof larger than MaxLine is a
// failure of its own, read without holding it.
func TestHugeValues(t *testing.T) {
	f := smallFixture(t)
	files := unpack(t, f.write(t, TarGz))
	long := strings.Repeat("A", 100<<10)
	replaceOnce(t, files, EventsFile, `"raw":"Failed password for root"`, `"raw":"`+long+`"`)
	i := fileIndex(t, files, ProofsFile)
	at := bytes.Index(files[i].Data, []byte(`"audit.ndjson"`))
	at += bytes.Index(files[i].Data[at:], []byte(`"proof": [`)) + len(`"proof": [`)
	files[i].Data = append(files[i].Data[:at:at], append([]byte(`"`+long+`",`), files[i].Data[at:]...)...)
	r, err := Verify(pack(t, TarGz, files), f.key.Public(), Limits{MaxLine: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	wantFailures(t, r,
		"events.ndjson line 1: line longer than 8192 bytes",
		"proofs.json: offset ",
	)
	if !strings.Contains(failures(r), "value larger than the line limit") {
		t.Errorf("no failure names the proof that is too large:\n%s", failures(r))
	}
	if r.Alerts != 1 {
		t.Errorf("the alert before the huge proof was not checked: %d alerts", r.Alerts)
	}
}
