package incident

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// Bounds of EntityView.
const (
	maxViewDays   = 366  // days counted, the most recent
	viewSample    = 1000 // recent events the usual values are taken from
	maxViewAlerts = 1000 // alerts listed
	usualTop      = 5    // usual values listed per field
)

// EntityInfo is what Vigie knows of one entity value.
type EntityInfo struct {
	Field string `json:"field"`
	Value string `json:"value"` // normalised
	// First and Last are the times of the oldest and newest stored events
	// naming it; Events counts them.
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Events int64     `json:"events"`
	// PerDay counts the events per UTC day, from the first day to the
	// last (at most the last 366 days), and MedianPerDay is its median,
	// days without events included: the entity's baseline.
	PerDay       []DayCount `json:"per_day"`
	MedianPerDay float64    `json:"median_per_day"`
	// Usual are the most frequent values of a few fields among the most
	// recent events (Sample of them): where the entity usually comes from.
	Usual  map[string][]ValueCount `json:"usual"`
	Sample int                     `json:"sample"`
	// Alerts are the stored alerts naming it, newest first (at most
	// 1000); AlertCount counts them all.
	Alerts     []*event.Event `json:"-"`
	AlertCount int64          `json:"alert_count"`
	// Incidents are the incidents naming it, newest first.
	Incidents []Summary `json:"incidents"`
}

// DayCount is the number of events of one UTC day.
type DayCount struct {
	Day   string `json:"day"` // 2026-11-27
	Count int64  `json:"count"`
}

// ValueCount is a value and how many events had it.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Summary is an incident in a list.
type Summary struct {
	ID       int64     `json:"id"`
	Title    string    `json:"title"`
	Status   Status    `json:"status"`
	Severity string    `json:"severity"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Alerts   int       `json:"alerts"`
}

// usualFields are the fields whose usual values EntityView reports.
var usualFields = []string{event.SourceIP, event.HostName, event.UserName, "source.geo.country_iso_code", "source.geo.country_name"}

// EntityView gathers what the store and the Manager know of one entity
// value (user.name, host.name, source.ip or destination.ip; an address
// is searched in both address fields). The store is searched for the
// value's spellings that grouping compares equal: those the Manager's
// incidents met (CORP\alice for alice), a user's value@…, a host's
// fully qualified names. m may be nil: no incident is listed then.
func EntityView(ctx context.Context, s store.Searcher, m *Manager, field, value string) (*EntityInfo, error) {
	var spellings []string
	if m != nil {
		spellings = m.spellings(field, value)
	}
	expr := EntityExpr(field, value, spellings...)
	if expr == nil {
		return nil, fmt.Errorf("entity %s: %w: the store is searched by %v only", field, ErrInput, event.EntityFields())
	}
	info := &EntityInfo{Field: field, Value: Normalize(field, value), Usual: map[string][]ValueCount{}}
	n, err := s.Count(ctx, store.Query{Expr: expr})
	if err != nil {
		return nil, fmt.Errorf("counting events of %s %s: %w", field, value, err)
	}
	info.Events = n
	if n > 0 {
		recent, err := s.Search(ctx, store.Query{Expr: expr, Limit: viewSample})
		if err != nil {
			return nil, fmt.Errorf("searching events of %s %s: %w", field, value, err)
		}
		info.Last, info.Sample = recent[0].Time, len(recent)
		info.Usual = usual(recent)
		if info.First, err = firstSeen(ctx, s, expr, info.Last); err != nil {
			return nil, fmt.Errorf("first event of %s %s: %w", field, value, err)
		}
		if info.PerDay, err = perDay(ctx, s, expr, info.First, info.Last); err != nil {
			return nil, fmt.Errorf("events per day of %s %s: %w", field, value, err)
		}
		info.MedianPerDay = median(info.PerDay)
	}
	alerts := &query.And{Operands: []query.Expr{expr, &query.Term{Field: "event.kind", Value: "alert"}}}
	if info.AlertCount, err = s.Count(ctx, store.Query{Expr: alerts}); err != nil {
		return nil, fmt.Errorf("counting alerts of %s %s: %w", field, value, err)
	}
	if info.AlertCount > 0 {
		if info.Alerts, err = s.Search(ctx, store.Query{Expr: alerts, Limit: maxViewAlerts}); err != nil {
			return nil, fmt.Errorf("searching alerts of %s %s: %w", field, value, err)
		}
	}
	if m != nil {
		for _, inc := range m.List(Filter{Field: field, Value: value}) {
			info.Incidents = append(info.Incidents, summarize(inc))
		}
	}
	return info, nil
}

func summarize(inc *Incident) Summary {
	return Summary{ID: inc.ID, Title: inc.Title, Status: inc.Status, Severity: inc.EffectiveSeverity(),
		First: inc.First, Last: inc.Last, Alerts: len(inc.Alerts)}
}

// firstSeen finds the time of the oldest event matching expr, given the
// newest, by counting: it widens a window back from last until no event
// lies before it, then halves it until few enough events remain to read.
func firstSeen(ctx context.Context, s store.Searcher, expr query.Expr, last time.Time) (time.Time, error) {
	before := func(t time.Time) (bool, error) {
		n, err := s.Count(ctx, store.Query{Expr: expr, To: t})
		return n > 0, err
	}
	hi := last.Add(time.Nanosecond) // an event lies before hi
	span := 24 * time.Hour
	lo := last.Add(-span)
	for {
		found, err := before(lo)
		if err != nil {
			return time.Time{}, err
		}
		if !found {
			break // no event before lo
		}
		hi = lo
		if span > 200*365*24*time.Hour {
			return time.Time{}, fmt.Errorf("events older than %s", lo.Format(time.RFC3339))
		}
		span *= 2
		lo = last.Add(-span)
	}
	for hi.Sub(lo) > time.Nanosecond {
		n, err := s.Count(ctx, store.Query{Expr: expr, From: lo, To: hi})
		if err != nil {
			return time.Time{}, err
		}
		if n <= store.MaxLimit {
			break
		}
		mid := lo.Add(hi.Sub(lo) / 2)
		found, err := before(mid)
		if err != nil {
			return time.Time{}, err
		}
		if found {
			hi = mid
		} else {
			lo = mid
		}
	}
	evs, err := s.Search(ctx, store.Query{Expr: expr, From: lo, To: hi, Limit: store.MaxLimit})
	if err != nil || len(evs) == 0 {
		return last, err
	}
	return evs[len(evs)-1].Time, nil
}

// perDay counts events per UTC day from first to last, the last
// maxViewDays days at most.
func perDay(ctx context.Context, s store.Searcher, expr query.Expr, first, last time.Time) ([]DayCount, error) {
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	end := day(last)
	start := day(first)
	if start.Before(end.AddDate(0, 0, -(maxViewDays - 1))) {
		start = end.AddDate(0, 0, -(maxViewDays - 1))
	}
	var out []DayCount
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		n, err := s.Count(ctx, store.Query{Expr: expr, From: d, To: d.AddDate(0, 0, 1)})
		if err != nil {
			return nil, err
		}
		out = append(out, DayCount{Day: d.Format(time.DateOnly), Count: n})
	}
	return out, nil
}

func median(days []DayCount) float64 {
	if len(days) == 0 {
		return 0
	}
	c := make([]int64, len(days))
	for i, d := range days {
		c[i] = d.Count
	}
	slices.Sort(c)
	if len(c)%2 == 1 {
		return float64(c[len(c)/2])
	}
	return float64(c[len(c)/2-1]+c[len(c)/2]) / 2
}

// usual returns the most frequent values of usualFields among events.
func usual(events []*event.Event) map[string][]ValueCount {
	out := map[string][]ValueCount{}
	for _, f := range usualFields {
		counts := map[string]int{}
		for _, ev := range events {
			for _, v := range ev.Values(f) {
				counts[v.Value]++
			}
		}
		if len(counts) == 0 {
			continue
		}
		var vc []ValueCount
		for v, n := range counts {
			vc = append(vc, ValueCount{Value: v, Count: n})
		}
		slices.SortFunc(vc, func(a, b ValueCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
		})
		out[f] = vc[:min(len(vc), usualTop)]
	}
	return out
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
