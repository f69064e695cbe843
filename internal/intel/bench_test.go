package intel

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

// benchIndicators returns n indicators of every type, as a large feed
// has them: 40% addresses, 5% networks of several lengths, 30% domains,
// 10% URLs, 10% hashes, 5% accounts.
func benchIndicators(n int) []Indicator {
	out := make([]Indicator, 0, n)
	for i := range n {
		var typ Type
		var v string
		switch k := i % 20; {
		case k < 8:
			typ, v = IP, fmt.Sprintf("%d.%d.%d.%d", 100+i%50, i/65536%256, i/256%256, i%256)
		case k < 9:
			typ, v = CIDR, fmt.Sprintf("%d.%d.%d.0/%d", 60+i%40, i/256%256, i%256, 16+i%9)
		case k < 15:
			typ, v = Domain, fmt.Sprintf("host%d.bad%d.example", i, i%977)
		case k < 17:
			typ, v = URL, fmt.Sprintf("http://dl%d.bad.example/p/%d.exe", i%311, i)
		case k < 19:
			typ, v = SHA256, fmt.Sprintf("%064x", uint64(i)*2654435761)
		default:
			typ, v = Account, fmt.Sprintf("user%d", i)
		}
		norm, err := Normalise(typ, v)
		if err != nil {
			panic(err)
		}
		out = append(out, Indicator{ID: fmt.Sprint(i), Type: typ, Value: norm, Confidence: 50})
	}
	return out
}

// sysmonConnection is a Sysmon network connection (event 3) as winjson
// decodes it: the original fields and the ECS ones, none an indicator.
func sysmonConnection() *event.Event {
	e := ev(t0,
		"Channel", "Microsoft-Windows-Sysmon/Operational", "Computer", "WS-0142.corp.example",
		"DestinationHostname", "cdn.updates.example", "DestinationIp", "93.184.216.34",
		"DestinationIsIpv6", "false", "DestinationPort", "443", "DestinationPortName", "https",
		"EventID", "3", "Image", `C:\Program Files\Mozilla Firefox\firefox.exe`, "Initiated", "true",
		"ProcessGuid", "{5c8d1e2a-6b1f-6560-d0a4-1f3c7a550000}", "ProcessId", "4242", "Protocol", "tcp",
		"Provider_Name", "Microsoft-Windows-Sysmon", "RuleName", "-", "SourceHostname", "WS-0142.corp.example",
		"SourceIp", "10.1.20.42", "SourceIsIpv6", "false", "SourcePort", "51544", "User", `CORP\jdoe`,
		"UtcTime", "2024-03-15 12:00:00.000", "destination.ip", "93.184.216.34", "destination.port", "443",
		"event.category", "network", "event.code", "3", "host.name", "WS-0142.corp.example",
		"process.executable", `C:\Program Files\Mozilla Firefox\firefox.exe`, "process.name", "firefox.exe",
		"process.pid", "4242", "source.ip", "10.1.20.42", "source.port", "51544", "user.domain", "CORP",
		"user.name", "jdoe", "Hashes", "SHA256=AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F",
		"dns.question.name", "www.cdn.updates.example", "url.original", "https://cdn.updates.example/x/y?z=1")
	return e
}

// BenchmarkMatch matches a Sysmon network connection that holds no
// indicator (the common case) against 100,000 indicators, with the
// Matcher and with a linear scan of the indicators.
func BenchmarkMatch(b *testing.B) {
	inds := benchIndicators(100_000)
	e := sysmonConnection()
	b.Run("matcher/nohit", func(b *testing.B) {
		m := Compile(inds)
		var hits []Hit
		b.ReportAllocs()
		for b.Loop() {
			hits = m.Match(e, hits[:0])
		}
		if len(hits) != 0 {
			b.Fatalf("got %d hits, want 0", len(hits))
		}
	})
	b.Run("matcher/hit", func(b *testing.B) {
		m := Compile(inds)
		hit := sysmonConnection()
		hit.Set("destination.ip", inds[0].Value)
		var hits []Hit
		b.ReportAllocs()
		for b.Loop() {
			hits = m.Match(hit, hits[:0])
		}
		if len(hits) != 1 {
			b.Fatalf("got %d hits, want 1", len(hits))
		}
	})
	b.Run("linear/nohit", func(b *testing.B) {
		l := newLinear(inds)
		b.ReportAllocs()
		for b.Loop() {
			if n := l.match(e); n != 0 {
				b.Fatalf("got %d hits, want 0", n)
			}
		}
	})
}

// BenchmarkCompile compiles 100,000 indicators.
func BenchmarkCompile(b *testing.B) {
	inds := benchIndicators(100_000)
	b.ReportAllocs()
	for b.Loop() {
		Compile(inds)
	}
}

// linear is the baseline BenchmarkMatch compares the Matcher with: every
// indicator compared with every field of its kind.
type linear struct {
	inds []Indicator
	nets []netip.Prefix // for CIDR indicators, by index
}

func newLinear(inds []Indicator) *linear {
	l := &linear{inds: inds, nets: make([]netip.Prefix, len(inds))}
	for i, ind := range inds {
		if ind.Type == CIDR {
			l.nets[i] = netip.MustParsePrefix(ind.Value)
		}
	}
	return l
}

func (l *linear) match(e *event.Event) int {
	n := 0
	for _, f := range e.Fields {
		rule, ok := matchFields[f.Name]
		if !ok {
			continue
		}
		v := strings.ToLower(f.Value)
		addr, addrErr := netip.ParseAddr(v)
		for i := range l.inds {
			ind := &l.inds[i]
			switch {
			case rule.kind == kindIP && ind.Type == IP:
				if addrErr == nil && addr.String() == ind.Value {
					n++
				}
			case rule.kind == kindIP && ind.Type == CIDR:
				if addrErr == nil && l.nets[i].Contains(addr) {
					n++
				}
			case rule.kind == kindDomain && ind.Type == Domain:
				if v == ind.Value || strings.HasSuffix(v, "."+ind.Value) {
					n++
				}
			case rule.kind == kindURL && ind.Type == URL:
				if v == ind.Value {
					n++
				}
			case rule.kind == kindHashList && ind.Type == SHA256:
				if strings.Contains(v, ind.Value) {
					n++
				}
			case rule.kind == kindAccount && ind.Type == Account:
				if v == ind.Value {
					n++
				}
			}
		}
	}
	return n
}
