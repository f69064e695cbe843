package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

func TestStatusTransitions(t *testing.T) {
	tests := []struct {
		from, to Status
		ok       bool
	}{
		{StatusNew, StatusInvestigating, true},
		{StatusNew, StatusResolved, true},
		{StatusNew, StatusNew, false},
		{StatusInvestigating, StatusContained, true},
		{StatusInvestigating, StatusNew, false},
		{StatusContained, StatusInvestigating, true},
		{StatusContained, StatusResolved, true},
		{StatusResolved, StatusInvestigating, true},
		{StatusResolved, StatusContained, false},
		{StatusResolved, StatusNew, false},
		{StatusFalsePositive, StatusInvestigating, true},
		{StatusFalsePositive, StatusResolved, false},
		{StatusMerged, StatusInvestigating, false},
		{StatusNew, StatusMerged, false},
		{StatusNew, "bogus", false},
	}
	for _, tt := range tests {
		if got := tt.from.CanMove(tt.to); got != tt.ok {
			t.Errorf("%s → %s allowed %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
}

func TestAnalystActionsAudited(t *testing.T) {
	m, st := newManager(t, Config{})
	ctx := context.Background()
	var am alertMaker
	add(t, m, am.match("r1", "medium", t0, "user.name=frank"))
	steps := []struct {
		action string
		do     func() (*Incident, error)
	}{
		{"incident.status", func() (*Incident, error) { return m.SetStatus(ctx, 1, StatusInvestigating, "", alice) }},
		{"incident.assign", func() (*Incident, error) { return m.Assign(ctx, 1, "bob.analyst", alice) }},
		{"incident.note", func() (*Incident, error) { return m.AddNote(ctx, 1, "called the user", alice) }},
		{"incident.tags", func() (*Incident, error) { return m.SetTags(ctx, 1, []string{"vpn", "phishing", "vpn"}, alice) }},
		{"incident.severity", func() (*Incident, error) { return m.SetSeverity(ctx, 1, "critical", alice) }},
		{"incident.title", func() (*Incident, error) { return m.SetTitle(ctx, 1, "Frank's account used from abroad", alice) }},
		{"incident.status", func() (*Incident, error) { return m.SetStatus(ctx, 1, StatusResolved, "", alice) }},
		{"incident.reopen", func() (*Incident, error) {
			return m.SetStatus(ctx, 1, StatusInvestigating, "the user saw it again", alice)
		}},
		{"incident.status", func() (*Incident, error) {
			return m.SetStatus(ctx, 1, StatusFalsePositive, "travel approved", alice)
		}},
	}
	for _, s := range steps {
		if _, err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
	}
	inc, _ := m.Get(1)
	if inc.Status != StatusFalsePositive || inc.Reason != "travel approved" || inc.Assignee != "bob.analyst" ||
		!cmp.Equal(inc.Tags, []string{"phishing", "vpn"}) || inc.EffectiveSeverity() != "critical" || inc.Severity != "medium" ||
		inc.Title != "Frank's account used from abroad" || len(inc.Notes) != 1 || inc.Notes[0].Author != "alice.analyst" {
		t.Errorf("after the actions: %+v", inc)
	}
	log, err := st.AuditLog(ctx, 0, 100, "incident/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != len(steps) {
		t.Fatalf("%d audit entries, want %d", len(log), len(steps))
	}
	for i, e := range log {
		if e.Action != steps[i].action || e.Actor != "alice.analyst" || e.Remote != "192.0.2.10" || e.Target != "incident/1" {
			t.Errorf("entry %d: %+v, want %s by alice.analyst from 192.0.2.10", i, e, steps[i].action)
		}
	}
	var reopen map[string]string
	if err := json.Unmarshal(log[7].Detail, &reopen); err != nil || reopen["from"] != "resolved" || reopen["reason"] != "the user saw it again" {
		t.Errorf("reopen detail %s: %v", log[7].Detail, err)
	}
}

func TestActionErrors(t *testing.T) {
	m, st := newManager(t, Config{})
	ctx := context.Background()
	var am alertMaker
	add(t, m, am.match("r1", "medium", t0, "user.name=gina"))
	if _, err := m.SetStatus(ctx, 1, StatusFalsePositive, " ", alice); !errors.Is(err, ErrInput) {
		t.Errorf("false positive without a reason: %v", err)
	}
	if _, err := m.SetStatus(ctx, 1, StatusNew, "", alice); !errors.Is(err, ErrTransition) {
		t.Errorf("new to new: %v", err)
	}
	if _, err := m.SetStatus(ctx, 9, StatusResolved, "", alice); !errors.Is(err, ErrNoIncident) {
		t.Errorf("unknown incident: %v", err)
	}
	if _, err := m.SetSeverity(ctx, 1, "severe", alice); !errors.Is(err, ErrInput) {
		t.Errorf("bad level: %v", err)
	}
	if _, err := m.AddNote(ctx, 1, string(make([]byte, maxNoteLen+1)), alice); !errors.Is(err, ErrInput) {
		t.Errorf("huge note: %v", err)
	}
	if _, err := m.Assign(ctx, 1, "x", Actor{}); !errors.Is(err, ErrInput) {
		t.Errorf("no actor: %v", err)
	}
	if log, _ := st.AuditLog(ctx, 0, 10, ""); len(log) != 0 {
		t.Errorf("refused actions were audited: %+v", log)
	}
}

// TestMergeThenSplit: splitting restores both incidents as they were.
func TestMergeThenSplit(t *testing.T) {
	m, st := newManager(t, Config{})
	ctx := context.Background()
	var am alertMaker
	add(t, m,
		am.match("r1", "medium", t0, "user.name=hana", "host.name=ws-1"),
		am.match("r2", "low", t0.Add(time.Hour), "user.name=hana", "source.ip=10.1.1.1"),
		am.match("r3", "high", t0.Add(30*time.Minute), "user.name=ivan", "host.name=ws-2"),
		am.match("r4", "medium", t0.Add(2*time.Hour), "user.name=ivan", "host.name=ws-1"), // links: auto-merged
		am.match("r5", "critical", t0.Add(48*time.Hour), "user.name=jo", "host.name=srv-9"),
	)
	// #2 (ivan) was merged into #1 by alert 4; #3 is jo's.
	if _, err := m.SetStatus(ctx, 3, StatusContained, "", alice); err != nil {
		t.Fatal(err)
	}
	before1, _ := m.Get(1)
	before3, _ := m.Get(3)
	if len(before1.Alerts) != 4 || before3.Status != StatusContained {
		t.Fatalf("setup: #1 has %d alerts, #3 is %s", len(before1.Alerts), before3.Status)
	}
	merged, err := m.Merge(ctx, 1, 3, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Alerts) != 5 || merged.Severity != "critical" || merged.Entity("host.name", "srv-9") == nil {
		t.Errorf("merged: %d alerts, severity %s", len(merged.Alerts), merged.Severity)
	}
	if _, err := m.Merge(ctx, 1, 3, alice); !errors.Is(err, ErrTransition) {
		t.Errorf("merging a merged incident again: %v", err)
	}
	if got := m.List(Filter{Field: "host.name", Value: "SRV-9.corp"}); len(got) != 1 || got[0].ID != 1 {
		t.Errorf("incidents naming srv-9 while merged: %d", len(got))
	}
	if _, err := m.SetStatus(ctx, 3, StatusResolved, "", alice); !errors.Is(err, ErrTransition) {
		t.Errorf("status of a merged incident changed: %v", err)
	}
	if _, err := m.Split(ctx, 1, 3, alice); err != nil {
		t.Fatal(err)
	}
	after1, _ := m.Get(1)
	after3, _ := m.Get(3)
	opts := []cmp.Option{cmpopts.IgnoreFields(Incident{}, "Updated"), cmpopts.EquateEmpty()}
	if d := cmp.Diff(before1, after1, opts...); d != "" {
		t.Errorf("#1 after merge and split (-before +after):\n%s", d)
	}
	if d := cmp.Diff(before3, after3, opts...); d != "" {
		t.Errorf("#3 after merge and split (-before +after):\n%s", d)
	}
	if _, err := m.Split(ctx, 1, 3, alice); !errors.Is(err, ErrTransition) {
		t.Errorf("splitting twice: %v", err)
	}
	// The automatic merge of #2 into #1 splits too: ivan's alert goes
	// back, the linking alert 4 stays in #1 (it joined #1).
	if _, err := m.Split(ctx, 1, 2, alice); err != nil {
		t.Fatal(err)
	}
	one, _ := m.Get(1)
	two, _ := m.Get(2)
	if two.Status != StatusNew || len(two.Alerts) != 1 || two.Alerts[0].RuleID != "r3" || len(one.Alerts) != 3 ||
		one.Entity("user.name", "ivan") == nil || two.Entity("user.name", "ivan") == nil || one.Entity("host.name", "ws-2") != nil {
		t.Errorf("after splitting the auto-merge: #1 %+v\n#2 %+v", one.Alerts, two)
	}
	log, _ := st.AuditLog(ctx, 0, 100, "incident/3")
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if !cmp.Equal(actions, []string{"incident.status", "incident.merged_into", "incident.split_from"}) {
		t.Errorf("audit of #3: %v", actions)
	}
}

// TestPersistence: incidents, the cursor and the grouping state survive
// closing and reopening a real SQLite store.
func TestPersistence(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/events.db"
	st, err := sqlite.Open(path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: t0.Add(time.Hour)}
	m, err := New(Config{Grouping: Grouping{CommonAfter: 3}}, Deps{Records: st, Audit: st, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	var am alertMaker
	for i := range 4 { // dc01 meets four new users: common from the fourth
		add(t, m, am.match(fmt.Sprintf("r%d", i), "low", t0.Add(time.Duration(i)*time.Minute), "host.name=dc01", fmt.Sprintf("user.name=u%d", i)))
	}
	add(t, m, am.match("r", "low", t0, "user.name=kim"))
	if _, err := m.AddNote(ctx, 1, "first note", alice); err != nil {
		t.Fatal(err)
	}
	want := m.List(Filter{})
	cursor := m.Cursor()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = sqlite.Open(path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m2, err := New(Config{Grouping: Grouping{CommonAfter: 3}}, Deps{Records: st, Audit: st, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, m2.List(Filter{}), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("incidents after reopening (-before +after):\n%s", d)
	}
	if m2.Cursor() != cursor || cursor != 5 {
		t.Errorf("cursor %d after reopening, want %d", m2.Cursor(), cursor)
	}
	// Grouping goes on where it stopped: kim's alert joins kim's incident,
	// dc01 is still common, and the next incident gets the next ID.
	kim := am.match("r", "low", t0.Add(time.Hour), "user.name=KIM")
	dc := am.match("r4", "low", t0.Add(time.Hour), "host.name=dc01", "user.name=u4")
	add(t, m2, kim, dc)
	if incidentOf(t, m2, kim).ID != 3 {
		t.Errorf("kim's alert went to #%d, want #3", incidentOf(t, m2, kim).ID)
	}
	if got := incidentOf(t, m2, dc).ID; got != 4 {
		t.Errorf("dc01's new user went to #%d, want a new incident #4 (dc01 is common)", got)
	}
}
