// Package ndjson is the HTTP push transport: POST /api/v1/events with one
// record per line, gzip accepted. By default each line is a JSON object
// (any shape; ECS or not). The "format" query parameter selects another
// decoder, for example format=syslog for raw syslog lines, and format=vigie
// takes Vigie's own event JSON as written by "vigie ingest", keeping the raw
// bytes the client decoded.
//
// A request is answered 200 only after its events are durably stored; 429
// with Retry-After when the ingest queue is full, 503 when the store fails,
// 413 when the body (after decompression) exceeds the limit.
package ndjson
