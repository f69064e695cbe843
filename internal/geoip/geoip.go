package geoip

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is what a database knows of an address. Fields it does not know
// are zero; HasCoordinates says whether Latitude and Longitude are known,
// since 0, 0 is a place.
type Location struct {
	// Country is the ISO 3166-1 alpha-2 code of the country the address
	// is used in ("FR"), or, when the database cannot tell (anycast,
	// satellite links), of the country it is registered to.
	Country string
	// City is the city's English name.
	City string
	// Latitude and Longitude are in degrees.
	Latitude, Longitude float64
	HasCoordinates      bool
	// AccuracyKm is the radius in kilometres around the coordinates
	// within which the database places the address, as MaxMind states it
	// (1,000 for an address known only to its country). DB-IP's lite
	// databases give none: 0.
	AccuracyKm int
	// ASN is the autonomous system number and Org its organisation
	// ("AS3215", "Orange"), from the ASN database or from a database that
	// carries them (GeoIP2 ISP, Enterprise, or a combined test database).
	ASN uint32
	Org string
}

// DB answers lookups from one location database and an optional ASN
// database. Its methods are safe for concurrent use, except Close.
type DB struct {
	city *maxminddb.Reader
	asn  *maxminddb.Reader // nil without an ASN database
	// failed counts the records that could not be decoded.
	failed atomic.Int64
}

// notFoundError is the error of a database file that does not exist. It
// matches fs.ErrNotExist.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string { return e.what }

func (e *notFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// Open opens a City or Country database. A missing file gives an error
// that says where to get one and matches fs.ErrNotExist.
func Open(path string) (*DB, error) {
	city, err := openReader(path, fmt.Sprintf("GeoIP database %s not found: download GeoLite2-City.mmdb from MaxMind (free account) or dbip-city-lite from db-ip.com and set detection.geoip in the config", path))
	if err != nil {
		return nil, err
	}
	if t := city.Metadata.DatabaseType; isASNOnly(t) {
		city.Close()
		return nil, fmt.Errorf("GeoIP database %s is of type %s, which has no locations: use a City or Country database, and this one as the ASN database", path, t)
	}
	return &DB{city: city}, nil
}

// OpenASN opens a City or Country database and an ASN database, the
// second naming the network of each address.
func OpenASN(path, asnPath string) (*DB, error) {
	db, err := Open(path)
	if err != nil {
		return nil, err
	}
	db.asn, err = openReader(asnPath, fmt.Sprintf("GeoIP ASN database %s not found: download GeoLite2-ASN.mmdb from MaxMind (free account) or dbip-asn-lite from db-ip.com, or leave the ASN database out of the config", asnPath))
	if err != nil {
		db.city.Close()
		return nil, err
	}
	return db, nil
}

func openReader(path, notFound string) (*maxminddb.Reader, error) {
	r, err := maxminddb.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &notFoundError{what: notFound}
	}
	if err != nil {
		return nil, fmt.Errorf("opening GeoIP database %s: %w", path, err)
	}
	return r, nil
}

// isASNOnly reports whether a database type is one of the ASN databases
// ("GeoLite2-ASN", "DBIP-ASN-Lite", "DBIP-ASN-Lite (compat=GeoLite2-ASN)").
func isASNOnly(dbType string) bool {
	t := strings.ToUpper(dbType)
	return strings.Contains(t, "-ASN") && !strings.Contains(t, "CITY") && !strings.Contains(t, "COUNTRY")
}

// record is the part of a City, Country or ASN record that Lookup reads.
// The City and Country layouts are MaxMind's, which DB-IP follows; the
// autonomous system fields are at the top level in the ASN databases and
// under traits in GeoIP2 ISP and Enterprise.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	City struct {
		Names struct {
			English string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Latitude       *float64 `maxminddb:"latitude"`
		Longitude      *float64 `maxminddb:"longitude"`
		AccuracyRadius uint16   `maxminddb:"accuracy_radius"`
	} `maxminddb:"location"`
	ASN    uint32 `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
	Traits struct {
		ASN uint32 `maxminddb:"autonomous_system_number"`
		Org string `maxminddb:"autonomous_system_organization"`
	} `maxminddb:"traits"`
}

// Lookup returns what the databases know of ip, and false when they know
// nothing of it (a private or unallocated address, an address missing
// from the files). An IPv4-mapped IPv6 address is looked up as IPv4. A
// record that cannot be decoded counts as unknown and is counted by
// Failed.
func (db *DB) Lookup(ip netip.Addr) (Location, bool) {
	if !ip.IsValid() {
		return Location{}, false
	}
	ip = ip.Unmap().WithZone("")
	var loc Location
	found := false
	if res, ok := db.find(db.city, ip); ok {
		var rec record
		if db.decode(res, &rec) {
			loc.Country = rec.Country.ISOCode
			if loc.Country == "" {
				loc.Country = rec.RegisteredCountry.ISOCode
			}
			loc.City = rec.City.Names.English
			if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
				loc.Latitude, loc.Longitude = *rec.Location.Latitude, *rec.Location.Longitude
				loc.HasCoordinates = true
			}
			loc.AccuracyKm = int(rec.Location.AccuracyRadius)
			loc.ASN, loc.Org = asnOf(&rec)
			found = loc.Country != "" || loc.HasCoordinates || loc.ASN != 0
		}
	}
	if db.asn != nil {
		if res, ok := db.find(db.asn, ip); ok {
			var rec record
			if db.decode(res, &rec) {
				if asn, org := asnOf(&rec); asn != 0 {
					loc.ASN, loc.Org = asn, org
					found = true
				}
			}
		}
	}
	return loc, found
}

func asnOf(rec *record) (uint32, string) {
	if rec.ASN != 0 {
		return rec.ASN, rec.Org
	}
	return rec.Traits.ASN, rec.Traits.Org
}

// find looks ip up in r, and reports whether r has a record for it.
func (db *DB) find(r *maxminddb.Reader, ip netip.Addr) (maxminddb.Result, bool) {
	res := r.Lookup(ip)
	if res.Err() != nil {
		db.failed.Add(1)
		return res, false
	}
	return res, res.Found()
}

// decode reads a found record into rec; the record is declared by the
// caller only once found, since passing it to Decode moves it to the heap.
func (db *DB) decode(res maxminddb.Result, rec *record) bool {
	if err := res.Decode(rec); err != nil {
		db.failed.Add(1)
		return false
	}
	return true
}

// Failed returns the number of lookups that failed on a damaged record.
func (db *DB) Failed() int64 { return db.failed.Load() }

// Type returns the database types, as their metadata name them:
// "GeoLite2-City", and "GeoLite2-ASN" when an ASN database is open.
func (db *DB) Type() []string {
	t := []string{db.city.Metadata.DatabaseType}
	if db.asn != nil {
		t = append(t, db.asn.Metadata.DatabaseType)
	}
	return t
}

// Close releases the files. No other method may run during or after it.
func (db *DB) Close() error {
	err := db.city.Close()
	if db.asn != nil {
		err = errors.Join(err, db.asn.Close())
	}
	return err
}
