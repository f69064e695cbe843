// Package bouncer serves Vigie's blocks over the CrowdSec Local API
// bouncer protocol, so that existing CrowdSec bouncers (firewall, nginx,
// Traefik, cloud WAF…) enforce them unchanged.
//
// A Bouncer is a respond.Executor: Apply and Revoke record the change,
// and each registered bouncer pulls it with
//
//	GET /v1/decisions/stream?startup=true|false[&scopes=ip,range][&origins=…][&scenarios_containing=…][&scenarios_not_containing=…]
//
// which answers {"new":[…]|null,"deleted":[…]|null}: every block in force
// at startup, then what changed since that bouncer's previous pull. Live
// bouncers ask instead with GET /v1/decisions?ip=…|range=…|scope=…&value=…
// (a JSON array, or null). HEAD is answered on both. Requests carry the
// bouncer's key in X-Api-Key; keys are made by AddBouncer, stored hashed
// (store.Records kind "bouncer") and revoked by RemoveBouncer. A wrong key
// gets 403 {"message":"access forbidden"}, as CrowdSec answers.
//
// Decisions take CrowdSec's JSON shape (models.Decision): type "ban",
// scope "Ip" or "Range", origin "vigie", scenario "vigie/policy/NAME" or
// "vigie/analyst/USER", duration left as Go prints it ("3h59m58s"), until
// in RFC 3339. Only blocks of addresses and ranges are served; dry runs
// never reach an executor.
//
// The package does not implement the rest of the Local API (watchers,
// alerts, machine logins, metrics push), nor TLS client certificates.
package bouncer
