package breachtest

import (
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

// TestLoad checks what every user of the package relies on: events under
// the IDs their references name, the labelled records among them, and
// alerts whose evidence names stored events.
func TestLoad(t *testing.T) {
	b := Load(t)
	if len(b.Refs) != b.Events || b.Events == 0 {
		t.Fatalf("%d references for %d events", len(b.Refs), b.Events)
	}
	labelled := 0
	for id := range b.Refs {
		if _, ok := b.Labelled(id); ok {
			labelled++
		}
	}
	if labelled != len(b.Labels) {
		t.Errorf("%d stored events are labelled, labels.jsonl has %d lines", labelled, len(b.Labels))
	}
	if len(b.Alerts) == 0 {
		t.Fatal("no alerts")
	}
	onBreach := 0
	for _, a := range b.Alerts {
		if a.ID <= 0 || int(a.ID) <= b.Events {
			t.Fatalf("alert ID %d among the events' IDs", a.ID)
		}
		for _, f := range a.Values("vigie.evidence") {
			var id int64
			for _, c := range f.Value {
				id = id*10 + int64(c-'0')
			}
			if _, ok := b.Labelled(event.ID(id)); ok {
				onBreach++
				break
			}
		}
	}
	t.Logf("%d events, %d labelled, %d alerts, %d with breach evidence", b.Events, labelled, len(b.Alerts), onBreach)
	if onBreach < 10 {
		t.Errorf("only %d alerts have breach records as evidence", onBreach)
	}
	again := Load(t)
	if len(again.Alerts) != len(b.Alerts) || again.Alerts[0].ID != b.Alerts[0].ID {
		t.Errorf("second Load: %d alerts from ID %d, first: %d from %d", len(again.Alerts), again.Alerts[0].ID, len(b.Alerts), b.Alerts[0].ID)
	}
}
