package geoip_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/geoip"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
)

var records = []geoiptest.Record{
	{CIDR: "192.0.2.0/24", Country: "FR", City: "Paris", Lat: 48.8534, Lon: 2.3488, Radius: 20, ASN: 3215, Org: "Orange"},
	{CIDR: "198.51.100.0/24", Country: "US", Lat: 37.751, Lon: -97.822, Radius: 1000},
	{CIDR: "198.51.100.7", Country: "CA", City: "Toronto", Lat: 43.7, Lon: -79.4, Radius: 5},
	{CIDR: "203.0.113.0/24", Country: "GB"}, // a Country-database record
	{CIDR: "2001:db8::/32", Country: "DE", City: "Berlin", Lat: 52.52, Lon: 13.405, Radius: 10, ASN: 3320, Org: "Deutsche Telekom AG"},
	{CIDR: "100.64.0.0/10", Lat: 0, Lon: 0, Radius: 100}, // located at 0, 0
}

func TestLookup(t *testing.T) {
	db := geoiptest.Open(t, records)
	f := func(ip string, want geoip.Location, wantOK bool) {
		t.Helper()
		got, ok := db.Lookup(netip.MustParseAddr(ip))
		if ok != wantOK {
			t.Errorf("Lookup(%s) found = %v, want %v", ip, ok, wantOK)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Lookup(%s) (-want +got):\n%s", ip, diff)
		}
	}
	paris := geoip.Location{Country: "FR", City: "Paris", Latitude: 48.8534, Longitude: 2.3488, HasCoordinates: true, AccuracyKm: 20, ASN: 3215, Org: "Orange"}
	f("192.0.2.1", paris, true)
	f("::ffff:192.0.2.200", paris, true) // IPv4-mapped
	f("198.51.100.8", geoip.Location{Country: "US", Latitude: 37.751, Longitude: -97.822, HasCoordinates: true, AccuracyKm: 1000}, true)
	f("198.51.100.7", geoip.Location{Country: "CA", City: "Toronto", Latitude: 43.7, Longitude: -79.4, HasCoordinates: true, AccuracyKm: 5}, true)
	f("203.0.113.9", geoip.Location{Country: "GB"}, true)
	f("2001:db8:1::1", geoip.Location{Country: "DE", City: "Berlin", Latitude: 52.52, Longitude: 13.405, HasCoordinates: true, AccuracyKm: 10, ASN: 3320, Org: "Deutsche Telekom AG"}, true)
	f("100.64.1.1", geoip.Location{HasCoordinates: true, AccuracyKm: 100}, true)
	f("10.1.2.3", geoip.Location{}, false)
	f("2001:db9::1", geoip.Location{}, false)
	if _, ok := db.Lookup(netip.Addr{}); ok {
		t.Error("the zero Addr was found")
	}
	if db.Failed() != 0 {
		t.Errorf("Failed = %d, want 0", db.Failed())
	}
}

func TestOpenASN(t *testing.T) {
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	geoiptest.Write(t, city, []geoiptest.Record{
		{CIDR: "192.0.2.0/24", Country: "FR", Lat: 48.85, Lon: 2.35, Radius: 20},
		{CIDR: "198.51.100.0/24", Country: "US", Lat: 37.751, Lon: -97.822, Radius: 1000, ASN: 7018, Org: "AT&T"},
	})
	geoiptest.WriteASN(t, asn, []geoiptest.Record{
		{CIDR: "192.0.2.0/25", ASN: 3215, Org: "Orange"},
		{CIDR: "203.0.113.0/24", ASN: 64500, Org: "Example"},
	})
	if _, err := geoip.Open(asn); err == nil || !strings.Contains(err.Error(), "no locations") {
		t.Errorf("Open(ASN database) = %v, want an error saying it has no locations", err)
	}
	db, err := geoip.OpenASN(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, want := db.Type(), []string{"Vigie-Test-City", "Vigie-Test-ASN"}; !cmp.Equal(got, want) {
		t.Errorf("Type = %q, want %q", got, want)
	}
	f := func(ip string, asn uint32, org, country string, wantOK bool) {
		t.Helper()
		loc, ok := db.Lookup(netip.MustParseAddr(ip))
		if ok != wantOK || loc.ASN != asn || loc.Org != org || loc.Country != country {
			t.Errorf("Lookup(%s) = %d %q %q %v, want %d %q %q %v", ip, loc.ASN, loc.Org, loc.Country, ok, asn, org, country, wantOK)
		}
	}
	f("192.0.2.1", 3215, "Orange", "FR", true)
	f("192.0.2.129", 0, "", "FR", true)          // in the City database only
	f("198.51.100.1", 7018, "AT&T", "US", true)  // the City record's own ASN stays
	f("203.0.113.1", 64500, "Example", "", true) // in the ASN database only
	f("10.0.0.1", 0, "", "", false)
}

func TestOpenErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "GeoLite2-City.mmdb")
	_, err := geoip.Open(missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(missing) = %v, want an error matching fs.ErrNotExist", err)
	}
	want := "GeoIP database " + missing + " not found: download GeoLite2-City.mmdb from MaxMind (free account) or dbip-city-lite from db-ip.com and set detection.geoip in the config"
	if err.Error() != want {
		t.Errorf("Open(missing) error\n got %q\nwant %q", err, want)
	}

	city := filepath.Join(t.TempDir(), "city.mmdb")
	geoiptest.Write(t, city, records)
	if _, err := geoip.OpenASN(city, missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "GeoLite2-ASN.mmdb") {
		t.Errorf("OpenASN(missing ASN) = %v, want not found naming GeoLite2-ASN.mmdb", err)
	}

	garbage := filepath.Join(t.TempDir(), "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("not a MaxMind database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := geoip.Open(garbage); err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), garbage) {
		t.Errorf("Open(garbage) = %v, want an error naming the file", err)
	}
}

// TestConcurrentLookup is meant for the race detector.
func TestConcurrentLookup(t *testing.T) {
	db := geoiptest.Open(t, records)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				ip := netip.AddrFrom4([4]byte{192, 0, 2, byte(i + g)})
				if loc, ok := db.Lookup(ip); !ok || loc.City != "Paris" {
					t.Errorf("Lookup(%s) = %+v %v", ip, loc, ok)
					return
				}
			}
		})
	}
	wg.Wait()
}
