package simulate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

// geoTable reads geo.csv.
func geoTable(t *testing.T, data []byte) map[netip.Prefix]string {
	t.Helper()
	table := map[netip.Prefix]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan()
	if sc.Text() != "cidr,country,lat,lon,asn,org" {
		t.Fatalf("geo.csv header %q", sc.Text())
	}
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) != 6 {
			t.Fatalf("geo.csv line %q: %d fields", sc.Text(), len(f))
		}
		p, err := netip.ParsePrefix(f[0])
		if err != nil {
			t.Fatal(err)
		}
		for q := range table {
			if q.Overlaps(p) {
				t.Fatalf("geo.csv: %s overlaps %s", p, q)
			}
		}
		table[p] = f[1]
	}
	return table
}

func countryOf(table map[netip.Prefix]string, ip string) (string, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", false
	}
	for p, c := range table {
		if p.Contains(a) {
			return c, true
		}
	}
	return "", false
}

// TestGeoCovers checks that geo.csv places every public address of the
// simulation, and in the country Entra ID reports for it: a GeoIP database
// built from geo.csv agrees with the story.
func TestGeoCovers(t *testing.T) {
	sim := generated(t)
	files := contents(t, sim)
	table := geoTable(t, files[FileGeo])
	checked := 0
	for line := range bytes.Lines(files[FileEntra]) {
		var si struct {
			IP       string `json:"ipAddress"`
			Location struct {
				Country string `json:"countryOrRegion"`
			} `json:"location"`
		}
		if err := json.Unmarshal(line, &si); err != nil {
			t.Fatal(err)
		}
		c, ok := countryOf(table, si.IP)
		if !ok || c != si.Location.Country {
			t.Fatalf("Entra sign-in from %s in %s; geo.csv says %q (found %v)", si.IP, si.Location.Country, c, ok)
		}
		checked++
	}
	for _, name := range []string{FileConn, FileM365, FileCloudTrail} {
		for line := range bytes.Lines(files[name]) {
			for _, word := range strings.FieldsFunc(string(line), func(r rune) bool { return r == '\t' || r == '"' || r == ',' }) {
				a, err := netip.ParseAddr(word)
				if err != nil || a.IsPrivate() {
					continue
				}
				if _, ok := countryOf(table, word); !ok {
					t.Fatalf("%s: address %s is in no range of geo.csv", name, word)
				}
				checked++
			}
		}
	}
	b := sim.Truth().Breach
	if c, _ := countryOf(table, b.AttackerIP); c != b.AttackerCountry {
		t.Errorf("attacker %s in %q, truth says %s", b.AttackerIP, c, b.AttackerCountry)
	}
	if checked < 1000 {
		t.Errorf("only %d addresses checked", checked)
	}
}
