// Package chart draws the console's charts as SVG on the server, so that
// pages need no JavaScript: a histogram of counts over time, lines of
// several series over time, and the movement graph of an incident.
//
// Every function returns a complete <svg> element as template.HTML. That
// is safe only because this package writes every byte itself: each text
// and attribute value taken from the caller is cleaned of characters XML
// forbids and escaped with html.EscapeString, and each number is written
// with strconv. The charts carry no style attributes (the console's
// Content-Security-Policy forbids inline styles): they set SVG
// presentation attributes (fill, stroke, stroke-dasharray) as defaults and
// CSS classes ("bar", "axis", "line s0", "edge failed", "node host", ...)
// that the console's style sheet may override.
//
// Input is bounded: sizes are clamped, at most MaxBars bars, MaxSeries
// series of MaxPoints points, MaxNodes nodes and MaxEdges edges are drawn,
// and what is left out is said in a note on the chart. The functions are
// pure and safe to call concurrently.
package chart

import (
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Point is one value at one time: a bucket's start and its count, or a
// sample of a series.
type Point struct {
	T time.Time
	V float64
}

// Series is a named line of points, such as the events of one source.
type Series struct {
	Name   string
	Points []Point
}

// Limits on what one chart draws.
const (
	MaxBars   = 500  // bars of a histogram; more buckets are merged
	MaxSeries = 8    // lines of a Lines chart; more are named in a note
	MaxPoints = 1000 // points of one line; more are merged keeping maxima
	MaxNodes  = 60   // nodes of a graph; more are counted in a note
	MaxEdges  = 200  // edges of a graph; more are counted in a note

	maxLabel = 40 // runes of one label; longer ones end in "…"
)

// Sizes in pixels: a width or height of 0 or less takes the default, and
// others are clamped to the range.
const (
	defaultWidth, minWidth, maxWidth    = 640, 160, 4000
	defaultHeight, minHeight, maxHeight = 220, 100, 3000
)

func clampSize(width, height int) (int, int) {
	return clampInt(width, defaultWidth, minWidth, maxWidth),
		clampInt(height, defaultHeight, minHeight, maxHeight)
}

func clampInt(v, def, lo, hi int) int {
	if v <= 0 {
		return def
	}
	return min(max(v, lo), hi)
}

// clean makes s safe to place in XML text or an attribute once escaped:
// invalid UTF-8 and characters XML 1.0 forbids become U+FFFD, and a
// string longer than limit runes is cut and ends in "…".
func clean(s string, limit int) string {
	if limit < 0 && cleanAlready(s) {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if n == limit {
			b.WriteRune('…')
			break
		}
		if !xmlChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// cleanAlready reports whether s is valid UTF-8 of XML characters only.
func cleanAlready(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !xmlChar(r) {
			return false
		}
	}
	return true
}

// xmlChar reports whether r is a Char of the XML 1.0 grammar.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// esc cleans and escapes a string for text or attribute values; it does
// not shorten it (see label).
func esc(s string) string { return html.EscapeString(clean(s, -1)) }

// label shortens a caller's name or title to maxLabel runes for display.
func label(s string) string { return clean(s, maxLabel) }

// num formats a coordinate with at most one decimal.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// formatValue writes a value for a label: integers in full below ten
// thousand, larger values with an SI suffix (12.3k, 4.5M), fractions
// with three significant digits.
func formatValue(v float64) string {
	if !finite(v) {
		return "0"
	}
	a := math.Abs(v)
	for _, u := range []struct {
		limit  float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e4, "k"}} {
		if a >= u.limit {
			return strconv.FormatFloat(v/u.limit, 'g', 3, 64) + u.suffix
		}
	}
	if v == math.Trunc(v) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// svg writes one SVG document. Tag and attribute names are always this
// package's constants; attribute values and text pass through the
// writer's escaping.
type svg struct {
	b strings.Builder
}

// begin opens the root element with its accessible name and a visible title.
func begin(class, title string, width, height int) *svg {
	s := &svg{}
	title = clean(title, 2*maxLabel)
	w, h := strconv.Itoa(width), strconv.Itoa(height)
	s.open("svg", "xmlns", "http://www.w3.org/2000/svg", "class", "chart "+class,
		"width", w, "height", h, "viewBox", "0 0 "+w+" "+h,
		"role", "img", "aria-label", title)
	s.text("title", title)
	s.text("text", title, "class", "title", "x", "8", "y", "16",
		"font-size", "13", "font-family", "sans-serif", "fill", "currentColor")
	return s
}

// end closes the root element and returns the document.
func (s *svg) end() template.HTML {
	s.close("svg")
	return template.HTML(s.b.String()) // #nosec G203 -- every value is escaped by svg
}

func (s *svg) attrs(kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		s.b.WriteString(" " + kv[i] + `="` + esc(kv[i+1]) + `"`)
	}
}

// open writes a start tag; kv alternates attribute names and values.
func (s *svg) open(tag string, kv ...string) {
	s.b.WriteString("<" + tag)
	s.attrs(kv)
	s.b.WriteString(">")
}

// elem writes an empty element.
func (s *svg) elem(tag string, kv ...string) {
	s.b.WriteString("<" + tag)
	s.attrs(kv)
	s.b.WriteString("/>")
}

// text writes an element holding escaped text.
func (s *svg) text(tag, content string, kv ...string) {
	s.open(tag, kv...)
	s.b.WriteString(esc(content))
	s.close(tag)
}

func (s *svg) close(tag string) { s.b.WriteString("</" + tag + ">") }

// note writes a line of small text at the bottom left, used for "no
// data" and for what a bound left out.
func (s *svg) note(msg string, x, y float64) {
	s.text("text", msg, "class", "note", "x", num(x), "y", num(y),
		"font-size", "11", "font-family", "sans-serif", "fill", "currentColor")
}

// noData is the chart drawn for empty input.
func noData(class, title string, width, height int) template.HTML {
	s := begin(class+" empty", title, width, height)
	s.text("text", "no data", "class", "nodata", "x", num(float64(width)/2), "y", num(float64(height)/2),
		"text-anchor", "middle", "font-size", "13", "font-family", "sans-serif", "fill", "currentColor")
	return s.end()
}

// plot is the drawing area inside the margins, in pixels.
type plot struct {
	left, top, right, bottom float64
}

func plotArea(width, height int) plot {
	return plot{left: 52, top: 28, right: float64(width) - 16, bottom: float64(height) - 26}
}

// scaleX maps a time between from and to onto the plot's width.
func (p plot) scaleX(t, from, to time.Time) float64 {
	span := to.Sub(from)
	if span <= 0 {
		return p.left
	}
	return p.left + (p.right-p.left)*float64(t.Sub(from))/float64(span)
}

// scaleY maps a value between lo and hi onto the plot's height.
func (p plot) scaleY(v, lo, hi float64) float64 {
	if hi <= lo {
		return p.bottom
	}
	return p.bottom - (p.bottom-p.top)*(v-lo)/(hi-lo)
}

// axes draws the x axis with time labels between from and to, the y axis
// and its labels for lo and hi.
func (s *svg) axes(p plot, from, to time.Time, lo, hi float64) {
	s.open("g", "class", "axis", "font-size", "11", "font-family", "sans-serif", "fill", "currentColor")
	s.elem("line", "class", "axis-line", "x1", num(p.left), "y1", num(p.bottom), "x2", num(p.right), "y2", num(p.bottom), "stroke", "currentColor")
	s.elem("line", "class", "axis-line", "x1", num(p.left), "y1", num(p.top), "x2", num(p.left), "y2", num(p.bottom), "stroke", "currentColor")
	for _, t := range timeTicks(from, to) {
		x := p.scaleX(t.at, from, to)
		s.elem("line", "class", "tick", "x1", num(x), "y1", num(p.bottom), "x2", num(x), "y2", num(p.bottom+4), "stroke", "currentColor")
		s.text("text", t.label, "class", "tick-label x", "x", num(x), "y", num(p.bottom+16), "text-anchor", "middle")
	}
	s.text("text", formatValue(hi), "class", "tick-label y max", "x", num(p.left-6), "y", num(p.top+4), "text-anchor", "end")
	s.text("text", formatValue(lo), "class", "tick-label y min", "x", num(p.left-6), "y", num(p.bottom), "text-anchor", "end")
	s.close("g")
}
