package behave

import (
	"container/list"
	"time"
)

// table is a bounded map of per-entity state with least-recently-used
// eviction and expiry by event time. Detectors keep their entities in
// tables so that memory stays bounded whatever the input.
type table[V any] struct {
	max     int
	items   map[string]*list.Element
	order   *list.List // front: most recently touched
	evicted int
}

type tableEntry[V any] struct {
	key  string
	seen time.Time
	val  V
}

func newTable[V any](max int) *table[V] {
	return &table[V]{max: max, items: map[string]*list.Element{}, order: list.New()}
}

// get returns the value of key, creating it with fresh when absent, and
// marks it seen at t.
func (t *table[V]) get(key string, at time.Time, fresh func() V) V {
	if el, ok := t.items[key]; ok {
		e := el.Value.(*tableEntry[V])
		if at.After(e.seen) {
			e.seen = at
		}
		t.order.MoveToFront(el)
		return e.val
	}
	e := &tableEntry[V]{key: key, seen: at, val: fresh()}
	t.items[key] = t.order.PushFront(e)
	for t.order.Len() > t.max {
		last := t.order.Back()
		t.order.Remove(last)
		delete(t.items, last.Value.(*tableEntry[V]).key)
		t.evicted++
	}
	return e.val
}

// peek returns the value of key without touching it.
func (t *table[V]) peek(key string) (V, bool) {
	if el, ok := t.items[key]; ok {
		return el.Value.(*tableEntry[V]).val, true
	}
	var zero V
	return zero, false
}

// expire drops the entries last seen before cutoff.
func (t *table[V]) expire(cutoff time.Time) {
	for el := t.order.Back(); el != nil; {
		prev := el.Prev()
		if e := el.Value.(*tableEntry[V]); e.seen.Before(cutoff) {
			t.order.Remove(el)
			delete(t.items, e.key)
		}
		el = prev
	}
}

// each calls f for every entry, most recently seen first.
func (t *table[V]) each(f func(key string, seen time.Time, v V)) {
	for el := t.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*tableEntry[V])
		f(e.key, e.seen, e.val)
	}
}

func (t *table[V]) len() int { return t.order.Len() }

// savedEntry is the snapshot form of one table entry.
type savedEntry[V any] struct {
	Key  string    `json:"k"`
	Seen time.Time `json:"t"`
	Val  V         `json:"v"`
}

// save returns the entries, least recently seen first, for a snapshot.
func (t *table[V]) save() []savedEntry[V] {
	out := make([]savedEntry[V], 0, t.order.Len())
	for el := t.order.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*tableEntry[V])
		out = append(out, savedEntry[V]{e.key, e.seen, e.val})
	}
	return out
}

// load replaces the entries with saved ones.
func (t *table[V]) load(saved []savedEntry[V]) {
	t.items = map[string]*list.Element{}
	t.order.Init()
	for _, s := range saved {
		v := s.Val
		t.get(s.Key, s.Seen, func() V { return v })
	}
}

// evidence keeps the most recent references of a finding.
type evidence struct {
	Refs      []string `json:"refs"`
	Truncated int      `json:"truncated"`
}

// add appends ref, dropping the oldest beyond max.
func (e *evidence) add(ref string, max int) {
	if len(e.Refs) >= max {
		copy(e.Refs, e.Refs[1:])
		e.Refs = e.Refs[:len(e.Refs)-1]
		e.Truncated++
	}
	e.Refs = append(e.Refs, ref)
}
