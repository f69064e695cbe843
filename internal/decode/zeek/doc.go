// Package zeek decodes Zeek (formerly Bro) logs: conn, dns, http, ssl and
// any other log, in either of Zeek's two writer formats.
//
//   - TSV, as Zeek's ASCII writer produces it: header lines (#separator,
//     #set_separator, #empty_field, #unset_field, #path, #fields, #types)
//     then one record per line. A stream may hold several header blocks,
//     as rotated files concatenated do; each applies to the lines after it.
//   - JSON, one object per line, with the same field names ("id.orig_h")
//     and "ts" as epoch seconds or an ISO 8601 time.
//
// Gzip input is recognised by its magic bytes and decompressed.
//
// Each record becomes one event.Event whose Time is its "ts", whose Raw is
// the line, and whose Fields are the record's own Zeek names and values,
// typed from #types (or from JSON): unset fields ("-") are left out, an
// "(empty)" string is "", a set or vector gives one field per element (none
// when empty), booleans are "true" and "false". ECS fields are added
// beside them: event.module "zeek", event.dataset "zeek.<path>", source and
// destination address and port, network transport and protocol, byte
// counts, event.duration in nanoseconds, and per log dns.question.name,
// url.domain, url.original, http.request.method,
// http.response.status_code, user_agent.original, tls.client.server_name,
// tls.version… (see ecs.go for the full table).
//
// A line that cannot be decoded (wrong number of columns, a number that is
// not one, broken JSON, data before any #fields header) is delivered as an
// event of kind KindPipelineError that keeps the line.
//
// Not done: Zeek's binary and SQLite writers, and the #open/#close
// timestamps of a header block, which are read and ignored.
package zeek
