package match

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode/evtx"
	"github.com/vigie-sec/vigie/internal/decode/winjson"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// collect is a decode.Sink that keeps events.
type collect struct{ events []*event.Event }

func (c *collect) Event(e *event.Event) error {
	if e.Kind == event.KindEvent {
		c.events = append(c.events, e)
	}
	return nil
}
func (c *collect) Reject(string, int) {}

var (
	ruleSetOnce sync.Once
	ruleSet     []*sigma.Rule
)

// sigmaRules parses every SigmaHQ rule folder of the shared data (rules,
// rules-emerging-threats, rules-threat-hunting, rules-compliance,
// rules-dfir). Files the parser rejects are left out: that is the
// parser's business.
func sigmaRules(tb testing.TB) []*sigma.Rule {
	dir := shareddata.Path(tb, "sigma")
	ruleSetOnce.Do(func() {
		paths, _ := filepath.Glob(filepath.Join(dir, "rules*"))
		ruleSet, _ = sigma.Load(paths...)
	})
	if len(ruleSet) < 3000 {
		tb.Fatalf("loaded %d rules from %s, want the full set", len(ruleSet), dir)
	}
	return ruleSet
}

var (
	evtxOnce   sync.Once
	evtxEvents []*event.Event
)

// attackEvents decodes every EVTX file of evtx/attack-samples.
func attackEvents(tb testing.TB) []*event.Event {
	dir := shareddata.Path(tb, "evtx/attack-samples")
	evtxOnce.Do(func() {
		var files []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".evtx") {
				files = append(files, p)
			}
			return nil
		})
		sort.Strings(files)
		var c collect
		for _, f := range files {
			r, err := os.Open(f)
			if err != nil {
				continue
			}
			evtx.Decoder{}.Decode(r, &c) // damaged files still give their good records
			r.Close()
		}
		evtxEvents = c.events
	})
	if len(evtxEvents) < 1000 {
		tb.Fatalf("decoded %d EVTX events, want the attack samples", len(evtxEvents))
	}
	return evtxEvents
}

// otrfEvents decodes the JSON-lines members of the OTRF archives with the
// winjson decoder.
func otrfEvents(tb testing.TB) []*event.Event {
	dir := shareddata.Path(tb, "otrf")
	var c collect
	decode := func(r io.Reader) { winjson.Decoder{}.Decode(r, &c) }
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch {
		case strings.HasSuffix(p, ".zip"):
			zr, err := zip.OpenReader(p)
			if err != nil {
				return nil
			}
			for _, f := range zr.File {
				if strings.HasSuffix(f.Name, ".json") {
					if r, err := f.Open(); err == nil {
						decode(r)
						r.Close()
					}
				}
			}
			zr.Close()
		case strings.HasSuffix(p, ".tar.gz"):
			fh, err := os.Open(p)
			if err != nil {
				return nil
			}
			defer fh.Close()
			gz, err := gzip.NewReader(fh)
			if err != nil {
				return nil
			}
			tr := tar.NewReader(gz)
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				if strings.HasSuffix(h.Name, ".json") {
					decode(tr)
				}
			}
		}
		return nil
	})
	return c.events
}

// reference holds what slowMatch needs: each alternative's entry.
type reference struct {
	m       *Matcher
	entries []logsource.Entry // per alternative
}

func newReference(t testing.TB, m *Matcher, cfg Config) *reference {
	ref := &reference{m: m, entries: make([]logsource.Entry, len(m.alts))}
	var entries []logsource.Entry
	for i, a := range m.alts {
		if i == 0 || m.alts[i-1].rule != a.rule {
			r := m.rules[a.rule]
			entries, _ = cfg.Sources.Resolve(r.Logsource.Category, r.Logsource.Product, r.Logsource.Service)
			entries = slices.Clone(entries)
		}
		ref.entries[i] = entries[0]
		entries = entries[1:]
	}
	return ref
}

func (ref *reference) match(e *event.Event) []*sigma.Rule {
	m := ref.m
	s := m.newScratch()
	s.direct = true
	m.begin(s, e)
	var out []*sigma.Rule
	for i, a := range m.alts {
		if len(out) > 0 && out[len(out)-1] == m.rules[a.rule] {
			continue
		}
		if ref.entries[i].Matches(e) && m.eval(s, a.cond) {
			out = append(out, m.rules[a.rule])
		}
	}
	return out
}

// TestRealData checks, on every decoded attack-sample EVTX event and on
// OTRF events, that the matcher gives exactly what the reference evaluator
// gives, and reports the statuses of the SigmaHQ rules.
func TestRealData(t *testing.T) {
	rules := sigmaRules(t)
	cfg := Config{Sources: logsource.Default()}
	m := Compile(rules, cfg)
	reasons := map[string]int{}
	ok := 0
	for _, st := range m.Status() {
		if st.OK {
			ok++
			continue
		}
		r := st.Reason
		if i := strings.Index(r, ": "); i >= 0 && strings.HasPrefix(r, "unsupported: ") {
			// "unsupported: no log source mapping for product:x" by kind
			r = r[:min(len(r), 60)]
		}
		reasons[r]++
	}
	t.Logf("%d rules, %d OK, %d alternatives, %d tests, %d sources, %d field names",
		len(rules), ok, len(m.alts), len(m.tests), len(m.sources), len(m.slotNames))
	if testing.Verbose() {
		keys := make([]string, 0, len(reasons))
		for k := range reasons {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return reasons[keys[i]] > reasons[keys[j]] })
		for _, k := range keys {
			t.Logf("%5d %s", reasons[k], k)
		}
	}

	ref := newReference(t, m, cfg)
	check := func(name string, events []*event.Event) {
		matches, matched := 0, map[string]bool{}
		for i, e := range events {
			got := m.Match(e, nil)
			want := ref.match(e)
			if !slices.Equal(got, want) {
				t.Errorf("%s event %d (%s %s): got %v, want %v", name, i, e.Format, fieldOf(e, "EventID"), ids(got), ids(want))
				continue
			}
			matches += len(got)
			for _, r := range got {
				matched[r.ID] = true
			}
		}
		t.Logf("%s: %d events, %d matches of %d distinct rules", name, len(events), matches, len(matched))
	}
	check("evtx", attackEvents(t))
	check("otrf", sample(otrfEvents(t), 20000))
}

// sample returns at most n events evenly spread over events (n/10 with
// -short): the reference evaluator visits every rule, about 1 ms an event.
func sample(events []*event.Event, n int) []*event.Event {
	if testing.Short() {
		n /= 10
	}
	if len(events) <= n {
		return events
	}
	out := make([]*event.Event, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, events[i*len(events)/n])
	}
	return out
}

func fieldOf(e *event.Event, name string) string {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// TestMatcherSize reports the heap a compiled SigmaHQ rule set holds.
func TestMatcherSize(t *testing.T) {
	rules := sigmaRules(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // twice: pooled scratch of earlier tests survives one cycle
	runtime.ReadMemStats(&before)
	m := Compile(rules, Config{Sources: logsource.Default()})
	runtime.GC()
	runtime.ReadMemStats(&after)
	states, nodes, needles := 0, 0, 0
	for _, s := range m.slots {
		for _, ix := range []needleIndex{s.folded, s.cased} {
			if ix.inner != nil {
				states += ix.inner.states()
			}
			for _, tr := range []*trie{ix.prefix, ix.suffix} {
				if tr != nil {
					nodes += len(tr.nodes)
				}
			}
			needles += len(ix.prefixUses) + len(ix.suffixUses) + len(ix.innerUses)
		}
	}
	t.Logf("matcher: %.1f MB of heap; %d tests, %d needles, %d automaton states, %d trie nodes",
		float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), len(m.tests), needles, states, nodes)
	runtime.KeepAlive(m)
}
