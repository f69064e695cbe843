package match

// automaton is an Aho-Corasick automaton over bytes, compiled to a DFA:
// one table lookup per input byte, whatever the number of needles.
//
// Bytes that occur in no needle share one class, so a row of the
// transition table has one entry per distinct needle byte plus one, not
// 256. An entry holds the next state, complemented (negative) when that
// state ends at least one needle, so the scan loop tests for output with
// the value it already loaded.
type automaton struct {
	class   [256]uint8
	nclass  int32
	next    []int32 // state*nclass + class → state, ^state when it has output
	needle  []int32 // per state: the needle ending exactly here, or -1
	dict    []int32 // per state: the longest proper suffix state that ends a needle, or -1
	lengths []int32 // per needle: its length in bytes
}

// buildAutomaton compiles needles (non-empty, distinct) into an automaton.
// Needle i is reported as i.
func buildAutomaton(needles []string) *automaton {
	a := &automaton{}
	var used [256]bool
	for _, n := range needles {
		for i := 0; i < len(n); i++ {
			used[n[i]] = true
		}
	}
	count := 0
	for c := 0; c < 256; c++ {
		if used[c] {
			count++
		}
	}
	if count == 256 {
		// No byte is left for the shared class.
		a.nclass = 256
		for c := 0; c < 256; c++ {
			a.class[c] = uint8(c)
		}
	} else {
		a.nclass = 1 // class 0: bytes in no needle
		for c := 0; c < 256; c++ {
			if used[c] {
				a.class[c] = uint8(a.nclass)
				a.nclass++
			}
		}
	}
	nc := int(a.nclass)

	// The trie, with the goto function stored straight into the table;
	// -1 means no edge yet.
	newState := func() int32 {
		s := int32(len(a.needle))
		a.needle = append(a.needle, -1)
		a.dict = append(a.dict, -1)
		for i := 0; i < nc; i++ {
			a.next = append(a.next, -1)
		}
		return s
	}
	newState()
	a.lengths = make([]int32, len(needles))
	for id, n := range needles {
		s := int32(0)
		for i := 0; i < len(n); i++ {
			k := int(s)*nc + int(a.class[n[i]])
			if a.next[k] < 0 {
				t := newState()
				a.next[k] = t
			}
			s = a.next[k]
		}
		a.needle[s] = int32(id)
		a.lengths[id] = int32(len(n))
	}

	// Breadth-first: failure links, dictionary links and the missing
	// transitions (taken from the failure state, already complete).
	fail := make([]int32, len(a.needle))
	queue := make([]int32, 0, len(a.needle))
	for c := 0; c < nc; c++ {
		if t := a.next[c]; t > 0 {
			fail[t] = 0
			queue = append(queue, t)
		} else {
			a.next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		if a.needle[f] >= 0 {
			a.dict[s] = f
		} else {
			a.dict[s] = a.dict[f]
		}
		for c := 0; c < nc; c++ {
			k := int(s)*nc + c
			if t := a.next[k]; t >= 0 {
				fail[t] = a.next[int(f)*nc+c]
				queue = append(queue, t)
			} else {
				a.next[k] = a.next[int(f)*nc+c]
			}
		}
	}
	// Mark the entries leading to states with output. Done last: the
	// loop above copies entries from failure states.
	for k, t := range a.next {
		if a.needle[t] >= 0 || a.dict[t] >= 0 {
			a.next[k] = ^t
		}
	}
	return a
}

// scan runs s through the automaton and calls hit for every occurrence of
// every needle, with the needle and the offset just past its end.
func (a *automaton) scan(s string, hit func(needle int32, end int)) {
	nc := a.nclass
	next := a.next
	st := int32(0)
	for i := 0; i < len(s); i++ {
		t := next[st*nc+int32(a.class[s[i]])]
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

// states returns the number of states, for the memory figures in tests.
func (a *automaton) states() int { return len(a.needle) }
