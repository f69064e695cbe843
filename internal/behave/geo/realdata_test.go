package geo

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// crowdsecPlaces places the two addresses of CrowdSec's impossible-travel
// hub tests. The locations are assigned by this test, as CrowdSec's GeoIP
// enrichment (GeoLite2-City) gives them, according to the cases'
// scenario.assert (IsoCode AU and US, ASNNumber 0): addresses known only
// to their country, at MaxMind's centroid of Australia and of the United
// States with an accuracy radius of 1,000 km, and no network.
var crowdsecPlaces = []geoiptest.Record{
	{CIDR: "1.2.3.4", Country: "AU", Lat: -33.494, Lon: 143.2104, Radius: 1000},
	{CIDR: "9.8.8.8", Country: "US", Lat: 37.751, Lon: -97.822, Radius: 1000},
}

// TestCrowdSecImpossibleTravel runs the travel detector over CrowdSec's
// impossible-travel hub tests (shared/data/crowdsec-tests, MIT). Each
// scenario.assert expects an alert naming the account and both addresses
// (teleport: two alerts, one scoped to the addresses and one to the user,
// which the one finding here covers).
//
// Only the sshd case is decoded into logins by a Vigie decoder (syslog).
// The sftpgo and teleport logs are JSON lines that the registry detects as
// "json"; package jsonl keeps their fields as written (sftpgo: the user
// and address only inside "message"; teleport: "user", "success",
// "addr.remote" as address:port) and no Vigie decoder maps either to the
// ECS authentication fields. For those two the test maps the decoded
// fields itself (teleportLogin, sftpgoLogin), so that the detector is
// checked on the real records; a decoder for them is missing.
//
// Thresholds differ: CrowdSec alerts on two successive logins more than
// 1,000 km apart between centres, whatever the time between them; Vigie on
// a speed over 1,000 km/h once both accuracy radii are taken off the
// distance. Here the two agree: 12,576 km after the radii, within a
// minute.
func TestCrowdSecImpossibleTravel(t *testing.T) {
	db := geoiptest.Open(t, crowdsecPlaces)
	cases := []struct {
		dir, log  string
		format    string                          // the registry's detection
		decoded   bool                            // a Vigie decoder gives logins
		normalise func(*event.Event) *event.Event // the test's mapping otherwise
		user      string
	}{
		{"sshd-impossible-travel-user", "sshd-success-logs.log", detect.Syslog, true, nil, "vagrant"},
		{"sftpgo-impossible-travel", "sftpgo-impossible-travel.log", detect.JSON, false, sftpgoLogin, "bob"},
		{"teleport-impossible-travel", "teleport-bf.log", detect.JSON, false, teleportLogin, "root"},
	}
	reg := detect.New(detect.Config{})
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			path := shareddata.Path(t, "crowdsec-tests/"+tc.dir+"/"+tc.log)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			format := reg.Detect(raw, path)
			if format != tc.format {
				t.Fatalf("detected %q, want %q", format, tc.format)
			}
			dec, _ := reg.ByName(format)
			var c decode.Collect
			if err := dec.Decode(bytes.NewReader(raw), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Events) != 2 {
				t.Fatalf("%d events decoded, want the log's 2 lines", len(c.Events))
			}
			logins := 0
			for _, e := range c.Events {
				if a, ok := behave.AuthOf(e); ok && a.Success {
					logins++
				}
			}
			if tc.decoded != (logins == 2) {
				t.Fatalf("%d of 2 decoded events are successful logins; the test expects a decoder for this format: %v", logins, tc.decoded)
			}
			events := c.Events
			if !tc.decoded {
				t.Logf("no Vigie decoder maps %s to ECS authentication fields; the test maps its decoded fields", tc.dir)
				events = nil
				for _, e := range c.Events {
					events = append(events, tc.normalise(e))
				}
			}

			d := NewTravel(TravelConfig{}, db, behave.Limits{})
			var fs []behave.Finding
			for i, e := range events {
				fs = append(fs, d.Advance(e.Time)...)
				fs = append(fs, d.Observe(e, fmt.Sprintf("%s#%d", tc.log, i+1))...)
			}
			if len(fs) != 1 {
				t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if got := entityValues(f, "user.name"); !slices.Equal(got, []string{tc.user}) {
				t.Errorf("user.name %q, want %q", got, tc.user)
			}
			if got := entityValues(f, "source.ip"); !slices.Equal(got, []string{"1.2.3.4", "9.8.8.8"}) {
				t.Errorf("source.ip %q, want 1.2.3.4 and 9.8.8.8 as scenario.assert", got)
			}
			if got := entityValues(f, "source.geo.country_iso_code"); !slices.Equal(got, []string{"AU", "US"}) {
				t.Errorf("countries %q, want AU and US as scenario.assert", got)
			}
			if want := []string{tc.log + "#1", tc.log + "#2"}; !slices.Equal(f.Evidence, want) {
				t.Errorf("evidence %q, want %q", f.Evidence, want)
			}
			t.Logf("%s: %s", f.Title, f.Why.Text)

			// Silent when the second login comes from the first's country.
			quiet := NewTravel(TravelConfig{}, geoiptest.Open(t, []geoiptest.Record{
				{CIDR: "1.2.3.4", Country: "AU", Lat: -33.494, Lon: 143.2104, Radius: 1000},
				{CIDR: "9.8.8.8", Country: "AU", Lat: -33.494, Lon: 143.2104, Radius: 1000},
			}), behave.Limits{})
			for i, e := range events {
				if fs := quiet.Observe(e, fmt.Sprint(i)); len(fs) != 0 {
					t.Errorf("finding with both addresses in Australia: %+v", fs)
				}
			}
		})
	}
}

// teleportLogin maps a decoded Teleport audit event (user.login) to the
// ECS fields of a login.
func teleportLogin(e *event.Event) *event.Event {
	out := &event.Event{Time: e.Time, Format: e.Format, Raw: e.Raw}
	kind, _ := e.Get("event")
	user, _ := e.Get("user")
	success, _ := e.Get("success")
	addr, _ := e.Get("addr.remote")
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if kind != "user.login" {
		return out
	}
	outcome := event.OutcomeFailure
	if success == "true" {
		outcome = event.OutcomeSuccess
	}
	out.Add(event.EventCategory, "authentication")
	out.Add(event.EventOutcome, outcome)
	out.Add(event.EventAction, kind)
	out.Add(event.UserName, user)
	out.Add(event.SourceIP, addr)
	out.Sort()
	return out
}

// sftpgoLogin maps a decoded SFTPGo log line to the ECS fields of a
// login, reading the user and address from its message as CrowdSec's
// sftpgo parser does.
func sftpgoLogin(e *event.Event) *event.Event {
	out := &event.Event{Time: e.Time, Format: e.Format, Raw: e.Raw}
	msg, _ := e.Get(event.Message)
	m := sftpgoLoggedIn.FindStringSubmatch(msg)
	if m == nil {
		return out
	}
	sender, _ := e.Get("sender")
	out.Add(event.EventCategory, "authentication")
	out.Add(event.EventOutcome, event.OutcomeSuccess)
	out.Add(event.EventAction, strings.ToLower(sender)+"_login")
	out.Add(event.UserName, m[1])
	out.Add(event.SourceIP, m[2])
	out.Sort()
	return out
}

var sftpgoLoggedIn = regexp.MustCompile(`^User "([^"]+)" logged in with "[^"]*",? from ip "([^"]+)"`)
