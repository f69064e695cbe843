package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

func TestJoinOnSharedEntity(t *testing.T) {
	m, _ := newManager(t, Config{})
	var am alertMaker
	a := am.match("r1", "medium", t0, "user.name=alice", "host.name=ws-07.corp.court.example")
	b := am.match("r2", "high", t0.Add(2*time.Hour), `user.name=CORP\Alice`, "host.name=ws-09")
	c := am.match("r3", "low", t0.Add(3*time.Hour), "host.name=WS-07", "source.ip=10.0.0.7")
	d := am.match("r4", "low", t0.Add(4*time.Hour), "destination.ip=::ffff:10.0.0.7")
	ch := add(t, m, a, b, c, d)
	if len(ch) != 1 || ch[0].Kind != ChangeNew || len(ch[0].Alerts) != 4 {
		t.Fatalf("changes %+v, want one new incident with 4 alerts", ch)
	}
	inc := incidentOf(t, m, a)
	want := map[int]string{
		1: "user.name alice appears in both",
		2: "host.name ws-07 appears in both",
		3: "destination.ip 10.0.0.7 (there as source.ip) appears in both",
	}
	for i, because := range want {
		if got := inc.Joins[i].Because; !strings.Contains(got, because) {
			t.Errorf("join %d: %q, want it to say %q", i, got, because)
		}
	}
	if inc.Severity != "high" || !strings.HasPrefix(inc.Title, "Rule r2 — ") {
		t.Errorf("severity %q title %q, want high and the high alert's title", inc.Severity, inc.Title)
	}
	if !inc.First.Equal(t0) || !inc.Last.Equal(t0.Add(4*time.Hour)) || inc.Dwell != 4*time.Hour {
		t.Errorf("first %v last %v dwell %v", inc.First, inc.Last, inc.Dwell)
	}
	if e := inc.Entity("user.name", "ALICE@court.example"); e == nil || len(e.Alerts) != 2 || !slices.Contains(e.Spellings, `CORP\Alice`) {
		t.Errorf("entity alice = %+v, want 2 alerts and the CORP\\Alice spelling", e)
	}
	if !slices.Equal(inc.Techniques, []string{"T1078"}) || !slices.Equal(inc.Tactics, []string{"initial-access"}) {
		t.Errorf("techniques %v tactics %v", inc.Techniques, inc.Tactics)
	}
}

func TestWindow(t *testing.T) {
	m, _ := newManager(t, Config{Grouping: Grouping{Window: 24 * time.Hour}})
	var am alertMaker
	a := am.match("r1", "medium", t0, "user.name=bob")
	inside := am.match("r2", "medium", t0.Add(23*time.Hour), "user.name=bob")
	outside := am.match("r3", "medium", t0.Add(23*time.Hour+25*time.Hour), "user.name=bob")
	late := am.match("r4", "medium", t0.Add(-20*time.Hour), "user.name=bob") // retro-hunt: older
	add(t, m, a, inside, outside, late)
	first := incidentOf(t, m, a).ID
	if incidentOf(t, m, inside).ID != first || incidentOf(t, m, late).ID != first {
		t.Errorf("alerts within a day of the incident's activity did not join it")
	}
	if incidentOf(t, m, outside).ID == first {
		t.Errorf("an alert 25h after the incident's last activity joined it with a 24h window")
	}
}

func TestIgnore(t *testing.T) {
	cfg := Config{Grouping: Grouping{IgnoreFields: map[string][]string{"host.name": {"jump01"}}}}
	m, _ := newManager(t, cfg)
	var am alertMaker
	alerts := [][]string{
		{"user.name=SYSTEM", "source.ip=127.0.0.1", "host.name=jump01.corp"},
		{`user.name=NT AUTHORITY\SYSTEM`, "source.ip=::1", "host.name=JUMP01"},
		{"user.name=-", "destination.ip=0.0.0.0", "host.name=jump01"},
		{"user.name=ANONYMOUS LOGON", "host.name=jump01"},
	}
	ids := map[int64]bool{}
	for _, es := range alerts {
		a := am.match("r", "medium", t0, es...)
		add(t, m, a)
		inc := incidentOf(t, m, a)
		ids[inc.ID] = true
		if len(inc.Entities) != 0 {
			t.Errorf("alert %v: ignored values listed as entities: %+v", es, inc.Entities)
		}
		if !strings.Contains(inc.Joins[0].Because, "no entity to group on") {
			t.Errorf("alert %v: because %q", es, inc.Joins[0].Because)
		}
	}
	if len(ids) != len(alerts) {
		t.Errorf("%d incidents for %d alerts sharing only ignored values", len(ids), len(alerts))
	}
}

// TestCommonCutOff: a server that meets a new user in alert after alert
// (each from another rule) stops gluing them together, while a user met
// again and again with the same hosts keeps joining.
func TestCommonCutOff(t *testing.T) {
	m, _ := newManager(t, Config{Grouping: Grouping{CommonAfter: 5}})
	var am alertMaker
	var first *Incident
	ids := map[int64]bool{}
	for i := range 12 {
		a := am.match(fmt.Sprintf("rule-%d", i), "medium", t0.Add(time.Duration(i)*time.Minute),
			"host.name=dc01", fmt.Sprintf("user.name=user%d", i))
		add(t, m, a)
		inc := incidentOf(t, m, a)
		ids[inc.ID] = true
		if i == 0 {
			first = inc
		}
		// dc01 meets its 6th partner with alert 5: more than 5, a hub.
		if joined := inc.ID == first.ID; joined != (i <= 4) {
			t.Errorf("alert %d: joined the first incident %v, want %v", i, joined, i <= 4)
		}
	}
	if len(ids) != 8 {
		t.Errorf("%d incidents, want 8: one for the first five users, then one per user", len(ids))
	}
	last := m.List(Filter{})[0]
	if e := last.Entity("host.name", "dc01"); e == nil || !e.Common || len(e.Links) != 0 {
		t.Errorf("dc01 in the last incident: %+v, want it listed, common, linking nothing", e)
	}
	// Thirty alerts of one user on the same two hosts: the same partners,
	// so never common.
	var bob *Incident
	for i := range 30 {
		a := am.match(fmt.Sprintf("r%d", i%20), "low", t0.Add(time.Hour+time.Duration(i)*time.Minute),
			"user.name=bob", fmt.Sprintf("host.name=ws-1%d", i%2))
		add(t, m, a)
		inc := incidentOf(t, m, a)
		if bob == nil {
			bob = inc
		}
		if inc.ID != bob.ID {
			t.Fatalf("alert %d of bob did not join bob's incident", i)
		}
	}
	// One alert naming fifty files: they fan out, so they are not bob's
	// partners and do not join.
	var files []string
	for i := range 50 {
		files = append(files, fmt.Sprintf("file.path=/srv/share/doc%d.pdf", i))
	}
	big := am.behaviour("mass_access", t0.Add(2*time.Hour), append(files, "user.name=bob")...)
	after := am.match("rx", "low", t0.Add(3*time.Hour), "user.name=bob", "host.name=ws-10")
	add(t, m, big, after)
	if incidentOf(t, m, big).ID != bob.ID || incidentOf(t, m, after).ID != bob.ID {
		t.Errorf("bob's later alerts left his incident after one alert named 50 files")
	}
	inc := incidentOf(t, m, after)
	if e := inc.Entity("user.name", "bob"); e == nil || e.Common {
		t.Errorf("bob marked common: %+v", e)
	}
	if e := inc.Entity("file.path", "/srv/share/doc7.pdf"); e == nil || len(e.Links) != 0 {
		t.Errorf("a fanned-out file: %+v, want it listed, linking nothing", e)
	}
}

// TestCrowd: one rule meeting one value with many partners is crowd
// behaviour; the crowd keeps to itself, except for the alerts of an actor
// that has an incident of its own.
func TestCrowd(t *testing.T) {
	m, _ := newManager(t, Config{Grouping: Grouping{CommonAfter: 3}})
	var am alertMaker
	beacon := func(i int, src string) *event.Event {
		return am.behaviour("beacon", t0.Add(time.Duration(i)*time.Hour), "source.ip="+src, "destination.domain=updates.example")
	}
	var crowd []*event.Event
	for i := range 8 {
		crowd = append(crowd, beacon(i, fmt.Sprintf("10.0.0.%d", 10+i)))
	}
	// 10.0.0.99 is breached: its own incident exists before its update
	// check, which then joins it, not the crowd.
	breach := am.match("c2", "critical", t0.Add(9*time.Hour), "source.ip=10.0.0.99", "destination.domain=c2.example")
	own := beacon(10, "10.0.0.99")
	// 10.0.0.77 checks for updates, then is breached: the crowd alert
	// moves to its incident.
	early := beacon(11, "10.0.0.77")
	later := am.match("c2", "critical", t0.Add(12*time.Hour), "source.ip=10.0.0.77", "user.name=mallory")
	add(t, m, append(crowd, breach, own, early, later)...)
	c := incidentOf(t, m, crowd[0])
	for i, a := range crowd {
		if incidentOf(t, m, a).ID != c.ID {
			t.Errorf("crowd alert %d left the crowd's incident", i)
		}
	}
	if got := incidentOf(t, m, own); got.ID != incidentOf(t, m, breach).ID {
		t.Errorf("the breached host's own update check went to #%d, not its incident", got.ID)
	}
	got := incidentOf(t, m, early)
	if got.ID != incidentOf(t, m, later).ID || got.ID == c.ID {
		t.Errorf("the crowd alert of 10.0.0.77 stayed in the crowd (#%d) after 10.0.0.77 got an incident", c.ID)
	}
	if j := got.Joins[slices.IndexFunc(got.Joins, func(j Join) bool { return j.Alert == early.ID })].Because; !strings.Contains(j, "moved from crowd incident") {
		t.Errorf("because %q", j)
	}
	if c2 := incidentOf(t, m, crowd[0]); len(c2.Alerts) != 8 || c2.Entity("source.ip", "10.0.0.77") != nil {
		t.Errorf("the crowd's incident after the move: %d alerts", len(c2.Alerts))
	}
}

func TestCommonCutOffOff(t *testing.T) {
	m, _ := newManager(t, Config{Grouping: Grouping{CommonAfter: -1}})
	var am alertMaker
	for i := range 40 {
		add(t, m, am.match(fmt.Sprintf("r%d", i), "low", t0.Add(time.Duration(i)*time.Minute), "host.name=dc01", fmt.Sprintf("user.name=u%d", i)))
	}
	if n := len(m.List(Filter{})); n != 1 {
		t.Errorf("%d incidents with the cut-off turned off, want 1", n)
	}
}

func TestAutoMerge(t *testing.T) {
	m, st := newManager(t, Config{})
	var am alertMaker
	a := am.match("r1", "medium", t0, "user.name=alice", "host.name=ws-07")
	b := am.match("r2", "critical", t0.Add(time.Hour), "user.name=bob", "host.name=srv-01")
	add(t, m, a, b)
	i1, i2 := incidentOf(t, m, a), incidentOf(t, m, b)
	if i1.ID == i2.ID {
		t.Fatal("unrelated alerts share an incident")
	}
	link := am.match("r3", "low", t0.Add(2*time.Hour), "user.name=alice", "host.name=srv-01")
	ch := add(t, m, link)
	got := incidentOf(t, m, link)
	if got.ID != i1.ID || len(got.Alerts) != 3 || !got.HasAlert(b.ID) {
		t.Fatalf("linking alert in #%d with %d alerts, want #%d with all 3", got.ID, len(got.Alerts), i1.ID)
	}
	if got.Severity != "critical" {
		t.Errorf("merged severity %q, want critical", got.Severity)
	}
	merged, _ := m.Get(i2.ID)
	if merged.Status != StatusMerged || merged.MergedInto != i1.ID || len(merged.Alerts) != 0 {
		t.Errorf("absorbed incident: status %s into %d, %d alerts", merged.Status, merged.MergedInto, len(merged.Alerts))
	}
	if len(got.Parts) != 1 || got.Parts[0].Incident != i2.ID || !strings.Contains(got.Parts[0].Reason, "host.name srv-01") {
		t.Errorf("parts %+v, want #%d with a reason naming srv-01", got.Parts, i2.ID)
	}
	kinds := map[int64]string{}
	for _, c := range ch {
		kinds[c.Incident] = c.Kind
	}
	if kinds[i1.ID] != ChangeUpdate || kinds[i2.ID] != ChangeMerged {
		t.Errorf("changes %+v", ch)
	}
	log, err := st.AuditLog(context.Background(), 0, 10, target(i1.ID))
	if err != nil || len(log) != 1 || log[0].Action != "incident.merge" || log[0].Actor != "system" {
		t.Errorf("audit of the merge: %+v, %v", log, err)
	}
}

func TestNoAutoMerge(t *testing.T) {
	off := false
	m, _ := newManager(t, Config{Grouping: Grouping{AutoMerge: &off}})
	var am alertMaker
	a := am.match("r1", "medium", t0, "user.name=alice")
	b := am.match("r2", "medium", t0.Add(time.Hour), "user.name=bob")
	link := am.match("r3", "low", t0.Add(2*time.Hour), "user.name=alice", "user.name=bob")
	add(t, m, a, b, link)
	i1, i2 := incidentOf(t, m, a), incidentOf(t, m, b)
	if incidentOf(t, m, link).ID != i1.ID {
		t.Errorf("linking alert did not join the oldest incident")
	}
	if !slices.Equal(i1.Related, []int64{i2.ID}) || !slices.Equal(i2.Related, []int64{i1.ID}) || i2.Status != StatusNew {
		t.Errorf("related %v and %v, status %s", i1.Related, i2.Related, i2.Status)
	}
	if j := i1.Joins[1].Because; !strings.Contains(j, "marked related") {
		t.Errorf("because %q", j)
	}
}

func TestClosedIncidentTakesNoAlert(t *testing.T) {
	m, _ := newManager(t, Config{})
	ctx := context.Background()
	var am alertMaker
	a := am.match("r1", "medium", t0, "user.name=carol")
	add(t, m, a)
	i1 := incidentOf(t, m, a)
	if _, err := m.SetStatus(ctx, i1.ID, StatusResolved, "", alice); err != nil {
		t.Fatal(err)
	}
	b := am.match("r2", "medium", t0.Add(time.Hour), "user.name=carol")
	add(t, m, b)
	i2 := incidentOf(t, m, b)
	if i2.ID == i1.ID || !slices.Equal(i2.Related, []int64{i1.ID}) {
		t.Errorf("alert after resolution: incident %d related %v, want a new one related to %d", i2.ID, i2.Related, i1.ID)
	}
	if !strings.Contains(i2.Joins[0].Because, "resolved, marked related") {
		t.Errorf("because %q", i2.Joins[0].Because)
	}
}

func TestMaxAlerts(t *testing.T) {
	m, _ := newManager(t, Config{MaxAlerts: 3})
	var am alertMaker
	var alerts []*Incident
	for i := range 5 {
		a := am.match("r", "low", t0.Add(time.Duration(i)*time.Minute), "user.name=dave")
		add(t, m, a)
		alerts = append(alerts, incidentOf(t, m, a))
	}
	if alerts[2].ID != alerts[0].ID || alerts[3].ID == alerts[0].ID || alerts[4].ID != alerts[3].ID {
		t.Errorf("incidents %d %d %d %d %d, want the fourth alert to open a second incident", alerts[0].ID, alerts[1].ID, alerts[2].ID, alerts[3].ID, alerts[4].ID)
	}
	if !slices.Contains(alerts[4].Related, alerts[0].ID) {
		t.Errorf("the continuation is not related to the full incident")
	}
}

func TestAddIdempotent(t *testing.T) {
	m, _ := newManager(t, Config{})
	var am alertMaker
	a := am.match("r1", "medium", t0, "user.name=erin")
	b := am.match("r2", "medium", t0.Add(time.Minute), "user.name=erin")
	add(t, m, a, b)
	before, _ := m.Get(1)
	if ch := add(t, m, b, a, b); len(ch) != 0 {
		t.Errorf("adding known alerts again changed %+v", ch)
	}
	after, _ := m.Get(1)
	if len(after.Alerts) != 2 || len(after.Joins) != 2 || !after.Updated.Equal(before.Updated) {
		t.Errorf("after a second Add: %d alerts, %d joins", len(after.Alerts), len(after.Joins))
	}
	if m.Cursor() != b.ID || len(m.List(Filter{})) != 1 {
		t.Errorf("cursor %d, %d incidents", m.Cursor(), len(m.List(Filter{})))
	}
	// A non-alert is reported, the rest still grouped.
	c := am.match("r3", "low", t0.Add(2*time.Minute), "user.name=erin")
	bad := am.match("r4", "low", t0, "user.name=erin")
	bad.Kind = 0
	ch, err := m.Add(context.Background(), append(slices.Clone([]*event.Event{bad}), c))
	if err == nil || !strings.Contains(err.Error(), "alert 1 of 2") || len(ch) != 1 {
		t.Errorf("Add with a non-alert: %v, changes %+v", err, ch)
	}
}
