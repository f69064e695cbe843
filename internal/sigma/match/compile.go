package match

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// formatField is the pseudo-field of log source conditions that holds the
// name of the event's decoder.
const formatField = "vigie.format"

// compiler holds what Compile shares between rules.
type compiler struct {
	m          *Matcher
	cfg        Config
	testKeys   map[string]int32
	sourceKeys map[string]int32
}

// unsupportedError is a reason a rule cannot be evaluated exactly.
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return "unsupported: " + e.msg }

func unsupported(format string, args ...any) error {
	return &unsupportedError{fmt.Sprintf(format, args...)}
}

// Compile builds one matcher from a rule set. Detection rules are matched;
// filter rules narrow the detection rules they name (by id or name) to
// "(rule condition) and not (filter condition)"; correlation rules are left
// to package correlate. A detection rule with a Sigma v1 aggregation is
// matched on its detection condition: counting is the correlation's job.
//
// A rule that cannot be evaluated exactly is not an error: it gets a
// RuleStatus saying why, and never matches.
func Compile(rules []*sigma.Rule, cfg Config) *Matcher {
	m := &Matcher{
		rules:      rules,
		status:     make([]RuleStatus, len(rules)),
		slotByName: map[string]int32{},
	}
	c := &compiler{m: m, cfg: cfg, testKeys: map[string]int32{}, sourceKeys: map[string]int32{}}
	m.kwSlot = c.slot("")
	m.formatSlot = c.slot(formatField)

	// Filters by the id or name of the rules they narrow.
	filtersOf := map[string][]int{}
	for i, r := range rules {
		if r.Kind == sigma.KindFilter && r.Filter != nil {
			for _, name := range r.Filter.Rules {
				filtersOf[name] = append(filtersOf[name], i)
			}
		}
	}
	applied := make(map[int]int)
	filterErr := make(map[int]error)

	for i, r := range rules {
		st := &m.status[i]
		st.Rule = r
		switch r.Kind {
		case sigma.KindCorrelation:
			st.Reason = "correlation rule: evaluated over matches by package correlate"
			continue
		case sigma.KindFilter:
			continue // status below, once the rules it narrows are compiled
		}
		var filters []int
		for _, f := range filtersOf[r.ID] {
			filters = append(filters, f)
		}
		if r.Name != "" && r.Name != r.ID {
			filters = append(filters, filtersOf[r.Name]...)
		}
		if err := c.detection(int32(i), r, filters, applied, filterErr); err != nil {
			st.Reason = err.Error()
			continue
		}
		st.OK = true
	}

	for i, r := range rules {
		if r.Kind != sigma.KindFilter {
			continue
		}
		st := &m.status[i]
		switch {
		case r.Unsupported != "":
			st.Reason = unsupportedReason(r.Unsupported)
		case filterErr[i] != nil:
			st.Reason = filterErr[i].Error()
		case applied[i] == 0:
			st.Reason = "filter: none of the rules it names is in the set"
			if r.Filter != nil {
				st.Reason += ": " + strings.Join(r.Filter.Rules, ", ")
			}
		default:
			st.OK = true
		}
	}
	c.build()
	return m
}

func unsupportedReason(s string) string {
	if strings.HasPrefix(s, "unsupported") {
		return s
	}
	return "unsupported: " + s
}

// detection compiles one detection rule into one alternative per log
// source entry, each narrowed by the filters that name the rule.
func (c *compiler) detection(ri int32, r *sigma.Rule, filters []int, applied map[int]int, filterErr map[int]error) error {
	if r.Unsupported != "" {
		return &unsupportedError{strings.TrimPrefix(unsupportedReason(r.Unsupported), "unsupported: ")}
	}
	if r.Detection == nil || r.Detection.Condition == nil {
		return unsupported("no detection condition")
	}
	entries, err := c.resolve(r.Logsource)
	if err != nil {
		return err
	}
	var alts []alternative
	for _, en := range entries {
		cond, err := c.condition(r.Detection, en.Fields)
		if err != nil {
			return err
		}
		for _, fi := range filters {
			fr := c.m.rules[fi]
			if fr.Unsupported != "" || fr.Detection == nil {
				continue
			}
			if !logsourceCovers(fr.Logsource, r.Logsource) {
				filterErr[fi] = unsupported("filter: log source %s differs from the one of rule %s (%s)",
					describeLogsource(fr.Logsource), r.ID, describeLogsource(r.Logsource))
				continue
			}
			fc, err := c.condition(fr.Detection, en.Fields)
			if err != nil {
				filterErr[fi] = err
				continue
			}
			cond = &node{op: opAnd, kids: []*node{cond, {op: opNot, kids: []*node{fc}}}}
			applied[fi]++
		}
		alts = append(alts, alternative{rule: ri, source: c.source(en.Conditions), cond: cond})
	}
	c.m.alts = append(c.m.alts, alts...)
	return nil
}

// resolve returns the log source entries of a rule; without Sources, one
// entry without conditions or renames.
func (c *compiler) resolve(ls sigma.Logsource) ([]logsource.Entry, error) {
	if c.cfg.Sources == nil {
		return []logsource.Entry{{}}, nil
	}
	entries, ok := c.cfg.Sources.Resolve(ls.Category, ls.Product, ls.Service)
	if !ok || len(entries) == 0 {
		return nil, unsupported("no log source mapping for %s", describeLogsource(ls))
	}
	return entries, nil
}

func describeLogsource(ls sigma.Logsource) string {
	var parts []string
	for _, kv := range [][2]string{{"product", ls.Product}, {"category", ls.Category}, {"service", ls.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+":"+kv[1])
		}
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, " ")
}

// logsourceCovers reports whether a filter's log source includes a rule's:
// each part the filter gives is the rule's too.
func logsourceCovers(filter, rule sigma.Logsource) bool {
	eq := func(f, r string) bool { return f == "" || strings.EqualFold(f, r) }
	return eq(filter.Category, rule.Category) && eq(filter.Product, rule.Product) && eq(filter.Service, rule.Service)
}

// slot returns the number of a field name, adding it.
func (c *compiler) slot(name string) int32 {
	if s, ok := c.m.slotByName[name]; ok {
		return s
	}
	s := int32(len(c.m.slotNames))
	c.m.slotNames = append(c.m.slotNames, name)
	c.m.slotByName[name] = s
	return s
}

// source returns the number of a set of log source conditions, adding it.
func (c *compiler) source(conds []logsource.Condition) int32 {
	var sc []sourceCond
	for _, cd := range conds {
		vals := make([]string, len(cd.Values))
		for i, v := range cd.Values {
			vals[i] = foldString(v)
		}
		slices.Sort(vals)
		vals = slices.Compact(vals)
		sc = append(sc, sourceCond{slot: c.slot(cd.Field), values: vals})
	}
	sort.Slice(sc, func(i, j int) bool { return sc[i].slot < sc[j].slot })
	var key strings.Builder
	for _, cd := range sc {
		fmt.Fprintf(&key, "%d=%q;", cd.slot, cd.values)
	}
	if s, ok := c.sourceKeys[key.String()]; ok {
		return s
	}
	s := int32(len(c.m.sources))
	c.m.sources = append(c.m.sources, source{conds: sc})
	c.sourceKeys[key.String()] = s
	return s
}

// condition compiles a detection's condition with the field names renamed
// by ren.
func (c *compiler) condition(d *sigma.Detection, ren map[string]string) (*node, error) {
	if d.Condition == nil {
		return nil, unsupported("no condition")
	}
	return c.expr(d, d.Condition, ren)
}

func (c *compiler) expr(d *sigma.Detection, e sigma.Expr, ren map[string]string) (*node, error) {
	switch e := e.(type) {
	case *sigma.Ident:
		s := d.Search(e.Name)
		if s == nil {
			return nil, unsupported("condition names unknown search identifier %q", e.Name)
		}
		return c.search(s, ren)
	case *sigma.Not:
		x, err := c.expr(d, e.X, ren)
		if err != nil {
			return nil, err
		}
		return &node{op: opNot, kids: []*node{x}}, nil
	case *sigma.And:
		return c.exprs(d, opAnd, e.Args, ren)
	case *sigma.Or:
		return c.exprs(d, opOr, e.Args, ren)
	case *sigma.Of:
		var args []sigma.Expr
		for _, s := range d.Expand(e.Pattern) {
			args = append(args, &sigma.Ident{Pos: e.Pos, Name: s.Name})
		}
		if len(args) == 0 {
			return nil, unsupported("%q matches no search identifier", e.Pattern)
		}
		op := opOr
		if e.All {
			op = opAnd
		}
		return c.exprs(d, op, args, ren)
	}
	return nil, unsupported("condition node %T", e)
}

func (c *compiler) exprs(d *sigma.Detection, op nodeOp, args []sigma.Expr, ren map[string]string) (*node, error) {
	n := &node{op: op}
	for _, a := range args {
		k, err := c.expr(d, a, ren)
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k)
	}
	return n, nil
}

// search compiles a search identifier: an Or of groups, each an And of
// items.
func (c *compiler) search(s *sigma.Search, ren map[string]string) (*node, error) {
	or := &node{op: opOr}
	for _, g := range s.Groups {
		and := &node{op: opAnd}
		for _, it := range g {
			n, err := c.item(it, ren)
			if err != nil {
				return nil, err
			}
			and.kids = append(and.kids, n)
		}
		or.kids = append(or.kids, and)
	}
	return or, nil
}

func (c *compiler) item(it *sigma.Item, ren map[string]string) (*node, error) {
	n := &node{op: opItem, all: it.All, neq: it.Neq}
	if it.Field == "" {
		n.slot = c.m.kwSlot
	} else {
		n.slot = c.slot(rename(it.Field, ren))
	}
	if len(it.Values) == 0 {
		return nil, unsupported("%s: no values", describeItem(it))
	}
	for _, v := range it.Values {
		ids, err := c.valueTests(it, v, n.slot, ren)
		if err != nil {
			return nil, err
		}
		n.groups = append(n.groups, ids)
	}
	if it.Op == sigma.OpExists && it.Neq {
		return nil, unsupported("%s: neq with exists", describeItem(it))
	}
	return n, nil
}

func rename(field string, ren map[string]string) string {
	if r, ok := ren[field]; ok && r != "" {
		return r
	}
	return field
}

func describeItem(it *sigma.Item) string {
	s := it.Field
	for _, m := range it.Modifiers {
		s += "|" + m
	}
	if s == "" {
		return "keywords"
	}
	return s
}

// valueTests compiles one rule value of an item into the tests any of
// which satisfies it.
func (c *compiler) valueTests(it *sigma.Item, v sigma.Value, slot int32, ren map[string]string) ([]int32, error) {
	keyword := it.Field == ""
	plain := len(it.Transforms) == 0
	switch {
	case v.Kind == sigma.Null:
		if it.Op != sigma.OpEqual || keyword || it.FieldRef || it.TimePart != "" || !plain {
			return nil, unsupported("%s: null with a modifier", describeItem(it))
		}
		return c.add(test{kind: testNull, slot: slot}), nil

	case it.Op == sigma.OpExists:
		var want bool
		switch strings.ToLower(v.Text) {
		case "true":
			want = true
		case "false":
		default:
			return nil, unsupported("%s: %q is not true or false", describeItem(it), v.Text)
		}
		if keyword {
			return nil, unsupported("exists on keywords")
		}
		return c.add(test{kind: testExists, slot: slot, want: want}), nil

	case it.FieldRef:
		switch it.Op {
		case sigma.OpEqual, sigma.OpContains, sigma.OpStartsWith, sigma.OpEndsWith:
		default:
			return nil, unsupported("%s: fieldref with %s", describeItem(it), it.Op)
		}
		if keyword || !plain || it.TimePart != "" {
			return nil, unsupported("%s: fieldref with a transform", describeItem(it))
		}
		return c.add(test{kind: testFieldRef, slot: slot, op: it.Op, cased: it.Cased, ref: c.slot(rename(v.Text, ren))}), nil

	case it.TimePart != "":
		switch it.TimePart {
		case "minute", "hour", "day", "week", "month", "year":
		default:
			return nil, unsupported("%s: time part %q", describeItem(it), it.TimePart)
		}
		f, ok := parseNumber(v.Text)
		if !ok || !plain || keyword {
			return nil, unsupported("%s: %q is not a number", describeItem(it), v.Text)
		}
		switch it.Op {
		case sigma.OpEqual, sigma.OpLT, sigma.OpLTE, sigma.OpGT, sigma.OpGTE:
		default:
			return nil, unsupported("%s: time part with %s", describeItem(it), it.Op)
		}
		return c.add(test{kind: testTime, slot: slot, op: it.Op, part: it.TimePart, num: f}), nil

	case it.Op == sigma.OpRegexp:
		if !plain {
			return nil, unsupported("%s: re with a transform", describeItem(it))
		}
		expr, err := sigma.TranslateRegexp(v.Text, it.ReFlags)
		if err != nil {
			return nil, unsupported("%s: %s", describeItem(it), err)
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, unsupported("%s: regular expression %q: %s", describeItem(it), v.Text, err)
		}
		var pre []int32
		for _, lit := range regexpLiterals(expr) {
			pre = append(pre, c.add(test{kind: testContains, slot: slot, lit: lit})...)
		}
		return c.add(test{kind: testRegexp, slot: slot, re: re, lit: expr, pre: pre}), nil

	case it.Op == sigma.OpCIDR:
		p, err := netip.ParsePrefix(strings.TrimSpace(v.Text))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(v.Text))
			if aerr != nil || !plain {
				return nil, unsupported("%s: %q is not a network", describeItem(it), v.Text)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		p = p.Masked()
		return c.add(test{kind: testCIDR, slot: slot, cidr: p}), nil

	case it.Op == sigma.OpLT || it.Op == sigma.OpLTE || it.Op == sigma.OpGT || it.Op == sigma.OpGTE:
		f, ok := parseNumber(v.Text)
		if !ok || !plain {
			return nil, unsupported("%s: %q is not a number", describeItem(it), v.Text)
		}
		return c.add(test{kind: testCompare, slot: slot, op: it.Op, num: f}), nil

	case it.Op == sigma.OpEqual || it.Op == sigma.OpContains || it.Op == sigma.OpStartsWith || it.Op == sigma.OpEndsWith:
		item := it
		if keyword && it.Op == sigma.OpEqual {
			// A keyword is searched anywhere in a value.
			cp := *it
			cp.Op = sigma.OpContains
			item = &cp
		}
		ps, cased, err := stringPatterns(item, v, c.cfg.Placeholders)
		if err != nil {
			return nil, unsupported("%s: %s", describeItem(it), err)
		}
		var ids []int32
		for _, p := range ps {
			ids = append(ids, c.add(patternTest(p, slot, cased, plain))...)
		}
		return ids, nil
	}
	return nil, unsupported("%s: operator %s", describeItem(it), it.Op)
}

// patternTest turns a pattern into the cheapest test kind that checks it.
func patternTest(p pattern, slot int32, cased, plain bool) test {
	t := test{slot: slot, cased: cased}
	switch {
	case !p.hasWildcard():
		t.kind, t.lit = testEqual, p.literal()
		if plain {
			t.num, t.isNum = parseNumber(t.lit)
		}
	case len(p) == 3 && p[0].wild == '*' && p[1].wild == 0 && p[2].wild == '*':
		t.kind, t.lit = testContains, p[1].lit
	case len(p) == 2 && p[0].wild == 0 && p[1].wild == '*':
		t.kind, t.lit = testPrefix, p[0].lit
	case len(p) == 2 && p[0].wild == '*' && p[1].wild == 0:
		t.kind, t.lit = testSuffix, p[1].lit
	default:
		t.kind, t.pat = testGlob, p
	}
	return t
}

// add returns the number of t, sharing it with an equal test already
// added.
func (c *compiler) add(t test) []int32 {
	key := fmt.Sprintf("%d|%d|%t|%q|%q|%d|%s|%v|%v|%d|%t|%v", t.kind, t.slot, t.cased, t.lit, t.pat.String(),
		t.op, t.part, strconv.FormatFloat(t.num, 'g', -1, 64), t.cidr, t.ref, t.want, t.isNum)
	if id, ok := c.testKeys[key]; ok {
		return []int32{id}
	}
	id := int32(len(c.m.tests))
	c.m.tests = append(c.m.tests, t)
	c.testKeys[key] = id
	return []int32{id}
}
