package geo

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

const benchAccounts = 100_000

// warm fills d with benchAccounts accounts, perAccount logins each, and
// returns the heap the detector holds (runtime.MemStats before and after).
func warm(b *testing.B, d behave.Detector, perAccount int, ip func(account, i int) string) uint64 {
	b.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	at := t0
	for i := range perAccount {
		for a := range benchAccounts {
			at = at.Add(time.Second)
			d.Observe(benchLogin(at, a, ip(a, i)), "")
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return after.HeapAlloc - before.HeapAlloc
}

func benchLogin(at time.Time, account int, ip string) *event.Event {
	e := &event.Event{Time: at, Format: "syslog"}
	e.Add(event.EventCategory, "authentication")
	e.Add(event.EventOutcome, event.OutcomeSuccess)
	e.Add(event.UserName, fmt.Sprintf("user%06d", account))
	e.Add(event.SourceIP, ip)
	e.Sort()
	return e
}

// benchStream is 4,096 logins of random accounts of the warm table, most
// from their usual place, one in eight from elsewhere.
func benchStream(start time.Time) []*event.Event {
	other := []string{"198.51.100.7", "203.0.113.5", "198.18.0.1", "2001:db8::1", "10.1.2.3"}
	evs := make([]*event.Event, 4096)
	for i := range evs {
		ip := "192.0.2.10"
		if i%8 == 0 {
			ip = other[(i/8)%len(other)]
		}
		evs[i] = benchLogin(start.Add(time.Duration(i)*time.Minute), (i*7919)%benchAccounts, ip)
	}
	return evs
}

// BenchmarkTravel measures Observe over a table of 100,000 accounts, each
// with its latest login, and the heap those accounts take. On the
// reference machine (AMD EPYC, 2 cores): 2.8–3.7 µs and 2 allocations
// (140 B, the GeoIP record) per login, a quarter of it in the table's map
// lookup (cache misses over 100,000 entries) and a third in the GeoIP
// lookup; 27.6 MB per 100,000 accounts, about 276 B an account (its state
// 128 B, the table's list element, entry, map slot and key the rest).
func BenchmarkTravel(b *testing.B) {
	db := testDB(b)
	d := NewTravel(TravelConfig{}, db, behave.Limits{})
	heap := warm(b, d, 1, func(int, int) string { return "192.0.2.10" })
	evs := benchStream(t0.Add(2 * benchAccounts * time.Second))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Observe(evs[i%len(evs)], "ref")
		i++
	}
	b.ReportMetric(float64(heap)/1e6, "MB/100k-accounts")
	runtime.KeepAlive(d)
}

// BenchmarkNewPlace measures Observe over a table of 100,000 settled
// accounts (12 logins each, from two countries and networks) and the heap
// those accounts take. On the reference machine (AMD EPYC, 2 cores):
// 2.4 µs and 2 allocations (142 B) per login; 43.6 MB per 100,000
// accounts, about 436 B an account (its state with the 24-hour histogram
// 224 B, two countries and two networks 96 B, the table the rest). Each
// further country adds 32 B and network 16 B, up to MaxPlaces of each.
func BenchmarkNewPlace(b *testing.B) {
	db := testDB(b)
	d := NewNewPlace(NewPlaceConfig{}, db, behave.Limits{})
	heap := warm(b, d, 12, func(a, i int) string {
		if i == 5 {
			return "203.0.113.5"
		}
		return "192.0.2.10"
	})
	evs := benchStream(t0.Add(40 * 24 * time.Hour))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Observe(evs[i%len(evs)], "ref")
		i++
	}
	b.ReportMetric(float64(heap)/1e6, "MB/100k-accounts")
	runtime.KeepAlive(d)
}
