package scope

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// scan reads every event of the involved accounts, hosts and addresses
// from Baseline before the window to its end, newest first: their
// activity and silences, the data they accessed, their traffic.
func (b *builder) scan(ctx context.Context) error {
	expr := anyOf(terms(event.UserName, b.accountNames()), hostTerms(b.hostKeys()), terms(event.SourceIP, b.addressList()))
	q := store.Query{Expr: expr, From: b.from.Add(-b.cfg.Baseline), To: b.to}
	return b.each(ctx, q, func(ev *event.Event) {
		if ev.Kind != event.KindEvent {
			return
		}
		if h, ok := b.hosts[hostKey(get(ev, event.HostName))]; ok {
			h.line.see(ev.Time, b.from, b.to, b.cfg.MinGap)
			if len(h.names) < 20 {
				h.names[get(ev, event.HostName)] = true
			}
		}
		acct := get(ev, event.UserName)
		if a, ok := b.accounts[accountKey(acct)]; ok {
			a.line.see(ev.Time, b.from, b.to, b.cfg.MinGap)
		}
		b.seeTraffic(ev)
		if ev.Time.Before(b.from) {
			return
		}
		_, byAccount := b.accounts[accountKey(acct)]
		_, byAddress := b.addrs[get(ev, event.SourceIP)]
		if !byAccount && !byAddress {
			return
		}
		for _, a := range dataOf(ev) {
			b.addData(a, ev)
		}
	})
}

// finish writes the accounts, hosts, movement, data and gaps into the
// report.
func (b *builder) finish(alerts []*event.Event) {
	rep := b.rep
	var gaps []Gap
	rep.Accounts = []Account{}
	for _, k := range sortedKeys(b.accounts) {
		a := b.accounts[k]
		a.First, a.Last, a.Events = a.line.first, a.line.last, a.line.events
		// An account's own silence is its owner's night or weekend, not a
		// gap in the logs: accounts get the gaps of markers only (a log
		// cleared by them, a trail they stopped).
		rep.Accounts = append(rep.Accounts, a.Account)
	}
	rep.Hosts = []Host{}
	for _, k := range sortedKeys(b.hosts) {
		h := b.hosts[k]
		h.Name = h.displayName()
		for n := range h.names {
			if n != h.Name && n != "" {
				h.Aliases = append(h.Aliases, n)
			}
		}
		slices.Sort(h.Aliases)
		slices.Sort(h.Addresses)
		h.First, h.Last, h.Events = h.line.first, h.line.last, h.line.events
		rep.Hosts = append(rep.Hosts, h.Host)
		gaps = append(gaps, h.line.silentGaps(h.Name, "host", b.cfg, b.from, b.to)...)
	}
	order := map[string]int{ViaSubject: 0, ViaLogon: 2, ViaExposed: 3, ViaAttempted: 4}
	slices.SortStableFunc(rep.Accounts, func(x, y Account) int {
		return cmp.Or(cmp.Compare(order[x.Via], order[y.Via]), strings.Compare(accountKey(x.Name), accountKey(y.Name)))
	})
	slices.SortStableFunc(rep.Hosts, func(x, y Host) int {
		return cmp.Or(cmp.Compare(order[x.Via], order[y.Via]), strings.Compare(hostKey(x.Name), hostKey(y.Name)))
	})
	b.movement(alerts)
	rep.Data = b.dataReport()
	rep.Gaps = mergeGaps(append(gaps, b.gaps...))
	if rep.Gaps == nil {
		rep.Gaps = []Gap{}
	}
}
