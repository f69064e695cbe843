package jsonl

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

func decodeString(t *testing.T, d Decoder, in string) *decode.Collect {
	t.Helper()
	var c decode.Collect
	if err := d.Decode(strings.NewReader(in), &c); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return &c
}

func TestDecodeKeepsMalformedLines(t *testing.T) {
	lines := []string{
		`{"@timestamp":"2024-01-02T03:04:05.678Z","user":{"name":"alice"},"n":3}`,
		`not json at all`,
		`[1,2,3]`,
		`"a string"`,
		`{"a":1`,
		"{\"a\":\"\xff\xfe\"}",
		"\x00\x01\x02binary\x7f",
		`{"b":true}`,
	}
	c := decodeString(t, Decoder{}, strings.Join(lines, "\n")+"\n\n\r\n")
	if got, want := len(c.Events), len(lines); got != want {
		t.Fatalf("got %d events, want %d", got, want)
	}
	for i, e := range c.Events {
		if string(e.Raw) != lines[i] {
			t.Errorf("event %d: Raw = %q, want %q", i, e.Raw, lines[i])
		}
		if e.Format != Format {
			t.Errorf("event %d: Format = %q, want %q", i, e.Format, Format)
		}
		wantKind := event.KindPipelineError
		if i == 0 || i == len(lines)-1 {
			wantKind = event.KindEvent
		}
		if e.Kind != wantKind {
			t.Errorf("event %d (%q): Kind = %v, want %v (ParseError %q)", i, lines[i], e.Kind, wantKind, e.ParseError)
		}
		if wantKind == event.KindPipelineError && (e.ParseError == "" || len(e.Fields) != 0) {
			t.Errorf("event %d: malformed event has ParseError %q and %d fields", i, e.ParseError, len(e.Fields))
		}
	}
	first := c.Events[0]
	if got, _ := first.Get("user.name"); got != "alice" {
		t.Errorf("user.name = %q, want alice", got)
	}
	if want := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC); !first.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", first.Time, want)
	}
	if !strings.Contains(c.Events[2].ParseError, ErrNotObject.Error()) {
		t.Errorf("array line: ParseError = %q, want it to say %q", c.Events[2].ParseError, ErrNotObject)
	}
}

func TestDecodeRejectsOversizeLines(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 200) + `"}`
	c := decodeString(t, Decoder{MaxRecord: 100}, `{"a":1}`+"\n"+big+"\n"+`{"a":2}`+"\n")
	if got := len(c.Events); got != 2 {
		t.Errorf("got %d events, want 2", got)
	}
	if got := c.Rejected["too_large"]; got != 1 {
		t.Errorf("got %d too_large rejections, want 1", got)
	}
}

func TestDecodeObject(t *testing.T) {
	var e event.Event
	if err := DecodeObject([]byte(`{"z":1,"a":{"b":"c"},"ts":1700000000}`), &e); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, ","), "a.b,ts,z"; got != want {
		t.Errorf("DecodeObject fields = %s, want sorted %s", got, want)
	}
	if want := time.Unix(1700000000, 0); !e.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", e.Time, want)
	}
	for _, in := range []string{`[{"a":1}]`, ` "x"`, `12`, `null`} {
		var e event.Event
		if err := DecodeObject([]byte(in), &e); !errors.Is(err, ErrNotObject) {
			t.Errorf("DecodeObject(%s) = %v, want ErrNotObject", in, err)
		}
	}
}

func TestEventTime(t *testing.T) {
	f := func(in string, want time.Time) {
		t.Helper()
		var e event.Event
		if err := DecodeObject([]byte(in), &e); err != nil {
			t.Fatalf("DecodeObject(%s): %v", in, err)
		}
		if !e.Time.Equal(want) {
			t.Errorf("DecodeObject(%s).Time = %v, want %v", in, e.Time, want)
		}
	}
	day := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	f(`{"@timestamp":"2023-04-05T06:07:08Z","time":"2001-01-01T00:00:00Z"}`, day)
	f(`{"time":"2001-01-01T00:00:00Z","@timestamp":"2023-04-05T06:07:08Z"}`, day)
	f(`{"timestamp":"2023-04-05T08:07:08+02:00","ts":1}`, day)
	f(`{"ts":1680674828}`, day)
	f(`{"ts":1680674828000}`, day)
	f(`{"ts":"1680674828"}`, day)
	f(`{"@timestamp":"garbage","ts":1680674828}`, day)
	f(`{"nested":{"@timestamp":"2023-04-05T06:07:08Z"}}`, time.Time{})
	f(`{"message":"no time"}`, time.Time{})
}

func TestParseTime(t *testing.T) {
	f := func(in string, typ event.Type, want time.Time) {
		t.Helper()
		got, ok := ParseTime(in, typ)
		if ok != !want.IsZero() || !got.Equal(want) {
			t.Errorf("ParseTime(%q, %v) = %v, %v; want %v", in, typ, got, ok, want)
		}
	}
	s, n := event.String, event.Number
	ref := time.Date(2024, 3, 29, 19, 50, 27, 0, time.UTC)
	f("2024-03-29T19:50:27Z", s, ref)
	f("2024-03-29T19:50:27.123456789Z", s, ref.Add(123456789))
	f("2024-03-29T21:50:27+02:00", s, ref)
	f("2024-03-29 19:50:27", s, ref)
	f("2024-03-29 19:50:27.5", s, ref.Add(500*time.Millisecond))
	f("2024-03-29T19:50:27", s, ref)
	f("2024-03-29T19:50:27.000000+0000", s, ref) // Suricata EVE
	f("1711741827", n, ref)
	f("1711741827.9626286", n, ref.Add(962628600))
	f("1711741827962", n, ref.Add(962*time.Millisecond))
	f("1711741827962628", n, ref.Add(962628*time.Microsecond))
	f("1711741827962628600", n, ref.Add(962628600))
	f("1.7e9", n, time.Unix(1700000000, 0).UTC())
	f("1.7e12", n, time.Unix(1700000000, 0).UTC())
	f("-1", n, time.Unix(-1, 0).UTC())
	f("", s, time.Time{})
	f("yesterday", s, time.Time{})
	f("99999999999999999999", n, time.Time{})
	f("1e400", n, time.Time{})
	f("true", event.Bool, time.Time{})
	f("2024-03-29T19:50:27Z", n, time.Time{})
}

// TestRealJSONLines decodes JSON lines written by other tools: Caddy (epoch
// float "ts"), ntfy ("time" with a zone), Suricata EVE ("timestamp" with
// "+0000") and Winlogbeat/NXLog Windows events from the OTRF Security
// Datasets. Sources: CrowdSec hub tests and OTRF (see ../shared/data).
func TestRealJSONLines(t *testing.T) {
	tests := []struct {
		file      string
		events    int
		first     time.Time
		field     string
		wantValue string
	}{
		{"crowdsec-tests/caddy-basic-auth-bf/caddy-logs.log", 6, time.Unix(1711741827, 962628600), "request.headers.User-Agent", "curl/7.88.1"},
		{"crowdsec-tests/ntfy-bf/ntfy-bf.log", 16, time.Date(2025, 8, 3, 18, 32, 0, 20e6, time.UTC), "visitor_ip", "127.0.0.1"},
		{"crowdsec-tests/suricata-eve-detect/suricata-eve-detect.log", 4, time.Date(2022, 7, 12, 6, 22, 33, 415742000, time.UTC), "alert.metadata.cve", "CVE_2021_41773"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(shareddata.Path(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			c := decodeString(t, Decoder{}, string(data))
			if len(c.Events) != tc.events {
				t.Fatalf("got %d events, want %d", len(c.Events), tc.events)
			}
			for i, e := range c.Events {
				if e.Kind != event.KindEvent {
					t.Fatalf("event %d malformed: %s", i, e.ParseError)
				}
			}
			e := c.Events[0]
			if !e.Time.Equal(tc.first) {
				t.Errorf("first event time = %v, want %v", e.Time, tc.first)
			}
			if got, _ := e.Get(tc.field); got != tc.wantValue {
				t.Errorf("%s = %q, want %q", tc.field, got, tc.wantValue)
			}
		})
	}
}

// otrfLines returns the JSON lines file inside an OTRF Security Datasets
// zip archive.
func otrfLines(t testing.TB, rel string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".json") || strings.Contains(f.Name, "__MACOSX") {
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	t.Fatalf("%s holds no .json file", rel)
	return nil
}

// TestOTRFAgainstEncodingJSON checks, on every line of a real NXLog
// capture, that the fields equal those of encoding/json's tokenizer.
func TestOTRFAgainstEncodingJSON(t *testing.T) {
	data := otrfLines(t, "otrf/atomic/windows/lateral_movement/host/schtask_create.zip")
	c := decodeString(t, Decoder{}, string(data))
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	var nonEmpty [][]byte
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			nonEmpty = append(nonEmpty, l)
		}
	}
	if len(c.Events) != len(nonEmpty) || len(c.Events) != 1041 {
		t.Fatalf("got %d events, want %d lines (1041)", len(c.Events), len(nonEmpty))
	}
	for i, e := range c.Events {
		if e.Kind != event.KindEvent {
			t.Fatalf("line %d malformed: %s", i+1, e.ParseError)
		}
		want, ok := referenceFlatten(nonEmpty[i])
		if !ok {
			t.Fatalf("line %d: encoding/json rejects it", i+1)
		}
		sorted := event.Event{Fields: want}
		sorted.Sort()
		if len(sorted.Fields) != len(e.Fields) {
			t.Fatalf("line %d: got %d fields, want %d", i+1, len(e.Fields), len(sorted.Fields))
		}
		for j := range e.Fields {
			if e.Fields[j] != sorted.Fields[j] {
				t.Fatalf("line %d field %d: got %+v, want %+v", i+1, j, e.Fields[j], sorted.Fields[j])
			}
		}
		if e.Time.IsZero() {
			t.Errorf("line %d: no time from @timestamp", i+1)
		}
	}
}

// TestConcurrentDecode runs one Decoder from several goroutines, as the
// decode.Decoder contract allows; run with -race.
func TestConcurrentDecode(t *testing.T) {
	var in strings.Builder
	for i := range 200 {
		fmt.Fprintf(&in, `{"n":%d,"a":{"z":"x","b":[%d,%d]},"k%d":true}`+"\n", i, i, i+1, i%7)
	}
	want := decodeString(t, Decoder{}, in.String())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var c decode.Collect
			if err := (Decoder{}).Decode(strings.NewReader(in.String()), &c); err != nil {
				t.Error(err)
				return
			}
			for i := range c.Events {
				if !slices.Equal(c.Events[i].Fields, want.Events[i].Fields) {
					t.Errorf("event %d differs: %v, want %v", i, c.Events[i], want.Events[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
