package sqlite

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/event"
)

func TestFieldsRoundTrip(t *testing.T) {
	fields := []event.Field{
		{Name: "b", Value: "2", Type: event.Number},
		{Name: "a", Value: "", Type: event.Null},
		{Name: "a", Value: "x\x00\xff", Type: event.String},
		{Name: "", Value: "no name", Type: event.Bool},
		{Name: "long", Value: string(make([]byte, 70000))},
	}
	b, err := appendFields(nil, fields)
	if err != nil {
		t.Fatal(err)
	}
	var nt names
	got, err := decodeFields(b, &nt)
	if err != nil {
		t.Fatalf("decodeFields: %v", err)
	}
	if d := cmp.Diff(fields, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if got, err := decodeFields(nil, &nt); got != nil || err != nil {
		t.Errorf("decodeFields(nil) = %v, %v; want nil, nil", got, err)
	}
}

func TestFieldsCorrupt(t *testing.T) {
	b, _ := appendFields(nil, []event.Field{{Name: "user.name", Value: "alice"}})
	for n := 1; n < len(b); n++ {
		var nt names
		if _, err := decodeFields(b[:n], &nt); !errors.Is(err, errCorrupt) {
			t.Errorf("decodeFields of %d of %d bytes: error %v, want errCorrupt", n, len(b), err)
		}
	}
}

func TestFieldsTypeTooLarge(t *testing.T) {
	if _, err := appendFields(nil, []event.Field{{Name: "x", Type: maxType + 1}}); err == nil {
		t.Errorf("appendFields with type %d succeeded; want an error", maxType+1)
	}
}
