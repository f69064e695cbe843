// Package sqlite is Vigie's embedded event store: one SQLite file, written
// through modernc.org/sqlite (pure Go, no cgo), in WAL mode with
// synchronous=FULL.
//
// Events are rows of one table, with their fields in a compact binary
// column and their raw bytes unchanged. One FTS5 index holds, per event,
// the words of its full text and a term for each value of the entity
// fields (user.name, host.name, source.ip, destination.ip). Searches
// translate the query tree into a query on that index when they can, and
// check every candidate with the query package's matcher, so a search
// returns exactly what the matcher accepts (see Store.Search).
//
// One connection writes, and Append and Prune take turns on it; a pool of
// connections reads, and searches never wait for writes.
//
// The package does not rank results, keep statistics, or replicate: a
// second machine needs the PostgreSQL backend.
package sqlite
