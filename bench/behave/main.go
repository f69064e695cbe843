// Command behave measures Vigie's behaviour detectors on the labelled
// synthetic breach of internal/simulate: precision of each detector,
// which breach stages each detector (and, optionally, each Sigma rule)
// catches, throughput of all detectors together, memory per tracked
// entity, and the time to score a day of beacons from 1,000 hosts.
//
// Run it from the module root:
//
//	go run ./bench/behave
//	go run ./bench/behave -seeds 1,2,3,4,5 -days 12 -rules=false
//
// Datasets are generated and decoded in memory; only the GeoIP database
// built from each geo.csv is written, to a temporary folder. Results
// are printed; bench/README.md ("Behaviour detectors") records them.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"github.com/vigie-sec/vigie/internal/simulate"
)

// config is the command line.
type config struct {
	seeds       []uint64
	days, users int
	rules       []string // Sigma rule folders; none to run the detectors alone
	runs        int      // timed passes for throughput
	beaconHosts int
	perf        bool
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "behave:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "behave:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("behave", flag.ContinueOnError)
	seeds := fs.String("seeds", "1,2,3", "comma-separated simulation seeds")
	days := fs.Int("days", 12, "days simulated per seed; the breach takes the last 3, and lateral and exfil learn for 7 days first")
	users := fs.Int("users", 0, "staff of the simulated organisation (0: the simulator's default, 50)")
	withRules := fs.Bool("rules", true, "also run the Sigma rules of ./rules and of SigmaHQ's rules/ in the shared data, when present")
	sigmaDir := fs.String("sigma", "", "SigmaHQ rules folder (default: sigma/rules in the shared data folder)")
	runs := fs.Int("runs", 3, "timed passes over each dataset for throughput (median)")
	hosts := fs.Int("beacon-hosts", 1000, "internal hosts in the synthetic day of conn logs scored for beacons")
	perf := fs.Bool("perf", true, "measure throughput, memory and beacon scoring")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg := config{days: *days, users: *users, runs: max(1, *runs), beaconHosts: *hosts, perf: *perf}
	for s := range strings.SplitSeq(*seeds, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return config{}, fmt.Errorf("-seeds: %q is not a seed", s)
		}
		cfg.seeds = append(cfg.seeds, n)
	}
	if *withRules {
		if _, err := os.Stat("rules"); err == nil {
			cfg.rules = append(cfg.rules, "rules")
		}
		dir := *sigmaDir
		if dir == "" && shareddata.Dir() != "" {
			dir = filepath.Join(shareddata.Dir(), "sigma", "rules")
		}
		if _, err := os.Stat(dir); dir != "" && err == nil {
			cfg.rules = append(cfg.rules, dir)
		}
	}
	return cfg, nil
}

// seedResult is one seed's dataset and evaluation.
type seedResult struct {
	d  *dataset
	ev *evaluation
}

func run(cfg config) error {
	fmt.Printf("machine: %s\n", machine())
	tmp, err := os.MkdirTemp("", "vigie-bench-behave-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var rs *detect.RuleSet
	if len(cfg.rules) > 0 {
		start := time.Now()
		if rs, err = loadRules(cfg.rules...); err != nil {
			return err
		}
		fmt.Printf("rules: %s from %s, loaded in %s\n", rs.Summary(), strings.Join(cfg.rules, ", "), time.Since(start).Round(time.Millisecond))
	}
	var results []seedResult
	for _, seed := range cfg.seeds {
		start := time.Now()
		d, err := load(simulate.Config{Seed: seed, Days: cfg.days, Users: cfg.users}, tmp)
		if err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
		ev, err := evaluate(d, rs)
		if err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
		dup := 0
		for _, n := range d.huntRefs {
			if n > 1 {
				dup += n
			}
		}
		fmt.Printf("seed %d: %d days, %d users, %d events (%.1f MB), %d labelled; generated, decoded and evaluated in %s; %d events share a hunt reference with another\n",
			seed, d.truth.Days, d.truth.Users, len(d.events), float64(d.bytes)/1e6, len(d.labels), time.Since(start).Round(time.Millisecond), dup)
		results = append(results, seedResult{d, ev})
	}
	printDetectors(results)
	printStages(results, rs != nil)
	if rs != nil {
		printRules(results)
	}
	printLookAlikes(results)
	if !cfg.perf {
		return nil
	}
	fmt.Println()
	if err := printThroughput(results, cfg.runs); err != nil {
		return err
	}
	printMemory()
	return printBeaconDay(cfg.beaconHosts)
}

// median returns the median of xs (the mean of the middle two for an
// even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printDetectors(results []seedResult) {
	fmt.Printf("\nPer detector, median over %d seeds (precision: findings whose evidence names a labelled record; stages: seeds in which the evidence names a record of the stage)\n\n", len(results))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTOR\tFINDINGS\tTRUE POS.\tPRECISION\tRECORDS HIT\tSTAGES HIT")
	for _, name := range detectorNames {
		var findings, tps, precs, recs []float64
		stages := map[string]int{}
		for _, r := range results {
			s := r.ev.detectors[name]
			findings = append(findings, float64(s.findings))
			tps = append(tps, float64(s.truePositives))
			recs = append(recs, float64(len(s.records)))
			if s.findings > 0 {
				precs = append(precs, s.precision())
			}
			for st := range s.stages {
				stages[st]++
			}
		}
		prec := "—"
		if len(precs) > 0 {
			prec = fmt.Sprintf("%.2f", median(precs))
		}
		fmt.Fprintf(tw, "%s\t%g\t%g\t%s\t%g\t%s\n", name, median(findings), median(tps), prec, median(recs), stageList(stages, len(results)))
	}
	tw.Flush()
}

// stageList writes "c2 3/3, lateral 2/3" in the breach's order.
func stageList(stages map[string]int, seeds int) string {
	var parts []string
	for _, st := range simulate.Stages {
		if n := stages[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", st, n, seeds))
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func printStages(results []seedResult, withRules bool) {
	fmt.Printf("\nPer stage (labelled records: median; recall: share of the stage's labelled records named by some finding's evidence, median; evidence is capped at 50 references per finding, so record recall is a lower bound)\n\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	head := "STAGE\tLABELLED\tRECALL (DETECTORS)\tDETECTORS (SEEDS)"
	if withRules {
		head += "\tRECALL (WITH RULES)\tRULES (SEEDS)"
	}
	fmt.Fprintln(tw, head)
	for _, st := range simulate.Stages {
		var labelled, recall, recallAll []float64
		detectorSeeds, ruleSeeds := map[string]int{}, map[string]int{}
		for _, r := range results {
			labelled = append(labelled, float64(r.d.byStage[st]))
			recall = append(recall, stageRecall(r.d, r.ev, st, false))
			recallAll = append(recallAll, stageRecall(r.d, r.ev, st, true))
			for name, s := range r.ev.detectors {
				if s.stages[st] {
					detectorSeeds[name]++
				}
			}
			for name, s := range r.ev.rules {
				if s.stages[st] {
					ruleSeeds[strings.TrimPrefix(name, "rule: ")]++
				}
			}
		}
		line := fmt.Sprintf("%s\t%g\t%.2f\t%s", st, median(labelled), median(recall), seedCounts(detectorSeeds, len(results), 0))
		if withRules {
			line += fmt.Sprintf("\t%.2f\t%s", median(recallAll), seedCounts(ruleSeeds, len(results), 4))
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// seedCounts writes "name 3/3, other 1/3", most seeds first, at most
// limit names (0: all).
func seedCounts(m map[string]int, seeds, limit int) string {
	names := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	if len(names) == 0 {
		return "—"
	}
	var parts []string
	for i, n := range names {
		if limit > 0 && i == limit {
			parts = append(parts, fmt.Sprintf("+%d more", len(names)-limit))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d", n, m[n], seeds))
	}
	return strings.Join(parts, ", ")
}

func printRules(results []seedResult) {
	names := map[string]bool{}
	for _, r := range results {
		for n := range r.ev.rules {
			names[n] = true
		}
	}
	fmt.Printf("\nSigma rules that fired, median over %d seeds (%d rules fired in some seed)\n\n", len(results), len(names))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tALERTS\tTRUE POS.\tPRECISION\tSTAGES HIT")
	sorted := slices.Sorted(maps.Keys(names))
	for _, name := range sorted {
		var alerts, tps, precs []float64
		stages := map[string]int{}
		for _, r := range results {
			s := r.ev.rules[name]
			if s == nil {
				alerts, tps = append(alerts, 0), append(tps, 0)
				continue
			}
			alerts = append(alerts, float64(s.findings))
			tps = append(tps, float64(s.truePositives))
			precs = append(precs, s.precision())
			for st := range s.stages {
				stages[st]++
			}
		}
		fmt.Fprintf(tw, "%s\t%g\t%g\t%.2f\t%s\n", strings.TrimPrefix(name, "rule: "), median(alerts), median(tps), median(precs), stageList(stages, len(results)))
	}
	tw.Flush()
}

// printLookAlikes lists the findings without labelled evidence by what
// they concern, summed over the seeds.
func printLookAlikes(results []seedResult) {
	fmt.Printf("\nFindings without labelled evidence, by what they concern, summed over %d seeds, with one title each\n\n", len(results))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTOR OR RULE\tCONCERNS\tFINDINGS\tEXAMPLE")
	type key struct{ source, kind string }
	counts := map[key]int{}
	examples := map[key]string{}
	for _, r := range results {
		for _, group := range []map[string]*score{r.ev.detectors, r.ev.rules} {
			for name, s := range group {
				for kind, n := range s.falsePositives {
					k := key{name, kind}
					counts[k] += n
					if _, ok := examples[k]; !ok {
						examples[k] = s.examples[kind]
					}
				}
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(counts), func(a, b key) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(counts[b], counts[a]), cmp.Compare(a.kind, b.kind))
	})
	for _, k := range keys {
		ex := examples[k]
		if len(ex) > 100 {
			ex = ex[:97] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", k.source, k.kind, counts[k], ex)
	}
	tw.Flush()
}

// machine describes the CPU this runs on.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), GOMAXPROCS %d, %s %s/%s", runtime.NumCPU(), model, runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
