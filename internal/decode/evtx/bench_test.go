package evtx

import (
	"bytes"
	"os"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"www.velocidex.com/golang/evtx"
)

// countSink counts events and drops them.
type countSink struct{ events int }

func (s *countSink) Event(*event.Event) error { s.events++; return nil }
func (s *countSink) Reject(string, int)       {}

// BenchmarkDecode decodes all 277 EVTX attack samples (evtx/attack-samples,
// GPL-3.0), held in memory. work=parser-only is the baseline: the
// parser library's own record parsing of the same files, without the
// framing checks, the scan, field naming, typed values or JSON.
func BenchmarkDecode(b *testing.B) {
	var files [][]byte
	var size int64
	for _, path := range evtxFiles(b, shareddata.Path(b, "evtx/attack-samples")) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += int64(len(data))
	}
	b.Run("work=decoder", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		var sink countSink
		for b.Loop() {
			for _, data := range files {
				if err := (Decoder{}).Decode(bytes.NewReader(data), &sink); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(sink.events)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("work=parser-only", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		records := 0
		for b.Loop() {
			for _, data := range files {
				chunks, err := evtx.GetChunks(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range chunks {
					rs, err := c.Parse(0)
					if err != nil {
						b.Fatal(err)
					}
					records += len(rs)
				}
			}
		}
		b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "events/s")
	})
}
