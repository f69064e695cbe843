// Package telemetry holds the behaviour detectors that watch the logging
// itself rather than what it records: attackers turn logging off, and the
// first sign is often a gap.
//
//   - Silence (silence.go) learns each stream's rhythm — every event
//     source, and every host per kind of source — and reports a stream
//     that goes quiet far longer than it usually does, then reports again
//     when it resumes. Its Gaps method lists recent telemetry gaps for the
//     incident scope report.
//   - Cleared (cleared.go) reports an audit log cleared, stopped or
//     reduced: Windows 1102 and 104, the event log service shut down (1100),
//     crashed or restarted, Sysmon stopped, auditd stopped or disabled,
//     CloudTrail trails stopped, deleted or narrowed, Azure diagnostic
//     settings deleted. Stops that a normal shutdown also writes are
//     weighed against the host's shutdown and boot records.
//
// Non-goals: the Sigma rules for the commands that clear logs (wevtutil,
// Clear-EventLog…) stay rules; these detectors report what the logs say
// happened to them. Neither detector decides anything at the end of a
// hunt's input except Cleared's undecided stops: the input ends, not the
// source.
package telemetry
