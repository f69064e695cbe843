package logsource

// Entry says which events belong to one Sigma log source, and how the
// field names of that log source's rules are found in those events.
//
// A rule applies to an event when, for at least one Entry its log source
// resolves to, the event satisfies every Condition of that Entry; the
// rule's field names are then renamed through that Entry's Fields.
type Entry struct {
	// Name identifies the entry in messages and in "vigie rules
	// logsources" ("process_creation_4688").
	Name string
	// Category, Product and Service are the Sigma log source the entry
	// describes; empty means not given.
	Category, Product, Service string
	// Conditions are ANDed. The pseudo-field "vigie.format" is the
	// decoder that produced the event (event.Event.Format: "evtx",
	// "winjson", "syslog", "zeek", "cloudtrail", "weblog", "json", …).
	Conditions []Condition
	// Fields maps a field name used by rules to the name it has in the
	// events of this source (thor.yml's fieldmappings: Image →
	// NewProcessName for Security 4688).
	Fields map[string]string
}

// Condition holds when the event's Field equals one of Values, compared
// without regard to case (Windows channel names are case-insensitive).
type Condition struct {
	Field  string
	Values []string
}
