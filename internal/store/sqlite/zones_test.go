package sqlite

import (
	"math"
	"testing"
)

func TestZoneMap(t *testing.T) {
	const size = 1 << zoneBits
	var z zoneMap
	// Block 0: times 100..200; block 1: 50..60 (late events); block 2: 300.
	z.widen(batchZones(1, []int64{100, 200}))
	z.widen(batchZones(3, make([]int64, size-3))) // fills block 0 with time 0
	z.widen(batchZones(size, []int64{50, 60}))
	z.widen(batchZones(2*size, []int64{300}))

	f := func(id, want int64) {
		t.Helper()
		if got := z.maxTimeBelow(id); got != want {
			t.Errorf("maxTimeBelow(%d) = %d, want %d", id, got, want)
		}
	}
	f(5, math.MinInt64)
	f(size+1, 200)
	f(2*size, 200)
	f(3*size, 300)

	r := func(from, to, wantLo, wantHi int64, wantOK bool) {
		t.Helper()
		lo, hi, ok := z.idRange(from, to)
		if lo != wantLo || hi != wantHi || ok != wantOK {
			t.Errorf("idRange(%d, %d) = %d, %d, %v; want %d, %d, %v", from, to, lo, hi, ok, wantLo, wantHi, wantOK)
		}
	}
	r(math.MinInt64, math.MaxInt64, 0, 3*size-1, true)
	r(250, math.MaxInt64, 2*size, 3*size-1, true)
	r(55, 58, 0, 2*size-1, true) // block 0 spans 0..200 too
	r(201, 250, 0, 0, false)
	r(201, 300, 0, 0, false)
	r(301, math.MaxInt64, 0, 0, false)

	z.dropBelow(1)
	f(2*size, 60)
	r(math.MinInt64, math.MaxInt64, size, 3*size-1, true)
}
