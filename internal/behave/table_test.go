package behave

import (
	"testing"
	"time"
)

func TestTableBoundAndExpiry(t *testing.T) {
	tb := NewTable[*int](2)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	fresh := func() *int { n++; v := n; return &v }
	a := tb.Get("a", t0, fresh)
	tb.Get("b", t0.Add(time.Minute), fresh)
	if tb.Get("a", t0.Add(2*time.Minute), fresh) != a {
		t.Fatal("get did not return the existing entry")
	}
	tb.Get("c", t0.Add(3*time.Minute), fresh) // evicts b, the least recently seen
	if _, ok := tb.Peek("b"); ok || tb.Evicted != 1 || tb.Len() != 2 {
		t.Fatalf("after a third entry: b present %v, evicted %d, len %d; want b evicted", ok, tb.Evicted, tb.Len())
	}
	tb.Expire(t0.Add(150 * time.Second)) // a seen at 2m, c at 3m
	if _, ok := tb.Peek("a"); ok || tb.Len() != 1 {
		t.Fatalf("expire kept a (seen before the cutoff); len %d", tb.Len())
	}
	saved := tb.Save()
	tb2 := NewTable[*int](2)
	tb2.Load(saved)
	if v, ok := tb2.Peek("c"); !ok || *v != 3 {
		t.Fatalf("load lost c: %v %v", v, ok)
	}
}

func TestEvidenceBound(t *testing.T) {
	var e Evidence
	for _, r := range []string{"1", "2", "3", "4"} {
		e.Add(r, 3)
	}
	if len(e.Refs) != 3 || e.Refs[0] != "2" || e.Truncated != 1 {
		t.Fatalf("evidence = %+v, want the last 3 and 1 truncated", e)
	}
}
