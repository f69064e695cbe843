package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vigie-sec/vigie/internal/shareddata"
	"github.com/vigie-sec/vigie/internal/simulate"
)

// testConfig is the dataset of the tests: seed 1, the simulator's 50
// staff, 12 days so that lateral and exfil (7-day warm-up) have learnt
// before the breach begins on day 9.
var testConfig = simulate.Config{Seed: 1, Days: 12}

// precisionFloors are the least precision each detector may fall to on
// the test dataset: the precision measured on 2026-11-27 (in brackets),
// rounded down to a multiple of 0.05 less one step, so that a regression
// shows and a change of one finding does not. A detector measured with no
// finding has no floor; one that starts finding something is printed.
var precisionFloors = map[string]float64{
	"bruteforce":   0.95, // [1.00]
	"successafter": 0.95, // [1.00]
	"travel":       0.95, // [1.00]
	"exfil":        0.95, // [1.00]
	"mass_access":  0.95, // [1.00]
	"silence":      0.95, // [1.00]
	"cleared":      0.95, // [1.00]
	"lateral":      0.45, // [0.50]
	"newplace":     0.05, // [0.12]: home networks seen for the first time
	"spray":        0.00, // [0.05]: internet SSH scanners, see bench/README.md
	"beacon":       0.00, // [0.02]: Defender's checks and MON01's heartbeat
}

// evaluated holds the detectors' evaluation of testConfig, computed once.
var evaluated = sync.OnceValues(func() (*evalFixture, error) {
	d, err := load(testConfig, testDir)
	if err != nil {
		return nil, err
	}
	ev, err := evaluate(d, nil)
	if err != nil {
		return nil, err
	}
	return &evalFixture{d, ev}, nil
})

type evalFixture struct {
	d  *dataset
	ev *evaluation
}

func fixture(t *testing.T) *evalFixture {
	t.Helper()
	f, err := evaluated()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDetectorPrecision(t *testing.T) {
	f := fixture(t)
	for _, name := range detectorNames {
		s := f.ev.detectors[name]
		t.Logf("%-12s findings %3d, true positives %3d, precision %.2f, stages %v", name, s.findings, s.truePositives, s.precision(), slices.Sorted(maps.Keys(s.stages)))
		floor, ok := precisionFloors[name]
		if !ok {
			if s.findings > 0 {
				t.Errorf("%s: %d findings (precision %.2f) where none were measured: set its floor in precisionFloors", name, s.findings, s.precision())
			}
			continue
		}
		if s.findings == 0 {
			t.Errorf("%s: no finding, want precision at least %.2f", name, floor)
			continue
		}
		if got := s.precision(); got < floor {
			t.Errorf("%s: precision %.2f (%d of %d findings), want at least %.2f; false positives by look-alike: %v",
				name, got, s.truePositives, s.findings, floor, s.falsePositives)
		}
	}
}

// detectorStages are the stages the behaviour detectors and Vigie's own
// rules catch without SigmaHQ: all but discovery, which only process
// creation rules see.
var detectorStages = []string{
	simulate.StageSpray, simulate.StageInitialAccess, simulate.StageC2, simulate.StageLateral,
	simulate.StageStaging, simulate.StageExfiltration, simulate.StageDefenseEvasion,
}

func TestStageCoverage(t *testing.T) {
	f := fixture(t)
	check := func(t *testing.T, ev *evaluation, want []string) {
		t.Helper()
		covered := stageCoverage(ev)
		for _, st := range want {
			if len(covered[st]) == 0 {
				t.Errorf("stage %s (%d labelled records): no detector or rule names any of them", st, f.d.byStage[st])
			} else {
				slices.Sort(covered[st])
				t.Logf("%-15s %s", st, strings.Join(covered[st], ", "))
			}
		}
	}
	t.Run("detectors", func(t *testing.T) {
		check(t, f.ev, detectorStages)
	})
	t.Run("detectors+vigie-rules", func(t *testing.T) {
		rs, err := loadRules("../../rules")
		if err != nil {
			t.Fatal(err)
		}
		ev := *f.ev
		ev.rules = scoreAlerts(f.d, runRules(f.d.events, rs))
		check(t, &ev, detectorStages)
	})
	t.Run("detectors+vigie-rules+sigmahq", func(t *testing.T) {
		sigmaHQ := shareddata.Path(t, "sigma/rules")
		rs, err := loadRules("../../rules", sigmaHQ)
		if err != nil {
			t.Fatal(err)
		}
		ev := *f.ev
		ev.rules = scoreAlerts(f.d, runRules(f.d.events, rs))
		check(t, &ev, simulate.Stages)
	})
}

// testDir holds the GeoIP database of the test dataset.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigie-behave-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
