package winjson

import (
	"bufio"
	"bytes"
	"encoding/json"
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

// BenchmarkDecode decodes real OTRF captures, one per shape (NXLog:
// schtask_create, 1,041 events; Winlogbeat 6: empire_wdigest_downgrade,
// 2,710 events with long PowerShell messages), next to json.Unmarshal of
// the same lines into map[string]any, the baseline.
func BenchmarkDecode(b *testing.B) {
	inputs := []struct{ shape, archive string }{
		{"nxlog", "otrf/atomic/windows/lateral_movement/host/schtask_create.zip"},
		{"winlogbeat6", "otrf/atomic/windows/defense_evasion/host/empire_wdigest_downgrade.tar.gz"},
	}
	for _, in := range inputs {
		data := otrfArchive(b, in.archive)[0].data
		lines := 0
		for l := range bytes.Lines(data) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		b.Run("shape="+in.shape+"/decoder=winjson", func(b *testing.B) {
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
		b.Run("shape="+in.shape+"/decoder=encoding-json-map", func(b *testing.B) {
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
}
