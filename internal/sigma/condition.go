package sigma

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// ParseCondition parses a detection condition: search identifiers,
// "1 of PATTERN", "all of PATTERN" ("them" or a name with "*"
// wildcards), "not", "and", "or" (binding in that order, from tightest)
// and parentheses; keywords are case-insensitive. Positions are relative
// to text, which starts at line 1, column 1, and count runes.
//
// ParseCondition checks the syntax only: Parse also checks the names
// against the rule's search identifiers. A deprecated aggregation
// ("| count() by Field > 5") is an error here; Parse accepts it in a
// rule's condition.
func ParseCondition(text string) (Expr, error) {
	positions := textPositions(text)
	toRel := func(p Pos) Pos { return positions[min(p.Col-1, len(positions)-1)] }
	expr, agg, err := parseCondition(text)
	if err == nil && agg != nil {
		err = &conditionError{agg.offset, "an aggregation (| count() ...) is only allowed in a rule's condition"}
	}
	if err != nil {
		ce := err.(*conditionError)
		return nil, &Error{Pos: toRel(Pos{1, ce.offset + 1}), Msg: ce.msg}
	}
	relocate(expr, toRel)
	return expr, nil
}

// conditionError is an error at a rune offset of a condition.
type conditionError struct {
	offset int
	msg    string
}

func (e *conditionError) Error() string { return fmt.Sprintf("offset %d: %s", e.offset, e.msg) }

// relocate rewrites the positions of the tree with f. Positions out of
// parseCondition hold the rune offset in Col-1.
func relocate(e Expr, f func(Pos) Pos) {
	switch e := e.(type) {
	case *Ident:
		e.Pos = f(e.Pos)
	case *Of:
		e.Pos = f(e.Pos)
	case *Not:
		e.Pos = f(e.Pos)
		relocate(e.X, f)
	case *And:
		e.Pos = f(e.Pos)
		for _, a := range e.Args {
			relocate(a, f)
		}
	case *Or:
		e.Pos = f(e.Pos)
		for _, a := range e.Args {
			relocate(a, f)
		}
	}
}

// token is a word or a punctuation of a condition.
type token struct {
	offset int    // in runes
	text   string // "(", ")", "|" or a word; "" at the end
}

func (t token) is(keyword string) bool { return strings.EqualFold(t.text, keyword) }

func (t token) describe() string {
	if t.text == "" {
		return "end of condition"
	}
	return strconv.Quote(t.text)
}

// isWordRune reports whether r may appear in a search identifier or a
// pattern.
func isWordRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || r == '*' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// lex splits text into tokens, up to the first "|", which starts an
// aggregation; it returns the tokens and the rune offset of the "|", or -1.
func lex(text string) ([]token, int, error) {
	var toks []token
	runes := []rune(text)
	for i := 0; i < len(runes); {
		r := runes[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')':
			toks = append(toks, token{i, string(r)})
			i++
		case r == '|':
			return append(toks, token{offset: i}), i, nil
		case isWordRune(r):
			start := i
			for i < len(runes) && isWordRune(runes[i]) {
				i++
			}
			toks = append(toks, token{start, string(runes[start:i])})
		default:
			return nil, -1, &conditionError{i, fmt.Sprintf("unexpected character %q", r)}
		}
	}
	end := len(runes)
	for end > 0 && unicode.IsSpace(runes[end-1]) {
		end--
	}
	return append(toks, token{offset: end}), -1, nil
}

// conditionParser is a recursive-descent parser over tokens.
type conditionParser struct {
	toks []token
	next int
}

func (p *conditionParser) peek() token { return p.toks[p.next] }

func (p *conditionParser) take() token {
	t := p.toks[p.next]
	if p.next < len(p.toks)-1 {
		p.next++
	}
	return t
}

// parseCondition parses a condition and its aggregation, if any.
// Positions hold the rune offset in Col-1; errors are *conditionError.
func parseCondition(text string) (Expr, *aggregation, error) {
	toks, pipe, err := lex(text)
	if err != nil {
		return nil, nil, err
	}
	p := &conditionParser{toks: toks}
	if len(toks) == 1 {
		return nil, nil, &conditionError{toks[0].offset, "empty condition"}
	}
	expr, err := p.or()
	if err != nil {
		return nil, nil, err
	}
	if t := p.peek(); t.text != "" {
		return nil, nil, &conditionError{t.offset, fmt.Sprintf("unexpected %s: want and, or, or the end of the condition", t.describe())}
	}
	if pipe < 0 {
		return expr, nil, nil
	}
	agg, err := parseAggregation(text, pipe)
	if err != nil {
		return nil, nil, err
	}
	return expr, agg, nil
}

func offsetPos(offset int) Pos { return Pos{Line: 1, Col: offset + 1} }

func (p *conditionParser) or() (Expr, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	if !p.peek().is("or") {
		return first, nil
	}
	or := &Or{Pos: first.Position(), Args: []Expr{first}}
	for p.peek().is("or") {
		p.take()
		x, err := p.and()
		if err != nil {
			return nil, err
		}
		or.Args = append(or.Args, x)
	}
	return or, nil
}

func (p *conditionParser) and() (Expr, error) {
	first, err := p.not()
	if err != nil {
		return nil, err
	}
	if !p.peek().is("and") {
		return first, nil
	}
	and := &And{Pos: first.Position(), Args: []Expr{first}}
	for p.peek().is("and") {
		p.take()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		and.Args = append(and.Args, x)
	}
	return and, nil
}

func (p *conditionParser) not() (Expr, error) {
	if t := p.peek(); t.is("not") {
		p.take()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Not{Pos: offsetPos(t.offset), X: x}, nil
	}
	return p.primary()
}

// keywords may not be search identifiers.
var keywords = map[string]bool{"and": true, "or": true, "not": true, "of": true, "them": true}

func (p *conditionParser) primary() (Expr, error) {
	t := p.take()
	switch {
	case t.text == "(":
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if end := p.take(); end.text != ")" {
			if end.text == "" {
				return nil, &conditionError{t.offset, `unclosed "("`}
			}
			return nil, &conditionError{end.offset, fmt.Sprintf("unexpected %s: want and, or, or )", end.describe())}
		}
		return x, nil
	case t.text == "" || t.text == ")" || t.text == "|":
		return nil, &conditionError{t.offset, fmt.Sprintf("unexpected %s: want a search identifier, not, 1 of, all of or (", t.describe())}
	case p.peek().is("of"):
		return p.of(t)
	case keywords[strings.ToLower(t.text)]:
		return nil, &conditionError{t.offset, fmt.Sprintf("unexpected %s: want a search identifier", t.describe())}
	case strings.Contains(t.text, "*"):
		return nil, &conditionError{t.offset, fmt.Sprintf("wildcard in %q: patterns are only allowed after 1 of or all of", t.text)}
	}
	return &Ident{Pos: offsetPos(t.offset), Name: t.text}, nil
}

// of parses "1 of PATTERN" or "all of PATTERN"; quantifier is taken and
// "of" is next.
func (p *conditionParser) of(quantifier token) (Expr, error) {
	of := &Of{Pos: offsetPos(quantifier.offset)}
	switch {
	case quantifier.text == "1":
	case quantifier.is("all"):
		of.All = true
	default:
		return nil, &conditionError{quantifier.offset, fmt.Sprintf("%q of: want 1 of or all of", quantifier.text)}
	}
	p.take() // of
	t := p.take()
	switch {
	case t.is("them"):
		of.Pattern = "them"
	case t.text == "" || t.text == "(" || t.text == ")" || t.text == "|" || keywords[strings.ToLower(t.text)]:
		return nil, &conditionError{t.offset, fmt.Sprintf("unexpected %s: want them or a search identifier pattern", t.describe())}
	default:
		of.Pattern = t.text
	}
	return of, nil
}

// aggregation is a deprecated Sigma v1 aggregation:
// "| count(Field) by GroupField > 5".
type aggregation struct {
	offset  int    // of the "|", in runes
	pos     Pos    // of the "|", in the file
	fn      string // count, min, max, avg, sum, near
	field   string
	groupBy []string
	op      string // gt, gte, lt, lte, eq, neq
	value   float64
}

// parseAggregation parses text after the "|" at rune offset pipe.
func parseAggregation(text string, pipe int) (*aggregation, error) {
	runes := []rune(text)
	agg := &aggregation{offset: pipe}
	i := pipe + 1
	skipSpace := func() {
		for i < len(runes) && unicode.IsSpace(runes[i]) {
			i++
		}
	}
	word := func() string {
		skipSpace()
		start := i
		for i < len(runes) && (isWordRune(runes[i]) && runes[i] != '*') {
			i++
		}
		return string(runes[start:i])
	}
	expect := func(r rune) error {
		skipSpace()
		if i >= len(runes) || runes[i] != r {
			return &conditionError{i, fmt.Sprintf("aggregation: want %q", r)}
		}
		i++
		return nil
	}
	skipSpace()
	fnAt := i
	agg.fn = strings.ToLower(word())
	switch agg.fn {
	case "count", "min", "max", "avg", "sum":
	case "near":
		return agg, nil
	case "":
		return nil, &conditionError{fnAt, "aggregation: want count, min, max, avg, sum or near after |"}
	default:
		return nil, &conditionError{fnAt, fmt.Sprintf("aggregation: unknown function %q", agg.fn)}
	}
	if err := expect('('); err != nil {
		return nil, err
	}
	agg.field = word()
	if err := expect(')'); err != nil {
		return nil, err
	}
	skipSpace()
	if at := i; strings.EqualFold(word(), "by") {
		for {
			skipSpace()
			fieldAt := i
			f := word()
			if f == "" {
				return nil, &conditionError{fieldAt, "aggregation: want a field after by"}
			}
			agg.groupBy = append(agg.groupBy, f)
			skipSpace()
			if i < len(runes) && runes[i] == ',' {
				i++
				continue
			}
			break
		}
	} else {
		i = at
	}
	skipSpace()
	opAt := i
	ops := []struct{ text, op string }{
		{">=", "gte"}, {"<=", "lte"}, {"==", "eq"}, {"!=", "neq"}, {">", "gt"}, {"<", "lt"}, {"=", "eq"},
	}
	rest := string(runes[i:])
	for _, o := range ops {
		if strings.HasPrefix(rest, o.text) {
			agg.op = o.op
			i += len(o.text)
			break
		}
	}
	if agg.op == "" {
		return nil, &conditionError{opAt, "aggregation: want a comparison (>, >=, <, <=, ==, !=) and a number"}
	}
	skipSpace()
	numAt := i
	num := word()
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return nil, &conditionError{numAt, fmt.Sprintf("aggregation: want a number, not %q", num)}
	}
	agg.value = v
	skipSpace()
	if i < len(runes) {
		return nil, &conditionError{i, fmt.Sprintf("aggregation: unexpected %q", string(runes[i:]))}
	}
	return agg, nil
}

// correlation turns a count aggregation into a correlation of the rule
// with itself, referred to by its id, or its name when it has no id; the
// caller marks the other aggregations unsupported. Without a timeframe
// the Timespan is 0, which the correlation engine treats as unbounded.
func (a *aggregation) correlation(r *Rule) *Correlation {
	if a.fn != "count" {
		return nil
	}
	self := r.ID
	if self == "" {
		self = r.Name
	}
	c := &Correlation{
		Pos:       a.pos,
		Type:      EventCount,
		Rules:     []string{self},
		GroupBy:   a.groupBy,
		Timespan:  r.Detection.Timeframe,
		Condition: []Threshold{{Op: a.op, Value: a.value}},
	}
	if a.field != "" {
		c.Type = ValueCount
		c.Field = a.field
	}
	return c
}

// condition parses the condition of d (a string or a list of strings,
// ORed), checks its names against the search identifiers and returns its
// aggregation, if any.
func (p *parser) condition(d *Detection, key, n *yaml.Node) (*aggregation, error) {
	var nodes []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		nodes = []*yaml.Node{n}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			nodes = append(nodes, resolve(e))
		}
		if len(nodes) == 0 {
			return nil, p.errorf(nodePos(n), "empty list of conditions")
		}
	default:
		return nil, p.errorf(nodePos(n), "condition must be a string or a list of strings")
	}
	var exprs []Expr
	var texts []string
	var agg *aggregation
	for _, c := range nodes {
		if c.Kind != yaml.ScalarNode || c.ShortTag() == "!!null" {
			return nil, p.errorf(nodePos(c), "condition must be a string or a list of strings")
		}
		var positions []Pos
		toFile := func(pos Pos) Pos {
			if positions == nil {
				positions = p.src.scalarPositions(c)
			}
			return positions[min(pos.Col-1, len(positions)-1)]
		}
		expr, a, err := parseCondition(c.Value)
		if err != nil {
			ce := err.(*conditionError)
			return nil, p.errorf(toFile(offsetPos(ce.offset)), "condition: %s", ce.msg)
		}
		relocate(expr, toFile)
		if err := p.checkNames(d, expr); err != nil {
			return nil, err
		}
		if a != nil {
			a.pos = toFile(offsetPos(a.offset))
			switch {
			case len(nodes) > 1:
				p.unsupportedf("condition: an aggregation in a list of conditions")
			case a.fn == "near":
				p.unsupportedf("condition: the near aggregation of Sigma v1")
			case a.fn != "count":
				p.unsupportedf("condition: the %s() aggregation of Sigma v1", a.fn)
			default:
				agg = a
			}
		}
		exprs = append(exprs, expr)
		texts = append(texts, c.Value)
	}
	if len(exprs) == 1 {
		d.Condition, d.ConditionText = exprs[0], texts[0]
		return agg, nil
	}
	for i, t := range texts {
		texts[i] = "(" + t + ")"
	}
	d.Condition = &Or{Pos: exprs[0].Position(), Args: exprs}
	d.ConditionText = strings.Join(texts, " or ")
	return nil, nil
}

// checkNames checks that each identifier names a search and each Of
// pattern selects at least one.
func (p *parser) checkNames(d *Detection, e Expr) error {
	switch e := e.(type) {
	case *Ident:
		if d.Search(e.Name) == nil {
			return p.errorf(e.Pos, "condition: unknown search identifier %q", e.Name)
		}
	case *Of:
		if len(d.Expand(e.Pattern)) == 0 {
			return p.errorf(e.Pos, "condition: %q matches no search identifier", e.Pattern)
		}
	case *Not:
		return p.checkNames(d, e.X)
	case *And:
		for _, a := range e.Args {
			if err := p.checkNames(d, a); err != nil {
				return err
			}
		}
	case *Or:
		for _, a := range e.Args {
			if err := p.checkNames(d, a); err != nil {
				return err
			}
		}
	}
	return nil
}
