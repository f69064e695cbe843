package chart

import (
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// linePattern tells series i apart without colour: each line has its
// own dash pattern ("" is solid) as well as its own colour.
func linePattern(i int) (dash, colour string) {
	patterns := [MaxSeries]struct{ dash, colour string }{
		{"", "#0072b2"},
		{"8 4", "#d55e00"},
		{"2 3", "#009e73"},
		{"10 3 2 3", "#cc79a7"},
		{"4 4", "#e69f00"},
		{"12 3 2 3 2 3", "#56b4e9"},
		{"1 6", "#7f7f7f"},
		{"16 6", "#8c564b"},
	}
	p := patterns[i%MaxSeries]
	return p.dash, p.colour
}

const legendRow, legendItem = 16.0, 160.0

// Lines draws series over time, one line each with a distinct colour and
// dash pattern and a legend naming them: events per source, bytes out.
// Points that are NaN or infinite are skipped; the y axis runs from zero
// (or the smallest value, if negative) to the largest value. At most
// MaxSeries series with points are drawn, the rest named in a note, and a
// series of more than MaxPoints points is merged keeping each run's
// largest value. The height grows to fit the legend. Input without any
// point draws a "no data" chart.
func Lines(title string, series []Series, width, height int) template.HTML {
	width, height = clampSize(width, height)
	var drawn []Series
	hidden := 0
	for _, se := range series {
		points := cleanPoints(se.Points)
		switch {
		case len(points) == 0:
		case len(drawn) == MaxSeries:
			hidden++
		default:
			drawn = append(drawn, Series{Name: se.Name, Points: points})
		}
	}
	if len(drawn) == 0 {
		return noData("lines", title, width, height)
	}

	from, to := drawn[0].Points[0].T, drawn[0].Points[0].T
	lo, hi := 0.0, 0.0
	for _, se := range drawn {
		for _, pt := range se.Points {
			from, to = earliest(from, pt.T), latest(to, pt.T)
			lo, hi = min(lo, pt.V), max(hi, pt.V)
		}
	}
	if !to.After(from) {
		from, to = from.Add(-30*time.Second), to.Add(30*time.Second)
	}
	if hi <= lo {
		hi = lo + 1
	}

	perRow := max(1, int((float64(width)-52)/legendItem))
	rows := (len(drawn) + perRow - 1) / perRow
	if hidden > 0 {
		rows++
	}
	height = max(height, 100+rows*int(legendRow))
	p := plotArea(width, height)
	p.bottom -= float64(rows) * legendRow

	s := begin("lines", title, width, height)
	s.axes(p, from, to, lo, hi)
	for i, se := range drawn {
		dash, colour := linePattern(i)
		class := "line s" + strconv.Itoa(i)
		if len(se.Points) == 1 {
			pt := se.Points[0]
			s.open("circle", "class", "dot s"+strconv.Itoa(i), "cx", num(p.scaleX(pt.T, from, to)), "cy", num(p.scaleY(pt.V, lo, hi)), "r", "3", "fill", colour)
		} else {
			var xy strings.Builder
			for j, pt := range se.Points {
				if j > 0 {
					xy.WriteByte(' ')
				}
				xy.WriteString(num(p.scaleX(pt.T, from, to)) + "," + num(p.scaleY(pt.V, lo, hi)))
			}
			s.open("polyline", lineAttrs(class, colour, dash, "points", xy.String())...)
		}
		s.text("title", label(se.Name))
		if len(se.Points) == 1 {
			s.close("circle")
		} else {
			s.close("polyline")
		}
	}

	s.open("g", "class", "legend", "font-size", "11", "font-family", "sans-serif")
	top := p.bottom + 26
	for i, se := range drawn {
		x, y := p.left+float64(i%perRow)*legendItem, top+float64(i/perRow)*legendRow
		dash, colour := linePattern(i)
		s.elem("line", lineAttrs("line s"+strconv.Itoa(i), colour, dash,
			"x1", num(x), "y1", num(y-4), "x2", num(x+28), "y2", num(y-4))...)
		s.text("text", label(se.Name), "x", num(x+34), "y", num(y), "fill", "currentColor")
	}
	s.close("g")
	if hidden > 0 {
		s.note("+"+strconv.Itoa(hidden)+" more series not shown", p.left, top+float64(rows-1)*legendRow)
	}
	return s.end()
}

// lineAttrs are the attributes of a series' stroke, then extra ones.
func lineAttrs(class, colour, dash string, extra ...string) []string {
	kv := []string{"class", class, "fill", "none", "stroke", colour, "stroke-width", "2"}
	if dash != "" {
		kv = append(kv, "stroke-dasharray", dash)
	}
	return append(kv, extra...)
}

// cleanPoints copies the finite points sorted by time and, past
// MaxPoints, keeps the largest of each run of points.
func cleanPoints(in []Point) []Point {
	var points []Point
	for _, pt := range in {
		if finite(pt.V) {
			points = append(points, pt)
		}
	}
	slices.SortStableFunc(points, func(a, b Point) int { return a.T.Compare(b.T) })
	if len(points) <= MaxPoints {
		return points
	}
	size := (len(points) + MaxPoints - 1) / MaxPoints
	var out []Point
	for i := 0; i < len(points); i += size {
		top := Point{V: math.Inf(-1)}
		for _, pt := range points[i:min(i+size, len(points))] {
			if pt.V > top.V {
				top = pt
			}
		}
		out = append(out, top)
	}
	return out
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
