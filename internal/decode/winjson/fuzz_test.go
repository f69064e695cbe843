package winjson

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzers do.
const maxFuzzInput = 10 << 10

// FuzzWinJSON checks that decoding never panics, that every line becomes
// one event, and that Normalise is idempotent on what Decode produces (the
// property package evtx relies on when it calls Normalise itself).
func FuzzWinJSON(f *testing.F) {
	if haveShared("otrf/atomic/windows") {
		for _, rel := range []string{
			"otrf/atomic/windows/lateral_movement/host/schtask_create.zip",
			"otrf/atomic/windows/defense_evasion/host/empire_wdigest_downgrade.tar.gz",
		} {
			data := otrfArchive(f, rel)[0].data
			n := 0
			for l := range bytes.Lines(data) {
				if len(l) <= maxFuzzInput && n < 5 {
					f.Add(l)
					n++
				}
			}
		}
	}
	f.Add([]byte(`{"Event":{"System":{"EventID":{"#text":4625},"Channel":"Security"},"EventData":{"TargetUserName":"x","IpAddress":"::ffff:1.2.3.4"}}}`))
	f.Add([]byte(`{"winlog":{"event_id":"4688","channel":"security","event_data":{"NewProcessName":"C:\\a.exe","NewProcessId":"0x10"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		var c decode.Collect
		if err := (Decoder{}).Decode(bytes.NewReader(data), &c); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		lines := 0
		for l := range bytes.Lines(data) {
			if len(bytes.TrimSpace(bytes.TrimRight(l, "\r\n"))) > 0 {
				lines++
			}
		}
		if len(c.Events) != lines {
			t.Fatalf("got %d events for %d non-blank lines", len(c.Events), lines)
		}
		for _, e := range c.Events {
			if e.Kind == event.KindPipelineError {
				if e.ParseError == "" || len(e.Fields) > 0 {
					t.Fatalf("malformed event with ParseError %q and %d fields", e.ParseError, len(e.Fields))
				}
				continue
			}
			again := event.Event{Fields: slices.Clone(e.Fields)}
			Normalise(&again)
			if diff := cmp.Diff(e.Fields, again.Fields); diff != "" {
				t.Fatalf("Normalise is not idempotent (-decoded +again):\n%s", diff)
			}
		}
	})
}

// haveShared reports whether rel exists in the shared data, so that fuzz
// seeds are taken from it when it is there without skipping the fuzz test
// when it is not.
func haveShared(rel string) bool {
	d := shareddata.Dir()
	if d == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(d, filepath.FromSlash(rel)))
	return err == nil
}
