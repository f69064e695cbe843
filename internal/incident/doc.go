// Package incident groups alerts into incidents and keeps them: the
// records analysts work on (status, assignee, notes, tags), their
// timeline, and the view of one entity across alerts and incidents.
//
// # Grouping
//
// An alert joins an open incident (new, investigating or contained) when
// they share an entity and the alert's time lies within Grouping.Window of
// the incident's malicious activity (its First and Last, widened by the
// window on both sides, so that alerts arriving late or from a retro-hunt
// still join). Entities are the values of Grouping.Fields, compared after
// normalisation (see Normalize): user names ignore case, a DOMAIN\ prefix
// and an @domain suffix; a host's fully qualified name and its first label
// are the same host; addresses are canonical, and source.ip and
// destination.ip name the same kind of thing, so an address seen as a
// source in one alert and as a destination in another is shared.
//
// Values in Grouping.Ignore (SYSTEM, loopback addresses, "-", …) never
// join. Three more rules keep unrelated activity apart:
//
//   - fan-out: values of a kind one alert names more than Grouping.FanOut
//     of (the thirty accounts a password spray tried) are listed but do
//     not join;
//   - hubs: a value met with more than Grouping.CommonAfter distinct other
//     values within the window (a gateway, an update server) does not
//     join;
//   - crowds: when one rule meets one value with that many partners (fifty
//     workstations beaconing to the update server, a hundred scanners
//     spraying the SSH gateway) and no incident knows the alert's actor,
//     the alert joins the crowd's incident and links nothing. When a later
//     alert links the actor (the spraying address logs in), its crowd
//     alerts move to that incident.
//
// An alert that names no entity (a log source falling silent) groups on
// the entities of its first evidence event, when Deps.Evidence is set.
// Every join records which values caused it, and every merge why.
//
// # Records
//
// Incidents are kept in store.Records (kind "incident", ID the decimal
// incident ID), with the cursor of alerts consumed and the grouping state
// in one record of kind "incident-state". Analyst actions are written to
// the audit log, with target "incident/ID".
//
// The package does not read alerts from the store by itself, notify
// anyone, or decide responses: the caller feeds Add, and reads the
// Changes it returns.
package incident
