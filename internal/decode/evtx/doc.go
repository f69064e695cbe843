// Package evtx decodes Windows event log files (.evtx) into events.
//
// Each event record of the file becomes one event.Event:
//
//   - Time is the record's System/TimeCreated/SystemTime, to the 100 ns of
//     the file (the record header's write time when it has none).
//   - Fields carry the original Windows names that Sigma rules use, at top
//     level: the System elements joined with "_" (EventID without its
//     qualifiers, Channel, Computer, Provider_Name, Level, Task, Keywords,
//     EventRecordID, Security_UserID, Execution_ProcessID, …) and every
//     EventData or UserData item by its own name (Image, CommandLine,
//     TargetUserName, …). Unnamed EventData items are repeated "Data"
//     fields. Values keep Windows' rendering: HexInt32/HexInt64 values such
//     as GrantedAccess, LogonId or Keywords are "0x1410"-style strings,
//     FILETIME and SYSTEMTIME values are RFC 3339 times, binary data is
//     upper-case hex, a Data element with no value is a Null field.
//   - ECS fields (event.code, host.name, user.name, …) are then added by the
//     Windows normaliser shared with the Winlogbeat JSON decoder (see ecs.go).
//   - Raw holds a canonical JSON rendering of the record: the binary XML of
//     an EVTX record has no other text form. The evidence of the original is
//     the file itself; the record can be found in it by EventRecordID.
//
// The file is read front to back, one 64 KiB chunk at a time, from any
// io.Reader; nothing else is buffered. The binary XML of each chunk is
// parsed by www.velocidex.com/golang/evtx. Before a record is handed to that
// parser this package checks the record's framing and walks its binary XML
// the way the parser will, to bound the parser's work (it would otherwise
// allocate without limit or recurse exponentially on a crafted record) and
// to learn the declared type of every substituted value, which the parser
// discards (it renders HexInt32 as a plain number and Int32 as raw bytes).
//
// Damage is reported, not hidden. Decode delivers every record it can read
// and returns, at the end, an error for each damaged place (a bad chunk
// header or checksum, a broken or truncated record) as a *CorruptError
// naming the file offset; errors.Is(err, ErrCorrupt) tells the caller that
// the rest of the file was still decoded. A record whose framing is intact
// but whose content cannot be parsed is delivered as a pipeline-error event
// whose Raw holds the record's bytes.
//
// Not done: records in slack space (after a chunk's free-space offset, left
// over from an earlier log) are not recovered, and dirty files are read as
// far as their chunk headers declare. Message strings are not rendered: that
// needs the provider's message DLLs.
package evtx
