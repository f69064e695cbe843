package jsonframe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// validJSON is a Config.Decode that accepts valid JSON only.
func validJSON(rec []byte, e *event.Event) error {
	if !json.Valid(rec) {
		return errors.New("invalid JSON")
	}
	return nil
}

// cloudTrail frames as package cloudtrail does.
func cloudTrail() *Config {
	return &Config{
		Format:       "test",
		Decode:       validJSON,
		IsWrapper:    func(key, _ string) bool { return key == "Records" },
		IsRecordsKey: func(key string) bool { return key == "Records" },
		WrapperName:  "Records object",
		Lookahead:    512,
	}
}

// microsoft frames as packages entra and m365 do.
func microsoft() *Config {
	return &Config{
		Format:       "test",
		Decode:       validJSON,
		SkipBOM:      true,
		IsWrapper:    MicrosoftWrapper,
		IsRecordsKey: MicrosoftRecordsKey,
	}
}

// frame decodes in with c and returns the records' Raw, the malformed
// ones prefixed with "!", and the error.
func frame(t testing.TB, c *Config, r io.Reader) (raws []string, rejected int, err error) {
	t.Helper()
	var sink decode.Collect
	err = Decode(r, &sink, c)
	for _, e := range sink.Events {
		if e.Format != c.Format {
			t.Fatalf("Format %q, want %q", e.Format, c.Format)
		}
		raw := string(e.Raw)
		if e.Kind == event.KindPipelineError {
			raw = "!" + raw
		}
		raws = append(raws, raw)
	}
	return raws, sink.Rejected["too_large"], err
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		c     *Config
		in    string
		want  []string
		errAt int64 // -1: no error
	}{
		{"empty", cloudTrail(), "", nil, -1},
		{"space", cloudTrail(), " \n\t", nil, -1},
		{"empty array", cloudTrail(), "[]", nil, -1},
		{"empty wrapper", cloudTrail(), `{"Records":[]}`, nil, -1},
		{"empty object", cloudTrail(), `{}`, []string{`{}`}, -1},
		{"array", cloudTrail(), `[{"a":1}, "text", 3, {"b":"]}\""}]`,
			[]string{`{"a":1}`, `"text"`, `3`, `{"b":"]}\""}`}, -1},
		{"arrays", cloudTrail(), "[{\"a\":1}]\n[{\"b\":2}]", []string{`{"a":1}`, `{"b":2}`}, -1},
		{"wrapper", cloudTrail(), `{"Records":[{"a":1},{"b":[2]}],"x":{"Records":[]}}`,
			[]string{`{"a":1}`, `{"b":[2]}`}, -1},
		{"records later", cloudTrail(), `{"x":1,"Records":[{"a":1}]}`, []string{`{"x":1,"Records":[{"a":1}]}`}, -1},
		{"lines", cloudTrail(), "{\"a\":1}\nnot json\n{\"b\":2}\n",
			[]string{`{"a":1}`, `!not json`, `{"b":2}`}, -1},
		{"array then lines", cloudTrail(), "[{\"a\":1}]\n{\"b\":2}\n[3]\n",
			[]string{`{"a":1}`, `{"b":2}`, `[3]`}, -1},
		{"trailing comma", cloudTrail(), `[{"a":1},]`, []string{`{"a":1}`}, 9},
		{"unclosed array", cloudTrail(), `[{"a":1}`, []string{`{"a":1}`}, 8},
		{"unclosed record", cloudTrail(), `[{"a":1`, nil, 7},
		{"unclosed string", cloudTrail(), `["a`, nil, 3},
		{"text", cloudTrail(), `hello`, nil, 0},
		{"binary", cloudTrail(), "\x00\x01", nil, 0},
		{"records not array", cloudTrail(), `{"Records":{"a":1}}`, nil, 11},
		{"no colon", cloudTrail(), `{"Records" 1}`, nil, 11},
		{"garbage in wrapper", cloudTrail(), `{"Records":[{"a":1}] x}`, []string{`{"a":1}`}, 21},
		{"no BOM skipping", cloudTrail(), "\ufeff[1]", nil, 0},
		{"BOM", microsoft(), "\ufeff[1]", []string{`1`}, -1},
		{"graph page", microsoft(), `{"@odata.context":"x","value":[{"a":1}],"@odata.nextLink":"y"}`,
			[]string{`{"a":1}`}, -1},
		{"graph entity", microsoft(), `{"@odata.context":"x/$entity","id":"1"}`,
			[]string{`{"@odata.context":"x/$entity","id":"1"}`}, -1},
		{"event hub", microsoft(), `{"records":[]}{"records":[{"a":1}]}`, []string{`{"a":1}`}, -1},
		{"value not array", microsoft(), `{"value":{"a":1}}`, nil, 9},
		{"ends in wrapper", microsoft(), `{"value":[{"a":1}]`, []string{`{"a":1}`}, 18},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, _, err := frame(t, tc.c, r)
				var fe *FormatError
				switch {
				case tc.errAt < 0 && err != nil:
					t.Errorf("unexpected error %v", err)
				case tc.errAt >= 0 && (!errors.As(err, &fe) || fe.Offset != tc.errAt):
					t.Errorf("got error %v, want a *FormatError at offset %d", err, tc.errAt)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("got records %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestFormatError(t *testing.T) {
	_, _, err := frame(t, cloudTrail(), strings.NewReader(`{"Records":[1] x`))
	if got, want := err.Error(), `test: offset 15: expected ',' or '}' in the Records object, found 'x'`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestMaxRecord rejects records over the limit and keeps those at it.
func TestMaxRecord(t *testing.T) {
	c := cloudTrail()
	c.MaxRecord = 7
	got, rejected, err := frame(t, c, strings.NewReader(`[{"a":1},{"a":12},{"b":2}]`))
	if err != nil || rejected != 1 || !slices.Equal(got, []string{`{"a":1}`, `{"b":2}`}) {
		t.Errorf("got %q, %d rejected, error %v", got, rejected, err)
	}
	// A record longer than the reader's buffer.
	long := `{"a":"` + strings.Repeat("x", 40<<10) + `"}`
	c.MaxRecord = 0
	got, rejected, err = frame(t, c, strings.NewReader("["+long+"]"))
	if err != nil || rejected != 0 || !slices.Equal(got, []string{long}) {
		t.Errorf("long record: got %d records, %d rejected, error %v", len(got), rejected, err)
	}
}

// TestOther hands an input that is not JSON to Config.Other at its first
// byte.
func TestOther(t *testing.T) {
	c := microsoft()
	var rest string
	var at int64
	c.Other = func(br *bufio.Reader, off int64) error {
		b, err := io.ReadAll(br)
		rest, at = string(b), off
		return err
	}
	if _, _, err := frame(t, c, strings.NewReader("\ufeff \na,b\n")); err != nil || rest != "a,b\n" || at != 5 {
		t.Errorf("Other got %q at %d, error %v", rest, at, err)
	}
	rest = ""
	if got, _, err := frame(t, c, strings.NewReader(" [1]")); err != nil || rest != "" || !slices.Equal(got, []string{"1"}) {
		t.Errorf("JSON input: got %q, Other got %q, error %v", got, rest, err)
	}
}

func TestFirstMember(t *testing.T) {
	tests := []struct{ in, key, value string }{
		{`"a":"b"}`, "a", "b"},
		{` "a" : "b" ,`, "a", "b"},
		{`"a":1}`, "a", ""},
		{`"a":"b\"c"}`, "a", ""},
		{`"a\"b":"c"}`, "", ""},
		{`"a"`, "a", ""},
		{`"a`, "", ""},
		{`}`, "", ""},
		{``, "", ""},
	}
	for _, tc := range tests {
		if key, value := firstMember([]byte(tc.in)); key != tc.key || value != tc.value {
			t.Errorf("firstMember(%q) = %q, %q, want %q, %q", tc.in, key, value, tc.key, tc.value)
		}
	}
}

func TestMicrosoftWrapper(t *testing.T) {
	tests := []struct {
		key, value string
		want       bool
	}{
		{"value", "", true},
		{"records", "", true},
		{"Records", "", true},
		{"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns", true},
		{"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#users/$entity", false},
		{"id", "1", false},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := MicrosoftWrapper(tc.key, tc.value); got != tc.want {
			t.Errorf("MicrosoftWrapper(%q, %q) = %v, want %v", tc.key, tc.value, got, tc.want)
		}
	}
}

// FuzzDecode checks that framing never panics, fails only with a
// *FormatError inside the input, delivers bytes of the input, reads the
// same one byte at a time, and frames a valid JSON array exactly as
// encoding/json does.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"Records":[{"a":"]}\""},{"x":"y"}],"y":[1]}`), false)
	f.Add([]byte(`[{"a":1}][]`+"\n{\"a\":1}\n"), false)
	f.Add([]byte("\ufeff"+`{"@odata.context":"x","value":[{"a":1}],"@odata.nextLink":"y"}`), true)
	f.Add([]byte(`{"records":[1,"2",{"3":[]}]}{"value":[]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, ms bool) {
		if len(data) > 10<<10 {
			return
		}
		c := cloudTrail()
		if ms {
			c = microsoft()
		}
		c.MaxRecord = 256
		got, rejected, err := frame(t, c, bytes.NewReader(data))
		var fe *FormatError
		if err != nil && (!errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(data))) {
			t.Fatalf("Decode: %v (input %d bytes)", err, len(data))
		}
		for _, raw := range got {
			if !bytes.Contains(data, []byte(strings.TrimPrefix(raw, "!"))) {
				t.Fatalf("record %q is not part of the input", raw)
			}
		}
		got1, rejected1, err1 := frame(t, c, iotest.OneByteReader(bytes.NewReader(data)))
		if !slices.Equal(got, got1) || rejected != rejected1 || (err == nil) != (err1 == nil) {
			t.Fatalf("one byte at a time: got %q, %d rejected, error %v; want %q, %d, %v", got1, rejected1, err1, got, rejected, err)
		}

		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if len(trimmed) == 0 || trimmed[0] != '[' || !json.Valid(data) {
			return
		}
		var elems []json.RawMessage
		if json.Unmarshal(data, &elems) != nil {
			return
		}
		var want []string
		for _, el := range elems {
			if len(el) <= c.MaxRecord && len(bytes.TrimSpace(el)) > 0 {
				want = append(want, string(el))
			}
		}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("valid array: got %q, error %v; want %q", got, err, want)
		}
	})
}
