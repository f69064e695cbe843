package weblog

import (
	"bufio"
	"bytes"
	"slices"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

type countSink struct{ events, malformed int }

func (s *countSink) Event(e *event.Event) error {
	s.events++
	if e.Kind == event.KindPipelineError {
		s.malformed++
	}
	return nil
}

func (s *countSink) Reject(string, int) {}

// BenchmarkDecode decodes the access logs of the CrowdSec hub tests (nginx,
// Apache, LiteSpeed; 40-odd cases, their error-log lines left out), next
// to splitting the same bytes into lines only, the baseline.
func BenchmarkDecode(b *testing.B) {
	cases := accessLogCases(b)
	var names []string
	for name := range cases {
		names = append(names, name)
	}
	slices.Sort(names)
	var data []byte
	lines := 0
	for _, name := range names {
		for l := range bytes.Lines(cases[name]) {
			var e event.Event
			if DecodeLine(bytes.TrimRight(l, "\r\n"), &e) != nil {
				continue // not an access log line
			}
			data = append(data, bytes.TrimRight(l, "\r\n")...)
			data = append(data, '\n')
			lines++
		}
	}
	b.Run("decoder=weblog", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var sink countSink
		for b.Loop() {
			sink = countSink{}
			if err := (Decoder{}).Decode(bytes.NewReader(data), &sink); err != nil {
				b.Fatal(err)
			}
		}
		if sink.events != lines || sink.malformed != 0 {
			b.Fatalf("got %d events (%d malformed), want %d", sink.events, sink.malformed, lines)
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("decoder=lines-only", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			sc := bufio.NewScanner(bytes.NewReader(data))
			n := 0
			for sc.Scan() {
				n++
			}
			if n != lines {
				b.Fatalf("got %d lines, want %d", n, lines)
			}
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
