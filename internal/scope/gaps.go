package scope

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// maxBaselineGaps bounds the gaps one timeline keeps to take their median.
const maxBaselineGaps = 50_000

// minBaselineGaps is how many gaps before the window a timeline needs for
// its silences to be judged: without them, its usual rhythm is unknown.
const minBaselineGaps = 10

// minBaselineSpan is how far before the window a timeline's history must
// reach for its silences to be judged: a workstation's longest gap is
// known only once a night has been seen.
const minBaselineSpan = 48 * time.Hour

// span is a silence between two events.
type span struct{ from, to time.Time }

// timeline follows one entity's events, seen newest first.
type timeline struct {
	newer       time.Time       // the event seen last (the next newer one)
	oldest      time.Time       // the oldest event seen
	base        []time.Duration // gaps before the window
	baseMax     time.Duration
	silences    []span // silences reaching into the window, at least MinGap long
	first, last time.Time
	events      int
}

// see takes the next event, older than every one before.
func (tl *timeline) see(t, from, to time.Time, minGap time.Duration) {
	if !t.Before(from) {
		if tl.events == 0 || t.After(tl.last) {
			tl.last = t
		}
		tl.first = t
		tl.events++
	}
	upper := to
	if !tl.newer.IsZero() {
		upper = tl.newer
	}
	if !upper.After(from) {
		if d := upper.Sub(t); len(tl.base) < maxBaselineGaps {
			tl.base = append(tl.base, d)
			tl.baseMax = max(tl.baseMax, d)
		}
	} else if upper.Sub(t) >= minGap {
		tl.silences = append(tl.silences, span{t, upper})
	}
	tl.newer, tl.oldest = t, t
}

// threshold is the silence past which the entity counts as silent:
// max(MinGap, GapFactor × the median gap, the longest gap) before the
// window. The longest gap keeps ordinary nights and weekends out.
func (tl *timeline) threshold(cfg Config, from time.Time) (time.Duration, time.Duration, bool) {
	if len(tl.base) < minBaselineGaps || from.Sub(tl.oldest) < minBaselineSpan {
		return 0, 0, false
	}
	gaps := slices.Clone(tl.base)
	slices.Sort(gaps)
	median := gaps[len(gaps)/2]
	thr := max(cfg.MinGap, time.Duration(cfg.GapFactor*float64(median)), tl.baseMax)
	return thr, median, true
}

// silentGaps returns the entity's silences in the window past its
// threshold, clipped to the window.
func (tl *timeline) silentGaps(name, kind string, cfg Config, from, to time.Time) []Gap {
	thr, median, ok := tl.threshold(cfg, from)
	if !ok {
		return nil
	}
	var out []Gap
	spans := tl.silences
	if tl.events == 0 && tl.newer.IsZero() {
		spans = []span{{from, to}}
	}
	for _, s := range spans {
		if s.to.Sub(s.from) <= thr {
			continue
		}
		why := fmt.Sprintf("silent for %s, longer than its threshold of %s (median gap %s, longest %s, over %d gaps before the window)",
			human(s.to.Sub(s.from)), human(thr), human(median), human(tl.baseMax), len(tl.base))
		out = append(out, Gap{Entity: name, Kind: kind, From: maxTime(s.from, from), To: minTime(s.to, to), Causes: []string{CauseSilence}, Text: why})
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// marker is an event or alert saying a log was cleared or stopped.
type marker struct {
	t      time.Time
	cause  string
	entity string // what went silent
	kind   string // "host" or "source"
	what   string // in words
	next   query.Expr
}

// markerOf reads a log-cleared or logging-stopped marker from an event:
// Windows 1102 (Security log cleared) and 104 (a log cleared), CloudTrail
// StopLogging and DeleteTrail.
func markerOf(ev *event.Event) (marker, bool) {
	host := get(ev, event.HostName)
	switch {
	case isWindows(ev) && (get(ev, event.EventCode) == "1102" || get(ev, event.EventCode) == "104") && host != "":
		log := "Security"
		if get(ev, event.EventCode) == "104" {
			log = firstOf(get(ev, "Channel"), get(ev, "winlog.user_data.Channel"), "a")
		}
		return marker{t: ev.Time, cause: CauseCleared, entity: host, kind: "host",
			what: fmt.Sprintf("the %s log of %s was cleared (event %s) by %s at %s", log, host, get(ev, event.EventCode), firstOf(get(ev, "SubjectUserName"), get(ev, event.UserName), "?"), stamp(ev.Time)),
			next: hostTerms([]string{hostKey(host)})}, true
	case get(ev, event.EventProvider) == "cloudtrail.amazonaws.com" && get(ev, event.EventOutcome) == event.OutcomeSuccess:
		action := get(ev, event.EventAction)
		if action != "StopLogging" && action != "DeleteTrail" {
			return marker{}, false
		}
		acct := get(ev, event.CloudAccountID)
		return marker{t: ev.Time, cause: CauseStopped, entity: "CloudTrail of AWS account " + acct, kind: "source",
			what: fmt.Sprintf("%s %s by %s from %s at %s", action, firstOf(get(ev, "requestParameters.name"), "a trail"), get(ev, event.UserName), get(ev, event.SourceIP), stamp(ev.Time)),
			next: allOf(&query.Term{Field: event.EventDataset, Value: "aws.cloudtrail"}, &query.Term{Field: event.CloudAccountID, Value: acct})}, true
	}
	return marker{}, false
}

// markers finds the logs cleared or stopped in the window, from the store
// and from the subject's alerts, and turns each, with the entity
// silences, into gaps.
func (b *builder) markers(ctx context.Context, alerts []*event.Event) error {
	expr := anyOf(
		allOf(terms(event.EventCode, []string{"1102", "104"}), &query.Term{Field: event.HostName, Value: "*", Wildcard: true, Pattern: "*"}),
		allOf(&query.Term{Field: event.EventProvider, Value: "cloudtrail.amazonaws.com"}, terms(event.EventAction, []string{"StopLogging", "DeleteTrail"})),
	)
	var ms []marker
	const maxMarkers = 1000
	err := b.each(ctx, store.Query{Expr: expr, From: b.from, To: b.to}, func(ev *event.Event) {
		if m, ok := markerOf(ev); ok && len(ms) < maxMarkers {
			ms = append(ms, m)
		}
	})
	if err != nil {
		return err
	}
	for _, a := range alerts {
		m, ok, err := b.alertMarker(ctx, a)
		if err != nil {
			return err
		}
		if ok {
			ms = append(ms, m)
		}
	}
	for _, m := range ms {
		end := b.to
		next, err := b.firstAfter(ctx, store.Query{Expr: m.next}, m.t.Add(time.Nanosecond), b.to)
		if err != nil {
			return err
		}
		if next != nil {
			end = next.Time
		}
		if !end.After(m.t) {
			continue
		}
		until := "the end of the window"
		if next != nil {
			until = "its next event"
		}
		b.gaps = append(b.gaps, Gap{Entity: m.entity, Kind: m.kind, From: m.t, To: end, Causes: []string{m.cause},
			Text: fmt.Sprintf("%s; nothing from it until %s", m.what, until)})
	}
	return nil
}

// alertMarker reads a marker from an alert of the "cleared" or "silence"
// detectors. A silence alert's gap begins its window before the alert.
func (b *builder) alertMarker(ctx context.Context, a *event.Event) (marker, bool, error) {
	det := get(a, "vigie.detector")
	name, _ := a.Get("rule.name")
	switch det {
	case "cleared":
		for _, f := range a.Values("vigie.evidence") {
			id, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil {
				continue
			}
			ev, err := b.s.Get(ctx, event.ID(id))
			if err != nil {
				continue // evidence pruned or not an ID: the alert still says when
			}
			if m, ok := markerOf(ev); ok {
				return m, true, nil
			}
		}
		if host := get(a, event.HostName); host != "" {
			return marker{t: a.Time, cause: CauseCleared, entity: host, kind: "host",
				what: fmt.Sprintf("alert %q at %s", name, stamp(a.Time)), next: hostTerms([]string{hostKey(host)})}, true, nil
		}
	case "silence":
		w, err := strconv.ParseFloat(get(a, "vigie.why.window_seconds"), 64)
		host := get(a, event.HostName)
		if err != nil || w <= 0 || host == "" {
			return marker{}, false, nil
		}
		from := a.Time.Add(-time.Duration(w * float64(time.Second)))
		next := hostTerms([]string{hostKey(host)})
		if ds := get(a, event.EventDataset); ds != "" {
			next = allOf(next, &query.Term{Field: event.EventDataset, Value: ds})
		}
		return marker{t: from, cause: CauseSilence, entity: host, kind: "host",
			what: fmt.Sprintf("alert %q at %s", name, stamp(a.Time)), next: next}, true, nil
	}
	return marker{}, false, nil
}

// mergeGaps joins the gaps of one entity that overlap, keeping every
// cause and reason, and writes their text.
func mergeGaps(gaps []Gap) []Gap {
	slices.SortFunc(gaps, func(a, b Gap) int {
		return cmp.Or(cmp.Compare(gapKey(a), gapKey(b)), a.From.Compare(b.From))
	})
	var out []Gap
	for _, g := range gaps {
		if n := len(out); n > 0 && gapKey(out[n-1]) == gapKey(g) && !g.From.After(out[n-1].To) {
			last := &out[n-1]
			last.To = maxTime(last.To, g.To)
			for _, c := range g.Causes {
				if !slices.Contains(last.Causes, c) {
					last.Causes = append(last.Causes, c)
				}
			}
			last.Text += "; " + g.Text
			if len(g.Entity) > len(last.Entity) {
				last.Entity = g.Entity
			}
			continue
		}
		out = append(out, g)
	}
	for i := range out {
		g := &out[i]
		g.Text = fmt.Sprintf("unknown: no logs from %s between %s and %s (%s): %s", g.Entity, stamp(g.From), stamp(g.To), human(g.To.Sub(g.From)), g.Text)
	}
	slices.SortFunc(out, func(a, b Gap) int { return cmp.Or(a.From.Compare(b.From), strings.Compare(a.Entity, b.Entity)) })
	return out
}

// human writes a duration briefly: 45s, 12m, 3h20m, 2d4h.
func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh%02dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	days := int(d.Hours()) / 24
	return fmt.Sprintf("%dd%dh", days, int(d.Hours())%24)
}

// gapKey is the entity of a gap, folded as its kind folds names.
func gapKey(g Gap) string {
	switch g.Kind {
	case "host":
		return "host:" + hostKey(g.Entity)
	case "account":
		return "account:" + accountKey(g.Entity)
	}
	return g.Kind + ":" + strings.ToLower(g.Entity)
}
