package authn

import (
	"slices"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
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
	Marks []mark `json:"marks,omitempty"`
}

// add counts m, forgets the marks older than window before the newest one,
// and returns the attempts counted in the window, capped as described
// above.
func (t *tally) add(m mark, window time.Duration, threshold int) int {
	t.Marks = append(t.Marks, m)
	newest := m.At
	for _, x := range t.Marks {
		if x.At.After(newest) {
			newest = x.At
		}
	}
	cutoff := newest.Add(-window)
	t.Marks = slices.DeleteFunc(t.Marks, func(x mark) bool { return !x.At.After(cutoff) })
	sum := t.sum()
	for len(t.Marks) > 1 && sum-t.Marks[0].N >= threshold {
		sum -= t.Marks[0].N
		t.Marks = t.Marks[1:]
	}
	return sum
}

func (t *tally) sum() int {
	n := 0
	for _, x := range t.Marks {
		n += x.N
	}
	return n
}

// span returns the time from the oldest mark to the newest.
func (t *tally) span() time.Duration {
	if len(t.Marks) == 0 {
		return 0
	}
	lo, hi := t.Marks[0].At, t.Marks[0].At
	for _, x := range t.Marks[1:] {
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
	for _, x := range t.Marks {
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
	for _, x := range t.Marks {
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

// evidence returns the references of e for a finding.
func evidence(e *behave.Evidence) ([]string, int) {
	return slices.Clone(e.Refs), e.Truncated
}
