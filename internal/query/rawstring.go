package query

import "unsafe"

// rawString returns b as a string without copying it. It is the package's
// only use of unsafe.
//
// It is used only on event.Event.Raw, which is never modified after the
// event is created (see event.Event), and the string never outlives the
// Match call that reads it: a search scanning a million events without a
// "message" field would otherwise copy every raw record (BenchmarkMatch,
// fields=30/text=raw).
func rawString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
