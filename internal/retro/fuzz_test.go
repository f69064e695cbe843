package retro

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigie-sec/vigie/internal/store"
)

// FuzzDecodeJob checks that a hunt record, whatever its bytes, is either
// refused or read into a job that is written and read back unchanged
// (an empty detector list may come back absent).
func FuzzDecodeJob(f *testing.F) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	seed := Job{ID: "7", Name: "indicator 203.0.113.47", State: Stopped, RequestedBy: "alice", Started: t0,
		Ended: t0.Add(time.Minute), From: t0.Add(-24 * time.Hour), Scanned: 5000, Matched: 4000, Total: 70000,
		Alerts: 3, Rules: 12, Detectors: []string{"ioc"}, Position: 5000, Last: 70000}
	b, err := json.Marshal(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("7", b)
	f.Add("1", []byte(`{"id":"1","state":"running","started":"2025-03-01T10:00:00Z"}`))
	f.Add("2", []byte(`{"id":"2","state":"paused"}`))
	f.Add("3", []byte(`{"id":"3","state":"done","total":-1,"scanned":1e30}`))
	f.Add("4", []byte(`[]`))
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		if len(body) > 10240 {
			return
		}
		j, err := decodeJob(store.Record{Kind: RecordKind, ID: id, Body: body})
		if err != nil {
			return
		}
		if p := j.Progress(); p < 0 || p > 1 {
			t.Fatalf("progress %g outside [0, 1]", p)
		}
		again, err := json.Marshal(j)
		if err != nil {
			t.Fatalf("accepted job not written back: %v", err)
		}
		back, err := decodeJob(store.Record{Kind: RecordKind, ID: id, Body: again})
		if err != nil {
			t.Fatalf("job written back not read: %v\n%s", err, again)
		}
		if diff := cmp.Diff(j, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip changed the job (-read +again):\n%s", diff)
		}
	})
}
