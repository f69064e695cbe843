package detect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/correlate"
)

// Engine evaluates a rule set over one stream of events: matching, then
// correlation in event time. It is not safe for concurrent use (the
// correlation state is one stream's); RuleSet.Matcher is, for callers
// that match in parallel and correlate afterwards (hunt).
type Engine struct {
	rs     *RuleSet
	corr   *correlate.Engine // nil without correlation rules
	behave *behave.Set       // nil without behaviour detectors
	// detectorRules stand for the detectors in alerts, one per detector.
	detectorRules map[string]*sigma.Rule
	buf           []*sigma.Rule
}

func newEngine(rs *RuleSet) *Engine {
	e := &Engine{rs: rs}
	if len(rs.correlations) > 0 {
		// The set passed correlate.New in compile.
		e.corr, _ = correlate.New(append(base(rs.expanded), rs.correlations...), rs.cfg.Correlation)
	}
	return e
}

// SetBehaviour adds behaviour detectors to the engine: every processed
// event goes through them too.
func (e *Engine) SetBehaviour(s *behave.Set) {
	e.behave = s
	e.detectorRules = map[string]*sigma.Rule{}
}

// Process matches ev and returns its alerts: the matches of rules not
// suppressed by a correlation, the correlation hits the matches complete,
// and the findings of the behaviour detectors. ref identifies ev in the
// alerts' evidence.
func (e *Engine) Process(ev *event.Event, ref string) []Alert {
	if ev.Kind != event.KindEvent {
		return nil
	}
	e.buf = e.rs.Matcher.Match(ev, e.buf[:0])
	var out []Alert
	for _, r := range e.buf {
		out = append(out, e.Matched(r, ev, ref)...)
	}
	return append(out, e.Behave(ev, ref)...)
}

// Behave passes ev to the behaviour detectors only, for callers that
// match in parallel and run the stateful parts afterwards (hunt).
func (e *Engine) Behave(ev *event.Event, ref string) []Alert {
	if e.behave == nil || ev.Kind != event.KindEvent {
		return nil
	}
	return e.findingAlerts(e.behave.Observe(ev, ref))
}

func (e *Engine) findingAlerts(fs []behave.Finding) []Alert {
	out := make([]Alert, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		r, ok := e.detectorRules[f.Detector]
		if !ok {
			r = &sigma.Rule{ID: "vigie.behave." + f.Detector, Title: f.Detector, Kind: sigma.KindDetection}
			e.detectorRules[f.Detector] = r
		}
		out = append(out, findingAlert(r, f))
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
// are decided, and the behaviour detectors decide what time decides.
func (e *Engine) Advance(t time.Time) []Alert {
	var out []Alert
	if e.corr != nil {
		out = hitAlerts(e.corr.Advance(t))
	}
	if e.behave != nil {
		out = append(out, e.findingAlerts(e.behave.Advance(t))...)
	}
	return out
}

// Flush ends the stream, deciding every open correlation window and
// what the behaviour detectors decide at the end of their input.
func (e *Engine) Flush() []Alert {
	var out []Alert
	if e.corr != nil {
		out = hitAlerts(e.corr.Flush())
	}
	if e.behave != nil {
		out = append(out, e.findingAlerts(e.behave.Flush())...)
	}
	return out
}

// engineState is the form of Snapshot.
type engineState struct {
	Correlation json.RawMessage `json:"correlation,omitempty"`
	Behaviour   json.RawMessage `json:"behaviour,omitempty"`
}

// Snapshot writes the correlation and behaviour state.
func (e *Engine) Snapshot(w io.Writer) error {
	var st engineState
	if e.corr != nil {
		var b bytes.Buffer
		if err := e.corr.Snapshot(&b); err != nil {
			return err
		}
		st.Correlation = b.Bytes()
	}
	if e.behave != nil {
		var b bytes.Buffer
		if err := e.behave.Snapshot(&b); err != nil {
			return err
		}
		st.Behaviour = b.Bytes()
	}
	return json.NewEncoder(w).Encode(st)
}

// Restore reads state written by Snapshot, possibly by an engine of an
// earlier rule set: state of rules or detectors that are gone is dropped.
func (e *Engine) Restore(r io.Reader) error {
	var st engineState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("reading detection state: %w", err)
	}
	var errs []error
	if e.corr != nil && len(st.Correlation) > 0 {
		errs = append(errs, e.corr.Restore(bytes.NewReader(st.Correlation)))
	}
	if e.behave != nil && len(st.Behaviour) > 0 {
		errs = append(errs, e.behave.Restore(bytes.NewReader(st.Behaviour)))
	}
	return errors.Join(errs...)
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
