package incident

import (
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
)

// Bounds of the searches for entities.
const (
	maxSearchEntities  = 64 // entities one timeline search names
	maxSearchSpellings = 32 // spellings one entity view searches
)

// searchFields returns the stored fields an entity value of field is
// searched in: both address fields for an address, and only the fields
// the store indexes by entity (event.EntityFields), so that a search
// stays an index lookup. It returns nil for other fields.
func searchFields(field string) []string {
	indexed := event.EntityFields()
	switch classOf(field) {
	case classIP:
		return []string{event.SourceIP, event.DestinationIP}
	case classUser:
		return []string{event.UserName}
	case classHost:
		return []string{event.HostName}
	}
	if slices.Contains(indexed, field) {
		return []string{field}
	}
	return nil
}

// EntityExpr returns a query selecting the stored events naming an
// entity value, as grouping compares it: value, each spelling, and for a
// user value@…, for a host value.… (its fully qualified names). It
// returns nil when the field is not one the store indexes by entity.
func EntityExpr(field, value string, spellings ...string) query.Expr {
	fields := searchFields(field)
	if len(fields) == 0 {
		return nil
	}
	norm := Normalize(field, value)
	values := []string{norm}
	for _, s := range append([]string{value}, spellings...) {
		if s != "" && !slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, s) }) {
			values = append(values, s)
		}
	}
	var ops []query.Expr
	for _, f := range fields {
		for _, v := range values {
			ops = append(ops, &query.Term{Field: f, Value: v, Phrase: true})
		}
		if norm == "" {
			continue
		}
		switch classOf(field) {
		case classUser:
			ops = append(ops, prefixTerm(f, norm, "@"))
		case classHost:
			if _, isIP := canonicalIP(norm); !isIP {
				ops = append(ops, prefixTerm(f, norm, "."))
			}
		}
	}
	if len(ops) == 1 {
		return ops[0]
	}
	return &query.Or{Operands: ops}
}

// prefixTerm matches values starting with literal+sep.
func prefixTerm(field, literal, sep string) *query.Term {
	var p strings.Builder
	for _, r := range literal + sep {
		if r == '*' || r == '?' || r == '\\' {
			p.WriteByte('\\')
		}
		p.WriteRune(r)
	}
	p.WriteByte('*')
	return &query.Term{Field: field, Value: literal + sep + "*", Wildcard: true, Pattern: p.String()}
}

// incidentExpr selects the events naming any of the incident's entities,
// the most alerted first, at most maxSearchEntities of them.
func incidentExpr(inc *Incident) query.Expr {
	ents := slices.Clone(inc.Entities)
	slices.SortStableFunc(ents, func(a, b Entity) int { return compareMain(&a, &b) })
	var ops []query.Expr
	for _, e := range ents {
		if len(ops) == maxSearchEntities {
			break
		}
		if x := EntityExpr(e.Field, e.Value, e.Spellings...); x != nil {
			ops = append(ops, x)
		}
	}
	switch len(ops) {
	case 0:
		return nil
	case 1:
		return ops[0]
	}
	return &query.Or{Operands: ops}
}
