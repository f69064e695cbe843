package entra

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzers do.
const maxFuzzInput = 10 << 10

// FuzzEntra checks that decoding never panics, fails only with a
// *FormatError inside the input, keeps every record's bytes, frames a
// valid JSON array exactly as encoding/json does, and adds only valid ECS
// values. Run it with
//
//	go test -run=^$ -fuzz=FuzzEntra -fuzztime=30s -fuzzminimizetime=2s ./internal/decode/entra
func FuzzEntra(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.json")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) <= maxFuzzInput {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"@odata.context":"x","value":[{"createdDateTime":"1","conditionalAccessStatus":"x","status":{"errorCode":"7"},"ipAddress":"::1"}]}`))
	f.Add([]byte(`[{"operationName":"a","category":"AuditLogs","properties":{"targetResources":[{"Type":"User","id":1}]}}]` + "\n{\"a\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		var c decode.Collect
		err := (Decoder{}).Decode(bytes.NewReader(data), &c)
		var fe *FormatError
		if err != nil && (!errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(data))) {
			t.Fatalf("Decode: %v (input %d bytes)", err, len(data))
		}
		for _, e := range c.Events {
			if !bytes.Contains(data, e.Raw) {
				t.Fatalf("Raw %q is not part of the input", e.Raw)
			}
			if e.Kind == event.KindPipelineError && (e.ParseError == "" || len(e.Fields) > 0) {
				t.Fatalf("malformed event with ParseError %q and %d fields", e.ParseError, len(e.Fields))
			}
			checkValues(t, e)
		}

		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if len(trimmed) == 0 || trimmed[0] != '[' || !json.Valid(data) {
			return
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			t.Fatalf("json.Unmarshal of valid JSON: %v", err)
		}
		if err != nil {
			t.Fatalf("valid JSON array: %v", err)
		}
		if len(c.Events) != len(elems) {
			t.Fatalf("got %d events for an array of %d", len(c.Events), len(elems))
		}
		for i, e := range c.Events {
			if !bytes.Equal(e.Raw, elems[i]) {
				t.Fatalf("event %d: Raw %q, want %q", i, e.Raw, elems[i])
			}
			object := bytes.HasPrefix(elems[i], []byte("{"))
			malformed := e.Kind == event.KindPipelineError
			if utf8.Valid(elems[i]) && malformed == object && !strings.Contains(e.ParseError, "nesting") {
				t.Fatalf("event %d: malformed %v (%s) for %q", i, malformed, e.ParseError, elems[i])
			}
		}
	})
}

// checkValues checks the values of the ECS fields the package adds.
func checkValues(t *testing.T, e *event.Event) {
	t.Helper()
	for _, f := range e.Values(event.EventOutcome) {
		switch f.Value {
		case event.OutcomeSuccess, event.OutcomeFailure, event.OutcomeUnknown:
		default:
			t.Fatalf("event.outcome %q", f.Value)
		}
	}
	for _, f := range e.Values(event.SourceIP) {
		if a, err := netip.ParseAddr(f.Value); err != nil || a.String() != f.Value {
			t.Fatalf("source.ip %q is not a canonical address", f.Value)
		}
	}
	if n := len(e.Values(event.EventCategory)); n > 1 {
		t.Fatalf("%d event.category values", n)
	}
}
