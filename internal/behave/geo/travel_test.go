package geo

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/behave"
)

func TestTravel(t *testing.T) {
	db := testDB(t)
	const (
		paris     = "192.0.2.10"
		parisToo  = "192.0.2.99"
		newYork   = "198.51.100.7"
		newYork24 = "192.0.2.200" // New York in the database, but Paris's /24
		lyon      = "203.0.113.5"
		frankfurt = "198.18.0.1"
		singapore = "198.19.0.1"
		auCountry = "1.2.3.4"
		usCountry = "9.8.8.8"
		sydney    = "2001:db8::1"
		tokyo10   = "10.1.2.3"     // private, though the test database places it
		brazilNoC = "192.0.2.0"    // country only, no coordinates
		cgnat     = "100.64.10.10" // shared address space
	)
	tests := []struct {
		name   string
		cfg    TravelConfig
		logins []login
		// want lists the findings by their evidence, "e0 e1".
		want []string
	}{
		{name: "Paris to New York in an hour",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Hour, "alice", newYork, false, "", ""}},
			want:   []string{"e0 e1"}},
		{name: "Paris to New York in ten hours",
			logins: []login{{0, "alice", paris, false, "", ""}, {10 * time.Hour, "alice", newYork, false, "", ""}}},
		{name: "Paris to Lyon in a minute is under the minimum distance",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "alice", lyon, false, "", ""}}},
		{name: "Paris to Lyon with a 300 km minimum",
			cfg:    TravelConfig{MinDistanceKm: 300},
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "alice", lyon, false, "", ""}},
			want:   []string{"e0 e1"}},
		{name: "same /24 placed on two continents",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "alice", newYork24, false, "", ""}}},
		{name: "same address twice",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "alice", parisToo, false, "", ""}}},
		{name: "same ASN on two continents",
			logins: []login{{0, "alice", frankfurt, false, "", ""}, {time.Minute, "alice", singapore, false, "", ""}}},
		{name: "same ASN compared",
			cfg:    TravelConfig{CompareSameASN: true},
			logins: []login{{0, "alice", frankfurt, false, "", ""}, {time.Minute, "alice", singapore, false, "", ""}},
			want:   []string{"e0 e1"}},
		{name: "country centroids an ocean apart",
			logins: []login{{0, "vagrant", auCountry, false, "", ""}, {3 * time.Second, "vagrant", usCountry, false, "", ""}},
			want:   []string{"e0 e1"}},
		{name: "country centroid and a city inside its radius",
			logins: []login{{0, "bob", auCountry, false, "", ""}, {time.Second, "bob", sydney, false, "", ""}}},
		{name: "private address skipped though placed",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "alice", tokyo10, false, "", ""}, {2 * time.Minute, "alice", cgnat, false, "", ""}}},
		{name: "address without coordinates skipped",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "alice", brazilNoC, false, "", ""}}},
		{name: "failed login not counted",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "alice", newYork, true, "", ""}}},
		{name: "two accounts",
			logins: []login{{0, "alice", paris, false, "", ""}, {time.Minute, "bob", newYork, false, "", ""}}},
		{name: "user names compared without case",
			logins: []login{{0, "Alice", paris, false, "", ""}, {time.Minute, "alice", newYork, false, "", ""}},
			want:   []string{"e0 e1"}},
		{name: "a domain makes another account",
			logins: []login{{0, "alice", paris, false, "", "CORP"}, {time.Minute, "alice", newYork, false, "", ""}}},
		{name: "one account on two hosts",
			logins: []login{{0, "root", paris, false, "web01", ""}, {time.Minute, "root", newYork, false, "db02", ""}},
			want:   []string{"e0 e1"}},
		{name: "per host",
			cfg:    TravelConfig{PerHost: true},
			logins: []login{{0, "root", paris, false, "web01", ""}, {time.Minute, "root", newYork, false, "db02", ""}}},
		{name: "compared with the latest login only",
			logins: []login{{0, "alice", paris, false, "", ""}, {5 * time.Hour, "alice", lyon, false, "", ""}, {6 * time.Hour, "alice", newYork, false, "", ""}},
			want:   []string{"e1 e2"}},
		{name: "alternating between two places reported once a day",
			logins: []login{
				{0, "alice", paris, false, "", ""}, {time.Minute, "alice", newYork, false, "", ""},
				{2 * time.Minute, "alice", paris, false, "", ""}, {3 * time.Minute, "alice", newYork, false, "", ""},
				{23 * time.Hour, "alice", paris, false, "", ""}, {23*time.Hour + time.Minute, "alice", newYork, false, "", ""},
				{31 * time.Hour, "alice", paris, false, "", ""}, {31*time.Hour + time.Minute, "alice", newYork, false, "", ""},
			},
			want: []string{"e0 e1", "e6 e7"}},
		{name: "repeat of one hour",
			cfg: TravelConfig{Repeat: time.Hour},
			logins: []login{
				{0, "alice", paris, false, "", ""}, {time.Minute, "alice", newYork, false, "", ""},
				{2 * time.Minute, "alice", paris, false, "", ""},
				{8 * time.Hour, "alice", paris, false, "", ""}, {8*time.Hour + time.Minute, "alice", newYork, false, "", ""},
			},
			want: []string{"e0 e1", "e3 e4"}},
		{name: "late event compared by the time between",
			logins: []login{{time.Hour, "alice", newYork, false, "", ""}, {0, "alice", paris, false, "", ""}},
			want:   []string{"e1 e0"}},
		{name: "a slower plane",
			cfg:    TravelConfig{MaxSpeedKmh: 500},
			logins: []login{{0, "alice", paris, false, "", ""}, {8 * time.Hour, "alice", newYork, false, "", ""}},
			want:   []string{"e0 e1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewTravel(tc.cfg, db, behave.Limits{})
			var got []string
			for _, f := range run(d, tc.logins) {
				got = append(got, strings.Join(f.Evidence, " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings by evidence (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTravelFinding(t *testing.T) {
	d := NewTravel(TravelConfig{}, testDB(t), behave.Limits{})
	fs := run(d, []login{
		{0, "alice", "192.0.2.10", false, "vpn01", ""},
		{time.Hour, "alice", "198.51.100.7", false, "vpn01", ""},
	})
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	f := fs[0]
	if f.Detector != "travel" || f.Level != "medium" || !f.Time.Equal(t0.Add(time.Hour)) {
		t.Errorf("detector %q level %q time %v, want travel, medium, %v", f.Detector, f.Level, f.Time, t0.Add(time.Hour))
	}
	if want := "Impossible travel for alice: FR to US"; f.Title != want {
		t.Errorf("title %q, want %q", f.Title, want)
	}
	wantEntities := []behave.Entity{
		{Field: "user.name", Value: "alice"},
		{Field: "host.name", Value: "vpn01"},
		{Field: "source.ip", Value: "192.0.2.10"},
		{Field: "source.ip", Value: "198.51.100.7"},
		{Field: "source.geo.country_iso_code", Value: "FR"},
		{Field: "source.geo.country_iso_code", Value: "US"},
	}
	if diff := cmp.Diff(wantEntities, f.Entities); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
	if !slices.Equal(f.Tags, []string{"attack.initial-access", "attack.t1078"}) {
		t.Errorf("tags %q", f.Tags)
	}
	// Paris–New York is 5,837 km; less 20 km of accuracy at each end,
	// 5,797 km in one hour.
	if f.Why.Unit != "km/h" || f.Why.Threshold != 1000 || f.Why.Window != time.Hour || math.Abs(f.Why.Observed-5797) > 30 {
		t.Errorf("why = %+v, want about 5,797 km/h against 1,000 over 1h", f.Why)
	}
	for _, s := range []string{"Paris, FR (192.0.2.10, AS3215 Orange)", "New York, US (198.51.100.7, AS7018 AT&T)", "1h0m0s later", "5,837 km apart", "5,797 km after", "above the 1,000 km/h"} {
		if !strings.Contains(f.Why.Text, s) {
			t.Errorf("why text %q lacks %q", f.Why.Text, s)
		}
	}
	if !strings.Contains(f.Why.Baseline, "Paris, FR") || !strings.Contains(f.Why.Baseline, "2026-03-02T09:00:00Z") {
		t.Errorf("baseline %q does not name the previous login", f.Why.Baseline)
	}
	if _, err := json.Marshal(f.Why); err != nil {
		t.Errorf("why does not marshal: %v", err)
	}
}

// TestTravelSameSecond checks that logins in the same second give a finite
// speed, counted over the minimum interval.
func TestTravelSameSecond(t *testing.T) {
	d := NewTravel(TravelConfig{}, testDB(t), behave.Limits{})
	fs := run(d, []login{{0, "alice", "192.0.2.10", false, "", ""}, {0, "alice", "198.51.100.7", false, "", ""}})
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	w := fs[0].Why
	if math.IsInf(w.Observed, 0) || math.IsNaN(w.Observed) || math.Abs(w.Observed-5797*60) > 2000 || w.Window != 0 {
		t.Errorf("why = %+v, want about %d km/h over a zero window", w, 5797*60)
	}
	if !strings.Contains(w.Text, "1m0s minimum interval") {
		t.Errorf("why text %q does not say the interval was counted as the minimum", w.Text)
	}
	if _, err := json.Marshal(fs[0]); err != nil {
		t.Errorf("finding does not marshal: %v", err)
	}
}

func TestTravelExpiryAndLimits(t *testing.T) {
	db := testDB(t)
	d := NewTravel(TravelConfig{}, db, behave.Limits{MaxEntities: 2, MaxEvidence: 1})
	if d.window != 24*time.Hour {
		t.Errorf("window %v, want 24h (Repeat, longer than half the Earth at 1,000 km/h)", d.window)
	}
	if w := NewTravel(TravelConfig{Repeat: time.Hour}, db, behave.Limits{}).window; w < 20*time.Hour || w > 20*time.Hour+time.Minute {
		t.Errorf("window %v with a one-hour repeat, want 20h (half the Earth at 1,000 km/h)", w)
	}
	run(d, []login{{0, "a", "192.0.2.10", false, "", ""}, {time.Minute, "b", "192.0.2.10", false, "", ""}, {2 * time.Minute, "c", "192.0.2.10", false, "", ""}})
	if n, evicted := d.accounts.Len(), d.accounts.Evicted; n != 2 || evicted != 1 {
		t.Errorf("%d accounts, %d evicted; want 2 and 1", n, evicted)
	}
	d.Advance(t0.Add(23 * time.Hour))
	if n := d.accounts.Len(); n != 2 {
		t.Errorf("%d accounts after 23 hours, want 2", n)
	}
	d.Advance(t0.Add(25 * time.Hour))
	if n := d.accounts.Len(); n != 0 {
		t.Errorf("%d accounts after 25 hours, want 0", n)
	}
	fs := run(d, []login{{26 * time.Hour, "a", "192.0.2.10", false, "", ""}, {26*time.Hour + time.Minute, "a", "198.51.100.7", false, "", ""}})
	if len(fs) != 1 || len(fs[0].Evidence) != 1 || fs[0].Evidence[0] != "e1" || fs[0].Truncated != 1 {
		t.Errorf("findings %+v, want one with the latest reference and one truncated", fs)
	}
}

// travelStream is a mixed stream: several accounts moving between the
// test places, with plausible and impossible journeys, failures and
// private addresses.
func travelStream() []login {
	ips := []string{"192.0.2.10", "198.51.100.7", "203.0.113.5", "198.18.0.1", "198.19.0.1", "1.2.3.4", "9.8.8.8", "2001:db8::1", "10.1.2.3"}
	users := []string{"alice", "bob", "carol", "dave"}
	var ls []login
	at := time.Duration(0)
	for i := range 200 {
		at += time.Duration((i*7919)%180) * time.Minute
		ls = append(ls, login{
			at:     at,
			user:   users[(i*31)%len(users)],
			ip:     ips[(i*13+i/7)%len(ips)],
			failed: i%11 == 0,
		})
	}
	return ls
}

// TestTravelSnapshot checks that a detector saved and restored mid-stream
// finds what one that ran through finds, wherever the stream is cut.
func TestTravelSnapshot(t *testing.T) {
	db := testDB(t)
	stream := travelStream()
	whole := run(NewTravel(TravelConfig{}, db, behave.Limits{}), stream)
	if len(whole) < 5 {
		t.Fatalf("the test stream gives %d findings; want a few to compare", len(whole))
	}
	for _, cut := range []int{1, 37, 100, 163, 199} {
		first := NewTravel(TravelConfig{}, db, behave.Limits{})
		got := run(first, stream[:cut])
		var buf bytes.Buffer
		if err := first.Snapshot(&buf); err != nil {
			t.Fatal(err)
		}
		second := NewTravel(TravelConfig{}, db, behave.Limits{})
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

func TestTravelRestoreOtherVersion(t *testing.T) {
	d := NewTravel(TravelConfig{}, testDB(t), behave.Limits{})
	run(d, []login{{0, "alice", "192.0.2.10", false, "", ""}})
	if err := d.Restore(strings.NewReader(`{"version":99,"accounts":[{"k":"x","t":"2026-03-02T09:00:00Z","v":{}}]}`)); err != nil {
		t.Fatalf("restore of another version: %v", err)
	}
	if d.accounts.Len() != 0 {
		t.Errorf("%d accounts after restoring another version, want 0", d.accounts.Len())
	}
	if err := d.Restore(strings.NewReader(`{"version":1,"accounts":[{"k":"x","t":"2026-03-02T09:00:00Z","v":null}]}`)); err == nil {
		t.Error("restore of an account without state succeeded")
	}
	if err := d.Restore(strings.NewReader(`not json`)); err == nil {
		t.Error("restore of garbage succeeded")
	}
}

func TestTravelConfig(t *testing.T) {
	if got := (TravelConfig{}).withDefaults(); !cmp.Equal(got, DefaultTravelConfig()) {
		t.Errorf("zero config with defaults = %+v, want %+v", got, DefaultTravelConfig())
	}
	var c TravelConfig
	dec := yaml.NewDecoder(strings.NewReader("max_speed_kmh: 800\nmin_distance_km: 300\nmin_interval: 2m\nrepeat: 12h\ncompare_same_asn: true\nper_host: true\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := TravelConfig{MaxSpeedKmh: 800, MinDistanceKm: 300, MinInterval: 2 * time.Minute, Repeat: 12 * time.Hour, CompareSameASN: true, PerHost: true}
	if c != want {
		t.Errorf("decoded %+v, want %+v", c, want)
	}
	for _, bad := range []TravelConfig{{MaxSpeedKmh: -1}, {MinDistanceKm: math.NaN()}, {MinInterval: -time.Second}, {Repeat: -time.Hour}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
	if err := DefaultTravelConfig().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestNewTravelNeedsDB(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "BUG:") {
			t.Errorf("NewTravel(nil db) recovered %v, want a BUG panic", r)
		}
	}()
	NewTravel(TravelConfig{}, nil, behave.Limits{})
}
