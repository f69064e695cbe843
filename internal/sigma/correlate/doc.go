// Package correlate evaluates Sigma v2 correlation rules (event_count,
// value_count, temporal, temporal_ordered, value_sum, value_avg,
// value_percentile) on a stream of rule matches, in event time.
//
// The caller matches events against the base rules and hands every match
// to Engine.Observe. The engine returns the correlation hits, including
// hits of correlations over correlations (chains), which it feeds back
// into itself.
//
// # Event time and ordering
//
// Every result depends only on event times, never on arrival order. The
// engine keeps a watermark, the newest event time seen (or the time given
// to Advance, whichever is later), and holds matches in a reorder buffer
// until the watermark is more than Config.Lateness past them; it then
// processes them in order of (time, ref, arrival), refs compared in
// natural order so that "f:9" comes before "f:10". Matches older than
// watermark − Lateness when they arrive are dropped and counted in
// Stats.Late. So input that is out of order by at most Lateness gives
// exactly the hits of sorted input, and a hit is reported at most
// Lateness (of event time) after the event that completes it. Hunting
// over files that overlap in time needs a Lateness covering the overlap;
// Flush releases everything at the end.
//
// # Windows and firing
//
// A correlation's condition is "rising" when all its comparisons are gt
// or gte (and the type is not value_percentile); otherwise it is decided
// at window close.
//
// Rising conditions use a sliding window per group: after each match of
// the group (at time t) the metric is computed over the group's matches
// with times in [t − timespan, t]. The first time the condition holds, a
// Hit is emitted with the window's matches as evidence. The group then
// forgets those matches and stays quiet while t ≤ Last + timespan: the
// next hit needs a window made only of matches after the ones that fired.
// So a burst shorter than timespan gives exactly one hit, and a sustained
// burst gives at most one hit per timespan per group.
//
// Other conditions (with lt, lte, eq or neq, and value_percentile) use
// tumbling windows anchored at a group's first match: a window holds the
// matches in [first, first + timespan]; the condition is checked once,
// when the processing time passes the window's end (a later match, an
// Advance, or Flush). The next match of the group opens a new window. A
// group exists only once a match for it is seen: "lt 5" reports groups
// with few matches, never the silence of an unseen group.
//
// Timespan 0 (a deprecated Sigma v1 aggregation with no timeframe) is the
// whole stream: a rising condition is checked on every match and fires
// at most once per group; other conditions are decided at Flush only.
//
// # Metrics
//
//   - event_count: the number of matches in the window.
//   - value_count: the number of distinct values of the field; matches
//     without the field do not count.
//   - temporal: the number of distinct referenced rules matched in the
//     window. Without a condition it must reach the number of rules.
//   - temporal_ordered: the length of the longest prefix of the rule list
//     matched in order (each match after the previous one in processing
//     order) in the window; without a condition, all rules.
//   - value_sum, value_avg: the sum or mean of the field's numeric values;
//     matches whose field is missing or not a number are left out and
//     counted in Stats.NonNumeric. value_avg with no number is not decided.
//   - value_percentile: for each distinct value v of the field in a
//     closed window, the share in percent of the group's matches carrying
//     the field whose value is v. One hit per value whose share satisfies
//     the condition ("lte: 1": values seen in at most 1% of the group's
//     matches); its Group ends with the field and the value, and its
//     evidence is the matches carrying v.
//
// Field values are read with Event.Get: the first value of a multi-valued
// field. A match missing a group-by field is grouped under the empty
// value, as the null group of pySigma backends. With aliases, the field
// for an alias is looked up by the matched rule's name, then its id, then
// the reference as written in "rules"; a rule without an entry uses the
// alias name itself as the field. Aliases also apply to the value field.
//
// # Chains
//
// A hit of correlation A is a match of A for the correlations referring
// to A: a synthetic event whose fields are the hit's Group and whose
// evidence refs are the hit's. Its time is the hit's Last for rising
// conditions; for conditions decided at window close it is the window's
// end, when the hit becomes known, so the next level still sees its input
// in time order (Flush: the newest processed time). A detection rule that
// carries its own correlation (a converted v1 aggregation) feeds its
// detection matches to it; its hits are not chained further.
//
// # Memory
//
// Per group the engine keeps the matches of the current window (time,
// referenced rule, field value, evidence refs), at most
// Config.MaxWindowEvents (the oldest dropped beyond, counted in
// Stats.Overflow), plus a distinct-value map or per-rule counters.
// Groups idle for longer than timespan are removed; beyond
// Config.MaxGroups the least recently updated group is evicted (counted
// in Stats.Evicted). The reorder buffer holds at most Config.MaxPending
// matches; beyond it the oldest is processed early.
//
// # Concurrency
//
// An Engine is not safe for concurrent use: one goroutine feeds it, or
// the caller serialises calls.
//
// Not done: Sigma v1 "near" aggregations, distinct counts over several
// fields, per-rule statistics, and protection against matches far in the
// future moving the watermark (clamp event times before calling Observe).
package correlate
