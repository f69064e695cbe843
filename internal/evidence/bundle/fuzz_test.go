package bundle

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// FuzzVerify feeds archive bytes to Verify and Read: they must never
// panic, never write next to the bundle, and fail only by refusing.
func FuzzVerify(f *testing.F) {
	// Seeds without a store: fuzzing workers instrument what they run,
	// and SQLite would take most of their time.
	fx := smallFixture(f)
	for _, format := range formats {
		var buf bytes.Buffer
		if _, err := Write(&buf, format, fx.contents, fx.key); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte("not an archive"))
	lim := Limits{MaxArchive: 1 << 20, MaxTotal: 4 << 20, MaxFiles: 64, MaxFile: 1 << 20, MaxLine: 64 << 10}
	dir := f.TempDir() // one per worker process: inputs run one at a time
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := verifyIn(t, dir, data, lim)
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Fatalf("error %v is not a refusal", err)
		}
		if err == nil {
			_ = r.String()
			if r.OK() != (len(r.Failures) == 0 && r.Manifest != nil) {
				t.Fatalf("OK() disagrees with the failures")
			}
		}
	})
}

// smallFixture is two events and an audit entry in a tree of three
// leaves built by the library's reference tree.
func smallFixture(t testing.TB) *fixture {
	t.Helper()
	at := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	e1 := &event.Event{ID: 1, Time: at, Received: at, Source: "file/auth.log", Format: "authlog", Raw: []byte("Failed password for root")}
	e1.Add(event.UserName, "root")
	e2 := &event.Event{ID: 2, Time: at, Received: at, Source: "vigie", Format: "alert", Kind: event.KindAlert}
	e2.Add("rule.id", "r1")
	a := store.AuditEntry{Seq: 1, Time: at, Actor: "bob", Action: "incident.create", Detail: []byte(`{"x":1}`)}
	tree := testonly.New(rfc6962.DefaultHasher)
	tree.AppendData(leaf.Event(nil, e1), leaf.Event(nil, e2), leaf.Audit(nil, &a))
	key, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cp := evidence.SignCheckpoint(key, "fuzz", 3, leaf.Hash(tree.Hash()), at)
	proofOf := func(i uint64) []Leafed {
		hashes, err := tree.InclusionProof(i, 3)
		if err != nil {
			t.Fatal(err)
		}
		l := Leafed{Index: int64(i)}
		for _, h := range hashes {
			l.Proof = append(l.Proof, leaf.Hash(h))
		}
		return []Leafed{l}
	}
	return &fixture{key: key, contents: Contents{
		Incident: "1", ExportedBy: "fuzz", ExportedAt: at, Checkpoint: cp,
		Events: []*event.Event{e1}, EventProofs: proofOf(0),
		Alerts: []*event.Event{e2}, AlertProofs: proofOf(1),
		Audit: []store.AuditEntry{a}, AuditProofs: proofOf(2),
		Files: []File{{"report.html", []byte("<p>hi</p>")}},
	}}
}
