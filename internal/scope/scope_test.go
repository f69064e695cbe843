package scope

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

var t0 = time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC) // the window's start in the fixtures

func ev(t time.Time, kv ...string) *event.Event {
	e := &event.Event{Time: t, Received: t, Source: "test", Format: "test"}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], kv[i+1])
	}
	e.Sort()
	return e
}

func newStore(t *testing.T, evs []*event.Event) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := 0; i < len(evs); i += 5000 {
		if err := st.Append(context.Background(), evs[i:min(i+5000, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// conn is a Zeek-like flow of bytes from src to dst.
func conn(t time.Time, src, dst string, bytes int64) *event.Event {
	return ev(t, event.EventDataset, "zeek.conn", event.SourceIP, src, event.DestinationIP, dst, event.SourceBytes, strconv.FormatInt(bytes, 10))
}

// TestTransfers: a source that sends 50 MB a day to its backup service
// for six days sends, in the window, 60 MB to that service (normal: known,
// 1.2× its day), 12 MB to a new address (unusual: new, but under
// exfil_bytes) and 400 MB to another new one (likely exfiltration); 900 MB
// to an internal address is no transfer.
func TestTransfers(t *testing.T) {
	const src, backup = "10.1.1.5", "198.51.100.9"
	var evs []*event.Event
	for d := 1; d <= 6; d++ {
		for h := range 5 {
			at := t0.Add(-time.Duration(d-1)*24*time.Hour - time.Duration(h+1)*time.Hour)
			evs = append(evs, conn(at, src, backup, 10_000_000))
		}
	}
	evs = append(evs,
		conn(t0.Add(time.Hour), src, backup, 60_000_000),
		conn(t0.Add(2*time.Hour), src, "203.0.113.10", 12_000_000),
		conn(t0.Add(3*time.Hour), src, "203.0.113.20", 200_000_000),
		conn(t0.Add(3*time.Hour+time.Minute), src, "203.0.113.20", 200_000_000),
		conn(t0.Add(4*time.Hour), src, "10.1.1.6", 900_000_000), // internal: not outbound
		ev(t0.Add(3*time.Hour), event.SourceIP, src, event.DNSQuestionName, "drop.example", "dns.answers.data", "203.0.113.20"),
	)
	st := newStore(t, evs)
	rep, err := Build(context.Background(), st, Subject{Addresses: []string{src}, From: t0, To: t0.Add(24 * time.Hour)}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		verdict string
		bytes   int64
		never   bool
	}{
		backup:         {Normal, 60_000_000, false},
		"203.0.113.10": {Unusual, 12_000_000, true},
		"203.0.113.20": {LikelyExfiltration, 400_000_000, true},
	}
	if len(rep.Transfers) != len(want) {
		t.Errorf("%d transfers, want %d: %+v", len(rep.Transfers), len(want), rep.Transfers)
	}
	for _, x := range rep.Transfers {
		w, ok := want[x.Destination]
		if !ok {
			t.Errorf("unexpected transfer %+v", x)
			continue
		}
		if x.Verdict != w.verdict || x.Bytes != w.bytes || x.NeverContacted != w.never {
			t.Errorf("%s: %s %d bytes never=%v, want %s %d never=%v (%s)", x.Destination, x.Verdict, x.Bytes, x.NeverContacted, w.verdict, w.bytes, w.never, x.Reason)
		}
		if x.BaselineDailyBytes != 50_000_000 || x.BaselineDays != 6 {
			t.Errorf("%s: baseline %d bytes over %d days, want 50000000 over 6", x.Destination, x.BaselineDailyBytes, x.BaselineDays)
		}
	}
	if x := rep.Transfers[0]; x.Destination != "203.0.113.20" || x.Domain != "drop.example" ||
		!strings.Contains(x.Reason, "400.0 MB to 203.0.113.20 (drop.example)") || !strings.Contains(x.Reason, "8.0× 10.1.1.5's daily median of 50.0 MB (6 days)") {
		t.Errorf("first transfer %+v", x)
	}
}

// TestGaps: a host that logs every 5 minutes, silent for 3 hours in the
// window, has one gap; one that is silent every night, and as long in
// the window, has none; a log cleared on a third opens a gap until its
// next event.
func TestGaps(t *testing.T) {
	var evs []*event.Event
	for m := -3 * 24 * 60; m < 24*60; m += 5 {
		at := t0.Add(time.Duration(m) * time.Minute)
		if m < 10*60 || m >= 13*60 {
			evs = append(evs, ev(at, event.HostName, "srv1.corp.example", event.EventAction, "tick"))
		}
		if h := at.Hour(); h >= 8 && h < 20 {
			evs = append(evs, ev(at, event.HostName, "ws9", event.EventAction, "tick"))
		}
	}
	cleared := t0.Add(5 * time.Hour)
	evs = append(evs,
		ev(cleared, event.HostName, "srv2.corp.example", "Channel", "Security", event.EventCode, "1102", "SubjectUserName", "mallory"),
		ev(cleared.Add(90*time.Minute), event.HostName, "srv2.corp.example", event.EventAction, "tick"))
	st := newStore(t, evs)
	subj := Subject{Hosts: []string{"SRV1", "ws9", "srv2"}, From: t0, To: t0.Add(24 * time.Hour)}
	rep, err := Build(context.Background(), st, subj, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"unknown: no logs from srv2.corp.example between 2026-01-12T05:00:00Z and 2026-01-12T06:30:00Z (1h30m): the Security log of srv2.corp.example was cleared (event 1102) by mallory",
		"unknown: no logs from srv1.corp.example between 2026-01-12T09:55:00Z and 2026-01-12T13:00:00Z (3h05m)",
	}
	if len(rep.Gaps) != len(want) {
		t.Fatalf("%d gaps, want %d: %+v", len(rep.Gaps), len(want), rep.Gaps)
	}
	for i, g := range rep.Gaps {
		if !strings.HasPrefix(g.Text, want[i]) {
			t.Errorf("gap %d: %q\nwant prefix %q", i, g.Text, want[i])
		}
	}
	h := rep.Hosts[0]
	if h.Name != "srv1.corp.example" || h.Events != 24*12-36 || !h.First.Equal(t0) {
		t.Errorf("host %+v", h)
	}
}

// TestDiscovery: an account's logons lead to the hosts it reached; a
// failed attempt from the subject's address marks a host attempted; an
// interactive logon to a compromised host after the compromise exposes
// that account, one before it does not.
func TestDiscovery(t *testing.T) {
	logon := func(at time.Time, host, user, src, ws, typ, outcome string) *event.Event {
		code := "4624"
		if outcome == event.OutcomeFailure {
			code = "4625"
		}
		return ev(at, "Channel", "Security", event.EventCode, code, event.EventCategory, "authentication", event.EventOutcome, outcome,
			event.HostName, host, event.UserName, user, event.SourceIP, src, "WorkstationName", ws, "LogonType", typ)
	}
	evs := []*event.Event{
		logon(t0.Add(1*time.Hour), "ws1.corp", "alice", "203.0.113.5", "KALI", "10", event.OutcomeSuccess),
		logon(t0.Add(2*time.Hour), "app1.corp", "bob", "10.0.0.7", "WS7", "10", event.OutcomeSuccess),
		logon(t0.Add(3*time.Hour), "app1.corp", "alice", "10.0.0.1", "WS1", "10", event.OutcomeSuccess),
		logon(t0.Add(4*time.Hour), "app1.corp", "carol", "10.0.0.8", "WS8", "10", event.OutcomeSuccess),
		logon(t0.Add(5*time.Hour), "db1.corp", "dave", "10.0.0.9", "WS9", "3", event.OutcomeSuccess),
		logon(t0.Add(6*time.Hour), "gw1", "root", "203.0.113.5", "", "", event.OutcomeFailure),
	}
	st := newStore(t, evs)
	rep, err := Build(context.Background(), st, Subject{Accounts: []string{"alice"}, Addresses: []string{"203.0.113.5"}, From: t0, To: t0.Add(24 * time.Hour)}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var hosts, accounts []string
	for _, h := range rep.Hosts {
		hosts = append(hosts, h.Name+"/"+h.Via+"/"+strings.Join(h.Addresses, ","))
	}
	for _, a := range rep.Accounts {
		accounts = append(accounts, a.Name+"/"+a.Via)
	}
	if got, want := strings.Join(hosts, " "), "app1.corp/logon/ ws1.corp/logon/10.0.0.1 gw1/attempted/"; got != want {
		t.Errorf("hosts %s, want %s", got, want)
	}
	if got, want := strings.Join(accounts, " "), "alice/subject carol/exposed"; got != want {
		t.Errorf("accounts %s, want %s", got, want)
	}
	fc := rep.Movement.FirstCompromised
	if fc == nil || fc.Name != "alice" || !fc.Time.Equal(t0.Add(time.Hour)) {
		t.Errorf("first compromised %+v", fc)
	}
	if rep.Movement.EdgesTotal != 4 { // alice ×2, carol, the failure from 203.0.113.5
		t.Errorf("%d edges: %+v", rep.Movement.EdgesTotal, rep.Movement.Edges)
	}
}

// TestBounds: the event budget and the object bound are reported.
func TestBounds(t *testing.T) {
	var evs []*event.Event
	for i := range 300 {
		evs = append(evs, ev(t0.Add(time.Duration(i)*time.Second), "Channel", "Security", event.EventCode, "5145", event.HostName, "fs1",
			event.UserName, "eve", "ShareName", `\\*\Data`, "RelativeTargetName", fmt.Sprintf(`dir\f%03d.txt`, i)))
	}
	st := newStore(t, evs)
	subj := Subject{Accounts: []string{"eve"}, From: t0, To: t0.Add(time.Hour)}
	rep, err := Build(context.Background(), st, subj, Config{MaxObjects: 50, MaxDistinct: 200})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := findData(rep, KindShare, `\\fs1\Data`)
	// The scan reads newest first: the objects counted are the latest 200.
	if !ok || len(d.Objects) != 50 || d.ObjectsTotal != 200 || !d.Truncated || d.Accesses != 300 || d.Objects[0].Name != `dir\f100.txt` {
		t.Errorf("share %+v", d)
	}
	if !rep.Truncated.Objects || rep.Truncated.Events {
		t.Errorf("truncated %+v", rep.Truncated)
	}
	rep, err = Build(context.Background(), st, subj, Config{MaxEvents: 120})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Truncated.Events || rep.EventsRead > 120 {
		t.Errorf("read %d events, truncated %+v", rep.EventsRead, rep.Truncated)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{MaxEvents: -1}, {InternalNetworks: []string{"10.0.0.0/33"}}, {GapFactor: -2}} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
	st := newStore(t, nil)
	if _, err := Build(context.Background(), st, Subject{From: t0, To: t0}, Config{}); err == nil {
		t.Error("empty window accepted")
	}
	if _, err := Build(context.Background(), st, Subject{From: t0, To: t0.Add(time.Hour)}, Config{InternalNetworks: []string{"nope"}}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad network: %v", err)
	}
}
