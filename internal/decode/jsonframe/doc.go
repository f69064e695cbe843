// Package jsonframe frames a stream of JSON records for the decoders of
// formats that ship as JSON: CloudTrail, Entra ID and Microsoft 365.
//
// One input may hold, one after another:
//
//   - JSON arrays of records, [{…},{…}];
//   - wrapper objects that hold the records in an array member, such as
//     CloudTrail's {"Records":[…]}, a Microsoft Graph page's {"value":[…]}
//     or an Event Hub message's {"records":[…]}; the other members are
//     skipped;
//   - from the first object that is not a wrapper on, one record per line
//     (handed to decode.Lines).
//
// Arrays are read as a stream, one record at a time, so a large file is
// never held whole: a small scanner finds where each record ends (tracking
// strings and nesting only) and hands exactly those bytes to the format's
// decode.LineFunc through decode.Line. json.Decoder is not used because it
// stops for good at the first syntax error and cannot skip a record over
// the size limit; with the scanner, a record that frames but does not
// parse becomes a pipeline-error event and decoding goes on, and an
// oversize record is rejected ("too_large") and skipped. An input whose
// framing breaks (a truncated file, garbage between records) delivers
// every record before the fault, then Decode returns a *FormatError naming
// the byte offset.
package jsonframe
