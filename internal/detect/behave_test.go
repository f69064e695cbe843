package detect

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// counter finds every third event from one address: a minimal detector
// to test how the engine carries findings.
type counter struct{ N map[string]int }

func (c *counter) Name() string { return "counter" }

func (c *counter) Observe(ev *event.Event, ref string) []behave.Finding {
	ip, _ := ev.Get(event.SourceIP)
	c.N[ip]++
	if c.N[ip]%3 != 0 {
		return nil
	}
	return []behave.Finding{{Detector: "counter", Title: "Three from " + ip, Level: "high", Time: ev.Time,
		Entities: []behave.Entity{{Field: event.SourceIP, Value: ip}, {Field: event.UserName, Value: "a"}, {Field: event.UserName, Value: "b"}},
		Why:      behave.Why{Observed: 3, Unit: "events", Threshold: 3, Window: time.Minute, Text: "3 events"},
		Evidence: []string{ref}, Tags: []string{"attack.t1110"}}}
}

func (c *counter) Advance(time.Time) []behave.Finding { return nil }
func (c *counter) Snapshot(w io.Writer) error         { return json.NewEncoder(w).Encode(c.N) }
func (c *counter) Restore(r io.Reader) error          { return json.NewDecoder(r).Decode(&c.N) }

func TestBehaviourAlerts(t *testing.T) {
	eng := Compile(Config{}, nil).NewEngine()
	eng.SetBehaviour(behave.NewSet(&counter{N: map[string]int{}}))
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ev := func(i int) *event.Event {
		e := &event.Event{Time: at.Add(time.Duration(i) * time.Second)}
		e.Add(event.SourceIP, "10.0.0.9")
		e.Sort()
		return e
	}
	var alerts []Alert
	for i := range 2 {
		alerts = append(alerts, eng.Process(ev(i), strconv.Itoa(i))...)
	}
	// The state carries over a snapshot: the third event completes it.
	var snap bytes.Buffer
	if err := eng.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	eng2 := Compile(Config{}, nil).NewEngine()
	eng2.SetBehaviour(behave.NewSet(&counter{N: map[string]int{}}))
	if err := eng2.Restore(&snap); err != nil {
		t.Fatal(err)
	}
	alerts = append(alerts, eng2.Process(ev(2), "2")...)
	if len(alerts) != 1 || alerts[0].Kind != KindBehaviour || alerts[0].Level() != "high" || alerts[0].Title() != "Three from 10.0.0.9" {
		t.Fatalf("alerts = %+v, want one high behaviour alert after the restore", alerts)
	}
	a := alerts[0]
	stored := a.ToEvent(at)
	for name, want := range map[string]string{"rule.id": "vigie.behave.counter", "vigie.detector": "counter",
		"vigie.alert.kind": "behaviour", "source.ip": "10.0.0.9", "vigie.why.text": "3 events", "vigie.evidence": "2",
		"threat.technique.id": "T1110", "rule.ruleset": "behave"} {
		if v, _ := stored.Get(name); v != want {
			t.Errorf("stored alert %s = %q, want %q", name, v, want)
		}
	}
	j := a.BehaviourJSON()
	b, _ := json.Marshal(j)
	var back map[string]any
	json.Unmarshal(b, &back)
	if back["kind"] != "behaviour" || back["detector"] != "counter" || back["source.ip"] != "10.0.0.9" {
		t.Errorf("JSON %s lacks kind, detector or source.ip", b)
	}
	if users, _ := back["user.name"].([]any); len(users) != 2 {
		t.Errorf("JSON %s: user.name should list both users", b)
	}
	if why, _ := back["why"].(map[string]any); why["window_seconds"] != 60.0 || why["text"] != "3 events" {
		t.Errorf("JSON why = %v", back["why"])
	}
}
