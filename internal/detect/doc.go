// Package detect runs Sigma detection over streams of events: it loads a
// rule set (parse, compile into one matcher, check correlations) and says
// for every rule whether it is evaluated; it turns matches and correlation
// hits into alerts; and it runs the same engine over files (hunt, in
// cmd/vigie) and live over the store (Live).
//
// Alerts are events of kind alert (event.KindAlert) so that they are
// stored, searched and retained like any event. Their fields follow ECS:
// rule.id, rule.name, rule.ruleset ("sigma"), event.severity, the ATT&CK
// technique ids and tactic names of the rule's tags, the ids of the
// evidence events (vigie.evidence) and the entity fields of the evidence
// (user.name, host.name, source.ip, destination.ip), by which incidents
// group alerts.
package detect
