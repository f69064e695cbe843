package geo

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
)

// places is the test database. The locations are assigned by the tests
// (city coordinates, or a country's centroid with MaxMind's 1,000 km
// radius for addresses known only to their country).
var places = []geoiptest.Record{
	{CIDR: "192.0.2.0/25", Country: "FR", City: "Paris", Lat: 48.8566, Lon: 2.3522, Radius: 20, ASN: 3215, Org: "Orange"},
	{CIDR: "192.0.2.128/25", Country: "US", City: "New York", Lat: 40.7128, Lon: -74.0060, Radius: 20, ASN: 7018, Org: "AT&T"},
	{CIDR: "198.51.100.0/24", Country: "US", City: "New York", Lat: 40.7128, Lon: -74.0060, Radius: 20, ASN: 7018, Org: "AT&T"},
	{CIDR: "203.0.113.0/24", Country: "FR", City: "Lyon", Lat: 45.7640, Lon: 4.8357, Radius: 20, ASN: 12322, Org: "Free SAS"},
	{CIDR: "198.18.0.0/24", Country: "DE", City: "Frankfurt", Lat: 50.1109, Lon: 8.6821, Radius: 10, ASN: 53813, Org: "Zscaler"},
	{CIDR: "198.19.0.0/24", Country: "SG", City: "Singapore", Lat: 1.3521, Lon: 103.8198, Radius: 10, ASN: 53813, Org: "Zscaler"},
	{CIDR: "1.2.3.0/24", Country: "AU", Lat: -33.494, Lon: 143.2104, Radius: 1000},
	{CIDR: "9.8.8.0/24", Country: "US", Lat: 37.751, Lon: -97.822, Radius: 1000},
	{CIDR: "2001:db8::/32", Country: "AU", City: "Sydney", Lat: -33.8688, Lon: 151.2093, Radius: 50, ASN: 1221, Org: "Telstra"},
	{CIDR: "10.0.0.0/8", Country: "JP", City: "Tokyo", Lat: 35.6762, Lon: 139.6503, Radius: 10},
	{CIDR: "192.0.2.0/32", Country: "BR"}, // a Country-database record: no coordinates
}

func testDB(t testing.TB) *geoip.DB { return geoiptest.Open(t, places) }

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// login is one authentication in a test stream.
type login struct {
	at     time.Duration // after t0
	user   string
	ip     string
	failed bool
	host   string
	domain string
}

func (l login) event() *event.Event {
	outcome := event.OutcomeSuccess
	if l.failed {
		outcome = event.OutcomeFailure
	}
	e := &event.Event{Time: t0.Add(l.at), Format: "syslog"}
	e.Add(event.EventCategory, "authentication")
	e.Add(event.EventOutcome, outcome)
	e.Add(event.UserName, l.user)
	if l.ip != "" {
		e.Add(event.SourceIP, l.ip)
	}
	if l.host != "" {
		e.Add(event.HostName, l.host)
	}
	if l.domain != "" {
		e.Add(event.UserDomain, l.domain)
	}
	e.Sort()
	return e
}

// run observes the logins in order, with references e0, e1…, advancing
// the time before each.
func run(d behave.Detector, logins []login) []behave.Finding {
	var out []behave.Finding
	for i, l := range logins {
		ev := l.event()
		out = append(out, d.Advance(ev.Time)...)
		out = append(out, d.Observe(ev, ref(i))...)
	}
	return out
}

func ref(i int) string { return "e" + strconv.Itoa(i) }

func entityValues(f behave.Finding, field string) []string {
	var vs []string
	for _, e := range f.Entities {
		if e.Field == field {
			vs = append(vs, e.Value)
		}
	}
	return vs
}

func TestDistance(t *testing.T) {
	f := func(lat1, lon1, lat2, lon2, want float64) {
		t.Helper()
		got := distanceKm(lat1, lon1, lat2, lon2)
		if d := got - want; d < -0.005*want || d > 0.005*want {
			t.Errorf("distanceKm(%v, %v, %v, %v) = %.0f km, want %.0f km ±0.5%%", lat1, lon1, lat2, lon2, got, want)
		}
	}
	f(48.8566, 2.3522, 40.7128, -74.0060, 5837)    // Paris–New York
	f(48.8566, 2.3522, 45.7640, 4.8357, 392)       // Paris–Lyon
	f(-33.8688, 151.2093, 51.5074, -0.1278, 16994) // Sydney–London
	f(0, 0, 0, 180, halfCircumferenceKm)
	if d := distanceKm(10, 10, 10, 10); d != 0 {
		t.Errorf("distance to itself = %v", d)
	}
}

func TestPublicAddr(t *testing.T) {
	f := func(s string, want bool) {
		t.Helper()
		if _, got := publicAddr(s); got != want {
			t.Errorf("publicAddr(%q) = %v, want %v", s, got, want)
		}
	}
	f("1.2.3.4", true)
	f("2a01:cb00::1", true)
	f("::ffff:1.2.3.4", true)
	f("10.1.2.3", false)
	f("172.16.0.1", false)
	f("192.168.1.1", false)
	f("100.64.0.1", false)
	f("127.0.0.1", false)
	f("169.254.1.1", false)
	f("fe80::1", false)
	f("fd00::1", false)
	f("::1", false)
	f("0.0.0.0", false)
	f("224.0.0.1", false)
	f("", false)
	f("host.example", false)
	if ip, _ := publicAddr("::ffff:1.2.3.4"); !ip.Is4() {
		t.Errorf("IPv4-mapped address not unmapped: %s", ip)
	}
}

func TestNetwork(t *testing.T) {
	if network(netip.MustParseAddr("192.0.2.1")) != network(netip.MustParseAddr("192.0.2.250")) {
		t.Error("two addresses of one /24 in different networks")
	}
	if network(netip.MustParseAddr("2001:db8:1:2::1")) != network(netip.MustParseAddr("2001:db8:1:ffff::1")) {
		t.Error("two addresses of one /48 in different networks")
	}
	if network(netip.MustParseAddr("192.0.2.1")) == network(netip.MustParseAddr("192.0.3.1")) {
		t.Error("two /24s in one network")
	}
}

func TestThousands(t *testing.T) {
	f := func(v float64, want string) {
		t.Helper()
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
	f(0, "0")
	f(999.4, "999")
	f(999.5, "1,000")
	f(14576.2, "14,576")
	f(754576, "754,576")
	f(1234567, "1,234,567")
	f(-1500, "-1,500")
}
