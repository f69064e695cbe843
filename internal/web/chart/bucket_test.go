package chart

import (
	"slices"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	from, to := monday, monday.Add(10*time.Second)
	third := 3333333333 * time.Nanosecond // 10s/3, rounded down
	times := []time.Time{
		from,                                // first bucket, inclusive start
		from.Add(third - time.Nanosecond),   // last instant of the first bucket
		from.Add(third),                     // second bucket starts here
		from.Add(9 * time.Second),           // third
		to.Add(-time.Nanosecond),            // third, last instant
		to,                                  // excluded: the range is half-open
		from.Add(-time.Nanosecond),          // excluded
		from.Add(2*third + time.Nanosecond), // third (starts at 6.666666666s)
	}
	got := Bucket(times, from, to, 3)
	want := []Point{
		{T: from, V: 2},
		{T: from.Add(third), V: 1},
		{T: from.Add(6666666666 * time.Nanosecond), V: 3},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Bucket = %v, want %v", got, want)
	}
}

func TestBucketBounds(t *testing.T) {
	if got := Bucket(nil, monday, monday, 5); got != nil {
		t.Errorf("empty range gave %v, want nil", got)
	}
	if got := Bucket(nil, monday, monday.Add(time.Hour), 0); got != nil {
		t.Errorf("n=0 gave %v, want nil", got)
	}
	if got := len(Bucket(nil, monday, monday.Add(time.Hour), 1<<40)); got != MaxBuckets {
		t.Errorf("n=2^40 gave %d buckets, want %d", got, MaxBuckets)
	}
	// A range beyond time.Duration's 292 years cannot be cut exactly.
	if got := Bucket([]time.Time{monday}, time.Time{}, monday, 10); got != nil {
		t.Errorf("a 2025-year range gave %v, want nil", got)
	}
}
