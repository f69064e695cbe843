// Package storetest is the contract suite of the event store: every
// backend (sqlite, later postgres) runs Run from its tests and must pass
// it unchanged.
//
// The suite checks what store.go promises and what the API and the
// detectors rely on: IDs, the exact round trip of every event member
// (raw bytes included), search results equal to filtering every event with
// the query matcher, newest-first order and paging, counting, retention,
// concurrency and durability across a reopen.
//
// It does not measure speed (backends have their own benchmarks) and does
// not test failures that need a backend's cooperation, such as a full
// disk; backends test those themselves.
package storetest
