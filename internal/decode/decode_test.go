package decode

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

func TestLines(t *testing.T) {
	fn := func(line []byte, e *event.Event) error {
		if strings.HasPrefix(string(line), "bad") {
			return errors.New("bad record")
		}
		e.Add(event.Message, string(line))
		return nil
	}
	long := strings.Repeat("x", 100_000)
	input := "one\r\n\n  \nbad \xff\x00\n" + long + "\n" + strings.Repeat("y", 50) + "\nlast-no-newline"
	var c Collect
	if err := Lines(strings.NewReader(input), 1000, "test", &c, fn); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Events {
		got = append(got, e.Kind.String()+":"+string(e.Raw))
		if e.Format != "test" {
			t.Errorf("Format = %q, want test", e.Format)
		}
	}
	want := []string{"event:one", "pipeline_error:bad \xff\x00", "event:" + strings.Repeat("y", 50), "event:last-no-newline"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("events = %q, want %q", got, want)
	}
	if c.Events[1].ParseError != "bad record" {
		t.Errorf("ParseError = %q, want %q", c.Events[1].ParseError, "bad record")
	}
	if c.Rejected["too_large"] != 1 {
		t.Errorf("rejected = %v, want one too_large", c.Rejected)
	}
}

func TestLinesLimitBoundary(t *testing.T) {
	fn := func(line []byte, e *event.Event) error { return nil }
	for _, tc := range []struct {
		line   string
		reject bool
	}{
		{strings.Repeat("a", 10) + "\n", false},
		{strings.Repeat("a", 10), false},
		{strings.Repeat("a", 11) + "\n", true},
		{strings.Repeat("a", 11), true},
	} {
		var c Collect
		if err := Lines(strings.NewReader(tc.line), 10, "t", &c, fn); err != nil {
			t.Fatal(err)
		}
		if got := c.Rejected["too_large"] == 1; got != tc.reject || len(c.Events) == 1 == tc.reject {
			t.Errorf("line of %d bytes: rejected=%v events=%d, want rejected=%v", len(tc.line), got, len(c.Events), tc.reject)
		}
	}
}
