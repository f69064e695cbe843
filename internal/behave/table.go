package behave

import (
	"container/list"
	"time"
)

// Table is a bounded map of per-entity state with least-recently-used
// eviction and expiry by event time. Detectors keep their entities in
// tables so that memory stays bounded whatever the input.
type Table[V any] struct {
	max   int
	items map[string]*list.Element
	order *list.List // front: most recently touched
	// Evicted counts the entries dropped to stay within max.
	Evicted int
}

type tableEntry[V any] struct {
	key  string
	seen time.Time
	val  V
}

// NewTable returns a table of at most max entries.
func NewTable[V any](max int) *Table[V] {
	return &Table[V]{max: max, items: map[string]*list.Element{}, order: list.New()}
}

// Get returns the value of key, creating it with fresh when absent, and
// marks it seen at t.
func (t *Table[V]) Get(key string, at time.Time, fresh func() V) V {
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
		t.Evicted++
	}
	return e.val
}

// Peek returns the value of key without touching it.
func (t *Table[V]) Peek(key string) (V, bool) {
	if el, ok := t.items[key]; ok {
		return el.Value.(*tableEntry[V]).val, true
	}
	var zero V
	return zero, false
}

// Expire drops the entries last seen before cutoff.
func (t *Table[V]) Expire(cutoff time.Time) {
	for el := t.order.Back(); el != nil; {
		prev := el.Prev()
		if e := el.Value.(*tableEntry[V]); e.seen.Before(cutoff) {
			t.order.Remove(el)
			delete(t.items, e.key)
		}
		el = prev
	}
}

// Each calls f for every entry, most recently seen first.
func (t *Table[V]) Each(f func(key string, seen time.Time, v V)) {
	for el := t.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*tableEntry[V])
		f(e.key, e.seen, e.val)
	}
}

func (t *Table[V]) Len() int { return t.order.Len() }

// SavedEntry is the snapshot form of one Table entry.
type SavedEntry[V any] struct {
	Key  string    `json:"k"`
	Seen time.Time `json:"t"`
	Val  V         `json:"v"`
}

// Save returns the entries, least recently seen first, for a snapshot.
func (t *Table[V]) Save() []SavedEntry[V] {
	out := make([]SavedEntry[V], 0, t.order.Len())
	for el := t.order.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*tableEntry[V])
		out = append(out, SavedEntry[V]{e.key, e.seen, e.val})
	}
	return out
}

// Load replaces the entries with saved ones.
func (t *Table[V]) Load(saved []SavedEntry[V]) {
	t.items = map[string]*list.Element{}
	t.order.Init()
	for _, s := range saved {
		v := s.Val
		t.Get(s.Key, s.Seen, func() V { return v })
	}
}

// Evidence keeps the most recent references of a finding.
type Evidence struct {
	Refs      []string `json:"refs"`
	Truncated int      `json:"truncated"`
}

// Add appends ref, dropping the oldest beyond max.
func (e *Evidence) Add(ref string, max int) {
	if len(e.Refs) >= max {
		copy(e.Refs, e.Refs[1:])
		e.Refs = e.Refs[:len(e.Refs)-1]
		e.Truncated++
	}
	e.Refs = append(e.Refs, ref)
}
