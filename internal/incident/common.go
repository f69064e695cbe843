package incident

import (
	"maps"
	"slices"
	"time"
)

// usage is what the hub cut-off (Grouping.CommonAfter) knows of one
// entity value.
type usage struct {
	// Partners are the values met in the same alerts, with when last.
	// At most maxPartners are kept; the stalest goes first.
	Partners map[string]time.Time `json:"partners"`
	// Novel are the times of the alerts that brought a partner not met
	// before, the most recent limit+1 of them.
	Novel []time.Time `json:"novel"`
	Last  time.Time   `json:"last"`
}

// tracker measures, per entity value, how often alerts bring it new
// partners. It is not safe for concurrent use; the Manager's lock guards
// it.
type tracker struct {
	limit   int           // CommonAfter; < 0 turns the cut-off off
	window  time.Duration // Grouping.Window
	maxKeys int           // values tracked at most
	Values  map[string]*usage
}

func newTracker(limit int, window time.Duration, maxKeys int) *tracker {
	return &tracker{limit: limit, window: window, maxKeys: maxKeys, Values: map[string]*usage{}}
}

// maxPartners is how many partners are remembered per value.
func (t *tracker) maxPartners() int { return max(4*t.limit, 64) }

// observe records an alert at time at naming keys, and returns the keys
// that are common (hubs) at that time, this alert included.
func (t *tracker) observe(keys []string, at time.Time) map[string]bool {
	if t.limit < 0 {
		return nil
	}
	common := map[string]bool{}
	for _, k := range keys {
		u := t.Values[k]
		if u == nil {
			u = &usage{Partners: map[string]time.Time{}}
			t.Values[k] = u
		}
		novel := false
		for _, p := range keys {
			if p == k {
				continue
			}
			if _, ok := u.Partners[p]; !ok {
				novel = true
				if len(u.Partners) >= t.maxPartners() {
					delete(u.Partners, stalest(u.Partners))
				}
			}
			if at.After(u.Partners[p]) {
				u.Partners[p] = at
			}
		}
		if novel {
			u.Novel = append(u.Novel, at)
			slices.SortFunc(u.Novel, time.Time.Compare)
			if len(u.Novel) > t.limit+1 {
				u.Novel = slices.Delete(u.Novel, 0, len(u.Novel)-t.limit-1)
			}
		}
		if at.After(u.Last) {
			u.Last = at
		}
		if t.isCommon(u, at) {
			common[k] = true
		}
	}
	t.evict()
	return common
}

// isCommon reports whether more than limit novel alerts lie within the
// window of at.
func (t *tracker) isCommon(u *usage, at time.Time) bool {
	n := 0
	for _, n2 := range u.Novel {
		if d := n2.Sub(at); d <= t.window && d >= -t.window {
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
