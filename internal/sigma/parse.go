package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid matches, with errors.Is, every *Error: a rule that does not
// follow the Sigma specification.
var ErrInvalid = errors.New("invalid sigma rule")

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Parse parses every YAML document of a rule file. file names the file in
// positions and errors only.
//
// Each document is parsed on its own: the rules of good documents are
// returned even when other documents fail, and the error joins (with
// errors.Join) one *Error per bad document. Empty documents are skipped.
// A document is a correlation rule when it has "correlation", a filter
// when it has "filter", and a detection rule otherwise. Attributes that
// the specification does not define are allowed and ignored.
//
// A detection rule whose condition ends in a deprecated Sigma v1 count
// aggregation ("sel | count() by IpAddress >= 5", "sel | count(User) by
// Ip > 3") also gets a Correlation: an event_count (count()) or a
// value_count (count(field)) over the rule itself, grouped by the "by"
// fields, whose Timespan is the detection's timeframe, or 0 without one,
// which the correlation engine treats as unbounded. The other v1
// aggregations (min, max, avg, sum, near) set Rule.Unsupported, as do
// regular expressions that are valid PCRE but that RE2 cannot run (see
// TranslateRegexp).
//
// Errors point at the offending node: a modifier inside its key, a value,
// the exact rune column inside a condition (quoted or block scalars
// included). YAML syntax errors carry the line yaml.v3 reports, and
// column 1.
func Parse(file string, data []byte) ([]*Rule, error) {
	src := &source{data: data}
	var rules []*Rule
	var errs []error
	for _, doc := range splitDocuments(data) {
		r, err := parseDocument(file, src, doc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if r != nil {
			rules = append(rules, r)
		}
	}
	return rules, errors.Join(errs...)
}

// ParseFile reads and parses one rule file.
func ParseFile(path string) ([]*Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading rule file: %w", err)
	}
	return Parse(path, data)
}

// Load parses the rule files named by paths. A directory is walked for
// files ending in .yml or .yaml, in lexical order; a file is parsed
// whatever its name. Load returns every good rule, in that order, and
// the errors of all files joined.
func Load(paths ...string) ([]*Rule, error) {
	var rules []*Rule
	var errs []error
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			ext := filepath.Ext(path)
			if path != root && ext != ".yml" && ext != ".yaml" {
				return nil
			}
			r, err := ParseFile(path)
			rules = append(rules, r...)
			if err != nil {
				errs = append(errs, err)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("loading rules: %w", err))
		}
	}
	return rules, errors.Join(errs...)
}

// document is one YAML document of a file: data[start:end], starting on
// line (1-based).
type document struct {
	start, end int
	line       int
}

// splitDocuments cuts data at each line starting with the document
// marker "---", so that a YAML error in one document does not hide the
// others.
func splitDocuments(data []byte) []document {
	var docs []document
	cur := document{line: 1}
	line := 1
	for off := 0; off < len(data); line++ {
		next := off
		for next < len(data) && lineBreak(data, next) == 0 {
			next++
		}
		text := data[off:next]
		if off > 0 && bytes.HasPrefix(text, []byte("---")) && (len(text) == 3 || text[3] == ' ' || text[3] == '\t') {
			cur.end = off
			docs = append(docs, cur)
			cur = document{start: off, line: line}
		}
		off = next + lineBreak(data, next)
		if next == len(data) {
			break
		}
	}
	cur.end = len(data)
	return append(docs, cur)
}

// yamlLine finds the line number in a yaml.v3 error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseDocument parses one document; it returns nil, nil for an empty one.
func parseDocument(file string, src *source, doc document) (*Rule, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src.data[doc.start:doc.end], &root); err != nil {
		// yaml.v3 reports a line but no column: the column is 1.
		e := &Error{File: file, Pos: Pos{doc.line, 1}, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			e.Msg = strings.TrimPrefix(err.Error(), m[0])
			if isYAMLParserError(e.Msg) {
				n++ // yaml.v3 reports the 0-based line of parser errors
			}
			// The end of the stream counts as one more line: stay in
			// the document.
			last := doc.line + countLines(src.data[doc.start:doc.end]) - 1
			e.Pos.Line = min(doc.line+n-1, last)
		}
		return nil, e
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, nil
	}
	shiftLines(&root, doc.line-1)
	n := root.Content[0]
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, nil
	}
	p := &parser{file: file, src: src}
	r, err := p.rule(n)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// isYAMLParserError reports whether msg is one of the errors of the
// yaml.v3 parser (as opposed to its scanner), whose line is 0-based.
func isYAMLParserError(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found undefined tag handle", "found duplicate %", "found incompatible YAML document"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// shiftLines adds delta to the line of n and of every node under it.
func shiftLines(n *yaml.Node, delta int) {
	if delta == 0 {
		return
	}
	n.Line += delta
	for _, c := range n.Content {
		shiftLines(c, delta)
	}
}

// parser parses one document.
type parser struct {
	file string
	src  *source
	// unsupported collects the reasons for Rule.Unsupported.
	unsupported []string
}

func (p *parser) errorf(pos Pos, format string, args ...any) *Error {
	return &Error{File: p.file, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unsupportedf(format string, args ...any) {
	p.unsupported = append(p.unsupported, fmt.Sprintf(format, args...))
}

func nodePos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// pair is one key and value of a YAML mapping.
type pair struct {
	key, value *yaml.Node
}

// pairs returns the entries of the mapping n, rejecting duplicate keys,
// merge keys and keys that are not scalars.
func (p *parser) pairs(n *yaml.Node) ([]pair, error) {
	out := make([]pair, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, p.errorf(nodePos(n.Content[i]), "a key must be a plain value")
		}
		if k.ShortTag() == "!!merge" {
			return nil, p.errorf(nodePos(k), "merge keys (<<) are not supported")
		}
		if seen[k.Value] {
			return nil, p.errorf(nodePos(k), "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		out = append(out, pair{k, v})
	}
	return out, nil
}

// text returns a scalar's value, "" for null.
func (p *parser) text(key, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errorf(nodePos(n), "%s must be a single value", key.Value)
	}
	if n.ShortTag() == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

// list returns a value that may be a list of scalars, a single scalar or
// null, as real rules write "tags", "references" and the like.
func (p *parser) list(key, n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, e := range n.Content {
			e = resolve(e)
			if e.Kind != yaml.ScalarNode {
				return nil, p.errorf(nodePos(e), "%s must be a list of values", key.Value)
			}
			if e.ShortTag() != "!!null" {
				out = append(out, e.Value)
			}
		}
		return out, nil
	}
	return nil, p.errorf(nodePos(n), "%s must be a list of values", key.Value)
}

// levels are the valid values of "level".
var levels = map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}

// rule parses a document's mapping.
func (p *parser) rule(n *yaml.Node) (*Rule, error) {
	r := &Rule{File: p.file, Pos: nodePos(n)}
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(r.Pos, "a rule must be a mapping of attributes")
	}
	entries, err := p.pairs(n)
	if err != nil {
		return nil, err
	}
	sections := map[string]pair{}
	var title *yaml.Node
	for _, e := range entries {
		k, v := e.key, e.value
		var err error
		switch k.Value {
		case "title":
			title = v
			r.Title, err = p.text(k, v)
		case "id":
			r.ID, err = p.text(k, v)
		case "name":
			r.Name, err = p.text(k, v)
		case "description":
			r.Description, err = p.text(k, v)
		case "status":
			r.Status, err = p.text(k, v)
		case "level":
			r.Level, err = p.text(k, v)
			if err == nil && r.Level != "" && !levels[r.Level] {
				err = p.errorf(nodePos(v), "unknown level %q (want informational, low, medium, high or critical)", r.Level)
			}
		case "author":
			var authors []string
			authors, err = p.list(k, v)
			r.Author = strings.Join(authors, ", ")
		case "date":
			r.Date, err = p.text(k, v)
		case "modified":
			r.Modified, err = p.text(k, v)
		case "tags":
			r.Tags, err = p.list(k, v)
		case "references":
			r.References, err = p.list(k, v)
		case "falsepositives":
			r.FalsePositives, err = p.list(k, v)
		case "fields":
			r.Fields, err = p.list(k, v)
		case "license":
			r.License, err = p.text(k, v)
		case "related":
			r.Related, err = p.related(k, v)
		case "logsource", "detection", "correlation", "filter":
			sections[k.Value] = e
		}
		if err != nil {
			return nil, err
		}
	}
	if title == nil || r.Title == "" {
		return nil, p.errorf(r.Pos, "missing title")
	}

	if c, ok := sections["correlation"]; ok {
		r.Kind = KindCorrelation
		if r.Correlation, err = p.correlation(c.key, c.value); err != nil {
			return nil, err
		}
	} else {
		ls, ok := sections["logsource"]
		if !ok {
			return nil, p.errorf(r.Pos, "missing logsource")
		}
		if r.Logsource, err = p.logsource(ls.key, ls.value); err != nil {
			return nil, err
		}
		if f, ok := sections["filter"]; ok {
			r.Kind = KindFilter
			if r.Filter, r.Detection, err = p.filter(f.key, f.value); err != nil {
				return nil, err
			}
		} else {
			d, ok := sections["detection"]
			if !ok {
				return nil, p.errorf(r.Pos, "missing detection")
			}
			var agg *aggregation
			if r.Detection, agg, err = p.detection(d.key, d.value, nil); err != nil {
				return nil, err
			}
			if agg != nil {
				r.Correlation = agg.correlation(r)
			}
		}
	}
	r.Unsupported = strings.Join(p.unsupported, "; ")
	return r, nil
}

// related parses "related": a list of {id, type}.
func (p *parser) related(key, n *yaml.Node) ([]Related, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(nodePos(n), "related must be a list of {id, type}")
	}
	var out []Related
	for _, e := range n.Content {
		e = resolve(e)
		if e.Kind != yaml.MappingNode {
			return nil, p.errorf(nodePos(e), "related must be a list of {id, type}")
		}
		entries, err := p.pairs(e)
		if err != nil {
			return nil, err
		}
		var rel Related
		for _, kv := range entries {
			switch kv.key.Value {
			case "id":
				rel.ID, err = p.text(kv.key, kv.value)
			case "type":
				rel.Type, err = p.text(kv.key, kv.value)
			}
			if err != nil {
				return nil, err
			}
		}
		if rel.ID == "" {
			return nil, p.errorf(nodePos(e), "related entry without an id")
		}
		out = append(out, rel)
	}
	return out, nil
}

// logsource parses "logsource". Attributes other than category, product,
// service and definition are allowed and ignored.
func (p *parser) logsource(key, n *yaml.Node) (Logsource, error) {
	ls := Logsource{Pos: nodePos(key)}
	if n.Kind != yaml.MappingNode {
		return ls, p.errorf(nodePos(n), "logsource must be a mapping of category, product, service")
	}
	entries, err := p.pairs(n)
	if err != nil {
		return ls, err
	}
	for _, e := range entries {
		var err error
		switch e.key.Value {
		case "category":
			ls.Category, err = p.text(e.key, e.value)
		case "product":
			ls.Product, err = p.text(e.key, e.value)
		case "service":
			ls.Service, err = p.text(e.key, e.value)
		case "definition":
			ls.Definition, err = p.text(e.key, e.value)
		}
		if err != nil {
			return ls, err
		}
	}
	return ls, nil
}
