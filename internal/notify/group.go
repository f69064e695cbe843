package notify

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
)

// Bounds of one target's collector.
const (
	maxGroups = 1000 // keys grouped at once; messages of further keys are folded
	maxReady  = 8    // notifications waiting for the sender; more are folded
)

// collector groups one target's messages by key, applies the rate limit
// and hands notifications to the target's sender. It is owned by one
// goroutine (run); nothing in it is shared.
type collector struct {
	wait   time.Duration
	rate   int // notifications per minute
	target *target

	groups   map[string]*group
	earliest time.Time       // the earliest deadline in groups; zero when none
	sentAt   []time.Time     // when the notifications of the last minute were readied, oldest first
	ready    []*Notification // due and allowed, waiting for the sender
	// carry is the first notification the rate limit held back, with the
	// others folded into it; it is folded into the next notification, or
	// sent on its own when the limit allows and nothing else came.
	carry *Notification
}

type group struct {
	n        *Notification
	deadline time.Time
}

func newCollector(wait time.Duration, rate int, t *target) *collector {
	return &collector{wait: wait, rate: rate, target: t, groups: map[string]*group{}}
}

// run collects until ctx ends; out is read by the target's sender.
func (c *collector) run(ctx context.Context, out chan<- *Notification) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		c.flush(now)
		var wake <-chan time.Time
		if at := c.nextWake(now); !at.IsZero() {
			timer.Reset(at.Sub(now))
			wake = timer.C
		}
		var send chan<- *Notification
		var next *Notification
		if len(c.ready) > 0 {
			send, next = out, c.ready[0]
		}
		select {
		case <-ctx.Done():
			return
		case m := <-c.target.queue:
			c.add(m, time.Now())
		case <-wake:
		case send <- next:
			c.ready[0] = nil
			c.ready = c.ready[1:]
		}
	}
}

// add puts m in its key's group, opening the group when it is the first.
func (c *collector) add(m Message, now time.Time) {
	change := Change{Time: m.Time, Kind: m.Kind, Level: m.Level, Title: m.Title, Text: m.Text}
	if g := c.groups[m.Key]; g != nil {
		n := g.n
		n.Changes++
		if len(n.Listed) < maxListed {
			n.Listed = append(n.Listed, change)
		}
		if detect.Severity(m.Level) > detect.Severity(n.Level) {
			n.Level = m.Level
		}
		if m.Time.Before(n.First) {
			n.First = m.Time
		}
		if m.Time.After(n.Last) {
			n.Last = m.Time
		}
		if m.URL != "" {
			n.URL = m.URL
		}
		for k, v := range m.Fields {
			if _, ok := n.Fields[k]; !ok && len(n.Fields) < maxFields {
				n.Fields[k] = v
			}
		}
		c.target.grouped.Add(1)
		return
	}
	n := &Notification{Key: m.Key, Kind: m.Kind, Level: m.Level, Title: m.Title, Rule: m.Rule,
		Incident: m.Incident, URL: m.URL, Fields: map[string]string{}, First: m.Time, Last: m.Time,
		Changes: 1, Listed: []Change{change}}
	for k, v := range m.Fields {
		n.Fields[k] = v
	}
	if len(c.groups) >= maxGroups {
		c.hold(n)
		return
	}
	deadline := now.Add(c.wait)
	c.groups[m.Key] = &group{n: n, deadline: deadline}
	if c.earliest.IsZero() || deadline.Before(c.earliest) {
		c.earliest = deadline
	}
}

// flush readies the groups whose deadline has passed, oldest first, and
// the carried notification when the rate limit allows it.
func (c *collector) flush(now time.Time) {
	if !c.earliest.IsZero() && !now.Before(c.earliest) {
		var due []*group
		c.earliest = time.Time{}
		for key, g := range c.groups {
			if now.Before(g.deadline) {
				if c.earliest.IsZero() || g.deadline.Before(c.earliest) {
					c.earliest = g.deadline
				}
				continue
			}
			due = append(due, g)
			delete(c.groups, key)
		}
		sortGroups(due)
		for _, g := range due {
			c.offer(g.n, now)
		}
	}
	if c.carry != nil && c.allowed(now) {
		n := c.carry
		c.carry = nil
		c.readyUp(n, now)
	}
}

// offer readies n, with the carried changes folded in, when the rate limit
// and the sender allow; otherwise it holds n back.
func (c *collector) offer(n *Notification, now time.Time) {
	if !c.allowed(now) {
		c.hold(n)
		return
	}
	if c.carry != nil {
		n.Folded += c.carry.Changes + c.carry.Folded
		n.FoldedKeys = append(n.FoldedKeys, c.carry.Key)
		n.FoldedKeys = append(n.FoldedKeys, c.carry.FoldedKeys...)
		n.FoldedKeys = n.FoldedKeys[:min(len(n.FoldedKeys), maxFoldedKeys)]
		c.carry = nil
	}
	c.readyUp(n, now)
}

func (c *collector) readyUp(n *Notification, now time.Time) {
	c.sentAt = append(c.sentAt, now)
	c.ready = append(c.ready, n)
}

// hold folds n into the carried notification, and counts it.
func (c *collector) hold(n *Notification) {
	c.target.folded.Add(1)
	if c.carry == nil {
		c.carry = n
		return
	}
	c.carry.Folded += n.Changes + n.Folded
	if len(c.carry.FoldedKeys) < maxFoldedKeys {
		c.carry.FoldedKeys = append(c.carry.FoldedKeys, n.Key)
	}
}

// allowed reports whether one more notification fits in the rate limit and
// in the sender's backlog, forgetting sends older than a minute.
func (c *collector) allowed(now time.Time) bool {
	i := 0
	for i < len(c.sentAt) && now.Sub(c.sentAt[i]) >= time.Minute {
		i++
	}
	c.sentAt = c.sentAt[i:]
	return len(c.sentAt) < c.rate && len(c.ready) < maxReady
}

// nextWake returns when the collector has work that no message or send
// will trigger: the earliest group deadline, or when the rate limit lets
// the carried notification go. Zero means nothing to wait for.
func (c *collector) nextWake(now time.Time) time.Time {
	at := c.earliest
	if c.carry != nil && len(c.ready) < maxReady && len(c.sentAt) >= c.rate {
		free := c.sentAt[len(c.sentAt)-c.rate].Add(time.Minute)
		if at.IsZero() || free.Before(at) {
			at = free
		}
	}
	return at
}

// sortGroups orders groups by deadline, then key, so that flushing is
// deterministic.
func sortGroups(gs []*group) {
	slices.SortFunc(gs, func(a, b *group) int {
		if c := a.deadline.Compare(b.deadline); c != 0 {
			return c
		}
		return strings.Compare(a.n.Key, b.n.Key)
	})
}
