package bundle

import (
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		// Keys sorted, whitespace dropped, the omitted member left out.
		{`{ "b": 1, "a": {"d": [1, "x\n"], "c": null}, "signature": "zz" }`, `{"a":{"c":null,"d":[1,"x\n"]},"b":1}`},
		// Keys sort by UTF-16 code units: U+1F600 (D83D DE00) before
		// U+FFFD, though its UTF-8 bytes sort after.
		{`{"\ufffd": 1, "😀": 2, "\u0080": 3, "z": 4}`, "{\"z\":4,\"\u0080\":3,\"😀\":2,\"\ufffd\":1}"},
		// Only '"', '\\' and control characters are escaped; escapes of
		// other characters are undone; \u001f stays lowercase hex.
		{`{"s": "\u003c/\u00e9\/\"\\\u001F\t\u2028"}`, "{\"s\":\"</é/\\\"\\\\\\u001f\\t\u2028\"}"},
		// Integers are written plainly.
		{`{"n": -0, "m": 9007199254740992, "k": [true, false]}`, `{"k":[true,false],"m":9007199254740992,"n":0}`},
	} {
		got, err := canonical([]byte(tt.in), "signature")
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{`{"a": 1, "a": 2}`, `duplicate key "a"`},
		{`{"a": 1.5}`, "not an integer"},
		{`{"a": 1e3}`, "not an integer"},
		{`{"a": 9007199254740993}`, "not an integer within ±2^53"},
		{`[1]`, "not a JSON object"},
		{`{"a": 1} {}`, "data after the object"},
		{"{\"a\": \"\xff\"}", "not valid UTF-8"},
		{`{"a": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "nested deeper than 32"},
		{`{"a": `, "offset"},
	} {
		if _, err := canonical([]byte(tt.in), ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.want)
		}
	}
}
