package network

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

func TestFlowOf(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := func(name string, e *event.Event, want bool, check func(Flow) bool) {
		t.Helper()
		got, ok := FlowOf(e)
		if ok != want || (ok && check != nil && !check(got)) {
			t.Errorf("%s: FlowOf = %+v, %v", name, got, ok)
		}
	}
	f("zeek conn", connEvent(t0, "C1", "10.0.0.5", "203.0.113.9", 443, "SF", 100, 200, 2*time.Second), true, func(g Flow) bool {
		return g.UID == "C1" && g.BytesOut == 100 && g.BytesIn == 200 && g.WireBytesOut == 140 && g.Duration == 2*time.Second && g.State == "SF" && g.isConn()
	})
	f("zeek CONNECT with a port in the host", ev(t0, event.EventDataset, "zeek.http", "uid", "C2", event.SourceIP, "10.0.0.111",
		event.DestinationIP, "10.0.0.238", event.DestinationPort, "3128", event.HTTPMethod, "CONNECT",
		event.URLDomain, "Safebrowsing.GoogleAPIs.com:443", event.URLOriginal, "safebrowsing.googleapis.com:443"), true, func(g Flow) bool {
		return g.Host == "safebrowsing.googleapis.com" && g.Port == 443 && g.Proxied && !g.isConn()
	})
	f("zeek http, absolute-form request to a proxy", ev(t0, event.EventDataset, "zeek.http", event.SourceIP, "10.0.0.5",
		event.DestinationIP, "10.0.0.3", event.DestinationPort, "8080", event.HTTPMethod, "GET",
		event.URLDomain, "example.com", event.URLOriginal, "http://example.com/x"), true, func(g Flow) bool {
		return g.Host == "example.com" && g.Port == 80 && g.Proxied
	})
	f("zeek ssl", ev(t0, event.EventDataset, "zeek.ssl", "uid", "C3", event.SourceIP, "10.0.0.5", event.DestinationIP, "203.0.113.9",
		event.DestinationPort, "443", "tls.client.server_name", "www.example.org."), true, func(g Flow) bool {
		return g.Host == "www.example.org" && !g.Proxied
	})
	f("zeek dns is not a flow", ev(t0, event.EventDataset, "zeek.dns", event.SourceIP, "10.0.0.5", event.DestinationIP, "10.0.0.1"), false, nil)
	f("proxy log CONNECT", ev(t0, event.EventCategory, "web", event.SourceIP, "10.0.0.5", event.HTTPMethod, "CONNECT",
		event.URLOriginal, "[2001:db8::1]:8443", "http.response.body.bytes", "5000", event.UserName, "alice"), true, func(g Flow) bool {
		return g.Host == "2001:db8::1" && g.Port == 8443 && g.Proxied && g.BytesIn == 5000 && g.User == "alice" && !g.Dest.IsValid()
	})
	f("web server log is not a flow", ev(t0, event.EventCategory, "web", event.SourceIP, "203.0.113.4", event.HTTPMethod, "GET",
		event.URLOriginal, "/index.html"), false, nil)
	f("sysmon network connection", ev(t0, event.EventCategory, "network", event.SourceIP, "10.0.0.5", event.DestinationIP, "203.0.113.9",
		event.DestinationPort, "22", event.NetworkTransport, "TCP"), true, func(g Flow) bool {
		return g.isConn() && g.Transport == "tcp" && g.Port == 22 && g.BytesOut == -1
	})
	f("no source address", ev(t0, event.EventDataset, "zeek.conn", event.SourceIP, "-"), false, nil)
	bad := connEvent(t0, "", "10.0.0.5", "203.0.113.9", 1, "S0", 0, 0, 0)
	bad.Kind = event.KindPipelineError
	f("pipeline error", bad, false, nil)
}

func TestNetworks(t *testing.T) {
	n := mustNetworks([]string{"2001:db8:100::/48", "198.51.100.7"})
	f := func(a string, internal, external bool) {
		t.Helper()
		ad := netip.MustParseAddr(a)
		if got := n.internal(ad); got != internal {
			t.Errorf("internal(%s) = %v, want %v", a, got, internal)
		}
		if got := n.external(ad); got != external {
			t.Errorf("external(%s) = %v, want %v", a, got, external)
		}
	}
	f("10.1.2.3", true, false)
	f("172.31.0.1", true, false)
	f("fd2d:ab8c:225::1", true, false)
	f("fe80::1", true, false)
	f("127.0.0.1", true, false)
	f("2001:db8:100::5", true, false)
	f("198.51.100.7", true, false)
	f("198.51.100.8", false, true)
	f("239.255.255.250", false, false)
	f("ff02::1", true, false) // link-local multicast stays on the link
	f("255.255.255.255", false, false)
	f("8.8.8.8", false, true)
	if _, err := parseNetworks([]string{"10.0.0.0/33"}); err == nil {
		t.Error("parseNetworks accepted 10.0.0.0/33")
	}
}

// The joiner pairs a conn record with its http record by uid in either
// order, emits each connection once, and emits records without a uid
// at once.
func TestJoiner(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var got []Flow
	var refs [][]string
	emit := func(f Flow, r []string) { got, refs = append(got, f), append(refs, r) }
	j := newJoiner(time.Minute, 10)
	conn, _ := FlowOf(connEvent(t0.Add(time.Second), "C1", "10.0.0.5", "10.0.0.3", 3128, "SF", 500, 9000, time.Second))
	http, _ := FlowOf(ev(t0, event.EventDataset, "zeek.http", "uid", "C1", event.SourceIP, "10.0.0.5", event.DestinationIP, "10.0.0.3",
		event.DestinationPort, "3128", event.HTTPMethod, "CONNECT", event.URLOriginal, "x.example:443"))
	ssl, _ := FlowOf(ev(t0, event.EventDataset, "zeek.ssl", "uid", "C1", event.SourceIP, "10.0.0.5", event.DestinationIP, "10.0.0.3",
		event.DestinationPort, "3128", "tls.client.server_name", "x.example"))
	j.add(http, "http", emit) // the application record first, as a live Zeek writes them
	j.add(conn, "conn", emit)
	j.add(ssl, "ssl", emit)
	other, _ := FlowOf(connEvent(t0, "", "10.0.0.6", "203.0.113.1", 53, "SF", 40, 80, 0))
	j.add(other, "other", emit)
	if len(got) != 1 || got[0].Source.String() != "10.0.0.6" {
		t.Fatalf("before the delay: emitted %+v, want only the record without a uid", got)
	}
	j.expire(t0.Add(30*time.Second), emit)
	if len(got) != 1 {
		t.Fatalf("expire before the delay emitted %+v", got[1:])
	}
	j.expire(t0.Add(2*time.Minute), emit)
	if len(got) != 2 {
		t.Fatalf("after the delay: %d flows, want 2", len(got))
	}
	g := got[1]
	if g.Host != "x.example" || g.Port != 443 || !g.Proxied || g.BytesOut != 500 || g.Time != t0.Add(time.Second) || len(refs[1]) != 3 {
		t.Errorf("joined flow %+v refs %v: want x.example:443 through the proxy, the conn record's bytes and time, three refs", g, refs[1])
	}
	// Beyond its bound the joiner emits the oldest at once.
	j = newJoiner(time.Hour, 2)
	got = nil
	for i, uid := range []string{"A", "B", "C"} {
		c, _ := FlowOf(connEvent(t0.Add(time.Duration(i)*time.Second), uid, "10.0.0.5", "203.0.113.1", 443, "SF", 1, 1, 0))
		j.add(c, uid, emit)
	}
	if len(got) != 1 || got[0].UID != "A" {
		t.Errorf("full joiner emitted %+v, want A", got)
	}
}
