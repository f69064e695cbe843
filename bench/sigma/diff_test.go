package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
	"github.com/vigie-sec/vigie/internal/sigma/match"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// otrfEvery samples the OTRF events in the differential test: sigma-go
// evaluates the compared rules at about 150 events/s per core (measured by
// "go run ./bench/sigma"), so one event in 20 of the 184,224 (9,212)
// keeps the whole test between one and two minutes on two cores.
const otrfEvery = 20

// The reasons a disagreement is explained by: limitations of sigma-go
// v0.6.6, each checked in its source (cited), and the one difference of
// setup (thor.yml's service mappings).
const (
	// evaluator/evaluate_search.go evaluateSearch: a search of keywords
	// returns the error "keywords unsupported".
	reasonKeywords = "keywords: sigma-go has no keyword search"
	// evaluator/evaluate_search.go getMatcherValues: a value that is not
	// a string, number or bool (a YAML null) is an error.
	reasonNullValue = "null value: sigma-go rejects Field: null"
	// getMatcherValues: a value that starts and ends with % is expanded
	// as a placeholder, and is an error without an expander (Sigma only
	// does this with the expand modifier).
	reasonPlaceholder = "%value%: sigma-go reads it as a placeholder"
	// evaluator/modifiers/modifiers.go: baseComparator is
	// strings.EqualFold, contains/startswith/endswith are strings
	// functions; nothing interprets * or ?.
	reasonWildcard = "wildcards: sigma-go compares * and ? literally"
	// the same comparators: \\, \* and \? are not unescaped.
	reasonEscape = "escapes: sigma-go compares \\\\, \\* and \\? literally"
	// evaluator/evaluate_search.go GetFieldValuesFromEvent: without a
	// field mapping the event value is used as is, and CoerceString
	// renders a []any as "[a b]".
	reasonMultiValue = "field with several values: sigma-go compares \"[a b]\""
	// CoerceString(nil) is "<nil>": an empty EVTX Data element (Null)
	// never equals ''.
	reasonNullField = "Null field: sigma-go reads \"<nil>\", not ''"
	// thor.yml never tests the channel or the kind of file: THOR reads
	// one channel or log file at a time. It maps Windows services
	// (security, system, application, …), web servers and Linux syslog
	// without conditions, and Sysmon categories by EventID alone, so
	// sigma-go, given all events at once, applies a service's rules to
	// every event and a Sysmon rule to another channel's event of the same
	// number. Vigie's mapping adds the Channel and the decoder.
	reasonNoChannel = "log source: thor.yml does not test the channel or the file"
	// evaluator/modifiers/modifiers.go baseComparator: the string "null"
	// matches a missing (nil) value, where Sigma reads a quoted 'null' as
	// those four letters.
	reasonNullString = "the string 'null': sigma-go matches a missing field"
	// sigma.FieldMatcher.Values keep what YAML decodes: an unquoted 0x10
	// is the int 16, compared as "16".
	reasonYAMLNumber = "unquoted number: sigma-go compares YAML's decimal reading"
	// modifiers.GetComparator only strips "all" in last place; elsewhere
	// it is an unknown modifier.
	reasonAllNotLast = "modifier all before others: unknown to sigma-go there"
)

// reasonFieldName is a field that thor.yml and Vigie's mapping rename
// differently: thor.yml's antivirus mapping reads Signature as ThreatName,
// where EVTX and Winlogbeat records of Microsoft Defender say "Threat Name"
// (see Vigie's internal/sigma/logsource/default.yml).
func reasonFieldName(field, thor, vigie string) string {
	return fmt.Sprintf("field name: thor.yml reads %s as %q, Vigie as %q", field, thor, vigie)
}

// reasonModifier is a modifier sigma-go does not know. GetComparator
// (evaluator/modifiers/modifiers.go) knows contains, endswith,
// startswith, re, cidr, gt, gte, lt, lte, base64 and a final all;
// anything else is "unknown modifier", or, after a comparison,
// "comparator modifier X must be the last modifier".
func reasonModifier(m string) string { return "modifier " + m + ": unknown to sigma-go" }

// verdict is one rule on which the engines disagree for one event.
type verdict struct {
	pair  int
	ev    *event.Event
	vigie bool // Vigie matched (and sigma-go did not)
}

// differ compares the engines and explains disagreements.
type differ struct {
	p       *pairing
	sources *logsource.Mapping
	index   map[*sigma.Rule]int // Vigie rule → pair

	mu    sync.Mutex
	items map[*sigma.Item]*match.Matcher // one rule of each item
}

func newDiffer(p *pairing) *differ {
	d := &differ{p: p, sources: logsource.Default(), index: map[*sigma.Rule]int{}, items: map[*sigma.Item]*match.Matcher{}}
	for i, pr := range p.pairs {
		d.index[pr.vigie] = i
	}
	return d
}

// compare evaluates every pair on every event with both engines, in
// parallel. It returns the disagreements; up to keep matches on which
// they agree; and the agreements sigma-go reached through an error: Vigie
// does not match and sigma-go cannot evaluate the rule (blind), which
// only a rewrite can check.
func (d *differ) compare(events []*event.Event, keep int) (found, agreed, blind []verdict) {
	workers := runtime.GOMAXPROCS(0)
	out := make([][]verdict, workers)
	same := make([][]verdict, workers)
	unseen := make([][]verdict, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ctx := context.Background()
			var buf []*sigma.Rule
			vigie := make([]bool, len(d.p.pairs))
			for i := w; i < len(events); i += workers {
				e := events[i]
				clear(vigie)
				buf = d.p.vigie.Matcher.Match(e, buf[:0])
				for _, r := range buf {
					if pi, ok := d.index[r]; ok {
						vigie[pi] = true
					}
				}
				m := peerEvent(e)
				eid, _ := e.Get("EventID")
				for pi, pr := range d.p.pairs {
					got, err := pr.peer.match(ctx, m, eid) // an error is no match; classify says why
					switch {
					case got != vigie[pi]:
						out[w] = append(out[w], verdict{pair: pi, ev: e, vigie: vigie[pi]})
					case got && len(same[w]) < keep:
						same[w] = append(same[w], verdict{pair: pi, ev: e, vigie: true})
					case err != nil:
						unseen[w] = append(unseen[w], verdict{pair: pi, ev: e, vigie: false})
					}
				}
			}
		})
	}
	wg.Wait()
	for w := range workers {
		found = append(found, out[w]...)
		agreed = append(agreed, same[w]...)
		blind = append(blind, unseen[w]...)
	}
	return found, agreed, blind
}

// classify explains a disagreement, or returns "" and what is known.
func (d *differ) classify(v verdict) (reason, detail string) {
	ctx := context.Background()
	pr := d.p.pairs[v.pair]
	e := v.ev
	m := peerEvent(e)
	rec, _ := e.Get("EventRecordID")
	where := fmt.Sprintf("rule %s %q (%s), event %s EventID %s record %s: Vigie %v, sigma-go %v",
		pr.vigie.ID, pr.vigie.Title, pr.vigie.File, fieldText(e, "Channel"), fieldText(e, "EventID"), rec, v.vigie, !v.vigie)

	// The log source: does each engine apply the rule to the event?
	vigieApplies := false
	var entry logsource.Entry
	entries, _ := d.sources.Resolve(pr.vigie.Logsource.Category, pr.vigie.Logsource.Product, pr.vigie.Logsource.Service)
	for _, en := range entries {
		if en.Matches(e) {
			vigieApplies, entry = true, en
			break
		}
	}
	var relevant []int
	for i, alt := range pr.peer.alts {
		if ok, _ := alt.RelevantToEvent(ctx, peerIndex, m); ok {
			relevant = append(relevant, i)
		}
	}
	switch {
	case !vigieApplies && len(relevant) > 0:
		for _, ai := range relevant {
			if noConditions(pr.peer.altCfgs[ai]) {
				return reasonNoChannel, ""
			}
		}
		for _, en := range entries {
			en.Conditions = slices.DeleteFunc(slices.Clone(en.Conditions), func(c logsource.Condition) bool { return c.Field == "Channel" })
			if en.Matches(e) {
				return reasonNoChannel, ""
			}
		}
		return "", where + ": thor.yml's conditions hold (" + names(pr.peer, relevant) + "), Vigie's log source does not"
	case vigieApplies && len(relevant) == 0:
		return "", where + ": Vigie's log source holds, thor.yml's does not"
	case !vigieApplies:
		return "", where + ": neither log source holds"
	}

	// The alternative whose result differs from Vigie's: any relevant one
	// when Vigie matched, the one that matched otherwise.
	ai := relevant[0]
	var rawErr error
	for _, i := range relevant {
		r, err := pr.peer.alts[i].Matches(ctx, m)
		if err != nil {
			ai, rawErr = i, err
			break
		}
		if r.Match != v.vigie {
			ai = i
			if r.Match {
				break
			}
		}
	}
	cfg := pr.peer.altCfgs[ai]

	// Compare the engines item by item. An item on which they differ, or
	// that sigma-go cannot evaluate, is explained when sigma-go, given the
	// item rewritten (rewriteItem), agrees with Vigie; the reasons are the
	// item's features that sigma-go lacks.
	var reasons []string
	vigieItems := map[*sigma.Item]bool{}
	for _, s := range pr.vigie.Detection.Searches {
		ps, ok := pr.peer.rule.Detection.Searches[s.Name]
		if !ok {
			return "", fmt.Sprintf("%s: search %s is not parsed alike", where, s.Name)
		}
		for g, group := range s.Groups {
			for i, it := range group {
				var raw sigmago.Search
				var fm *sigmago.FieldMatcher
				switch {
				case it.Field == "" && len(ps.Keywords) > 0 && len(s.Groups) == 1:
					raw = sigmago.Search{Keywords: ps.Keywords}
				case g < len(ps.EventMatchers) && len(ps.EventMatchers[g]) == len(group):
					fm = &ps.EventMatchers[g][i]
					if fm.Field != it.Field || strings.Join(fm.Modifiers, "|") != strings.Join(it.Modifiers, "|") {
						return "", fmt.Sprintf("%s: search %s item %d is %s|%v for sigma-go", where, s.Name, i, fm.Field, fm.Modifiers)
					}
					raw = sigmago.Search{EventMatchers: []sigmago.EventMatcher{{*fm}}}
				default:
					return "", fmt.Sprintf("%s: search %s group %d is not parsed alike", where, s.Name, g)
				}
				vi := d.vigieItem(pr.vigie, it, e)
				vigieItems[it] = vi
				pi, err := peerSearch(ctx, cfg, pr.peer.rule.Logsource, raw, m)
				if err == nil && pi == vi {
					continue
				}
				// An item sigma-go cannot evaluate is a cause only if the
				// rule's evaluation reached it; it is checked either way.
				cause := err == nil || rawErr != nil
				what := fmt.Sprintf("%s: search %s item %s|%s: Vigie %v, sigma-go %v (%v)", where, s.Name, it.Field, strings.Join(it.Modifiers, "|"), vi, pi, err)
				rw, err := rewriteItem(it, cfg, entry, e, m)
				if err != nil {
					return "", what + ": " + err.Error()
				}
				got, err := peerSearch(ctx, rw.cfg, pr.peer.rule.Logsource, rw.search, rw.event)
				if err != nil || got != vi {
					return "", fmt.Sprintf("%s; rewritten as %+v, sigma-go gives %v (%v)", what, rw.search, got, err)
				}
				thorName := mappedName(cfg, it.Field)
				val, present := m[thorName]
				feats := itemFeatures(it, fm, val, present)
				if vigieName := mappedName(rw.cfg, it.Field); it.Field != "" && vigieName != thorName {
					feats = append(feats, reasonFieldName(it.Field, thorName, vigieName))
				}
				if len(feats) == 0 {
					return "", what + ": the rewritten item agrees, but the item has no feature sigma-go lacks"
				}
				if cause {
					reasons = append(reasons, feats...)
				}
			}
		}
	}
	if got := evalCondition(pr.vigie.Detection, vigieItems); got != v.vigie {
		return "", fmt.Sprintf("%s: Vigie's items give %v by the condition %q, its matcher %v", where, got, pr.vigie.Detection.ConditionText, v.vigie)
	}
	if len(reasons) == 0 {
		return "", fmt.Sprintf("%s: every item agrees, the condition %q does not", where, pr.vigie.Detection.ConditionText)
	}
	slices.Sort(reasons)
	return strings.Join(slices.Compact(reasons), "; "), ""
}

// evalCondition evaluates a rule's condition from the results of its
// items: a search holds when all items of one of its groups do.
func evalCondition(d *sigma.Detection, items map[*sigma.Item]bool) bool {
	search := func(s *sigma.Search) bool {
		for _, g := range s.Groups {
			all := true
			for _, it := range g {
				all = all && items[it]
			}
			if all {
				return true
			}
		}
		return false
	}
	var eval func(x sigma.Expr) bool
	eval = func(x sigma.Expr) bool {
		switch x := x.(type) {
		case *sigma.Ident:
			for _, s := range d.Searches {
				if s.Name == x.Name {
					return search(s)
				}
			}
		case *sigma.Not:
			return !eval(x.X)
		case *sigma.And:
			for _, a := range x.Args {
				if !eval(a) {
					return false
				}
			}
			return true
		case *sigma.Or:
			for _, a := range x.Args {
				if eval(a) {
					return true
				}
			}
		case *sigma.Of:
			for _, s := range d.Expand(x.Pattern) {
				if search(s) != x.All {
					return !x.All
				}
			}
			return x.All
		}
		return false
	}
	return eval(d.Condition)
}

// peerSearch evaluates one search with sigma-go under cfg's field mappings.
func peerSearch(ctx context.Context, cfg sigmago.Config, ls sigmago.Logsource, s sigmago.Search, m map[string]any) (bool, error) {
	r := sigmago.Rule{Logsource: ls, Detection: sigmago.Detection{
		Searches:   map[string]sigmago.Search{"item": s},
		Conditions: sigmago.Conditions{{Search: sigmago.SearchIdentifier{Name: "item"}}},
	}}
	res, err := evaluator.ForRule(r, evaluator.WithConfig(cfg)).Matches(ctx, m)
	return res.Match, err
}

// globRegexp translates a Sigma string value, compared with op, into an
// RE2 expression with Vigie's semantics (match package doc): * and ? are
// wildcards, \*, \? and \\ the literal characters, any other backslash a
// literal backslash; case-insensitive unless cased. It reports whether the
// value has a wildcard and whether it has an escape.
func globRegexp(s string, op sigma.Op, cased bool) (re string, wild, esc bool) {
	var b strings.Builder
	if !cased {
		b.WriteString("(?i)")
	}
	b.WriteString("(?s)")
	if op == sigma.OpEqual || op == sigma.OpStartsWith {
		b.WriteString("^")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			b.WriteString(regexp.QuoteMeta(s[i+1 : i+2]))
			i++
			esc = true
		case c == '*':
			b.WriteString(".*")
			wild = true
		case c == '?':
			b.WriteString(".")
			wild = true
		default:
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		}
	}
	if op == sigma.OpEqual || op == sigma.OpEndsWith {
		b.WriteString("$")
	}
	return b.String(), wild, esc
}

// vigieItem reports whether one item of r holds for e, by compiling a rule
// of that item alone, with r's log source.
func (d *differ) vigieItem(r *sigma.Rule, it *sigma.Item, e *event.Event) bool {
	d.mu.Lock()
	m := d.items[it]
	if m == nil {
		mr := *r
		s := &sigma.Search{Name: "item", Groups: [][]*sigma.Item{{it}}}
		mr.Detection = &sigma.Detection{Searches: []*sigma.Search{s}, Condition: &sigma.Ident{Name: "item"}, ConditionText: "item"}
		mr.Correlation = nil
		m = match.Compile([]*sigma.Rule{&mr}, match.Config{Sources: d.sources})
		d.items[it] = m
	}
	d.mu.Unlock()
	return len(m.Match(e, nil)) > 0
}

// noConditions reports whether none of cfg's log sources has conditions.
func noConditions(cfg sigmago.Config) bool {
	for _, ls := range cfg.Logsources {
		if len(ls.Conditions.EventMatchers) > 0 {
			return false
		}
	}
	return true
}

func names(p *peerRule, alts []int) string {
	var out []string
	for _, i := range alts {
		out = append(out, p.altNames[i])
	}
	return strings.Join(out, ", ")
}

func fieldText(e *event.Event, name string) string {
	v, _ := e.Get(name)
	return v
}

// eventSet is a named list of events the engines are compared on.
type eventSet struct {
	name   string
	events []*event.Event
}

// TestDifferential evaluates every rule that both Vigie and sigma-go load
// (see loadPairing) with both engines, over the decoded EVTX attack
// samples and a sample of the OTRF Windows JSON events, and requires every
// disagreement to be explained by a known limitation of sigma-go (the
// reason constants above) or by thor.yml's log source mappings, confirmed
// by the rewrites of rewrite_test.go. Explained disagreements are
// compared, by reason and rule, with testdata/<set>.golden (rewrite with
// -update); an unexplained one fails the test with what is known of it.
// The same check covers the (rule, event) where both engines say no only
// because sigma-go cannot evaluate the rule.
func TestDifferential(t *testing.T) {
	shared := filepath.Dir(shareddata.Path(t, "sigma"))
	p, err := loadPairing(shared)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rule files; sigma-go parses %d; %d rules compared (%d of them with something sigma-go cannot evaluate)",
		p.files, p.peerParsed, len(p.pairs), len(p.pairs)-len(p.runnable()))
	t.Logf("rules Vigie evaluates that are not compared, by reason:")
	printCounts(t.Logf, p.left)

	samples, err := loadAttackSamples(shareddata.Path(t, "evtx/attack-samples"))
	if err != nil {
		t.Fatal(err)
	}
	var attack []*event.Event
	for _, s := range samples {
		attack = append(attack, matchable(s.events)...)
	}
	sets := []eventSet{{"attack-samples", attack}}
	if !testing.Short() {
		otrf, err := loadOTRF(shareddata.Path(t, "otrf/atomic/windows"))
		if err != nil {
			t.Fatal(err)
		}
		otrf = matchable(otrf)
		var sampled []*event.Event
		for i := 0; i < len(otrf); i += otrfEvery {
			sampled = append(sampled, otrf[i])
		}
		sets = append(sets, eventSet{"otrf", sampled})
	}

	d := newDiffer(p)
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			found, agreed, blind := d.compare(set.events, 25)
			// classify must not explain what is not a disagreement:
			// matches both engines agree on, presented as if only
			// sigma-go had matched.
			for _, v := range agreed {
				v.vigie = false
				if reason, _ := d.classify(v); reason != "" {
					t.Errorf("classify explains a match both engines agree on (rule %s) as %q", d.p.pairs[v.pair].vigie.ID, reason)
				}
			}
			// Where sigma-go could not evaluate the rule and Vigie did
			// not match, the rewritten items must not match either.
			missed := 0
			blindReasons := map[string]int{}
			for _, v := range blind {
				reason, detail := d.classify(v)
				if reason == "" {
					missed++
					if missed <= 20 {
						t.Errorf("Vigie does not match where sigma-go, with the rule rewritten, does: %s", detail)
					}
					continue
				}
				blindReasons[reason]++
			}
			t.Logf("%d (rule, event) where sigma-go cannot evaluate the rule and Vigie does not match, %d of them differing once rewritten; the others by what sigma-go lacks:",
				len(blind), missed)
			printCounts(t.Logf, blindReasons)
			byReason := map[string]int{}
			byRule := map[string]int{}
			unexplained := 0
			for _, v := range found {
				reason, detail := d.classify(v)
				if reason == "" {
					unexplained++
					if unexplained <= 20 {
						t.Errorf("unexplained disagreement: %s", detail)
					}
					continue
				}
				byReason[reason]++
				pr := d.p.pairs[v.pair]
				side := "sigma-go only"
				if v.vigie {
					side = "Vigie only"
				}
				byRule[fmt.Sprintf("%s\t%s\t%s\t%s", reason, side, pr.vigie.ID, pr.vigie.Title)]++
			}
			if unexplained > 20 {
				t.Errorf("… %d unexplained disagreements in all", unexplained)
			}
			t.Logf("%d events, %d rules: %d disagreements (rule, event), %d explained, by reason:",
				len(set.events), len(d.p.pairs), len(found), len(found)-unexplained)
			printCounts(t.Logf, byReason)
			checkGolden(t, filepath.Join("testdata", set.name+".golden"), byRule)
		})
	}
}

// checkGolden compares the explained disagreements, one line per reason,
// side and rule with its count, with a golden file.
func checkGolden(t *testing.T, path string, byRule map[string]int) {
	t.Helper()
	keys := make([]string, 0, len(byRule))
	for k := range byRule {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("# reason\tside\trule id\ttitle\tdisagreements (rule, event)\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s\t%d\n", k, byRule[k])
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		got := strings.Split(b.String(), "\n")
		wantLines := strings.Split(string(want), "\n")
		for _, l := range got {
			if !slices.Contains(wantLines, l) {
				t.Errorf("new in %s: %s", path, l)
			}
		}
		for _, l := range wantLines {
			if !slices.Contains(got, l) {
				t.Errorf("gone from %s: %s", path, l)
			}
		}
	}
}
