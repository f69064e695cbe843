package weblog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzers do.
const maxFuzzInput = 10 << 10

// FuzzWeblog checks that decoding never panics, that every line becomes
// one event, and that a decoded line's text fields are taken from it.
func FuzzWeblog(f *testing.F) {
	if haveShared("crowdsec-tests") {
		for _, data := range accessLogCases(f) {
			if len(data) > maxFuzzInput {
				data = data[:maxFuzzInput]
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`host.example:80 ::1 - bob [01/Jan/2024:00:00:00 +0100] "GET /a?b=c HTTP/2.0" 503 - "http://r/" "UA \"x\"" "10.0.0.1"`))
	f.Add([]byte("1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] \"\\x16\\x03\" 400 157 \"-\" \"-\"\n\n\r\n"))
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
			status, ok := e.Get(event.HTTPStatus)
			if !ok || len(status) != 3 {
				t.Fatalf("decoded line without a 3-digit status: %q", e.Raw)
			}
			outcome, _ := e.Get(event.EventOutcome)
			if (status[0] >= '4') != (outcome == event.OutcomeFailure) {
				t.Fatalf("status %s with outcome %s", status, outcome)
			}
			for _, name := range []string{event.URLOriginal, event.UserAgent, referrer, requestLine, event.UserName, event.HTTPMethod} {
				for _, f := range e.Values(name) {
					if !bytes.Contains(e.Raw, []byte(f.Value)) {
						t.Fatalf("%s=%q is not in the line %q", name, f.Value, e.Raw)
					}
				}
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
