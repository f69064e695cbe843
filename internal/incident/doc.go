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
// join. A value that behaves like a hub never joins either: see
// Grouping.CommonAfter. Every join records which entity caused it.
//
// When an alert shares entities with several open incidents, they are
// merged into the oldest (Grouping.AutoMerge, the default), or the alert
// joins the oldest and the others are marked Related. A closed incident
// (resolved or false positive) takes no new alert: a new incident opens,
// Related to it.
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
