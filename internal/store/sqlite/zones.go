package sqlite

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"sync"
)

// zoneBits sets the size of a zone: 1<<zoneBits consecutive event IDs.
// A search walking the terms index checks the zone map once per zone, and
// the map holds one entry per zone (1,000 for a million events).
const zoneBits = 10

// A zone is the range of event times in one block of IDs. The range may be
// wider than the events left after Prune, never narrower: every use of it
// is safe with a wider range.
type zone struct {
	block            int64 // id >> zoneBits
	minTime, maxTime int64
	// upToMax is the greatest maxTime of this zone and every zone below.
	upToMax int64
}

// zoneMap is the in-memory copy of the zones table. The writer extends it
// before it commits, so a reader never sees an event outside the map.
// Methods are safe for concurrent use.
type zoneMap struct {
	mu    sync.RWMutex
	zones []zone // guarded by mu; sorted by block
}

// load reads the zones table.
func (z *zoneMap) load(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "SELECT block, min_time, max_time FROM zones ORDER BY block")
	if err != nil {
		return err
	}
	defer rows.Close()
	z.mu.Lock()
	defer z.mu.Unlock()
	z.zones = z.zones[:0]
	for rows.Next() {
		var zn zone
		if err := rows.Scan(&zn.block, &zn.minTime, &zn.maxTime); err != nil {
			return err
		}
		z.zones = append(z.zones, zn)
	}
	z.fixUpToMaxLocked(0)
	return rows.Err()
}

// fixUpToMaxLocked recomputes upToMax from zones[i] on.
func (z *zoneMap) fixUpToMaxLocked(i int) {
	for ; i < len(z.zones); i++ {
		m := z.zones[i].maxTime
		if i > 0 {
			m = max(m, z.zones[i-1].upToMax)
		}
		z.zones[i].upToMax = m
	}
}

// widen extends the map with the given zones (the ranges of a batch about
// to be committed) and returns them merged with what the map held, to be
// written to the zones table. Blocks are at or after the last block.
func (z *zoneMap) widen(add []zone) []zone {
	z.mu.Lock()
	defer z.mu.Unlock()
	first := len(z.zones)
	for _, a := range add {
		n := len(z.zones)
		if n > 0 && z.zones[n-1].block == a.block {
			last := &z.zones[n-1]
			last.minTime = min(last.minTime, a.minTime)
			last.maxTime = max(last.maxTime, a.maxTime)
			first = min(first, n-1)
			continue
		}
		if n > 0 && z.zones[n-1].block > a.block {
			panic("BUG: zone map widened below its last block")
		}
		z.zones = append(z.zones, a)
	}
	z.fixUpToMaxLocked(first)
	return append([]zone(nil), z.zones[first:]...)
}

// dropBelow forgets the zones below block, which hold no events.
func (z *zoneMap) dropBelow(block int64) {
	z.mu.Lock()
	defer z.mu.Unlock()
	i := sort.Search(len(z.zones), func(i int) bool { return z.zones[i].block >= block })
	z.zones = append(z.zones[:0], z.zones[i:]...)
	z.fixUpToMaxLocked(0)
}

// maxTimeBelow returns the greatest event time of the IDs below the block
// of id, or math.MinInt64 when there are none.
func (z *zoneMap) maxTimeBelow(id int64) int64 {
	block := id >> zoneBits
	z.mu.RLock()
	defer z.mu.RUnlock()
	i := sort.Search(len(z.zones), func(i int) bool { return z.zones[i].block >= block })
	if i == 0 {
		return math.MinInt64
	}
	return z.zones[i-1].upToMax
}

// idRange returns the IDs that may hold an event with from <= time < to:
// the first ID of the lowest zone and the last ID of the highest zone
// whose range meets [from, to). ok is false when no zone does.
func (z *zoneMap) idRange(from, to int64) (lo, hi int64, ok bool) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	first, last := -1, -1
	for i, zn := range z.zones {
		if zn.maxTime >= from && zn.minTime < to {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0, 0, false
	}
	return z.zones[first].block << zoneBits, z.zones[last].block<<zoneBits | (1<<zoneBits - 1), true
}

// batchZones returns the zones of consecutive IDs from first with the
// given times.
func batchZones(first int64, times []int64) []zone {
	var out []zone
	for i, t := range times {
		block := (first + int64(i)) >> zoneBits
		if n := len(out); n > 0 && out[n-1].block == block {
			out[n-1].minTime = min(out[n-1].minTime, t)
			out[n-1].maxTime = max(out[n-1].maxTime, t)
			continue
		}
		out = append(out, zone{block: block, minTime: t, maxTime: t})
	}
	return out
}
