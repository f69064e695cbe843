package detect

import (
	"io"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/correlate"
)

// Engine evaluates a rule set over one stream of events: matching, then
// correlation in event time. It is not safe for concurrent use (the
// correlation state is one stream's); RuleSet.Matcher is, for callers
// that match in parallel and correlate afterwards (hunt).
type Engine struct {
	rs   *RuleSet
	corr *correlate.Engine // nil without correlation rules
	buf  []*sigma.Rule
}

func newEngine(rs *RuleSet) *Engine {
	e := &Engine{rs: rs}
	if len(rs.correlations) > 0 {
		// The set passed correlate.New in compile.
		e.corr, _ = correlate.New(append(base(rs.expanded), rs.correlations...), rs.cfg.Correlation)
	}
	return e
}

// Process matches ev and returns its alerts: the matches of rules not
// suppressed by a correlation, and the correlation hits the matches
// complete. ref identifies ev in the alerts' evidence.
func (e *Engine) Process(ev *event.Event, ref string) []Alert {
	if ev.Kind != event.KindEvent {
		return nil
	}
	e.buf = e.rs.Matcher.Match(ev, e.buf[:0])
	var out []Alert
	for _, r := range e.buf {
		out = append(out, e.Matched(r, ev, ref)...)
	}
	return out
}

// Matched handles one match found by the caller with RuleSet.Matcher:
// the alert for it unless a correlation suppresses it, and the hits it
// completes.
func (e *Engine) Matched(r *sigma.Rule, ev *event.Event, ref string) []Alert {
	var out []Alert
	if !e.rs.Suppressed(r) {
		out = append(out, matchAlert(r, ev, ref))
	}
	return append(out, e.Correlate(r, ev, ref)...)
}

// Correlate feeds one match to the correlation rules and returns the hits
// it completes. Matches must come in event time order, give or take the
// configured lateness.
func (e *Engine) Correlate(r *sigma.Rule, ev *event.Event, ref string) []Alert {
	if e.corr == nil || !e.rs.Correlated(r) {
		return nil
	}
	return hitAlerts(e.corr.Observe(r, ev, ref))
}

// Advance moves event time to t: correlation windows that end before it
// are decided.
func (e *Engine) Advance(t time.Time) []Alert {
	if e.corr == nil {
		return nil
	}
	return hitAlerts(e.corr.Advance(t))
}

// Flush ends the stream, deciding every open correlation window.
func (e *Engine) Flush() []Alert {
	if e.corr == nil {
		return nil
	}
	return hitAlerts(e.corr.Flush())
}

// Snapshot writes the correlation state.
func (e *Engine) Snapshot(w io.Writer) error {
	if e.corr == nil {
		return nil
	}
	return e.corr.Snapshot(w)
}

// Restore reads state written by Snapshot, possibly by an engine of an
// earlier rule set: state of rules that are gone is dropped.
func (e *Engine) Restore(r io.Reader) error {
	if e.corr == nil {
		return nil
	}
	return e.corr.Restore(r)
}

// Stats returns the correlation state counters.
func (e *Engine) Stats() correlate.Stats {
	if e.corr == nil {
		return correlate.Stats{}
	}
	return e.corr.Stats()
}

func hitAlerts(hits []correlate.Hit) []Alert {
	out := make([]Alert, 0, len(hits))
	for _, h := range hits {
		out = append(out, hitAlert(h))
	}
	return out
}

// Correlated reports whether matches of r feed a correlation rule, so that
// a caller that correlates later (hunt) keeps them.
func (rs *RuleSet) Correlated(r *sigma.Rule) bool { return rs.correlated[r] }

// Suppressed reports whether matches of r are not alerts on their own: r
// feeds correlations and none of them asks to generate its matches
// (Sigma's "generate", false by default).
func (rs *RuleSet) Suppressed(r *sigma.Rule) bool { return rs.suppressed[r] }

// CorrelationFields returns the event fields correlation rules read
// (group-by fields, aliased fields, condition fields): a caller that keeps
// matches for later correlation (hunt) needs only these.
func (rs *RuleSet) CorrelationFields() map[string]bool {
	fields := map[string]bool{}
	for _, c := range rs.correlations {
		for _, f := range c.Correlation.GroupBy {
			fields[f] = true
		}
		for _, byRule := range c.Correlation.Aliases {
			for _, f := range byRule {
				fields[f] = true
			}
		}
		if c.Correlation.Field != "" {
			fields[c.Correlation.Field] = true
		}
	}
	return fields
}
