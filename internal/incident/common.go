package incident

import (
	"maps"
	"slices"
	"time"
)

// usage is what the hub cut-off (Grouping.CommonAfter) knows of one
// entity value, or of one rule and value.
type usage struct {
	// Partners are the values met in the same alerts, with when last.
	// At most maxPartners are kept; the stalest goes first.
	Partners map[string]time.Time `json:"partners"`
	Last     time.Time            `json:"last"`
}

// tracker counts, per entity value, the distinct values it is met with in
// alerts. It is not safe for concurrent use; the Manager's lock guards it.
type tracker struct {
	limit   int           // CommonAfter; < 0 turns the cut-off off
	window  time.Duration // Grouping.Window
	maxKeys int           // values tracked at most
	Values  map[string]*usage
}

func newTracker(limit int, window time.Duration, maxKeys int) *tracker {
	return &tracker{limit: limit, window: window, maxKeys: maxKeys, Values: map[string]*usage{}}
}

// maxPartners is how many partners are remembered per value: enough to
// tell that more than limit lie within the window.
func (t *tracker) maxPartners() int { return max(2*t.limit+2, 16) }

// observe records that subject was met with partners in an alert at time
// at, and reports whether subject is common then: met with more than
// limit distinct partners within the window of at, this alert included.
func (t *tracker) observe(subject string, partners []string, at time.Time) bool {
	if t.limit < 0 {
		return false
	}
	u := t.Values[subject]
	if u == nil {
		u = &usage{Partners: map[string]time.Time{}}
		t.Values[subject] = u
		t.evict()
	}
	for _, p := range partners {
		if p == subject {
			continue
		}
		last, ok := u.Partners[p]
		if !ok && len(u.Partners) >= t.maxPartners() {
			delete(u.Partners, stalest(u.Partners))
		}
		if !ok || at.After(last) {
			u.Partners[p] = at
		}
	}
	if at.After(u.Last) {
		u.Last = at
	}
	return t.common(subject, at)
}

// common reports whether subject is common at time at, as observe
// would, without recording anything.
func (t *tracker) common(subject string, at time.Time) bool {
	u := t.Values[subject]
	if t.limit < 0 || u == nil {
		return false
	}
	n := 0
	for _, seen := range u.Partners {
		if d := seen.Sub(at); d <= t.window && d >= -t.window {
			n++
		}
	}
	return n > t.limit
}

// evict forgets the least recently seen tenth of the values when there
// are more than maxKeys.
func (t *tracker) evict() {
	if len(t.Values) <= t.maxKeys {
		return
	}
	keys := slices.Collect(maps.Keys(t.Values))
	slices.SortFunc(keys, func(a, b string) int { return t.Values[a].Last.Compare(t.Values[b].Last) })
	for _, k := range keys[:len(keys)-t.maxKeys*9/10] {
		delete(t.Values, k)
	}
}

func stalest(m map[string]time.Time) string {
	var key string
	var at time.Time
	for k, v := range m {
		if key == "" || v.Before(at) || (v.Equal(at) && k < key) {
			key, at = k, v
		}
	}
	return key
}

// patternKey names a rule meeting an entity value.
func patternKey(ruleID, key string) string { return "rule\x00" + ruleID + "\x00" + key }
