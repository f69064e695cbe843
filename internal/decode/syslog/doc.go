// Package syslog decodes syslog messages, one per line in a file or one per
// datagram or frame from a network transport, into events with ECS fields.
//
// Three shapes are accepted:
//
//   - RFC 5424: "<34>1 2003-10-11T22:14:15.003Z host app 42 ID47 [sd@1 k="v"] msg",
//     parsed by github.com/influxdata/go-syslog/v3/rfc5424. Structured data
//     becomes fields named "syslog.sd.<SD-ID>.<PARAM-NAME>".
//   - RFC 3164 (BSD): "<34>Oct 11 22:14:15 host su[42]: msg".
//   - The same without "<PRI>", as written to /var/log/auth.log and in the
//     loghub samples: "Dec 10 06:55:46 LabSZ sshd[24200]: msg". rsyslog's
//     RFC 3339 timestamps ("2024-01-02T03:04:05.123456+01:00 host …") are
//     accepted in place of the BSD one.
//
// The BSD forms are parsed here rather than by go-syslog's rfc3164 package
// (v3.0.0), which refuses lines without "<PRI>", returns neither a message
// nor an error for a line containing a tab, rejects RFC 3339 timestamps
// with a fraction of a second, and converts rather than interprets times
// in WithTimezone (08:06:15 becomes 18:06:15+10:00).
//
// Events get, when the message has them, @timestamp (Event.Time),
// host.name, process.name, process.pid, message, log.syslog.* and, for an
// authentication message, the fields of package authlog (event.action,
// event.outcome, user.name, source.ip…). A BSD timestamp has no year: the
// decoder picks the latest year that does not put it more than a day after
// Config.Now, so that a December line read in January lands in December of
// the previous year.
//
// A message that is a Sysmon for Linux event (XML, "<Event><System>…")
// also gets that event's fields under the names the Windows decoders use:
// EventID, Channel "Linux-Sysmon/Operational", Computer, and each EventData
// item by name (Image, CommandLine, TargetFilename…); see sysmon.go.
//
// A line that is not syslog becomes a KindPipelineError event that keeps
// its bytes. A message with invalid UTF-8 is still decoded: its field values
// have each invalid byte replaced by U+FFFD, Raw keeps the original, and the
// event is tagged "invalid_utf8". Marking it malformed instead would strip
// its fields, so a client could hide a failed login from detectors by putting
// one bad byte in the user name.
//
// The package does not read from the network, frame TCP streams (octet
// counting) or relay messages; transports do that and call
// Decoder.DecodeMessage.
package syslog
