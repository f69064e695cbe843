package network

import (
	"math"
	"slices"
)

// median returns the median of sorted values; 0 for none.
func median(sorted []float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// mad returns the median absolute deviation of sorted values about their
// median m (unscaled). scratch is reused for the deviations.
func mad(sorted []float64, m float64, scratch []float64) float64 {
	scratch = scratch[:0]
	for _, v := range sorted {
		scratch = append(scratch, math.Abs(v-m))
	}
	slices.Sort(scratch)
	return median(scratch)
}

// quartiles returns Tukey's hinges of sorted values: the medians of the
// lower and upper halves (the median itself excluded when the count is
// odd) and the median. This is the definition RITA's statistics library
// uses, so that skew scores agree with RITA's.
func quartiles(sorted []float64) (q1, q2, q3 float64) {
	n := len(sorted)
	lo, hi := n/2, n/2
	if n%2 == 1 {
		hi = lo + 1
	}
	return median(sorted[:lo]), median(sorted), median(sorted[hi:])
}

// round3 rounds to three decimals, as RITA reports scores.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// ceil3 rounds up to three decimals.
func ceil3(x float64) float64 { return math.Ceil(x*1000) / 1000 }
