package geo

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/behave"
)

const day = 24 * time.Hour

// daily returns n successful logins of user from ip, one a day at t0's
// hour plus offset.
func daily(user, ip string, n int, from time.Duration) []login {
	var ls []login
	for i := range n {
		ls = append(ls, login{at: from + time.Duration(i)*day, user: user, ip: ip})
	}
	return ls
}

func concat(parts ...[]login) []login {
	var out []login
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestNewPlace(t *testing.T) {
	db := testDB(t)
	const (
		paris     = "192.0.2.10"
		newYork   = "198.51.100.7"
		lyon      = "203.0.113.5" // FR, another network than Paris
		frankfurt = "198.18.0.1"
		singapore = "198.19.0.1" // SG, the same network as Frankfurt
		auCountry = "1.2.3.4"    // AU, no network
		private   = "10.1.2.3"
	)
	placeOnly := NewPlaceConfig{Checks: []string{CheckCountry, CheckNetwork}}
	tests := []struct {
		name   string
		cfg    NewPlaceConfig
		logins []login
		// want lists the findings as "title @ evidence".
		want []string
	}{
		{name: "new country and network after ten logins",
			cfg:    placeOnly,
			logins: concat(daily("alice", paris, 10, 0), []login{{at: 10 * day, user: "alice", ip: newYork}}),
			want:   []string{"alice logged in from a new country and network: US, AS7018 AT&T @ e10"}},
		{name: "during the warm-up",
			cfg:    placeOnly,
			logins: concat(daily("alice", paris, 5, 0), []login{{at: 5 * day, user: "alice", ip: newYork}})},
		{name: "warm after fourteen days",
			cfg:    placeOnly,
			logins: []login{{at: 0, user: "alice", ip: paris}, {at: 14 * day, user: "alice", ip: paris}, {at: 14*day + time.Hour, user: "alice", ip: newYork}},
			want:   []string{"alice logged in from a new country and network: US, AS7018 AT&T @ e2"}},
		{name: "reported once",
			cfg:    placeOnly,
			logins: concat(daily("alice", paris, 10, 0), daily("alice", newYork, 3, 10*day)),
			want:   []string{"alice logged in from a new country and network: US, AS7018 AT&T @ e10"}},
		{name: "new network only",
			cfg:    placeOnly,
			logins: concat(daily("alice", paris, 10, 0), []login{{at: 10 * day, user: "alice", ip: lyon}}),
			want:   []string{"alice logged in from a new network: AS12322 Free SAS @ e10"}},
		{name: "new country only",
			cfg:    placeOnly,
			logins: concat(daily("alice", frankfurt, 10, 0), []login{{at: 10 * day, user: "alice", ip: singapore}}),
			want:   []string{"alice logged in from a new country: SG @ e10"}},
		{name: "countries only",
			cfg:    NewPlaceConfig{Checks: []string{CheckCountry}},
			logins: concat(daily("alice", paris, 10, 0), []login{{at: 10 * day, user: "alice", ip: lyon}})},
		{name: "networks new only to an account with a known network",
			cfg:    placeOnly,
			logins: concat(daily("alice", auCountry, 10, 0), []login{{at: 10 * day, user: "alice", ip: paris}}),
			want:   []string{"alice logged in from a new country: FR @ e10"}},
		{name: "private and failed logins are not places",
			cfg: placeOnly,
			logins: concat(daily("alice", paris, 10, 0), []login{
				{at: 10 * day, user: "alice", ip: private},
				{at: 10*day + time.Hour, user: "alice", ip: newYork, failed: true},
			})},
		{name: "another account",
			cfg:    placeOnly,
			logins: concat(daily("alice", paris, 10, 0), []login{{at: 10 * day, user: "bob", ip: newYork}})},
		{name: "places forgotten after the retention start a new warm-up",
			cfg: placeOnly,
			logins: concat(daily("alice", paris, 10, 0), []login{
				{at: 9*day + 91*day, user: "alice", ip: paris},
				{at: 9*day + 91*day + time.Hour, user: "alice", ip: newYork},
			})},
		{name: "one place remembered",
			cfg: NewPlaceConfig{Checks: []string{CheckCountry}, MaxPlaces: 1},
			logins: concat(daily("alice", paris, 10, 0), []login{
				{at: 10 * day, user: "alice", ip: newYork},
				{at: 11 * day, user: "alice", ip: paris},
			}),
			want: []string{"alice logged in from a new country: US @ e10", "alice logged in from a new country: FR @ e11"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewNewPlace(tc.cfg, db, behave.Limits{})
			var got []string
			for _, f := range run(d, tc.logins) {
				got = append(got, f.Title+" @ "+strings.Join(f.Evidence, " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewPlaceFinding(t *testing.T) {
	d := NewNewPlace(NewPlaceConfig{}, testDB(t), behave.Limits{})
	fs := run(d, concat(daily("alice", "192.0.2.10", 9, 0), daily("alice", "192.0.2.11", 3, 9*day),
		[]login{{at: 12 * day, user: "alice", ip: "198.51.100.7", host: "vpn01"}}))
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Detector != "newplace" || f.Level != "medium" || !f.Time.Equal(t0.Add(12*day)) {
		t.Errorf("detector %q level %q time %v", f.Detector, f.Level, f.Time)
	}
	wantEntities := []behave.Entity{
		{Field: "user.name", Value: "alice"},
		{Field: "host.name", Value: "vpn01"},
		{Field: "source.ip", Value: "198.51.100.7"},
		{Field: "source.geo.country_iso_code", Value: "US"},
		{Field: "source.as.number", Value: "7018"},
	}
	if diff := cmp.Diff(wantEntities, f.Entities); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"attack.initial-access", "attack.t1078"}, f.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	w := f.Why
	if w.Observed != 0 || w.Unit != "earlier logins from this country and network" || w.Window != 12*day {
		t.Errorf("why = %+v", w)
	}
	if want := "12 placed logins since 2026-03-02; countries FR 12; networks AS3215 12"; w.Baseline != want {
		t.Errorf("baseline %q, want %q", w.Baseline, want)
	}
	if want := "alice logged in from New York, US (198.51.100.7, AS7018 AT&T), a country and network not seen in the account's 12 placed logins over 12 days (countries: FR)."; w.Text != want {
		t.Errorf("text\n got %q\nwant %q", w.Text, want)
	}
}

// office returns n successful logins of user from a private address, on
// working days at 09:00, 13:00 and 17:00 in turn.
func office(user string, n int) []login {
	var ls []login
	hours := []time.Duration{0, 4 * time.Hour, 8 * time.Hour} // t0 is 09:00 UTC
	for i := range n {
		ls = append(ls, login{at: time.Duration(i/3)*day + hours[i%3] + time.Duration(i%7)*time.Minute, user: user, ip: "10.1.2.3"})
	}
	return ls
}

func TestRareHour(t *testing.T) {
	db := testDB(t)
	hourOnly := NewPlaceConfig{Checks: []string{CheckHour}}
	at := func(d time.Duration, hour, minute int) time.Duration {
		return d + time.Duration(hour-9)*time.Hour + time.Duration(minute)*time.Minute
	}
	tests := []struct {
		name   string
		cfg    NewPlaceConfig
		logins []login
		want   []string
	}{
		{name: "three in the morning",
			cfg:    hourOnly,
			logins: concat(office("alice", 60), []login{{at: at(20*day, 3, 10), user: "alice"}}),
			want:   []string{"alice logged in at a rare hour: 03:10 UTC @ e60"}},
		{name: "too few logins yet",
			cfg:    hourOnly,
			logins: concat(office("alice", 40), []login{{at: at(20*day, 3, 10), user: "alice"}})},
		{name: "an hour next to a usual one",
			cfg:    hourOnly,
			logins: concat(office("alice", 60), []login{{at: at(20*day, 18, 5), user: "alice"}})},
		{name: "the hour alone",
			cfg:    NewPlaceConfig{Checks: []string{CheckHour}, HourWindow: 1},
			logins: concat(office("alice", 60), []login{{at: at(20*day, 18, 5), user: "alice"}}),
			want:   []string{"alice logged in at a rare hour: 18:05 UTC @ e60"}},
		{name: "one night one finding",
			cfg: hourOnly,
			logins: concat(office("alice", 60), []login{
				{at: at(20*day, 3, 10), user: "alice"},
				{at: at(20*day, 3, 40), user: "alice"},
			}),
			want: []string{"alice logged in at a rare hour: 03:10 UTC @ e60"}},
		{name: "counted in the users' zone",
			cfg:    NewPlaceConfig{Checks: []string{CheckHour}, TimeZone: "Europe/Paris"},
			logins: concat(office("alice", 60), []login{{at: at(20*day, 2, 10), user: "alice"}}),
			want:   []string{"alice logged in at a rare hour: 03:10 Europe/Paris @ e60"}},
		{name: "hours off",
			cfg:    NewPlaceConfig{Checks: []string{CheckCountry}},
			logins: concat(office("alice", 60), []login{{at: at(20*day, 3, 10), user: "alice"}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewNewPlace(tc.cfg, db, behave.Limits{})
			var got []string
			for _, f := range run(d, tc.logins) {
				got = append(got, f.Title+" @ "+strings.Join(f.Evidence, " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRareHourFinding(t *testing.T) {
	d := NewNewPlace(NewPlaceConfig{}, testDB(t), behave.Limits{})
	fs := run(d, concat(office("alice", 60), []login{{at: 20*day - 6*time.Hour, user: "alice", ip: "192.0.2.10"}}))
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Level != "low" || f.Title != "alice logged in at a rare hour: 03:00 UTC" {
		t.Errorf("level %q title %q", f.Level, f.Title)
	}
	w := f.Why
	if w.Observed != 0 || w.Threshold != 2 || w.Unit != "% of logins 02:00–04:59 UTC" || w.Window != 20*day-6*time.Hour {
		t.Errorf("why = %+v", w)
	}
	if want := "60 logins; busiest 09:00 33%, 13:00 33%, 17:00 33% (UTC)"; w.Baseline != want {
		t.Errorf("baseline %q, want %q", w.Baseline, want)
	}
	if want := "alice logged in at 03:00 UTC; 0.0% of the account's 60 logins since 2026-03-02 fell between 02:00–04:59, below 2.0%."; w.Text != want {
		t.Errorf("text\n got %q\nwant %q", w.Text, want)
	}
	wantEntities := []behave.Entity{
		{Field: "user.name", Value: "alice"},
		{Field: "source.ip", Value: "192.0.2.10"},
		{Field: "source.geo.country_iso_code", Value: "FR"},
	}
	if diff := cmp.Diff(wantEntities, f.Entities); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(f); err != nil {
		t.Error(err)
	}
}

func TestHourHalving(t *testing.T) {
	d := NewNewPlace(NewPlaceConfig{Checks: []string{CheckHour}}, testDB(t), behave.Limits{})
	run(d, office("alice", 1500))
	st, _ := d.accounts.Peek("alice")
	if total := st.hourTotal(); total >= hourHalveAt || total < hourHalveAt/2-3 {
		t.Errorf("histogram total %d after 1,500 logins, want between %d and %d", total, hourHalveAt/2-3, hourHalveAt)
	}
}

func TestNewPlaceExpiry(t *testing.T) {
	d := NewNewPlace(NewPlaceConfig{}, testDB(t), behave.Limits{MaxEntities: 2})
	run(d, []login{{at: 0, user: "a", ip: "192.0.2.10"}, {at: time.Minute, user: "b"}, {at: 2 * time.Minute, user: "c"}})
	if n, evicted := d.accounts.Len(), d.accounts.Evicted; n != 2 || evicted != 1 {
		t.Errorf("%d accounts, %d evicted; want 2 and 1", n, evicted)
	}
	d.Advance(t0.Add(89 * day))
	if n := d.accounts.Len(); n != 2 {
		t.Errorf("%d accounts after 89 days, want 2", n)
	}
	d.Advance(t0.Add(91 * day))
	if n := d.accounts.Len(); n != 0 {
		t.Errorf("%d accounts after 91 days, want 0", n)
	}
}

// placeStream is a mixed stream over 60 days: accounts settled in a few
// places and hours, with trips, night logins and private addresses.
func placeStream() []login {
	ips := []string{"192.0.2.10", "192.0.2.10", "192.0.2.10", "203.0.113.5", "10.1.2.3", "198.51.100.7", "198.18.0.1", "198.19.0.1", "1.2.3.4", "2001:db8::1"}
	users := []string{"alice", "bob", "carol"}
	var ls []login
	for i := range 600 {
		hour := []int{9, 10, 13, 14, 17}[(i*3)%5]
		if i%89 == 88 {
			hour = 3
		}
		ip := ips[0]
		if i > 150 {
			ip = ips[(i*7)%len(ips)]
		}
		ls = append(ls, login{
			at:     time.Duration(i/10)*day + time.Duration(hour-9)*time.Hour + time.Duration(i%10)*time.Minute,
			user:   users[i%len(users)],
			ip:     ip,
			failed: i%13 == 0,
		})
	}
	return ls
}

func TestNewPlaceSnapshot(t *testing.T) {
	db := testDB(t)
	stream := placeStream()
	whole := run(NewNewPlace(NewPlaceConfig{}, db, behave.Limits{}), stream)
	kinds := map[string]int{}
	for _, f := range whole {
		switch {
		case strings.Contains(f.Title, "rare hour"):
			kinds["hour"]++
		case strings.Contains(f.Title, "new country"):
			kinds["country"]++
		case strings.Contains(f.Title, "new network"):
			kinds["network"]++
		}
	}
	if kinds["hour"] == 0 || kinds["country"] == 0 || kinds["network"] == 0 {
		t.Fatalf("the test stream gives findings %v; want each kind to compare", kinds)
	}
	for _, cut := range []int{1, 120, 151, 300, 599} {
		first := NewNewPlace(NewPlaceConfig{}, db, behave.Limits{})
		got := run(first, stream[:cut])
		var buf bytes.Buffer
		if err := first.Snapshot(&buf); err != nil {
			t.Fatal(err)
		}
		second := NewNewPlace(NewPlaceConfig{}, db, behave.Limits{})
		if err := second.Restore(&buf); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		for i, l := range stream[cut:] {
			ev := l.event()
			got = append(got, second.Advance(ev.Time)...)
			got = append(got, second.Observe(ev, ref(cut+i))...)
		}
		if diff := cmp.Diff(whole, got); diff != "" {
			t.Errorf("cut at %d: findings differ from an uninterrupted run (-want +got):\n%s", cut, diff)
		}
	}
}

func TestNewPlaceRestoreOtherVersion(t *testing.T) {
	d := NewNewPlace(NewPlaceConfig{}, testDB(t), behave.Limits{})
	run(d, []login{{at: 0, user: "alice", ip: "192.0.2.10"}})
	if err := d.Restore(strings.NewReader(`{"version":2,"accounts":[]}`)); err != nil {
		t.Fatal(err)
	}
	if d.accounts.Len() != 0 {
		t.Errorf("%d accounts after restoring another version, want 0", d.accounts.Len())
	}
	if err := d.Restore(strings.NewReader(`{"version":1,"accounts":[{"k":"x","t":"2026-03-02T09:00:00Z","v":null}]}`)); err == nil {
		t.Error("restore of an account without state succeeded")
	}
}

func TestNewPlaceConfig(t *testing.T) {
	if got := (NewPlaceConfig{}).withDefaults(); !cmp.Equal(got, DefaultNewPlaceConfig()) {
		t.Errorf("zero config with defaults = %+v, want %+v", got, DefaultNewPlaceConfig())
	}
	var c NewPlaceConfig
	dec := yaml.NewDecoder(strings.NewReader(`checks: [country, hour]
min_logins: 20
min_days: 30
hour_min_logins: 100
rare_hour_share: 0.01
hour_window: 5
time_zone: Europe/Paris
retention: 2160h
max_places: 8
per_host: true
`))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := NewPlaceConfig{Checks: []string{"country", "hour"}, MinLogins: 20, MinDays: 30, HourMinLogins: 100, RareHourShare: 0.01,
		HourWindow: 5, TimeZone: "Europe/Paris", Retention: 90 * day, MaxPlaces: 8, PerHost: true}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", c, err)
	}
	for _, bad := range []NewPlaceConfig{
		{Checks: []string{"city"}},
		{MinLogins: -1},
		{RareHourShare: 1},
		{HourWindow: 4},
		{HourWindow: 25},
		{TimeZone: "Mars/Olympus_Mons"},
		{Retention: -day},
	} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "BUG:") {
			t.Errorf("NewNewPlace(nil db) recovered %v, want a BUG panic", r)
		}
	}()
	NewNewPlace(NewPlaceConfig{}, nil, behave.Limits{})
}
