package intel

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// Detector reports indicators of compromise found in events, as the
// behaviour detector "ioc". It keeps no state about events: Advance,
// Snapshot and Restore do nothing.
//
// Observe is called by one goroutine at a time, as behave.Detector says;
// Swap may be called from any goroutine while Observe runs, and takes
// effect from the next event.
type Detector struct {
	matcher atomic.Pointer[Matcher]
	hits    []Hit // Observe's scratch space
	// last is when each (indicator, who) pair last raised a finding, in
	// event time: a C2 address seen in thousands of connections of one
	// host is one alert per SuppressFor, not thousands. Observe and
	// Advance are called from one goroutine, as for every detector.
	last map[string]time.Time
}

// SuppressFor is how long, in event time, further hits of one indicator
// by the same host, address or account raise no new finding.
const SuppressFor = time.Hour

// maxSuppressed bounds the pairs remembered; beyond it the oldest half
// is forgotten.
const maxSuppressed = 100_000

var _ behave.Detector = (*Detector)(nil)

// NewDetector returns a Detector matching m's indicators; m may be nil
// (no indicators).
func NewDetector(m *Matcher) *Detector {
	d := &Detector{last: map[string]time.Time{}}
	d.Swap(m)
	return d
}

// Swap replaces the indicators matched. A nil m removes them all.
func (d *Detector) Swap(m *Matcher) {
	if m == nil {
		m = Compile(nil)
	}
	d.matcher.Store(m)
}

// Matcher returns the Matcher in use.
func (d *Detector) Matcher() *Matcher { return d.matcher.Load() }

// Name is "ioc".
func (d *Detector) Name() string { return "ioc" }

// Level returns the finding level of an indicator's confidence: high from
// 80, medium from 50, low below. Indicators come from outside and are
// often stale or shared infrastructure: none is critical on its own.
func Level(confidence int) string {
	switch {
	case confidence >= 80:
		return "high"
	case confidence >= 50:
		return "medium"
	}
	return "low"
}

// Observe returns one finding per indicator found in ev (see
// Matcher.Match). A finding's entities are the field and value that
// matched, and the indicator itself as threat.indicator.type,
// threat.indicator.name (its value), threat.feed.name (its source) and
// vigie.indicator.id; its Why gives the confidence as Observed and says
// which indicator, from which feed, valid when; its tags are the
// indicator's labels.
func (d *Detector) Observe(ev *event.Event, ref string) []behave.Finding {
	if ev.Kind != event.KindEvent {
		return nil
	}
	d.hits = d.matcher.Load().Match(ev, d.hits[:0])
	if len(d.hits) == 0 {
		return nil
	}
	var out []behave.Finding
	for _, h := range d.hits {
		key := h.Indicator.ID + "\x00" + who(ev, h)
		if t, ok := d.last[key]; ok && ev.Time.Sub(t) < SuppressFor && !ev.Time.Before(t) {
			continue
		}
		if len(d.last) >= maxSuppressed {
			d.forget()
		}
		d.last[key] = ev.Time
		out = append(out, finding(ev, ref, h))
	}
	clear(d.hits) // do not keep indicators of a swapped-out Matcher alive
	return out
}

func finding(ev *event.Event, ref string, h Hit) behave.Finding {
	ind := h.Indicator
	return behave.Finding{
		Detector: "ioc",
		Title:    "Indicator of compromise: " + ind.Value,
		Level:    Level(ind.Confidence),
		Time:     ev.Time,
		Entities: append([]behave.Entity{
			{Field: h.Field, Value: h.Value},
			{Field: "threat.indicator.type", Value: string(ind.Type)},
			{Field: "threat.indicator.name", Value: ind.Value},
			{Field: "threat.feed.name", Value: ind.Source},
			{Field: "vigie.indicator.id", Value: ind.ID},
		}, entities(ev, h)...),
		Why: behave.Why{
			Observed: float64(ind.Confidence),
			Unit:     "confidence",
			Text:     explain(h),
		},
		Evidence: []string{ref},
		Tags:     append([]string(nil), ind.Labels...),
	}
}

// explain says in one sentence which indicator matched:
// "destination.ip 198.51.100.7 is indicator indicator--… (ip
// 198.51.100.0/24) from feed X (confidence 90, valid from …)".
func explain(h Hit) string {
	ind := h.Indicator
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s is indicator %s", h.Field, h.Value, ind.ID)
	if ind.Value != h.Value {
		fmt.Fprintf(&b, " (%s %s)", ind.Type, ind.Value)
	}
	if ind.Name != "" {
		fmt.Fprintf(&b, " %q", ind.Name)
	}
	fmt.Fprintf(&b, " from feed %s (%s, confidence %d", ind.Source, ind.Format, ind.Confidence)
	if !ind.ValidFrom.IsZero() {
		b.WriteString(", valid from " + ind.ValidFrom.UTC().Format(time.RFC3339))
	}
	if !ind.ValidUntil.IsZero() {
		b.WriteString(", until " + ind.ValidUntil.UTC().Format(time.RFC3339))
	}
	b.WriteString(")")
	if len(ind.Labels) > 0 {
		b.WriteString("; labels " + strings.Join(ind.Labels, ", "))
	}
	return b.String()
}

// Advance does nothing: indicators decide nothing over time.
// who names the other side of a hit: the host, address or account that
// met the indicator.
func who(ev *event.Event, h Hit) string {
	for _, name := range []string{event.HostName, event.SourceIP, event.UserName, event.DestinationIP} {
		if name == h.Field {
			continue
		}
		if v, ok := ev.Get(name); ok && v != h.Value {
			return name + "=" + v
		}
	}
	return ""
}

// entities are the event's entity fields other than the hit, so that the
// alert names who met the indicator and joins that entity's incident.
func entities(ev *event.Event, h Hit) []behave.Entity {
	var out []behave.Entity
	for _, name := range event.EntityFields() {
		for _, f := range ev.Values(name) {
			if !(name == h.Field && f.Value == h.Value) && f.Value != "" {
				out = append(out, behave.Entity{Field: name, Value: f.Value})
			}
		}
	}
	return out
}

// Advance forgets the pairs whose suppression has ended.
func (d *Detector) Advance(now time.Time) []behave.Finding {
	for k, t := range d.last {
		if now.Sub(t) >= SuppressFor {
			delete(d.last, k)
		}
	}
	return nil
}

// forget drops the older half of the remembered pairs.
func (d *Detector) forget() {
	times := make([]time.Time, 0, len(d.last))
	for _, t := range d.last {
		times = append(times, t)
	}
	slices.SortFunc(times, time.Time.Compare)
	cut := times[len(times)/2]
	for k, t := range d.last {
		if t.Before(cut) {
			delete(d.last, k)
		}
	}
}

// Snapshot writes an empty JSON object: the Detector has no state of its
// own; its indicators are kept by the Store.
func (d *Detector) Snapshot(w io.Writer) error {
	_, err := io.WriteString(w, "{}")
	return err
}

// Restore reads nothing.
func (d *Detector) Restore(io.Reader) error { return nil }
