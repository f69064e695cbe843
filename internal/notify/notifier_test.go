package notify

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func hook(url string) TargetConfig {
	return TargetConfig{Type: TypeWebhook, URL: url, AllowPrivate: true, Secret: "s3cret"}
}

// A storm of 1,000 alerts of one incident within GroupWait reaches each
// target as exactly one notification that counts 1,000 changes.
func TestStormBecomesOneNotificationPerTarget(t *testing.T) {
	srvA, gotA := newReceiver(t, http.StatusOK)
	srvB, gotB := newReceiver(t, http.StatusNoContent)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	gotSyslog := make(chan string, 10)
	go readOctetCounted(t, ln, gotSyslog)

	wait := 500 * time.Millisecond
	n := start(t, Config{GroupWait: wait, Targets: map[string]TargetConfig{
		"a": hook(srvA.URL), "b": hook(srvB.URL),
		"siem": {Type: TypeSyslog, Network: "tcp", Address: ln.Addr().String()},
	}})
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	began := time.Now()
	for i := range 1000 {
		n.Notify(Message{Kind: KindIncidentUpdate, Incident: "12", Level: []string{"medium", "high"}[i%2],
			Time: t0.Add(time.Duration(i) * time.Second), Title: fmt.Sprintf("alert %d", i),
			URL: "https://vigie.example.org/incidents/12"})
	}
	if d := time.Since(began); d > wait {
		t.Fatalf("1,000 Notify calls took %s, longer than GroupWait %s", d, wait)
	}
	for name, ch := range map[string]chan received{"a": gotA, "b": gotB} {
		r := next(t, ch, 5*time.Second, "notification at "+name)
		if r.n.Changes != 1000 || r.n.Key != "incident/12" || r.n.Level != "high" || len(r.n.Listed) != maxListed {
			t.Errorf("%s: changes %d, key %q, level %q, listed %d; want 1000, incident/12, high, %d",
				name, r.n.Changes, r.n.Key, r.n.Level, len(r.n.Listed), maxListed)
		}
		if !r.n.First.Equal(t0) || !r.n.Last.Equal(t0.Add(999*time.Second)) {
			t.Errorf("%s: first %s last %s, want %s and %s", name, r.n.First, r.n.Last, t0, t0.Add(999*time.Second))
		}
		text := r.n.Text()
		for _, want := range []string{"1000 changes from 2025-03-01T10:00:00Z to 2025-03-01T10:16:39Z", "- and 980 more changes\n", "alert 19"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: text lacks %q:\n%s", name, want, text)
			}
		}
		if s := r.n.Subject(); s != "[Vigie] HIGH incident 12: alert 0 (+999 changes)" {
			t.Errorf("%s: subject %q", name, s)
		}
	}
	line := next(t, gotSyslog, 5*time.Second, "syslog record")
	if !strings.Contains(line, " cnt=1000 ") {
		t.Errorf("syslog record does not count 1000 changes: %s", line)
	}
	nothing(t, gotA, 3*wait, "second notification at a")
	nothing(t, gotB, 0, "second notification at b")
	nothing(t, gotSyslog, 0, "second syslog record")
	for _, name := range []string{"a", "b", "siem"} {
		s, _ := n.Stats(name)
		if s != (Stats{Sent: 1, Grouped: 999}) {
			t.Errorf("%s: stats %+v, want Sent 1, Grouped 999", name, s)
		}
	}
}

// A webhook that never answers delays neither Notify nor another target.
func TestHangingTargetDelaysNobody(t *testing.T) {
	release := make(chan struct{})
	hung := make(chan struct{}, 100)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung <- struct{}{}
		<-release
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) }) // runs before hanging.Close
	srv, got := newReceiver(t, http.StatusOK)

	slow := hook(hanging.URL)
	slow.Timeout = time.Minute
	n := start(t, Config{GroupWait: 50 * time.Millisecond, Targets: map[string]TargetConfig{
		"hangs": slow, "works": hook(srv.URL),
	}})
	n.Notify(Message{Kind: KindAlert, Rule: "r1", Title: "first", Level: "high"})
	next(t, hung, 5*time.Second, "request at the hanging server")
	next(t, got, 5*time.Second, "first notification at the working target")

	// The hanging target's sender is stuck; messages keep coming.
	var slowest time.Duration
	for i := range 2000 {
		began := time.Now()
		n.Notify(Message{Kind: KindAlert, Rule: fmt.Sprintf("r%d", i%3), Title: "storm", Level: "high"})
		slowest = max(slowest, time.Since(began))
	}
	if slowest > 50*time.Millisecond {
		t.Errorf("slowest Notify took %s while a target hangs", slowest)
	}
	began := time.Now()
	for range 3 { // one notification per rule key
		next(t, got, 2*time.Second, "notification at the working target while the other hangs")
	}
	t.Logf("working target got its 3 notifications %s after the storm", time.Since(began))
	waitStats(t, n, "works", func(s Stats) bool { return s.Sent == 4 }, "4 sent")
}

// Routes decide who is told what: min_level high does not send medium.
func TestRouteMinLevel(t *testing.T) {
	srvUrgent, urgent := newReceiver(t, http.StatusOK)
	srvAll, all := newReceiver(t, http.StatusOK)
	n := start(t, Config{GroupWait: 50 * time.Millisecond,
		Targets: map[string]TargetConfig{"urgent": hook(srvUrgent.URL), "all": hook(srvAll.URL)},
		Routes: []Route{
			{Name: "pager", Targets: []string{"urgent"}, MinLevel: "high"},
			{Name: "everything", Targets: []string{"all"}},
		}})
	n.Notify(Message{Kind: KindAlert, Rule: "medium-rule", Level: "medium", Title: "medium one"})
	n.Notify(Message{Kind: KindAlert, Rule: "high-rule", Level: "high", Title: "high one"})
	n.Notify(Message{Kind: KindAlert, Rule: "critical-rule", Level: "critical", Title: "critical one"})

	keys := map[string]bool{}
	for range 2 {
		keys[next(t, urgent, 5*time.Second, "urgent notification").n.Key] = true
	}
	if !keys["rule/high-rule"] || !keys["rule/critical-rule"] {
		t.Errorf("urgent got %v, want rule/high-rule and rule/critical-rule", keys)
	}
	for range 3 {
		next(t, all, 5*time.Second, "notification at all")
	}
	nothing(t, urgent, 300*time.Millisecond, "medium notification at urgent")
}

func TestRouteKindsAndRules(t *testing.T) {
	n, err := New(Config{
		Targets: map[string]TargetConfig{"cases": hook("https://hooks.example.org/a"), "rules": hook("https://hooks.example.org/b")},
		Routes: []Route{
			{Targets: []string{"cases"}, Kinds: []string{KindIncidentNew, KindIncidentStatus}},
			{Targets: []string{"rules"}, Rules: []string{"5f1a", "77b0"}, MinLevel: "low"},
		}}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	f := func(m Message, wantCases, wantRules bool) {
		t.Helper()
		m = normalize(m, time.Now())
		r := n.routing.Load()
		if got := r.routed("cases", m); got != wantCases {
			t.Errorf("%+v routed to cases = %v, want %v", m, got, wantCases)
		}
		if got := r.routed("rules", m); got != wantRules {
			t.Errorf("%+v routed to rules = %v, want %v", m, got, wantRules)
		}
	}
	f(Message{Kind: KindIncidentNew, Incident: "1"}, true, false)
	f(Message{Kind: KindIncidentUpdate, Incident: "1"}, false, false)
	f(Message{Kind: KindIncidentStatus, Incident: "1", Rule: "5f1a"}, true, true)
	f(Message{Kind: KindAlert, Rule: "5f1a", Level: "informational"}, false, false)
	f(Message{Kind: KindAlert, Rule: "77b0", Level: "low"}, false, true)
	f(Message{Kind: KindAlert, Rule: "0000", Level: "critical"}, false, false)
}

// A full queue drops and counts; the count is exported as a metric.
func TestQueueFullDropsAndCounts(t *testing.T) {
	n, err := New(Config{QueueSize: 10, Targets: map[string]TargetConfig{
		"a": hook("https://hooks.example.org/a"), "b": hook("https://hooks.example.org/b")},
		Routes: []Route{{Targets: []string{"a"}}, {Targets: []string{"b"}, MinLevel: "high"}}}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 { // not running: nothing drains the queues
		n.Notify(Message{Kind: KindAlert, Rule: "r", Level: []string{"high", "low"}[i%2]})
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(n)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			got[f.GetName()+"/"+m.GetLabel()[0].GetValue()] = v
		}
	}
	want := map[string]float64{
		"vigie_notify_dropped_total/a": 15, "vigie_notify_dropped_total/b": 3,
		"vigie_notify_queue_length/a": 10, "vigie_notify_queue_length/b": 10,
		"vigie_notify_queue_capacity/a": 10, "vigie_notify_sent_total/a": 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != 14 {
		t.Errorf("%d metrics, want 7 per target: %v", len(got), got)
	}
}

// Failures are retried a bounded number of times, then counted; a 4xx
// answer is not retried.
func TestRetriesThenFails(t *testing.T) {
	for _, tc := range []struct {
		status       int
		wantRequests int
	}{
		{http.StatusInternalServerError, 3},
		{http.StatusTooManyRequests, 3},
		{http.StatusBadRequest, 1},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv, got := newReceiver(t, tc.status)
			n := start(t, Config{GroupWait: 10 * time.Millisecond, Retries: 2, RetryBackoff: 20 * time.Millisecond,
				Targets: map[string]TargetConfig{"h": hook(srv.URL)}})
			n.Notify(Message{Kind: KindAlert, Rule: "r", Title: "t"})
			for range tc.wantRequests {
				next(t, got, 5*time.Second, "attempt")
			}
			nothing(t, got, 300*time.Millisecond, "attempt beyond the retries")
			waitStats(t, n, "h", func(s Stats) bool { return s.Failed == 1 && s.Sent == 0 }, "1 failed, 0 sent")
		})
	}
}
