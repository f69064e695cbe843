package sigma

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// correlationTypes maps the names of the correlation types.
var correlationTypes = map[string]CorrelationType{
	"event_count":      EventCount,
	"value_count":      ValueCount,
	"temporal":         Temporal,
	"temporal_ordered": TemporalOrdered,
	"value_sum":        ValueSum,
	"value_avg":        ValueAvg,
	"value_percentile": ValuePercentile,
}

// thresholdOps are the comparisons of a correlation condition.
var thresholdOps = map[string]bool{"gt": true, "gte": true, "lt": true, "lte": true, "eq": true, "neq": true}

// correlation parses a "correlation" section.
func (p *parser) correlation(key, n *yaml.Node) (*Correlation, error) {
	c := &Correlation{Pos: nodePos(key)}
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(nodePos(n), "correlation must be a mapping")
	}
	entries, err := p.pairs(n)
	if err != nil {
		return nil, err
	}
	var typeNode, rulesNode, timespanNode, condNode *yaml.Node
	for _, e := range entries {
		k, v := e.key, e.value
		var err error
		switch k.Value {
		case "type":
			typeNode = v
			var name string
			if name, err = p.text(k, v); err == nil {
				var ok bool
				if c.Type, ok = correlationTypes[name]; !ok {
					err = p.errorf(nodePos(v), "unknown correlation type %q (want event_count, value_count, temporal, temporal_ordered, value_sum, value_avg or value_percentile)", name)
				}
			}
		case "rules":
			rulesNode = v
			c.Rules, err = p.list(k, v)
		case "group-by":
			c.GroupBy, err = p.list(k, v)
		case "timespan":
			timespanNode = v
			var text string
			if text, err = p.text(k, v); err == nil {
				if c.Timespan, err = ParseDuration(text); err != nil {
					err = p.errorf(nodePos(v), "timespan: %v", err)
				}
			}
		case "aliases":
			c.Aliases, err = p.aliases(v)
		case "condition":
			condNode = v
			err = p.threshold(c, v)
		case "generate":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
				err = p.errorf(nodePos(v), "generate must be true or false")
			}
			c.Generate = v.Value == "true" || v.Value == "True" || v.Value == "TRUE"
		default:
			err = p.errorf(nodePos(k), "unknown correlation attribute %q", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case typeNode == nil:
		return nil, p.errorf(c.Pos, "correlation has no type")
	case rulesNode == nil || len(c.Rules) == 0:
		return nil, p.errorf(c.Pos, "correlation has no rules")
	case timespanNode == nil:
		return nil, p.errorf(c.Pos, "correlation has no timespan")
	}
	switch c.Type {
	case Temporal, TemporalOrdered:
		if len(c.Condition) == 0 {
			c.Condition = []Threshold{{Op: "gte", Value: float64(len(c.Rules))}}
		}
	default:
		if len(c.Condition) == 0 {
			return nil, p.errorf(c.Pos, "%s correlation has no condition", c.Type)
		}
		if c.Field == "" && c.Type != EventCount {
			return nil, p.errorf(nodePos(condNode), "%s correlation needs a field in its condition", c.Type)
		}
	}
	return c, nil
}

// threshold parses a correlation's "condition".
func (p *parser) threshold(c *Correlation, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(nodePos(n), "correlation condition must be a mapping like {gte: 10}")
	}
	entries, err := p.pairs(n)
	if err != nil {
		return err
	}
	for _, e := range entries {
		k, v := e.key, e.value
		switch {
		case k.Value == "field":
			fields, err := p.list(k, v)
			if err != nil {
				return err
			}
			switch len(fields) {
			case 0:
				return p.errorf(nodePos(v), "correlation condition: empty field")
			case 1:
				c.Field = fields[0]
			default:
				c.Field = fields[0]
				p.unsupportedf("correlation condition: %s over several fields %s", c.Type, strings.Join(fields, ", "))
			}
		case thresholdOps[k.Value]:
			x, ok := parseNumber(v.Value)
			if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!bool" || v.ShortTag() == "!!null" || !ok {
				return p.errorf(nodePos(v), "correlation condition: %s needs a number", k.Value)
			}
			c.Condition = append(c.Condition, Threshold{Op: k.Value, Value: x})
		default:
			return p.errorf(nodePos(k), "correlation condition: unknown key %q (want gt, gte, lt, lte, eq, neq or field)", k.Value)
		}
	}
	return nil
}

// aliases parses a correlation's "aliases": alias → rule → field.
func (p *parser) aliases(n *yaml.Node) (map[string]map[string]string, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(nodePos(n), "aliases must map each alias to a mapping of rule to field")
	}
	entries, err := p.pairs(n)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]string, len(entries))
	for _, e := range entries {
		if e.value.Kind != yaml.MappingNode {
			return nil, p.errorf(nodePos(e.value), "alias %q must map rule names to fields", e.key.Value)
		}
		fields, err := p.pairs(e.value)
		if err != nil {
			return nil, err
		}
		m := make(map[string]string, len(fields))
		for _, f := range fields {
			if m[f.key.Value], err = p.text(f.key, f.value); err != nil {
				return nil, err
			}
		}
		out[e.key.Value] = m
	}
	return out, nil
}

// filterReserved are the keys of a filter section that are not search
// identifiers.
var filterReserved = map[string]bool{"rules": true}

// filter parses a "filter" section: its rules, and the rest as a
// detection.
func (p *parser) filter(key, n *yaml.Node) (*Filter, *Detection, error) {
	f := &Filter{Pos: nodePos(key)}
	if n.Kind != yaml.MappingNode {
		return nil, nil, p.errorf(nodePos(n), "filter must be a mapping of rules, search identifiers and a condition")
	}
	entries, err := p.pairs(n)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if e.key.Value == "rules" {
			if f.Rules, err = p.list(e.key, e.value); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(f.Rules) == 0 {
		return nil, nil, p.errorf(f.Pos, "filter has no rules")
	}
	d, agg, err := p.detection(key, n, filterReserved)
	if err != nil {
		return nil, nil, err
	}
	if agg != nil {
		return nil, nil, p.errorf(agg.pos, "condition: a filter cannot aggregate")
	}
	return f, d, nil
}

// ParseDuration parses a correlation timespan or a detection timeframe: a
// positive whole number followed by s (seconds), m (minutes), h (hours),
// d (days) or w (weeks).
func ParseDuration(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid duration %q: want a number and a unit s, m, h, d or w, like 5m", s)
	}
	num, unit := s[:len(s)-1], s[len(s)-1]
	var scale time.Duration
	switch unit {
	case 's':
		scale = time.Second
	case 'm':
		scale = time.Minute
	case 'h':
		scale = time.Hour
	case 'd':
		scale = 24 * time.Hour
	case 'w':
		scale = 7 * 24 * time.Hour
	case 'M', 'y', 'Y':
		return 0, fmt.Errorf("invalid duration %q: months and years have no fixed length; use days (d)", s)
	case 'S', 'H', 'D', 'W':
		return 0, fmt.Errorf("invalid duration %q: the unit is lower-case (%c)", s, unit+'a'-'A')
	default:
		return 0, fmt.Errorf("invalid duration %q: want a number and a unit s, m, h, d or w, like 5m", s)
	}
	n, err := strconv.ParseUint(num, 10, 63)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("invalid duration %q: too long", s)
		}
		return 0, fmt.Errorf("invalid duration %q: want a whole number before the unit", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("invalid duration %q: must be positive", s)
	}
	if n > uint64(1<<63-1)/uint64(scale) {
		return 0, fmt.Errorf("invalid duration %q: too long", s)
	}
	return time.Duration(n) * scale, nil
}
