package entra

import (
	"bytes"
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

// benchRecords are 1,000 records (Graph's largest page) made from the
// fixtures' records, each with its own id and address, compact, in the
// order given.
func benchRecords(b *testing.B, fixture, member string) [][]byte {
	b.Helper()
	var page map[string]json.RawMessage
	if err := json.Unmarshal(readFixture(b, fixture), &page); err != nil {
		b.Fatal(err)
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(page[member], &recs); err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, 1000)
	for i := range out {
		var buf bytes.Buffer
		if err := json.Compact(&buf, recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		r := bytes.Replace(buf.Bytes(), []byte(`"198.51.100.23"`), fmt.Appendf(nil, `"198.51.%d.%d"`, i/250, i%250), -1)
		out[i] = r
	}
	return out
}

// BenchmarkDecode decodes 1,000 records as a Graph page of sign-ins and
// as Event Hub messages of the diagnostic export, next to two baselines
// over the same records: jsonl's decoder over them as lines (flattening
// only) and json.Unmarshal of each into map[string]any. Medians of three
// runs on the 2-core reference machine, shared with other work, per 1,000
// records: Graph sign-ins 14 ms (jsonl 11 ms, encoding/json 31 ms), Graph
// audit records 12 ms (9 ms, 22 ms), Event Hub messages 16 ms (12 ms,
// 24 ms).
func BenchmarkDecode(b *testing.B) {
	for _, in := range []struct{ name, fixture, member, wrap string }{
		{"graph-signins", "graph-signins.json", "value", `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[`},
		{"graph-audits", "graph-directoryaudits.json", "value", `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits","value":[`},
		{"eventhub", "eventhub.json", "records", `{"records":[`},
	} {
		recs := benchRecords(b, in.fixture, in.member)
		page := append(append([]byte(in.wrap), bytes.Join(recs, []byte(","))...), "]}"...)
		lines := append(bytes.Join(recs, []byte("\n")), '\n')
		b.Run("input="+in.name+"/decoder=entra", func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			var sink countSink
			for b.Loop() {
				sink = countSink{}
				if err := (Decoder{}).Decode(bytes.NewReader(page), &sink); err != nil {
					b.Fatal(err)
				}
			}
			if sink.events != len(recs) || sink.malformed != 0 {
				b.Fatalf("got %d events (%d malformed), want %d", sink.events, sink.malformed, len(recs))
			}
			b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run("input="+in.name+"/decoder=jsonl-lines", func(b *testing.B) {
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
		b.Run("input="+in.name+"/decoder=encoding-json-map", func(b *testing.B) {
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
}
