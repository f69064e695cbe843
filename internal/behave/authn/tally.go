package authn

import (
	"encoding/json"
	"slices"
	"time"
)

// mark is one counted record in a tally.
type mark struct {
	At   time.Time `json:"at"`
	N    int       `json:"n"`              // attempts it stands for
	Who  string    `json:"who,omitempty"`  // the other party: the user for a source, the source for an account
	Host string    `json:"host,omitempty"` // host.name of the record
}

// tally counts attempts in a sliding window. It keeps only the marks
// needed to tell whether a threshold is reached: once the marks after the
// oldest sum to the threshold, the oldest is dropped. Its memory is thus
// at most threshold marks, and its sum is exact until the threshold is
// first reached in a window (which is when a finding reads it).
type tally struct {
	// marks[head:] are the live marks, in time order; dropped ones stay
	// before head until more than half the array is dropped, so that a
	// full tally drops and adds a mark without copying the others.
	marks []mark
	head  int
	sum   int // total N of the live marks
}

// live returns the marks in the window, oldest first.
func (t *tally) live() []mark { return t.marks[t.head:] }

// add counts m, forgets the marks older than window before the newest one,
// and returns the attempts counted in the window, capped as described
// above. Marks arrive in time order but for late events, which are
// inserted in place. For an event in order the cost is O(1) amortized:
// sorting, summing and shifting the marks on every call made
// BenchmarkBruteForce/events=windows about twice as slow (4.5 to 6.4
// µs an event against 2.9).
func (t *tally) add(m mark, window time.Duration, threshold int) int {
	i := len(t.marks)
	for i > t.head && t.marks[i-1].At.After(m.At) {
		i--
	}
	t.marks = slices.Insert(t.marks, i, m)
	t.sum += m.N
	cutoff := t.marks[len(t.marks)-1].At.Add(-window)
	for t.head < len(t.marks)-1 && (!t.marks[t.head].At.After(cutoff) || t.sum-t.marks[t.head].N >= threshold) {
		t.sum -= t.marks[t.head].N
		t.marks[t.head] = mark{} // let go of its strings
		t.head++
	}
	if t.head > len(t.marks)-t.head {
		n := copy(t.marks, t.marks[t.head:])
		clear(t.marks[n:])
		t.marks, t.head = t.marks[:n], 0
	}
	return t.sum
}

// MarshalJSON writes the live marks.
func (t tally) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Marks []mark `json:"marks,omitempty"`
	}{t.live()})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (t *tally) UnmarshalJSON(b []byte) error {
	var v struct {
		Marks []mark `json:"marks"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = tally{marks: v.Marks}
	for _, m := range v.Marks {
		t.sum += m.N
	}
	return nil
}

// span returns the time from the oldest mark to the newest.
func (t *tally) span() time.Duration {
	marks := t.live()
	if len(marks) == 0 {
		return 0
	}
	lo, hi := marks[0].At, marks[0].At
	for _, x := range marks[1:] {
		if x.At.Before(lo) {
			lo = x.At
		}
		if x.At.After(hi) {
			hi = x.At
		}
	}
	return hi.Sub(lo)
}

// others returns the distinct Who and Host values of the marks, in order
// of first appearance, at most limit of each, and how many distinct values
// of each there were.
func (t *tally) others(limit int) (who, hosts []string, nWho, nHosts int) {
	seenWho, seenHost := map[string]bool{}, map[string]bool{}
	for _, x := range t.live() {
		if x.Who != "" && !seenWho[x.Who] {
			seenWho[x.Who] = true
			if len(who) < limit {
				who = append(who, x.Who)
			}
		}
		if x.Host != "" && !seenHost[x.Host] {
			seenHost[x.Host] = true
			if len(hosts) < limit {
				hosts = append(hosts, x.Host)
			}
		}
	}
	return who, hosts, len(seenWho), len(seenHost)
}

// onlyWho returns the single Who of every mark, or "" when the marks name
// none or several.
func (t *tally) onlyWho() string {
	only := ""
	for _, x := range t.live() {
		if x.Who == "" || (only != "" && x.Who != only) {
			return ""
		}
		only = x.Who
	}
	return only
}

// maxListed bounds how many users or hosts a finding lists as entities;
// the Why text gives the full count.
const maxListed = 10

// trail keeps the latest evidence references of an entity, at most max,
// in a ring: adding is O(1), where behave.Evidence.Add shifts the whole
// slice (it was an eighth of BenchmarkBruteForce, which adds four
// references per event).
type trail struct {
	Refs []string `json:"refs,omitempty"`
	// Oldest is the index of the oldest reference once the ring is full.
	Oldest int `json:"oldest,omitempty"`
	// Dropped counts the references overwritten.
	Dropped int `json:"dropped,omitempty"`
}

// add keeps ref, overwriting the oldest when max are kept.
func (t *trail) add(ref string, max int) {
	if len(t.Refs) < max {
		t.Refs = append(t.Refs, ref)
		return
	}
	t.Refs[t.Oldest] = ref
	t.Oldest = (t.Oldest + 1) % len(t.Refs)
	t.Dropped++
}

// evidence returns the references, oldest first, and how many were
// dropped: a finding's Evidence and Truncated.
func (t *trail) evidence() ([]string, int) {
	out := make([]string, 0, len(t.Refs))
	out = append(out, t.Refs[t.Oldest:]...)
	out = append(out, t.Refs[:t.Oldest]...)
	return out, t.Dropped
}
