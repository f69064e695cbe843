package scope

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// maxTextObjects is how many objects per container Text lists.
const maxTextObjects = 10

// Text writes the report for a terminal: one section per question, the
// gaps stated as unknowns.
func (r *Report) Text(w io.Writer) error {
	p := &printer{w: w}
	p.f("Scope from %s to %s (%s), %d events read\n", stamp(r.From), stamp(r.To), human(r.To.Sub(r.From)), r.EventsRead)
	if r.Truncated.Any() {
		p.f("TRUNCATED: %s — the figures below are lower bounds\n", r.Truncated.String())
	}
	p.f("\nAccounts (%d)\n", len(r.Accounts))
	for _, a := range r.Accounts {
		p.f("  %-32s %-9s %s\n", a.Name, a.Via, a.Reason)
		p.f("  %-32s %s\n", "", activity(a.First, a.Last, a.Events))
	}
	p.f("\nHosts (%d)\n", len(r.Hosts))
	for _, h := range r.Hosts {
		name := h.Name
		if len(h.Addresses) > 0 {
			name += " [" + strings.Join(h.Addresses, ", ") + "]"
		}
		p.f("  %-32s %-9s %s\n", name, h.Via, h.Reason)
		p.f("  %-32s %s\n", "", activity(h.First, h.Last, h.Events))
	}
	p.f("\nMovement (%d edges)\n", r.Movement.EdgesTotal)
	if fc := r.Movement.FirstCompromised; fc != nil {
		p.f("  first compromised: %s %s at %s: %s\n", fc.Kind, fc.Name, stamp(fc.Time), fc.Reason)
	} else {
		p.f("  first compromised: unknown\n")
	}
	for _, e := range r.Movement.Edges {
		from := e.From
		if e.FromName != "" {
			from += " (" + e.FromName + ")"
		}
		p.f("  %s  %s -> %s as %s, %s, %s ×%d (last %s)\n", stamp(e.First), from, e.To, e.Account, e.Method, e.Outcome, e.Count, stamp(e.Last))
	}
	p.f("\nData accessed (%d containers)\n", len(r.Data))
	for _, d := range r.Data {
		more := ""
		if d.Truncated {
			more = " at least"
		}
		p.f("  %s %s: %s%d objects, %d accesses", d.Kind, d.Name, more, d.ObjectsTotal, d.Accesses)
		if d.Denied > 0 {
			p.f(" (%d denied)", d.Denied)
		}
		p.f(", %s to %s, by %s\n", stamp(d.First), stamp(d.Last), strings.Join(d.Accounts, ", "))
		for i, o := range d.Objects {
			if i == maxTextObjects {
				p.f("    … and %d more\n", d.ObjectsTotal-maxTextObjects)
				break
			}
			p.f("    %s (%s ×%d)\n", o.Name, strings.Join(o.Actions, ","), o.Count)
		}
	}
	p.f("\nOutbound transfers (%d)\n", len(r.Transfers))
	for _, t := range r.Transfers {
		if t.Verdict == Normal && t.Bytes == 0 && t.Objects == 0 {
			continue
		}
		p.f("  %-19s %s\n", t.Verdict, t.Reason)
	}
	p.f("\nGaps in the logs (%d)\n", len(r.Gaps))
	for _, g := range r.Gaps {
		p.f("  %s\n", g.Text)
	}
	return p.err
}

func activity(first, last time.Time, n int) string {
	if n == 0 {
		return "no event in the window"
	}
	return fmt.Sprintf("%d events, %s to %s", n, stamp(first), stamp(last))
}

// String lists the bounds hit.
func (t Truncated) String() string {
	var hit []string
	for _, f := range []struct {
		on   bool
		name string
	}{
		{t.Events, "events"}, {t.Accounts, "accounts"}, {t.Hosts, "hosts"}, {t.Edges, "edges"},
		{t.Containers, "containers"}, {t.Objects, "objects"}, {t.Destinations, "destinations"}, {t.Transfers, "transfers"},
	} {
		if f.on {
			hit = append(hit, f.name)
		}
	}
	return strings.Join(hit, ", ")
}

// printer remembers the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
