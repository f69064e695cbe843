package network

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

func TestRegisteredDomain(t *testing.T) {
	f := func(name, want string) {
		t.Helper()
		if got := RegisteredDomain(name); got != want {
			t.Errorf("RegisteredDomain(%q) = %q, want %q", name, got, want)
		}
	}
	f("www.example.com", "example.com")
	f("WWW.Example.COM.", "example.com")
	f("a.b.c.example.org", "example.org")
	f("www.bbc.co.uk", "bbc.co.uk")
	f("bbc.co.uk", "bbc.co.uk")
	f("co.uk", "co.uk")
	f("x.y.gouv.fr", "y.gouv.fr")
	f("localhost", "localhost")
	f("1.2.0.192.in-addr.arpa", "in-addr.arpa")
	f("", "")
}

func TestLongName(t *testing.T) {
	f := func(sub string, want bool) {
		t.Helper()
		if got := long(sub, 30, 3.5); got != want {
			t.Errorf("long(%q) = %v, want %v", sub, got, want)
		}
	}
	f("3f2a9c0e1b7d4a66e2f1c0b9a8d7e6f5a4b3c2d1", true)               // hex, as dnscat2 sends
	f("mzxw6ytboi.gezdgnbvgy3tqojqgezdgnbvgy3tqojq", true)            // base32, as iodine sends
	f("www", false)                                                   // short
	f("thequickbrownfoxjumpsoverthelazydog.news", true)               // 35 letters, 4.4 bits: long words pass too
	f("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false) // long, no entropy
	f("ec2-54-123-45-67.compute-1", false)                            // 24 characters
}

// dnscat-like names: hex-encoded data in long labels under one domain.
func tunnelQueries(t0 time.Time, src, domain string, n int, every time.Duration) []record {
	var recs []record
	for i := range n {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		name := hex.EncodeToString(sum[:20]) + "." + hex.EncodeToString(sum[20:]) + "." + domain
		recs = append(recs, record{ev(t0.Add(time.Duration(i)*every), event.EventDataset, "zeek.dns",
			event.SourceIP, src, event.DNSQuestionName, name), fmt.Sprintf("dns#%d", i)})
	}
	return recs
}

func TestDNSTunnel(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	recs := tunnelQueries(t0, "10.0.0.5", "c2.example.net", 300, 2*time.Second)
	// Ordinary lookups: the same few names again and again.
	for i := range 300 {
		recs = append(recs, record{ev(t0.Add(time.Duration(i)*time.Second), event.EventDataset, "zeek.dns",
			event.SourceIP, "10.0.0.6", event.DNSQuestionName, fmt.Sprintf("host%d.example.com", i%20)), "ok"})
	}
	sortRecords(recs)
	fresh := func() behave.Detector { return NewDNSTunnel(DNSTunnelConfig{}, behave.Limits{}) }
	got := run(fresh(), recs)
	if len(got) != 1 {
		t.Fatalf("got %d findings, want one for the tunnel:%s", len(got), summary(got))
	}
	f := got[0]
	if entity(f, event.SourceIP) != "10.0.0.5" || entity(f, "destination.domain") != "example.net" ||
		f.Why.Unit != "long names" || f.Why.Observed != 10 || f.Time != t0.Add(9*2*time.Second) {
		t.Errorf("finding %+v: want 10.0.0.5 and example.net, reported at the 10th long name", f)
	}
	restarted := runWithRestart(t, fresh(), fresh, recs)
	if diff := cmp.Diff(got, restarted); diff != "" {
		t.Errorf("findings after a restart differ (-uninterrupted +restarted):\n%s", diff)
	}

	// Short unique names: reported at the 100th.
	var many []record
	for i := range 150 {
		many = append(many, record{ev(t0.Add(time.Duration(i)*time.Second), event.SourceIP, "10.0.0.7",
			event.DNSQuestionName, fmt.Sprintf("x%d.exfil.example.org", i)), "q"})
	}
	got = run(NewDNSTunnel(DNSTunnelConfig{}, behave.Limits{}), many)
	if len(got) != 1 || got[0].Why.Observed != 100 || got[0].Why.Unit != "names" {
		t.Errorf("150 short unique names:%s\nwant one finding at 100 names", summary(got))
	}
	got = run(NewDNSTunnel(DNSTunnelConfig{IgnoreDomains: []string{"example.org"}}, behave.Limits{}), many)
	if len(got) != 0 {
		t.Errorf("ignored domain reported:%s", summary(got))
	}
}

// The RITA captures hold ordinary DNS: no tunnel is reported.
func TestDNSTunnelBenignCaptures(t *testing.T) {
	for dir, glob := range map[string]string{"zeek/rita-proxy": "dns.log", "zeek/rita-proxy-rolling": "dns.*.log.gz"} {
		recs := loadEvents(t, dir, glob)
		if got := run(NewDNSTunnel(DNSTunnelConfig{}, behave.Limits{}), recs); len(got) != 0 {
			t.Errorf("%s (%d queries):%s\nwant no finding", dir, len(recs), summary(got))
		}
	}
}
