package chart

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var monday = time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)

func TestHistogramBars(t *testing.T) {
	values := []float64{0, 3, 0, 6, 1, -2, math.NaN(), 0}
	buckets := make([]Point, len(values))
	for i, v := range values {
		buckets[i] = Point{T: monday.Add(time.Duration(i) * 5 * time.Minute), V: v}
	}
	const title = "Alerts over time"
	root := parse(t, Histogram(title, buckets, 640, 220))
	checkAccessible(t, root, title)
	checkNoStyle(t, root)

	bars := root.all(tagged("rect", "bar"))
	if len(bars) != 3 { // 3, 6 and 1; zero, negative and NaN draw nothing
		t.Fatalf("got %d bars, want 3", len(bars))
	}
	// The plot is 220-28-26 = 166 pixels tall; the tallest bar (6) fills it.
	for i, want := range []float64{83, 166, 27.7} {
		if got := bars[i].float(t, "height"); math.Abs(got-want) > 0.05 {
			t.Errorf("bar %d height = %v, want %v", i, got, want)
		}
	}
	// All bars stand on the x axis, left to right in time.
	for i, b := range bars {
		if bottom := b.float(t, "y") + b.float(t, "height"); math.Abs(bottom-194) > 0.11 {
			t.Errorf("bar %d ends at y=%v, want 194", i, bottom)
		}
		if i > 0 && b.float(t, "x") <= bars[i-1].float(t, "x") {
			t.Errorf("bar %d is not right of bar %d", i, i-1)
		}
	}
	if got := root.texts("max"); !slices.Equal(got, []string{"6"}) {
		t.Errorf("y max label = %q, want [6]", got)
	}
	tip, _ := bars[1].child("title")
	if tip.Text != "2025-03-10 10:15:00: 6" {
		t.Errorf("bar tooltip = %q", tip.Text)
	}
}

func TestHistogramTimeLabels(t *testing.T) {
	tests := []struct {
		name    string
		span    time.Duration
		from    time.Time
		buckets int
		want    []string
	}{
		{"1h", time.Hour, monday, 12, []string{"10:00", "10:15", "10:30", "10:45", "11:00"}},
		{"1d", 24 * time.Hour, monday, 24, []string{"12:00", "18:00", "Mar 11", "06:00"}},
		{"7d", 7 * 24 * time.Hour, time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), 28, []string{"Mar 10", "Mar 12", "Mar 14", "Mar 16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			times := []time.Time{tt.from.Add(tt.span / 3)}
			buckets := Bucket(times, tt.from, tt.from.Add(tt.span), tt.buckets)
			root := parse(t, Histogram("x", buckets, 640, 220))
			got := root.texts("x")
			if !slices.Equal(got, tt.want) {
				t.Errorf("labels = %q, want %q", got, tt.want)
			}
			if len(got) < 3 || len(got) > 6 {
				t.Errorf("%d labels, want 3 to 6", len(got))
			}
		})
	}
}

func TestHistogramMergesPastMaxBars(t *testing.T) {
	buckets := make([]Point, 1200)
	for i := range buckets {
		buckets[i] = Point{T: monday.Add(time.Duration(i) * time.Minute), V: 1}
	}
	root := parse(t, Histogram("many", buckets, 640, 220))
	// 1200 buckets in runs of 3 make 400 bars, each of 3.
	if got := len(root.all(tagged("rect", "bar"))); got != 400 {
		t.Errorf("got %d bars, want 400", got)
	}
	if got := root.texts("max"); !slices.Equal(got, []string{"3"}) {
		t.Errorf("y max = %q, want [3]", got)
	}
	if got := root.texts("note"); len(got) != 1 || got[0] != "1200 buckets merged into 400 bars" {
		t.Errorf("note = %q", got)
	}
}

func TestHistogramNoData(t *testing.T) {
	root := parse(t, Histogram("Nothing", nil, 0, 0))
	checkAccessible(t, root, "Nothing")
	if got := root.texts("nodata"); !slices.Equal(got, []string{"no data"}) {
		t.Errorf("no data text = %q", got)
	}
	if root.attr("width") != "640" || root.attr("height") != "220" {
		t.Errorf("default size = %sx%s, want 640x220", root.attr("width"), root.attr("height"))
	}
}

func TestHistogramEscapesTitle(t *testing.T) {
	const title = `<script>alert("x")</script> & 'q'`
	out := Histogram(title, []Point{{T: monday, V: 1}}, 300, 200)
	if strings.Contains(strings.ToLower(string(out)), "<script") {
		t.Fatalf("raw <script in output:\n%s", out)
	}
	root := parse(t, out)
	checkAccessible(t, root, title) // decoded, the title reads as given
}

func TestHistogramClampsSize(t *testing.T) {
	root := parse(t, Histogram("x", []Point{{T: monday, V: 1}}, 1_000_000, 5))
	if root.attr("width") != "4000" || root.attr("height") != "100" {
		t.Errorf("size = %sx%s, want 4000x100", root.attr("width"), root.attr("height"))
	}
}
