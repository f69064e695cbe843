// Package geoiptest builds small MaxMind DB files for tests, in the
// GeoLite2 layout that package geoip reads: country.iso_code, city.names.en,
// location.latitude, location.longitude, location.accuracy_radius, and the
// ASN database's autonomous_system_number and
// autonomous_system_organization, all in one file.
package geoiptest

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/vigie-sec/vigie/internal/geoip"
)

// Record places one network.
type Record struct {
	// CIDR is a network ("203.0.113.0/24", "2001:db8::/32") or a single
	// address.
	CIDR    string
	Country string // ISO code; "" leaves country out
	City    string // English name; "" leaves city out
	// Lat and Lon are written, with Radius as the accuracy radius in km,
	// unless all three are zero (a Country-database record).
	Lat, Lon float64
	Radius   int
	ASN      uint32 // 0 leaves the network out
	Org      string
}

// Write writes a database of the records to path. Later records replace
// earlier ones where they overlap. Reserved networks (private, documentation)
// are allowed, so that tests can use 192.0.2.0/24 and 10.0.0.0/8.
func Write(tb testing.TB, path string, records []Record) {
	tb.Helper()
	write(tb, path, "Vigie-Test-City", records)
}

// WriteASN writes a database of type "Vigie-Test-ASN", which geoip.Open
// refuses and geoip.OpenASN takes as the ASN database, as it does
// GeoLite2-ASN. Only the records' ASN and Org are meant for it, though
// nothing stops a test from writing more.
func WriteASN(tb testing.TB, path string, records []Record) {
	tb.Helper()
	write(tb, path, "Vigie-Test-ASN", records)
}

func write(tb testing.TB, path, dbType string, records []Record) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatalf("geoiptest: %v", err)
	}
	if err := Build(f, dbType, records); err != nil {
		f.Close()
		tb.Fatalf("geoiptest: writing %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		tb.Fatalf("geoiptest: %v", err)
	}
}

// Build writes a database of the given type ("Vigie-Test-City") to w, for
// callers without a testing.TB (examples, benchmark programs).
func Build(w io.Writer, dbType string, records []Record) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": "Vigie test database"},
		Languages:               []string{"en"},
		IncludeReservedNetworks: true,
		RecordSize:              24,
	})
	if err != nil {
		return err
	}
	for _, r := range records {
		network, err := parseNetwork(r.CIDR)
		if err != nil {
			return fmt.Errorf("record %+v: %w", r, err)
		}
		if err := tree.Insert(network, r.value()); err != nil {
			return fmt.Errorf("inserting %s: %w", r.CIDR, err)
		}
	}
	_, err = tree.WriteTo(w)
	return err
}

// Open writes a database of the records in a temporary folder and opens
// it; it is closed when the test ends.
func Open(tb testing.TB, records []Record) *geoip.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "test-city.mmdb")
	Write(tb, path, records)
	db, err := geoip.Open(path)
	if err != nil {
		tb.Fatalf("geoiptest: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func parseNetwork(s string) (*net.IPNet, error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, &net.ParseError{Type: "IP address", Text: s}
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, network, err := net.ParseCIDR(s)
	return network, err
}

func (r Record) value() mmdbtype.Map {
	m := mmdbtype.Map{}
	if r.Country != "" {
		m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(r.Country)}
	}
	if r.City != "" {
		m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(r.City)}}
	}
	if r.Lat != 0 || r.Lon != 0 || r.Radius != 0 {
		m["location"] = mmdbtype.Map{
			"latitude":        mmdbtype.Float64(r.Lat),
			"longitude":       mmdbtype.Float64(r.Lon),
			"accuracy_radius": mmdbtype.Uint16(r.Radius),
		}
	}
	if r.ASN != 0 {
		m["autonomous_system_number"] = mmdbtype.Uint32(r.ASN)
		if r.Org != "" {
			m["autonomous_system_organization"] = mmdbtype.String(r.Org)
		}
	}
	return m
}
