package scope

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// Build computes the scope of subj from the events s holds. It reads s
// only through Search, Count and Get, at most cfg.MaxEvents events.
func Build(ctx context.Context, s store.Searcher, subj Subject, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	to := subj.To
	if to.IsZero() {
		to = cfg.Now()
	}
	if subj.From.IsZero() || !subj.From.Before(to) {
		return nil, fmt.Errorf("scope window %s to %s: From must be set and before To", subj.From.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	b := &builder{s: s, cfg: cfg, nets: cfg.networks(), from: subj.From, to: to,
		rep:      &Report{From: subj.From, To: to},
		accounts: map[string]*accountState{}, hosts: map[string]*hostState{}, addrs: map[string]string{}}
	b.addSubject(subj)
	steps := []struct {
		what string
		run  func(context.Context) error
	}{
		{"discovering accounts and hosts", b.discover},
		{"reading the involved entities' events", b.scan},
		{"finding logging gaps", func(ctx context.Context) error { return b.markers(ctx, subj.Alerts) }},
		{"judging transfers", b.judgeTransfers},
	}
	for _, st := range steps {
		if err := st.run(ctx); err != nil {
			return nil, fmt.Errorf("scope: %s: %w", st.what, err)
		}
	}
	b.finish(subj.Alerts)
	return b.rep, nil
}

// builder holds the state of one Build.
type builder struct {
	s        store.Searcher
	cfg      Config
	nets     []netip.Prefix
	from, to time.Time
	rep      *Report

	accounts map[string]*accountState // by accountKey
	hosts    map[string]*hostState    // by hostKey
	// addrs maps each involved address to the key of the host it belongs
	// to, "" when it is the subject's.
	addrs map[string]string

	auth      []authRec // authentications read, by time once discover is done
	data      dataSet
	transfers transferSet
	gaps      []Gap
}

type accountState struct {
	Account
	line timeline
}

type hostState struct {
	Host
	names       map[string]bool
	compromised time.Time // earliest successful logon by an involved account or address
	line        timeline
}

// accountKey folds an account name for comparison.
func accountKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// hostKey folds a host name to its first label, lower case, so that
// "WS-003" and "ws-003.corp.example" are one host. Addresses stay whole.
func hostKey(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if _, err := netip.ParseAddr(name); err == nil {
		return name
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return strings.TrimSpace(name[:i])
	}
	return name
}

// ignoredAccount reports the names that are not people or services an
// intruder uses: machine accounts, the null session, Windows' own.
func ignoredAccount(name string) bool {
	k := accountKey(name)
	switch k {
	case "", "-", "system", "anonymous logon", "local service", "network service", "n/a":
		return true
	}
	return strings.HasSuffix(k, "$") || strings.HasPrefix(k, "dwm-") || strings.HasPrefix(k, "umfd-")
}

func (b *builder) internal(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range b.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addSubject seeds the involved entities from the subject. The alerts'
// entities are not added: the subject's lists are the incident's decision
// (an alert on password spraying names every account tried, not every
// account taken).
func (b *builder) addSubject(subj Subject) {
	for _, a := range subj.Accounts {
		b.addAccount(a, ViaSubject, "named by the incident", true)
	}
	for _, h := range subj.Hosts {
		if _, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil {
			b.addAddress(h, "")
			continue
		}
		b.addHost(h, ViaSubject, "named by the incident", true)
	}
	for _, a := range subj.Addresses {
		b.addAddress(a, "")
	}
}

// addAccount adds an account unless it is there or ignored; seed
// accounts are not bounded.
func (b *builder) addAccount(name, via, reason string, seed bool) *accountState {
	k := accountKey(name)
	if ignoredAccount(name) {
		return nil
	}
	if a, ok := b.accounts[k]; ok {
		return a
	}
	if !seed && b.discoveredAccounts() >= b.cfg.MaxAccounts {
		b.rep.Truncated.Accounts = true
		return nil
	}
	a := &accountState{Account: Account{Name: strings.TrimSpace(name), Via: via, Reason: reason}}
	b.accounts[k] = a
	return a
}

func (b *builder) discoveredAccounts() int {
	n := 0
	for _, a := range b.accounts {
		if a.Via != ViaSubject {
			n++
		}
	}
	return n
}

func (b *builder) addHost(name, via, reason string, seed bool) *hostState {
	k := hostKey(name)
	if k == "" || k == "-" {
		return nil
	}
	if h, ok := b.hosts[k]; ok {
		h.names[strings.TrimSpace(name)] = true
		return h
	}
	if !seed {
		n := 0
		for _, h := range b.hosts {
			if h.Via != ViaSubject {
				n++
			}
		}
		if n >= b.cfg.MaxHosts {
			b.rep.Truncated.Hosts = true
			return nil
		}
	}
	h := &hostState{Host: Host{Name: strings.TrimSpace(name), Via: via, Reason: reason}, names: map[string]bool{strings.TrimSpace(name): true}}
	b.hosts[k] = h
	return h
}

// addAddress adds an involved address, canonical, owned by host key.
func (b *builder) addAddress(ip, host string) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return
	}
	a = a.Unmap()
	if host != "" && (a.IsLoopback() || a.IsUnspecified()) {
		return
	}
	s := a.String()
	if owner, ok := b.addrs[s]; ok && (owner != "" || host == "") {
		return
	}
	b.addrs[s] = host
	if h, ok := b.hosts[host]; ok && !slices.Contains(h.Addresses, s) {
		h.Addresses = append(h.Addresses, s)
	}
}

// addressName names an address by its host when it has one.
func (b *builder) addressName(ip string) string {
	if h, ok := b.hosts[b.addrs[ip]]; ok && b.addrs[ip] != "" {
		return fmt.Sprintf("%s (%s)", h.displayName(), ip)
	}
	return ip
}

// displayName is the host's longest spelling.
func (h *hostState) displayName() string {
	best := h.Name
	for n := range h.names {
		if len(n) > len(best) || (len(n) == len(best) && n < best) {
			best = n
		}
	}
	return best
}

// each pages through the events q selects, newest first, and calls fn
// with each, within the MaxEvents budget.
func (b *builder) each(ctx context.Context, q store.Query, fn func(*event.Event)) error {
	for {
		left := b.cfg.MaxEvents - b.rep.EventsRead
		if left <= 0 {
			b.rep.Truncated.Events = true
			return nil
		}
		q.Limit = min(store.MaxLimit, left)
		evs, err := b.s.Search(ctx, q)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		for _, ev := range evs {
			b.rep.EventsRead++
			fn(ev)
		}
		q.Before = evs[len(evs)-1].ID
	}
}

// firstAfter returns the oldest event q selects in [from, to), or nil.
// It finds it by widening then halving a time range, one small search
// at a time, so that it never pages through the range.
func (b *builder) firstAfter(ctx context.Context, q store.Query, from, to time.Time) (*event.Event, error) {
	exists := func(lo, hi time.Time) (bool, error) {
		q.From, q.To, q.Limit, q.Before = lo, hi, 1, 0
		evs, err := b.s.Search(ctx, q)
		return len(evs) > 0, err
	}
	// Widen: [from, from+w) with w doubling until something is there.
	hi := from
	for w := time.Minute; ; w *= 2 {
		hi = from.Add(w)
		if !hi.Before(to) {
			hi = to
		}
		ok, err := exists(from, hi)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		if hi.Equal(to) {
			return nil, nil
		}
	}
	// Halve: the first event lies in [lo, hi).
	lo := from
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		ok, err := exists(lo, mid)
		if err != nil {
			return nil, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	q.From, q.To, q.Limit, q.Before = lo, hi, store.MaxLimit, 0
	evs, err := b.s.Search(ctx, q)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[len(evs)-1], nil
}

// stamp formats a time for the report's sentences.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
