package correlate

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// snapshotVersion is written in every snapshot; Restore refuses others.
const snapshotVersion = 1

// snapshot is the JSON shape of an Engine's state. Rules are named by
// ruleKey; times are Unix nanoseconds.
type snapshot struct {
	Version      int                   `json:"version"`
	Watermark    int64                 `json:"watermark"`
	Released     int64                 `json:"released"`
	Seq          uint64                `json:"seq"`
	Stats        Stats                 `json:"stats"`
	Pending      []snapshotMatch       `json:"pending,omitempty"`
	Correlations []snapshotCorrelation `json:"correlations,omitempty"`
}

type snapshotMatch struct {
	Rule   string      `json:"rule"`
	Time   int64       `json:"time"`
	Ref    string      `json:"ref"`
	Seq    uint64      `json:"seq"`
	Fields [][2]string `json:"fields,omitempty"`
}

type snapshotCorrelation struct {
	Rule        string `json:"rule"`
	Fingerprint string `json:"fingerprint"`
	// Groups are listed from the least to the most recently updated.
	Groups []snapshotGroup `json:"groups,omitempty"`
}

type snapshotGroup struct {
	Values     []string        `json:"values"`
	LastSeen   int64           `json:"last_seen"`
	QuietUntil int64           `json:"quiet_until"`
	Fired      bool            `json:"fired,omitempty"`
	WindowEnd  int64           `json:"window_end,omitempty"`
	Entries    []snapshotEntry `json:"entries,omitempty"`
}

type snapshotEntry struct {
	Time      int64    `json:"time"`
	Slot      int      `json:"slot"`
	Value     *string  `json:"value,omitempty"` // nil when the match lacked the field
	Refs      []string `json:"refs,omitempty"`
	Truncated int      `json:"truncated,omitempty"`
}

// Snapshot writes the engine's state (reorder buffer, windows, counters)
// as versioned JSON, for Restore after a restart.
func (e *Engine) Snapshot(w io.Writer) error {
	s := snapshot{Version: snapshotVersion, Watermark: e.watermark, Released: e.released, Seq: e.seq, Stats: e.stats}
	pending := slices.Clone(e.pending)
	slices.SortFunc(pending, func(a, b *match) int {
		if pendingHeap([]*match{a, b}).Less(0, 1) {
			return -1
		}
		return 1
	})
	for _, m := range pending {
		sm := snapshotMatch{Rule: ruleKey(m.rule), Time: m.time, Ref: m.ref, Seq: m.seq}
		for _, f := range m.fields {
			sm.Fields = append(sm.Fields, [2]string{f.Name, f.Value})
		}
		s.Pending = append(s.Pending, sm)
	}
	for _, c := range e.corrs {
		sc := snapshotCorrelation{Rule: c.key, Fingerprint: c.fingerprint}
		for g := c.oldest; g != nil; g = g.newer {
			sg := snapshotGroup{Values: g.values, LastSeen: g.lastSeen, QuietUntil: g.quietUntil, Fired: g.fired, WindowEnd: g.windowEnd}
			for _, en := range g.entries {
				se := snapshotEntry{Time: en.time, Slot: en.slot, Refs: en.refs, Truncated: en.truncated}
				if en.hasValue {
					se.Value = &en.value
				}
				sg.Entries = append(sg.Entries, se)
			}
			sc.Groups = append(sc.Groups, sg)
		}
		s.Correlations = append(s.Correlations, sc)
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(&s); err != nil {
		return fmt.Errorf("writing correlation snapshot: %w", err)
	}
	return nil
}

// Restore replaces the engine's state with a snapshot written by
// Snapshot, from an engine built from the same rules or an edited rule
// set: the state of correlation rules that no longer exist or whose
// correlation section changed is dropped, and so are buffered matches of
// rules no correlation refers to any more.
func (e *Engine) Restore(r io.Reader) error {
	var s snapshot
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("reading correlation snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("reading correlation snapshot: version %d, want %d", s.Version, snapshotVersion)
	}
	e.watermark, e.released, e.seq, e.stats = s.Watermark, s.Released, s.Seq, s.Stats
	e.stats.Groups, e.stats.Pending = 0, 0
	e.pending = e.pending[:0]
	for _, sm := range s.Pending {
		rule := e.rulesByKey[sm.Rule]
		if _, ok := e.need[rule]; rule == nil || !ok {
			continue
		}
		m := &match{time: sm.Time, ref: sm.Ref, seq: sm.Seq, rule: rule, refs: []string{sm.Ref}}
		for _, f := range sm.Fields {
			m.fields = append(m.fields, event.Field{Name: f[0], Value: f[1]})
		}
		e.pending = append(e.pending, m)
	}
	heap.Init(&e.pending)
	for _, c := range e.corrs {
		c.groups = map[string]*group{}
		c.newest, c.oldest = nil, nil
		c.closing = c.closing[:0]
	}
	for _, sc := range s.Correlations {
		c := e.byKey[sc.Rule]
		if c == nil || c.fingerprint != sc.Fingerprint {
			continue
		}
		for _, sg := range sc.Groups {
			if len(sg.Values) != len(c.def.GroupBy) {
				return fmt.Errorf("reading correlation snapshot: rule %s: group of %d values, want %d", sc.Rule, len(sg.Values), len(c.def.GroupBy))
			}
			g := e.newGroup(c, strings.Join(sg.Values, "\x00"), sg.Values, sg.LastSeen)
			g.quietUntil, g.fired = sg.QuietUntil, sg.Fired
			if g.heapIndex >= 0 {
				g.windowEnd = sg.WindowEnd
				heap.Fix(&c.closing, g.heapIndex)
			} else if c.atClose {
				g.windowEnd = math.MaxInt64
			}
			for _, se := range sg.Entries {
				if se.Slot < 0 || se.Slot >= len(c.def.Rules) {
					return fmt.Errorf("reading correlation snapshot: rule %s: slot %d out of range", sc.Rule, se.Slot)
				}
				en := entry{time: se.Time, slot: se.Slot, refs: se.Refs, truncated: se.Truncated}
				if se.Value != nil {
					en.value, en.hasValue = *se.Value, true
					n, ok := parseNumber(en.value)
					en.num, en.isNum = n, ok
				}
				g.push(c, en)
			}
		}
	}
	return nil
}
