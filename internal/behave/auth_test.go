package behave

import (
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

func TestAuthOf(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	mk := func(kv ...string) *event.Event {
		e := &event.Event{Time: at, Format: "syslog"}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Add(kv[i], kv[i+1])
		}
		e.Sort()
		return e
	}
	a, ok := AuthOf(mk(event.EventCategory, "authentication", event.EventOutcome, "failure",
		event.UserName, "Root", event.SourceIP, "203.0.113.45", event.HostName, "Web01", event.ProcessName, "sshd"))
	if !ok || a.User != "root" || a.Source != "203.0.113.45" || a.Host != "web01" || a.Success || a.Service != "syslog/sshd" {
		t.Errorf("sshd failure: %+v %v", a, ok)
	}
	if _, ok := AuthOf(mk(event.EventCategory, "authentication", event.EventType, "end", event.EventOutcome, "success", event.UserName, "x")); ok {
		t.Error("a logoff counted as an attempt")
	}
	if _, ok := AuthOf(mk(event.EventCategory, "process", event.EventOutcome, "success", event.UserName, "x")); ok {
		t.Error("a process event counted as an attempt")
	}
	if a, ok := AuthOf(mk(event.EventCategory, "authentication", event.EventOutcome, "success", event.UserName, "bob", event.SourceIP, "-")); !ok || a.Source != "" {
		t.Errorf("source '-' not cleared: %+v", a)
	}
}
