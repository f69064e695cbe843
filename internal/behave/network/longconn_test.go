package network

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

func TestLongConn(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	recs := []record{
		// A 3-hour tunnel through the proxy 10.0.0.3: the conn record
		// joined with its CONNECT by uid names the target.
		{connEvent(t0, "C1", "10.0.0.5", "10.0.0.3", 3128, "SF", 5000, 90000, 3*time.Hour), "conn#1"},
		{ev(t0.Add(time.Second), event.EventDataset, "zeek.http", "uid", "C1", event.SourceIP, "10.0.0.5",
			event.DestinationIP, "10.0.0.3", event.DestinationPort, "3128", event.HTTPMethod, "CONNECT",
			event.URLDomain, "tunnel.example.net:443", event.URLOriginal, "tunnel.example.net:443"), "http#1"},
		// Ten 7-minute sessions to one external address: 70 minutes.
		// Internal-to-internal: not counted by default.
		{connEvent(t0, "C2", "10.0.0.6", "10.0.0.7", 22, "SF", 100, 100, 5*time.Hour), "conn#2"},
	}
	for i := range 10 {
		recs = append(recs, record{connEvent(t0.Add(time.Duration(i)*10*time.Minute), "", "10.0.0.6", "203.0.113.9", 22, "SF", 100, 100, 7*time.Minute), "ssh"})
	}
	// One short connection elsewhere.
	recs = append(recs, record{connEvent(t0, "", "10.0.0.8", "203.0.113.10", 443, "SF", 100, 100, time.Minute), "short"})

	fresh := func() behave.Detector { return NewLongConn(LongConnConfig{}, behave.Limits{}) }
	got := run(fresh(), recs)
	sortFindings(got)
	if len(got) != 2 {
		t.Fatalf("got %d findings, want the tunnel and the cumulative pair:%s", len(got), summary(got))
	}
	tunnel, ssh := got[0], got[1]
	if entity(tunnel, "destination.domain") != "tunnel.example.net" || entity(tunnel, "destination.port") != "443" ||
		tunnel.Why.Observed != 180 || tunnel.Level != "low" || len(tunnel.Evidence) != 2 {
		t.Errorf("tunnel finding %+v: want tunnel.example.net:443, 180 minutes, low, conn and http as evidence", tunnel)
	}
	if entity(ssh, "destination.ip") != "203.0.113.9" || ssh.Why.Observed != 63 || ssh.Why.Threshold != 60 {
		t.Errorf("ssh finding %+v: want 203.0.113.9, 63 minutes (9 connections) crossing 60", ssh)
	}

	withInternal := run(NewLongConn(LongConnConfig{IncludeInternal: true}, behave.Limits{}), recs)
	if len(withInternal) != 3 {
		t.Errorf("include_internal: %d findings, want 3 (the 5-hour internal session too):%s", len(withInternal), summary(withInternal))
	}

	restarted := runWithRestart(t, fresh(), fresh, recs)
	sortFindings(restarted)
	if diff := cmp.Diff(got, restarted); diff != "" {
		t.Errorf("findings after a restart differ (-uninterrupted +restarted):\n%s", diff)
	}
}
