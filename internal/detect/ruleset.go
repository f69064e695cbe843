package detect

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/correlate"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
	"github.com/vigie-sec/vigie/internal/sigma/match"
)

// Status says whether a rule is evaluated.
type Status string

// The statuses "vigie rules lint" reports.
const (
	StatusOK          Status = "ok"
	StatusUnsupported Status = "unsupported"
	StatusInvalid     Status = "invalid"
	StatusDisabled    Status = "disabled" // turned off by an analyst (Config.Disabled)
)

// RuleReport is the lint line of one rule, or of one rule document that
// could not be parsed (then ID and Title may be empty).
type RuleReport struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Title  string `json:"title,omitempty"`
	Kind   string `json:"kind,omitempty"` // detection, correlation, filter
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Config says how to load rules.
type Config struct {
	// Sources maps log sources to events; nil means logsource.Default().
	Sources *logsource.Mapping
	// Placeholders are the values of expand placeholders (%name%).
	Placeholders map[string][]string
	// Correlation tunes correlation state.
	Correlation correlate.Config
	// Disabled are the IDs of rules left out.
	Disabled map[string]bool
}

// RuleSet is a loaded, compiled rule set. It is immutable and safe for
// concurrent use; correlation state lives in an Engine.
type RuleSet struct {
	Rules   []*sigma.Rule // every parsed rule
	Reports []RuleReport  // one per rule and per unparsable document, by file and line
	Matcher *match.Matcher
	cfg     Config
	// expanded are the rules compiled: Rules with each v1 aggregation
	// split into a base rule and a correlation rule.
	expanded []*sigma.Rule
	// correlated are the rules whose matches feed a correlation;
	// suppressed those whose matches are not alerts on their own.
	correlated, suppressed map[*sigma.Rule]bool
	// correlations are the correlation rules that passed correlate.New;
	// nil when there are none or they are invalid.
	correlations []*sigma.Rule
}

// Load parses the rule files and folders in paths and compiles them. A
// rule that cannot be parsed or evaluated does not stop the others: each
// is reported with its reason in Reports. The error is for what prevents
// loading anything at all (an unreadable path).
func Load(cfg Config, paths ...string) (*RuleSet, error) {
	rules, err := sigma.Load(paths...)
	var reports []RuleReport
	if err != nil {
		bad, other := splitRuleErrors(err)
		if other != nil {
			return nil, other
		}
		reports = append(reports, bad...)
	}
	return compile(cfg, rules, reports), nil
}

// Compile builds a rule set from parsed rules.
func Compile(cfg Config, rules []*sigma.Rule) *RuleSet {
	return compile(cfg, rules, nil)
}

func compile(cfg Config, rules []*sigma.Rule, reports []RuleReport) *RuleSet {
	if cfg.Sources == nil {
		cfg.Sources = logsource.Default()
	}
	// Disabled rules are reported and left out; a correlation over a
	// disabled rule is then reported invalid, naming the missing rule.
	if len(cfg.Disabled) > 0 {
		var kept []*sigma.Rule
		for _, r := range rules {
			if r.ID != "" && cfg.Disabled[r.ID] {
				reports = append(reports, RuleReport{File: r.File, Line: r.Pos.Line, ID: r.ID, Title: r.Title,
					Kind: r.Kind.String(), Status: StatusDisabled, Reason: "disabled"})
				continue
			}
			kept = append(kept, r)
		}
		rules = kept
	}
	rs := &RuleSet{Rules: rules, cfg: cfg, correlated: map[*sigma.Rule]bool{}, suppressed: map[*sigma.Rule]bool{}}
	// A Sigma v1 aggregation ("selection | count() by IpAddress > 5") is a
	// detection rule carrying a correlation over itself: split it into a
	// base rule, whose matches only feed the correlation, and the
	// correlation rule, which reports under the original id.
	split := map[*sigma.Rule][2]*sigma.Rule{}
	var expanded []*sigma.Rule
	for _, r := range rules {
		if r.Kind != sigma.KindDetection || r.Correlation == nil || r.Unsupported != "" {
			expanded = append(expanded, r)
			continue
		}
		b := *r
		b.ID, b.Name, b.Correlation = r.ID+"/events", "", nil
		c := *r
		c.Kind, c.Detection, c.Logsource = sigma.KindCorrelation, nil, sigma.Logsource{}
		cc := *r.Correlation
		cc.Rules = []string{b.ID}
		c.Correlation = &cc
		split[r] = [2]*sigma.Rule{&b, &c}
		expanded = append(expanded, &b, &c)
	}
	rs.expanded = expanded
	rs.Matcher = match.Compile(expanded, match.Config{Sources: cfg.Sources, Placeholders: cfg.Placeholders})
	status := make(map[*sigma.Rule]match.RuleStatus, len(rules))
	for _, st := range rs.Matcher.Status() {
		status[st.Rule] = st
	}
	// Correlation rules are checked as a set; one bad rule makes
	// correlate.New fail, so bad ones are found and left out one by one.
	var corr []*sigma.Rule
	for _, r := range expanded {
		if r.Kind == sigma.KindCorrelation {
			corr = append(corr, r)
		}
	}
	corrErr := map[*sigma.Rule]string{}
	for len(corr) > 0 {
		_, err := correlate.New(append(base(expanded), corr...), cfg.Correlation)
		if err == nil {
			break
		}
		bad := badCorrelations(err, corr)
		if len(bad) == 0 {
			for _, r := range corr {
				corrErr[r] = err.Error()
			}
			corr = nil
			break
		}
		for r, msg := range bad {
			corrErr[r] = msg
		}
		corr = without(corr, bad)
	}
	rs.correlations = corr
	generated := map[*sigma.Rule]bool{}
	for _, c := range corr {
		for _, ref := range c.Correlation.Rules {
			for _, r := range expanded {
				if ref != "" && (ref == r.ID || ref == r.Name) {
					rs.correlated[r] = true
					generated[r] = generated[r] || c.Correlation.Generate
				}
			}
		}
	}
	for r := range rs.correlated {
		rs.suppressed[r] = !generated[r]
	}

	for _, r := range rules {
		rep := RuleReport{File: r.File, Line: r.Pos.Line, ID: r.ID, Title: r.Title, Kind: r.Kind.String(), Status: StatusOK}
		matched, correlation := r, r
		if parts, ok := split[r]; ok {
			matched, correlation = parts[0], parts[1]
		}
		switch {
		case r.Unsupported != "":
			rep.Status, rep.Reason = StatusUnsupported, r.Unsupported
		case corrErr[correlation] != "":
			rep.Status, rep.Reason = StatusInvalid, corrErr[correlation]
		case matched.Kind == sigma.KindCorrelation:
			// Evaluated by package correlate, checked above.
		default:
			if st, ok := status[matched]; ok && !st.OK {
				rep.Status, rep.Reason = StatusUnsupported, strings.TrimPrefix(st.Reason, "unsupported: ")
			}
		}
		reports = append(reports, rep)
	}
	sort.SliceStable(reports, func(i, j int) bool {
		if reports[i].File != reports[j].File {
			return reports[i].File < reports[j].File
		}
		return reports[i].Line < reports[j].Line
	})
	rs.Reports = reports
	return rs
}

// base returns the rules correlations may refer to.
func base(rules []*sigma.Rule) []*sigma.Rule {
	var out []*sigma.Rule
	for _, r := range rules {
		if r.Kind == sigma.KindDetection {
			out = append(out, r)
		}
	}
	return out
}

// badCorrelations finds the correlation rules an error of correlate.New
// names by file and line.
func badCorrelations(err error, corr []*sigma.Rule) map[*sigma.Rule]string {
	bad := map[*sigma.Rule]string{}
	for _, e := range flatten(err) {
		var se *sigma.Error
		if !errors.As(e, &se) {
			continue
		}
		for _, r := range corr {
			if r.File == se.File && within(r, se.Pos.Line, corr) {
				bad[r] = se.Error()
			}
		}
	}
	return bad
}

// within reports whether line falls in r's document: at or after its
// first line and before the next document of the same file.
func within(r *sigma.Rule, line int, all []*sigma.Rule) bool {
	if line < r.Pos.Line {
		return false
	}
	for _, o := range all {
		if o != r && o.File == r.File && o.Pos.Line > r.Pos.Line && line >= o.Pos.Line {
			return false
		}
	}
	return true
}

func without(rules []*sigma.Rule, drop map[*sigma.Rule]string) []*sigma.Rule {
	var out []*sigma.Rule
	for _, r := range rules {
		if _, ok := drop[r]; !ok {
			out = append(out, r)
		}
	}
	return out
}

// splitRuleErrors separates the positioned errors of rule documents, which
// become invalid reports, from any other error.
func splitRuleErrors(err error) ([]RuleReport, error) {
	var reports []RuleReport
	var other []error
	for _, e := range flatten(err) {
		var se *sigma.Error
		if errors.As(e, &se) {
			reports = append(reports, RuleReport{File: se.File, Line: se.Pos.Line, Status: StatusInvalid, Reason: se.Error()})
			continue
		}
		other = append(other, e)
	}
	return reports, errors.Join(other...)
}

// flatten returns the errors joined in err.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// Counts returns how many rules have each status.
func (rs *RuleSet) Counts() map[Status]int {
	n := map[Status]int{}
	for _, r := range rs.Reports {
		n[r.Status]++
	}
	return n
}

// Summary is the one-line account of a rule set that hunt and serve print
// at start.
func (rs *RuleSet) Summary() string {
	n := rs.Counts()
	return fmt.Sprintf("%d rules: %d ok, %d unsupported, %d invalid (vigie rules lint lists them)",
		len(rs.Reports), n[StatusOK], n[StatusUnsupported], n[StatusInvalid])
}

// NewEngine returns an engine with fresh correlation state.
func (rs *RuleSet) NewEngine() *Engine {
	return newEngine(rs)
}
