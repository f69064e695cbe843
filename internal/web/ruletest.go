package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// Bounds of a rule test: it runs in the request, so it reads a bounded
// number of events, a page at a time, within a time limit.
const (
	testRecent     = 5000  // events tested by default
	maxTestRecent  = 50000 // events tested at most
	testPage       = 2000  // events read per store call
	testTimeout    = 30 * time.Second
	testShown      = 50 // matches listed
	maxTestRules   = 50 // rule documents in one test
	testRuleFile   = "rule.yml"
	maxTestRefsURL = 20 // events of a correlation hit linked at most
)

// ruleTestForm is what the test form sends.
type ruleTestForm struct {
	YAML   string
	Recent string
}

// ruleTest is the outcome of testing a rule.
type ruleTest struct {
	// Problems are the rules' parse errors and unsupported parts, as
	// rule.yml:LINE[:COL]: message; the test did not run when set.
	Problems []string
	Rules    []string // titles of the rules tested
	Events   int      // events tested
	From, To time.Time
	// Stopped says why fewer events than asked were tested, if so.
	Stopped string
	Matches int
	ByRule  map[string]int
	Shown   []ruleMatch
}

// ruleMatch is one alert the tested rule would have raised.
type ruleMatch struct {
	Time   time.Time
	Title  string
	Kind   string
	Level  string
	Event  event.ID // the matching event, for a match
	Events int      // the events of a correlation hit
	Search string   // a search for them (up to maxTestRefsURL)
}

// testRule compiles the posted rule and runs it over recent events. It
// stores nothing.
func (s *server) testRule(w http.ResponseWriter, r *http.Request, v *view) error {
	f := ruleTestForm{YAML: r.PostFormValue("yaml"), Recent: strings.TrimSpace(r.PostFormValue("recent"))}
	d, err := s.rulesData(r.Context())
	if err != nil {
		return err
	}
	d.Form = f
	t := &ruleTest{}
	d.Test = t
	n := testRecent
	if f.Recent != "" {
		n, err = strconv.Atoi(f.Recent)
		if err != nil || n <= 0 || n > maxTestRecent {
			t.Problems = []string{fmt.Sprintf("Events to test: write a number from 1 to %d (got %q).", maxTestRecent, f.Recent)}
		}
	}
	var rs *detect.RuleSet
	if len(t.Problems) == 0 {
		rs, t.Problems, err = compileTestRule(f.YAML)
		if err != nil {
			return err
		}
	}
	status := http.StatusBadRequest
	if len(t.Problems) == 0 {
		status = http.StatusOK
		for _, rep := range rs.Reports {
			t.Rules = append(t.Rules, rep.Title)
		}
		ctx, cancel := context.WithTimeout(r.Context(), testTimeout)
		defer cancel()
		if err := s.runRuleTest(ctx, rs, n, t); err != nil {
			return err
		}
	}
	v.Title, v.Nav, v.Data = "Rules", "rules", d
	s.render(w, status, "rules", v)
	return nil
}

// compileTestRule loads yaml as a rule file in a temporary folder. The
// problems name positions in rule.yml; err is for the server's faults.
func compileTestRule(yaml string) (*detect.RuleSet, []string, error) {
	if strings.TrimSpace(yaml) == "" {
		return nil, []string{"Paste a Sigma rule in YAML."}, nil
	}
	dir, err := os.MkdirTemp("", "vigie-ruletest-")
	if err != nil {
		return nil, nil, fmt.Errorf("testing a rule: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, testRuleFile), []byte(yaml), 0o600); err != nil {
		return nil, nil, fmt.Errorf("testing a rule: %w", err)
	}
	rs, err := detect.Load(detect.Config{}, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("testing a rule: %w", err)
	}
	var problems []string
	for _, rep := range rs.Reports {
		switch rep.Status {
		case detect.StatusOK:
		case detect.StatusInvalid:
			// The reason is the parser's file:line:col: message.
			msg := strings.ReplaceAll(rep.Reason, dir+string(filepath.Separator), "")
			if !strings.HasPrefix(msg, testRuleFile+":") {
				msg = fmt.Sprintf("%s:%d: %s", testRuleFile, rep.Line, msg)
			}
			problems = append(problems, msg)
		default:
			problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", testRuleFile, rep.Line, rep.Status, rep.Reason))
		}
	}
	switch {
	case len(problems) > 0:
	case len(rs.Reports) == 0:
		problems = []string{"The YAML holds no rule."}
	case len(rs.Reports) > maxTestRules:
		problems = []string{fmt.Sprintf("Test at most %d rules at once (got %d).", maxTestRules, len(rs.Reports))}
	}
	return rs, problems, nil
}

// runRuleTest runs rs over the n most recent stored events that are not
// alerts, in time order. Search returns them newest first, so a first
// pass finds the page cursors and a second reads the pages again from
// the oldest: only one page is in memory at a time.
func (s *server) runRuleTest(ctx context.Context, rs *detect.RuleSet, n int, t *ruleTest) error {
	notAlert := &query.Not{Operand: &query.Term{Field: "event.kind", Value: event.KindAlert.String()}}
	page := func(before event.ID, limit int) ([]*event.Event, error) {
		return s.cfg.Store.Search(ctx, store.Query{Expr: notAlert, Before: before, Limit: limit})
	}
	type span struct {
		before event.ID
		limit  int
	}
	var spans []span
	var before event.ID
	for left := n; left > 0; {
		list, err := page(before, min(left, testPage))
		if err != nil {
			return t.stop(ctx, fmt.Errorf("reading recent events: %w", err))
		}
		if len(list) == 0 {
			break
		}
		spans = append(spans, span{before, len(list)})
		left -= len(list)
		before = list[len(list)-1].ID
		if len(list) < min(left+len(list), testPage) {
			break
		}
	}
	eng := rs.NewEngine()
	t.ByRule = map[string]int{}
	for i := len(spans) - 1; i >= 0; i-- {
		list, err := page(spans[i].before, spans[i].limit)
		if err != nil {
			if err := t.stop(ctx, fmt.Errorf("reading recent events: %w", err)); err != nil {
				return err
			}
			break
		}
		for j := len(list) - 1; j >= 0; j-- {
			ev := list[j]
			if t.From.IsZero() {
				t.From = ev.Time
			}
			t.To = ev.Time
			t.Events++
			t.add(eng.Process(ev, strconv.FormatInt(int64(ev.ID), 10)))
		}
	}
	t.add(eng.Flush())
	return nil
}

// stop ends a test that ran out of time, keeping what it found; other
// errors are the server's.
func (t *ruleTest) stop(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Stopped = fmt.Sprintf("The test stopped at its time limit (%s), after %d events.", testTimeout, t.Events)
		return nil
	}
	return err
}

func (t *ruleTest) add(alerts []detect.Alert) {
	for i := range alerts {
		a := &alerts[i]
		t.Matches++
		t.ByRule[a.Title()]++
		if len(t.Shown) == testShown {
			continue
		}
		m := ruleMatch{Time: a.Time, Title: a.Title(), Kind: a.Kind, Level: a.Level()}
		if a.Event != nil {
			m.Event = a.Event.ID
		}
		m.Events = len(a.Refs) + a.Truncated
		var ids []string
		for _, ref := range a.Refs[:min(len(a.Refs), maxTestRefsURL)] {
			if _, err := strconv.ParseInt(ref, 10, 64); err == nil {
				ids = append(ids, query.FieldID+":"+ref)
			}
		}
		m.Search = strings.Join(ids, " OR ")
		t.Shown = append(t.Shown, m)
	}
}
