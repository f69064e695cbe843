package chart

import (
	"math/bits"
	"time"
)

// MaxBuckets bounds n in Bucket.
const MaxBuckets = 10000

// Bucket counts times into n equal buckets covering [from, to) and
// returns one point per bucket: its start and its count. Times outside
// the range are ignored. It returns nil when n < 1, when to is not after
// from, or when the range is too long for a time.Duration (292 years);
// n above MaxBuckets is taken as MaxBuckets.
func Bucket(times []time.Time, from, to time.Time, n int) []Point {
	span := to.Sub(from)
	if n < 1 || span <= 0 || !from.Add(span).Equal(to) {
		return nil
	}
	n = min(n, MaxBuckets)
	points := make([]Point, n)
	for i := range points {
		points[i].T = from.Add(time.Duration(mulDiv(uint64(span), uint64(i), uint64(n))))
	}
	for _, t := range times {
		if t.Before(from) || !t.Before(to) {
			continue
		}
		i := mulDiv(uint64(t.Sub(from)), uint64(n), uint64(span))
		// Integer division may put t one bucket late or early of the
		// rounded starts; the starts are the truth.
		for i > 0 && t.Before(points[i].T) {
			i--
		}
		for i+1 < uint64(n) && !t.Before(points[i+1].T) {
			i++
		}
		points[i].V++
	}
	return points
}

// mulDiv returns a*b/c without overflow, for a*b/c that fits (a < c or b < c).
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}
