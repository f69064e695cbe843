package zeek

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// countSink counts events and drops them.
type countSink struct{ events int }

func (s *countSink) Event(*event.Event) error { s.events++; return nil }
func (s *countSink) Reject(string, int)       {}

// BenchmarkDecode decodes a conn.log held in memory: the TSV log of the
// rolling RITA capture (7,260 records, gunzipped) and the JSON one of
// Stratosphere's scenario 002 (4,504 records). work=split-only is the
// baseline: cutting the TSV log into lines and tab-separated columns,
// nothing else.
func BenchmarkDecode(b *testing.B) {
	dir := shareddata.Path(b, "zeek")
	logs := []struct{ name, path string }{
		{"conn.log", "rita-proxy-rolling/conn.16:00:00-17:00:00.log.gz"},
		{"conn-json.log", "stratosphere/002-zeek-scenario-port-scanning/conn.log"},
	}
	for _, log := range logs {
		data := readPlain(b, filepath.Join(dir, log.path))
		b.Run("log="+log.name+"/work=decoder", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var sink countSink
			for b.Loop() {
				if err := (Decoder{}).Decode(bytes.NewReader(data), &sink); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sink.events)/b.Elapsed().Seconds(), "events/s")
		})
		if log.name != "conn.log" {
			continue
		}
		b.Run("log="+log.name+"/work=split-only", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			lines, columns := 0, 0
			for b.Loop() {
				for rest := data; len(rest) > 0; {
					line, more, _ := bytes.Cut(rest, []byte{'\n'})
					rest = more
					if len(line) == 0 || line[0] == '#' {
						continue
					}
					lines++
					for len(line) > 0 {
						_, line, _ = bytes.Cut(line, []byte{'\t'})
						columns++
					}
				}
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
