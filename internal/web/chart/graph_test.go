package chart

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// box is a node shape's bounding box.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) overlaps(c box) bool {
	return b.x0 < c.x1 && c.x0 < b.x1 && b.y0 < c.y1 && c.y0 < b.y1
}

func (b box) centre() (float64, float64) { return (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2 }

// nodeBoxes returns each node group's label and the bounding box of its
// shape, in document order.
func nodeBoxes(t *testing.T, root element) (labels []string, boxes []box) {
	t.Helper()
	for _, g := range root.all(tagged("g", "node")) {
		labels = append(labels, g.texts("node-label")[0])
		var b box
		switch shape := g.Children[1]; shape.XMLName.Local {
		case "rect":
			x, y := shape.float(t, "x"), shape.float(t, "y")
			b = box{x, y, x + shape.float(t, "width"), y + shape.float(t, "height")}
		case "circle":
			x, y, r := shape.float(t, "cx"), shape.float(t, "cy"), shape.float(t, "r")
			b = box{x - r, y - r, x + r, y + r}
		case "polygon":
			b = box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
			for _, p := range polylinePoints(t, shape) {
				b = box{min(b.x0, p[0]), min(b.y0, p[1]), max(b.x1, p[0]), max(b.y1, p[1])}
			}
		default:
			t.Fatalf("node %q has shape <%s>", labels[len(labels)-1], shape.XMLName.Local)
		}
		boxes = append(boxes, b)
	}
	return labels, boxes
}

func checkNoOverlap(t *testing.T, labels []string, boxes []box) {
	t.Helper()
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			if boxes[i].overlaps(boxes[j]) {
				t.Errorf("nodes %q %v and %q %v overlap", labels[i], boxes[i], labels[j], boxes[j])
			}
		}
	}
}

func TestGraphLayout(t *testing.T) {
	nodes := []Node{
		{ID: "ip:203.0.113.9", Label: "203.0.113.9", Kind: "external"},
		{ID: "host:ws01", Label: "WS01", Kind: "host"},
		{ID: "host:fs01", Label: "FS01", Kind: "host"},
		{ID: "host:dc01", Label: "DC01", Kind: "host"},
		{ID: "user:admin", Label: "admin", Kind: "account"},
		{ID: "ip:10.0.0.5", Label: "10.0.0.5", Kind: "address"},
	}
	edges := []Edge{
		{From: "ip:203.0.113.9", To: "host:ws01", Label: "jdoe", Count: 2},
		{From: "host:ws01", To: "host:fs01", Label: "admin", Count: 2},
		{From: "host:ws01", To: "host:dc01", Label: "admin", Count: 5, Failed: true},
		{From: "host:fs01", To: "host:dc01", Label: "admin", Count: 1},
		{From: "host:ws01", To: "host:fs01", Label: "admin", Count: 1}, // repeats the second: 3 in all
		{From: "host:dc01", To: "host:ws01", Label: "svc"},             // back edge
		{From: "host:fs01", To: "host:fs01", Label: "local"},           // loop
		{From: "host:dc01", To: "host:unknown", Label: "x"},            // adds a node
	}
	out := Graph("Movement", nodes, edges, 640, 300)
	if again := Graph("Movement", nodes, edges, 640, 300); again != out {
		t.Fatal("two calls with equal input drew different graphs")
	}
	root := parse(t, out)
	checkAccessible(t, root, "Movement")
	checkNoStyle(t, root)

	labels, boxes := nodeBoxes(t, root)
	// Breadth-first from the first node: the attacker (depth 0), WS01 (1),
	// FS01 and DC01 (2), the unknown host (3); admin and 10.0.0.5 have no
	// edges and start their own trees at depth 0.
	wantLabels := []string{"203.0.113.9", "WS01", "FS01", "DC01", "host:unknown", "admin", "10.0.0.5"}
	if !slices.Equal(labels, wantLabels) {
		t.Fatalf("nodes = %q, want %q", labels, wantLabels)
	}
	x := make(map[string]float64)
	for i, b := range boxes {
		x[labels[i]], _ = b.centre()
	}
	if !(x["203.0.113.9"] < x["WS01"] && x["WS01"] < x["FS01"] && x["FS01"] == x["DC01"] && x["DC01"] < x["host:unknown"]) {
		t.Errorf("layers not left to right by depth: %v", x)
	}
	if x["admin"] != x["203.0.113.9"] || x["10.0.0.5"] != x["203.0.113.9"] {
		t.Errorf("unreached nodes not in the first layer: %v", x)
	}
	checkNoOverlap(t, labels, boxes)

	kinds := map[string]string{}
	for _, g := range root.all(tagged("g", "node")) {
		kinds[g.texts("node-label")[0]] = strings.TrimPrefix(g.attr("class"), "node ")
	}
	if kinds["WS01"] != "host" || kinds["admin"] != "account" || kinds["10.0.0.5"] != "address" ||
		kinds["203.0.113.9"] != "external" || kinds["host:unknown"] != "other" {
		t.Errorf("node classes = %v", kinds)
	}

	var edgeLabels []string
	failed := 0
	for _, g := range root.all(tagged("g", "edge")) {
		path, _ := g.child("path")
		if path.attr("marker-end") == "" {
			t.Errorf("edge %q has no arrow", g.texts("edge-label"))
		}
		if g.hasClass("failed") {
			failed++
			if path.attr("stroke-dasharray") == "" {
				t.Errorf("failed edge %q is not dashed", g.texts("edge-label"))
			}
		} else if path.attr("stroke-dasharray") != "" {
			t.Errorf("edge %q is dashed but did not fail", g.texts("edge-label"))
		}
		edgeLabels = append(edgeLabels, g.texts("edge-label")...)
	}
	wantEdges := []string{"jdoe ×2", "admin ×3", "admin ×5", "admin", "svc", "local", "x"}
	if !slices.Equal(edgeLabels, wantEdges) || failed != 1 {
		t.Errorf("edges = %q with %d failed, want %q with 1", edgeLabels, failed, wantEdges)
	}
	if markers := root.all(tagged("marker", "")); len(markers) != 2 {
		t.Errorf("got %d markers, want 2", len(markers))
	}
}

func TestGraphEscapesLabels(t *testing.T) {
	nodes := []Node{{ID: "a", Label: "<script>alert(1)</script>", Kind: "<x onload=y>"}, {ID: "b", Label: `"quoted" & 'single'`}}
	edges := []Edge{{From: "a", To: "b", Label: "<script>"}}
	out := Graph("g", nodes, edges, 0, 0)
	if strings.Contains(strings.ToLower(string(out)), "<script") {
		t.Fatalf("raw <script in output:\n%s", out)
	}
	if !strings.Contains(string(out), "&lt;script&gt;") {
		t.Errorf("the label is not in the output escaped:\n%s", out)
	}
	root := parse(t, out)
	labels, _ := nodeBoxes(t, root)
	// 40 runes shown at most per column width; decoded, the text is the label's start.
	if !strings.HasPrefix("<script>alert(1)</script>", strings.TrimSuffix(labels[0], "…")) || labels[1] == "" {
		t.Errorf("labels = %q", labels)
	}
	if got := root.all(tagged("g", "node"))[0].attr("class"); got != "node other" {
		t.Errorf("unknown kind gave class %q, want node other", got)
	}
	if got := root.texts("edge-label"); !slices.Equal(got, []string{"<script>"}) {
		t.Errorf("edge label = %q", got)
	}
}

func TestGraphBounds(t *testing.T) {
	// A star: one host reaching 99 others, then each of those reaching the
	// next, 99+98 edges more than MaxEdges allows among drawn nodes.
	nodes := []Node{{ID: "n0", Label: "hub", Kind: "host"}}
	var edges []Edge
	for i := 1; i < 100; i++ {
		nodes = append(nodes, Node{ID: "n" + strconv.Itoa(i), Label: fmt.Sprintf("host %d", i), Kind: "host"})
		edges = append(edges, Edge{From: "n0", To: "n" + strconv.Itoa(i), Label: "admin", Count: i})
	}
	for i := 1; i < 99; i++ {
		edges = append(edges, Edge{From: "n" + strconv.Itoa(i), To: "n" + strconv.Itoa(i+1), Label: "svc"})
	}
	for i := 1; i < 60; i++ {
		edges = append(edges, Edge{From: "n" + strconv.Itoa(i), To: "n0", Label: "back"})
	}
	root := parse(t, Graph("big", nodes, edges, 640, 220))
	labels, boxes := nodeBoxes(t, root)
	if len(labels) != MaxNodes {
		t.Fatalf("drew %d nodes, want %d", len(labels), MaxNodes)
	}
	if labels[0] != "hub" || labels[59] != "host 59" {
		t.Errorf("did not keep the first discovered nodes: %q ... %q", labels[0], labels[59])
	}
	checkNoOverlap(t, labels, boxes)
	// Among the 60 drawn nodes: 59 spokes, 58 chain edges, 59 back edges
	// make 176 edges; the other 40 spokes and 40 chain edges are hidden.
	if got := len(root.all(tagged("g", "edge"))); got != 176 {
		t.Errorf("drew %d edges, want 176", got)
	}
	if got := root.texts("note"); !slices.Equal(got, []string{"+40 more nodes and 80 more edges not shown"}) {
		t.Errorf("note = %q", got)
	}
	for _, b := range boxes {
		if b.x1 > root.float(t, "width") || b.y1 > root.float(t, "height") || b.x0 < 0 || b.y0 < 0 {
			t.Errorf("node box %v outside the %sx%s chart", b, root.attr("width"), root.attr("height"))
		}
	}
}

func TestGraphMaxEdges(t *testing.T) {
	nodes := []Node{{ID: "a"}, {ID: "b"}}
	var edges []Edge
	for i := range 250 {
		edges = append(edges, Edge{From: "a", To: "b", Label: "user" + strconv.Itoa(i)})
	}
	root := parse(t, Graph("parallel", nodes, edges, 0, 0))
	if got := len(root.all(tagged("g", "edge"))); got != MaxEdges {
		t.Errorf("drew %d edges, want %d", got, MaxEdges)
	}
	if got := root.texts("note"); !slices.Equal(got, []string{"+0 more nodes and 50 more edges not shown"}) {
		t.Errorf("note = %q", got)
	}
}

func TestGraphChainFitsByGrowing(t *testing.T) {
	var nodes []Node
	var edges []Edge
	for i := range 60 {
		nodes = append(nodes, Node{ID: strconv.Itoa(i), Label: "h" + strconv.Itoa(i), Kind: "host"})
		if i > 0 {
			edges = append(edges, Edge{From: strconv.Itoa(i - 1), To: strconv.Itoa(i)})
		}
	}
	root := parse(t, Graph("chain", nodes, edges, 640, 220))
	labels, boxes := nodeBoxes(t, root)
	checkNoOverlap(t, labels, boxes)
	// 60 layers of at least 60 pixels and margins of 20.
	if got := root.attr("width"); got != "3640" {
		t.Errorf("width = %s, want 3640", got)
	}
}

func TestGraphNoData(t *testing.T) {
	root := parse(t, Graph("empty", nil, nil, 0, 0))
	if got := root.texts("nodata"); !slices.Equal(got, []string{"no data"}) {
		t.Errorf("no data text = %q", got)
	}
}
