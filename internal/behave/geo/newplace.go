package geo

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip"
)

// The checks of NewPlaceConfig.Checks.
const (
	CheckCountry = "country"
	CheckNetwork = "network"
	CheckHour    = "hour"
)

// NewPlaceConfig tunes the new-place detector. The zero value gives the
// defaults; DefaultNewPlaceConfig spells them out.
type NewPlaceConfig struct {
	// Checks lists what is reported: "country" (a country new to the
	// account), "network" (a new autonomous system; needs a database that
	// names networks) and "hour" (a rare hour for the account). Default
	// all three; an empty list turns the detector off.
	Checks []string `yaml:"checks"`
	// MinLogins and MinDays end an account's warm-up for new countries
	// and networks: nothing is new to it until it has MinLogins logins
	// that could be placed, or its first such login is MinDays days old.
	// Defaults 10 logins, 14 days.
	MinLogins int `yaml:"min_logins"`
	MinDays   int `yaml:"min_days"`
	// HourMinLogins is how many logins an account's hour-of-day
	// histogram must hold before an hour can be rare for it. Default 50.
	HourMinLogins int `yaml:"hour_min_logins"`
	// RareHourShare: an hour is rare for an account when fewer than this
	// share of its logins fell within HourWindow of it. Default 0.02.
	RareHourShare float64 `yaml:"rare_hour_share"`
	// HourWindow is the width in hours, odd, of the window centred on the
	// login's hour whose logins are counted: 3 counts the hour before and
	// the hour after too, so that the first login at 18:05 of someone who
	// usually leaves at 17:55 is not rare; 1 counts the hour alone.
	// Default 3.
	HourWindow int `yaml:"hour_window"`
	// TimeZone is the IANA time zone the accounts' hours are counted in.
	// Default "UTC". For one fixed offset the zone changes nothing but
	// the hours the findings show; with daylight saving time, counting in
	// the users' zone keeps 9:00 at 9:00 all year.
	TimeZone string `yaml:"time_zone"`
	// Retention is how long an account, and each of its countries and
	// networks, is remembered without a login. Default 90 days.
	Retention time.Duration `yaml:"retention"`
	// MaxPlaces bounds the countries, and separately the networks,
	// remembered per account; beyond it the least recently seen is
	// forgotten. Default 32.
	MaxPlaces int `yaml:"max_places"`
	// PerHost counts an account on each host as a separate account. By
	// default an account is its name and domain, wherever it logs in.
	PerHost bool `yaml:"per_host"`
}

// DefaultNewPlaceConfig returns the defaults.
func DefaultNewPlaceConfig() NewPlaceConfig {
	return NewPlaceConfig{
		Checks:        []string{CheckCountry, CheckNetwork, CheckHour},
		MinLogins:     10,
		MinDays:       14,
		HourMinLogins: 50,
		RareHourShare: 0.02,
		HourWindow:    3,
		TimeZone:      "UTC",
		Retention:     90 * 24 * time.Hour,
		MaxPlaces:     32,
	}
}

// Validate reports values out of range. Zero values are valid: they mean
// the default.
func (c NewPlaceConfig) Validate() error {
	var errs []error
	for _, name := range c.Checks {
		if name != CheckCountry && name != CheckNetwork && name != CheckHour {
			errs = append(errs, fmt.Errorf("newplace: unknown check %q (want country, network or hour)", name))
		}
	}
	if c.MinLogins < 0 || c.MinDays < 0 || c.HourMinLogins < 0 || c.MaxPlaces < 0 {
		errs = append(errs, errors.New("newplace: min_logins, min_days, hour_min_logins and max_places cannot be negative"))
	}
	if c.RareHourShare < 0 || c.RareHourShare >= 1 || math.IsNaN(c.RareHourShare) {
		errs = append(errs, fmt.Errorf("newplace: rare_hour_share %v is not a share below 1", c.RareHourShare))
	}
	if c.HourWindow < 0 || c.HourWindow > 23 || (c.HourWindow != 0 && c.HourWindow%2 == 0) {
		errs = append(errs, fmt.Errorf("newplace: hour_window %d is not an odd number of hours below 24", c.HourWindow))
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			errs = append(errs, fmt.Errorf("newplace: time_zone: %w", err))
		}
	}
	if c.Retention < 0 {
		errs = append(errs, fmt.Errorf("newplace: retention %v is negative", c.Retention))
	}
	return errors.Join(errs...)
}

func (c NewPlaceConfig) withDefaults() NewPlaceConfig {
	d := DefaultNewPlaceConfig()
	if c.Checks == nil {
		c.Checks = d.Checks
	}
	if c.MinLogins == 0 {
		c.MinLogins = d.MinLogins
	}
	if c.MinDays == 0 {
		c.MinDays = d.MinDays
	}
	if c.HourMinLogins == 0 {
		c.HourMinLogins = d.HourMinLogins
	}
	if c.RareHourShare == 0 {
		c.RareHourShare = d.RareHourShare
	}
	if c.HourWindow == 0 {
		c.HourWindow = d.HourWindow
	}
	if c.TimeZone == "" {
		c.TimeZone = d.TimeZone
	}
	if c.Retention == 0 {
		c.Retention = d.Retention
	}
	if c.MaxPlaces == 0 {
		c.MaxPlaces = d.MaxPlaces
	}
	return c
}

// hourHalveAt is the histogram total at which every hour's count is
// halved, so that an account's habits can change: past it, older logins
// weigh less.
const hourHalveAt = 1000

// rareHourRepeat is how long after a rare-hour finding another rare-hour
// login of the account is not reported: an intruder's night session is
// one finding, not one per login.
const rareHourRepeat = 24 * time.Hour

// NewPlace finds the first successful login of an account from a country
// or a network it has not logged in from, and a login at an hour the
// account is rarely active.
//
// New country and network: every successful login from an address the
// database places (public, found) adds its country and network to the
// account's history. Once the account is past its warm-up (MinLogins
// placed logins, or MinDays since the first), a login from a country or
// a network not in its history is reported, once: the place then joins
// the history. Countries and networks unseen for Retention are
// forgotten. A network is new only to an account with at least one known
// network, so that adding an ASN database later does not make every
// network new.
//
// Rare hour: every successful login, placed or not (a console or
// internal login counts), adds one to the account's hour-of-day
// histogram in TimeZone. Once the histogram holds HourMinLogins logins, a
// login is reported when fewer than RareHourShare of them fell within
// HourWindow of its hour; then not again for that account for 24 hours.
// Accounts active around the clock (services, machine accounts) have no
// rare hour.
type NewPlace struct {
	cfg      NewPlaceConfig
	db       *geoip.DB
	lim      behave.Limits
	zone     *time.Location
	country  bool // the checks enabled
	network  bool
	hour     bool
	accounts *behave.Table[*placeState]
	// lastExpire is the event time state was last expired at.
	lastExpire time.Time
}

var _ behave.Detector = (*NewPlace)(nil)

// placeState is one account's history.
type placeState struct {
	// Since is the account's first login seen; Placed counts its placed
	// logins since FirstPlaced.
	Since       time.Time     `json:"since"`
	FirstPlaced time.Time     `json:"first_placed,omitzero"`
	Placed      uint32        `json:"placed,omitempty"`
	Countries   []seenCountry `json:"countries,omitempty"`
	Networks    []seenNetwork `json:"networks,omitempty"`
	Hours       [24]uint32    `json:"hours"`
	// HourReported is when a rare hour was last reported.
	HourReported time.Time `json:"hour_reported,omitzero"`
}

// seenCountry and seenNetwork count an account's logins from one place;
// Last is the latest, in Unix seconds.
type seenCountry struct {
	Code  string `json:"c"`
	Count uint32 `json:"n"`
	Last  int64  `json:"t"`
}

type seenNetwork struct {
	ASN   uint32 `json:"a"`
	Count uint32 `json:"n"`
	Last  int64  `json:"t"`
}

// NewNewPlace returns a new-place detector. cfg must pass Validate; db
// must not be nil.
func NewNewPlace(cfg NewPlaceConfig, db *geoip.DB, lim behave.Limits) *NewPlace {
	if db == nil {
		panic("BUG: geo.NewNewPlace without a GeoIP database; the caller reports the missing detection.geoip")
	}
	if err := cfg.Validate(); err != nil {
		panic("BUG: geo.NewNewPlace with an invalid configuration: " + err.Error())
	}
	cfg = cfg.withDefaults()
	zone, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		panic("BUG: geo.NewNewPlace: time zone passed Validate but does not load: " + err.Error())
	}
	lim = lim.WithDefaults()
	return &NewPlace{
		cfg:      cfg,
		db:       db,
		lim:      lim,
		zone:     zone,
		country:  slices.Contains(cfg.Checks, CheckCountry),
		network:  slices.Contains(cfg.Checks, CheckNetwork),
		hour:     slices.Contains(cfg.Checks, CheckHour),
		accounts: behave.NewTable[*placeState](lim.MaxEntities),
	}
}

// Name returns "newplace".
func (d *NewPlace) Name() string { return "newplace" }

func newPlaceState() *placeState { return &placeState{} }

// Observe checks a successful login against the account's history, then
// adds it to the history.
func (d *NewPlace) Observe(ev *event.Event, ref string) []behave.Finding {
	a, ok := behave.AuthOf(ev)
	if !ok || !a.Success || a.User == "" {
		return nil
	}
	st := d.accounts.Get(accountKey(a, d.cfg.PerHost), a.Time, newPlaceState)
	if st.Since.IsZero() || a.Time.Before(st.Since) {
		st.Since = a.Time
	}
	var out []behave.Finding
	var loc geoip.Location
	located := false
	if d.country || d.network {
		if ip, ok := publicAddr(a.Source); ok {
			loc, located = d.db.Lookup(ip)
			located = located && (loc.Country != "" || loc.ASN != 0)
			if located {
				if f, ok := d.place(a, ip, ref, st, loc); ok {
					out = append(out, f)
				}
			}
		}
	}
	if d.hour {
		if f, ok := d.rareHour(a, ref, st, loc, located); ok {
			out = append(out, f)
		}
	}
	return out
}

// place checks and learns a placed login.
func (d *NewPlace) place(a behave.Auth, ip netip.Addr, ref string, st *placeState, loc geoip.Location) (behave.Finding, bool) {
	now := a.Time.Unix()
	st.forget(now - int64(d.cfg.Retention/time.Second))
	warm := st.Placed >= uint32(d.cfg.MinLogins) ||
		(st.Placed > 0 && a.Time.Sub(st.FirstPlaced) >= time.Duration(d.cfg.MinDays)*24*time.Hour)
	newCountry := d.country && loc.Country != "" && len(st.Countries) > 0 && !st.hasCountry(loc.Country)
	newNetwork := d.network && loc.ASN != 0 && len(st.Networks) > 0 && !st.hasNetwork(loc.ASN)
	var f behave.Finding
	report := warm && (newCountry || newNetwork)
	if report {
		f = d.placeFinding(a, ip, ref, st, loc, newCountry, newNetwork)
	}
	st.learn(a.Time, loc, d.cfg.MaxPlaces)
	return f, report
}

func (d *NewPlace) placeFinding(a behave.Auth, ip netip.Addr, ref string, st *placeState, loc geoip.Location, newCountry, newNetwork bool) behave.Finding {
	network := fmt.Sprintf("AS%d", loc.ASN)
	if loc.Org != "" {
		network += " " + loc.Org
	}
	// kind names what is new; Observed counts the account's earlier
	// logins from it, none.
	kind, title, level := "network", network, "low"
	switch {
	case newCountry && newNetwork:
		kind, title, level = "country and network", loc.Country+", "+network, "medium"
	case newCountry:
		kind, title, level = "country", loc.Country, "medium"
	}
	es := accountEntities(a)
	es = addEntity(es, "source.ip", ip.String())
	es = addEntity(es, "source.geo.country_iso_code", loc.Country)
	if loc.ASN != 0 {
		es = addEntity(es, "source.as.number", fmt.Sprint(loc.ASN))
	}
	var ev behave.Evidence
	ev.Add(ref, d.lim.MaxEvidence)
	since := a.Time.Sub(st.FirstPlaced)
	return behave.Finding{
		Detector: d.Name(),
		Title:    fmt.Sprintf("%s logged in from a new %s: %s", a.User, kind, title),
		Level:    level,
		Time:     a.Time,
		Entities: es,
		Why: behave.Why{
			Observed: 0,
			Unit:     "earlier logins from this " + kind,
			Baseline: st.placesBaseline(),
			Window:   since,
			Text: fmt.Sprintf("%s logged in from %s, a %s not seen in the account's %d placed logins over %s (countries: %s).",
				a.User, placeName(ip, loc.Country, loc.City, loc.ASN, loc.Org), kind, st.Placed, days(since), st.countryList()),
		},
		Evidence:  ev.Refs,
		Truncated: ev.Truncated,
		Tags:      slices.Clone(tags),
	}
}

// rareHour checks and learns the hour of a login.
func (d *NewPlace) rareHour(a behave.Auth, ref string, st *placeState, loc geoip.Location, located bool) (behave.Finding, bool) {
	local := a.Time.In(d.zone)
	h := local.Hour()
	total := st.hourTotal()
	var f behave.Finding
	report := false
	if total >= uint32(d.cfg.HourMinLogins) && a.Time.Sub(st.HourReported).Abs() >= rareHourRepeat {
		half := d.cfg.HourWindow / 2
		var near uint32
		for i := -half; i <= half; i++ {
			near += st.Hours[(h+i+24)%24]
		}
		share := float64(near) / float64(total)
		if share < d.cfg.RareHourShare {
			report = true
			st.HourReported = a.Time
			f = d.hourFinding(a, ref, st, loc, located, local, share, total)
		}
	}
	st.Hours[h]++
	if total+1 >= hourHalveAt {
		for i := range st.Hours {
			st.Hours[i] /= 2
		}
	}
	return f, report
}

func (d *NewPlace) hourFinding(a behave.Auth, ref string, st *placeState, loc geoip.Location, located bool, local time.Time, share float64, total uint32) behave.Finding {
	h := local.Hour()
	half := d.cfg.HourWindow / 2
	span := fmt.Sprintf("%02d:00–%02d:59", (h-half+24)%24, (h+half)%24)
	zone := d.zone.String()
	es := accountEntities(a)
	es = addEntity(es, "source.ip", a.Source)
	if located {
		es = addEntity(es, "source.geo.country_iso_code", loc.Country)
	}
	var ev behave.Evidence
	ev.Add(ref, d.lim.MaxEvidence)
	pct := math.Round(share*1000) / 10
	return behave.Finding{
		Detector: d.Name(),
		Title:    fmt.Sprintf("%s logged in at a rare hour: %s %s", a.User, local.Format("15:04"), zone),
		Level:    "low",
		Time:     a.Time,
		Entities: es,
		Why: behave.Why{
			Observed:  pct,
			Unit:      fmt.Sprintf("%% of logins %s %s", span, zone),
			Threshold: d.cfg.RareHourShare * 100,
			Baseline:  st.hoursBaseline(total, zone),
			Window:    a.Time.Sub(st.Since),
			Text: fmt.Sprintf("%s logged in at %s %s; %.1f%% of the account's %d logins since %s fell between %s, below %.1f%%.",
				a.User, local.Format("15:04"), zone, pct, total, st.Since.In(d.zone).Format("2006-01-02"), span, d.cfg.RareHourShare*100),
		},
		Evidence:  ev.Refs,
		Truncated: ev.Truncated,
		Tags:      slices.Clone(tags),
	}
}

func (st *placeState) hasCountry(code string) bool {
	return slices.ContainsFunc(st.Countries, func(c seenCountry) bool { return c.Code == code })
}

func (st *placeState) hasNetwork(asn uint32) bool {
	return slices.ContainsFunc(st.Networks, func(n seenNetwork) bool { return n.ASN == asn })
}

// forget drops the places last seen before cutoff (Unix seconds). When
// none is left, the warm-up starts again.
func (st *placeState) forget(cutoff int64) {
	st.Countries = slices.DeleteFunc(st.Countries, func(c seenCountry) bool { return c.Last < cutoff })
	st.Networks = slices.DeleteFunc(st.Networks, func(n seenNetwork) bool { return n.Last < cutoff })
	if len(st.Countries) == 0 && len(st.Networks) == 0 {
		st.Placed = 0
		st.FirstPlaced = time.Time{}
	}
}

// learn adds a placed login to the history, forgetting the least recently
// seen place beyond maxPlaces.
func (st *placeState) learn(at time.Time, loc geoip.Location, maxPlaces int) {
	now := at.Unix()
	if st.Placed == 0 || at.Before(st.FirstPlaced) {
		st.FirstPlaced = at
	}
	st.Placed = satInc(st.Placed)
	if loc.Country != "" {
		i := slices.IndexFunc(st.Countries, func(c seenCountry) bool { return c.Code == loc.Country })
		if i < 0 {
			if len(st.Countries) >= maxPlaces {
				j := oldest(st.Countries, func(c seenCountry) int64 { return c.Last })
				st.Countries = slices.Delete(st.Countries, j, j+1)
			}
			st.Countries = append(st.Countries, seenCountry{Code: loc.Country})
			i = len(st.Countries) - 1
		}
		c := &st.Countries[i]
		c.Count = satInc(c.Count)
		c.Last = max(c.Last, now)
	}
	if loc.ASN != 0 {
		i := slices.IndexFunc(st.Networks, func(n seenNetwork) bool { return n.ASN == loc.ASN })
		if i < 0 {
			if len(st.Networks) >= maxPlaces {
				j := oldest(st.Networks, func(n seenNetwork) int64 { return n.Last })
				st.Networks = slices.Delete(st.Networks, j, j+1)
			}
			st.Networks = append(st.Networks, seenNetwork{ASN: loc.ASN})
			i = len(st.Networks) - 1
		}
		n := &st.Networks[i]
		n.Count = satInc(n.Count)
		n.Last = max(n.Last, now)
	}
}

func oldest[T any](s []T, last func(T) int64) int {
	j := 0
	for i := range s {
		if last(s[i]) < last(s[j]) {
			j = i
		}
	}
	return j
}

func satInc(n uint32) uint32 {
	if n == math.MaxUint32 {
		return n
	}
	return n + 1
}

func (st *placeState) hourTotal() uint32 {
	var t uint32
	for _, n := range st.Hours {
		t += n
	}
	return t
}

// countryList names the account's countries, most used first: "FR, DE".
func (st *placeState) countryList() string {
	cs := slices.Clone(st.Countries)
	slices.SortStableFunc(cs, func(a, b seenCountry) int { return cmp.Compare(b.Count, a.Count) })
	var names []string
	for _, c := range cs {
		names = append(names, c.Code)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// placesBaseline describes the account's countries and networks, most
// used first: "countries FR 35, DE 2; networks AS3215 30, AS3320 7".
func (st *placeState) placesBaseline() string {
	const top = 5
	cs := slices.Clone(st.Countries)
	slices.SortStableFunc(cs, func(a, b seenCountry) int { return cmp.Compare(b.Count, a.Count) })
	ns := slices.Clone(st.Networks)
	slices.SortStableFunc(ns, func(a, b seenNetwork) int { return cmp.Compare(b.Count, a.Count) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d placed logins since %s", st.Placed, st.FirstPlaced.UTC().Format("2006-01-02"))
	if len(cs) > 0 {
		b.WriteString("; countries")
		for i, c := range cs[:min(top, len(cs))] {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s %d", c.Code, c.Count)
		}
	}
	if len(ns) > 0 {
		b.WriteString("; networks")
		for i, n := range ns[:min(top, len(ns))] {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " AS%d %d", n.ASN, n.Count)
		}
	}
	return b.String()
}

// hoursBaseline names the account's busiest hours: "120 logins; busiest
// 09:00 18%, 10:00 15%, 14:00 12% (UTC)".
func (st *placeState) hoursBaseline(total uint32, zone string) string {
	hours := make([]int, 24)
	for i := range hours {
		hours[i] = i
	}
	slices.SortStableFunc(hours, func(a, b int) int { return cmp.Compare(st.Hours[b], st.Hours[a]) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d logins; busiest", total)
	for i, h := range hours[:3] {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %02d:00 %.0f%%", h, 100*float64(st.Hours[h])/float64(total))
	}
	fmt.Fprintf(&b, " (%s)", zone)
	return b.String()
}

// days writes a duration in days: "42 days", or hours below two days.
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%.0f hours", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}

// Advance forgets the accounts without a login for Retention. It does so
// at most once an hour of event time.
func (d *NewPlace) Advance(now time.Time) []behave.Finding {
	if now.Sub(d.lastExpire) < time.Hour {
		return nil
	}
	d.lastExpire = now
	d.accounts.Expire(now.Add(-d.cfg.Retention))
	return nil
}

// placeSnapshot is the JSON form of the detector's state.
type placeSnapshot struct {
	Version  int                              `json:"version"`
	Accounts []behave.SavedEntry[*placeState] `json:"accounts"`
}

// Snapshot writes every account's history.
func (d *NewPlace) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(placeSnapshot{Version: 1, Accounts: d.accounts.Save()})
}

// Restore reads a snapshot back; one of another version leaves the
// detector empty.
func (d *NewPlace) Restore(r io.Reader) error {
	var snap placeSnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading newplace state: %w", err)
	}
	d.accounts = behave.NewTable[*placeState](d.lim.MaxEntities)
	if snap.Version != 1 {
		return nil
	}
	for _, e := range snap.Accounts {
		if e.Val == nil {
			return fmt.Errorf("reading newplace state: account %q has no state", e.Key)
		}
	}
	d.accounts.Load(snap.Accounts)
	return nil
}
