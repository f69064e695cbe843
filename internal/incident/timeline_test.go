package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// logEvent is a stored log record naming entities.
func logEvent(at time.Time, msg string, entities ...string) *event.Event {
	ev := &event.Event{Time: at, Received: at, Source: "test", Format: "jsonl", Raw: []byte(msg)}
	ev.Add(event.Message, msg)
	for _, kv := range entities {
		k, v, _ := cutKV(kv)
		ev.Add(k, v)
	}
	ev.Sort()
	return ev
}

func cutKV(kv string) (string, string, bool) {
	for i := range len(kv) {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// timelineFixture stores events of alice (as CORP\alice and
// alice@court.example) on ws-07.corp, of bob elsewhere, and two alerts
// on alice, and groups the alerts.
func timelineFixture(t *testing.T) (*Manager, store.Store, *Incident, []*event.Event) {
	t.Helper()
	m, st := newManager(t, Config{})
	ctx := context.Background()
	var evs []*event.Event
	for i := range 10 {
		at := t0.Add(time.Duration(i) * time.Hour)
		evs = append(evs,
			logEvent(at, fmt.Sprintf("alice logon %d", i), `user.name=CORP\alice`, "host.name=ws-07.corp.court.example"),
			logEvent(at.Add(time.Minute), fmt.Sprintf("bob logon %d", i), "user.name=bob", "host.name=ws-99"),
		)
	}
	evs = append(evs, logEvent(t0.Add(11*time.Hour), "mail", "user.name=alice@court.example"),
		logEvent(t0.Add(12*time.Hour), "flow", "source.ip=10.9.9.9", "destination.ip=10.0.0.7"))
	if err := st.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var am alertMaker
	alerts := []*event.Event{
		am.match("r1", "high", t0.Add(3*time.Hour), `user.name=CORP\alice`, "host.name=ws-07.corp.court.example"),
		am.match("r2", "medium", t0.Add(5*time.Hour), "user.name=alice", "source.ip=10.0.0.7"),
		am.match("r9", "low", t0.Add(5*time.Hour), "user.name=bob"),
	}
	if err := st.Append(ctx, alerts); err != nil { // sets the stored IDs
		t.Fatal(err)
	}
	add(t, m, alerts...)
	inc, err := m.Get(1)
	if err != nil || len(inc.Alerts) != 2 {
		t.Fatalf("incident 1: %+v, %v", inc, err)
	}
	return m, st, inc, evs
}

func TestTimeline(t *testing.T) {
	_, st, inc, _ := timelineFixture(t)
	ctx := context.Background()
	items, err := Timeline(ctx, st, inc, TimelineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// alice's 10 logons, the mail, the flow to 10.0.0.7, and her 2 alerts.
	if len(items) != 14 {
		t.Fatalf("%d items, want 14", len(items))
	}
	alerts := 0
	for i, it := range items {
		if i > 0 && it.Time.After(items[i-1].Time) {
			t.Errorf("item %d is newer than the one before: not newest first", i)
		}
		if v, _ := it.Event.Get("user.name"); v == "bob" {
			t.Errorf("bob's event %q in alice's timeline", it.Title)
		}
		if it.Kind == "alert" {
			alerts++
			if !it.InIncident {
				t.Errorf("alert %d not marked as the incident's", it.ID)
			}
		}
	}
	if alerts != 2 {
		t.Errorf("%d alerts in the timeline, want 2", alerts)
	}

	only, err := Timeline(ctx, st, inc, TimelineFilter{Kinds: []string{"alert"}})
	if err != nil || len(only) != 2 || only[0].Title != "Rule r2" {
		t.Errorf("alerts only: %d items, %v", len(only), err)
	}
	q, err := Timeline(ctx, st, inc, TimelineFilter{Query: `"logon 3" OR mail`, From: t0.Add(3 * time.Hour)})
	if err != nil || len(q) != 2 {
		t.Errorf("query: %d items, %v", len(q), err)
	}
	var se *query.SyntaxError
	if _, err := Timeline(ctx, st, inc, TimelineFilter{Query: "user.name:(alice"}); !errors.As(err, &se) {
		t.Errorf("bad query: %v, want a *query.SyntaxError", err)
	}
	if _, err := Timeline(ctx, st, inc, TimelineFilter{Kinds: []string{"log"}}); err == nil {
		t.Error("unknown kind accepted")
	}

	// Pages of 4 give every item once, in the same order.
	var paged []event.ID
	f := TimelineFilter{Limit: 4}
	for range 10 {
		page, err := Timeline(ctx, st, inc, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, it := range page {
			paged = append(paged, it.ID)
		}
		f.Before = page[len(page)-1].ID
	}
	var all []event.ID
	for _, it := range items {
		all = append(all, it.ID)
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paged %v, want %v", paged, all)
	}
}

func TestEntityView(t *testing.T) {
	m, st, _, _ := timelineFixture(t)
	ctx := context.Background()
	info, err := EntityView(ctx, st, m, "user.name", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	// 10 logons and a mail (t0 .. t0+11h) and 2 alerts (t0+3h, t0+5h).
	if info.Value != "alice" || info.Events != 13 || !info.First.Equal(t0) || !info.Last.Equal(t0.Add(11*time.Hour)) {
		t.Errorf("alice: value %q, %d events, first %v, last %v", info.Value, info.Events, info.First, info.Last)
	}
	if len(info.PerDay) != 1 || info.PerDay[0] != (DayCount{Day: "2026-11-02", Count: 13}) || info.MedianPerDay != 13 {
		t.Errorf("per day %+v median %v", info.PerDay, info.MedianPerDay)
	}
	if info.AlertCount != 2 || len(info.Alerts) != 2 {
		t.Errorf("%d alerts (%d listed), want 2", info.AlertCount, len(info.Alerts))
	}
	if len(info.Incidents) != 1 || info.Incidents[0].ID != 1 || info.Incidents[0].Alerts != 2 {
		t.Errorf("incidents %+v", info.Incidents)
	}
	hosts := info.Usual["host.name"]
	if len(hosts) == 0 || hosts[0] != (ValueCount{Value: "ws-07.corp.court.example", Count: 11}) {
		t.Errorf("usual hosts %+v", hosts)
	}

	// An address is searched as a source and as a destination.
	ip, err := EntityView(ctx, st, m, "source.ip", "10.0.0.7")
	if err != nil || ip.Events != 2 || ip.AlertCount != 1 {
		t.Errorf("10.0.0.7: %+v, %v", ip, err)
	}
	none, err := EntityView(ctx, st, nil, "host.name", "nowhere")
	if err != nil || none.Events != 0 || !none.First.IsZero() || none.Incidents != nil {
		t.Errorf("unknown host: %+v, %v", none, err)
	}
	if _, err := EntityView(ctx, st, m, "file.path", "/x"); !errors.Is(err, ErrInput) {
		t.Errorf("unindexed field: %v", err)
	}
}

// TestEntityViewHistory: first seen is found by counting over a long
// history, and the baseline counts the days without events.
func TestEntityViewHistory(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var evs []*event.Event
	// host srv-5: 3 events on day 0, none on days 1-2, 1 on day 3,
	// 5 on day 40; 12,000 events of another host in between.
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	for i := range 3 {
		evs = append(evs, logEvent(day(0).Add(time.Duration(i)*time.Minute), "a", "host.name=srv-5"))
	}
	evs = append(evs, logEvent(day(3), "b", "host.name=SRV-5.corp"))
	for i := range 5 {
		evs = append(evs, logEvent(day(40).Add(time.Duration(i)*time.Second), "c", "host.name=srv-5"))
	}
	for i := range 12_000 {
		evs = append(evs, logEvent(day(1).Add(time.Duration(i)*time.Second), "noise", "host.name=other"))
	}
	if err := st.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	info, err := EntityView(ctx, st, nil, "host.name", "srv-5")
	if err != nil {
		t.Fatal(err)
	}
	if !info.First.Equal(day(0)) || !info.Last.Equal(day(40).Add(4*time.Second)) || info.Events != 9 {
		t.Errorf("first %v last %v events %d", info.First, info.Last, info.Events)
	}
	if len(info.PerDay) != 41 || info.PerDay[0].Count != 3 || info.PerDay[3].Count != 1 || info.PerDay[40].Count != 5 || info.MedianPerDay != 0 {
		t.Errorf("%d days, median %v: %+v", len(info.PerDay), info.MedianPerDay, info.PerDay[:4])
	}
	busy, err := EntityView(ctx, st, nil, "host.name", "other")
	if err != nil || busy.Events != 12_000 || !busy.First.Equal(day(1)) {
		t.Errorf("busy host: %d events, first %v, %v", busy.Events, busy.First, err)
	}
}
