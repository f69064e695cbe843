// Package intel imports indicators of compromise (IOC) from threat
// intelligence files, keeps them in the store, and matches them against
// events.
//
// Three formats are read, each all-or-nothing: a file with a malformed
// object is rejected with the object or line at fault, and nothing of it is
// returned.
//
//   - STIX 2.1 bundles (ParseSTIX): indicator objects whose pattern is in
//     the subset of STIX patterning that names one value per comparison
//     (addresses and networks, domain names, URLs, file hashes, account
//     logins, e-mail addresses); other objects are ignored.
//   - MISP events in the core JSON format (ParseMISP): attributes and object
//     attributes of the matchable types, by default only those marked to_ids.
//   - CSV with a header row (ParseCSV): type,value and optional columns; the
//     type is inferred from the value when the column is absent.
//
// An indicator that is well formed but that Vigie cannot match (a STIX
// pattern with FOLLOWEDBY, WITHIN or MATCHES, two different values joined by
// AND, an unknown MISP attribute type) is not an error: it is listed in
// ImportReport.Skipped with the reason.
//
// A Matcher is compiled once from a list of indicators and matched against
// every event: addresses, domains (with their subdomains), URLs, hashes,
// accounts and e-mail addresses are looked up in hash maps, networks in one
// map per prefix length, so that the cost of a match does not grow with the
// number of indicators (BenchmarkMatch). The Detector runs a Matcher as a
// behaviour detector ("ioc") and lets the indicators be replaced while it
// runs. Store keeps indicators as records of kind "indicator".
//
// ExportSTIX and ExportMISP write the indicators of an incident (a Case) as
// a STIX 2.1 bundle and as a MISP event, for the case bundles handed to the
// authorities; both read back through ParseSTIX and ParseMISP.
//
// Non-goals: STIX patterns over several observations (AND, FOLLOWEDBY) or
// with qualifiers (WITHIN, REPEATS, START/STOP), regular expressions and
// LIKE, network-traffic and process objects, MISP sightings and
// correlations, TAXII and MISP servers (files only).
package intel
