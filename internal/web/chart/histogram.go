package chart

import (
	"html/template"
	"slices"
	"strconv"
	"time"
)

// Histogram draws counts over time as bars, one per bucket with a value
// above zero: alerts over time, events per bucket. Buckets are points
// whose T is the bucket's start, as Bucket returns them; a bucket's width
// is the smallest gap between starts. The x axis carries 3 to 6 round
// time labels, the y axis the largest value. Values that are negative,
// NaN or infinite count as zero. Empty input draws a "no data" chart.
func Histogram(title string, buckets []Point, width, height int) template.HTML {
	width, height = clampSize(width, height)
	if len(buckets) == 0 {
		return noData("histogram", title, width, height)
	}
	points := sortedSums(buckets)
	merged := len(points)
	if len(points) > MaxBars {
		points = mergeBuckets(points, (len(points)+MaxBars-1)/MaxBars)
	}
	step := smallestGap(points)
	from, to := points[0].T, points[len(points)-1].T.Add(step)
	hi := 0.0
	for _, p := range points {
		hi = max(hi, p.V)
	}
	if hi == 0 {
		hi = 1
	}

	p := plotArea(width, height)
	s := begin("histogram", title, width, height)
	s.axes(p, from, to, 0, hi)
	s.open("g", "class", "bars", "fill", "#4a78b5")
	for _, pt := range points {
		if pt.V <= 0 {
			continue
		}
		x, x2 := p.scaleX(pt.T, from, to), p.scaleX(pt.T.Add(step), from, to)
		w := x2 - x
		if w > 3 {
			x, w = x+w*0.05, w*0.9
		}
		y := p.scaleY(pt.V, 0, hi)
		s.open("rect", "class", "bar", "x", num(x), "y", num(y), "width", num(max(w, 0.5)), "height", num(p.bottom-y))
		s.text("title", pt.T.Format("2006-01-02 15:04:05")+": "+strconv.FormatFloat(pt.V, 'f', -1, 64))
		s.close("rect")
	}
	s.close("g")
	if merged != len(points) {
		s.note(strconv.Itoa(merged)+" buckets merged into "+strconv.Itoa(len(points))+" bars", 8, float64(height)-4)
	}
	return s.end()
}

// sortedSums copies buckets sorted by time, with values that are not
// positive finite numbers set to zero and buckets of the same start summed.
func sortedSums(buckets []Point) []Point {
	points := make([]Point, 0, len(buckets))
	for _, b := range buckets {
		if !finite(b.V) || b.V < 0 {
			b.V = 0
		}
		points = append(points, b)
	}
	slices.SortStableFunc(points, func(a, b Point) int { return a.T.Compare(b.T) })
	out := points[:1]
	for _, p := range points[1:] {
		if last := &out[len(out)-1]; p.T.Equal(last.T) {
			last.V += p.V
			continue
		}
		out = append(out, p)
	}
	return out
}

// mergeBuckets sums each run of size consecutive points into one.
func mergeBuckets(points []Point, size int) []Point {
	var out []Point
	for i := 0; i < len(points); i += size {
		group := points[i:min(i+size, len(points))]
		sum := Point{T: group[0].T}
		for _, p := range group {
			sum.V += p.V
		}
		out = append(out, sum)
	}
	return out
}

// smallestGap is the smallest gap between consecutive sorted points, or
// a minute for a single point.
func smallestGap(points []Point) time.Duration {
	gap := time.Duration(0)
	for i := 1; i < len(points); i++ {
		if d := points[i].T.Sub(points[i-1].T); d > 0 && (gap == 0 || d < gap) {
			gap = d
		}
	}
	if gap == 0 {
		return time.Minute
	}
	return gap
}
