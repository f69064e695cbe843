package jsonframe

import (
	"slices"
	"testing"
)

func TestMember(t *testing.T) {
	obj := []byte(` {"Id": "a\"b", "props": {"x": [1, {"y": 2}]}, "n": 12 , "t": true} `)
	for key, want := range map[string]string{"id": `"a\"b"`, "PROPS": `{"x": [1, {"y": 2}]}`, "n": "12", "t": "true", "absent": ""} {
		if got := string(Member(obj, key)); got != want {
			t.Errorf("Member(%q) = %q, want %q", key, got, want)
		}
	}
	var keys []string
	EachMember(obj, func(k, _ []byte) bool { keys = append(keys, string(k)); return len(keys) < 2 })
	if !slices.Equal(keys, []string{"Id", "props"}) {
		t.Errorf("EachMember stopped after %v, want [Id props]", keys)
	}
	var els []string
	EachElement([]byte(`[ {"a": [1,2]}, "s,]", 3 ,null]`), func(v []byte) bool { els = append(els, string(v)); return true })
	if want := []string{`{"a": [1,2]}`, `"s,]"`, "3", "null"}; !slices.Equal(els, want) {
		t.Errorf("EachElement gave %q, want %q", els, want)
	}
	if !EqualFold([]byte("DisplayName"), "displayName") || EqualFold([]byte("id"), "ids") {
		t.Error("EqualFold is wrong")
	}
}
