package match

import (
	"testing"

	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// BenchmarkMatch matches every decoded attack-sample EVTX event against the
// full SigmaHQ rule set; ns/op is per event.
func BenchmarkMatch(b *testing.B) {
	rules := sigmaRules(b)
	events := attackEvents(b)
	m := Compile(rules, Config{Sources: logsource.Default()})
	var dst []*sigma.Rule
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst = m.Match(events[i], dst[:0])
		i++
		if i == len(events) {
			i = 0
		}
	}
}

// BenchmarkMatchParallel is BenchmarkMatch from GOMAXPROCS goroutines,
// sharing one Matcher.
func BenchmarkMatchParallel(b *testing.B) {
	rules := sigmaRules(b)
	events := attackEvents(b)
	m := Compile(rules, Config{Sources: logsource.Default()})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var dst []*sigma.Rule
		i := 0
		for pb.Next() {
			dst = m.Match(events[i], dst[:0])
			i++
			if i == len(events) {
				i = 0
			}
		}
	})
}

// BenchmarkCompile compiles the full SigmaHQ rule set.
func BenchmarkCompile(b *testing.B) {
	rules := sigmaRules(b)
	cfg := Config{Sources: logsource.Default()}
	b.ReportAllocs()
	for b.Loop() {
		Compile(rules, cfg)
	}
}
