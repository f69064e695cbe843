package casefile

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/respond"
)

// Decision is a response decision in decisions.json, with why the export
// holds it.
type Decision struct {
	*respond.Decision
	// Concerns says how it concerns the incident: "incident" (made for
	// it), "alert" (made on one of its alerts) or "entity FIELD VALUE"
	// (it acts on one of the incident's entities).
	Concerns string `json:"concerns"`
}

// readDecisions keeps the decisions that concern the incident.
func (x *Exporter) readDecisions(ctx context.Context, g *gathered) error {
	if x.deps.Decisions == nil {
		return nil
	}
	all, err := x.deps.Decisions.List(ctx, respond.Filter{})
	if err != nil {
		return fmt.Errorf("listing decisions: %w", err)
	}
	for _, d := range all {
		if why := concerns(g.inc, d); why != "" {
			g.decisions = append(g.decisions, Decision{Decision: d, Concerns: why})
		}
	}
	return nil
}

// concerns says how d concerns inc, or "" when it does not: it was made
// for the incident or on one of its alerts, or it acts on one of its
// accounts, hosts or addresses (a range containing one of them).
func concerns(inc *incident.Incident, d *respond.Decision) string {
	if d.Incident == strconv.FormatInt(inc.ID, 10) {
		return "incident"
	}
	if id, err := strconv.ParseInt(d.Alert, 10, 64); err == nil && inc.HasAlert(event.ID(id)) {
		return "alert"
	}
	var field string
	switch d.Scope {
	case respond.ScopeAccount:
		field = event.UserName
	case respond.ScopeHost:
		field = event.HostName
	case respond.ScopeIP:
		field = event.SourceIP
	case respond.ScopeRange:
		p, err := netip.ParsePrefix(d.Value)
		if err != nil {
			return ""
		}
		for _, e := range inc.Entities {
			if e.Field != event.SourceIP && e.Field != event.DestinationIP {
				continue
			}
			if a, err := netip.ParseAddr(e.Value); err == nil && p.Contains(a.Unmap()) {
				return "entity " + e.Field + " " + e.Value
			}
		}
		return ""
	default:
		return ""
	}
	if e := inc.Entity(field, d.Value); e != nil {
		return "entity " + e.Field + " " + e.Value
	}
	return ""
}
