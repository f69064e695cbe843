package m365

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode/jsonl"
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

// benchRecords are 1,000 records made from api-content.json's seven, each
// with its own Id, compact.
func benchRecords(b *testing.B) [][]byte {
	b.Helper()
	var recs []json.RawMessage
	if err := json.Unmarshal(readFixture(b, "api-content.json"), &recs); err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, 1000)
	for i := range out {
		var buf bytes.Buffer
		if err := json.Compact(&buf, recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		out[i] = bytes.Replace(buf.Bytes(), []byte(`"Id":"`), fmt.Appendf(nil, `"Id":"%04d-`, i), 1)
	}
	return out
}

// BenchmarkDecode decodes 1,000 records as the API's JSON array and as a
// Purview CSV export, next to two baselines over the same records:
// jsonl's decoder over them as lines (flattening only) and json.Unmarshal
// of each into map[string]any. Medians of three runs on the 2-core
// reference machine, shared with other work, per 1,000 records: the array
// 8 ms (jsonl 7 ms, encoding/json 19 ms), the CSV export 15 ms (its rows
// are split and AuditData unquoted before flattening).
func BenchmarkDecode(b *testing.B) {
	recs := benchRecords(b)
	array := append(append([]byte("["), bytes.Join(recs, []byte(","))...), ']')
	lines := append(bytes.Join(recs, []byte("\n")), '\n')
	var csvBuf bytes.Buffer
	w := csv.NewWriter(&csvBuf)
	w.UseCRLF = true
	w.Write([]string{"RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData", "AssociatedAdminUnits", "AssociatedAdminUnitsNames"})
	for i, r := range recs {
		w.Write([]string{fmt.Sprint(i), "2024-05-06T08:20:41.0000000Z ", "6", "FileDownloaded", "meganb@contoso.example", string(r), "", ""})
	}
	w.Flush()
	for _, in := range []struct {
		name string
		data []byte
	}{{"api-array", array}, {"purview-csv", csvBuf.Bytes()}} {
		b.Run("input="+in.name+"/decoder=m365", func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			var sink countSink
			for b.Loop() {
				sink = countSink{}
				if err := (Decoder{}).Decode(bytes.NewReader(in.data), &sink); err != nil {
					b.Fatal(err)
				}
			}
			if sink.events != len(recs) || sink.malformed != 0 {
				b.Fatalf("got %d events (%d malformed), want %d", sink.events, sink.malformed, len(recs))
			}
			b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	b.Run("input=lines/decoder=jsonl-lines", func(b *testing.B) {
		b.SetBytes(int64(len(lines)))
		b.ReportAllocs()
		for b.Loop() {
			var sink countSink
			if err := (jsonl.Decoder{}).Decode(bytes.NewReader(lines), &sink); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("input=lines/decoder=encoding-json-map", func(b *testing.B) {
		b.SetBytes(int64(len(lines)))
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range recs {
				var m map[string]any
				if err := json.Unmarshal(r, &m); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
