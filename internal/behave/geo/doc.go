// Package geo holds the behaviour detectors that place logins on the map
// with a GeoIP database (package geoip):
//
//   - Travel (travel.go): impossible travel, two successful logins of one
//     account too far apart for the time between them;
//   - NewPlace (newplace.go): the first successful login of a settled
//     account from a new country or a new network, and a login at an hour
//     the account is rarely active.
//
// Both read logins through behave.AuthOf, so that one detector serves
// sshd, Windows, Entra ID, CloudTrail and any other source whose decoder
// fills the ECS authentication fields, and both look at successful logins
// only: failures say little about where the account's owner is.
//
// Neither can run without a database: the constructors take a non-nil
// *geoip.DB, and the caller reports a missing one as a configuration
// error. Addresses that cannot be placed (private, loopback, link-local,
// shared 100.64.0.0/10, or absent from the database) are left out of the
// geographic checks.
//
// Non-goals: placing addresses by other means (reverse DNS, WHOIS),
// recognising VPN, proxy or hosting exits (no free database says so), and
// an organisation-wide baseline (a country new to an account but usual for
// its colleagues is still reported).
package geo
