package chart

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkGraphMax draws a graph at its bounds: 200 nodes offered, 60
// drawn, 400 edges offered.
func BenchmarkGraphMax(b *testing.B) {
	var nodes []Node
	var edges []Edge
	for i := range 200 {
		nodes = append(nodes, Node{ID: strconv.Itoa(i), Label: "host " + strconv.Itoa(i), Kind: "host"})
		edges = append(edges, Edge{From: strconv.Itoa(i / 3), To: strconv.Itoa(i), Label: "admin", Count: i},
			Edge{From: strconv.Itoa(i), To: strconv.Itoa((i * 7) % 200), Label: "svc", Failed: true})
	}
	for b.Loop() {
		Graph("bench", nodes, edges, 640, 300)
	}
}

// BenchmarkLinesMax draws MaxSeries series of MaxPoints points each.
func BenchmarkLinesMax(b *testing.B) {
	var in []Series
	for s := range MaxSeries {
		se := Series{Name: "s" + strconv.Itoa(s)}
		for i := range MaxPoints {
			se.Points = append(se.Points, Point{T: monday.Add(time.Duration(i) * time.Second), V: float64(i * s % 13)})
		}
		in = append(in, se)
	}
	for b.Loop() {
		Lines("bench", in, 640, 240)
	}
}
