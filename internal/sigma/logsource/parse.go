package logsource

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// ErrSyntax is matched (errors.Is) by every error Parse returns for a
// mapping file that is not valid.
var ErrSyntax = errors.New("invalid logsource mapping")

// ParseError is a problem at a position in a mapping file. Col is 0 when
// only the line is known (a YAML syntax error).
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
}

// Error returns "file:line:col: message".
func (e *ParseError) Error() string {
	if e.Col == 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Is reports whether target is ErrSyntax.
func (e *ParseError) Is(target error) bool { return target == ErrSyntax }

// Parse reads a mapping file (the format is in the package documentation).
// file names it in errors. Every problem found is reported, joined with
// errors.Join; each is a *ParseError.
func Parse(file string, data []byte) (*Mapping, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	p := &parser{file: file}
	m := &Mapping{}
	if len(doc.Content) == 0 {
		return nil, &ParseError{File: file, Line: 1, Col: 1, Msg: `empty file: want a mapping with "entries"`}
	}
	root := resolve(doc.Content[0])
	p.mapping(root, func(key string, k, v *yaml.Node) {
		switch key {
		case "entries":
			m.entries = p.entries(v)
		default:
			p.errorf(k, "unknown key %q (want entries)", key)
		}
	})
	if p.errs == nil && m.entries == nil {
		p.errorf(root, `missing "entries"`)
	}
	if p.errs != nil {
		return nil, errors.Join(p.errs...)
	}
	return m, nil
}

// yamlLine finds the line number in a message of the YAML library
// ("yaml: line 3: mapping values are not allowed in this context").
var yamlLine = regexp.MustCompile(`line (\d+): `)

// yamlError turns an error of the YAML library into a *ParseError.
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 1
	if loc := yamlLine.FindStringSubmatchIndex(msg); loc != nil {
		line, _ = strconv.Atoi(msg[loc[2]:loc[3]])
		msg = msg[loc[1]:]
	}
	return &ParseError{File: file, Line: line, Msg: msg}
}

// parser collects the errors of one file.
type parser struct {
	file string
	errs []error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &ParseError{File: p.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// mapping calls fn for each key of the mapping n, in order, reporting a
// node that is not a mapping, keys that are not plain text and duplicate
// keys.
func (p *parser) mapping(n *yaml.Node, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "want a mapping")
		return
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			p.errorf(k, "want a plain key")
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k.Value, k, v)
	}
}

// scalar returns the text of a non-empty scalar, or reports n.
func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		p.errorf(n, "want a non-empty %s", what)
		return "", false
	}
	return n.Value, true
}

func (p *parser) entries(n *yaml.Node) []Entry {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "entries: want a list")
		return nil
	}
	out := make([]Entry, 0, len(n.Content))
	names := make(map[string]*yaml.Node, len(n.Content))
	for _, item := range n.Content {
		item = resolve(item)
		en, ok := p.entry(item)
		if !ok {
			continue
		}
		if first, dup := names[en.Name]; dup {
			p.errorf(item, "duplicate entry name %q (first at line %d)", en.Name, first.Line)
			continue
		}
		names[en.Name] = item
		out = append(out, en)
	}
	return out
}

func (p *parser) entry(n *yaml.Node) (Entry, bool) {
	var en Entry
	before := len(p.errs)
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			en.Name, _ = p.scalar(v, "name")
		case "category":
			en.Category, _ = p.scalar(v, "category")
		case "product":
			en.Product, _ = p.scalar(v, "product")
		case "service":
			en.Service, _ = p.scalar(v, "service")
		case "conditions":
			en.Conditions = p.conditions(v)
		case "fields":
			en.Fields = p.fields(v)
		default:
			p.errorf(k, "unknown key %q (want name, category, product, service, conditions or fields)", key)
		}
	})
	if n.Kind != yaml.MappingNode {
		return Entry{}, false
	}
	if en.Name == "" && len(p.errs) == before {
		p.errorf(n, "entry has no name")
	}
	if en.Category == "" && en.Product == "" && en.Service == "" && len(p.errs) == before {
		p.errorf(n, "entry %q gives none of category, product and service", en.Name)
	}
	return en, len(p.errs) == before
}

func (p *parser) conditions(n *yaml.Node) []Condition {
	var out []Condition
	p.mapping(n, func(field string, k, v *yaml.Node) {
		c := Condition{Field: field}
		switch v.Kind {
		case yaml.SequenceNode:
			if len(v.Content) == 0 {
				p.errorf(v, "condition %s: empty list of values", field)
				return
			}
			for _, item := range v.Content {
				if s, ok := p.scalar(resolve(item), "value"); ok {
					c.Values = append(c.Values, s)
				}
			}
		default:
			if s, ok := p.scalar(v, "value"); ok {
				c.Values = []string{s}
			}
		}
		if c.Values != nil {
			out = append(out, c)
		}
	})
	return out
}

func (p *parser) fields(n *yaml.Node) map[string]string {
	out := make(map[string]string)
	p.mapping(n, func(from string, k, v *yaml.Node) {
		if to, ok := p.scalar(v, "field name"); ok {
			out[from] = to
		}
	})
	return out
}
