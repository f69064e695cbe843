package network

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// Stratosphere's scenario 002: one client, 172.16.1.11, runs Nmap scans
// of three networks for about an hour (its README). The scanner must be
// found, and no other source.
func TestScanStratosphere(t *testing.T) {
	recs := loadEvents(t, "zeek/stratosphere/002-zeek-scenario-port-scanning", "conn.log")
	fresh := func() behave.Detector { return NewScan(ScanConfig{}, behave.Limits{}) }
	got := run(fresh(), recs)
	t.Logf("findings:%s", summary(got))
	kinds := map[string]int{}
	for _, f := range got {
		if src := entity(f, event.SourceIP); src != "172.16.1.11" {
			t.Errorf("source %s reported: %s", src, f.Title)
		}
		kinds[f.Why.Unit]++
		if f.Level != "high" || len(f.Evidence) == 0 {
			t.Errorf("%s: level %s, %d evidence; want high (an internal scanner) and evidence", f.Title, f.Level, len(f.Evidence))
		}
	}
	if kinds["ports"] == 0 || kinds["hosts"] == 0 {
		t.Errorf("findings by kind %v: want both a vertical and a horizontal scan", kinds)
	}
	// The scan lasts 67 minutes: with a quiet hour, at most two findings
	// of each kind.
	if kinds["ports"] > 2 || kinds["hosts"] > 2 {
		t.Errorf("findings by kind %v: want at most two of each (no storm)", kinds)
	}
	restarted := runWithRestart(t, fresh(), fresh, recs)
	if diff := cmp.Diff(got, restarted); diff != "" {
		t.Errorf("findings after a restart differ (-uninterrupted +restarted):\n%s", diff)
	}
}

func TestScanThresholds(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := func(name string, n int, spacing time.Duration, state string, out int64, dst func(i int) (string, int), want int) {
		t.Helper()
		s := NewScan(ScanConfig{}, behave.Limits{})
		var got []behave.Finding
		for i := range n {
			host, port := dst(i)
			got = append(got, s.Observe(connEvent(t0.Add(time.Duration(i)*spacing), "", "203.0.113.50", host, port, state, out, 0, 0), fmt.Sprint(i))...)
		}
		if len(got) != want {
			t.Errorf("%s: %d findings, want %d:%s", name, len(got), want, summary(got))
		}
	}
	ports := func(i int) (string, int) { return "10.0.0.9", 1 + i }
	hosts := func(i int) (string, int) { return fmt.Sprintf("10.0.%d.%d", i/200, 1+i%200), 445 }
	f("49 ports", 49, time.Second, "REJ", 0, ports, 0)
	f("50 refused ports", 50, time.Second, "REJ", 0, ports, 1)
	f("50 ports, slowly", 50, 7*time.Second, "S0", 0, ports, 0) // 343 s > 5 min
	f("50 answered ports with data", 50, time.Second, "SF", 300, ports, 0)
	f("50 empty connections", 50, time.Second, "SF", 0, ports, 1)
	f("50 hosts on 445", 50, time.Second, "S0", 0, hosts, 1)
	f("1000 hosts on 445: one finding an hour", 1000, time.Second, "S0", 0, hosts, 1)
}
