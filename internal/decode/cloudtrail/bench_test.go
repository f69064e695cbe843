package cloudtrail

import (
	"bytes"
	"encoding/json"
	"io"
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

// BenchmarkDecode decodes the 35 Stratus Red Team logs (310 records,
// pretty-printed arrays), next to two baselines over the same bytes:
// json.Unmarshal of each file into []map[string]any, and json.Decoder
// framing each record as a json.RawMessage (what the framing scanner
// replaces).
func BenchmarkDecode(b *testing.B) {
	files := stratusFiles(b)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	var inputs [][]byte
	size := 0
	for _, name := range names {
		inputs = append(inputs, files[name])
		size += len(files[name])
	}
	const records = 310
	b.Run("decoder=cloudtrail", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		var sink countSink
		for b.Loop() {
			sink = countSink{}
			for _, in := range inputs {
				if err := (Decoder{}).Decode(bytes.NewReader(in), &sink); err != nil {
					b.Fatal(err)
				}
			}
		}
		if sink.events != records || sink.malformed != 0 {
			b.Fatalf("got %d events (%d malformed), want %d", sink.events, sink.malformed, records)
		}
		b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("decoder=encoding-json-map", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, in := range inputs {
				var recs []map[string]any
				if err := json.Unmarshal(in, &recs); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("decoder=json-decoder-framing", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, in := range inputs {
				dec := json.NewDecoder(bytes.NewReader(in))
				if _, err := dec.Token(); err != nil {
					b.Fatal(err)
				}
				for dec.More() {
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := dec.Token(); err != nil && err != io.EOF {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
