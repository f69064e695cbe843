// Package jsonl decodes JSON lines: one JSON object per line, of any shape
// (ECS documents from Beats or Vector, application logs, exports).
//
// Nested objects are flattened into dotted field names ("user.name",
// "winlog.event_data.TargetUserName"); an array becomes repeated fields with
// the same name, one per element, in order. Every value keeps its JSON type
// (event.String, event.Number, event.Bool, event.Null) and its text: numbers
// keep their original spelling, so "1e3" stays "1e3" and large integers are
// not rounded; a null has the empty string as its value; empty objects and
// empty arrays add no field.
//
// The event time comes from "@timestamp", or when that is absent from
// "timestamp", "time" or "ts": RFC 3339 text, a date and time without zone
// (taken as UTC), or epoch seconds, milliseconds, microseconds or
// nanoseconds (as a number or a string of digits).
//
// A line that is not a JSON object, is not valid JSON (including invalid
// UTF-8 and nesting deeper than 100 levels) becomes a pipeline-error event
// that keeps the line. Lines over the record size limit are rejected by
// decode.Lines.
//
// The package also exports the flattener (Flatten) and the object decoder
// (DecodeObject) for other JSON-based decoders and for the HTTP transport,
// and ParseTime for their timestamps.
//
// The parser is a small hand-written scanner rather than encoding/json: it
// makes no map per record, takes every unescaped string value as a slice of
// one copy of the line, interns field names, and hands out fields already
// sorted by name, using a cache of the orders of the record shapes it has
// seen (shape.go). BenchmarkDecode in bench_test.go compares it with
// json.Unmarshal into map[string]any over the same lines.
//
// Non-goals: JSON with comments or trailing commas, values spanning several
// lines (pretty-printed JSON; see package cloudtrail for framed arrays), and
// schema mapping: ECS fields are kept under the names the producer used.
package jsonl
