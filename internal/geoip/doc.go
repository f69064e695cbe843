// Package geoip places an IP address: country, city, coordinates with
// their accuracy, and the network (autonomous system) it belongs to. It
// reads the MaxMind DB (.mmdb) files that MaxMind's GeoLite2 and GeoIP2
// and DB-IP's lite databases are published in.
//
// A DB is opened from a City or Country database (GeoLite2-City,
// GeoLite2-Country, dbip-city-lite, dbip-country-lite), optionally with a
// separate ASN database (GeoLite2-ASN, dbip-asn-lite), since the free City
// databases do not name networks. It is read-only after Open and safe for
// concurrent use.
//
// Non-goals: downloading or updating the databases (they need an account
// or a licence acceptance the user gives), reloading a file that changed
// (open a new DB), and any other IP data (proxies, hosting, reputation).
// Test databases are built with package geoiptest.
package geoip
