package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// pageSize is the number of events or alerts a page lists.
const pageSize = 100

// searchView is the search page's data.
type searchView struct {
	Query, From, To string
	// Syntax is the query's syntax error, split around its position so
	// that the offending character can be marked.
	Syntax *syntaxView
	// Error is any other problem with the form (a time bound).
	Error  string
	Ran    bool
	Events []*event.Event
	// Next is the "before" cursor of the next page, or 0.
	Next  event.ID
	Total int64
	More  bool // Total is more than the events shown
	Hist  []bucket
	Chart template.HTML // Hist drawn by package chart
}

// syntaxView is a query syntax error for display.
type syntaxView struct {
	Msg               string
	Pos               int
	Before, At, After string
	AtEnd             bool // the fault is the end of the query
}

func newSyntaxView(q string, se *query.SyntaxError) *syntaxView {
	pos := min(max(se.Pos, 0), len(q))
	sv := &syntaxView{Msg: se.Msg, Pos: pos, Before: q[:pos]}
	if pos == len(q) {
		sv.AtEnd = true
		return sv
	}
	_, n := utf8.DecodeRuneInString(q[pos:])
	sv.At, sv.After = q[pos:pos+n], q[pos+n:]
	return sv
}

// bucket is one bar of a histogram.
type bucket struct {
	From, To time.Time
	Count    int64
	Max      int64 // the largest count of the histogram, for <meter>
}

func (s *server) search(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := &searchView{Query: q.Get("q"), From: q.Get("from"), To: q.Get("to")}
	if d.From == "" && d.To == "" && !q.Has("q") {
		d.From = "24h"
	}
	st, err := s.searchQuery(d, q.Get("before"))
	if err == nil && st != nil {
		d.Ran = true
		ctx := r.Context()
		if d.Events, err = s.cfg.Store.Search(ctx, *st); err != nil {
			return fmt.Errorf("searching events: %w", err)
		}
		if len(d.Events) == pageSize {
			d.Next = d.Events[len(d.Events)-1].ID
		}
		if d.Total, err = s.cfg.Store.Count(ctx, *st); err != nil {
			return fmt.Errorf("counting events: %w", err)
		}
		d.More = d.Total > int64(len(d.Events))
		if d.Hist, err = s.histogram(ctx, st.Expr, st.From, st.To, d.Events); err != nil {
			return err
		}
		if len(d.Hist) > 0 {
			d.Chart = histogramSVG("Matching events over time", d.Hist)
		}
	} else if err != nil {
		return err
	}
	status := http.StatusOK
	if d.Syntax != nil || d.Error != "" {
		status = http.StatusBadRequest
	}
	v.Title, v.Nav, v.Data = "Search", "search", d
	s.render(w, status, "search", v)
	return nil
}

// searchQuery reads the search form into a store query; a refused form
// sets d.Syntax or d.Error and returns nil.
func (s *server) searchQuery(d *searchView, before string) (*store.Query, error) {
	if len(d.Query) > maxQuery {
		d.Error = fmt.Sprintf("The query is over %d characters.", maxQuery)
		return nil, nil
	}
	expr, err := query.Parse(d.Query)
	if err != nil {
		var se *query.SyntaxError
		if errors.As(err, &se) {
			d.Syntax = newSyntaxView(d.Query, se)
			return nil, nil
		}
		return nil, fmt.Errorf("parsing query: %w", err)
	}
	st := &store.Query{Expr: expr, Limit: pageSize}
	now := s.cfg.Now()
	if st.From, err = api.ParseTime(d.From, now); err != nil {
		d.Error = "From: " + err.Error()
		return nil, nil
	}
	if st.To, err = api.ParseTime(d.To, now); err != nil {
		d.Error = "To: " + err.Error()
		return nil, nil
	}
	if before != "" {
		n, err := strconv.ParseInt(before, 10, 64)
		if err != nil || n <= 0 {
			d.Error = fmt.Sprintf("The page cursor %q is not an event id.", before)
			return nil, nil
		}
		st.Before = event.ID(n)
	}
	return st, nil
}

// histBuckets is the number of bars of a histogram.
const histBuckets = 24

// histogram counts the matching events in histBuckets equal spans from
// from to to; an open bound is taken from the events shown (or now).
func (s *server) histogram(ctx context.Context, expr query.Expr, from, to time.Time, shown []*event.Event) ([]bucket, error) {
	if to.IsZero() {
		to = s.cfg.Now()
	}
	if from.IsZero() {
		if len(shown) == 0 {
			return nil, nil
		}
		from = shown[len(shown)-1].Time
		for _, e := range shown {
			from = minTime(from, e.Time)
		}
	}
	return s.countBuckets(ctx, expr, from, to, histBuckets)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// countBuckets counts the events of expr in n equal spans of [from, to).
func (s *server) countBuckets(ctx context.Context, expr query.Expr, from, to time.Time, n int) ([]bucket, error) {
	if !to.After(from) {
		to = from.Add(time.Minute)
	}
	step := to.Sub(from) / time.Duration(n)
	if step < time.Second {
		step = time.Second
	}
	out := make([]bucket, 0, n)
	var top int64
	for t := from; t.Before(to) && len(out) < n; t = t.Add(step) {
		end := t.Add(step)
		if len(out) == n-1 || end.After(to) {
			end = to
		}
		c, err := s.cfg.Store.Count(ctx, store.Query{Expr: expr, From: t, To: end})
		if err != nil {
			return nil, fmt.Errorf("counting events for the histogram: %w", err)
		}
		top = max(top, c)
		out = append(out, bucket{From: t, To: end, Count: c})
	}
	for i := range out {
		out[i].Max = max(top, 1)
	}
	return out, nil
}

// eventView is the single event page's data.
type eventView struct {
	Event *event.Event
	Raw   string
}

func (s *server) eventPage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return notFound("There is no event %q: event ids are positive numbers.", r.PathValue("id"))
	}
	ev, err := s.cfg.Store.Get(r.Context(), event.ID(id))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("There is no event %d (retention may have removed it).", id)
	}
	if err != nil {
		return fmt.Errorf("reading event %d: %w", id, err)
	}
	return s.show(w, "event", fmt.Sprintf("Event %d", id), "search", v, &eventView{Event: ev, Raw: rawText(ev.Raw)})
}

// maxRaw bounds the raw bytes shown on a page.
const maxRaw = 64 << 10

// rawText shows raw bytes as text, invalid UTF-8 replaced, bounded.
func rawText(b []byte) string {
	cut := ""
	if len(b) > maxRaw {
		b, cut = b[:maxRaw], fmt.Sprintf("\n… (%d more bytes)", len(b)-maxRaw)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD") + cut
}
