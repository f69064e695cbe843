package scope

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// authRec is one authentication, reduced to what scope uses.
type authRec struct {
	id          event.ID
	t           time.Time
	from        string // source address, or the host a 4648 was made on
	fromName    string // workstation name given by the logon
	to          string // host or cloud service
	toHost      bool   // to names a host
	account     string
	method      string
	outcome     string
	interactive bool // a logon with a desktop or shell: credentials left on the host
}

// logonTypes names Windows logon types.
var logonTypes = map[string]string{
	"2": "Interactive", "3": "Network", "4": "Batch", "5": "Service", "7": "Unlock",
	"8": "NetworkCleartext", "9": "NewCredentials", "10": "RemoteInteractive", "11": "CachedInteractive",
}

func get(ev *event.Event, name string) string {
	v, _ := ev.Get(name)
	if v == "-" {
		return ""
	}
	return strings.TrimSpace(v)
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func isWindows(ev *event.Event) bool {
	return get(ev, "Channel") != "" || get(ev, "winlog.channel") != ""
}

// authOf reads an authentication from an event: Windows 4624, 4625 and
// 4648, and any event of category authentication from other sources.
// Kerberos and NTLM validations a domain controller logs (4768, 4776…)
// say where the account was checked, not where it logged on, and are
// left out.
func authOf(ev *event.Event) (authRec, bool) {
	if ev.Kind != event.KindEvent {
		return authRec{}, false
	}
	auth := false
	for _, f := range ev.Values(event.EventCategory) {
		auth = auth || f.Value == "authentication"
	}
	if !auth {
		return authRec{}, false
	}
	r := authRec{id: ev.ID, t: ev.Time, account: get(ev, event.UserName), outcome: firstOf(get(ev, event.EventOutcome), event.OutcomeUnknown)}
	src := get(ev, event.SourceIP)
	host := get(ev, event.HostName)
	if isWindows(ev) {
		switch get(ev, event.EventCode) {
		case "4624", "4625":
			lt := get(ev, "LogonType")
			r.from, r.fromName, r.to, r.toHost = src, get(ev, "WorkstationName"), host, host != ""
			r.method = "logon"
			if lt != "" {
				r.method = "logon type " + lt
			}
			if n, ok := logonTypes[lt]; ok {
				r.method += " (" + n + ")"
			}
			if p := get(ev, "AuthenticationPackageName"); p != "" {
				r.method += " " + p
			}
			r.interactive = lt == "2" || lt == "10" || lt == "11"
		case "4648":
			target := get(ev, "TargetServerName")
			if target == "" || target == "localhost" {
				return authRec{}, false
			}
			r.from, r.to, r.toHost = host, target, true
			r.account = firstOf(get(ev, "TargetUserName"), r.account)
			r.method = "explicit credentials (4648) by " + firstOf(get(ev, "process.name"), "?")
		default:
			return authRec{}, false
		}
		if r.from == "" {
			r.from = firstOf(r.fromName, "local")
		}
		return r, r.to != ""
	}
	r.from = src
	switch {
	case host != "":
		r.to, r.toHost = host, true
		r.method = firstOf(get(ev, event.ProcessName), get(ev, event.EventDataset), "logon")
		if m := get(ev, "system.auth.ssh.method"); m != "" {
			r.method += "/" + m
		}
		r.interactive = true
	case get(ev, "appDisplayName") != "":
		r.to = "Entra ID/" + get(ev, "appDisplayName")
		r.method = firstOf(get(ev, "clientAppUsed"), get(ev, event.EventAction), "sign-in")
	case get(ev, event.CloudProvider) == "aws":
		r.to = "AWS/" + firstOf(get(ev, event.CloudAccountID), "?")
		r.method = firstOf(get(ev, event.EventAction), "logon")
	default:
		r.to = firstOf(get(ev, event.EventDataset), get(ev, event.EventProvider), ev.Format, "unknown service")
		if p := get(ev, event.EventProvider); p != "" && p != r.to {
			r.to += "/" + p
		}
		r.method = firstOf(get(ev, event.EventAction), "logon")
	}
	if r.from == "" {
		r.from = "unknown"
	}
	return r, true
}

// discover reads the authentications of the subject's entities in the
// window, adds the hosts and accounts they lead to, then reads the
// authentications on those hosts for the accounts exposed there.
func (b *builder) discover(ctx context.Context) error {
	seedAccounts := map[string]bool{}
	for k := range b.accounts {
		seedAccounts[k] = true
	}
	seedAddrs := map[string]bool{}
	for a := range b.addrs {
		seedAddrs[a] = true
	}
	seen := map[event.ID]bool{}
	collect := func(expr query.Expr) error {
		q := store.Query{Expr: expr, From: b.from, To: b.to}
		return b.each(ctx, q, func(ev *event.Event) {
			if r, ok := authOf(ev); ok && !seen[ev.ID] {
				seen[ev.ID] = true
				b.auth = append(b.auth, r)
			}
		})
	}
	// Pass one: what the subject's accounts and addresses did.
	if err := collect(anyOf(terms(event.UserName, b.accountNames()), terms(event.SourceIP, b.addressList()))); err != nil {
		return err
	}
	sortAuth(b.auth)
	attempts := map[string][]authRec{}
	for _, r := range b.auth {
		byAccount := seedAccounts[accountKey(r.account)]
		byAddress := seedAddrs[r.from]
		if !byAccount && !byAddress {
			continue
		}
		if r.outcome == event.OutcomeSuccess {
			if r.toHost {
				why := fmt.Sprintf("%s logged on at %s from %s (%s)", r.account, stamp(r.t), fromText(r), r.method)
				if h := b.addHost(r.to, ViaLogon, why, false); h != nil {
					if h.Via == ViaAttempted {
						h.Via, h.Reason = ViaLogon, why
					}
					if h.compromised.IsZero() || r.t.Before(h.compromised) {
						h.compromised = r.t
					}
				}
			}
			if byAddress && !byAccount {
				b.addAccount(r.account, ViaLogon, fmt.Sprintf("logged on successfully from %s at %s (%s, %s)", r.from, stamp(r.t), r.to, r.method), false)
			}
		} else if byAddress && r.toHost {
			attempts[hostKey(r.to)] = append(attempts[hostKey(r.to)], r)
		}
	}
	for _, k := range sortedKeys(attempts) {
		rs := attempts[k]
		if _, ok := b.hosts[k]; ok {
			continue
		}
		why := fmt.Sprintf("%d unsuccessful logons from %s between %s and %s, none successful", len(rs), rs[0].from, stamp(rs[0].t), stamp(rs[len(rs)-1].t))
		b.addHost(rs[0].to, ViaAttempted, why, false)
	}
	// Pass two: every authentication on the involved hosts.
	if err := collect(hostTerms(b.hostKeys())); err != nil {
		return err
	}
	sortAuth(b.auth)
	for _, r := range b.auth {
		// Host addresses, from the workstation names logons give.
		if h, ok := b.hosts[hostKey(r.fromName)]; ok && r.fromName != "" && b.internal(r.from) {
			b.addAddress(r.from, hostKey(r.fromName))
			h.names[r.fromName] = true
		}
		if !r.toHost || r.outcome != event.OutcomeSuccess || !r.interactive {
			continue
		}
		h, ok := b.hosts[hostKey(r.to)]
		if !ok || h.Via == ViaAttempted {
			continue
		}
		h.names[r.to] = true
		since := h.compromised
		if h.Via == ViaSubject {
			since = b.from
		}
		if since.IsZero() || r.t.Before(since) {
			continue
		}
		b.addAccount(r.account, ViaExposed, fmt.Sprintf("logged on interactively to %s at %s (%s), after the host was compromised (%s): its credentials may be exposed",
			r.to, stamp(r.t), r.method, stamp(since)), false)
	}
	return b.hostAddresses(ctx)
}

// hostAddresses adds the addresses the involved hosts report as their own
// (host.ip).
func (b *builder) hostAddresses(ctx context.Context) error {
	for _, k := range b.hostKeys() {
		q := store.Query{Expr: allOf(hostTerms([]string{k}), &query.Term{Field: event.HostIP, Value: "*", Wildcard: true, Pattern: "*"}),
			From: b.from.Add(-b.cfg.Baseline), To: b.to, Limit: 20}
		evs, err := b.s.Search(ctx, q)
		if err != nil {
			return err
		}
		b.rep.EventsRead += len(evs)
		for _, ev := range evs {
			for _, f := range ev.Values(event.HostIP) {
				if b.internal(f.Value) {
					b.addAddress(f.Value, k)
				}
			}
		}
	}
	return nil
}

func sortAuth(rs []authRec) {
	slices.SortFunc(rs, func(a, b authRec) int { return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.id, b.id)) })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func fromText(r authRec) string {
	if r.fromName != "" && r.fromName != r.from {
		return r.from + " (" + r.fromName + ")"
	}
	return r.from
}

// movement builds the edges between involved entities and names the
// first compromised one.
func (b *builder) movement(alerts []*event.Event) {
	type key struct{ from, fromName, to, account, method, outcome string }
	edges := map[key]*Edge{}
	others := map[key]map[string]bool{} // accounts gathered in an edge
	var order []key
	for _, r := range b.auth {
		_, byAccount := b.accounts[accountKey(r.account)]
		_, byAddress := b.addrs[r.from]
		exposed := false
		if h, ok := b.hosts[hostKey(r.to)]; ok && r.toHost && r.interactive && r.outcome == event.OutcomeSuccess {
			since := h.compromised
			if h.Via == ViaSubject {
				since = b.from
			}
			exposed = !since.IsZero() && !r.t.Before(since)
		}
		if !byAccount && !byAddress && !exposed {
			continue
		}
		k := key{r.from, r.fromName, r.to, r.account, r.method, r.outcome}
		if !byAccount && r.outcome != event.OutcomeSuccess {
			k.account = ""
		}
		e, ok := edges[k]
		if !ok {
			e = &Edge{From: r.from, FromName: r.fromName, To: r.to, Account: k.account, Method: r.method, Outcome: r.outcome, First: r.t}
			edges[k] = e
			order = append(order, k)
		}
		if k.account == "" {
			if others[k] == nil {
				others[k] = map[string]bool{}
			}
			if len(others[k]) < 100_000 {
				others[k][accountKey(r.account)] = true
			}
			e.Account = fmt.Sprintf("(%d other accounts)", len(others[k]))
		}
		e.Count++
		e.Last = r.t
	}
	b.rep.Movement.EdgesTotal = len(order)
	for i, k := range order {
		if i == b.cfg.MaxEdges {
			b.rep.Truncated.Edges = true
			break
		}
		b.rep.Movement.Edges = append(b.rep.Movement.Edges, *edges[k])
	}
	if b.rep.Movement.Edges == nil {
		b.rep.Movement.Edges = []Edge{}
	}
	// The first compromised entity: the earliest successful logon of an
	// involved account from outside.
	for _, r := range b.auth {
		if _, ok := b.accounts[accountKey(r.account)]; !ok || r.outcome != event.OutcomeSuccess {
			continue
		}
		if !b.internal(r.from) && isAddress(r.from) {
			b.rep.Movement.FirstCompromised = &Foothold{Kind: "account", Name: r.account, Time: r.t,
				Reason: fmt.Sprintf("earliest successful logon of an involved account from an outside address: %s from %s to %s (%s)", r.account, r.from, r.to, r.method)}
			return
		}
	}
	// Otherwise the earliest alert's entity.
	var first *event.Event
	for _, a := range alerts {
		if first == nil || a.Time.Before(first.Time) {
			first = a
		}
	}
	if first == nil {
		return
	}
	name, _ := first.Get("rule.name")
	for _, c := range []struct{ field, kind string }{{event.UserName, "account"}, {event.HostName, "host"}, {event.SourceIP, "address"}} {
		if v := get(first, c.field); v != "" {
			b.rep.Movement.FirstCompromised = &Foothold{Kind: c.kind, Name: v, Time: first.Time,
				Reason: fmt.Sprintf("no successful logon from outside was found; the earliest alert, %q, names it", name)}
			return
		}
	}
}

func isAddress(s string) bool {
	return isIPv4(s) || strings.Contains(s, ":")
}
