package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// rulesView is the rules page's data.
type rulesView struct {
	Loaded  bool
	Summary string
	Counts  map[detect.Status]int
	Rules   []ruleRow
	// Switches says that rules can be turned off and on.
	Switches bool
	// Form and Test are the rule test's form and outcome.
	Form ruleTestForm
	Test *ruleTest
}

// ruleRow is a rule with its alerts in the store.
type ruleRow struct {
	detect.RuleReport
	Hits int64
	// Off says that the rule is turned off (RuleSwitches).
	Off bool
}

// maxRuleCounts bounds the per-rule counts made for one page: a full
// SigmaHQ set has thousands of rules.
const maxRuleCounts = 500

func (s *server) rules(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.rulesData(r.Context())
	if err != nil {
		return err
	}
	d.Form.Recent = strconv.Itoa(testRecent)
	return s.show(w, "rules", "Rules", "rules", v, d)
}

// rulesData is the rules page's data but for the test form.
func (s *server) rulesData(ctx context.Context) (*rulesView, error) {
	d := &rulesView{Switches: s.cfg.RuleSwitches != nil}
	var off map[string]bool
	if d.Switches {
		var err error
		if off, err = s.cfg.RuleSwitches.Disabled(ctx); err != nil {
			return nil, fmt.Errorf("reading disabled rules: %w", err)
		}
	}
	var rs *detect.RuleSet
	if s.cfg.Rules != nil {
		rs = s.cfg.Rules()
	}
	if rs != nil {
		d.Loaded, d.Summary, d.Counts = true, rs.Summary(), rs.Counts()
		counted := 0
		for _, rep := range rs.Reports {
			row := ruleRow{RuleReport: rep, Hits: -1, Off: rep.ID != "" && off[rep.ID]}
			if rep.Status == detect.StatusOK && rep.ID != "" && counted < maxRuleCounts {
				counted++
				n, err := s.cfg.Store.Count(ctx, store.Query{Expr: &query.And{Operands: []query.Expr{
					&query.Term{Field: "event.kind", Value: "alert"}, &query.Term{Field: "rule.id", Value: rep.ID, Phrase: true}}}})
				if err != nil {
					return nil, fmt.Errorf("counting alerts of rule %s: %w", rep.ID, err)
				}
				row.Hits = n
			}
			d.Rules = append(d.Rules, row)
		}
	}
	return d, nil
}
