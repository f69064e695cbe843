package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/event"
)

func TestAlerts(t *testing.T) {
	e := newEnv(t, 0)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	alert := func(i int, rule, level, sev, user string) *event.Event {
		ev := &event.Event{Time: at.Add(time.Duration(i) * time.Minute), Kind: event.KindAlert, Format: "alert", Raw: []byte("{}")}
		ev.Add("rule.id", rule)
		ev.Add("rule.name", "rule "+rule)
		ev.Add("rule.level", level)
		ev.AddTyped("event.severity", sev, event.Number)
		ev.Add("vigie.alert.kind", "match")
		ev.Add("vigie.evidence", "7")
		ev.Add("tags", "attack.t1110")
		ev.Add(event.UserName, user)
		ev.Sort()
		return ev
	}
	plain := &event.Event{Time: at, Raw: []byte("not an alert")}
	plain.Add(event.UserName, "alice")
	if err := e.pipe.Submit(context.Background(), []*event.Event{
		alert(1, "r1", "low", "31", "alice"), alert(2, "r2", "high", "73", "bob"), plain,
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want []string // rule ids, newest first
	}{
		{"/api/v1/alerts", []string{"r2", "r1"}},
		{"/api/v1/alerts?level=high", []string{"r2"}},
		{"/api/v1/alerts?q=user.name:alice", []string{"r1"}},
	} {
		resp, body := e.do(t, "GET", tc.path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %s", tc.path, resp.Status, body)
		}
		var got api.AlertsResponse
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got.Alerts {
			ids = append(ids, a.RuleID)
			if len(a.Evidence) != 1 || a.Evidence[0] != "7" || a.Kind != "match" {
				t.Errorf("GET %s: alert %+v lacks its evidence or kind", tc.path, a)
			}
		}
		if len(ids) != len(tc.want) || (len(ids) > 0 && ids[0] != tc.want[0]) {
			t.Errorf("GET %s: rule ids %v, want %v", tc.path, ids, tc.want)
		}
	}
	if resp, body := e.do(t, "GET", "/api/v1/alerts?level=severe", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("level=severe: %s %s, want 400", resp.Status, body)
	}
}
