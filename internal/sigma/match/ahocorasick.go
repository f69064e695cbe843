package match

// automaton is an Aho-Corasick automaton over bytes.
//
// The states nearest the root, where a scan spends almost all its time,
// have a full transition row (a DFA: one table lookup per byte); deeper
// states keep only their trie edges and a failure link. Rows are indexed
// by byte class: bytes that occur in no needle share class 0, so a row has
// one entry per distinct needle byte plus one. States are numbered in
// breadth-first order, so the dense states are 0..dense-1 and every
// failure link points to a shallower state.
//
// A transition target is stored complemented (negative) when the state it
// leads to ends a needle, so the scan loop tests for output with the
// value it already loaded.
type automaton struct {
	class  [256]uint8
	nclass int32
	dense  int32   // states 0..dense-1 have a row in next
	next   []int32 // dense state*nclass + class → state (^state when it has output)
	// Sparse states: the edges of state s are edges[edgeAt[s-dense]:edgeAt[s-dense+1]].
	edgeAt []int32
	edges  []edge
	fail   []int32 // per state
	needle []int32 // per state: the needle ending exactly here, or -1
	dict   []int32 // per state: the longest proper suffix state that ends a needle, or -1
}

type edge struct {
	b      byte
	target int32 // ^state when it has output
}

// maxDenseEntries bounds the dense table of one automaton to 256 KiB: the
// largest SigmaHQ field (CommandLine, some 20,000 needles) would need 100
// MB as a full DFA. BenchmarkMatch on the shared 2-core machine could not
// tell 16 KiB to 1 MiB apart (the noise was about ±30%); 256 KiB keeps the
// compiled SigmaHQ set at 36 MB, against 44 MB with 1 MiB.
const maxDenseEntries = 1 << 16

// buildAutomaton compiles needles (non-empty, distinct) into an automaton
// whose dense table has at most denseEntries entries (at least one row).
// Needle i is reported as i.
func buildAutomaton(needles []string, denseEntries int) *automaton {
	a := &automaton{}
	var used [256]bool
	count := 0
	for _, n := range needles {
		for i := 0; i < len(n); i++ {
			if !used[n[i]] {
				used[n[i]] = true
				count++
			}
		}
	}
	if count == 256 {
		a.nclass = 256 // no byte left for a shared class
		for c := 0; c < 256; c++ {
			a.class[c] = uint8(c)
		}
	} else {
		a.nclass = 1
		for c := 0; c < 256; c++ {
			if used[c] {
				a.class[c] = uint8(a.nclass)
				a.nclass++
			}
		}
	}

	// The trie, in insertion order; children keyed by state<<8 | byte.
	type key = uint64
	children := map[key]int32{}
	needleAt := []int32{-1}
	kids := [][]edge{nil}
	for id, n := range needles {
		s := int32(0)
		for i := 0; i < len(n); i++ {
			k := key(s)<<8 | key(n[i])
			t, ok := children[k]
			if !ok {
				t = int32(len(needleAt))
				children[k] = t
				needleAt = append(needleAt, -1)
				kids = append(kids, nil)
				kids[s] = append(kids[s], edge{n[i], t})
			}
			s = t
		}
		needleAt[s] = int32(id)
	}

	// Breadth-first renumbering, failure and dictionary links.
	n := len(needleAt)
	order := make([]int32, 0, n) // new number → old
	renum := make([]int32, n)    // old → new
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		for _, e := range kids[order[i]] {
			renum[e.target] = int32(len(order))
			order = append(order, e.target)
		}
	}
	a.needle = make([]int32, n)
	a.fail = make([]int32, n)
	a.dict = make([]int32, n)
	childOf := func(s int32, b byte) (int32, bool) { // in new numbers
		t, ok := children[key(order[s])<<8|key(b)]
		return renum[t], ok
	}
	for s := int32(0); s < int32(n); s++ {
		a.needle[s] = needleAt[order[s]]
	}
	a.dict[0] = -1
	for s := int32(0); s < int32(n); s++ {
		for _, e := range kids[order[s]] {
			t := renum[e.target]
			f := int32(0)
			if s != 0 {
				f = a.fail[s]
				for {
					if c, ok := childOf(f, e.b); ok {
						f = c
						break
					}
					if f == 0 {
						break
					}
					f = a.fail[f]
				}
			}
			a.fail[t] = f
			if a.needle[f] >= 0 {
				a.dict[t] = f
			} else {
				a.dict[t] = a.dict[f]
			}
		}
	}
	hasOut := func(t int32) bool { return a.needle[t] >= 0 || a.dict[t] >= 0 }
	mark := func(t int32) int32 {
		if hasOut(t) {
			return ^t
		}
		return t
	}

	// Dense rows for the first states, as many as the budget allows.
	nc := int(a.nclass)
	a.dense = int32(min(n, max(1, denseEntries/nc)))
	a.next = make([]int32, int(a.dense)*nc)
	var byClass [256][]byte // bytes of each class
	for c := 0; c < 256; c++ {
		byClass[a.class[c]] = append(byClass[a.class[c]], byte(c))
	}
	for s := int32(0); s < a.dense; s++ {
		for c := 0; c < nc; c++ {
			var t int32
			if kid, ok := childOf(s, byClass[c][0]); ok {
				t = kid
			} else if s != 0 {
				t = a.next[int(a.fail[s])*nc+c] // the failure state is shallower: its row is done
				if t < 0 {
					t = ^t
				}
			}
			a.next[int(s)*nc+c] = mark(t)
		}
	}
	// Edges of the sparse states.
	a.edgeAt = make([]int32, 0, n-int(a.dense)+1)
	for s := a.dense; s < int32(n); s++ {
		a.edgeAt = append(a.edgeAt, int32(len(a.edges)))
		for _, e := range kids[order[s]] {
			a.edges = append(a.edges, edge{e.b, mark(renum[e.target])})
		}
	}
	a.edgeAt = append(a.edgeAt, int32(len(a.edges)))
	return a
}

// scan runs s through the automaton and calls hit for every occurrence of
// every needle, with the needle and the offset just past its end.
func (a *automaton) scan(s string, hit func(needle int32, end int)) {
	nc := a.nclass
	next, dense := a.next, a.dense
	st := int32(0)
	for i := 0; i < len(s); i++ {
		b := s[i]
		var t int32
		for {
			if st < dense {
				t = next[st*nc+int32(a.class[b])]
				break
			}
			found := false
			k := st - dense
			for _, e := range a.edges[a.edgeAt[k]:a.edgeAt[k+1]] {
				if e.b == b {
					t, found = e.target, true
					break
				}
			}
			if found {
				break
			}
			st = a.fail[st]
		}
		if t >= 0 {
			st = t
			continue
		}
		st = ^t
		o := st
		if a.needle[o] < 0 {
			o = a.dict[o]
		}
		for ; o >= 0; o = a.dict[o] {
			hit(a.needle[o], i+1)
		}
	}
}

// states returns the number of states.
func (a *automaton) states() int { return len(a.needle) }
