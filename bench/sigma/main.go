// Command sigma measures Vigie's Sigma matching on real Windows events and
// compares it, in the same run, with sigma-go
// (github.com/bradleyjkemp/sigma-go v0.6.6), the Go Sigma library.
//
// Without flags it measures the matcher: it decodes the EVTX attack samples
// and the OTRF Windows JSON archives of ../shared/data once into memory,
// compiles the full SigmaHQ rule set with Vigie and with sigma-go (time and
// heap growth), then matches the same events with the same rules, the ones
// both engines load and evaluate, several rounds, single-threaded, and
// prints medians and the ratio; Vigie also runs with GOMAXPROCS goroutines
// and over all OTRF events.
//
// With -hunt it builds the vigie binary, runs "vigie hunt --json" end to end
// over the attack samples with the SigmaHQ rules, reports records/s from its
// summary and the peak resident memory, and writes the detections per file
// to results/attack-samples.tsv.
//
// It is its own module (go.mod beside it) because sigma-go's evaluator
// needs modules the main go.sum does not list. Run it from the repository
// root:
//
//	go run ./bench/sigma -h
//	go run ./bench/sigma -rounds 5
//	go run ./bench/sigma -hunt
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vigie-sec/vigie/internal/shareddata"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 3, "timed rounds; medians are printed")
	flag.IntVar(&cfg.otrfEvery, "otrf-every", 20, "OTRF events matched by both engines: one in this many (sigma-go is slow); Vigie alone also matches all of them")
	flag.BoolVar(&cfg.hunt, "hunt", false, "run vigie hunt end to end instead, and write results/attack-samples.tsv")
	flag.StringVar(&cfg.shared, "shared", shareddata.Dir(), "the shared data folder (sigma/, evtx/, otrf/)")
	flag.StringVar(&cfg.repo, "repo", repoRoot(), "the repository root, to build cmd/vigie for -hunt")
	flag.StringVar(&cfg.results, "results", "results", "folder of the results files, relative to bench/sigma")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./bench/sigma [flags]\n\n")
		fmt.Fprintf(os.Stderr, "Measures Vigie's Sigma matcher against sigma-go on the same events and rules (default),\nor vigie hunt end to end (-hunt). See bench/README.md, section Sigma.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if cfg.shared == "" {
		fmt.Fprintln(os.Stderr, "sigma: the shared data folder was not found beside the repository; pass -shared DIR")
		os.Exit(2)
	}
	var err error
	if cfg.hunt {
		err = runHunt(cfg)
	} else {
		err = runMatch(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sigma:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	rounds, otrfEvery int
	hunt              bool
	shared, repo      string
	results           string
}

// repoRoot is the repository root, found from this source file's place
// (bench/sigma/main.go), or "" when unknown.
func repoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
