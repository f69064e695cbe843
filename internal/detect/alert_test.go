package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/correlate"
)

func TestTechniques(t *testing.T) {
	tech, tact := Techniques([]string{"attack.t1059.001", "attack.execution", "attack.defense_evasion",
		"attack.g0016", "attack.s0002", "cve.2021-44228", "ATTACK.T1003"})
	if want := []string{"T1059.001", "T1003"}; !slices.Equal(tech, want) {
		t.Errorf("techniques = %v, want %v", tech, want)
	}
	if want := []string{"execution", "defense-evasion"}; !slices.Equal(tact, want) {
		t.Errorf("tactics = %v, want %v", tact, want)
	}
}

func TestLevels(t *testing.T) {
	if !LevelAtLeast("high", "medium") || LevelAtLeast("low", "medium") || !LevelAtLeast("low", "") {
		t.Error("LevelAtLeast orders levels wrongly")
	}
	if ValidLevel("severe") || !ValidLevel("critical") {
		t.Error("ValidLevel accepts a non-Sigma level or refuses critical")
	}
}

func TestAlertToEvent(t *testing.T) {
	r := &sigma.Rule{ID: "r-1", Title: "Mimikatz", Level: "high", Tags: []string{"attack.t1003.001", "attack.credential-access"}}
	ev := &event.Event{ID: 42, Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	ev.Add(event.UserName, "alice")
	ev.Add(event.HostName, "ws1")
	ev.Add("CommandLine", "mimikatz.exe")
	ev.Sort()
	a := matchAlert(r, ev, "42")
	got := a.ToEvent(time.Date(2026, 3, 1, 10, 0, 5, 0, time.UTC))
	if got.Kind != event.KindAlert || !got.Time.Equal(ev.Time) || len(got.Raw) == 0 {
		t.Fatalf("alert event = %v; want kind alert at the event's time with a raw JSON", got)
	}
	for name, want := range map[string]string{
		"rule.id": "r-1", "rule.name": "Mimikatz", "rule.level": "high", "event.severity": "73",
		"vigie.evidence": "42", "threat.technique.id": "T1003.001", "threat.tactic.name": "credential-access",
		event.UserName: "alice", event.HostName: "ws1", "vigie.alert.kind": "match",
	} {
		if v, _ := got.Get(name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
	if _, ok := got.Get("CommandLine"); ok {
		t.Error("the alert copies event fields other than entities; evidence is referred to, not copied")
	}

	c := hitAlert(correlate.Hit{Rule: r, Group: []correlate.KV{{Name: "IpAddress", Value: "10.0.0.9"}},
		First: ev.Time, Last: ev.Time.Add(time.Minute), Value: 12, Refs: []string{"1", "2"}})
	ce := c.ToEvent(time.Now())
	if v, _ := ce.Get(event.SourceIP); v != "10.0.0.9" {
		t.Errorf("correlation grouped by IpAddress has source.ip %q, want 10.0.0.9", v)
	}
	if vs := ce.Values("vigie.evidence"); len(vs) != 2 {
		t.Errorf("correlation evidence = %v, want 2 refs", vs)
	}
	if m := c.Message(); m != "Mimikatz (IpAddress=10.0.0.9)" {
		t.Errorf("Message = %q", m)
	}
}
