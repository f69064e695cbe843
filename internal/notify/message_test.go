package notify

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// An alert stored by detect and read back from a real SQLite store becomes
// a message keyed by its incident, or by its rule outside incidents.
func TestAlertMessageFromStoredAlert(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	src := &event.Event{Time: at, Kind: event.KindEvent}
	src.Add(event.UserName, "admin")
	src.Add(event.SourceIP, "203.0.113.7")
	src.Add(event.HostName, "dc-1")
	src.Sort()
	a := detect.Alert{Rule: &sigma.Rule{ID: "5f1a-b", Title: "Mimikatz use", Level: "critical",
		Tags: []string{"attack.credential-access", "attack.t1003.001"}}, Kind: detect.KindMatch,
		Time: at, Event: src, Ref: "Security.evtx#42"}
	if err := st.Append(t.Context(), []*event.Event{a.ToEvent(at.Add(time.Second))}); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Scan(t.Context(), 0, 10)
	if err != nil || len(stored) != 1 {
		t.Fatalf("scan: %d events, %v", len(stored), err)
	}

	got := AlertMessage(stored[0], "", "https://vigie.example.org/alerts/1")
	want := Message{Kind: KindAlert, Time: at, Level: "critical", Title: "Mimikatz use", Rule: "5f1a-b",
		URL: "https://vigie.example.org/alerts/1", Fields: map[string]string{
			"vigie.alert.id": "1", "user.name": "admin", "host.name": "dc-1", "source.ip": "203.0.113.7",
			"threat.technique.id": "T1003.001", "threat.tactic.name": "credential-access"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AlertMessage (-want +got):\n%s", diff)
	}
	if k := normalize(got, time.Now()).Key; k != "rule/5f1a-b" {
		t.Errorf("key %q, want rule/5f1a-b", k)
	}
	if k := normalize(AlertMessage(stored[0], "12", ""), time.Now()).Key; k != "incident/12" {
		t.Errorf("key %q, want incident/12", k)
	}
}

func TestNormalizeBounds(t *testing.T) {
	fields := map[string]string{}
	for i := range 100 {
		fields[strings.Repeat("f", i+1)] = strings.Repeat("v", 1000)
	}
	m := normalize(Message{Kind: KindAlert, Title: strings.Repeat("é", 1000), Text: strings.Repeat("x", 10000),
		Level: "severe", Key: strings.Repeat("k", 1000), Fields: fields}, time.Now())
	if len(m.Title) > maxTitle || !strings.HasSuffix(m.Title, "…") || !strings.HasPrefix(m.Title, "éé") {
		t.Errorf("title of %d bytes: %q…", len(m.Title), m.Title[:10])
	}
	if len(m.Text) > maxText || len(m.Key) > maxShortValue {
		t.Errorf("text %d bytes, key %d bytes", len(m.Text), len(m.Key))
	}
	if m.Level != "medium" {
		t.Errorf("unknown level became %q, want medium", m.Level)
	}
	if len(m.Fields) != maxFields {
		t.Errorf("%d fields kept, want %d", len(m.Fields), maxFields)
	}
	for k, v := range m.Fields {
		if len(k) > maxShortValue || len(v) > maxShortValue {
			t.Errorf("field %d/%d bytes", len(k), len(v))
		}
	}
	if fields["f"] == "" || len(fields["f"]) != 1000 {
		t.Errorf("normalize changed the caller's map")
	}
}
