package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// wellFormed reads out to its end as strict XML.
func wellFormed(out template.HTML) error {
	dec := xml.NewDecoder(strings.NewReader(string(out)))
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("unclosed element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

func FuzzCharts(f *testing.F) {
	f.Add("title", "host", "<script>alert(1)</script>", 3.5, int64(60), 640, 220, uint8(5))
	f.Add("", "", "", 0.0, int64(0), 0, 0, uint8(0))
	f.Add("a\x00b\xff\"'&<>", "external", "]]><!--", math.Inf(1), int64(-3600), -1, 1<<30, uint8(255))
	f.Add("\u2028\uFFFE\U0001F600", "account", "<SCRIPT src=x>", math.NaN(), int64(1<<40), 161, 101, uint8(70))
	f.Add(strings.Repeat("é", 200), "address", "&amp;", -1e308, int64(86400*400), 4000, 3000, uint8(9))
	f.Fuzz(func(t *testing.T, title, kind, text string, v float64, stepSeconds int64, width, height int, n uint8) {
		step := time.Duration(stepSeconds%(1<<33)) * time.Second
		var points []Point
		var nodes []Node
		var edges []Edge
		for i := range int(n) {
			at := monday.Add(time.Duration(i) * step)
			points = append(points, Point{T: at, V: v * float64(i%5)})
			id := text + string(rune('a'+i%70))
			nodes = append(nodes, Node{ID: id, Label: text, Kind: kind})
			if i > 0 {
				edges = append(edges, Edge{From: nodes[(i*7)%len(nodes)].ID, To: id, Label: text, Count: int(v), Failed: i%3 == 0})
			}
		}
		charts := map[string]template.HTML{
			"histogram": Histogram(title, points, width, height),
			"lines":     Lines(title, []Series{{Name: text, Points: points}, {Name: title, Points: points[:len(points)/2]}}, width, height),
			"graph":     Graph(title, nodes, edges, width, height),
			"bucket":    Histogram(text, Bucket([]time.Time{monday.Add(step)}, monday, monday.Add(step*time.Duration(n)), int(n)), width, height),
		}
		for name, out := range charts {
			if err := wellFormed(out); err != nil {
				t.Fatalf("%s: not well-formed XML: %v\n%s", name, err, out)
			}
			if bytes.Contains(bytes.ToLower([]byte(out)), []byte("<script")) {
				t.Fatalf("%s: raw <script in output", name)
			}
			if len(out) > 2<<20 {
				t.Fatalf("%s: %d bytes of output", name, len(out))
			}
		}
	})
}
