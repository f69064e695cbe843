// Package logsource maps the log sources of Sigma rules (category, product,
// service) to the events Vigie's decoders produce, and renames the field
// names rules use to the names those events carry.
//
// The mapping is data: a YAML file of entries. Default returns the one
// built into Vigie (default.yml, embedded); Parse reads a user's file, and
// Merge lays it over the default, so that a deployment can add sources or
// correct one without a new release.
//
// # Data format
//
//	entries:
//	  - name: process_creation_4688      # unique; identifies the entry
//	    category: process_creation        # the Sigma log source it describes;
//	    product: windows                  # at least one of the three
//	    conditions:                       # all must hold (AND)
//	      Channel: Security               # field: value
//	      EventID: [4688]                 # field: [values] (any of them)
//	    fields:                           # rule field name: event field name
//	      Image: NewProcessName
//	      ParentImage: ParentProcessName
//
// Values are compared as text without regard to case. The pseudo-field
// "vigie.format" (FormatField) is the decoder that produced the event
// (event.Event.Format): "evtx", "winjson", "syslog", "zeek", "cloudtrail",
// "weblog", "jsonl", "auditd". An entry may have no conditions: it then
// only adds the conditions of the entries it is combined with (see below).
// Parsing is strict: an unknown key, a duplicate key or name, a missing
// name or an empty value is an error reported as file:line:col
// (ParseError). YAML anchors and aliases may be used to share conditions
// or fields.
//
// # Resolution
//
// Resolve(category, product, service) finds the alternatives for a rule's
// log source, as a list of Entry: the rule applies to an event when the
// event satisfies every Condition of at least one of them, and that
// alternative's Fields rename the rule's field names. It works in four
// steps, which reproduce how SigmaHQ's regression runner mapping
// (sigma/tests/thor.yml) combines its log sources:
//
//  1. An entry is a candidate when every key it gives (category, product,
//     service) equals the rule's (case-insensitively). An entry giving a
//     key the rule does not give is not a candidate.
//  2. Candidates with the same keys form a group: the group is the set of
//     alternatives for that part of the log source. "category:
//     process_creation, product: windows" has two, Sysmon event 1 and
//     Security event 4688; "product: windows" has one, the Windows
//     decoders.
//  3. Every key the rule gives must be given by at least one candidate;
//     otherwise the log source is not mapped and Resolve returns false. A
//     rule for "product: windows, category: file_access" (ETW, which no
//     decoder reads) therefore maps to nothing, rather than to every
//     Windows event.
//  4. The result is every combination of one entry from each group (the
//     groups are ANDed), most specific group first. A combination's
//     conditions are the union of its entries' conditions; where two
//     entries test the same field, only the values both allow remain, and
//     a combination left with no value for a field can never hold and is
//     dropped. Fields are merged, the more specific entry winning a
//     conflict. When nothing remains, Resolve returns false.
//
// So "product: windows, category: process_creation" gives {vigie.format
// evtx or winjson, Channel Microsoft-Windows-Sysmon/Operational, EventID 1}
// or {vigie.format evtx or winjson, Channel Security, EventID 4688, Image →
// NewProcessName, ParentImage → ParentProcessName}; adding "service:
// security" keeps only the second, because the Sysmon channel and the
// Security channel exclude each other; "product: windows" alone gives every
// event of the Windows decoders. A combined Entry is named after its parts,
// most specific first ("process_creation_4688+windows"), and carries the
// rule's category, product and service.
//
// # Non-goals
//
// The package does not match rule detections (package sigma does, using
// Entry.Holds or Entry.Matches for the log source) and does not decode
// events. Log sources no decoder produces (macOS, ETW, network devices,
// most SaaS audit logs) are deliberately not mapped; TestRuleLogSources
// lists them with the number of rules each covers.
package logsource
