package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

// countSink counts events and drops them.
type countSink struct{ events, malformed int }

func (s *countSink) Event(e *event.Event) error {
	s.events++
	if e.Kind == event.KindPipelineError {
		s.malformed++
	}
	return nil
}

func (s *countSink) Reject(string, int) {}

// BenchmarkDecode decodes a real NXLog capture of Windows Security and
// Sysmon events (OTRF schtask_create, 1,041 lines, 2 MB), next to
// json.Unmarshal of the same lines into map[string]any, the baseline.
func BenchmarkDecode(b *testing.B) {
	data := otrfLines(b, "otrf/atomic/windows/lateral_movement/host/schtask_create.zip")
	lines := 0
	for l := range bytes.Lines(data) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines++
		}
	}
	b.Run("decoder=jsonl", func(b *testing.B) {
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
	b.Run("decoder=encoding-json-map", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				if len(bytes.TrimSpace(sc.Bytes())) == 0 {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
