package geo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/geo"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
)

func ExampleTravel() {
	// A deployment opens GeoLite2-City.mmdb (and GeoLite2-ASN.mmdb with
	// geoip.OpenASN); the example builds a two-network database.
	dir, _ := os.MkdirTemp("", "travel-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "city.mmdb")
	f, _ := os.Create(path)
	geoiptest.Build(f, "Vigie-Test-City", []geoiptest.Record{
		{CIDR: "192.0.2.0/24", Country: "FR", City: "Paris", Lat: 48.8566, Lon: 2.3522, Radius: 20},
		{CIDR: "198.51.100.0/24", Country: "US", City: "New York", Lat: 40.7128, Lon: -74.0060, Radius: 20},
	})
	f.Close()
	db, err := geoip.Open(path)
	if err != nil {
		fmt.Println(err) // the caller reports a missing database as a configuration error
		return
	}
	defer db.Close()

	d := geo.NewTravel(geo.DefaultTravelConfig(), db, behave.Limits{})
	login := func(at time.Time, ip string) *event.Event {
		e := &event.Event{Time: at, Format: "syslog"}
		e.Add(event.EventCategory, "authentication")
		e.Add(event.EventOutcome, event.OutcomeSuccess)
		e.Add(event.UserName, "alice")
		e.Add(event.SourceIP, ip)
		e.Sort()
		return e
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	d.Observe(login(at, "192.0.2.10"), "auth.log#1")
	for _, f := range d.Observe(login(at.Add(2*time.Hour), "198.51.100.7"), "auth.log#2") {
		fmt.Println(f.Title)
		fmt.Println(f.Why.Observed, f.Why.Unit, "over", f.Why.Window, "against", f.Why.Threshold)
		fmt.Println(f.Evidence, f.Tags)
	}
	// Output:
	// Impossible travel for alice: FR to US
	// 2899 km/h over 2h0m0s against 1000
	// [auth.log#1 auth.log#2] [attack.initial-access attack.t1078]
}
