package auditd

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

// FuzzAuditd checks that decoding never fails or panics, and that the
// events hold every non-blank line exactly once, in order. Run it with
//
//	go test -run=^$ -fuzz=FuzzAuditd -fuzztime=30s -fuzzminimizetime=2s ./internal/decode/auditd
func FuzzAuditd(f *testing.F) {
	if b, err := os.ReadFile("testdata/fixture.log"); err == nil {
		f.Add(b)
	}
	if dir := shareddata.Dir(); dir != "" {
		for _, name := range []string{"auditd-base64-exec", "auditd-postexploit-rm"} {
			if b, err := os.ReadFile(filepath.Join(dir, "crowdsec-tests", name, name+".log")); err == nil {
				f.Add(b) // seeds from shared data are optional
			}
		}
	}
	f.Add([]byte("May 17 13:23:38 web02 kernel: audit: type=1309 audit(1684329818.100:3002): argc=2 a0=\"id\" a1_len=4 a1[0]=41 a1[1]=\"B\"\n"))
	f.Add([]byte("node=a type=USER_AUTH msg=audit(1.5:7): msg='acct=\"x\" res=failed'\x1dUID=\"root\"\nnode=a type=EOE msg=audit(1.5:7): \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			return
		}
		var c decode.Collect
		if err := (Decoder{MaxRecords: 3}).Decode(bytes.NewReader(b), &c); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		var want [][]byte
		for line := range bytes.Lines(b) {
			line = bytes.TrimRight(line, "\r\n")
			if len(bytes.TrimSpace(line)) > 0 {
				want = append(want, line)
			}
		}
		var got [][]byte
		for i, e := range c.Events {
			got = append(got, bytes.Split(e.Raw, []byte("\n"))...)
			switch e.Kind {
			case event.KindPipelineError:
				if len(e.Fields) != 0 || bytes.IndexByte(e.Raw, '\n') >= 0 {
					t.Errorf("event %d: malformed with fields or several lines", i)
				}
			case event.KindEvent:
				if _, ok := e.Get(FieldSequence); !ok {
					t.Errorf("event %d: no %s", i, FieldSequence)
				}
				if n := bytes.Count(e.Raw, []byte("\n")) + 1; n > 3 {
					t.Errorf("event %d: %d records, want at most MaxRecords", i, n)
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("events hold %d lines, want %d", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("line %d: %q, want %q", i, got[i], want[i])
			}
		}
	})
}
