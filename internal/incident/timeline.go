package incident

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// TimelineFilter narrows an incident's timeline. Zero fields narrow
// nothing.
type TimelineFilter struct {
	From, To time.Time // From <= time < To
	// Query is an analyst's search (internal/query syntax), and-ed with
	// the incident's entities.
	Query string
	// Kinds keeps events of these kinds: "alert", "event",
	// "pipeline_error".
	Kinds []string
	// Limit is the page size: 0 means store.DefaultLimit, at most
	// store.MaxLimit.
	Limit int
	// Before is the ID of the last item of the previous page.
	Before event.ID
}

// TimelineItem is one alert or event of a timeline.
type TimelineItem struct {
	Time time.Time
	ID   event.ID
	Kind string // "alert", "event" or "pipeline_error"
	// InIncident is set for the incident's own alerts; other alerts name
	// its entities too.
	InIncident bool
	Title      string // the alert's rule name, or the event's message
	Event      *event.Event
}

// maxTitle bounds a timeline item's title.
const maxTitle = 200

// Timeline returns the incident's alerts and the stored events naming its
// entities (users, hosts and addresses: the fields the store indexes;
// at most 64 entities, those named by the most alerts), newest first as
// the store returns them, one page at a time: pass the last item's ID as
// f.Before for the next page. An entity known only by a domain or a file
// path is not searched; the alerts naming it are found through their
// other entities.
func Timeline(ctx context.Context, s store.Searcher, inc *Incident, f TimelineFilter) ([]TimelineItem, error) {
	base := incidentExpr(inc)
	if base == nil {
		return nil, nil
	}
	ops := []query.Expr{base}
	if f.Query != "" {
		q, err := query.Parse(f.Query)
		if err != nil {
			return nil, fmt.Errorf("timeline query: %w", err)
		}
		ops = append(ops, q)
	}
	if len(f.Kinds) > 0 {
		var kinds []query.Expr
		for i, k := range f.Kinds {
			if _, err := event.ParseKind(k); err != nil {
				return nil, fmt.Errorf("timeline kinds[%d]: %w", i, err)
			}
			kinds = append(kinds, &query.Term{Field: "event.kind", Value: k})
		}
		ops = append(ops, &query.Or{Operands: kinds})
	}
	events, err := s.Search(ctx, store.Query{Expr: &query.And{Operands: ops}, From: f.From, To: f.To, Limit: f.Limit, Before: f.Before})
	if err != nil {
		return nil, fmt.Errorf("timeline of incident %d: %w", inc.ID, err)
	}
	own := make(map[event.ID]bool, len(inc.Alerts))
	for _, a := range inc.Alerts {
		own[a.ID] = true
	}
	items := make([]TimelineItem, 0, len(events))
	for _, ev := range events {
		it := TimelineItem{Time: ev.Time, ID: ev.ID, Kind: ev.Kind.String(), InIncident: own[ev.ID], Event: ev}
		if ev.Kind == event.KindAlert {
			it.Title, _ = ev.Get("rule.name")
		}
		if it.Title == "" {
			it.Title = ev.Message()
		}
		it.Title = truncate(it.Title, maxTitle)
		items = append(items, it)
	}
	return items, nil
}
