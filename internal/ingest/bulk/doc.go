// Package bulk accepts events from shippers' Elasticsearch outputs
// (Filebeat, Winlogbeat and the other Beats, Fluent Bit, Vector, Logstash):
// the subset of the Elasticsearch HTTP API they use.
//
// POST /_bulk and /{index}/_bulk take "index" and "create" actions; each
// document becomes an event whose raw bytes are the document line and whose
// source is "bulk/{index}", or "bulk/{name}" when the request carries the
// header X-Vigie-Source: name (the API sets it to the source of an ingest
// token, whatever the client sent). "update" and "delete" actions are answered with
// a per-item 400: Vigie never alters a stored event. The response is sent
// only after the events are durably stored, in the shape the clients parse
// ("errors", "items" with a status per document); a full queue answers 429,
// which all of these clients retry.
//
// The handshake endpoints the clients call before sending — GET / (version
// check, with the X-Elastic-Product header Beats 8 require), /_license,
// index template, ILM and ingest pipeline set-up — answer as a cluster that
// accepts them, so shippers need no special configuration beyond the URL and
// credentials. Vigie does not implement search through this API.
package bulk
