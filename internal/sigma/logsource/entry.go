package logsource

import (
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

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
	// "winjson", "syslog", "zeek", "cloudtrail", "weblog", "jsonl",
	// "auditd", …).
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

// FormatField is the pseudo-field that names the decoder that produced an
// event (event.Event.Format) in Conditions.
const FormatField = "vigie.format"

// Holds reports whether an event satisfies every Condition of en. get
// returns the value of a field of the event, and false when the event has
// no such field; it must answer FormatField with the event's decoder. Only
// the value get returns is compared: for a multi-valued field, pass a get
// that returns the relevant one, or use Matches. An Entry with no
// Conditions holds for every event.
func (en Entry) Holds(get func(field string) (string, bool)) bool {
	for _, c := range en.Conditions {
		v, ok := get(c.Field)
		if !ok || !c.allows(v) {
			return false
		}
	}
	return true
}

// Matches reports whether e satisfies every Condition of en. A condition
// on a multi-valued field holds when any of its values is allowed. The
// fields of e must be sorted, as decoders leave them.
func (en Entry) Matches(e *event.Event) bool {
	for _, c := range en.Conditions {
		if c.Field == FormatField {
			if !c.allows(e.Format) {
				return false
			}
			continue
		}
		if !slices.ContainsFunc(e.Values(c.Field), func(f event.Field) bool { return c.allows(f.Value) }) {
			return false
		}
	}
	return true
}

// allows reports whether v equals one of c.Values, without regard to case.
func (c Condition) allows(v string) bool {
	for _, want := range c.Values {
		if strings.EqualFold(v, want) {
			return true
		}
	}
	return false
}
