package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip"
)

// TravelConfig tunes the impossible-travel detector. The zero value gives
// the defaults; DefaultTravelConfig spells them out.
type TravelConfig struct {
	// MaxSpeedKmh is the fastest plausible journey between two logins,
	// in km/h. Default 1,000: an airliner cruises at about 900 km/h, and
	// a whole journey, airports included, averages far less.
	MaxSpeedKmh float64 `yaml:"max_speed_kmh"`
	// MinDistanceKm is the least distance reported, in km, after the
	// accuracy radii of both places are taken off. Default 500: below it,
	// the database's placing of addresses without an accuracy radius
	// (DB-IP lite) and of mobile networks is not to be trusted.
	MinDistanceKm float64 `yaml:"min_distance_km"`
	// MinInterval is the least time counted between two logins: closer
	// logins count as this far apart, since sources' clocks and log
	// timestamps disagree by that much. Default 1 minute.
	MinInterval time.Duration `yaml:"min_interval"`
	// Repeat is how long a pair of networks, once reported for an
	// account, is not reported again (a user alternating between a VPN
	// exit and home). Default 24 hours.
	Repeat time.Duration `yaml:"repeat"`
	// CompareSameASN compares logins from the same autonomous system.
	// By default they are not compared: corporate VPNs, secure web
	// gateways, mobile carriers and private relays put one user's traffic
	// out of exits on several continents within one network. Both
	// logins' networks must be known (an ASN database) for this to apply.
	CompareSameASN bool `yaml:"compare_same_asn"`
	// PerHost counts an account on each host as a separate account (root
	// on web01 is not root on db02). By default an account is its name
	// and domain, wherever it logs in.
	PerHost bool `yaml:"per_host"`
}

// DefaultTravelConfig returns the defaults.
func DefaultTravelConfig() TravelConfig {
	return TravelConfig{
		MaxSpeedKmh:   1000,
		MinDistanceKm: 500,
		MinInterval:   time.Minute,
		Repeat:        24 * time.Hour,
	}
}

// Validate reports values out of range. Zero values are valid: they mean
// the default.
func (c TravelConfig) Validate() error {
	var errs []error
	if c.MaxSpeedKmh < 0 || math.IsNaN(c.MaxSpeedKmh) || math.IsInf(c.MaxSpeedKmh, 0) {
		errs = append(errs, fmt.Errorf("travel: max_speed_kmh %v is not a positive speed", c.MaxSpeedKmh))
	}
	if c.MinDistanceKm < 0 || math.IsNaN(c.MinDistanceKm) || math.IsInf(c.MinDistanceKm, 0) {
		errs = append(errs, fmt.Errorf("travel: min_distance_km %v is not a positive distance", c.MinDistanceKm))
	}
	if c.MinInterval < 0 {
		errs = append(errs, fmt.Errorf("travel: min_interval %v is negative", c.MinInterval))
	}
	if c.Repeat < 0 {
		errs = append(errs, fmt.Errorf("travel: repeat %v is negative", c.Repeat))
	}
	return errors.Join(errs...)
}

func (c TravelConfig) withDefaults() TravelConfig {
	d := DefaultTravelConfig()
	if c.MaxSpeedKmh == 0 {
		c.MaxSpeedKmh = d.MaxSpeedKmh
	}
	if c.MinDistanceKm == 0 {
		c.MinDistanceKm = d.MinDistanceKm
	}
	if c.MinInterval == 0 {
		c.MinInterval = d.MinInterval
	}
	if c.Repeat == 0 {
		c.Repeat = d.Repeat
	}
	return c
}

// Travel finds impossible travel: two successful logins of one account
// whose places are further apart than anyone travels in the time between
// them.
//
// Each account keeps its latest located login. A new login from an
// address that can be placed with coordinates is compared with it:
//
//   - logins from the same /24 (IPv6: /48) are not compared, whatever the
//     database says: one network is one place, and distances within it
//     are the database's noise;
//   - logins from the same autonomous system are not compared, unless
//     CompareSameASN (see there);
//   - the distance is the great-circle distance less both accuracy radii
//     (the database says the address is within that radius), so that two
//     addresses known only to their countries (radius 1,000 km) must be
//     more than 2,000 km further apart than their centres say;
//   - it is reported when that distance is at least MinDistanceKm and,
//     divided by the time between the logins (at least MinInterval),
//     exceeds MaxSpeedKmh.
//
// An account's state expires once no speed can be exceeded any more (after
// half the Earth's circumference divided by MaxSpeedKmh: 20 hours at the
// default speed) and its last report no longer suppresses one (Repeat),
// whichever is later. Logins arriving out of order are compared by the time
// between them; the later one stays the account's latest.
type Travel struct {
	cfg TravelConfig
	db  *geoip.DB
	lim behave.Limits
	// window is how long an account's state is kept: no speed is
	// impossible beyond it, and no report is suppressed.
	window   time.Duration
	accounts *behave.Table[*travelState]
	// lastExpire is the event time state was last expired at.
	lastExpire time.Time
}

var _ behave.Detector = (*Travel)(nil)

// travelState is an account's latest located login, and the last pair
// reported for it.
type travelState struct {
	Last     travelLogin  `json:"last"`
	Reported *travelAlert `json:"reported,omitempty"`
}

type travelLogin struct {
	Time     time.Time  `json:"time"`
	IP       netip.Addr `json:"ip"`
	Lat      float64    `json:"lat"`
	Lon      float64    `json:"lon"`
	RadiusKm int32      `json:"radius_km,omitempty"`
	Country  string     `json:"country,omitempty"`
	ASN      uint32     `json:"asn,omitempty"`
	Ref      string     `json:"ref"`
}

// travelAlert is a reported pair of networks, in either order.
type travelAlert struct {
	Time time.Time    `json:"time"`
	A    netip.Prefix `json:"a"`
	B    netip.Prefix `json:"b"`
}

func (r *travelAlert) covers(a, b netip.Prefix) bool {
	return (r.A == a && r.B == b) || (r.A == b && r.B == a)
}

// NewTravel returns an impossible-travel detector. cfg must pass Validate;
// db must not be nil.
func NewTravel(cfg TravelConfig, db *geoip.DB, lim behave.Limits) *Travel {
	if db == nil {
		panic("BUG: geo.NewTravel without a GeoIP database; the caller reports the missing detection.geoip")
	}
	if err := cfg.Validate(); err != nil {
		panic("BUG: geo.NewTravel with an invalid configuration: " + err.Error())
	}
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	return &Travel{
		cfg:      cfg,
		db:       db,
		lim:      lim,
		window:   max(cfg.Repeat, time.Duration(halfCircumferenceKm/cfg.MaxSpeedKmh*float64(time.Hour))),
		accounts: behave.NewTable[*travelState](lim.MaxEntities),
	}
}

// Name returns "travel".
func (d *Travel) Name() string { return "travel" }

// Observe compares a successful login with the account's previous one.
func (d *Travel) Observe(ev *event.Event, ref string) []behave.Finding {
	a, ok := behave.AuthOf(ev)
	if !ok || !a.Success || a.User == "" {
		return nil
	}
	ip, ok := publicAddr(a.Source)
	if !ok {
		return nil
	}
	loc, ok := d.db.Lookup(ip)
	if !ok || !loc.HasCoordinates {
		return nil
	}
	cur := travelLogin{
		Time: a.Time, IP: ip, Lat: loc.Latitude, Lon: loc.Longitude,
		RadiusKm: int32(loc.AccuracyKm), Country: loc.Country, ASN: loc.ASN, Ref: ref,
	}
	st := d.accounts.Get(accountKey(a, d.cfg.PerHost), a.Time, newTravelState)
	var out []behave.Finding
	if !st.Last.Time.IsZero() {
		if f, ok := d.compare(a, st, cur, loc); ok {
			out = append(out, f)
		}
	}
	if st.Last.Time.IsZero() || !cur.Time.Before(st.Last.Time) {
		st.Last = cur
	}
	return out
}

func newTravelState() *travelState { return &travelState{} }

// compare decides whether the journey from the account's latest login to
// cur is impossible. loc is cur's location.
func (d *Travel) compare(a behave.Auth, st *travelState, cur travelLogin, loc geoip.Location) (behave.Finding, bool) {
	prev := st.Last
	netPrev, netCur := network(prev.IP), network(cur.IP)
	if netPrev == netCur {
		return behave.Finding{}, false
	}
	if !d.cfg.CompareSameASN && prev.ASN != 0 && prev.ASN == cur.ASN {
		return behave.Finding{}, false
	}
	dist := distanceKm(prev.Lat, prev.Lon, cur.Lat, cur.Lon)
	apart := dist - float64(prev.RadiusKm) - float64(cur.RadiusKm)
	if apart < d.cfg.MinDistanceKm {
		return behave.Finding{}, false
	}
	elapsed := cur.Time.Sub(prev.Time).Abs()
	counted := max(elapsed, d.cfg.MinInterval)
	speed := apart / counted.Hours()
	if speed <= d.cfg.MaxSpeedKmh {
		return behave.Finding{}, false
	}
	if r := st.Reported; r != nil && r.covers(netPrev, netCur) && cur.Time.Sub(r.Time).Abs() < d.cfg.Repeat {
		return behave.Finding{}, false
	}
	st.Reported = &travelAlert{Time: cur.Time, A: netPrev, B: netCur}

	// City and organisation are not kept per account: look the previous
	// address up again for the text.
	curPlace := placeName(cur.IP, loc.Country, loc.City, loc.ASN, loc.Org)
	again, _ := d.db.Lookup(prev.IP)
	prevPlace := placeName(prev.IP, prev.Country, again.City, prev.ASN, again.Org)
	first, second, from, to := prev, cur, prevPlace, curPlace
	if cur.Time.Before(prev.Time) {
		first, second, from, to = cur, prev, curPlace, prevPlace
	}

	es := accountEntities(a)
	es = addEntity(es, "source.ip", first.IP.String())
	es = addEntity(es, "source.ip", second.IP.String())
	es = addEntity(es, "source.geo.country_iso_code", first.Country)
	es = addEntity(es, "source.geo.country_iso_code", second.Country)

	var ev behave.Evidence
	ev.Add(first.Ref, d.lim.MaxEvidence)
	ev.Add(second.Ref, d.lim.MaxEvidence)

	text := fmt.Sprintf("%s logged in from %s and %s later from %s: %s km apart, %s km after taking off the places' accuracy (%s km and %s km), that is %s km/h",
		a.User, from, elapsed, to, thousands(dist), thousands(apart), thousands(float64(first.RadiusKm)), thousands(float64(second.RadiusKm)), thousands(speed))
	if counted > elapsed {
		text += fmt.Sprintf(" counting the %s minimum interval", d.cfg.MinInterval)
	}
	text += fmt.Sprintf(", above the %s km/h anyone travels.", thousands(d.cfg.MaxSpeedKmh))

	return behave.Finding{
		Detector: d.Name(),
		Title:    fmt.Sprintf("Impossible travel for %s: %s to %s", a.User, orUnknown(first.Country), orUnknown(second.Country)),
		Level:    "medium",
		Time:     cur.Time,
		Entities: es,
		Why: behave.Why{
			Observed:  math.Round(speed),
			Unit:      "km/h",
			Threshold: d.cfg.MaxSpeedKmh,
			Baseline:  fmt.Sprintf("the account's latest login before, from %s at %s", prevPlace, prev.Time.UTC().Format(time.RFC3339)),
			Window:    elapsed,
			Text:      text,
		},
		Evidence:  ev.Refs,
		Truncated: ev.Truncated,
		Tags:      slices.Clone(tags),
	}, true
}

func orUnknown(country string) string {
	if country == "" {
		return "unknown country"
	}
	return country
}

// Advance expires the accounts whose latest login is too old for any
// journey to be impossible. It does so at most once a minute of event
// time.
func (d *Travel) Advance(now time.Time) []behave.Finding {
	if now.Sub(d.lastExpire) < time.Minute {
		return nil
	}
	d.lastExpire = now
	d.accounts.Expire(now.Add(-d.window))
	return nil
}

// travelSnapshot is the JSON form of the detector's state.
type travelSnapshot struct {
	Version  int                               `json:"version"`
	Accounts []behave.SavedEntry[*travelState] `json:"accounts"`
}

// Snapshot writes every account's latest located login.
func (d *Travel) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(travelSnapshot{Version: 1, Accounts: d.accounts.Save()})
}

// Restore reads a snapshot back; one of another version leaves the
// detector empty.
func (d *Travel) Restore(r io.Reader) error {
	var snap travelSnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading travel state: %w", err)
	}
	d.accounts = behave.NewTable[*travelState](d.lim.MaxEntities)
	if snap.Version != 1 {
		return nil
	}
	for _, e := range snap.Accounts {
		if e.Val == nil {
			return fmt.Errorf("reading travel state: account %q has no state", e.Key)
		}
	}
	d.accounts.Load(snap.Accounts)
	return nil
}
