package notify

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The collector, driven with explicit times: the rate limit holds back the
// notifications over it and folds them into the next one; held-back
// changes go out on their own when the limit allows and nothing else came.
func TestRateLimitFolds(t *testing.T) {
	tg := &target{name: "t", queue: make(chan Message, 1)}
	c := newCollector(time.Second, 2, tg)
	t0 := time.Now()
	msg := func(key string) Message {
		return normalize(Message{Kind: KindAlert, Key: key, Title: key, Level: "low"}, t0)
	}
	for i := range 5 {
		c.add(msg(fmt.Sprintf("rule/%d", i)), t0)
	}
	c.add(msg("rule/4"), t0) // a second change of rule/4
	c.flush(t0.Add(999 * time.Millisecond))
	if len(c.ready) != 0 {
		t.Fatalf("%d ready before GroupWait", len(c.ready))
	}
	c.flush(t0.Add(time.Second))
	if len(c.ready) != 2 || c.ready[0].Key != "rule/0" || c.ready[1].Key != "rule/1" {
		t.Fatalf("ready %v, want rule/0 and rule/1", keysOf(c.ready))
	}
	if c.carry == nil || c.carry.Key != "rule/2" || c.carry.Folded != 3 || strings.Join(c.carry.FoldedKeys, ",") != "rule/3,rule/4" {
		t.Fatalf("carry %+v, want rule/2 folding 3 changes of rule/3 and rule/4", c.carry)
	}
	if at := c.nextWake(t0.Add(time.Second)); !at.Equal(t0.Add(time.Second + time.Minute)) {
		t.Errorf("next wake %s after t0, want 1m1s", at.Sub(t0))
	}
	c.ready = nil // the sender took them

	// Within the minute, a new group is held back too.
	c.add(msg("rule/5"), t0.Add(30*time.Second))
	c.flush(t0.Add(31 * time.Second))
	if len(c.ready) != 0 || c.carry.Folded != 4 {
		t.Fatalf("ready %v, carry folded %d; want nothing ready, 4 folded", keysOf(c.ready), c.carry.Folded)
	}

	// A minute after the first sends, the next group carries the rest.
	c.add(msg("rule/6"), t0.Add(60*time.Second))
	c.flush(t0.Add(61 * time.Second))
	if len(c.ready) != 1 || c.carry != nil {
		t.Fatalf("ready %v, carry %v; want rule/6 alone, carrying the rest", keysOf(c.ready), c.carry)
	}
	n := c.ready[0]
	if n.Key != "rule/6" || n.Changes != 1 || n.Folded != 5 || strings.Join(n.FoldedKeys, ",") != "rule/2,rule/3,rule/4,rule/5" {
		t.Errorf("ready %s with %d changes, %d folded from %v; want rule/6, 1, 5 from rule/2 to rule/5",
			n.Key, n.Changes, n.Folded, n.FoldedKeys)
	}
	if !strings.Contains(n.Text(), "5 more changes held back by the rate limit (rule/2, rule/3, rule/4, rule/5).") {
		t.Errorf("text does not report the folded changes:\n%s", n.Text())
	}
	if s := n.Subject(); s != "[Vigie] LOW alert: rule/6 (+5 changes)" {
		t.Errorf("subject %q", s)
	}
	if got := tg.folded.Load(); got != 4 {
		t.Errorf("folded counter %d, want 4 (rule/2, 3, 4, 5)", got)
	}
}

// Held-back changes go out on their own once the limit allows, when no
// other notification comes to carry them.
func TestCarrySentAlone(t *testing.T) {
	tg := &target{name: "t"}
	c := newCollector(time.Second, 1, tg)
	t0 := time.Now()
	c.add(normalize(Message{Kind: KindAlert, Key: "a", Title: "a"}, t0), t0)
	c.add(normalize(Message{Kind: KindAlert, Key: "b", Title: "b"}, t0), t0)
	c.flush(t0.Add(time.Second))
	if len(c.ready) != 1 || c.ready[0].Key != "a" || c.carry == nil || c.carry.Key != "b" {
		t.Fatalf("ready %v carry %v, want a ready and b held", keysOf(c.ready), c.carry)
	}
	c.ready = nil
	c.flush(t0.Add(time.Minute))
	if len(c.ready) != 0 {
		t.Fatalf("ready %v before the minute is over", keysOf(c.ready))
	}
	c.flush(t0.Add(time.Minute + time.Second))
	if len(c.ready) != 1 || c.ready[0].Key != "b" || c.carry != nil {
		t.Fatalf("ready %v carry %v, want b sent on its own", keysOf(c.ready), c.carry)
	}
}

// A group due while the carry waits takes the carry with it.
func TestCarryFoldedIntoNextNotification(t *testing.T) {
	tg := &target{name: "t"}
	c := newCollector(time.Second, 1, tg)
	t0 := time.Now()
	c.add(normalize(Message{Kind: KindAlert, Key: "a", Title: "a"}, t0), t0)
	c.add(normalize(Message{Kind: KindAlert, Key: "b", Title: "b"}, t0), t0)
	c.flush(t0.Add(time.Second))
	c.ready = nil
	c.add(normalize(Message{Kind: KindAlert, Key: "c", Title: "c"}, t0), t0.Add(time.Minute))
	// At 1m1s c is due and the limit allows one: c takes b's change.
	c.flush(t0.Add(time.Minute + time.Second))
	if len(c.ready) != 1 || c.ready[0].Key != "c" || c.ready[0].Folded != 1 || c.ready[0].FoldedKeys[0] != "b" {
		t.Fatalf("ready %+v, want c folding b's change", c.ready)
	}
	if c.carry != nil {
		t.Errorf("carry %+v left over", c.carry)
	}
}

func keysOf(ns []*Notification) []string {
	var keys []string
	for _, n := range ns {
		keys = append(keys, n.Key)
	}
	return keys
}
