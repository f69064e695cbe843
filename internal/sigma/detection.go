package sigma

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Expand returns the search identifiers that the pattern of an Of
// expression selects, in file order: for "them", all whose names do not
// start with "_"; otherwise those whose names match the pattern, where "*"
// matches any run of characters.
func (d *Detection) Expand(pattern string) []*Search {
	var out []*Search
	for _, s := range d.Searches {
		if pattern == "them" {
			if !strings.HasPrefix(s.Name, "_") {
				out = append(out, s)
			}
		} else if matchWildcard(pattern, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// matchWildcard reports whether name matches pattern, in which "*" matches
// any run of characters and every other character itself.
func matchWildcard(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(name, part)
		if i < 0 {
			return false
		}
		name = name[i+len(part):]
	}
	return len(name) >= len(last) && strings.HasSuffix(name, last)
}

// detection parses a "detection" section, or the part of a "filter"
// section other than the keys in skip. It returns the deprecated
// aggregation of the condition, if any.
func (p *parser) detection(key, n *yaml.Node, skip map[string]bool) (*Detection, *aggregation, error) {
	d := &Detection{Pos: nodePos(key)}
	if n.Kind != yaml.MappingNode {
		return nil, nil, p.errorf(nodePos(n), "%s must be a mapping of search identifiers and a condition", key.Value)
	}
	entries, err := p.pairs(n)
	if err != nil {
		return nil, nil, err
	}
	var condKey, cond *yaml.Node
	for _, e := range entries {
		switch name := e.key.Value; {
		case skip[name]:
		case name == "condition":
			condKey, cond = e.key, e.value
		case name == "timeframe":
			text, err := p.text(e.key, e.value)
			if err != nil {
				return nil, nil, err
			}
			if d.Timeframe, err = ParseDuration(text); err != nil {
				return nil, nil, p.errorf(nodePos(e.value), "timeframe: %v", err)
			}
		default:
			s, err := p.search(e.key, e.value)
			if err != nil {
				return nil, nil, err
			}
			d.Searches = append(d.Searches, s)
		}
	}
	if cond == nil {
		return nil, nil, p.errorf(d.Pos, "%s has no condition", key.Value)
	}
	agg, err := p.condition(d, condKey, cond)
	if err != nil {
		return nil, nil, err
	}
	return d, agg, nil
}

// search parses one search identifier.
func (p *parser) search(key, n *yaml.Node) (*Search, error) {
	s := &Search{Name: key.Value, Pos: nodePos(key)}
	if s.Name == "" {
		return nil, p.errorf(s.Pos, "empty search identifier")
	}
	switch n.Kind {
	case yaml.MappingNode:
		group, err := p.group(s, n)
		if err != nil {
			return nil, err
		}
		s.Groups = [][]*Item{group}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, p.errorf(nodePos(n), "search %q is an empty list", s.Name)
		}
		var keywords *Item
		for _, e := range n.Content {
			e = resolve(e)
			switch e.Kind {
			case yaml.MappingNode:
				group, err := p.group(s, e)
				if err != nil {
					return nil, err
				}
				s.Groups = append(s.Groups, group)
			case yaml.ScalarNode:
				if keywords == nil {
					keywords = &Item{Pos: nodePos(e)}
					s.Groups = append(s.Groups, []*Item{keywords})
				}
				keywords.Values = append(keywords.Values, value(e))
			default:
				return nil, p.errorf(nodePos(e), "search %q: a list holds values or maps, not lists", s.Name)
			}
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil, p.errorf(nodePos(n), "search %q is empty", s.Name)
		}
		s.Groups = [][]*Item{{{Pos: nodePos(n), Values: []Value{value(n)}}}}
	default:
		return nil, p.errorf(nodePos(n), "search %q must be a map or a list", s.Name)
	}
	return s, nil
}

// group parses a map of a search: its items are ANDed.
func (p *parser) group(s *Search, n *yaml.Node) ([]*Item, error) {
	entries, err := p.pairs(n)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, p.errorf(nodePos(n), "search %q has an empty map", s.Name)
	}
	group := make([]*Item, 0, len(entries))
	for _, e := range entries {
		it, err := p.item(s, e.key, e.value)
		if err != nil {
			return nil, err
		}
		group = append(group, it)
	}
	return group, nil
}

// item parses one "field|modifiers: values" entry.
func (p *parser) item(s *Search, key, n *yaml.Node) (*Item, error) {
	field, mods, _ := strings.Cut(key.Value, "|")
	it := &Item{Pos: nodePos(key), Field: field}
	if mods != "" || strings.HasSuffix(key.Value, "|") {
		it.Modifiers = strings.Split(mods, "|")
	}
	switch n.Kind {
	case yaml.ScalarNode:
		it.Values = []Value{value(n)}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, p.errorf(nodePos(n), "%s: empty list of values", describe(s, it))
		}
		for _, e := range n.Content {
			e = resolve(e)
			if e.Kind != yaml.ScalarNode {
				return nil, p.errorf(nodePos(e), "%s: a value must be a plain value, not a list or map", describe(s, it))
			}
			it.Values = append(it.Values, value(e))
		}
	default:
		return nil, p.errorf(nodePos(n), "%s: the value must be a plain value or a list of them, not a map", describe(s, it))
	}
	if err := p.modifiers(s, it, key); err != nil {
		return nil, err
	}
	return it, nil
}

// describe names an item in messages.
func describe(s *Search, it *Item) string {
	if it.Field == "" {
		return fmt.Sprintf("search %q: keywords", s.Name)
	}
	return fmt.Sprintf("search %q: field %q", s.Name, it.Field)
}

// value converts a YAML scalar into a Value.
func value(n *yaml.Node) Value {
	v := Value{Text: n.Value, Pos: nodePos(n)}
	switch n.ShortTag() {
	case "!!null":
		v.Kind, v.Text = Null, ""
	case "!!bool":
		v.Kind, v.Text = Bool, strings.ToLower(n.Value)
	case "!!int", "!!float":
		v.Kind = Number
	}
	return v
}
