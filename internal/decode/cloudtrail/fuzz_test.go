package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzers do.
const maxFuzzInput = 10 << 10

// FuzzCloudTrail checks that decoding never panics, fails only with a
// *FormatError inside the input, keeps every record's bytes, and frames a
// valid JSON array exactly as encoding/json does.
func FuzzCloudTrail(f *testing.F) {
	if haveShared("cloudtrail/stratus") && haveShared("crowdsec-tests/aws-bf") {
		for _, data := range stratusFiles(f) {
			if len(data) <= maxFuzzInput {
				f.Add(data)
			}
		}
		if data, err := os.ReadFile(shareddata.Path(f, "crowdsec-tests/aws-bf/aws-bf.log")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"Records":[{"eventName":"A","sourceIPAddress":"ec2.amazonaws.com"},{"x":"]}\""}],"y":[1]}`))
	f.Add([]byte(`[{"eventTime":"2024-01-01T00:00:00Z","errorCode":"AccessDenied"}][]` + "\n{\"a\":1}\n"))
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
