package zeek

import (
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// plan is a TSV header compiled for one log path: the fields a record
// gives, Zeek's and ECS's, in name order. Filling an event slot by slot
// gives its fields already sorted, which halves the cost of a conn.log
// record (BenchmarkDecode/log=conn.log: sorting the fields afterwards took
// 60% of the time).
type plan struct {
	slots []slot
}

// slotKind says where a slot's values come from.
type slotKind uint8

const (
	fromColumn slotKind = iota // the column's own values
	derived                    // an ECS field derived from the column's values
	constant                   // the same value for every record
	totalBytes                 // network.bytes: the sum of two columns
)

// slot is one field name of a plan and where its values come from.
type slot struct {
	name   string
	kind   slotKind
	column int         // for fromColumn and derived
	how    derivation  // for derived
	value  event.Field // for constant
	orig   int         // for totalBytes: the orig_bytes and resp_bytes columns
	resp   int
}

// compile builds the plan for records with these columns of the log path.
func compile(columns []column, path string) *plan {
	var slots []slot
	index := map[string]int{}
	for i, c := range columns {
		slots = append(slots, slot{name: c.name, kind: fromColumn, column: i})
		if _, seen := index[c.name]; !seen {
			index[c.name] = i
		}
	}
	for _, a := range aliasesOf(path) {
		if i, ok := index[a.from]; ok {
			slots = append(slots, slot{name: a.to, kind: derived, column: i, how: a.how})
		}
	}
	for _, f := range constants(path) {
		slots = append(slots, slot{name: f.Name, kind: constant, value: f})
	}
	orig, hasOrig := index["orig_bytes"]
	resp, hasResp := index["resp_bytes"]
	if path == "conn" && hasOrig && hasResp {
		slots = append(slots, slot{name: event.NetworkBytes, kind: totalBytes, orig: orig, resp: resp})
	}
	slices.SortStableFunc(slots, func(a, b slot) int { return strings.Compare(a.name, b.name) })
	return &plan{slots: slots}
}

// fill sets e's fields from the values of one record, which h holds.
func (p *plan) fill(e *event.Event, h *header) {
	e.Fields = make([]event.Field, 0, len(p.slots)+len(h.values)-len(h.columns)+4)
	add := func(name, value string, t event.Type) {
		e.Fields = append(e.Fields, event.Field{Name: name, Value: value, Type: t})
	}
	for i := range p.slots {
		s := &p.slots[i]
		switch s.kind {
		case fromColumn:
			for _, v := range h.values[h.from[s.column]:h.to[s.column]] {
				add(s.name, v.Value, v.Type)
			}
		case derived:
			for _, v := range h.values[h.from[s.column]:h.to[s.column]] {
				derive(s.how, v.Value, v.Type, func(value string, t event.Type) { add(s.name, value, t) })
			}
		case constant:
			e.Fields = append(e.Fields, s.value)
		case totalBytes:
			orig, resp := h.values[h.from[s.orig]:h.to[s.orig]], h.values[h.from[s.resp]:h.to[s.resp]]
			if len(orig) == 1 && len(resp) == 1 {
				if total, ok := networkBytes(orig[0].Value, resp[0].Value); ok {
					add(s.name, total, event.Number)
				}
			}
		}
	}
}
