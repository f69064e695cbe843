package network

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
)

// scored collects the score of every pair a beacon detector scores,
// keyed "source -> destination", the last score winning.
type scored map[string]BeaconScore

func watch(b *Beacon) scored {
	s := scored{}
	b.onScore = func(p *beaconPair, sc BeaconScore) {
		dest := p.Host
		if dest == "" {
			dest = p.Dest
		}
		s[p.Source+" -> "+dest] = sc
	}
	return s
}

// RITA's tests allow 0.05 on each score (integration/beacons_test.go,
// proxy_rolling_test.go: require.InDelta(…, 0.05) for the sub-scores):
// scores rounded to 0.001 over timestamps in whole seconds. We hold our
// scores to the same tolerance.
const ritaTolerance = 0.05

// RITA's proxy test (integration/beacons_test.go, TestProxyBeacons): a
// host beacons to www.honestimnotevil.com through the proxy
// 10.136.0.16:3128. RITA scores the last 24 h of the capture: 357
// connections, score 0.979 (timing 0.921, size 0.995, duration 1,
// histogram 1); and www.google.com, 6 connections, 0.586.
func TestBeaconRITAProxy(t *testing.T) {
	recs := loadEvents(t, "zeek/rita-proxy", "conn.log", "http.log", "ssl.log", "dns.log")

	t.Run("last 24h as RITA scores it", func(t *testing.T) {
		// Every longer than the capture (28 h): the only scoring is at
		// Flush, over the 24 h that end at the last connection, as RITA's
		// one import does.
		b := NewBeacon(BeaconConfig{Every: 72 * time.Hour, Threshold: 0.01}, behave.Limits{})
		got := watch(b)
		findings := run(b, recs)
		for _, c := range []struct {
			pair         string
			connections  int
			score        float64
			timing, size float64
		}{
			{"10.136.0.18 -> www.honestimnotevil.com", 357, 0.979, 0.921, 0.995},
			{"10.136.0.18 -> www.google.com", 6, 0.586, 0.48, 0.865},
		} {
			s, ok := got[c.pair]
			if !ok {
				t.Errorf("%s not scored; scored: %v", c.pair, got)
				continue
			}
			t.Logf("%s: %+v", c.pair, s)
			if math.Abs(s.Score-c.score) > ritaTolerance || math.Abs(s.Timing-c.timing) > ritaTolerance || math.Abs(s.Size-c.size) > ritaTolerance {
				t.Errorf("%s: score %.3f (timing %.3f, size %.3f), want RITA's %.3f (%.3f, %.3f) ± %.2f", c.pair, s.Score, s.Timing, s.Size, c.score, c.timing, c.size, ritaTolerance)
			}
		}
		if len(findings) == 0 || entity(findings[0], "destination.domain") != "www.honestimnotevil.com" {
			t.Fatalf("findings: %s\nwant www.honestimnotevil.com first", summary(findings))
		}
		top := findings[0]
		for _, f := range findings[1:] {
			if f.Why.Observed >= top.Why.Observed {
				t.Errorf("%s scores %.3f, not below the beacon's %.3f", f.Title, f.Why.Observed, top.Why.Observed)
			}
		}
	})

	t.Run("defaults, scored hourly", func(t *testing.T) {
		b := NewBeacon(BeaconConfig{}, behave.Limits{})
		findings := run(b, recs)
		t.Logf("findings:%s", summary(findings))
		// The capture spans 28 h: the beacon is reported within its first
		// two hours, and again once the 24 h window has passed.
		var start time.Time
		for _, r := range recs {
			if _, ok := FlowOf(r.ev); ok {
				start = r.ev.Time
				break
			}
		}
		if len(findings) != 2 || findings[1].Time.Sub(findings[0].Time) < 24*time.Hour ||
			findings[0].Time.Sub(start) > 2*time.Hour {
			t.Fatalf("got %d findings, want two, 24 h apart, the first in the first two hours:%s", len(findings), summary(findings))
		}
		f := findings[1]
		want := map[string]string{"source.ip": "10.136.0.18", "destination.domain": "www.honestimnotevil.com", "destination.port": "443"}
		for field, v := range want {
			if got := entity(f, field); got != v {
				t.Errorf("entity %s = %q, want %q", field, got, v)
			}
		}
		if f.Why.Observed < 0.9 || f.Level != "high" || len(f.Evidence) == 0 || !strings.Contains(f.Why.Text, "through a web proxy") {
			t.Errorf("finding %+v: want a high score, level high, evidence, and the proxy named", f)
		}
	})
}

// RITA's rolling proxy test (integration/proxy_rolling_test.go): two
// hours of logs; 10.0.0.238 -> 75.75.75.75 (a DNS resolver, 1,160
// connections) scores 0.673, 10.0.0.111 -> safebrowsing.googleapis.com
// through the proxy 10.0.0.238 (46 CONNECTs) 0.624. Both are periodic
// but benign: under the default threshold.
func TestBeaconRITAProxyRolling(t *testing.T) {
	recs := loadEvents(t, "zeek/rita-proxy-rolling", "conn.*.log.gz", "http.*.log.gz", "ssl.*.log.gz")
	b := NewBeacon(BeaconConfig{Every: 72 * time.Hour, Threshold: 0.01}, behave.Limits{})
	got := watch(b)
	run(b, recs)
	for _, c := range []struct {
		pair  string
		score float64
	}{
		{"10.0.0.238 -> 75.75.75.75", 0.673},
		{"10.0.0.111 -> safebrowsing.googleapis.com", 0.624},
	} {
		s, ok := got[c.pair]
		t.Logf("%s: %+v", c.pair, s)
		if !ok || math.Abs(s.Score-c.score) > ritaTolerance {
			t.Errorf("%s: score %.3f (scored %v), want RITA's %.3f ± %.2f", c.pair, s.Score, ok, c.score, ritaTolerance)
		}
	}
	if s := got["10.0.0.238 -> 75.75.75.75"]; s.Connections > 1160 {
		t.Errorf("resolver pair: %d distinct times, more than RITA's 1,160 connections", s.Connections)
	}

	findings := run(NewBeacon(BeaconConfig{}, behave.Limits{}), recs)
	t.Logf("default findings:%s", summary(findings))
	for _, f := range findings {
		if d := entity(f, "destination.domain"); d == "safebrowsing.googleapis.com" || entity(f, "destination.ip") == "75.75.75.75" {
			t.Errorf("benign periodic pair reported at the default threshold: %s %.3f", f.Title, f.Why.Observed)
		}
	}
}

func TestBeaconRestore(t *testing.T) {
	recs := loadEvents(t, "zeek/rita-proxy", "conn.log", "http.log", "ssl.log")
	fresh := func() behave.Detector { return NewBeacon(BeaconConfig{}, behave.Limits{}) }
	want := run(fresh(), recs)
	got := runWithRestart(t, fresh(), fresh, recs)
	if len(want) == 0 {
		t.Fatal("no finding to compare")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings after a restart differ (-uninterrupted +restarted):\n%s", diff)
	}
}

// A jittered beacon scores high; the same number of connections at
// random times does not.
func TestBeaconJitter(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	rng := uint64(42)
	next := func() float64 { // xorshift, deterministic
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return float64(rng%10000) / 10000
	}
	feed := func(b *Beacon, at func(i int) time.Time, size func() int64, n int) []behave.Finding {
		var out []behave.Finding
		for i := range n {
			out = append(out, b.Observe(connEvent(at(i), "", "10.1.1.5", "198.51.100.7", 443, "SF", size(), 900, time.Second), "e")...)
		}
		return append(out, b.Flush()...)
	}
	jittered := feed(NewBeacon(BeaconConfig{}, behave.Limits{}), func(i int) time.Time {
		// every 5 minutes, ±20 % jitter
		return t0.Add(time.Duration(i)*5*time.Minute + time.Duration((next()-0.5)*120)*time.Second)
	}, func() int64 { return 300 + int64(next()*20) }, 288)
	if len(jittered) != 1 || jittered[0].Why.Observed < 0.8 {
		t.Errorf("jittered 5-minute beacon: %s\nwant one finding scoring at least 0.8", summary(jittered))
	}
	// Random times all day with constant sizes score about 0.8 overall,
	// as RITA's score rewards traffic spread evenly over the day; their
	// timing score stays near 0.5, under MinTiming.
	steady := feed(NewBeacon(BeaconConfig{}, behave.Limits{}), func(i int) time.Time {
		return t0.Add(time.Duration(next() * float64(24*time.Hour)))
	}, func() int64 { return 300 }, 288)
	if len(steady) != 0 {
		t.Errorf("random times, constant sizes: %s\nwant none", summary(steady))
	}
	// Random times all day and sizes spread over four orders of
	// magnitude, as browsing sends.
	random := feed(NewBeacon(BeaconConfig{}, behave.Limits{}), func(i int) time.Time {
		return t0.Add(time.Duration(next() * float64(24*time.Hour)))
	}, func() int64 { return int64(math.Pow(10, 2+4*next())) }, 288)
	if len(random) != 0 {
		t.Errorf("random connections: %s\nwant none", summary(random))
	}
}

func TestSpreadScore(t *testing.T) {
	f := func(values []float64, empty, want float64) {
		t.Helper()
		s := slices.Clone(values)
		slices.Sort(s)
		var scratch []float64
		if got := spreadScore(s, empty, &scratch); math.Abs(got-want) > 1e-9 {
			t.Errorf("spreadScore(%v) = %v, want %v", values, got, want)
		}
	}
	f([]float64{60, 60, 60, 60}, 1, 1)             // perfect period
	f([]float64{0, 0, 0}, 0, 0.5)                  // sizes all zero: no skew, MAD score defaults to 0
	f([]float64{10, 20, 30, 40, 100}, 1, 0.606)    // q1 15 q2 30 q3 70: skew 25/55; MAD 10 of 30
	f([]float64{100, 100, 100, 500}, 1, 1)         // one outlier: quartiles equal, MAD 0
	f([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 1, 0.778) // iqr 4 < 10: skew 0; median 4.5, MAD 2
}
