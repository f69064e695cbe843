package simulate

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// defaultSim is the simulation of the zero Config, generated once for the
// tests that only read it.
var defaultSim = sync.OnceValues(func() (*Simulation, error) { return Generate(Config{}) })

func generated(t testing.TB) *Simulation {
	t.Helper()
	sim, err := defaultSim()
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// contents returns every file of sim by name.
func contents(t testing.TB, sim *Simulation) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range FileNames() {
		var buf bytes.Buffer
		if err := sim.WriteFile(&buf, name); err != nil {
			t.Fatalf("WriteFile(%s): %v", name, err)
		}
		out[name] = buf.Bytes()
	}
	return out
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, Users: 20}
	a, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := contents(t, a), contents(t, b)
	for _, name := range FileNames() {
		if !bytes.Equal(fa[name], fb[name]) {
			t.Errorf("%s differs between two runs of seed 42", name)
		}
	}
	cfg.Seed = 43
	c, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fc := contents(t, c)
	for _, name := range FileNames() {
		if name == FileGeo {
			continue // the address plan is the same for every seed
		}
		if bytes.Equal(fa[name], fc[name]) {
			t.Errorf("%s is the same for seeds 42 and 43", name)
		}
	}
}

func TestWriteDir(t *testing.T) {
	sim, err := Generate(Config{Users: MinUsers})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := sim.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	want := contents(t, sim)
	for _, name := range FileNames() {
		got := readFile(t, dir, name)
		if !bytes.Equal(got, want[name]) {
			t.Errorf("%s on disk differs from WriteFile", name)
		}
	}
	if err := sim.WriteFile(&bytes.Buffer{}, "nope.log"); err == nil {
		t.Error("WriteFile of an unknown name: no error")
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(cfg Config, ok bool) {
		t.Helper()
		err := cfg.Validate()
		if (err == nil) != ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", cfg, err, ok)
		}
		if err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("Validate(%+v) = %v, not ErrConfig", cfg, err)
		}
	}
	f(Config{}, true)
	f(Config{Days: MinDays, Users: MinUsers}, true)
	f(Config{Days: MinDays - 1}, false)
	f(Config{Users: MinUsers - 1}, false)
	f(Config{Users: MaxUsers + 1}, false)
	f(Config{Start: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}, false)
	if _, err := Generate(Config{Days: 3}); !errors.Is(err, ErrConfig) {
		t.Errorf("Generate with 3 days: %v, want ErrConfig", err)
	}
}

// TestDays checks that every day has activity, that nothing falls outside
// the simulation, and that the breach waits four days.
func TestDays(t *testing.T) {
	for _, days := range []int{7, 10} {
		t.Run(fmt.Sprintf("days=%d", days), func(t *testing.T) {
			cfg := Config{Seed: 5, Days: days, Users: 15, Start: time.Date(2026, 5, 4, 13, 0, 0, 0, time.UTC)}
			sim, err := Generate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
			end := start.AddDate(0, 0, days)
			if tr := sim.Truth(); !tr.Start.Equal(start) || !tr.End.Equal(end) || tr.Days != days {
				t.Fatalf("truth: start %s end %s days %d, want %s %s %d", tr.Start, tr.End, tr.Days, start, end, days)
			}
			for f, recs := range sim.files {
				perDay := make([]int, days)
				for _, r := range recs {
					if r.t.Before(start) || !r.t.Before(end) {
						t.Fatalf("%s: record at %s outside [%s, %s)", fileSpecs[f].name, r.t, start, end)
					}
					perDay[int(r.t.Sub(start)/(24*time.Hour))]++
				}
				switch fileID(f) {
				case fileAuthLog, fileWindows, fileConn, fileDNS, fileSSL, fileHTTP, fileM365:
					for d, n := range perDay {
						if n == 0 {
							t.Errorf("%s: no record on day %d", fileSpecs[f].name, d)
						}
					}
				}
			}
			first := sim.Labels()[0].Time
			if earliest := start.AddDate(0, 0, 4); first.Before(earliest) {
				t.Errorf("breach starts at %s, before day 4 (%s)", first, earliest)
			}
			if want := start.AddDate(0, 0, days-3); first.Before(want) || first.After(want.Add(24*time.Hour)) {
				t.Errorf("breach starts at %s, want on day %d (%s)", first, days-3, want)
			}
		})
	}
}

// TestStagesInOrder checks that the stages begin in the documented order
// and that truth.json agrees with the labels.
func TestStagesInOrder(t *testing.T) {
	sim := generated(t)
	tr := sim.Truth()
	if len(tr.Breach.Stages) != len(Stages) {
		t.Fatalf("%d stages in truth, want %d", len(tr.Breach.Stages), len(Stages))
	}
	firsts := map[string]time.Time{}
	counts := map[string]int{}
	for _, l := range sim.Labels() {
		if _, ok := firsts[l.Stage]; !ok {
			firsts[l.Stage] = l.Time
		}
		counts[l.Stage]++
	}
	var prev time.Time
	for i, st := range tr.Breach.Stages {
		if st.Stage != Stages[i] {
			t.Errorf("stage %d is %q, want %q", i, st.Stage, Stages[i])
		}
		if st.Events == 0 || st.Events != counts[st.Stage] {
			t.Errorf("%s: %d events in truth, %d labels", st.Stage, st.Events, counts[st.Stage])
		}
		if !st.Start.Equal(firsts[st.Stage]) {
			t.Errorf("%s starts at %s in truth, first label at %s", st.Stage, st.Start, firsts[st.Stage])
		}
		if !st.Start.After(prev) {
			t.Errorf("%s starts at %s, not after the previous stage (%s)", st.Stage, st.Start, prev)
		}
		prev = st.Start
	}
	b := tr.Breach
	if b.C2.Beacons < 1000 {
		t.Errorf("%d beacons, want a beacon a minute for days", b.C2.Beacons)
	}
	if b.Exfiltration.Bytes < 500<<20 {
		t.Errorf("exfiltrated %d bytes, want hundreds of MB", b.Exfiltration.Bytes)
	}
}

// TestSilence checks that the silenced host and CloudTrail say nothing
// while logging is off, and speak before and after.
func TestSilence(t *testing.T) {
	sim := generated(t)
	b := sim.Truth().Breach
	check := func(f fileID, source string, s Silence) {
		t.Helper()
		var before, after, during int
		var last record
		for _, r := range sim.files[f] {
			if source != "" && r.source != source {
				continue
			}
			switch {
			case r.t.Before(s.From):
				before++
				last = r
			case r.t.Before(s.Until):
				during++
			default:
				after++
			}
		}
		if during != 0 || before == 0 || after == 0 {
			t.Errorf("%s %s: %d records before the silence, %d during, %d after; want some, none, some", fileSpecs[f].name, source, before, during, after)
		}
		if last.label == nil || last.label.stage != StageDefenseEvasion {
			t.Errorf("%s %s: last record before the silence is not the attacker's", fileSpecs[f].name, source)
		}
	}
	check(fileWindows, "windows/"+b.Silenced.Host, b.Silenced)
	check(fileCloudTrail, "", b.CloudTrail)
	if !b.Silenced.Until.After(b.Silenced.From.Add(12 * time.Hour)) {
		t.Errorf("silence of %s lasts %s, want hours", b.Silenced.Host, b.Silenced.Until.Sub(b.Silenced.From))
	}
}
