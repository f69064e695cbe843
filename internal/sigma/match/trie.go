package match

import "slices"

// trie finds which of a set of needles a value starts (or ends) with, in
// time proportional to the longest needle that matches rather than to the
// value's length: startswith and endswith tests, and wildcard patterns
// that begin or end with a literal, need no scan of the whole value.
type trie struct {
	first [256]int32 // node of each first byte, or -1
	nodes []trieNode
	edges []edge // target: a node
}

type trieNode struct {
	from, to int32 // its edges, sorted by byte
	needle   int32 // the needle ending here, or -1
}

// buildTrie compiles needles (non-empty, distinct); needle i is reported
// as i. For endswith, pass the needles reversed and walk with reverse.
func buildTrie(needles []string) *trie {
	t := &trie{}
	type key = uint64
	children := map[key]int32{}
	needleAt := []int32{-1} // node 0: the root, reached by no byte
	kids := [][]edge{nil}
	for id, n := range needles {
		s := int32(0)
		for i := 0; i < len(n); i++ {
			k := key(s)<<8 | key(n[i])
			c, ok := children[k]
			if !ok {
				c = int32(len(needleAt))
				children[k] = c
				needleAt = append(needleAt, -1)
				kids = append(kids, nil)
				kids[s] = append(kids[s], edge{n[i], c})
			}
			s = c
		}
		needleAt[s] = int32(id)
	}
	for i := range t.first {
		t.first[i] = -1
	}
	for _, e := range kids[0] {
		t.first[e.b] = e.target
	}
	t.nodes = make([]trieNode, len(needleAt))
	for s := range t.nodes {
		es := slices.Clone(kids[s])
		slices.SortFunc(es, func(a, b edge) int { return int(a.b) - int(b.b) })
		t.nodes[s] = trieNode{from: int32(len(t.edges)), to: int32(len(t.edges) + len(es)), needle: needleAt[s]}
		if s != 0 {
			t.edges = append(t.edges, es...)
		} else {
			t.nodes[s].to = t.nodes[s].from
		}
	}
	return t
}

// walk follows s from its start (from its end with reverse) and calls hit
// for every needle that s starts (ends) with, with the needle's length.
func (t *trie) walk(s string, reverse bool, hit func(needle int32, n int)) {
	if len(s) == 0 {
		return
	}
	at := func(i int) byte {
		if reverse {
			return s[len(s)-1-i]
		}
		return s[i]
	}
	st := t.first[at(0)]
	for i := 1; st >= 0; i++ {
		nd := &t.nodes[st]
		if nd.needle >= 0 {
			hit(nd.needle, i)
		}
		if i == len(s) {
			return
		}
		b := at(i)
		next := int32(-1)
		for _, e := range t.edges[nd.from:nd.to] {
			if e.b >= b {
				if e.b == b {
					next = e.target
				}
				break
			}
		}
		st = next
	}
}
