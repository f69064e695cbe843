package bouncer

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/store"
)

// Name is the executor's name in respond.Decision.Executions.
const Name = "bouncer"

// Origin is the origin of every decision served.
const Origin = "vigie"

// Limits on memory: deletions are kept for bouncers that have not pulled
// them yet, at most maxDeleted of them and for at most deletedFor.
const (
	maxDeleted = 100000
	deletedFor = 7 * 24 * time.Hour
)

// Bouncer is the CrowdSec bouncer stream: a respond.Executor and the
// http.Handler bouncers pull from. Its methods are safe for concurrent use.
type Bouncer struct {
	records store.Records
	now     func() time.Time

	// mu guards seq, active, deleted and cursors.
	mu  sync.Mutex
	seq uint64 // bumped at every change
	// active are the blocks in force, by decision ID, with the seq of
	// their latest Apply.
	active map[string]entry
	// deleted are revoked blocks, in seq order.
	deleted []entry
	// cursors is, per bouncer name, the seq of its last pull.
	cursors map[string]uint64
}

// entry is a decision and the seq of its change.
type entry struct {
	seq      uint64
	at       time.Time
	decision *respond.Decision
	prefix   netip.Prefix
}

var (
	_ respond.Executor = (*Bouncer)(nil)
	_ respond.Selector = (*Bouncer)(nil)
	_ respond.Restorer = (*Bouncer)(nil)
)

// New returns a Bouncer whose keys live in records; now defaults to
// time.Now.
func New(records store.Records, now func() time.Time) *Bouncer {
	if now == nil {
		now = time.Now
	}
	return &Bouncer{records: records, now: now, active: map[string]entry{}, cursors: map[string]uint64{}}
}

// Name implements respond.Executor.
func (b *Bouncer) Name() string { return Name }

// Handles implements respond.Selector: blocks of addresses and ranges.
func (b *Bouncer) Handles(d *respond.Decision) bool {
	return d.Action == respond.ActionBlock && (d.Scope == respond.ScopeIP || d.Scope == respond.ScopeRange) && !d.DryRun
}

// Apply implements respond.Executor: the block is served as new to every
// bouncer at its next pull (again, with its new expiry, when extended).
func (b *Bouncer) Apply(ctx context.Context, d *respond.Decision) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := prefixOf(d)
	if err != nil || !b.Handles(d) {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	b.active[d.ID] = entry{seq: b.seq, at: b.now(), decision: d.Clone(), prefix: p}
	return nil
}

// Revoke implements respond.Executor: the block is served as deleted.
func (b *Bouncer) Revoke(ctx context.Context, d *respond.Decision) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := prefixOf(d)
	if err != nil || !b.Handles(d) {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.active, d.ID)
	b.seq++
	now := b.now()
	b.deleted = append(b.deleted, entry{seq: b.seq, at: now, decision: d.Clone(), prefix: p})
	b.trimLocked(now)
	return nil
}

// Restore implements respond.Restorer.
func (b *Bouncer) Restore(ctx context.Context, applied []*respond.Decision) error {
	for _, d := range applied {
		if err := b.Apply(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// trimLocked forgets deletions that are too old or too many.
func (b *Bouncer) trimLocked(now time.Time) {
	i := 0
	for i < len(b.deleted) && (len(b.deleted)-i > maxDeleted || now.Sub(b.deleted[i].at) > deletedFor) {
		i++
	}
	if i > 0 {
		b.deleted = append(b.deleted[:0], b.deleted[i:]...)
	}
}

// prefixOf returns the network a block covers.
func prefixOf(d *respond.Decision) (netip.Prefix, error) {
	if d.Scope == respond.ScopeRange {
		return netip.ParsePrefix(d.Value)
	}
	a, err := netip.ParseAddr(d.Value)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Decision is a decision in the shape of CrowdSec's models.Decision.
type Decision struct {
	Duration string `json:"duration"`
	ID       int64  `json:"id,omitempty"`
	Origin   string `json:"origin"`
	Scenario string `json:"scenario"`
	Scope    string `json:"scope"`
	Type     string `json:"type"`
	Until    string `json:"until,omitempty"`
	Value    string `json:"value"`
}

// format renders d for bouncers at now.
func format(d *respond.Decision, now time.Time) *Decision {
	scope := "Ip"
	if d.Scope == respond.ScopeRange {
		scope = "Range"
	}
	who := d.Actor
	if d.Origin == respond.OriginPolicy {
		who = d.Policy
	}
	var id int64
	for _, c := range d.ID {
		if c < '0' || c > '9' {
			id = 0
			break
		}
		id = id*10 + int64(c-'0')
	}
	return &Decision{
		Duration: d.Expires.Sub(now).Round(time.Second).String(), ID: id, Origin: Origin,
		Scenario: "vigie/" + d.Origin + "/" + who, Scope: scope, Type: "ban",
		Until: d.Expires.UTC().Format(time.RFC3339), Value: d.Value,
	}
}

// streamFilter is what a bouncer asks to receive.
type streamFilter struct {
	scopes, origins, containing, notContaining []string
}

func (f streamFilter) keep(d *Decision) bool {
	if len(f.scopes) > 0 && !containsFold(f.scopes, d.Scope) {
		return false
	}
	if len(f.origins) > 0 && !containsFold(f.origins, d.Origin) {
		return false
	}
	if len(f.containing) > 0 && !anySubstring(d.Scenario, f.containing) {
		return false
	}
	return !anySubstring(d.Scenario, f.notContaining)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func anySubstring(s string, subs []string) bool {
	for _, x := range subs {
		if x != "" && strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// stream returns what bouncer name has not seen yet, or everything in
// force when startup is set or the bouncer is unknown (first pull since
// Vigie started), and moves its cursor.
func (b *Bouncer) stream(name string, startup bool, f streamFilter) (added, deleted []*Decision) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	cursor, known := b.cursors[name]
	if startup || !known {
		cursor = 0
	}
	for _, e := range sortedEntries(b.active) {
		if e.seq > cursor && now.Before(e.decision.Expires) {
			if d := format(e.decision, now); f.keep(d) {
				added = append(added, d)
			}
		}
	}
	if !startup && known {
		for _, e := range b.deleted {
			if e.seq > cursor {
				if d := format(e.decision, now); f.keep(d) {
					deleted = append(deleted, d)
				}
			}
		}
	}
	b.cursors[name] = b.seq
	return added, deleted
}

// matching returns the blocks in force that match.
func (b *Bouncer) matching(match func(e entry) bool) []*Decision {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	var out []*Decision
	for _, e := range sortedEntries(b.active) {
		if now.Before(e.decision.Expires) && match(e) {
			out = append(out, format(e.decision, now))
		}
	}
	return out
}

// sortedEntries returns the entries in seq order.
func sortedEntries(m map[string]entry) []entry {
	out := make([]entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	return out
}
