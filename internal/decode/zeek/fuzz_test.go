package zeek

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parsers do.
const maxFuzzInput = 10 << 10

// FuzzZeek decodes arbitrary streams, seeded with the start of real logs
// (zeek/, GPL) and the JSON fixture. Run it with
//
//	go test -run=^$ -fuzz=FuzzZeek -fuzztime=30s -fuzzminimizetime=2s ./internal/decode/zeek
//
// Without -fuzzminimizetime each new input is minimized for up to a
// minute, which leaves a 30 s run no time to fuzz.
func FuzzZeek(f *testing.F) {
	f.Add([]byte(tsvHeader + "1.5\tweb\t80\tT\t0.25\ta,b\t1,2\n"))
	if b, err := os.ReadFile("testdata/rita-proxy.jsonl"); err == nil {
		f.Add(b)
	}
	if dir := shareddata.Dir(); dir != "" {
		for _, name := range []string{
			"zeek/rita-proxy/conn.log", "zeek/rita-proxy/dns.log", "zeek/rita-proxy/http.log",
			"zeek/rita-proxy/ssl.log", "zeek/rita-proxy/files.log", "zeek/rita-proxy/x509.log",
			"zeek/rita-proxy-rolling/conn.15:00:00-16:00:00.log.gz",
			"zeek/stratosphere/004-zeek-scenario-ssh/ssh.log",
		} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				continue // seeds from shared data are optional
			}
			f.Add(b[:min(len(b), 2<<10)])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			return
		}
		var c decode.Collect
		if err := (Decoder{}).Decode(bytes.NewReader(b), &c); err != nil {
			if !bytes.HasPrefix(b, gzipMagic) {
				t.Fatalf("Decode = %v; only gzip input may fail", err)
			}
			return
		}
		if bytes.HasPrefix(b, gzipMagic) {
			return
		}
		lines := 0
		for _, line := range bytes.Split(b, []byte("\n")) {
			line = bytes.TrimRight(line, "\r")
			if len(bytes.TrimSpace(line)) > 0 && line[0] != '#' {
				lines++
			}
		}
		if len(c.Events) != lines {
			t.Errorf("%d events for %d record lines", len(c.Events), lines)
		}
		for i, e := range c.Events {
			if e.Kind == event.KindPipelineError && len(e.Fields) != 0 {
				t.Errorf("event %d: malformed with fields", i)
			}
			if e.Kind == event.KindEvent {
				if _, ok := e.Get(event.EventModule); !ok {
					t.Errorf("event %d: no event.module", i)
				}
			}
		}
	})
}
