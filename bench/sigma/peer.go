package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/bradleyjkemp/sigma-go/evaluator/modifiers"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// The peer is sigma-go (github.com/bradleyjkemp/sigma-go v0.6.6, MIT), the
// Go Sigma library Vigie is measured against. This file sets it up to
// evaluate SigmaHQ rules over Windows events with the log source mapping of
// SigmaHQ's regression runner, sigma/tests/thor.yml, read by
// sigma.ParseConfig.
//
// How sigma-go applies a config (evaluator/indexes.go, fieldmappings.go):
//
//   - Matches ignores log sources; RelevantToEvent(ctx, index, event)
//     checks them. It is false unless the event's index is one of the
//     indexes of the config's mappings that fit the rule, and thor.yml
//     gives none: every mapping is given the index peerIndex here.
//   - Every mapping that fits the rule adds its conditions, ANDed
//     ("TODO: … logsourcemerging"). thor.yml's two process_creation
//     mappings (EventID 1 and EventID 4688) would then never hold
//     together, so each rule is given one evaluator per alternative: one
//     config per combination of one mapping from each group of mappings
//     that give the same keys (category, product, service), as SigmaHQ
//     and Vigie combine them. sigma-go ANDs the mappings of one
//     combination itself.
//   - Field mappings are read from the config's top-level fieldmappings
//     only; thor.yml puts them inside log sources (4688's Image →
//     NewProcessName), which ParseConfig drops. They are read here and set
//     as the top-level mappings of the alternative's config.
const peerIndex = "windows"

// peerRule is one rule compiled by sigma-go, with an evaluator per log
// source alternative.
type peerRule struct {
	id, file string
	rule     sigmago.Rule
	alts     []*evaluator.RuleEvaluator
	altCfgs  []sigmago.Config
	altNames []string // the thor.yml mappings of each alternative, joined with "+"
	// eventIDs holds, per alternative, the EventID values its conditions
	// allow; nil when they do not test EventID. It lets callers skip
	// RelevantToEvent where it must be false.
	eventIDs []map[string]bool
}

// thorConfig is thor.yml read by sigma-go, plus the per-log-source field
// mappings sigma-go drops.
type thorConfig struct {
	cfg    sigmago.Config
	fields map[string]map[string]string // mapping name → rule field → event field
	names  []string                     // mapping names, sorted
}

// readThor reads sigma/tests/thor.yml.
func readThor(path string) (*thorConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := sigmago.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("sigma-go parsing %s: %w", path, err)
	}
	var raw struct {
		Logsources map[string]struct {
			Fieldmappings map[string]string `yaml:"fieldmappings"`
		} `yaml:"logsources"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	t := &thorConfig{cfg: cfg, fields: map[string]map[string]string{}}
	for name, ls := range raw.Logsources {
		t.fields[name] = ls.Fieldmappings
	}
	for name := range cfg.Logsources {
		t.names = append(t.names, name)
	}
	sort.Strings(t.names)
	return t, nil
}

// alternatives returns, for a rule's log source, the configs of its
// alternatives (see the comment on peerIndex) and their names. None when
// thor.yml maps no part of the log source: sigma-go then finds the rule
// relevant to no event.
func (t *thorConfig) alternatives(ls sigmago.Logsource) ([]sigmago.Config, []string) {
	groups := map[string][]string{} // key set → mapping names
	var keys []string
	for _, name := range t.names {
		m := t.cfg.Logsources[name]
		// The fit test of sigma-go's calculateIndexes.
		if (m.Category != "" && m.Category != ls.Category) || (m.Product != "" && m.Product != ls.Product) || (m.Service != "" && m.Service != ls.Service) {
			continue
		}
		k := fmt.Sprint(m.Category != "", m.Product != "", m.Service != "")
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], name)
	}
	combos := [][]string{nil}
	for _, k := range keys {
		var next [][]string
		for _, c := range combos {
			for _, name := range groups[k] {
				next = append(next, append(append([]string(nil), c...), name))
			}
		}
		combos = next
	}
	if len(keys) == 0 {
		return nil, nil
	}
	var cfgs []sigmago.Config
	var names []string
	for _, c := range combos {
		cfg := sigmago.Config{Title: t.cfg.Title, Logsources: map[string]sigmago.LogsourceMapping{}, FieldMappings: map[string]sigmago.FieldMapping{}}
		for _, name := range c {
			m := t.cfg.Logsources[name]
			m.Index = []string{peerIndex}
			cfg.Logsources[name] = m
			for from, to := range t.fields[name] {
				cfg.FieldMappings[from] = sigmago.FieldMapping{TargetNames: []string{to}}
			}
		}
		cfgs = append(cfgs, cfg)
		names = append(names, strings.Join(c, "+"))
	}
	return cfgs, names
}

// newPeerRule compiles one parsed rule with sigma-go.
func newPeerRule(t *thorConfig, id, file string, r sigmago.Rule) *peerRule {
	p := &peerRule{id: id, file: file, rule: r}
	cfgs, names := t.alternatives(r.Logsource)
	for i, cfg := range cfgs {
		p.alts = append(p.alts, evaluator.ForRule(r, evaluator.WithConfig(cfg)))
		p.altCfgs = append(p.altCfgs, cfg)
		p.altNames = append(p.altNames, names[i])
		var ids map[string]bool
		for _, m := range cfg.Logsources {
			for _, em := range m.Conditions.EventMatchers {
				for _, fm := range em {
					if fm.Field != "EventID" {
						continue
					}
					allowed := map[string]bool{}
					for _, v := range fm.Values {
						allowed[fmt.Sprint(v)] = true
					}
					if ids != nil { // two mappings test EventID: both must hold
						for k := range ids {
							if !allowed[k] {
								delete(ids, k)
							}
						}
					} else {
						ids = allowed
					}
				}
			}
		}
		p.eventIDs = append(p.eventIDs, ids)
	}
	return p
}

// peerUnsupported returns, sorted, what in r sigma-go cannot evaluate: the
// conditions under which its evaluator returns an error, found the way it
// finds them (evaluator/evaluate_search.go): a search of keywords ("keywords
// unsupported"); modifiers that modifiers.GetComparator rejects (an
// unknown one, or a comparison not in last place), after removing a final
// "all"; and values that are not scalars (a YAML null) or that start and
// end with "%" (read as placeholders, which need an expander). sigma-go
// only reports such an error when evaluation reaches the field (the fields
// of a map stop at the first that does not match), so a rule with one may
// still match some events; it is left out of speed comparisons.
func peerUnsupported(r sigmago.Rule) []string {
	seen := map[string]bool{}
	for _, s := range r.Detection.Searches {
		if len(s.Keywords) > 0 {
			seen["keywords"] = true
		}
		for _, em := range s.EventMatchers {
			for _, fm := range em {
				mods := fm.Modifiers
				if len(mods) > 0 && mods[len(mods)-1] == "all" {
					mods = mods[:len(mods)-1]
				}
				if _, err := modifiers.GetComparator(fm.Field, modifiers.Comparators, mods...); err != nil {
					seen["modifiers "+strings.Join(fm.Modifiers, "|")] = true
				}
				for _, v := range fm.Values {
					switch v := v.(type) {
					case string:
						if strings.HasPrefix(v, "%") && strings.HasSuffix(v, "%") {
							seen["placeholder"] = true
						}
					case int, float32, float64, bool:
					default:
						seen["null value"] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parsePeerRule parses a rule file with sigma-go. Only the file's first
// YAML document is read (sigma.ParseRule uses yaml.Unmarshal).
func parsePeerRule(path string) (sigmago.Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return sigmago.Rule{}, err
	}
	return sigmago.ParseRule(data)
}

// hasAggregation reports whether a condition of r carries a Sigma v1
// aggregation ("| count() by …"), which sigma-go evaluates only with a
// count implementation and Vigie as a correlation.
func hasAggregation(r sigmago.Rule) bool {
	for _, c := range r.Detection.Conditions {
		if c.Aggregation != nil {
			return true
		}
	}
	return false
}

// match reports whether the rule matches ev (see peerEvent): whether an
// alternative is relevant to it and its detection matches. eventID is
// ev's EventID as text, used to skip alternatives whose conditions
// exclude it (RelevantToEvent would return false for them). The error is
// sigma-go's, from evaluating the detection.
func (p *peerRule) match(ctx context.Context, ev map[string]any, eventID string) (bool, error) {
	for i, alt := range p.alts {
		if ids := p.eventIDs[i]; ids != nil && !ids[eventID] {
			continue
		}
		ok, err := alt.RelevantToEvent(ctx, peerIndex, ev)
		if err != nil {
			return false, fmt.Errorf("log source %s: %w", p.altNames[i], err)
		}
		if !ok {
			continue
		}
		res, err := alt.Matches(ctx, ev)
		if err != nil {
			return false, err
		}
		if res.Match {
			return true, nil
		}
	}
	return false, nil
}

// peerEvent renders an event's fields as the map sigma-go reads: strings,
// numbers as int (sigma-go's numeric comparisons accept int and float64,
// not int64 or json.Number), booleans, nil for a Null value, and a
// []any for a field with several values.
func peerEvent(e *event.Event) map[string]any { return detect.FieldMap(e, peerValue) }

func peerValue(f event.Field) any {
	switch f.Type {
	case event.Number:
		if n, err := strconv.Atoi(f.Value); err == nil {
			return n
		}
		if x, err := strconv.ParseFloat(f.Value, 64); err == nil {
			return x
		}
	case event.Bool:
		return f.Value == "true"
	case event.Null:
		return nil
	}
	return f.Value
}

// ruleFiles lists the .yml files under the folders, sorted.
func ruleFiles(folders []string) ([]string, error) {
	var out []string
	for _, dir := range folders {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
				out = append(out, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
