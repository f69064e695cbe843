// Package casefile assembles an incident's case bundle for the
// authorities: one file (tar.gz or zip, written by package
// evidence/bundle) holding the incident, its alerts, the raw events of its
// scope, the timeline, the scope report, the notes, the decisions, the
// audit entries about it, its indicators as STIX 2.1 and MISP, an
// inclusion proof of every exported event, alert and audit entry against a
// freshly signed checkpoint, and report.html, the same for a human reader.
//
// # What is exported
//
// The alerts are every alert event of the incident (incident.Incident
// lists them; none is left out). The events are the alerts' evidence
// events (vigie.evidence) and the events the scope report reads inside
// the incident's scope window, at most Config.MaxEvents of them,
// evidence first; when the bound is hit, manifest-side counts and the
// report say how many were left out. The scope report also reads the
// involved entities' history before the window, as the baseline of its
// transfer verdicts; those baseline events are not exported.
//
// # Chain of custody
//
// Each export is audited AFTER the bundle is written: the audit entry
// "incident.export" (target incident/ID) names the manifest's SHA-256,
// which exists only once the bundle does. An entry about a bundle cannot
// be inside it; the next export of the incident includes it, and its
// report lists every earlier export (who, when, manifest SHA-256). A
// failed export is audited too, with its error and no manifest.
//
// Each successful export also keeps a record of kind "export" (ID
// "INCIDENT/MANIFEST-SHA256") listing what it held: alert, event and audit
// IDs, the notes, the status, each file's SHA-256. The next export of the
// same incident compares itself with the latest such record and states
// what changed since (alerts and events added or removed, new notes, the
// status change) in the bundle and in the report.
//
// Non-goals: the package does not check who may export (the API does),
// does not write files to disk (the caller gives an io.Writer), and does
// not verify bundles (package evidence/bundle does).
package casefile
