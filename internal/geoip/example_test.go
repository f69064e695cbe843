package geoip_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/vigie-sec/vigie/internal/geoip"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
)

func ExampleDB_Lookup() {
	// A deployment opens GeoLite2-City.mmdb; the example builds a
	// one-network database instead.
	dir, err := os.MkdirTemp("", "geoip-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = geoiptest.Build(f, "Vigie-Test-City", []geoiptest.Record{
		{CIDR: "192.0.2.0/24", Country: "FR", City: "Paris", Lat: 48.8534, Lon: 2.3488, Radius: 20, ASN: 3215, Org: "Orange"},
	})
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}

	db, err := geoip.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	loc, ok := db.Lookup(netip.MustParseAddr("192.0.2.10"))
	fmt.Println(ok, loc.Country, loc.City, loc.Latitude, loc.Longitude, loc.AccuracyKm, loc.ASN, loc.Org)
	_, ok = db.Lookup(netip.MustParseAddr("10.0.0.1"))
	fmt.Println(ok)
	// Output:
	// true FR Paris 48.8534 2.3488 20 3215 Orange
	// false
}
