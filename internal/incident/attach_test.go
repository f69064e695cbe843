package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// attachSetup groups three incidents and keeps one alert out of any:
// #1 hana (two alerts), #2 ivan (two alerts), #3 jo (one alert), and
// kai's alert, given to no one.
type attachSetup struct {
	hana1, hana2, ivan1, ivan2, jo, kai *event.Event
}

func newAttachSetup(t *testing.T, m *Manager) *attachSetup {
	t.Helper()
	var am alertMaker
	s := &attachSetup{
		hana1: am.match("r1", "low", t0, "user.name=hana", "host.name=ws-1"),
		hana2: am.match("r2", "medium", t0.Add(time.Hour), "user.name=hana", "host.name=ws-1"),
		ivan1: am.match("r3", "low", t0.Add(2*time.Hour), "user.name=ivan", "host.name=ws-2"),
		ivan2: am.match("r4", "low", t0.Add(3*time.Hour), "user.name=ivan", "host.name=ws-2"),
		jo:    am.match("r5", "critical", t0.Add(10*time.Hour), "user.name=jo", "host.name=srv-9"),
		kai:   am.match("r6", "high", t0.Add(-5*time.Hour), "user.name=kai", "source.ip=198.51.100.7"),
	}
	add(t, m, s.hana1, s.hana2, s.ivan1, s.ivan2, s.jo)
	for i, a := range []*event.Event{s.hana1, s.ivan1, s.jo} {
		if got := incidentOf(t, m, a).ID; got != int64(i+1) {
			t.Fatalf("setup: alert %d in #%d, want #%d", a.ID, got, i+1)
		}
	}
	return s
}

func alertIDs(inc *Incident) []event.ID {
	var out []event.ID
	for _, a := range inc.Alerts {
		out = append(out, a.ID)
	}
	return out
}

func TestAttach(t *testing.T) {
	m, st := newManager(t, Config{})
	ctx := context.Background()
	s := newAttachSetup(t, m)
	before3, _ := m.Get(3)

	// Into #1: one of ivan's alerts (moves from #2), jo's only alert
	// (empties #3), kai's alert (in no incident), and one of hana's,
	// already there; kai's is given twice.
	inc, err := m.Attach(ctx, 1, []*event.Event{s.ivan1, s.jo, s.kai, s.hana2, s.kai}, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := []event.ID{s.hana1.ID, s.hana2.ID, s.ivan1.ID, s.jo.ID, s.kai.ID}
	if got := alertIDs(inc); !slices.Equal(got, want) {
		t.Fatalf("#1 alerts %v, want %v", got, want)
	}
	// Severity and bounds follow the new alerts: jo's is critical, kai's
	// five hours before hana's first.
	if inc.Severity != "critical" || !inc.First.Equal(t0.Add(-5*time.Hour)) || !inc.Last.Equal(t0.Add(10*time.Hour)) ||
		inc.Dwell != 15*time.Hour {
		t.Errorf("#1: severity %s, %s to %s (dwell %s); want critical, %s to %s", inc.Severity, inc.First, inc.Last, inc.Dwell,
			t0.Add(-5*time.Hour), t0.Add(10*time.Hour))
	}
	joins := map[event.ID]string{}
	for _, j := range inc.Joins {
		joins[j.Alert] = j.Because
	}
	for id, because := range map[event.ID]string{
		s.ivan1.ID: "added by alice.analyst, moved from #2",
		s.jo.ID:    "added by alice.analyst, moved from #3",
		s.kai.ID:   "added by alice.analyst",
	} {
		if joins[id] != because {
			t.Errorf("join of alert %d: %q, want %q", id, joins[id], because)
		}
	}
	// The alerts' entities joined #1, linking it.
	for _, fv := range [][2]string{{"user.name", "ivan"}, {"host.name", "ws-2"}, {"user.name", "jo"}, {"host.name", "srv-9"},
		{"user.name", "kai"}, {"source.ip", "198.51.100.7"}} {
		en := inc.Entity(fv[0], fv[1])
		if en == nil || len(en.Links) != 1 || len(en.Alerts) != 1 {
			t.Errorf("#1 entity %s %s: %+v, want one alert linking it", fv[0], fv[1], en)
		}
	}
	if en := inc.Entity("user.name", "kai"); en != nil && (!en.First.Equal(t0.Add(-5*time.Hour)) || !slices.Equal(en.Spellings, []string{"kai"})) {
		t.Errorf("kai's entity: %+v", en)
	}
	for _, a := range []*event.Event{s.ivan1, s.jo, s.kai} {
		if got := incidentOf(t, m, a).ID; got != 1 {
			t.Errorf("alert %d is in #%d, want #1", a.ID, got)
		}
	}

	// #2 keeps ivan's other alert, with its entities; #3, emptied, is
	// merged into #1 as a part that Split can take out.
	two, _ := m.Get(2)
	if got := alertIDs(two); !slices.Equal(got, []event.ID{s.ivan2.ID}) || two.Status != StatusNew ||
		two.Entity("user.name", "ivan") == nil || len(two.Joins) != 1 || !two.First.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("#2 after the move: alerts %v, %s, first %s, joins %+v", got, two.Status, two.First, two.Joins)
	}
	three, _ := m.Get(3)
	if three.Status != StatusMerged || three.MergedInto != 1 || len(three.Alerts) != 0 || len(three.Entities) != 0 {
		t.Errorf("#3 after losing its only alert: %s into %d, %d alerts, %d entities", three.Status, three.MergedInto,
			len(three.Alerts), len(three.Entities))
	}
	if len(inc.Parts) != 1 || inc.Parts[0].Incident != 3 || !slices.Equal(inc.Parts[0].Alerts, []event.ID{s.jo.ID}) ||
		inc.Parts[0].Status != StatusNew || inc.Parts[0].Actor != "alice.analyst" {
		t.Errorf("#1 parts %+v, want #3 with jo's alert, status new, by alice.analyst", inc.Parts)
	}
	if got := m.List(Filter{Field: "user.name", Value: "jo"}); len(got) != 1 || got[0].ID != 1 {
		t.Errorf("incidents naming jo: %d, want #1 only", len(got))
	}

	// The audit log says what moved where.
	type moved struct {
		From    int64      `json:"from"`
		Alerts  []event.ID `json:"alerts"`
		Emptied bool       `json:"emptied"`
	}
	var attach struct {
		Alerts []event.ID `json:"alerts"`
		Moved  []moved    `json:"moved"`
	}
	log1, _ := st.AuditLog(ctx, 0, 10, "incident/1")
	if len(log1) != 1 || log1[0].Action != "incident.attach" || log1[0].Actor != "alice.analyst" || log1[0].Remote != "192.0.2.10" {
		t.Fatalf("audit of #1: %+v, want one incident.attach by alice.analyst", log1)
	}
	if err := json.Unmarshal(log1[0].Detail, &attach); err != nil {
		t.Fatal(err)
	}
	wantAttach := []moved{{From: 2, Alerts: []event.ID{s.ivan1.ID}}, {From: 3, Alerts: []event.ID{s.jo.ID}, Emptied: true}}
	if !slices.Equal(attach.Alerts, []event.ID{s.ivan1.ID, s.jo.ID, s.kai.ID}) || !cmp.Equal(attach.Moved, wantAttach) {
		t.Errorf("attach detail %s", log1[0].Detail)
	}
	for target, detail := range map[string]string{
		"incident/2": `{"alerts":[3],"to":1}`,
		"incident/3": `{"alerts":[5],"merged_into":1,"to":1}`,
	} {
		log, _ := st.AuditLog(ctx, 0, 10, target)
		if len(log) != 1 || log[0].Action != "incident.detach" || string(log[0].Detail) != detail {
			t.Errorf("audit of %s: %+v, want incident.detach %s", target, log, detail)
		}
	}

	// Attaching alerts already there changes and audits nothing.
	again, err := m.Attach(ctx, 1, []*event.Event{s.kai, s.hana1}, alice)
	if err != nil || !cmp.Equal(again, inc) {
		t.Errorf("attaching #1's own alerts again: %v, changed %v", err, !cmp.Equal(again, inc))
	}
	if log, _ := st.AuditLog(ctx, 0, 10, ""); len(log) != 3 {
		t.Errorf("%d audit entries after a no-op attach, want 3", len(log))
	}

	// Kai's address now links #1: a later alert about it joins.
	var am alertMaker
	am.next = 100
	later := am.match("r7", "low", t0.Add(-4*time.Hour), "source.ip=198.51.100.7", "user.name=someone")
	add(t, m, later)
	if got := incidentOf(t, m, later).ID; got != 1 {
		t.Errorf("a later alert from kai's address went to #%d, want #1", got)
	}

	// Splitting #3 out of #1 undoes the move of jo's alert.
	if _, err := m.Split(ctx, 1, 3, alice); err != nil {
		t.Fatal(err)
	}
	after3, _ := m.Get(3)
	if got := alertIDs(after3); after3.Status != StatusNew || !slices.Equal(got, []event.ID{s.jo.ID}) ||
		after3.Severity != before3.Severity || after3.Entity("host.name", "srv-9") == nil {
		t.Errorf("#3 after the split: %s with %v, severity %s", after3.Status, got, after3.Severity)
	}
	if one, _ := m.Get(1); one.HasAlert(s.jo.ID) || one.Entity("user.name", "jo") != nil || one.Severity != "high" {
		t.Errorf("#1 still holds jo after the split (severity %s)", one.Severity)
	}
}

// TestAttachPersists: a reloaded Manager holds what Attach stored.
func TestAttachPersists(t *testing.T) {
	m, st := newManager(t, Config{})
	ctx := context.Background()
	s := newAttachSetup(t, m)
	if _, err := m.Attach(ctx, 2, []*event.Event{s.hana1, s.hana2, s.kai}, alice); err != nil {
		t.Fatal(err)
	}
	m2, err := New(Config{}, Deps{Records: st, Audit: st, Now: m.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(m.List(Filter{}), m2.List(Filter{}), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("incidents after reloading (-before +after):\n%s", d)
	}
	one, _ := m2.Get(1)
	if one.Status != StatusMerged || one.MergedInto != 2 {
		t.Errorf("#1, emptied, reloaded as %s into %d", one.Status, one.MergedInto)
	}
	if id, _ := m2.IncidentOf(s.kai.ID); id != 2 {
		t.Errorf("kai's alert reloaded in #%d, want #2", id)
	}
}

// TestAttachLinks: an attached alert naming many accounts lists them
// without linking on them (FanOut), as grouping would.
func TestAttachLinks(t *testing.T) {
	m, _ := newManager(t, Config{})
	var am alertMaker
	add(t, m, am.match("r1", "low", t0, "user.name=hana"))
	spray := am.match("spray", "high", t0, "source.ip=203.0.113.66", "user.name=u1", "user.name=u2", "user.name=u3", "user.name=u4")
	inc, err := m.Attach(context.Background(), 1, []*event.Event{spray}, alice)
	if err != nil {
		t.Fatal(err)
	}
	if en := inc.Entity("source.ip", "203.0.113.66"); en == nil || len(en.Links) != 1 {
		t.Errorf("the spraying address: %+v, want it linking", en)
	}
	for _, u := range []string{"u1", "u4"} {
		if en := inc.Entity("user.name", u); en == nil || len(en.Links) != 0 || len(en.Alerts) != 1 {
			t.Errorf("sprayed account %s: %+v, want it listed, not linking", u, en)
		}
	}
}

func TestAttachErrors(t *testing.T) {
	m, st := newManager(t, Config{MaxAlerts: 3})
	ctx := context.Background()
	s := newAttachSetup(t, m)
	add(t, m, s.kai) // #4
	if _, err := m.SetStatus(ctx, 3, StatusResolved, "", alice); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Merge(ctx, 2, 4, alice); err != nil {
		t.Fatal(err)
	}
	var am alertMaker
	am.next = 100
	extra := am.match("r9", "high", t0, "user.name=lena")
	notAlert := &event.Event{ID: 7, Time: t0, Kind: event.KindEvent}
	unstored := am.match("r9", "high", t0, "user.name=lena")
	unstored.ID = 0
	many := make([]*event.Event, MaxAttach+1)
	for i := range many {
		many[i] = extra
	}
	before := m.List(Filter{})
	logBefore, _ := st.AuditLog(ctx, 0, 100, "")
	for _, tc := range []struct {
		name   string
		id     int64
		alerts []*event.Event
		who    Actor
		is     error
		says   string
	}{
		{"unknown incident", 99, []*event.Event{extra}, alice, ErrNoIncident, "incident 99"},
		{"merged incident", 4, []*event.Event{extra}, alice, ErrTransition, "merged into incident 2"},
		{"closed incident", 3, []*event.Event{extra}, alice, ErrTransition, "it is resolved; reopen it first"},
		{"full incident", 2, []*event.Event{extra}, alice, ErrInput, "4 alerts, more than 3"},
		{"not an alert", 1, []*event.Event{extra, notAlert}, alice, ErrInput, "alert 2 of 2: event 7 is of kind event, not alert"},
		{"nil", 1, []*event.Event{nil}, alice, ErrInput, "alert 1 of 1: nil alert"},
		{"not stored", 1, []*event.Event{unstored}, alice, ErrInput, "has no stored ID"},
		{"no alert", 1, nil, alice, ErrInput, "no alert"},
		{"too many", 1, many, alice, ErrInput, "1001 alerts, more than 1000"},
		{"no actor", 1, []*event.Event{extra}, Actor{}, ErrInput, "actor"},
	} {
		_, err := m.Attach(ctx, tc.id, tc.alerts, tc.who)
		if !errors.Is(err, tc.is) || !strings.Contains(fmt.Sprint(err), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.name, err, tc.is, tc.says)
		}
	}
	if d := cmp.Diff(before, m.List(Filter{}), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("refused attachments changed incidents:\n%s", d)
	}
	if log, _ := st.AuditLog(ctx, 0, 100, ""); len(log) != len(logBefore) {
		t.Errorf("refused attachments were audited: %d entries, want %d", len(log), len(logBefore))
	}
}

// FuzzAttach groups alerts whose entity values are arbitrary, then moves
// some into another incident by hand: every alert stays in exactly one
// incident, the one IncidentOf names, and a reloaded Manager agrees.
func FuzzAttach(f *testing.F) {
	f.Add("alice", `CORP\ALICE`, "ws-07.corp", "10.0.0.1", uint8(3), uint8(1))
	f.Add("", "-", "SYSTEM", "::1", uint8(0), uint8(2))
	f.Add("a@b@c", `\\`, ".", "fe80::1%eth0", uint8(200), uint8(0))
	f.Fuzz(func(t *testing.T, u1, u2, h, ip string, gap, target uint8) {
		checkAttach(t, openStore(t), u1, u2, h, ip, gap, target)
	})
}

// checkAttach is FuzzAttach's check of one input, over a fresh store.
func checkAttach(t *testing.T, st *sqlite.Store, u1, u2, h, ip string, gap, target uint8) {
	ctx := context.Background()
	m, err := New(Config{Grouping: Grouping{CommonAfter: 2}}, Deps{Records: st, Audit: st})
	if err != nil {
		t.Fatal(err)
	}
	var am alertMaker
	at := t0.Add(time.Duration(gap) * time.Hour)
	alerts := []*event.Event{
		am.match("r1", "high", t0, "user.name="+u1, "host.name="+h),
		am.match("r2", "low", at, "user.name="+u2, "source.ip="+ip),
		am.match("r3", "medium", at, "host.name="+u2, "destination.ip="+ip),
	}
	if _, err := m.Add(ctx, alerts[:2]); err != nil {
		t.Fatal(err)
	}
	open := m.List(Filter{Open: true})
	if len(open) == 0 {
		t.Fatal("no open incident after Add")
	}
	into := open[int(target)%len(open)].ID
	if _, err := m.Attach(ctx, into, alerts, alice); err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if id, ok := m.IncidentOf(a.ID); !ok || id != into {
			t.Errorf("alert %d: IncidentOf says %d, %v; want %d", a.ID, id, ok, into)
		}
	}
	seen := map[event.ID]int{}
	for _, inc := range m.List(Filter{}) {
		for _, a := range inc.Alerts {
			seen[a.ID]++
		}
	}
	for _, a := range alerts {
		if seen[a.ID] != 1 {
			t.Errorf("alert %d is in %d incidents", a.ID, seen[a.ID])
		}
	}
	m2, err := New(Config{Grouping: Grouping{CommonAfter: 2}}, Deps{Records: st, Audit: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(m.List(Filter{}), m2.List(Filter{}), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("reloaded incidents differ:\n%s", d)
	}
}
