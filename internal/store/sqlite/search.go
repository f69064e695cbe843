package sqlite

import (
	"cmp"
	"container/heap"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

const eventColumns = "e.id, e.time, e.received, e.source, e.format, e.kind, e.parse_error, e.fields, e.raw"

// Get returns the event with the given ID, or an error wrapping
// store.ErrNotFound.
func (s *Store) Get(ctx context.Context, id event.ID) (*event.Event, error) {
	rows, err := s.readers.QueryContext(ctx, "SELECT "+eventColumns+" FROM events e WHERE e.id = ?", int64(id))
	if err != nil {
		return nil, fmt.Errorf("getting event %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("getting event %d: %w", id, err)
		}
		return nil, fmt.Errorf("getting event %d: %w", id, store.ErrNotFound)
	}
	var nt names
	e, err := scanEvent(rows, &nt)
	if err != nil {
		return nil, fmt.Errorf("getting event %d: %w", id, err)
	}
	return e, nil
}

// Search returns the events matching q, newest first: by time, then by ID.
//
// q.Before is a cursor: pass the ID of the last event of a page to get the
// next page. Search returns the events that come after that event in the
// result order, that is with (Time, ID) below its own; when that event no
// longer exists, Prune has deleted it and every event after it, and the
// page is empty.
//
// The terms index selects candidates (termsQuery) and the query matcher
// checks each one, so the result is exactly the events the matcher
// accepts. What a search costs is the number of candidates it reads:
//   - a query the terms index narrows reads its candidates newest ID
//     first, and stops once no older ID can hold an event newer than the
//     Limit-th match (the zone map says so). user.name:alice reads about
//     Limit of alice's events when events arrive in time order;
//   - a query it cannot narrow (NOT x, a range, a leading wildcard) reads
//     events newest first by the time index until Limit of them match:
//     every event in the time bounds when fewer match.
func (s *Store) Search(ctx context.Context, q store.Query) ([]*event.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	limit = min(limit, store.MaxLimit)
	found, err := s.search(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("searching events: %w", err)
	}
	return found, nil
}

// Count returns how many events match q, ignoring its Limit and Before.
// Unless q matches every event, it reads and matches every candidate.
func (s *Store) Count(ctx context.Context, q store.Query) (int64, error) {
	q.Before = 0
	if isAll(q.Expr) {
		var n int64
		c := newConds("e")
		c.timeBounds(q)
		err := s.readers.QueryRowContext(ctx, "SELECT count(*) FROM events e"+c.where(), c.args...).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("counting events: %w", err)
		}
		return n, nil
	}
	var n int64
	err := s.run(ctx, q, func(*event.Event) bool {
		n++
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("counting events: %w", err)
	}
	return n, nil
}

// search returns the first limit events matching q in result order.
func (s *Store) search(ctx context.Context, q store.Query, limit int) ([]*event.Event, error) {
	if termsQuery(q.Expr) == "" {
		// The candidates come in result order: the first limit matches
		// are the answer.
		var found []*event.Event
		err := s.run(ctx, q, func(e *event.Event) bool {
			found = append(found, e)
			return len(found) < limit
		})
		return found, err
	}
	// The candidates come newest ID first: keep the best limit matches
	// until no older ID can hold a better one.
	top := &topEvents{limit: limit}
	err := s.run(ctx, q, func(e *event.Event) bool {
		top.offer(e)
		return true
	}, top)
	if err != nil {
		return nil, err
	}
	return top.sorted(), nil
}

// run calls yield with each event matching q until yield returns false.
// The events come in result order when the terms index cannot narrow q,
// and in descending ID order otherwise; top, when given, lets run stop the
// second kind early.
func (s *Store) run(ctx context.Context, q store.Query, yield func(*event.Event) bool, top ...*topEvents) error {
	m, err := compile(q.Expr)
	if err != nil {
		return err
	}
	var beforeTime int64
	if q.Before != 0 {
		err := s.readers.QueryRowContext(ctx, "SELECT time FROM events WHERE id = ?", int64(q.Before)).Scan(&beforeTime)
		if errors.Is(err, sql.ErrNoRows) {
			// Prune deletes the oldest events first: every event after
			// the cursor's is gone too.
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the time of event %d (before): %w", q.Before, err)
		}
	}
	c := newConds("e")
	c.timeBounds(q)
	if q.Before != 0 {
		c.add("(e.time < ? OR (e.time = ? AND e.id < ?))", beforeTime, beforeTime, int64(q.Before))
	}

	var stmt string
	tq := termsQuery(q.Expr)
	if tq == "" {
		stmt = "SELECT " + eventColumns + " FROM events e" + c.where() + " ORDER BY e.time DESC, e.id DESC"
	} else {
		from, to := int64(math.MinInt64), int64(math.MaxInt64)
		if !q.From.IsZero() {
			from = timeToNanos(q.From)
		}
		if !q.To.IsZero() {
			to = timeToNanos(q.To)
		}
		if q.Before != 0 && beforeTime < math.MaxInt64 {
			to = min(to, beforeTime+1)
		}
		lo, hi, ok := s.zones.idRange(from, to)
		if !ok {
			return nil
		}
		c.args = append([]any{tq, lo, hi}, c.args...)
		stmt = "SELECT " + eventColumns + " FROM terms t CROSS JOIN events e ON e.id = t.rowid" +
			" WHERE terms MATCH ? AND t.rowid BETWEEN ? AND ?" + strings.Replace(c.where(), " WHERE ", " AND ", 1) +
			" ORDER BY t.rowid DESC"
	}
	rows, err := s.readers.QueryContext(ctx, stmt, c.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var nt names
	block := int64(math.MaxInt64)
	for rows.Next() {
		e, err := scanEvent(rows, &nt)
		if err != nil {
			return err
		}
		if b := int64(e.ID) >> zoneBits; b < block && len(top) > 0 {
			// Every event still to come has an ID in this block or
			// below.
			block = b
			if top[0].full() && top[0].worstTime() >= s.zones.maxTimeBelow((b+1)<<zoneBits) {
				return nil
			}
		}
		if m != nil && !m.Match(e) {
			continue
		}
		if !yield(e) {
			return nil
		}
	}
	return rows.Err()
}

// conds builds a WHERE clause.
type conds struct {
	table string
	parts []string
	args  []any
}

func newConds(table string) *conds { return &conds{table: table} }

func (c *conds) add(sql string, args ...any) {
	c.parts = append(c.parts, sql)
	c.args = append(c.args, args...)
}

// timeBounds adds From <= time < To.
func (c *conds) timeBounds(q store.Query) {
	if !q.From.IsZero() {
		c.add(c.table+".time >= ?", timeToNanos(q.From))
	}
	if !q.To.IsZero() {
		c.add(c.table+".time < ?", timeToNanos(q.To))
	}
}

// where returns " WHERE …", or "" when there are no conditions.
func (c *conds) where() string {
	if len(c.parts) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.parts, " AND ")
}

// topEvents keeps the limit best events in result order (newest time, then
// highest ID) among those offered: a heap whose root is the worst kept.
type topEvents struct {
	limit  int
	events []*event.Event
}

func (t *topEvents) offer(e *event.Event) {
	if len(t.events) < t.limit {
		heap.Push(t, e)
		return
	}
	if resultOrder(e, t.events[0]) < 0 {
		t.events[0] = e
		heap.Fix(t, 0)
	}
}

func (t *topEvents) full() bool { return len(t.events) >= t.limit }

// worstTime returns the time of the worst event kept, as stored.
func (t *topEvents) worstTime() int64 { return timeToNanos(t.events[0].Time) }

// sorted returns the kept events in result order.
func (t *topEvents) sorted() []*event.Event {
	slices.SortFunc(t.events, resultOrder)
	return t.events
}

// resultOrder orders events as Search returns them.
func resultOrder(a, b *event.Event) int {
	if c := cmp.Compare(timeToNanos(b.Time), timeToNanos(a.Time)); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

func (t *topEvents) Len() int           { return len(t.events) }
func (t *topEvents) Less(i, j int) bool { return resultOrder(t.events[i], t.events[j]) > 0 }
func (t *topEvents) Swap(i, j int)      { t.events[i], t.events[j] = t.events[j], t.events[i] }
func (t *topEvents) Push(x any)         { t.events = append(t.events, x.(*event.Event)) }
func (t *topEvents) Pop() any {
	e := t.events[len(t.events)-1]
	t.events = t.events[:len(t.events)-1]
	return e
}

// isAll reports whether e matches every event.
func isAll(e query.Expr) bool {
	if e == nil {
		return true
	}
	_, ok := e.(*query.All)
	return ok
}

// scanEvent reads one row of eventColumns.
func scanEvent(rows *sql.Rows, nt *names) (*event.Event, error) {
	var (
		e            event.Event
		id, t, recv  int64
		source, kind = "", 0
		fields       sql.RawBytes
		raw          []byte
	)
	if err := rows.Scan(&id, &t, &recv, &source, &e.Format, &kind, &e.ParseError, &fields, &raw); err != nil {
		return nil, err
	}
	var err error
	e.Fields, err = decodeFields(fields, nt)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", id, err)
	}
	e.ID = event.ID(id)
	e.Time = nanosToTime(t)
	e.Received = nanosToTime(recv)
	e.Source = event.SourceID(source)
	e.Kind = event.Kind(kind)
	if len(raw) > 0 {
		e.Raw = raw
	}
	return &e, nil
}
