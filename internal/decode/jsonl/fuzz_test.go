package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzers do.
const maxFuzzInput = 10 << 10

// fuzzSeeds returns up to n lines of each real JSON lines file present.
func fuzzSeeds(f *testing.F, n int) [][]byte {
	var seeds [][]byte
	if !haveShared("crowdsec-tests") || !haveShared("otrf/atomic/windows") {
		return nil
	}
	for _, rel := range []string{
		"crowdsec-tests/caddy-basic-auth-bf/caddy-logs.log",
		"crowdsec-tests/suricata-eve-detect/suricata-eve-detect.log",
		"crowdsec-tests/k8s-audit-pod-exec-file/k8s-audit-pod-exec-file.log",
		"crowdsec-tests/aws-bf/aws-bf.log",
	} {
		data, err := os.ReadFile(shareddata.Path(f, rel))
		if err != nil {
			f.Fatal(err)
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			if i >= n {
				break
			}
			if len(line) > 0 && len(line) <= maxFuzzInput {
				seeds = append(seeds, line)
			}
		}
	}
	data := otrfLines(f, "otrf/atomic/windows/lateral_movement/host/schtask_create.zip")
	for i, line := range bytes.Split(data, []byte("\n")) {
		if i >= n {
			break
		}
		if len(line) <= maxFuzzInput {
			seeds = append(seeds, line)
		}
	}
	return seeds
}

// FuzzJSONL checks that decoding never panics, that every line is kept,
// and that Flatten agrees with encoding/json on what is valid and on the
// fields of valid UTF-8 objects.
func FuzzJSONL(f *testing.F) {
	for _, s := range fuzzSeeds(f, 3) {
		f.Add(s)
	}
	f.Add([]byte(`{"a":{"b":[1,"x",null,true,{"c":-1.5e3}]},"@timestamp":"2024-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"k\u00e9y":"\ud83d\ude00\ud800\n","ts":1700000000.5}` + "\n[1]\nnull\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		var c decode.Collect
		if err := (Decoder{}).Decode(bytes.NewReader(data), &c); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		var lines int
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(bytes.TrimRight(l, "\r"))) > 0 {
				lines++
			}
		}
		if len(c.Events) != lines {
			t.Fatalf("got %d events for %d non-blank lines", len(c.Events), lines)
		}
		for _, e := range c.Events {
			if e.Kind == event.KindPipelineError && (e.ParseError == "" || len(e.Fields) > 0) {
				t.Fatalf("malformed event with ParseError %q and %d fields", e.ParseError, len(e.Fields))
			}
			if !bytes.Contains(data, e.Raw) {
				t.Fatalf("Raw %q is not a line of the input", e.Raw)
			}
		}

		// Differential check of one JSON text against encoding/json.
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if !utf8.Valid(data) || len(trimmed) == 0 || trimmed[0] != '{' {
			return
		}
		var e event.Event
		err := Flatten("", json.RawMessage(data), &e)
		want, ok := referenceFlatten(data)
		switch {
		case err == nil && !ok:
			t.Fatalf("Flatten accepts what encoding/json rejects: %q", data)
		case err != nil && ok:
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, "nesting") {
				t.Fatalf("Flatten rejects what encoding/json accepts: %v", err)
			}
		case err == nil:
			if diff := cmp.Diff(sortedByName(want), e.Fields, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("fields differ from encoding/json (-want +got):\n%s", diff)
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
