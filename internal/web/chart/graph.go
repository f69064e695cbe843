package chart

import (
	"html/template"
	"math"
	"strconv"
)

// Node is a vertex of the movement graph. Kind is "host", "account",
// "address" or "external"; it chooses the node's shape (not only its
// colour) and its CSS class. Other kinds draw as "other".
type Node struct {
	ID, Label, Kind string
}

// Edge is a movement from one node to another: Label names the account
// used, Count the number of attempts, Failed whether they all failed.
type Edge struct {
	From, To, Label string
	Count           int
	Failed          bool
}

// Layout spacing of the graph, in pixels.
const (
	minColumn, minRow = 60.0, 28.0
	graphMargin       = 20.0
	graphTop          = 34.0
)

// nodeLook gives each kind a shape and a default fill; kinds it does not
// know become "other".
func nodeLook(kind string) (class, shape, fill string) {
	switch kind {
	case "host":
		return kind, "rect", "#4a78b5"
	case "account":
		return kind, "circle", "#e69f00"
	case "address":
		return kind, "diamond", "#009e73"
	case "external":
		return kind, "triangle", "#d55e00"
	}
	return "other", "circle", "#7f7f7f"
}

// Graph draws the movement graph. Nodes are laid out left to right in
// layers by breadth-first depth along the edges from the first node
// (nodes it does not reach start new trees at depth 0, in input order);
// within a layer, in order of discovery. A layer too tall for the height
// wraps into further columns, and the chart grows when even that does not
// fit. Edges are arrows labelled with the account and, above one, the
// count; failed edges are dashed. Edges naming an unknown node add it;
// repeated nodes keep their first description; repeated edges (same ends,
// label and outcome) add their counts. At most MaxNodes nodes (the first
// discovered) and MaxEdges edges are drawn; a note counts the rest. The
// layout depends only on the input's order, so equal input draws equal
// output. The arrow markers have fixed ids, the same in every graph.
func Graph(title string, nodes []Node, edges []Edge, width, height int) template.HTML {
	width, height = clampSize(width, height)
	g := newGraph(nodes, edges)
	if len(g.nodes) == 0 {
		return noData("graph", title, width, height)
	}
	order, depth := g.breadthFirst()
	hiddenNodes := max(0, len(order)-MaxNodes)
	order = order[:len(order)-hiddenNodes]
	lay := layout(order, depth, width, height)
	width, height = lay.width, lay.height

	s := begin("graph", title, width, height)
	s.open("defs")
	for _, m := range []struct{ id, fill string }{{"vigie-arrow", "#555555"}, {"vigie-arrow-failed", "#c0392b"}} {
		s.open("marker", "id", m.id, "viewBox", "0 0 10 10", "refX", "9", "refY", "5",
			"markerWidth", "7", "markerHeight", "7", "orient", "auto-start-reverse")
		s.elem("path", "d", "M0,0 L10,5 L0,10 z", "fill", m.fill)
		s.close("marker")
	}
	s.close("defs")

	drawn, hiddenEdges := 0, 0
	parallel := map[[2]int]int{}
	s.open("g", "class", "edges", "font-size", "10", "font-family", "sans-serif")
	for _, e := range g.edges {
		a, okA := lay.at[e.from]
		b, okB := lay.at[e.to]
		if !okA || !okB || drawn == MaxEdges {
			hiddenEdges++
			continue
		}
		drawn++
		pair := [2]int{min(e.from, e.to), max(e.from, e.to)}
		k := parallel[pair]
		parallel[pair]++
		s.edge(g, e, a, b, k, lay.radius)
	}
	s.close("g")

	s.open("g", "class", "nodes", "font-size", "10", "font-family", "sans-serif")
	for _, i := range order {
		s.node(g.nodes[i], lay.at[i], lay.radius, lay.labelRunes)
	}
	s.close("g")

	if hiddenNodes > 0 || hiddenEdges > 0 {
		s.note("+"+strconv.Itoa(hiddenNodes)+" more nodes and "+strconv.Itoa(hiddenEdges)+" more edges not shown",
			graphMargin, float64(height)-6)
	}
	return s.end()
}

// graph is the input with nodes numbered and duplicate edges merged.
type graph struct {
	nodes []Node
	edges []graphEdge
	out   [][]int // out[i]: targets of node i's edges, in edge order
}

type graphEdge struct {
	from, to int
	label    string
	count    int
	failed   bool
}

func newGraph(nodes []Node, edges []Edge) *graph {
	g := &graph{}
	index := map[string]int{}
	add := func(n Node) int {
		if i, ok := index[n.ID]; ok {
			return i
		}
		index[n.ID] = len(g.nodes)
		g.nodes = append(g.nodes, n)
		g.out = append(g.out, nil)
		return len(g.nodes) - 1
	}
	for _, n := range nodes {
		add(n)
	}
	type edgeKey struct {
		from, to int
		label    string
		failed   bool
	}
	seen := map[edgeKey]int{}
	for _, e := range edges {
		from, to := add(Node{ID: e.From, Label: e.From}), add(Node{ID: e.To, Label: e.To})
		key := edgeKey{from, to, e.Label, e.Failed}
		if j, ok := seen[key]; ok {
			g.edges[j].count = min(g.edges[j].count, math.MaxInt-max(e.Count, 0)) + max(e.Count, 0)
			continue
		}
		seen[key] = len(g.edges)
		g.edges = append(g.edges, graphEdge{from: from, to: to, label: e.Label, count: max(e.Count, 0), failed: e.Failed})
		g.out[from] = append(g.out[from], to)
	}
	return g
}

// breadthFirst orders the nodes by discovery and gives each its depth.
func (g *graph) breadthFirst() (order, depth []int) {
	depth = make([]int, len(g.nodes))
	for i := range depth {
		depth[i] = -1
	}
	for root := range g.nodes {
		if depth[root] >= 0 {
			continue
		}
		depth[root] = 0
		queue := []int{root}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			order = append(order, n)
			for _, m := range g.out[n] {
				if depth[m] < 0 {
					depth[m] = depth[n] + 1
					queue = append(queue, m)
				}
			}
		}
	}
	return order, depth
}

// position is a node's centre.
type position struct{ x, y float64 }

// graphLayout is where each drawn node goes and the size that holds them.
type graphLayout struct {
	at            map[int]position
	width, height int
	radius        float64
	labelRunes    int
}

// layout places the nodes of order in columns by depth. A layer taller
// than the rows that fit wraps into more columns; rows are added (the
// chart grows taller) until the columns fit the width, and the chart
// grows wider when the layers alone do not fit.
func layout(order, depth []int, width, height int) graphLayout {
	var layers [][]int
	for _, n := range order {
		d := depth[n]
		for len(layers) <= d {
			layers = append(layers, nil)
		}
		layers[d] = append(layers[d], n)
	}
	tallest := 0
	for _, l := range layers {
		tallest = max(tallest, len(l))
	}
	plotW, plotH := float64(width)-2*graphMargin, float64(height)-graphTop-graphMargin
	maxCols := max(1, int(plotW/minColumn))
	rows := max(1, int(plotH/minRow))
	columns := func(rows int) int {
		c := 0
		for _, l := range layers {
			c += (len(l) + rows - 1) / rows
		}
		return c
	}
	for columns(rows) > maxCols && rows < tallest {
		rows++
	}
	rows = min(rows, max(tallest, 1))
	cols := columns(rows)
	width = max(width, int(math.Ceil(float64(cols)*minColumn+2*graphMargin)))
	height = max(height, int(math.Ceil(float64(rows)*minRow+graphTop+graphMargin)))
	plotW, plotH = float64(width)-2*graphMargin, float64(height)-graphTop-graphMargin
	colW, rowH := plotW/float64(cols), plotH/float64(rows)

	lay := graphLayout{
		at:         make(map[int]position, len(order)),
		width:      width,
		height:     height,
		radius:     min(max(min(colW, rowH)/4, 3), 12),
		labelRunes: max(4, int(colW/6.5)),
	}
	col := 0
	for _, l := range layers {
		for i, n := range l {
			lay.at[n] = position{
				x: graphMargin + colW*(float64(col+i/rows)+0.5),
				y: graphTop + rowH*(float64(i%rows)+0.5),
			}
		}
		col += (len(l) + rows - 1) / rows
	}
	return lay
}

// edge draws one arrow from a to b, the k-th between these two nodes,
// bent aside by k so that parallel edges and their labels stay apart.
func (s *svg) edge(g *graph, e graphEdge, a, b position, k int, r float64) {
	class, stroke, marker := "edge", "#555555", "url(#vigie-arrow)"
	if e.failed {
		class, stroke, marker = "edge failed", "#c0392b", "url(#vigie-arrow-failed)"
	}
	text := label(e.label)
	if e.count > 1 {
		text += " ×" + strconv.Itoa(e.count)
	}
	desc := label(g.nodes[e.from].Label) + " → " + label(g.nodes[e.to].Label) + ": " + text
	if e.failed {
		desc += " (failed)"
	}

	var d string
	var lx, ly float64
	anchor := "middle"
	if e.from == e.to {
		bend := r * float64(3+k)
		d = "M" + num(a.x-r/2) + "," + num(a.y-r) + " C" + num(a.x-bend) + "," + num(a.y-2*bend) +
			" " + num(a.x+bend) + "," + num(a.y-2*bend) + " " + num(a.x+r/2) + "," + num(a.y-r)
		lx, ly = a.x, a.y-1.5*bend-2
	} else {
		// The k-th parallel edge bends 0, +28, -28, +56, ... pixels aside
		// at its control point, half that at its middle.
		offset := 28 * float64((k+1)/2)
		if k%2 == 0 {
			offset = -offset
		}
		dx, dy := b.x-a.x, b.y-a.y
		length := math.Hypot(dx, dy)
		cx, cy := (a.x+b.x)/2-dy/length*offset, (a.y+b.y)/2+dx/length*offset
		sx, sy := toward(a, cx, cy, r+1)
		ex, ey := toward(b, cx, cy, r+2)
		d = "M" + num(sx) + "," + num(sy) + " Q" + num(cx) + "," + num(cy) + " " + num(ex) + "," + num(ey)
		lx, ly = 0.25*sx+0.5*cx+0.25*ex, 0.25*sy+0.5*cy+0.25*ey-3
		if math.Abs(dy) > math.Abs(dx) { // beside a steep edge, not across it
			anchor, lx, ly = "start", lx+4, ly+6
		}
	}
	kv := []string{"class", "path", "d", d, "fill", "none", "stroke", stroke, "stroke-width", "1.5", "marker-end", marker}
	if e.failed {
		kv = append(kv, "stroke-dasharray", "5 4")
	}
	s.open("g", "class", class)
	s.text("title", desc)
	s.elem("path", kv...)
	if text != "" {
		s.text("text", text, "class", "edge-label", "x", num(lx), "y", num(ly), "text-anchor", anchor, "fill", "currentColor")
	}
	s.close("g")
}

// toward moves from p by dist toward (x, y), so that lines start and end
// at a node's border rather than its centre.
func toward(p position, x, y, dist float64) (float64, float64) {
	dx, dy := x-p.x, y-p.y
	length := math.Hypot(dx, dy)
	if length == 0 {
		return p.x, p.y
	}
	return p.x + dx/length*dist, p.y + dy/length*dist
}

// node draws one node: its shape by kind, its label under it, and a
// title naming it in full.
func (s *svg) node(n Node, at position, r float64, runes int) {
	kind, shape, fill := nodeLook(n.Kind)
	s.open("g", "class", "node "+kind)
	s.text("title", clean(n.Label, 2*maxLabel)+" ("+kind+")")
	switch shape {
	case "rect":
		s.elem("rect", "x", num(at.x-r), "y", num(at.y-r), "width", num(2*r), "height", num(2*r), "fill", fill)
	case "diamond":
		s.elem("polygon", "points", polygon(at, r, 4, 0), "fill", fill)
	case "triangle":
		s.elem("polygon", "points", polygon(at, r, 3, -math.Pi/2), "fill", fill)
	default:
		s.elem("circle", "cx", num(at.x), "cy", num(at.y), "r", num(r), "fill", fill)
	}
	s.text("text", clean(n.Label, runes), "class", "node-label", "x", num(at.x), "y", num(at.y+r+11),
		"text-anchor", "middle", "fill", "currentColor")
	s.close("g")
}

// polygon lists the corners of a regular polygon of radius r around c.
func polygon(c position, r float64, corners int, start float64) string {
	out := ""
	for i := range corners {
		a := start + 2*math.Pi*float64(i)/float64(corners)
		if i > 0 {
			out += " "
		}
		out += num(c.x+r*math.Cos(a)) + "," + num(c.y+r*math.Sin(a))
	}
	return out
}
