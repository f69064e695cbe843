package network

import (
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
)

// benchDetector feeds two hours of RITA's rolling proxy capture (conn,
// http, ssl and dns logs: about 36,000 events) to a fresh detector per
// iteration and reports the cost per event.
func benchDetector(b *testing.B, fresh func() behave.Detector) {
	recs := loadEvents(b, "zeek/rita-proxy-rolling", "conn.*.log.gz", "http.*.log.gz", "ssl.*.log.gz", "dns.*.log.gz")
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		run(fresh(), recs)
		n++
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n*len(recs)), "ns/event")
}

func BenchmarkBeacon(b *testing.B) {
	benchDetector(b, func() behave.Detector { return NewBeacon(BeaconConfig{}, behave.Limits{}) })
}

func BenchmarkLongConn(b *testing.B) {
	benchDetector(b, func() behave.Detector { return NewLongConn(LongConnConfig{}, behave.Limits{}) })
}

func BenchmarkDNSTunnel(b *testing.B) {
	benchDetector(b, func() behave.Detector { return NewDNSTunnel(DNSTunnelConfig{}, behave.Limits{}) })
}

func BenchmarkExfil(b *testing.B) {
	benchDetector(b, func() behave.Detector { return NewExfil(ExfilConfig{}, behave.Limits{}) })
}

func BenchmarkScan(b *testing.B) {
	benchDetector(b, func() behave.Detector { return NewScan(ScanConfig{}, behave.Limits{}) })
}

// BenchmarkBeaconScore scores one pair of a day of 5-minute beacons.
func BenchmarkBeaconScore(b *testing.B) {
	times := make([]int64, 288)
	sizes := make([]int64, 288)
	for i := range times {
		times[i] = 1_700_000_000 + int64(i)*300 + int64(i*7%13)
		sizes[i] = 300 + int64(i%5)
	}
	p := NewBeacon(BeaconConfig{}, behave.Limits{}).params()
	var sc beaconScratch
	b.ReportAllocs()
	for b.Loop() {
		scoreBeacon(times, sizes, times[0], times[len(times)-1], p, &sc)
	}
}
