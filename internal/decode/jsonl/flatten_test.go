package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/event"
)

func TestFlatten(t *testing.T) {
	s, n, b, z := event.String, event.Number, event.Bool, event.Null
	f := func(name, value string, t event.Type) event.Field {
		return event.Field{Name: name, Value: value, Type: t}
	}
	tests := []struct {
		name   string
		prefix string
		in     string
		want   []event.Field
	}{
		{"scalars", "", `{"a":"x","b":1,"c":true,"d":false,"e":null}`,
			[]event.Field{f("a", "x", s), f("b", "1", n), f("c", "true", b), f("d", "false", b), f("e", "", z)}},
		{"nested", "", `{"user":{"name":"bob","id":{"n":7}},"x":0}`,
			[]event.Field{f("user.name", "bob", s), f("user.id.n", "7", n), f("x", "0", n)}},
		{"winlogbeat", "", `{"winlog":{"event_data":{"TargetUserName":"adm"}}}`,
			[]event.Field{f("winlog.event_data.TargetUserName", "adm", s)}},
		{"array of scalars", "", `{"tags":["a","b",3]}`,
			[]event.Field{f("tags", "a", s), f("tags", "b", s), f("tags", "3", n)}},
		{"array of objects", "", `{"h":[{"n":"A"},{"n":"B","v":[1,[2]]}]}`,
			[]event.Field{f("h.n", "A", s), f("h.n", "B", s), f("h.v", "1", n), f("h.v", "2", n)}},
		{"empty containers", "", `{"a":{},"b":[],"c":[{}],"d":1}`,
			[]event.Field{f("d", "1", n)}},
		{"numbers keep their text", "", `{"a":1e3,"b":-0.50,"c":12345678901234567890123,"d":-0,"e":2E-7}`,
			[]event.Field{f("a", "1e3", n), f("b", "-0.50", n), f("c", "12345678901234567890123", n), f("d", "-0", n), f("e", "2E-7", n)}},
		{"escapes", "", `{"m":"a\"b\\c\/d\b\f\n\r\t","u":"\u00e9\u20AC","p":"\ud83d\ude00","l":"\ud800x","l2":"\udc00\ud800"}`,
			[]event.Field{f("m", "a\"b\\c/d\b\f\n\r\t", s), f("u", "é€", s), f("p", "😀", s), f("l", "\uFFFDx", s), f("l2", "\uFFFD\uFFFD", s)}},
		{"escaped key", "", `{"a\u002eb":{"c\"":1}}`,
			[]event.Field{f(`a.b.c"`, "1", n)}},
		{"utf8", "", `{"ключ":"значение ✓"}`,
			[]event.Field{f("ключ", "значение ✓", s)}},
		{"empty keys", "", `{"":{"":1,"a":[{"":2}]}}`,
			[]event.Field{f(".", "1", n), f(".a.", "2", n)}},
		{"duplicate keys kept in order", "", `{"a":1,"a":2}`,
			[]event.Field{f("a", "1", n), f("a", "2", n)}},
		{"whitespace", "", " \t{ \"a\" :\r\n [ 1 , 2 ] } \n",
			[]event.Field{f("a", "1", n), f("a", "2", n)}},
		{"prefix object", "requestParameters", `{"bucketName":"b","acl":{"x":1}}`,
			[]event.Field{f("requestParameters.bucketName", "b", s), f("requestParameters.acl.x", "1", n)}},
		{"prefix scalar", "p", `"v"`, []event.Field{f("p", "v", s)}},
		{"prefix array", "p", `[1,null]`, []event.Field{f("p", "1", n), f("p", "", z)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e event.Event
			if err := Flatten(tc.prefix, json.RawMessage(tc.in), &e); err != nil {
				t.Fatalf("Flatten(%q, %s): %v", tc.prefix, tc.in, err)
			}
			if diff := cmp.Diff(sortedByName(tc.want), e.Fields); diff != "" {
				t.Errorf("Flatten(%q, %s) fields (-want +got):\n%s", tc.prefix, tc.in, diff)
			}
		})
	}
}

func TestFlattenErrors(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{a:1}`, `{'a':1}`,
		`{"a":[1,]}`, `{"a":[1 2]}`, `{"a":tru}`, `{"a":nul}`, `{"a":True}`, `{"a":01}`,
		`{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":+1}`, `{"a":0x10}`, `{"a":NaN}`,
		`{"a":"x}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"tab\there\"}",
		"{\"a\":\"nul\x00\"}", "{\"a\":\"\xff\"}", "{\"\xc3\":1}", `{"a":1}x`, `{"a":1}{"b":2}`,
		`"bare"`, `[1,2]`, `1`, `null`,
		strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1),
		strings.Repeat(`[`, MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	} {
		e := event.Event{Fields: []event.Field{{Name: "keep", Value: "me"}}}
		if err := Flatten("", json.RawMessage(in), &e); err == nil {
			t.Errorf("Flatten(%q) = nil error, want an error; fields %v", in, e.Fields)
		}
		if want := []event.Field{{Name: "keep", Value: "me"}}; !cmp.Equal(want, e.Fields) {
			t.Errorf("Flatten(%q) changed fields on error: %v", in, e.Fields)
		}
	}
}

func TestFlattenDepthLimit(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)
	var e event.Event
	if err := Flatten("", json.RawMessage(deep), &e); err != nil {
		t.Fatalf("Flatten of %d levels: %v", MaxDepth, err)
	}
	if got, want := len(e.Fields), 1; got != want {
		t.Fatalf("got %d fields, want %d", got, want)
	}
}

func TestSyntaxErrorOffset(t *testing.T) {
	var e event.Event
	err := Flatten("", json.RawMessage(`{"a":1,"b":tru}`), &e)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *SyntaxError", err)
	}
	if se.Offset != 11 {
		t.Errorf("got offset %d, want 11", se.Offset)
	}
	err = Flatten("", json.RawMessage("{\"a\":\"ok\",\"b\":\"\xff\"}"), &e)
	if !errors.As(err, &se) || se.Offset != 15 {
		t.Errorf("invalid UTF-8: got %v, want a *SyntaxError at offset 15", err)
	}
}

// sortedByName returns fields stably sorted by name, the order in which
// Flatten appends them.
func sortedByName(fields []event.Field) []event.Field {
	out := slices.Clone(fields)
	slices.SortStableFunc(out, func(a, b event.Field) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// TestFlattenOrder checks that fields come out sorted, repeated names in
// document order, whether or not the shape of the record was seen before.
func TestFlattenOrder(t *testing.T) {
	inputs := []string{
		`{"z":1,"a":[3,2,1],"m":{"b":1,"a":2},"a":0}`,
		`{"b":1,"a":2}`,
		`{"z":1,"a":[3,2,1],"m":{"b":1,"a":2},"a":0}`, // same shape, other values below
		`{"z":9,"a":[6,5,4],"m":{"b":8,"a":7},"a":5}`,
		`{"b":1,"a":2}`,
		`{"` + strings.Repeat("k", maxInternLen+1) + `":1,"a":2}`,           // a name too long to intern
		`{"z":[` + strings.Repeat(`{"b":1,"a":2},`, maxShapeFields) + `0]}`, // too many fields for the cache
	}
	p := getParser()
	defer putParser(p)
	for round := 0; round < 3; round++ {
		for _, in := range inputs {
			var e event.Event
			if err := p.flatten("", []byte(in), &e); err != nil {
				t.Fatal(err)
			}
			want, _ := referenceFlatten([]byte(in))
			if diff := cmp.Diff(sortedByName(want), e.Fields); diff != "" {
				t.Fatalf("round %d, %s (-want +got):\n%s", round, in, diff)
			}
		}
	}
}

// referenceFlatten flattens one JSON text with encoding/json's tokenizer,
// keeping duplicate keys in order, as the specification for Flatten. It
// reports false when encoding/json rejects the text.
func referenceFlatten(data []byte) ([]event.Field, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var fields []event.Field
	var walk func(path string, named bool) bool
	walk = func(path string, named bool) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		add := func(v string, t event.Type) { fields = append(fields, event.Field{Name: path, Value: v, Type: t}) }
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return false
					}
					name := k.(string)
					if named {
						name = path + "." + name
					}
					if !walk(name, true) {
						return false
					}
				}
			case '[':
				for dec.More() {
					if !walk(path, named) {
						return false
					}
				}
			}
			_, err := dec.Token() // the closing delimiter
			return err == nil
		case string:
			add(v, event.String)
		case json.Number:
			add(string(v), event.Number)
		case bool:
			if v {
				add("true", event.Bool)
			} else {
				add("false", event.Bool)
			}
		case nil:
			add("", event.Null)
		}
		return true
	}
	if !walk("", false) {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return fields, true
}

func TestFlattenMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"a":{"b":[1,{"c":"d"},[true,null]]},"e":"\u00e9\n"}`,
		`{"caddy":{"headers":{"User-Agent":["curl/7.88.1"],"Accept":["*/*"]}},"ts":1711741827.9626286}`,
	} {
		want, ok := referenceFlatten([]byte(in))
		if !ok {
			t.Fatalf("reference rejects %s", in)
		}
		var e event.Event
		if err := Flatten("", json.RawMessage(in), &e); err != nil {
			t.Fatalf("Flatten(%s): %v", in, err)
		}
		if diff := cmp.Diff(sortedByName(want), e.Fields); diff != "" {
			t.Errorf("Flatten(%s) differs from encoding/json (-want +got):\n%s", in, diff)
		}
	}
}
