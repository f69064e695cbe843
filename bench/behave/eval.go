package main

import (
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/geoip"
)

// evaluation is the outcome of the detectors and rules on one dataset.
type evaluation struct {
	detectors map[string]*score // by detector name
	rules     map[string]*score // by "rule: " and title
	// findings are the detectors' raw findings, for reproducers.
	findings []behave.Finding
	elapsed  time.Duration // the detectors' pass over the events
}

// evaluate runs every behaviour detector and, when rs is not nil, the
// rules over d, and scores them.
func evaluate(d *dataset, rs *detect.RuleSet) (*evaluation, error) {
	db, err := geoip.Open(d.geoPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	set := behave.NewSet(detectors(db)...)
	start := time.Now()
	fs := runDetectors(d.events, set)
	ev := &evaluation{findings: fs, elapsed: time.Since(start)}
	ev.detectors = scoreAlerts(d, findingAlerts(fs))
	for _, name := range detectorNames {
		if ev.detectors[name] == nil {
			ev.detectors[name] = &score{stages: map[string]bool{}, records: map[string]bool{}, falsePositives: map[string]int{}}
		}
	}
	if rs != nil {
		ev.rules = scoreAlerts(d, runRules(d.events, rs))
	}
	return ev, nil
}

// loadRules loads and compiles the Sigma rules under paths.
func loadRules(paths ...string) (*detect.RuleSet, error) {
	rs, err := detect.Load(detect.Config{}, paths...)
	if err != nil {
		return nil, err
	}
	if len(rs.Rules) == 0 {
		return nil, fmt.Errorf("no Sigma rules in %v", paths)
	}
	return rs, nil
}

// stageCoverage lists, per stage, the detectors and rules whose evidence
// names at least one of its labelled records.
func stageCoverage(ev *evaluation) map[string][]string {
	out := map[string][]string{}
	for _, group := range []map[string]*score{ev.detectors, ev.rules} {
		for name, s := range group {
			for stage := range s.stages {
				out[stage] = append(out[stage], name)
			}
		}
	}
	return out
}

// stageRecall is the share of a stage's labelled records that the
// evidence of some detector or rule names.
func stageRecall(d *dataset, ev *evaluation, stage string, withRules bool) float64 {
	hit := map[string]bool{}
	groups := []map[string]*score{ev.detectors}
	if withRules {
		groups = append(groups, ev.rules)
	}
	for _, group := range groups {
		for _, s := range group {
			for ref := range s.records {
				if d.labels[ref].Stage == stage {
					hit[ref] = true
				}
			}
		}
	}
	if d.byStage[stage] == 0 {
		return 0
	}
	return float64(len(hit)) / float64(d.byStage[stage])
}
