package intel

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/decode/zeek"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

var t0 = time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)

func ev(at time.Time, kv ...string) *event.Event {
	e := &event.Event{Time: at}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], kv[i+1])
	}
	e.Sort()
	return e
}

func ind(id string, typ Type, value string) Indicator {
	return Indicator{ID: id, Type: typ, Value: value, Confidence: 50, Source: "test"}
}

// hitIDs returns "id field=value" for each hit.
func hitIDs(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Indicator.ID+" "+h.Field+"="+h.Value)
	}
	return out
}

func TestMatch(t *testing.T) {
	m := Compile([]Indicator{
		ind("ip", IP, "198.51.100.7"),
		ind("ip6", IP, "2001:DB8::7"),
		ind("net", CIDR, "203.0.113.0/24"),
		ind("net16", CIDR, "10.20.0.0/16"),
		ind("net6", CIDR, "2001:db8:ff::/48"),
		ind("dom", Domain, "evil.example"),
		ind("url", URL, "http://Bad.Example/x.php?id=1"),
		ind("sha256", SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
		ind("md5", MD5, "d41d8cd98f00b204e9800998ecf8427e"),
		ind("bare", Account, "jdoe"),
		ind("qualified", Account, `CORP\svc_backup`),
		ind("upn", Account, "admin@corp.example"),
		ind("mail", Email, "phish@evil.example"),
		ind("bad", IP, "not an address"),
	})
	if m.Len() != 13 {
		t.Errorf("Len = %d, want 13 (the invalid indicator left out)", m.Len())
	}
	f := func(e *event.Event, want ...string) {
		t.Helper()
		got := hitIDs(m.Match(e, nil))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("Match(%s)\ngot  %q\nwant %q", e, got, want)
		}
	}
	f(ev(t0, "destination.ip", "198.51.100.7"), "ip destination.ip=198.51.100.7")
	f(ev(t0, "source.ip", "::ffff:198.51.100.7"), "ip source.ip=::ffff:198.51.100.7")
	f(ev(t0, "source.ip", "2001:db8:0::7"), "ip6 source.ip=2001:db8:0::7")
	f(ev(t0, "source.ip", "198.51.100.8"))
	f(ev(t0, "client.ip", "203.0.113.250"), "net client.ip=203.0.113.250")
	f(ev(t0, "related.ip", "10.20.255.1", "related.ip", "10.21.0.1"), "net16 related.ip=10.20.255.1")
	f(ev(t0, "server.ip", "2001:db8:ff:1::1%eth0"), "net6 server.ip=2001:db8:ff:1::1%eth0")
	// Sysmon's original and the ECS field hold the same address: one hit, on the ECS field.
	f(ev(t0, "DestinationIp", "198.51.100.7", "destination.ip", "198.51.100.7"), "ip destination.ip=198.51.100.7")
	f(ev(t0, "id.resp_h", "198.51.100.7"), "ip id.resp_h=198.51.100.7")

	f(ev(t0, "dns.question.name", "evil.example"), "dom dns.question.name=evil.example")
	f(ev(t0, "dns.question.name", "A.B.Evil.Example."), "dom dns.question.name=A.B.Evil.Example.")
	f(ev(t0, "dns.question.name", "notevil.example"))
	f(ev(t0, "dns.question.name", "evil.example.org"))
	f(ev(t0, "url.domain", "cdn.evil.example", "tls.client.server_name", "x.evil.example"), "dom tls.client.server_name=x.evil.example")
	f(ev(t0, "QueryName", "www.evil.example"), "dom QueryName=www.evil.example")

	f(ev(t0, "url.original", "HTTP://BAD.example/x.php?id=1"), "url url.original=HTTP://BAD.example/x.php?id=1")
	f(ev(t0, "url.original", "http://bad.example/x.php?id=2"))
	f(ev(t0, "url.original", "/x.php?id=1", "url.domain", "Bad.Example"), "url url.original=http://bad.example/x.php?id=1")
	f(ev(t0, "url.original", "/x.php?id=1"))

	f(ev(t0, "file.hash.sha256", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"),
		"sha256 file.hash.sha256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08")
	f(ev(t0, "Hashes", "SHA1=A94A8FE5CCB19BA61C4C0873D391E987982FBBD3,MD5=D41D8CD98F00B204E9800998ECF8427E,SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08,IMPHASH=00000000000000000000000000000000"),
		"md5 Hashes=D41D8CD98F00B204E9800998ECF8427E", "sha256 Hashes=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08")
	f(ev(t0, "Hashes", "IMPHASH=D41D8CD98F00B204E9800998ECF8427E"))

	f(ev(t0, "user.name", "JDoe"), "bare user.name=JDoe")
	f(ev(t0, "user.name", `CORP\jdoe`), `bare user.name=CORP\jdoe`)
	f(ev(t0, "user.name", "jdoe@corp.example"), "bare user.name=jdoe@corp.example")
	f(ev(t0, "user.name", "jdoe2"))
	f(ev(t0, "user.name", "svc_backup"))
	f(ev(t0, "user.name", "svc_backup", "user.domain", "corp"), "qualified user.name=svc_backup")
	f(ev(t0, "TargetUserName", `corp\SVC_BACKUP`), `qualified TargetUserName=corp\SVC_BACKUP`)
	f(ev(t0, "user.name", `OTHER\svc_backup`))
	f(ev(t0, "userPrincipalName", "Admin@Corp.Example"), "upn userPrincipalName=Admin@Corp.Example")
	f(ev(t0, "user.name", "admin"))

	f(ev(t0, "email.from.address", "Phish@Evil.Example"), "mail email.from.address=Phish@Evil.Example")
	f(ev(t0, "user.name", "phish@evil.example"), "mail user.name=phish@evil.example")
	f(ev(t0, "message", "198.51.100.7 evil.example jdoe"))
}

func TestMatchPrefixLengths(t *testing.T) {
	m := Compile([]Indicator{ind("all4", CIDR, "0.0.0.0/0"), ind("one", CIDR, "192.0.2.1/32"),
		ind("all6", CIDR, "::/0"), ind("one6", CIDR, "2001:db8::1/128")})
	f := func(ip string, want ...string) {
		t.Helper()
		got := hitIDs(m.Match(ev(t0, "source.ip", ip), nil))
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: got %q, want %q", ip, got, want)
		}
	}
	f("192.0.2.1", "one source.ip=192.0.2.1", "all4 source.ip=192.0.2.1")
	f("192.0.2.2", "all4 source.ip=192.0.2.2")
	f("2001:db8::1", "one6 source.ip=2001:db8::1", "all6 source.ip=2001:db8::1")
	f("2001:db8::2", "all6 source.ip=2001:db8::2")
	f("not-an-ip")
}

func TestMatchValidity(t *testing.T) {
	a := ind("window", IP, "198.51.100.7")
	a.ValidFrom, a.ValidUntil = t0, t0.Add(time.Hour)
	b := ind("open", IP, "198.51.100.7")
	b.ValidFrom = t0.Add(30 * time.Minute)
	m := Compile([]Indicator{a, b})
	f := func(at time.Time, want ...string) {
		t.Helper()
		got := hitIDs(m.Match(ev(at, "source.ip", "198.51.100.7"), nil))
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("at %s: got %q, want %q", at.Format(time.TimeOnly), got, want)
		}
	}
	f(t0.Add(-time.Second))
	f(t0, "window source.ip=198.51.100.7")
	f(t0.Add(30*time.Minute), "window source.ip=198.51.100.7", "open source.ip=198.51.100.7")
	f(t0.Add(time.Hour), "open source.ip=198.51.100.7")
	f(t0.Add(1000*time.Hour), "open source.ip=198.51.100.7")
}

// zeekEvents decodes a Zeek log of the shared data.
func zeekEvents(t *testing.T, path string) []*event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sink collect
	if err := (zeek.Decoder{}).Decode(f, &sink); err != nil {
		t.Fatal(err)
	}
	return sink.events
}

type collect struct{ events []*event.Event }

func (c *collect) Event(e *event.Event) error { c.events = append(c.events, e); return nil }
func (c *collect) Reject(string, int)         {}

// countLines counts the record lines of a file (not Zeek's '#' headers)
// for which keep is true, given the line split on tabs.
func countLines(t *testing.T, path string, keep func(line string, cols []string) bool) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if keep(line, strings.Split(line, "\t")) {
			n++
		}
	}
	return n
}

// TestMatchZeek matches indicators against the RITA proxy capture
// (shared/data/zeek/rita-proxy, GPL-3.0, from RITA's tests) and counts
// the events with a hit against a plain scan of the same files.
func TestMatchZeek(t *testing.T) {
	dir := shareddata.Path(t, "zeek/rita-proxy")
	m := Compile([]Indicator{
		ind("proxy", IP, "10.136.0.16"),
		ind("link-local", CIDR, "fe80::/10"),
		ind("beacon", Domain, "honestimnotevil.com"),
		ind("doh", Domain, "cloudflare-dns.com"),
	})
	tests := []struct {
		log, id string
		want    func(line string, cols []string) bool
	}{
		// conn: id.orig_h is column 3, id.resp_h column 5.
		{"conn.log", "proxy", func(_ string, c []string) bool { return c[2] == "10.136.0.16" || c[4] == "10.136.0.16" }},
		{"conn.log", "link-local", func(_ string, c []string) bool {
			return strings.HasPrefix(c[2], "fe80:") || strings.HasPrefix(c[4], "fe80:")
		}},
		{"http.log", "beacon", func(line string, _ []string) bool { return strings.Contains(line, "honestimnotevil.com") }},
		{"ssl.log", "beacon", func(line string, _ []string) bool { return strings.Contains(line, "honestimnotevil.com") }},
		{"dns.log", "doh", func(line string, _ []string) bool { return strings.Contains(line, "cloudflare-dns.com") }},
	}
	for _, tt := range tests {
		t.Run(tt.log+"/"+tt.id, func(t *testing.T) {
			path := dir + "/" + tt.log
			want := countLines(t, path, tt.want)
			if want == 0 {
				t.Fatalf("the scan of %s finds no line for %s", tt.log, tt.id)
			}
			got := 0
			var hits []Hit
			for _, e := range zeekEvents(t, path) {
				hits = m.Match(e, hits[:0])
				for _, h := range hits {
					if h.Indicator.ID == tt.id {
						got++
					}
				}
			}
			if got != want {
				t.Errorf("%s: %d events match %s, want %d (plain scan)", tt.log, got, tt.id, want)
			}
			t.Logf("%s: %d events match %s", tt.log, got, tt.id)
		})
	}
}
