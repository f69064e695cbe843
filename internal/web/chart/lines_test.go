package chart

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func series(name string, values ...float64) Series {
	se := Series{Name: name}
	for i, v := range values {
		se.Points = append(se.Points, Point{T: monday.Add(time.Duration(i) * time.Minute), V: v})
	}
	return se
}

// polylinePoints parses a polyline's points attribute.
func polylinePoints(t *testing.T, e element) [][2]float64 {
	t.Helper()
	var out [][2]float64
	for _, pair := range strings.Fields(e.attr("points")) {
		x, y, ok := strings.Cut(pair, ",")
		fx, err1 := strconv.ParseFloat(x, 64)
		fy, err2 := strconv.ParseFloat(y, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad point %q", pair)
		}
		out = append(out, [2]float64{fx, fy})
	}
	return out
}

func TestLines(t *testing.T) {
	in := []Series{
		series("syslog", 0, 10, 5),
		series("windows", 4, math.NaN(), 8, 2),
		series("cloudtrail", 1, 1, 1, 1, 1),
		{Name: "empty"},
	}
	const title = "Events per source"
	root := parse(t, Lines(title, in, 640, 240))
	checkAccessible(t, root, title)
	checkNoStyle(t, root)

	lines := root.all(tagged("polyline", "line"))
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3 (the empty series draws none)", len(lines))
	}
	// Each line has its own dash pattern, so that they differ without colour.
	dashes := map[string]bool{}
	for _, l := range lines {
		dashes[l.attr("stroke-dasharray")] = true
	}
	if len(dashes) != 3 {
		t.Errorf("dash patterns %v, want 3 distinct", dashes)
	}
	// syslog: 3 points; the 10 is the maximum, at the plot's top (28),
	// the 0 at its bottom: 240-26 less 1 legend row of 16 = 198.
	pts := polylinePoints(t, lines[0])
	if len(pts) != 3 || pts[0][1] != 198 || pts[1][1] != 28 || pts[2][1] != 113 {
		t.Errorf("syslog points = %v, want y 198, 28, 113", pts)
	}
	if got := len(polylinePoints(t, lines[1])); got != 3 {
		t.Errorf("windows has %d points, want 3 (NaN skipped)", got)
	}
	// The x axis spans the 4 minutes of the longest series: cloudtrail's
	// last point is at the plot's right edge, 640-16.
	if got := polylinePoints(t, lines[2]); got[len(got)-1][0] != 624 {
		t.Errorf("cloudtrail ends at x=%v, want 624", got[len(got)-1][0])
	}
	legend := root.all(tagged("g", "legend"))
	if len(legend) != 1 {
		t.Fatalf("got %d legends, want 1", len(legend))
	}
	if got := legend[0].texts(""); !slices.Equal(got, []string{"syslog", "windows", "cloudtrail"}) {
		t.Errorf("legend = %q", got)
	}
	for i, l := range legend[0].all(tagged("line", "line")) {
		if l.attr("stroke-dasharray") != lines[i].attr("stroke-dasharray") || l.attr("stroke") != lines[i].attr("stroke") {
			t.Errorf("legend sample %d does not match its line", i)
		}
	}
}

func TestLinesBounds(t *testing.T) {
	var in []Series
	for i := range 11 {
		in = append(in, series(fmt.Sprintf("source %d", i), 1, 2))
	}
	long := Series{Name: "long"}
	for i := range 5000 {
		long.Points = append(long.Points, Point{T: monday.Add(time.Duration(i) * time.Second), V: float64(i % 7)})
	}
	in[0] = long
	root := parse(t, Lines("bounded", in, 400, 100))
	if got := len(root.all(tagged("polyline", "line"))); got != MaxSeries {
		t.Errorf("got %d lines, want %d", got, MaxSeries)
	}
	if got := root.texts("note"); !slices.Equal(got, []string{"+3 more series not shown"}) {
		t.Errorf("note = %q", got)
	}
	pts := polylinePoints(t, root.all(tagged("polyline", "s0"))[0])
	if len(pts) != MaxPoints {
		t.Errorf("long series drew %d points, want %d", len(pts), MaxPoints)
	}
	// Runs of 5 keep their maximum: every run of 5 in 0..6 repeating has a
	// value of at least 4, which lies at 74-46*4/6 = 43.3 or higher (the
	// plot runs from y=28 to y=180-26-5*16 = 74).
	for _, p := range pts {
		if p[1] > 43.3 {
			t.Fatalf("point %v lies low: maxima were not kept", p)
		}
	}
	// 8 legend entries 2 to a row plus the note make 5 rows: the chart
	// grows from 100 to 100+5*16 pixels.
	if got := root.attr("height"); got != "180" {
		t.Errorf("height = %s, want 180", got)
	}
}

func TestLinesSinglePointAndNoData(t *testing.T) {
	root := parse(t, Lines("one", []Series{series("<b>x</b>", 5)}, 0, 0))
	dots := root.all(tagged("circle", "dot"))
	if len(dots) != 1 {
		t.Fatalf("got %d dots, want 1", len(dots))
	}
	if tip, _ := dots[0].child("title"); tip.Text != "<b>x</b>" {
		t.Errorf("dot title = %q", tip.Text)
	}
	empty := parse(t, Lines("none", []Series{{Name: "a", Points: []Point{{T: monday, V: math.Inf(1)}}}}, 0, 0))
	if got := empty.texts("nodata"); !slices.Equal(got, []string{"no data"}) {
		t.Errorf("no data text = %q", got)
	}
}
