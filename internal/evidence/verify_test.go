package evidence

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// sshdLines are OpenSSH log lines in the shape of the shared data's
// linux/OpenSSH_2k.log.
var sshdLines = []string{
	"Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
	"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
	"Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
	"Dec 10 07:02:47 LabSZ sshd[24203]: Connection closed by 212.47.254.145 [preauth]",
	"Dec 10 07:07:38 LabSZ sshd[24206]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=52.80.34.196  user=root",
	"Dec 10 07:07:45 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2",
	"Dec 10 07:08:28 LabSZ sshd[24208]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
}

// sshEvents returns n events as the syslog decoder would store them,
// starting at time start, one second apart.
func sshEvents(n int, start time.Time) []*event.Event {
	out := make([]*event.Event, n)
	for i := range out {
		line := sshdLines[i%len(sshdLines)]
		at := start.Add(time.Duration(i) * time.Second)
		e := &event.Event{Time: at, Received: at.Add(1500 * time.Millisecond), Source: "syslog-udp/10.0.4.12",
			Format: "syslog", Raw: []byte(line)}
		e.Add("host.name", "LabSZ")
		e.Add("process.name", "sshd")
		e.AddTyped("process.pid", fmt.Sprint(24200+i), event.Number)
		e.Add("message", line[strings.Index(line, ": ")+2:])
		if strings.Contains(line, "Failed password") {
			e.Add("event.outcome", "failure")
			e.Add("source.ip", "173.234.31.186")
		}
		e.Sort()
		out[i] = e
	}
	return out
}

// bruteForceAlert is an alert as detect stores it.
func bruteForceAlert(at time.Time, evidence ...event.ID) *event.Event {
	e := &event.Event{Time: at, Received: at, Source: "vigie/detect", Format: "alert", Kind: event.KindAlert}
	e.Add("rule.id", "ssh-brute-force")
	e.Add("rule.name", "SSH brute force")
	e.Add("rule.level", "high")
	e.AddTyped("event.severity", "73", event.Number)
	e.Add("vigie.alert.kind", "threshold")
	e.Add("vigie.detector", "correlation")
	e.Add("threat.technique.id", "T1110")
	e.Add("threat.tactic.name", "Credential Access")
	e.Add("source.ip", "173.234.31.186")
	e.Add("host.name", "LabSZ")
	for _, id := range evidence {
		e.AddTyped("vigie.evidence", fmt.Sprint(int64(id)), event.Number)
	}
	e.Sort()
	return e
}

// fixture is a store built through Vigie's own code, closed, with what
// the tests need to know about it.
type fixture struct {
	dir        string // holds events.db
	witness    string // the witness file
	pub        PublicKey
	events     int64
	audits     int64
	firstCheck int64 // size of the first checkpoint
	leafOf     map[string]int64
}

// buildFixture stores 120 sshd events, an alert and 6 audit entries,
// with a checkpoint after the first half and one at the end.
func buildFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{dir: dir, witness: filepath.Join(t.TempDir(), "witness.log"), pub: key.Public(), leafOf: map[string]int64{}}
	lg, err := Open(ctx, st, key, Config{Origin: "vigie-test", Witnesses: []WitnessConfig{{File: f.witness}}})
	if err != nil {
		t.Fatal(err)
	}
	audit := func(actor, action, target string) {
		t.Helper()
		e := &store.AuditEntry{Time: time.Date(2024, 12, 10, 9, 0, 0, 0, time.UTC), Actor: actor, Action: action,
			Target: target, Remote: "10.0.0.7:51234", Detail: []byte(`{"status":"investigating"}`)}
		if err := st.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		f.audits++
	}
	start := time.Date(2024, 12, 10, 6, 55, 46, 0, time.UTC)
	for batch := range 4 {
		evs := sshEvents(30, start.Add(time.Duration(batch)*time.Hour))
		if err := st.Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
		f.events += int64(len(evs))
		audit("alice", "incident.status", fmt.Sprintf("incident/%d", batch+1))
		if batch == 1 {
			c, err := lg.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			f.firstCheck = c.Size
		}
	}
	if err := st.Append(ctx, []*event.Event{bruteForceAlert(start.Add(5*time.Hour), 3, 6)}); err != nil {
		t.Fatal(err)
	}
	f.events++
	audit("bob", "decision.create", "decision/1")
	audit("bob", "alert.state", "alert/121")
	if _, err := lg.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		kind leaf.Kind
		ref  int64
	}{{leaf.KindEvent, 5}, {leaf.KindEvent, 7}, {leaf.KindEvent, 75}, {leaf.KindEvent, 121}, {leaf.KindAudit, 2}, {leaf.KindAudit, 3}} {
		idx, err := st.LeafIndex(ctx, uint8(r.kind), r.ref)
		if err != nil {
			t.Fatal(err)
		}
		f.leafOf[fmt.Sprintf("%s %d", r.kind, r.ref)] = idx
	}
	return f
}

// copyStore copies the closed store to a new folder.
func (f fixture) copyStore(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	names, _ := filepath.Glob(filepath.Join(f.dir, "events.db*"))
	for _, name := range names {
		in, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, filepath.Base(name)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dst, "events.db")
}

// tamper runs SQL on the store file directly, as an intruder would.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func verifyFile(t *testing.T, path string, pub PublicKey, witnessed []Checkpoint) *Report {
	t.Helper()
	st, err := sqlite.Open(path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var calls int
	var last int64
	r, err := Verify(context.Background(), st, pub, witnessed, func(done, total int64) { calls++; last = done })
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != r.Leaves {
		t.Errorf("progress called %d times, last with %d; want at least once, last with %d", calls, last, r.Leaves)
	}
	return r
}

func TestVerifyUntouched(t *testing.T) {
	f := buildFixture(t)
	witnessed, err := ReadWitnessFile(f.witness)
	if err != nil {
		t.Fatal(err)
	}
	if len(witnessed) != 2 {
		t.Fatalf("witness file holds %d checkpoints, want 2", len(witnessed))
	}
	r := verifyFile(t, f.copyStore(t), f.pub, witnessed)
	if !r.OK() {
		t.Fatalf("untouched store does not verify:\n%s", r.Text())
	}
	if r.Events != 121 || r.Audit != 6 || r.Leaves != 127 || r.Checkpoints != 4 || r.Pruned != 0 {
		t.Errorf("report %+v, want 121 events, 6 audit entries, 127 leaves, 4 checkpoints, 0 pruned", r)
	}
	if !strings.HasPrefix(r.Text(), "OK: 127 leaves, 121 events, 6 audit entries, 0 pruned events, 4 checkpoints checked\n") {
		t.Errorf("text: %q", r.Text())
	}
}

func TestVerifyCatchesTampering(t *testing.T) {
	f := buildFixture(t)
	witnessed, err := ReadWitnessFile(f.witness)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind   FindingKind
		leaf   int64
		record string
	}
	cases := []struct {
		name      string
		stmts     []string
		witnessed bool
		prepare   func(t *testing.T, path string) // more tampering, needing Go
		want      []want
	}{
		{name: "update event raw",
			stmts: []string{"UPDATE events SET raw = CAST('Dec 10 06:55:46 LabSZ sshd[24200]: nothing to see' AS BLOB) WHERE id = 5"},
			want:  []want{{Altered, f.leafOf["event 5"], "event 5"}}},
		{name: "update event time",
			stmts: []string{"UPDATE events SET time = time + 1000000000 WHERE id = 75"},
			want:  []want{{Altered, f.leafOf["event 75"], "event 75"}}},
		{name: "update alert fields",
			stmts: []string{"UPDATE events SET fields = (SELECT fields FROM events WHERE id = 1) WHERE id = 121"},
			want:  []want{{Altered, f.leafOf["event 121"], "event 121"}}},
		{name: "delete event",
			stmts: []string{"DELETE FROM events WHERE id = 7"},
			want:  []want{{Removed, f.leafOf["event 7"], "event 7"}}},
		{name: "delete event range",
			stmts: []string{"DELETE FROM events WHERE id BETWEEN 5 AND 7"},
			want:  []want{{Removed, f.leafOf["event 5"], "events 5-7"}}},
		{name: "update audit actor",
			stmts: []string{"UPDATE audit SET actor = 'mallory' WHERE seq = 2"},
			want:  []want{{Altered, f.leafOf["audit 2"], "audit 2"}}},
		{name: "delete audit entry",
			stmts: []string{"DELETE FROM audit WHERE seq = 3"},
			want:  []want{{Removed, f.leafOf["audit 3"], "audit 3"}}},
		{name: "insert event",
			stmts: []string{"INSERT INTO events(id, time, received, source, format, kind, parse_error, fields, raw) " +
				"SELECT 500, time, received, source, format, kind, parse_error, fields, raw FROM events WHERE id = 4"},
			want: []want{{Inserted, -1, "event 500"}}},
		{name: "insert audit entry",
			stmts: []string{"INSERT INTO audit(seq, time, actor, action, target, remote, detail) " +
				"VALUES (50, 0, 'alice', 'incident.status', 'incident/1', '', NULL)"},
			want: []want{{Inserted, -1, "audit 50"}}},
		{name: "forged prune entry does not excuse a deletion",
			stmts: []string{"DELETE FROM events WHERE id = 7",
				`INSERT INTO audit(seq, time, actor, action, target, remote, detail) VALUES (60, 0, 'retention', 'events.prune', '', '', '{"ids":[[7,7]]}')`},
			want: []want{{Removed, f.leafOf["event 7"], "event 7"}, {Inserted, -1, "audit 60"}}},
		{name: "smart intruder rehashes the ledger",
			prepare: func(t *testing.T, path string) { rewriteEvent(t, path, 75) },
			want:    []want{{Rewritten, f.firstCheck, "stored checkpoint 127"}}},
		{name: "smart intruder rehashes the ledger and deletes checkpoints",
			prepare: func(t *testing.T, path string) {
				rewriteEvent(t, path, 5)
				tamper(t, path, "DELETE FROM records WHERE kind = 'checkpoint'")
			},
			witnessed: true,
			want:      []want{{Rewritten, 0, "witnessed checkpoint 1 (size 62)"}, {Rewritten, 0, "witnessed checkpoint 2 (size 127)"}}},
		{name: "truncated log",
			stmts: []string{"DELETE FROM ledger WHERE first >= 123", "DELETE FROM audit WHERE seq >= 4", "DELETE FROM events WHERE id = 121"},
			want:  []want{{Truncated, 123, "stored checkpoint 127"}}},
		{name: "hole in the ledger",
			stmts: []string{fmt.Sprintf("DELETE FROM ledger WHERE first = %d", f.leafOf["audit 2"]), "DELETE FROM audit WHERE seq = 2"},
			want:  []want{{Hole, 61, "leaves 61-61"}, {Rewritten, 0, "stored checkpoint 62"}, {Truncated, 126, "stored checkpoint 127"}}},
		{name: "forged checkpoint",
			stmts: []string{`UPDATE records SET body = replace(body, '"size":62', '"size":63') WHERE kind = 'checkpoint' AND id = '00000000000000000062'`},
			want:  []want{{BadCheckpoint, -1, "stored checkpoint 62"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := f.copyStore(t)
			tamper(t, path, tc.stmts...)
			if tc.prepare != nil {
				tc.prepare(t, path)
			}
			var w []Checkpoint
			if tc.witnessed {
				w = witnessed
			}
			r := verifyFile(t, path, f.pub, w)
			if r.OK() {
				t.Fatalf("tampered store verifies OK:\n%s", r.Text())
			}
			var got []want
			for _, fd := range r.Findings {
				got = append(got, want{fd.Kind, fd.Leaf, fd.Record})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("findings %v, want %v; report:\n%s", got, tc.want, r.Text())
			}
		})
	}
}

// rewriteEvent changes event id's raw bytes and writes its new leaf hash
// into the ledger, as an intruder who knows the leaf format would.
func rewriteEvent(t *testing.T, path string, id int64) {
	t.Helper()
	tamper(t, path, fmt.Sprintf("UPDATE events SET raw = CAST('Dec 10 07:08:28 LabSZ sshd[1]: nothing happened' AS BLOB) WHERE id = %d", id))
	st, err := sqlite.Open(path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.Get(context.Background(), event.ID(id))
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := leaf.HashLeaf(leaf.Event(nil, e))
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first, ref int64
	var hashes []byte
	if err := db.QueryRow("SELECT first, ref, hashes FROM ledger WHERE kind = 1 AND ref <= ? ORDER BY ref DESC LIMIT 1", id).
		Scan(&first, &ref, &hashes); err != nil {
		t.Fatal(err)
	}
	copy(hashes[(id-ref)*32:], h[:])
	if _, err := db.Exec("UPDATE ledger SET hashes = ? WHERE first = ?", hashes, first); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyPruned(t *testing.T) {
	f := buildFixture(t)
	path := f.copyStore(t)
	st, err := sqlite.Open(path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Events of the first two batches are before 08:30 on Dec 10.
	n, err := st.Prune(context.Background(), store.Retention{MaxAge: time.Hour}, time.Date(2024, 12, 10, 9, 30, 0, 0, time.UTC))
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n != 60 {
		t.Fatalf("Prune removed %d events, want 60", n)
	}
	r := verifyFile(t, path, f.pub, nil)
	if !r.OK() {
		t.Fatalf("pruned store does not verify:\n%s", r.Text())
	}
	if r.Pruned != 60 || r.Events != 61 || r.Audit != 7 {
		t.Errorf("report %+v, want 60 pruned, 61 events, 7 audit entries (one of the prune)", r)
	}

	// Deleting one more event after pruning is still caught.
	tamper(t, path, "DELETE FROM events WHERE id = 75")
	r = verifyFile(t, path, f.pub, nil)
	if len(r.Findings) != 1 || r.Findings[0].Kind != Removed || r.Findings[0].Record != "event 75" {
		t.Errorf("after deleting event 75 from a pruned store:\n%s", r.Text())
	}
}
