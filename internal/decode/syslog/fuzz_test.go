package syslog

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzers do.
const maxFuzzInput = 10 << 10

// addSeeds adds the lines of the loghub samples when the shared data is
// present (a fuzz seed corpus must not skip or fail without it), one per
// shape, and a few inline lines.
func addSeeds(f *testing.F, add func(line string)) {
	if dir := shareddata.Dir(); dir != "" {
		seen := make(map[string]bool)
		for _, name := range []string{"OpenSSH_2k.log", "Linux_2k.log"} {
			data, err := os.ReadFile(filepath.Join(dir, "linux", name))
			if err != nil {
				continue
			}
			for line := range strings.Lines(string(data)) {
				if k := shape(line); !seen[k] {
					seen[k] = true
					add(strings.TrimRight(line, "\r\n"))
				}
			}
		}
	}
	for _, line := range []string{
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
		"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] \xEF\xBB\xBFAn application event",
		`<38>1 2024-05-01T10:00:00Z bastion sshd 4242 - [meta note="a \"b\" \] c"] Failed password for root from 203.0.113.9 port 50000 ssh2`,
		"2024-01-02T03:04:05.123456+01:00 web01 sudo:     alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id",
		"Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2",
		"Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
		"Dec 10 06:55:46 LabSZ sshd[1]: Invalid user \xe9ric from 10.0.0.9",
		"<13>hello",
		"<0>1 - - - - - -",
		"Feb 29 10:00:00.123456789 h p[1]:",
		"\x00\xff",
	} {
		add(line)
	}
}

// shape reduces a line to its first words with digits squashed, so that
// the 4,000 sample lines give about a hundred seeds of distinct forms and
// the fuzzer spends its time mutating rather than replaying them.
func shape(line string) string {
	b := []byte(line[min(len(line), 16):min(len(line), 60)])
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '0'
		}
	}
	return string(b)
}

func FuzzSyslog(f *testing.F) {
	addSeeds(f, func(line string) { f.Add([]byte(line)) })
	d := testDecoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		e := &event.Event{Raw: bytes.Clone(data)}
		err := d.DecodeMessage(data, e)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeMessage(%q) = %v, want an error matching ErrMalformed", data, err)
			}
		} else {
			checkEvent(t, data, e)
			again := &event.Event{Raw: bytes.Clone(data)}
			if err := d.DecodeMessage(data, again); err != nil {
				t.Fatalf("second DecodeMessage(%q) = %v", data, err)
			}
			if diff := cmp.Diff(e.Fields, again.Fields); diff != "" {
				t.Fatalf("DecodeMessage(%q) not deterministic:\n%s", data, diff)
			}
		}

		// The stream decoder keeps every non-blank line, as an event or a
		// pipeline error with its bytes.
		var c decode.Collect
		if err := d.Decode(bytes.NewReader(data), &c); err != nil {
			t.Fatalf("Decode(%q) = %v", data, err)
		}
		for _, e := range c.Events {
			if len(e.Raw) == 0 || e.Format != Format {
				t.Fatalf("Decode(%q): event with Raw %q, Format %q", data, e.Raw, e.Format)
			}
			if (e.Kind == event.KindPipelineError) != (e.ParseError != "") {
				t.Fatalf("Decode(%q): Kind %v with ParseError %q", data, e.Kind, e.ParseError)
			}
			if e.Kind == event.KindEvent {
				checkEvent(t, e.Raw, e)
			}
		}
	})
}

// checkEvent checks the invariants of a decoded event.
func checkEvent(t *testing.T, data []byte, e *event.Event) {
	t.Helper()
	if e.Kind != event.KindEvent || e.Format != Format {
		t.Fatalf("%q: Kind %v, Format %q", data, e.Kind, e.Format)
	}
	for i, fl := range e.Fields {
		if fl.Name == "" || !utf8.ValidString(fl.Value) {
			t.Fatalf("%q: bad field %q=%q", data, fl.Name, fl.Value)
		}
		if i > 0 && e.Fields[i-1].Name > fl.Name {
			t.Fatalf("%q: fields not sorted: %v", data, e.Fields)
		}
		if fl.Type == event.Number && !isDigits(fl.Value) {
			t.Fatalf("%q: number field %s=%q", data, fl.Name, fl.Value)
		}
	}
	if ip, ok := e.Get(event.SourceIP); ok {
		if _, err := netip.ParseAddr(ip); err != nil {
			t.Fatalf("%q: source.ip %q: %v", data, ip, err)
		}
	}
	_, tagged := e.Get(FieldTags)
	if valid := utf8.Valid(bytes.TrimRight(data, "\r\n\x00")); tagged == valid {
		t.Fatalf("%q: tagged %v, valid UTF-8 %v", data, tagged, valid)
	}
}
