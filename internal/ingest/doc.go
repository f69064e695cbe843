// Package ingest is the pipeline between the transports (syslog, HTTP,
// Elasticsearch bulk, files) and the store: a bounded queue, a single
// writer that commits events in batches, and the per-source counters.
//
// # Backpressure
//
// The queue is bounded by a number of events (Config.QueueEvents). When it
// is full:
//   - Submit and Enqueue block until room is made or their context ends; the
//     syslog TCP transport uses them, so a full queue slows its reads and
//     TCP flow control pushes back on the sender.
//   - TrySubmit fails at once with ErrQueueFull; the HTTP transports use it
//     and answer 429 with a Retry-After header.
//
// # Durability
//
// Submit returns nil only after its events are committed by the store, so
// an HTTP request is answered 200 only for durable events. When the store
// fails (disk full, I/O error), waiting Submit calls get ErrUnavailable
// (HTTP 503) and the writer keeps retrying the events of Enqueue calls,
// which no client is waiting for, with backoff: they stay in the queue, the
// queue fills, and the transports push back until the store recovers.
//
// Close stops new submissions and commits everything already queued.
package ingest
