// Package sqlite is Vigie's embedded event store: one SQLite file, written
// through modernc.org/sqlite (pure Go, no cgo), in WAL mode.
//
// # Layout
//
// Events are rows of one table, with their fields in a compact binary
// column (codec.go) and their raw bytes unchanged, and an index on time.
// One FTS5 index, "terms", holds per event the words of its full text and
// one term per value of each entity field (user.name, host.name,
// source.ip, destination.ip). A zone map records the range of times in
// each block of 1,024 IDs. schema.go has the tables.
//
// A search translates the query tree into an FTS5 query when the terms
// index can narrow it, reads the candidates newest ID first and stops
// when the zone map shows that no older ID can hold a newer match;
// otherwise it reads events newest first by the time index. Every
// candidate is checked with the query package's matcher, so a search
// returns exactly what the matcher accepts (Store.Search).
//
// # Durability
//
// Append commits one transaction per batch with synchronous=FULL: when it
// returns, the batch is in the write-ahead log and the log is synced, so
// the batch survives a crash of the process (kill -9, TestCrash) and of
// the machine. synchronous=NORMAL would survive a crash of the process
// only, and was not measurably faster: in BenchmarkAppend (one million
// events, batches of 5,000), FULL ran at 71,000 to 75,000 events per
// second and NORMAL at 66,000 to 81,000 on a quiet machine, 53,000 and
// 50,000 to 54,000 with other jobs running. A failed Append (full disk,
// I/O error) rolls its transaction back and leaves the store usable
// (TestDiskFull).
//
// # Performance
//
// On the 2-core reference machine, BenchmarkAppend sustained 71,000 to
// 75,000 events per second over one million events of sixteen fields and
// a 200-byte record (14 to 15 µs of CPU per event, 784 bytes of file per
// event, 170 MiB peak resident memory for the whole benchmark process);
// BenchmarkSearch answered user.name:X over them in 1.1 ms at the median,
// 2.0 ms at the 95th percentile, and BenchmarkPrune deleted 64,000 events
// per second.
//
// # Concurrency
//
// One connection writes: Append and Prune take turns on it, and a
// background connection copies the log into the database file
// (checkpoint.go). A pool of connections reads, and searches never wait
// for writes. One process at a time may open a store (a lock file beside
// it enforces that where flock exists).
//
// The package does not rank results, keep statistics, or replicate: a
// second machine needs the PostgreSQL backend.
package sqlite
