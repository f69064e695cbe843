package geo

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/behave"
)

// Tags are the ATT&CK tags of the findings: a valid account used by
// someone else is initial access with valid accounts.
var tags = []string{"attack.initial-access", "attack.t1078"}

// earthRadiusKm is the mean radius of the Earth (IUGG).
const earthRadiusKm = 6371.0088

// halfCircumferenceKm is the longest great-circle distance.
const halfCircumferenceKm = math.Pi * earthRadiusKm

// distanceKm returns the great-circle distance between two points given in
// degrees (haversine formula; the spherical Earth errs by under 0.5%).
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(min(1, h)))
}

// sharedAddressSpace is 100.64.0.0/10 (RFC 6598, carrier-grade NAT).
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// publicAddr parses a source address and reports whether it can be placed:
// a global unicast address outside the private, shared (CGNAT) and
// loopback ranges. IPv4-mapped IPv6 addresses are unmapped.
func publicAddr(s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	ip = ip.Unmap().WithZone("")
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || sharedAddressSpace.Contains(ip) {
		return netip.Addr{}, false
	}
	return ip, true
}

// network returns the network an address is counted in for "same
// network" decisions: its /24, or /48 for IPv6.
func network(ip netip.Addr) netip.Prefix {
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, _ := ip.Prefix(bits)
	return p
}

// accountKey names the account a login is of: the user name, qualified by
// its domain when the source gives one ("corp\alice"), and by the host
// logged into when perHost is set ("root@web01").
func accountKey(a behave.Auth, perHost bool) string {
	key := a.User
	if a.Domain != "" {
		key = strings.ToLower(a.Domain) + `\` + key
	}
	if perHost && a.Host != "" {
		key += "@" + a.Host
	}
	return key
}

// accountEntities returns the entities naming the account of a login.
func accountEntities(a behave.Auth) []behave.Entity {
	es := []behave.Entity{{Field: "user.name", Value: a.User}}
	if a.Domain != "" {
		es = append(es, behave.Entity{Field: "user.domain", Value: a.Domain})
	}
	if a.Host != "" {
		es = append(es, behave.Entity{Field: "host.name", Value: a.Host})
	}
	return es
}

// addEntity appends an entity unless it is there already.
func addEntity(es []behave.Entity, field, value string) []behave.Entity {
	if value == "" {
		return es
	}
	for _, e := range es {
		if e.Field == field && e.Value == value {
			return es
		}
	}
	return append(es, behave.Entity{Field: field, Value: value})
}

// placeName describes where an address is: "Sydney, AU (1.2.3.4, AS64500
// Example)".
func placeName(ip netip.Addr, country, city string, asn uint32, org string) string {
	var b strings.Builder
	switch {
	case city != "" && country != "":
		fmt.Fprintf(&b, "%s, %s", city, country)
	case country != "":
		b.WriteString(country)
	case city != "":
		b.WriteString(city)
	default:
		b.WriteString("unknown place")
	}
	fmt.Fprintf(&b, " (%s", ip)
	if asn != 0 {
		fmt.Fprintf(&b, ", AS%d", asn)
		if org != "" {
			fmt.Fprintf(&b, " %s", org)
		}
	}
	b.WriteString(")")
	return b.String()
}

// thousands writes v rounded, with thousands separators: "14,576".
func thousands(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
