package web

import (
	"html/template"
	"net/netip"

	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/web/chart"
)

// Charts are drawn by package chart, which escapes every value it is
// given and writes the SVG itself: its template.HTML is the only one the
// console embeds.

// histogramSVG draws buckets as a bar chart.
func histogramSVG(title string, buckets []bucket) template.HTML {
	points := make([]chart.Point, len(buckets))
	for i, b := range buckets {
		points[i] = chart.Point{T: b.From, V: float64(b.Count)}
	}
	return chart.Histogram(title, points, 0, 0)
}

// movementSVG draws a scope report's movement edges: who authenticated
// from where to where.
func movementSVG(rep *scope.Report) template.HTML {
	var nodes []chart.Node
	seen := map[string]bool{}
	node := func(name, kind string) {
		if !seen[name] {
			seen[name] = true
			nodes = append(nodes, chart.Node{ID: name, Label: name, Kind: kind})
		}
	}
	var edges []chart.Edge
	for _, e := range rep.Movement.Edges {
		kind := "host"
		if _, err := netip.ParseAddr(e.From); err == nil {
			kind = "address"
		}
		node(e.From, kind)
		node(e.To, "host")
		edges = append(edges, chart.Edge{From: e.From, To: e.To, Label: e.Account, Count: e.Count, Failed: e.Outcome == "failure"})
	}
	return chart.Graph("Authentications between the involved entities", nodes, edges, 0, 0)
}
