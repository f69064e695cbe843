// Package match compiles a set of Sigma rules into one Matcher that tells
// which rules an event matches, without testing every rule against every
// event.
//
// # Semantics
//
// Comparisons follow the Sigma specification (rules and modifiers
// appendix, 2.1); where it leaves a choice, the choice is:
//
//   - Strings compare case-insensitively, both sides folded the same way
//     (see fold.go), unless cased. A plain value matches the whole field
//     value; * and ? are wildcards (? is one character); \*, \? and \\ are
//     the literal characters and a backslash before anything else is a
//     literal backslash. contains, startswith and endswith add wildcards.
//   - A value equal to a number (4688, "4688", 0x10) also matches a field
//     whose text is that number written otherwise ("04688", "16"), cased
//     or not; lt, lte, gt and gte compare numerically and never match a
//     non-number. Booleans compare as text.
//   - null matches a field that is absent or has a Null value (an empty
//     EVTX Data element, a JSON null). The empty string matches a present
//     empty value, and a Null value reads as "" for every string
//     comparison, so that both the empty string and null catch the empty
//     EVTX element.
//     exists checks presence only.
//   - A field with several values satisfies an item when any value does;
//     with all, each rule value must be satisfied by some field value. neq
//     holds when the field is present and the item without neq does not
//     hold.
//   - Keywords (items without a field) are searched, as contains with
//     wildcards, in every String value of the event (message included for
//     syslog); Number, Bool and Null values are not searched.
//   - Transforms apply in the order written. base64 and base64offset
//     (pySigma's three shifted encodings) produce bytes compared
//     case-sensitively; utf16le/wide, utf16be and utf16 (byte order mark
//     FF FE, then little-endian) encode each literal part. windash replaces
//     each of - / – — ― independently by each of them: a value with n such
//     characters gives 5^n patterns, and more than 4 makes the rule
//     unsupported. expand replaces %name% with each value of
//     Config.Placeholders (itself a Sigma string); a placeholder without
//     values makes the rule unsupported.
//   - re is Go's RE2 after sigma.TranslateRegexp, unanchored; cidr uses
//     net/netip; fieldref compares with the other field's values (equal,
//     startswith, endswith or contains). Time modifiers read the field as
//     RFC 3339 or "2006-01-02 15:04:05" (UTC when zone-less) and compare
//     the part, in the time's own zone, as a number.
//   - A rule applies to an event of one of the entries its log source
//     resolves to (Config.Sources); its field names are renamed through
//     that entry. A filter rule adds "and not (filter condition)" to the
//     rules it names whose log source it covers.
//
// A rule the package cannot evaluate exactly never matches and its
// RuleStatus says why ("unsupported: …"); nothing is silently dropped.
//
// # How matching is fast
//
// Compile turns each rule into one alternative per log source entry, and
// every comparison into a test shared by all rules that ask it. Match then
// works in four steps:
//
//  1. One pass over the event's sorted fields finds the fields the rules
//     use (field names are numbered at compile time).
//  2. The event's log sources are found through a map on one condition
//     field per source (EventID when it has one), then checked.
//  3. For each field those sources use, each value is folded once, looked
//     up in a map of equality tests, walked from its start and from its
//     end through tries of the startswith and endswith literals, and run
//     through one Aho-Corasick automaton holding the literals of every
//     contains test on that field. A wildcard pattern is found by its
//     first or last literal (or its longest), then checked whole; a
//     regular expression by the literals it requires (see
//     regexpLiterals). Each test that holds queues the alternatives that
//     need it: at compile time every alternative gets a set of tests at
//     least one of which must hold for it to match (from its And/Or
//     structure), chosen to be rare.
//  4. Only the queued alternatives, plus those with no such set (a
//     condition made of "not", null or unprefiltered regular
//     expressions), are
//     evaluated. And and Or evaluate their cheapest parts first; regular
//     expressions and other lazy tests run last, once per event.
//
// Measured (BenchmarkMatch, TestMatcherSize; 2-core AMD EPYC shared with
// other jobs, so ±30%): the SigmaHQ set (3,757 rules, 3,291 evaluated)
// over the 8,255 attack-sample EVTX events costs 15-20 µs an event,
// without allocating; sigma-go's RuleEvaluatorBundle (with thor.yml) took
// about 30 ms an event on the same rules and events in the same session.
// An event visits 2.3 log sources, reads 24 fields (880 bytes) and
// evaluates about 6 of the 4,880 alternatives. Compiling takes about
// 0.8 s; the matcher holds about 36 MB (34,000 tests, 30,600 needles,
// 410,000 automaton states, 73,000 trie nodes).
//
// Non-goals: correlation (package correlate), counting v1 aggregations,
// and field name matching other than exact (rules and events must agree
// on case).
package match
