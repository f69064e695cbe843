package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
	"github.com/vigie-sec/vigie/internal/sigma/match"
)

// minVigieTime is how long each Vigie measurement runs at least: the
// events are matched again until it has passed, since one pass over them
// takes a fraction of a second.
const minVigieTime = 2 * time.Second

// runMatch measures the matchers (the default mode).
func runMatch(cfg config) error {
	fmt.Printf("machine: %d CPUs, GOMAXPROCS %d, %s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), runtime.Version())

	// Events, decoded once.
	start := time.Now()
	samples, err := loadAttackSamples(filepath.Join(cfg.shared, "evtx", "attack-samples"))
	if err != nil {
		return err
	}
	otrfAll, err := loadOTRF(filepath.Join(cfg.shared, "otrf", "atomic", "windows"))
	if err != nil {
		return err
	}
	var attack []*event.Event
	for _, s := range samples {
		attack = append(attack, matchable(s.events)...)
	}
	otrfAll = matchable(otrfAll)
	var otrf []*event.Event
	for i := 0; i < len(otrfAll); i += max(cfg.otrfEvery, 1) {
		otrf = append(otrf, otrfAll[i])
	}
	events := slices.Concat(attack, otrf)
	peerEvents := make([]map[string]any, len(events))
	for i, e := range events {
		peerEvents[i] = peerEvent(e)
	}
	fmt.Printf("events: %d attack-sample EVTX records (%d files), %d OTRF JSON events (1 in %d of %d); decoded in %s\n",
		len(attack), len(samples), len(otrf), cfg.otrfEvery, len(otrfAll), time.Since(start).Round(time.Millisecond))

	// Compiling the full SigmaHQ rule set.
	paths := rulePaths(cfg.shared)
	var rs *detect.RuleSet
	vigieLoad, vigieHeap, err := measureBuild(func() (err error) {
		rs, err = detect.Load(detect.Config{}, paths...)
		return err
	})
	if err != nil {
		return err
	}
	counts := rs.Counts()
	fmt.Printf("\nVigie: detect.Load of the SigmaHQ rule set (parse, compile into one matcher): %d rule documents, %d ok, %d unsupported, %d invalid\n",
		len(rs.Reports), counts[detect.StatusOK], counts[detect.StatusUnsupported], counts[detect.StatusInvalid])
	fmt.Printf("  %s, heap +%s\n", vigieLoad.Round(time.Millisecond), mib(vigieHeap))

	thor, err := readThor(filepath.Join(cfg.shared, "sigma", "tests", "thor.yml"))
	if err != nil {
		return err
	}
	files, err := ruleFiles(paths)
	if err != nil {
		return err
	}
	var peerAll []*peerRule
	var peerParsed []sigmago.Rule
	peerLoad, peerHeap, _ := measureBuild(func() error {
		for _, f := range files {
			r, err := parsePeerRule(f)
			if err != nil {
				continue
			}
			peerParsed = append(peerParsed, r)
			peerAll = append(peerAll, newPeerRule(thor, r.ID, f, r))
		}
		return nil
	})
	fmt.Printf("sigma-go: sigma.ParseRule of every rule file and evaluator.ForRule per log source alternative (thor.yml): %d of %d files parse\n", len(peerParsed), len(files))
	fmt.Printf("  %s, heap +%s\n", peerLoad.Round(time.Millisecond), mib(peerHeap))
	var allBundles []peerBundle
	bundleLoad, bundleHeap, _ := measureBuild(func() error {
		allBundles = newBundles(peerAll)
		return nil
	})
	fmt.Printf("sigma-go: evaluator.ForRules bundles, one per alternative (%d): %s, heap +%s\n", len(allBundles), bundleLoad.Round(time.Millisecond), mib(bundleHeap))
	runtime.KeepAlive(allBundles)
	allBundles, peerAll, peerParsed = nil, nil, nil

	// The rules both engines load and evaluate.
	p, err := loadPairing(cfg.shared)
	if err != nil {
		return err
	}
	common := p.runnable()
	var commonVigie []*sigma.Rule
	var commonPeer []*peerRule
	for _, pr := range common {
		commonVigie = append(commonVigie, pr.vigie)
		commonPeer = append(commonPeer, pr.peer)
	}
	vigieCommon := match.Compile(commonVigie, match.Config{Sources: logsource.Default()})
	fmt.Printf("\ncompared: %d rules both load and evaluate (Vigie ok, sigma-go parses them, no v1 aggregation, log source in thor.yml, nothing sigma-go rejects when evaluating)\n", len(common))
	fmt.Printf("over %d events (attack samples and the OTRF sample), one goroutine with GOMAXPROCS=1 unless said, %d rounds\n\n", len(events), cfg.rounds)

	type series struct {
		name   string
		rates  []float64 // events/s per round
		events int       // matches counted in the last round
	}
	vigieC := &series{name: "Vigie, compared rules"}
	vigieF := &series{name: "Vigie, full SigmaHQ set"}
	vigieP := &series{name: fmt.Sprintf("Vigie, full set, %d goroutines", runtime.GOMAXPROCS(0))}
	vigieO := &series{name: fmt.Sprintf("Vigie, full set, all %d OTRF events", len(otrfAll))}
	peerR := &series{name: "sigma-go, ForRule per rule and alternative"}
	peerB := &series{name: "sigma-go, ForRules bundles per alternative"}
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	for round := range cfg.rounds {
		r, n := vigieRate(rs.Matcher, events, procs)
		vigieP.rates, vigieP.events = append(vigieP.rates, r), n
		// One core from here on: the garbage collector shares it.
		runtime.GOMAXPROCS(1)
		r, n = vigieRate(vigieCommon, events, 1)
		vigieC.rates, vigieC.events = append(vigieC.rates, r), n
		r, n = vigieRate(rs.Matcher, events, 1)
		vigieF.rates, vigieF.events = append(vigieF.rates, r), n
		r, n = vigieRate(rs.Matcher, otrfAll, 1)
		vigieO.rates, vigieO.events = append(vigieO.rates, r), n

		runtime.GC()
		start := time.Now()
		n = 0
		for _, m := range peerEvents {
			for _, pr := range commonPeer {
				for _, alt := range pr.alts {
					if ok, _ := alt.RelevantToEvent(ctx, peerIndex, m); !ok {
						continue
					}
					if res, err := alt.Matches(ctx, m); err == nil && res.Match {
						n++
						break
					}
				}
			}
		}
		peerR.rates, peerR.events = append(peerR.rates, float64(len(peerEvents))/time.Since(start).Seconds()), n

		bundles := newBundles(commonPeer) // fresh: a bundle caches results per string
		runtime.GC()
		start = time.Now()
		n = 0
		for _, m := range peerEvents {
			for _, b := range bundles {
				if ok, _ := b.relevance.RelevantToEvent(ctx, peerIndex, m); !ok {
					continue
				}
				res, _ := b.bundle.Matches(ctx, m)
				for _, rr := range res {
					if rr.Match {
						n++
					}
				}
			}
		}
		peerB.rates, peerB.events = append(peerB.rates, float64(len(peerEvents))/time.Since(start).Seconds()), n
		runtime.GOMAXPROCS(procs)
		fmt.Fprintf(os.Stderr, "round %d: Vigie %.0f events/s, sigma-go %.0f (per rule) and %.0f (bundles) events/s\n",
			round+1, vigieC.rates[round], peerR.rates[round], peerB.rates[round])
	}

	fmt.Printf("\n%-48s %14s %12s %s\n", "median", "events/s", "matches", "per round")
	for _, s := range []*series{vigieC, vigieF, vigieP, vigieO, peerR, peerB} {
		fmt.Printf("%-48s %14.0f %12d %s\n", s.name, median(s.rates), s.events, rates(s.rates))
	}
	best := max(median(peerR.rates), median(peerB.rates))
	var ratios []float64
	for i := range vigieC.rates {
		ratios = append(ratios, vigieC.rates[i]/max(peerR.rates[i], peerB.rates[i]))
	}
	fmt.Printf("\nratio, Vigie / fastest sigma-go mode, same events and rules, one core: %.0fx of the medians; per round %s (target >= 10x)\n", median(vigieC.rates)/best, rates(ratios))
	fmt.Printf("matches differ by the disagreements the differential test explains (go test ./bench/sigma -run TestDifferential -v)\n")
	fmt.Printf("sigma-go matches: %d with the bundles, %d with the per-rule evaluators\n", peerB.events, peerR.events)
	return nil
}

// peerBundle is sigma-go's fastest mode: one evaluator.ForRules bundle of
// the rules of one log source alternative (the bundle shares one
// Aho-Corasick automaton per field for contains and regexp literals), and
// one evaluator of the same alternative to check, once per event for the
// whole bundle, that the alternative is relevant (Matches ignores log
// sources; relevance depends only on the config).
type peerBundle struct {
	name      string
	relevance *evaluator.RuleEvaluator
	bundle    evaluator.RuleEvaluatorBundle
}

// newBundles groups the rules by alternative and builds a bundle of each.
func newBundles(rules []*peerRule) []peerBundle {
	type group struct {
		cfg   sigmago.Config
		first *evaluator.RuleEvaluator
		rules []sigmago.Rule
	}
	groups := map[string]*group{}
	var names []string
	for _, pr := range rules {
		for i, name := range pr.altNames {
			g := groups[name]
			if g == nil {
				g = &group{cfg: pr.altCfgs[i], first: pr.alts[i]}
				groups[name] = g
				names = append(names, name)
			}
			g.rules = append(g.rules, pr.rule)
		}
	}
	slices.Sort(names)
	out := make([]peerBundle, 0, len(names))
	for _, name := range names {
		g := groups[name]
		out = append(out, peerBundle{name: name, relevance: g.first,
			bundle: evaluator.ForRules(g.rules, evaluator.WithConfig(g.cfg))})
	}
	return out
}

// vigieRate matches the events with m, again and again for at least
// minVigieTime, with the given number of goroutines, and returns
// events/s and the matches of one pass.
func vigieRate(m *match.Matcher, events []*event.Event, goroutines int) (float64, int) {
	var (
		mu      sync.Mutex
		matches int
		done    int
	)
	runtime.GC()
	start := time.Now()
	for pass := 0; pass == 0 || time.Since(start) < minVigieTime; pass++ {
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				var buf []*sigma.Rule
				n := 0
				for i := g; i < len(events); i += goroutines {
					buf = m.Match(events[i], buf[:0])
					n += len(buf)
				}
				if pass == 0 {
					mu.Lock()
					matches += n
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		done += len(events)
	}
	return float64(done) / time.Since(start).Seconds(), matches
}

// measureBuild runs build and returns its time and the growth of the live
// heap it leaves (after a garbage collection).
func measureBuild(build func() error) (time.Duration, uint64, error) {
	before := heapInUse()
	start := time.Now()
	err := build()
	d := time.Since(start)
	after := heapInUse()
	if after < before {
		return d, 0, err
	}
	return d, after - before, err
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rates(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.0f", x))
	}
	return strings.Join(parts, " ")
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
