package m365

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

// FuzzM365 checks that decoding never panics, fails only with a
// *FormatError inside the input, keeps every record's bytes, frames a
// valid JSON array exactly as encoding/json does, and adds only valid ECS
// values. Run it with
//
//	go test -run=^$ -fuzz=FuzzM365 -fuzztime=30s -fuzzminimizetime=2s ./internal/decode/m365
func FuzzM365(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) <= maxFuzzInput {
			f.Add(b)
		}
	}
	f.Add([]byte("Note,AuditData\n\"a\nb\",\"{\"\"Operation\"\":\"\"UserLoginFailed\"\",\"\"ClientIP\"\":\"\"[::1]:5\"\"}\"\n"))
	f.Add([]byte(`[{"AuditData":"{\"ExtendedProperties\":[{\"Name\":\"UserAgent\",\"Value\":\"x\"}]}","RecordType":"SharePointFileOperation"}]`))
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
			if utf8.Valid(elems[i]) && !object && !malformed {
				t.Fatalf("event %d: not an object but not malformed: %q", i, elems[i])
			}
			if object && malformed && !strings.Contains(e.ParseError, "nesting") && !strings.Contains(e.ParseError, "AuditData") && utf8.Valid(elems[i]) {
				t.Fatalf("event %d: valid object malformed (%s): %q", i, e.ParseError, elems[i])
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
	for _, name := range []string{event.EventCategory, event.EventAction, event.EventOutcome} {
		if n := len(e.Values(name)); n > 1 {
			t.Fatalf("%d %s values", n, name)
		}
	}
}
