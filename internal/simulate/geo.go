package simulate

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// country is a place staff live in, or traffic comes from.
type country struct {
	code, name, city, state string
	lat, lon                float64
	offset                  time.Duration // fixed UTC offset of local time; no daylight saving
	weight                  int           // share of staff living there; 0 for none
	given, family           []string      // names of staff from there
}

// The countries of the simulation. Staff come from those with a weight;
// the others host services, the attacker and internet scanners.
var countries = []*country{
	{"NL", "Netherlands", "The Hague", "South Holland", 52.0705, 4.3007, 1 * time.Hour, 38,
		[]string{"Jan", "Sanne", "Pieter", "Anouk", "Bram", "Lotte", "Daan", "Eva", "Joris", "Femke"},
		[]string{"de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Dekker"}},
	{"FR", "France", "Paris", "Ile-de-France", 48.8566, 2.3522, 1 * time.Hour, 9,
		[]string{"Camille", "Julien", "Claire", "Mathieu", "Elise", "Antoine", "Margaux", "Hugo"},
		[]string{"Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Fournier"}},
	{"BE", "Belgium", "Brussels", "Brussels-Capital", 50.8503, 4.3517, 1 * time.Hour, 5,
		[]string{"Lucas", "Emma", "Arthur", "Louise", "Victor", "Marie"},
		[]string{"Peeters", "Janssens", "Maes", "Claes", "Willems", "Goossens"}},
	{"DE", "Germany", "Berlin", "Berlin", 52.5200, 13.4050, 1 * time.Hour, 6,
		[]string{"Lukas", "Anna", "Felix", "Lena", "Jonas", "Katrin"},
		[]string{"Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner"}},
	{"GB", "United Kingdom", "London", "England", 51.5074, -0.1278, 0, 6,
		[]string{"Oliver", "Amelia", "Harry", "Isla", "George", "Grace"},
		[]string{"Smith", "Jones", "Taylor", "Brown", "Evans", "Walker"}},
	{"ES", "Spain", "Madrid", "Madrid", 40.4168, -3.7038, 1 * time.Hour, 4,
		[]string{"Lucia", "Javier", "Carmen", "Pablo", "Elena"},
		[]string{"Garcia", "Fernandez", "Lopez", "Martinez", "Sanchez"}},
	{"IT", "Italy", "Rome", "Lazio", 41.9028, 12.4964, 1 * time.Hour, 4,
		[]string{"Giulia", "Marco", "Chiara", "Luca", "Francesca"},
		[]string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi"}},
	{"SN", "Senegal", "Dakar", "Dakar", 14.7167, -17.4677, 0, 5,
		[]string{"Aminata", "Moussa", "Fatou", "Ibrahima", "Awa"},
		[]string{"Diop", "Ndiaye", "Fall", "Sow", "Diallo"}},
	{"UG", "Uganda", "Kampala", "Central Region", 0.3476, 32.5825, 3 * time.Hour, 5,
		[]string{"Grace", "Moses", "Esther", "Joseph", "Sarah"},
		[]string{"Okello", "Namubiru", "Mugisha", "Nansubuga", "Ssempala"}},
	{"KE", "Kenya", "Nairobi", "Nairobi County", -1.2921, 36.8219, 3 * time.Hour, 4,
		[]string{"Wanjiru", "Otieno", "Achieng", "Kamau", "Njeri"},
		[]string{"Mwangi", "Odhiambo", "Kariuki", "Wambui", "Kiprop"}},
	{"CD", "DR Congo", "Kinshasa", "Kinshasa", -4.4419, 15.2663, 1 * time.Hour, 3,
		[]string{"Patrice", "Chantal", "Didier", "Josephine"},
		[]string{"Mukendi", "Kabongo", "Tshibanda", "Ilunga"}},
	{"CA", "Canada", "Ottawa", "Ontario", 45.4215, -75.6972, -5 * time.Hour, 4,
		[]string{"Emily", "Liam", "Chloe", "Noah", "Sophie"},
		[]string{"Tremblay", "Roy", "Gagnon", "Campbell", "Wilson"}},
	{"AR", "Argentina", "Buenos Aires", "Buenos Aires", -34.6037, -58.3816, -3 * time.Hour, 3,
		[]string{"Martina", "Santiago", "Valentina", "Mateo"},
		[]string{"Gonzalez", "Rodriguez", "Gomez", "Diaz"}},
	{"JP", "Japan", "Tokyo", "Tokyo", 35.6762, 139.6503, 9 * time.Hour, 2,
		[]string{"Haruto", "Yui", "Sota", "Aoi"},
		[]string{"Sato", "Suzuki", "Takahashi", "Tanaka"}},
	{"US", "United States", "Ashburn", "Virginia", 39.0438, -77.4874, -5 * time.Hour, 0, nil, nil},
	{"IE", "Ireland", "Dublin", "Leinster", 53.3498, -6.2603, 0, 0, nil, nil},
	{"SC", "Seychelles", "Victoria", "Mont Fleuri", -4.6191, 55.4513, 4 * time.Hour, 0, nil, nil},
	{"CN", "China", "Beijing", "Beijing", 39.9042, 116.4074, 8 * time.Hour, 0, nil, nil},
	{"RU", "Russia", "Moscow", "Moscow", 55.7558, 37.6173, 3 * time.Hour, 0, nil, nil},
	{"BR", "Brazil", "Sao Paulo", "Sao Paulo", -23.5505, -46.6333, -3 * time.Hour, 0, nil, nil},
	{"VN", "Vietnam", "Hanoi", "Hanoi", 21.0278, 105.8342, 7 * time.Hour, 0, nil, nil},
	{"IN", "India", "Mumbai", "Maharashtra", 19.0760, 72.8777, 5*time.Hour + 30*time.Minute, 0, nil, nil},
	{"KR", "South Korea", "Seoul", "Seoul", 37.5665, 126.9780, 9 * time.Hour, 0, nil, nil},
	{"ID", "Indonesia", "Jakarta", "Jakarta", -6.2088, 106.8456, 7 * time.Hour, 0, nil, nil},
}

func countryByCode(code string) *country {
	for _, c := range countries {
		if c.code == code {
			return c
		}
	}
	panic("BUG: simulate: unknown country " + code)
}

// netUse says what a network is for.
type netUse uint8

const (
	useOffice      netUse = iota // the court's own public addresses
	useResidential               // staff at home, per country
	useCloud                     // SaaS, CDNs and software updates
	useAttacker                  // the intruder's servers
	useScanner                   // internet background noise
)

// geoRange is one row of geo.csv.
type geoRange struct {
	prefix  netip.Prefix
	country *country
	asn     int
	org     string
	use     netUse
}

// networks assigns the public address space. Most ranges come from the
// blocks reserved for documentation and benchmarking (RFC 5737
// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; RFC 2544 198.18.0.0/15)
// and the ASNs reserved for documentation (RFC 5398); a few residential
// ranges look like real ones. Every assignment is made up: geo.csv exists
// so that tests can build a GeoIP database that agrees with the story.
func networks() []geoRange {
	var nets []geoRange
	add := func(cidr, cc string, asn int, org string, use netUse) {
		nets = append(nets, geoRange{netip.MustParsePrefix(cidr), countryByCode(cc), asn, org, use})
	}
	add("192.0.2.0/24", "NL", 64496, "International Tribunal (headquarters)", useOffice)
	// One /20 of 198.18.0.0/16 per staff country, in table order.
	asn := 64497
	i := 0
	for _, c := range countries {
		if c.weight == 0 {
			continue
		}
		base := netip.AddrFrom4([4]byte{198, 18, byte(16 * i), 0})
		add(netip.PrefixFrom(base, 20).String(), c.code, asn+i%12, "Example Broadband "+c.code, useResidential)
		i++
	}
	// Realistic-looking ranges for the larger staff countries.
	add("84.104.0.0/16", "NL", 64497, "Example Broadband NL", useResidential)
	add("90.84.0.0/16", "FR", 64498, "Example Broadband FR", useResidential)
	add("81.96.0.0/16", "GB", 64501, "Example Broadband GB", useResidential)
	add("41.90.0.0/16", "KE", 64506, "Example Broadband KE", useResidential)
	add("198.19.0.0/18", "US", 65536, "Example Cloud US", useCloud)
	add("198.19.64.0/18", "IE", 65537, "Example Cloud EU", useCloud)
	add("198.19.128.0/18", "NL", 65538, "Example CDN", useCloud)
	add("198.19.192.0/18", "US", 65539, "Example Software Updates", useCloud)
	add("203.0.113.0/26", "SC", 65540, "Offshore VPS Hosting", useAttacker)
	add("203.0.113.64/26", "US", 65541, "Example File Hosting", useAttacker)
	add("203.0.113.128/26", "DE", 65542, "Example Cloud VPS", useAttacker)
	for j, cc := range []string{"CN", "RU", "BR", "VN", "IN", "US", "KR", "ID"} {
		base := netip.AddrFrom4([4]byte{198, 51, 100, byte(32 * j)})
		add(netip.PrefixFrom(base, 27).String(), cc, 65543+j, "Example Hosting "+cc, useScanner)
	}
	return nets
}

// nth returns the n-th address of p, wrapping inside it and skipping its
// first address (the network) and last (broadcast).
func nth(p netip.Prefix, n int) netip.Addr {
	size := 1 << (32 - p.Bits())
	n = 1 + n%(size-2)
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// writeGeo writes geo.csv: cidr,country,lat,lon,asn,org.
func writeGeo(w io.Writer, nets []geoRange) error {
	b := []byte("cidr,country,lat,lon,asn,org\n")
	for _, n := range nets {
		b = fmt.Appendf(b, "%s,%s,%s,%s,%d,%s\n", n.prefix, n.country.code,
			strconv.FormatFloat(n.country.lat, 'f', 4, 64), strconv.FormatFloat(n.country.lon, 'f', 4, 64), n.asn, n.org)
	}
	_, err := w.Write(b)
	return err
}
