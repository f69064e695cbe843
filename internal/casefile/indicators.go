package casefile

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/intel"
	"github.com/vigie-sec/vigie/internal/scope"
)

// indicatorFields are the fields of alerts and their evidence events
// whose values become observables, with their intel type and role.
var indicatorFields = []struct {
	field string
	typ   intel.Type
	role  intel.Role
}{
	{"destination.domain", intel.Domain, intel.RoleRelated},
	{"dns.question.name", intel.Domain, intel.RoleRelated},
	{"url.domain", intel.Domain, intel.RoleRelated},
	{"url.original", intel.URL, intel.RoleRelated},
	{"file.hash.sha256", intel.SHA256, intel.RolePayload},
	{"file.hash.sha1", intel.SHA1, intel.RolePayload},
	{"file.hash.md5", intel.MD5, intel.RolePayload},
	{"process.hash.sha256", intel.SHA256, intel.RolePayload},
	{"process.hash.sha1", intel.SHA1, intel.RolePayload},
	{"process.hash.md5", intel.MD5, intel.RolePayload},
}

// rolePriority orders roles when one value was seen in several: the
// strongest statement about a value wins.
var rolePriority = map[intel.Role]int{
	intel.RoleExfiltration: 5, intel.RoleAttacker: 4, intel.RoleC2: 3,
	intel.RolePayload: 2, intel.RoleCompromised: 1, intel.RoleRelated: 0,
}

// maxRefs bounds the hosts, accounts and techniques of one observable.
const maxRefs = 100

// caseBuilder collects the observables of an incident, one per type and
// value.
type caseBuilder struct {
	internal []netip.Prefix
	obs      []intel.Observable
	index    map[string]int // type + value → obs index
	// skipped counts values that are not valid for their type.
	skipped int
}

// indicatorCase fills an intel.Case from the incident, its alerts and
// evidence events, and its scope report.
func indicatorCase(g *gathered, instance string, internal []netip.Prefix, now time.Time) (intel.Case, int) {
	inc := g.inc
	c := intel.Case{
		ID: strconv.FormatInt(inc.ID, 10), Title: inc.Title, Created: inc.Created, Modified: inc.Updated,
		Severity: inc.EffectiveSeverity(), Complete: inc.Status.Closed(), Instance: instance,
		Description: fmt.Sprintf("Vigie incident %d (%s), activity from %s to %s, %d alerts.",
			inc.ID, inc.Status, stamp(inc.First), stamp(inc.Last), len(inc.Alerts)),
	}
	if c.Created.IsZero() {
		c.Created = now
	}
	if c.Modified.Before(c.Created) {
		c.Modified = c.Created
	}
	for _, t := range inc.Techniques {
		c.Labels = append(c.Labels, "attack."+strings.ToLower(t))
	}
	b := &caseBuilder{internal: internal, index: map[string]int{}}
	alertsOf := map[event.ID]*event.Event{}
	for _, a := range g.alerts {
		alertsOf[a.ID] = a
	}
	for _, e := range inc.Entities {
		if e.Common && len(e.Links) == 0 {
			continue // a hub: a gateway, an update server
		}
		var related []*event.Event
		for _, id := range e.Alerts {
			if a := alertsOf[id]; a != nil {
				related = append(related, a)
			}
		}
		switch e.Field {
		case event.SourceIP, event.DestinationIP:
			role := intel.RoleRelated
			switch {
			case b.isInternal(e.Value):
				role = intel.RoleCompromised
			case e.Field == event.SourceIP:
				role = intel.RoleAttacker
			}
			b.add(intel.IP, e.Value, role, fmt.Sprintf("%s of %s", e.Field, plural(len(e.Alerts), "alert")), e.First, e.Last, len(e.Alerts), related)
		case event.UserName:
			b.add(intel.Account, e.Value, intel.RoleCompromised, "account named by "+plural(len(e.Alerts), "alert"), e.First, e.Last, len(e.Alerts), related)
		}
	}
	if g.scope != nil {
		b.addScope(g.scope)
	}
	for _, ev := range append(slices.Clone(g.alerts), g.evidence...) {
		for _, f := range indicatorFields {
			for _, v := range ev.Values(f.field) {
				b.add(f.typ, v.Value, f.role, "named by "+describe(ev), ev.Time, ev.Time, 1, []*event.Event{ev})
			}
		}
	}
	c.Observables = b.obs
	return c, b.skipped
}

// addScope adds the scope's hosts' addresses (compromised) and its
// outbound transfers that are not normal (exfiltration destinations, with
// their verdict).
func (b *caseBuilder) addScope(r *scope.Report) {
	for _, h := range r.Hosts {
		if h.Via == scope.ViaExposed {
			continue
		}
		for _, a := range h.Addresses {
			if i := b.add(intel.IP, a, intel.RoleCompromised, "address of involved host "+h.Name+": "+h.Reason, h.First, h.Last, h.Events, nil); i >= 0 {
				b.obs[i].Hosts = appendNew(b.obs[i].Hosts, []string{h.Name})
			}
		}
	}
	for _, t := range r.Transfers {
		if t.Verdict == scope.Normal {
			continue
		}
		context := fmt.Sprintf("received %d bytes in %d connections from %s; verdict: %s (%s)",
			t.Bytes, t.Connections, strings.Join(t.Sources, ", "), t.Verdict, t.Reason)
		if _, err := netip.ParseAddr(t.Destination); err == nil {
			b.add(intel.IP, t.Destination, intel.RoleExfiltration, context, t.First, t.Last, t.Connections, nil)
		}
		if t.Domain != "" {
			b.add(intel.Domain, t.Domain, intel.RoleExfiltration, context, t.First, t.Last, t.Connections, nil)
		}
	}
}

func (b *caseBuilder) isInternal(v string) bool {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range b.internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// add records an observable, or widens the one already there: its times,
// count and references, and its role when the new one is stronger. It
// returns the observable's index, or -1 for a value that is not valid
// for its type (counted in skipped).
func (b *caseBuilder) add(t intel.Type, value string, role intel.Role, context string, first, last time.Time, count int, events []*event.Event) int {
	v, err := intel.Normalise(t, value)
	if err != nil || t == intel.IP && strings.Contains(v, "/") {
		b.skipped++
		return -1
	}
	key := string(t) + "\x00" + v
	i, ok := b.index[key]
	if !ok {
		if len(b.obs) >= maxObservables {
			b.skipped++
			return -1
		}
		i = len(b.obs)
		b.index[key] = i
		b.obs = append(b.obs, intel.Observable{Type: t, Value: v, Role: role, Context: context,
			FirstSeen: first, LastSeen: last})
	}
	o := &b.obs[i]
	if rolePriority[role] > rolePriority[o.Role] {
		o.Role, o.Context = role, context
	}
	if !first.IsZero() && (o.FirstSeen.IsZero() || first.Before(o.FirstSeen)) {
		o.FirstSeen = first
	}
	if last.After(o.LastSeen) {
		o.LastSeen = last
	}
	if o.LastSeen.Before(o.FirstSeen) {
		o.LastSeen = o.FirstSeen
	}
	o.Count += max(count, 0)
	var hosts, accounts, techniques []string
	for _, ev := range events {
		hosts = append(hosts, fieldValues(ev, event.HostName)...)
		accounts = append(accounts, fieldValues(ev, event.UserName)...)
		techniques = append(techniques, fieldValues(ev, "threat.technique.id")...)
	}
	o.Hosts = appendNew(o.Hosts, hosts)
	o.Accounts = appendNew(o.Accounts, accounts)
	o.Techniques = appendNew(o.Techniques, techniques)
	return i
}

// maxObservables bounds the observables of a case.
const maxObservables = 10_000

// appendNew appends the values of add not yet in list, up to maxRefs.
func appendNew(list, add []string) []string {
	for _, v := range add {
		if len(list) >= maxRefs {
			break
		}
		if v != "" && v != "-" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

func fieldValues(ev *event.Event, name string) []string {
	var out []string
	for _, f := range ev.Values(name) {
		out = append(out, f.Value)
	}
	return out
}

// describe names an event for an observable's context.
func describe(ev *event.Event) string {
	if ev.Kind == event.KindAlert {
		name, _ := ev.Get("rule.name")
		return fmt.Sprintf("alert %d (%s)", ev.ID, name)
	}
	return fmt.Sprintf("event %d", ev.ID)
}

// plural writes "1 alert", "2 alerts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
