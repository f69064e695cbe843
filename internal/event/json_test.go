package event

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestJSONRoundTrip(t *testing.T) {
	for _, raw := range [][]byte{[]byte(`Dec 10 sshd[1]: Failed password for root`), {0xff, 0x00, 'a', 0xfe}, nil} {
		e := &Event{
			ID: 42, Time: time.Date(2024, 7, 31, 13, 6, 24, 5, time.UTC), Received: time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC),
			Source: "file/auth.log", Format: "syslog", Kind: KindPipelineError, ParseError: "bad",
			Raw: raw,
		}
		e.Add("user.name", "root")
		e.Add("tags", "a")
		e.Add("tags", "b")
		e.AddTyped("destination.port", "22", Number)
		e.AddTyped("ok", "true", Bool)
		e.AddTyped("gone", "", Null)
		e.Sort()
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var got Event
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if diff := cmp.Diff(e, &got); diff != "" {
			t.Errorf("round trip of %s (-want +got):\n%s", b, diff)
		}
	}
}

func TestSet(t *testing.T) {
	var e Event
	e.Add("b", "1")
	e.Add("a", "1")
	e.Add("b", "2")
	e.Sort()
	e.Set("b", "3")
	e.Set("c", "4")
	e.Set("0", "5")
	got := ""
	for _, f := range e.Fields {
		got += f.Name + "=" + f.Value + " "
	}
	if want := "0=5 a=1 b=3 c=4 "; got != want {
		t.Fatalf("fields after Set = %q, want %q", got, want)
	}
}
