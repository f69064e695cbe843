package zeek

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// The shared Zeek logs (zeek/, sources and licences in its README):
// rita-proxy and rita-proxy-rolling from RITA (GPL-3.0), stratosphere from
// the Stratosphere Laboratory (GPL-2.0).

// readPlain returns a file's bytes, gunzipped when its name ends in .gz.
func readPlain(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// recordLines returns the lines that are neither empty nor headers.
func recordLines(b []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && line[0] != '#' {
			lines = append(lines, line)
		}
	}
	return lines
}

func decodeBytes(t testing.TB, d Decoder, b []byte) *decode.Collect {
	t.Helper()
	var c decode.Collect
	if err := d.Decode(bytes.NewReader(b), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func decodePath(t testing.TB, path string) []*event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c decode.Collect
	if err := (Decoder{}).Decode(f, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(c.Rejected) > 0 {
		t.Errorf("%s: rejected %v", path, c.Rejected)
	}
	return c.Events
}

// zeekFiles returns the logs under dir: *.log and *.log.gz.
func zeekFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".log") || strings.HasSuffix(p, ".log.gz")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSharedLogs decodes every shared Zeek log, TSV, gzip and JSON: one
// event per record line, none malformed, each dated by its ts and named by
// its log.
func TestSharedLogs(t *testing.T) {
	dir := shareddata.Path(t, "zeek")
	files := zeekFiles(t, dir)
	if len(files) != 38 {
		t.Errorf("found %d logs, want 38", len(files))
	}
	for _, path := range files {
		name, _ := filepath.Rel(dir, path)
		lines := recordLines(readPlain(t, path))
		events := decodePath(t, path)
		if len(events) != len(lines) || len(lines) == 0 {
			t.Errorf("%s: %d events, want %d (its record lines)", name, len(events), len(lines))
			continue
		}
		// The log is named by the file: conn.15:00:00-16:00:00.log.gz,
		// labeled-conn.log.
		log := strings.TrimPrefix(strings.SplitN(filepath.Base(path), ".", 2)[0], "labeled-")
		for i, e := range events {
			if e.Kind != event.KindEvent {
				t.Errorf("%s: event %d malformed: %s: %q", name, i, e.ParseError, e.Raw)
				continue
			}
			if ds, _ := e.Get(event.EventDataset); ds != "zeek."+log {
				t.Errorf("%s: event %d: event.dataset %q, want zeek.%s", name, i, ds, log)
			}
			if ts, ok := e.Get("ts"); ok {
				sec, _ := strconv.ParseFloat(ts, 64)
				if d := e.Time.Sub(time.Unix(0, int64(sec*1e9))); d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("%s: event %d: Time %v for ts %s", name, i, e.Time, ts)
				}
			} else if log != "loaded_scripts" {
				t.Errorf("%s: event %d: no ts", name, i)
			}
			if string(e.Raw) != lines[i] {
				t.Errorf("%s: event %d: Raw %q, want the line %q", name, i, e.Raw, lines[i])
			}
		}
	}
}

// count returns how many events have every field value in want.
func count(events []*event.Event, want map[string]string) int {
	n := 0
next:
	for _, e := range events {
		for name, value := range want {
			found := false
			for _, f := range e.Values(name) {
				found = found || f.Value == value
			}
			if !found {
				continue next
			}
		}
		n++
	}
	return n
}

// TestGroundTruth checks facts of the shared logs, counted independently:
// from the data README, or with awk as each comment shows.
func TestGroundTruth(t *testing.T) {
	dir := shareddata.Path(t, "zeek")
	all := func(pattern string) []*event.Event {
		paths, _ := filepath.Glob(filepath.Join(dir, pattern))
		if len(paths) == 0 {
			t.Fatalf("no file matches %s", pattern)
		}
		var events []*event.Event
		for _, p := range paths {
			events = append(events, decodePath(t, p)...)
		}
		return events
	}
	tests := []struct {
		name  string
		files string
		want  map[string]string
		n     int
	}{{
		// awk -F'\t' '!/^#/ && $3=="10.136.0.18" && $5=="10.136.0.16" && $6=="3128"' rita-proxy/conn.log | wc -l
		name: "beacon host to proxy", files: "rita-proxy/conn.log", n: 407,
		want: map[string]string{event.SourceIP: "10.136.0.18", event.DestinationIP: "10.136.0.16", event.DestinationPort: "3128", event.NetworkTransport: "tcp"},
	}, {
		// awk -F'\t' '!/^#/ && $9=="www.honestimnotevil.com"' rita-proxy/http.log | wc -l (all CONNECT)
		name: "CONNECT to the beacon domain", files: "rita-proxy/http.log", n: 397,
		want: map[string]string{event.URLDomain: "www.honestimnotevil.com", event.HTTPMethod: "CONNECT", event.HTTPStatus: "200", event.UserAgent: "Modzilla/-2.0 (Atari 7800)"},
	}, {
		// awk -F'\t' '!/^#/ && $10=="www.honestimnotevil.com"' rita-proxy/ssl.log | wc -l
		name: "TLS to the beacon domain", files: "rita-proxy/ssl.log", n: 397,
		want: map[string]string{"tls.client.server_name": "www.honestimnotevil.com", "tls.version": "1.3", "tls.version_protocol": "tls"},
	}, {
		// awk -F'\t' '!/^#/ {print $10}' rita-proxy/dns.log | sort | uniq -c
		name: "mDNS queries", files: "rita-proxy/dns.log", n: 488,
		want: map[string]string{event.DNSQuestionName: "_homekit._tcp.local", event.NetworkProtocol: "dns"},
	}, {
		// The README: 1,160 connections from 10.0.0.238 to 75.75.75.75.
		name: "rolling DNS beacon", files: "rita-proxy-rolling/conn.*.log.gz", n: 1160,
		want: map[string]string{event.SourceIP: "10.0.0.238", event.DestinationIP: "75.75.75.75"},
	}, {
		// The README: 244 malicious C&C flows, 739 background, 9 benign.
		name: "labelled malicious flows", files: "stratosphere/001-*/labeled-conn.log", n: 244,
		want: map[string]string{"label": "Malicious"},
	}, {
		name: "labelled background flows", files: "stratosphere/001-*/labeled-conn.log", n: 739,
		want: map[string]string{"label": "Background"},
	}, {
		name: "labelled benign flows", files: "stratosphere/001-*/labeled-conn.log", n: 9,
		want: map[string]string{"label": "Benign"},
	}, {
		// JSON: grep -c '"id.orig_h":"172.16.1.11"' .../conn.log; the README names the scanner.
		name: "scanner in JSON conn log", files: "stratosphere/002-*/conn.log", n: 4504,
		want: map[string]string{event.SourceIP: "172.16.1.11", event.EventDataset: "zeek.conn"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := count(all(tt.files), tt.want); got != tt.n {
				t.Errorf("%d events with %v, want %d", got, tt.want, tt.n)
			}
		})
	}
}

// TestHeaderBlocks decodes logs of different kinds concatenated, plain and
// as concatenated gzip members: each header block applies to its lines.
func TestHeaderBlocks(t *testing.T) {
	dir := shareddata.Path(t, "zeek/rita-proxy-rolling")
	parts := []string{"conn.15:00:00-16:00:00.log.gz", "dns.15:00:00-16:00:00.log.gz", "http.15:00:00-16:00:00.log.gz"}
	var plain, zipped []byte
	var want []string // event.dataset per record
	for _, p := range parts {
		b := readPlain(t, filepath.Join(dir, p))
		plain = append(plain, b...)
		z, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		zipped = append(zipped, z...)
		for range len(recordLines(b)) {
			want = append(want, "zeek."+strings.SplitN(p, ".", 2)[0])
		}
	}
	for name, input := range map[string][]byte{"plain": plain, "gzip": zipped} {
		t.Run(name, func(t *testing.T) {
			c := decodeBytes(t, Decoder{}, input)
			var got []string
			for _, e := range c.Events {
				ds, _ := e.Get(event.EventDataset)
				if e.Kind != event.KindEvent {
					ds = "malformed: " + e.ParseError
				}
				got = append(got, ds)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event.dataset per record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTruncatedGzip decodes a gzip log cut short: the records before the
// cut are delivered, and the error says the input ended early.
func TestTruncatedGzip(t *testing.T) {
	path := filepath.Join(shareddata.Path(t, "zeek/rita-proxy-rolling"), "dns.16:00:00-17:00:00.log.gz")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c decode.Collect
	err = Decoder{}.Decode(bytes.NewReader(b[:len(b)/2]), &c)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Decode = %v, want an unexpected EOF", err)
	}
	all := len(recordLines(readPlain(t, path)))
	if len(c.Events) == 0 || len(c.Events) >= all {
		t.Errorf("%d events before the cut, want some of %d", len(c.Events), all)
	}
	for i, e := range c.Events[:len(c.Events)-1] {
		if e.Kind != event.KindEvent {
			t.Errorf("event %d: %s", i, e.ParseError)
		}
	}
}

// TestConcurrent decodes several logs at once with one Decoder, as the
// Decoder contract allows (run with -race).
func TestConcurrent(t *testing.T) {
	dir := shareddata.Path(t, "zeek")
	files := zeekFiles(t, dir)
	want := make([]int, len(files))
	for i, p := range files {
		want[i] = len(decodePath(t, p))
	}
	var d Decoder
	got := make([]int, len(files))
	var wg sync.WaitGroup
	for i, p := range files {
		wg.Go(func() {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Error(err)
				return
			}
			var c decode.Collect
			if err := d.Decode(bytes.NewReader(b), &c); err != nil {
				t.Error(err)
			}
			got[i] = len(c.Events)
		})
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events per file, concurrent (-sequential +concurrent):\n%s", diff)
	}
}
