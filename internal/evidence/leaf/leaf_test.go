package leaf

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// TestEventLeaf pins the event leaf byte for byte, as docs/evidence.md
// describes it: a change to the encoding breaks every bundle already
// given to someone, so it must fail here.
func TestEventLeaf(t *testing.T) {
	e := &event.Event{
		ID:       42,
		Time:     time.Unix(1, 5).UTC(),
		Received: time.Time{},
		Source:   "syslog/10.0.0.5",
		Format:   "syslog",
		Kind:     event.KindAlert,
		Fields:   []event.Field{{Name: "user.name", Value: "bob", Type: event.String}},
		Raw:      []byte("raw\xff"),
	}
	content := []byte{}
	content = append(content, 10)
	content = append(content, "1000000005"...)
	content = append(content, 20)
	content = append(content, "-9223372036854775808"...)
	content = append(content, 15)
	content = append(content, "syslog/10.0.0.5"...)
	content = append(content, 6)
	content = append(content, "syslog"...)
	content = append(content, 1, '1') // kind alert
	content = append(content, 0)      // no parse error
	content = append(content, 1, '1') // one field
	content = append(content, 9)
	content = append(content, "user.name"...)
	content = append(content, 1, '0'+byte(event.String))
	content = append(content, 3)
	content = append(content, "bob"...)
	content = append(content, 4)
	content = append(content, "raw\xff"...)
	if got := AppendContent(nil, e); !bytes.Equal(got, content) {
		t.Fatalf("content items\n got %q\nwant %q", got, content)
	}
	sum := sha256.Sum256(content)
	want := []byte{14}
	want = append(want, "vigie.event.v1"...)
	want = append(want, 2, '4', '2', 32)
	want = append(want, sum[:]...)
	if got := Event(nil, e); !bytes.Equal(got, want) {
		t.Fatalf("leaf\n got %x\nwant %x", got, want)
	}
	h := sha256.Sum256(append([]byte{0}, want...))
	if HashLeaf(want) != h {
		t.Error("HashLeaf is not SHA-256(0x00 || leaf)")
	}
}

// TestAuditLeaf pins the audit entry leaf byte for byte.
func TestAuditLeaf(t *testing.T) {
	a := &store.AuditEntry{Seq: 7, Time: time.Unix(0, -3).UTC(), Actor: "ann", Action: "incident.note",
		Target: "incident/1", Remote: "", Detail: json.RawMessage(`{"a":1}`)}
	want := []byte{14}
	want = append(want, "vigie.audit.v1"...)
	want = append(want, 1, '7', 2, '-', '3', 3)
	want = append(want, "ann"...)
	want = append(want, 13)
	want = append(want, "incident.note"...)
	want = append(want, 10)
	want = append(want, "incident/1"...)
	want = append(want, 0, 7)
	want = append(want, `{"a":1}`...)
	if got := Audit(nil, a); !bytes.Equal(got, want) {
		t.Fatalf("leaf\n got %q\nwant %q", got, want)
	}
}

// TestNanos checks the stored form of times at its edges.
func TestNanos(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, math.MinInt64},
		{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), math.MinInt64 + 1},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
		{time.Unix(1700000000, 123), 1700000000000000123},
	} {
		if got := Nanos(c.t); got != c.want {
			t.Errorf("Nanos(%v) = %d, want %d", c.t, got, c.want)
		}
	}
	if !Time(math.MinInt64).IsZero() || !Time(1700000000000000123).Equal(time.Unix(1700000000, 123)) {
		t.Error("Time does not invert Nanos")
	}
	if KindEvent.String() != "event" || KindAudit.String() != "audit" || Kind(9).String() != "kind(9)" {
		t.Error("Kind names")
	}
}
