package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// text is a string item of a leaf. It is written as a JSON string when it
// is valid UTF-8 and as {"base64": "..."} otherwise, so that every byte
// survives (encoding/json would replace invalid UTF-8).
type text string

type base64Text struct {
	Base64 string `json:"base64"`
}

func (t text) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(t)) {
		return json.Marshal(string(t))
	}
	return json.Marshal(base64Text{base64.StdEncoding.EncodeToString([]byte(t))})
}

func (t *text) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*t = text(s)
		return nil
	}
	var b base64Text
	if err := strictUnmarshal(data, &b); err != nil {
		return fmt.Errorf("want a string or {\"base64\": ...}: %w", err)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b.Base64)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	*t = text(raw)
	return nil
}

// fieldLine is an event field in an NDJSON line.
type fieldLine struct {
	Name  text       `json:"name"`
	Type  event.Type `json:"type"`
	Value text       `json:"value"`
}

// eventLine is one line of events.ndjson or alerts.ndjson: every item of
// the event's leaf, plus readable copies (time, received, kind_name) and
// the leaf index. Nanosecond times are decimal strings, because they do
// not fit the 53 bits many JSON readers keep of a number.
type eventLine struct {
	LeafIndex  int64       `json:"leaf_index"`
	ID         int64       `json:"id"`
	TimeNS     int64       `json:"time_ns,string"`
	ReceivedNS int64       `json:"received_ns,string"`
	Time       string      `json:"time"`
	Received   string      `json:"received"`
	Source     text        `json:"source"`
	Format     text        `json:"format"`
	Kind       event.Kind  `json:"kind"`
	KindName   string      `json:"kind_name"`
	ParseError text        `json:"parse_error"`
	Fields     []fieldLine `json:"fields"`
	Raw        *string     `json:"raw,omitempty"`
	RawBase64  *string     `json:"raw_base64,omitempty"`
}

// readableTime is the readable copy of a time in Unix nanoseconds: RFC
// 3339 in UTC, or "" for the zero time.
func readableTime(ns int64) string {
	t := leaf.Time(ns)
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func newEventLine(e *event.Event, index int64) eventLine {
	l := eventLine{
		LeafIndex:  index,
		ID:         int64(e.ID),
		TimeNS:     leaf.Nanos(e.Time),
		ReceivedNS: leaf.Nanos(e.Received),
		Source:     text(e.Source),
		Format:     text(e.Format),
		Kind:       e.Kind,
		KindName:   e.Kind.String(),
		ParseError: text(e.ParseError),
		Fields:     make([]fieldLine, len(e.Fields)),
	}
	l.Time, l.Received = readableTime(l.TimeNS), readableTime(l.ReceivedNS)
	for i, f := range e.Fields {
		l.Fields[i] = fieldLine{text(f.Name), f.Type, text(f.Value)}
	}
	if utf8.Valid(e.Raw) {
		s := string(e.Raw)
		l.Raw = &s
	} else {
		s := base64.StdEncoding.EncodeToString(e.Raw)
		l.RawBase64 = &s
	}
	return l
}

// event rebuilds the event of l, checking the readable copies against
// the items they copy.
func (l *eventLine) event() (*event.Event, error) {
	switch {
	case l.Time != readableTime(l.TimeNS):
		return nil, fmt.Errorf("time %q does not agree with time_ns %d", l.Time, l.TimeNS)
	case l.Received != readableTime(l.ReceivedNS):
		return nil, fmt.Errorf("received %q does not agree with received_ns %d", l.Received, l.ReceivedNS)
	case l.KindName != l.Kind.String():
		return nil, fmt.Errorf("kind_name %q does not agree with kind %d (%s)", l.KindName, l.Kind, l.Kind)
	case (l.Raw == nil) == (l.RawBase64 == nil):
		return nil, errors.New("want exactly one of raw and raw_base64")
	}
	e := &event.Event{
		ID:         event.ID(l.ID),
		Time:       leaf.Time(l.TimeNS),
		Received:   leaf.Time(l.ReceivedNS),
		Source:     event.SourceID(l.Source),
		Format:     string(l.Format),
		Kind:       l.Kind,
		ParseError: string(l.ParseError),
	}
	for _, f := range l.Fields {
		e.Fields = append(e.Fields, event.Field{Name: string(f.Name), Value: string(f.Value), Type: f.Type})
	}
	switch {
	case l.Raw != nil && *l.Raw != "":
		e.Raw = []byte(*l.Raw)
	case l.RawBase64 != nil && *l.RawBase64 != "":
		raw, err := base64.StdEncoding.Strict().DecodeString(*l.RawBase64)
		if err != nil {
			return nil, fmt.Errorf("raw_base64: %w", err)
		}
		e.Raw = raw
	}
	return e, nil
}

// auditLine is one line of audit.ndjson: every item of the entry's leaf,
// the readable copies time and detail (when the detail is JSON), and the
// leaf index.
type auditLine struct {
	LeafIndex    int64           `json:"leaf_index"`
	Seq          int64           `json:"seq"`
	TimeNS       int64           `json:"time_ns,string"`
	Time         string          `json:"time"`
	Actor        text            `json:"actor"`
	Action       text            `json:"action"`
	Target       text            `json:"target"`
	Remote       text            `json:"remote"`
	DetailBase64 string          `json:"detail_base64"`
	Detail       json.RawMessage `json:"detail,omitempty"`
}

func newAuditLine(a *store.AuditEntry, index int64) auditLine {
	l := auditLine{
		LeafIndex:    index,
		Seq:          a.Seq,
		TimeNS:       leaf.Nanos(a.Time),
		Actor:        text(a.Actor),
		Action:       text(a.Action),
		Target:       text(a.Target),
		Remote:       text(a.Remote),
		DetailBase64: base64.StdEncoding.EncodeToString(a.Detail),
	}
	l.Time = readableTime(l.TimeNS)
	if len(a.Detail) > 0 && json.Valid(a.Detail) {
		l.Detail = json.RawMessage(a.Detail)
	}
	return l
}

func (l *auditLine) entry() (*store.AuditEntry, error) {
	if l.Time != readableTime(l.TimeNS) {
		return nil, fmt.Errorf("time %q does not agree with time_ns %d", l.Time, l.TimeNS)
	}
	detail, err := base64.StdEncoding.Strict().DecodeString(l.DetailBase64)
	if err != nil {
		return nil, fmt.Errorf("detail_base64: %w", err)
	}
	if l.Detail != nil && !sameJSON(detail, l.Detail) {
		return nil, errors.New("detail does not agree with detail_base64")
	}
	a := &store.AuditEntry{
		Seq:    l.Seq,
		Time:   leaf.Time(l.TimeNS),
		Actor:  string(l.Actor),
		Action: string(l.Action),
		Target: string(l.Target),
		Remote: string(l.Remote),
	}
	if len(detail) > 0 {
		a.Detail = detail
	}
	return a, nil
}

// sameJSON reports whether a and b hold the same JSON value (numbers
// compared as written).
func sameJSON(a, b []byte) bool {
	va, errA := decodeAny(a)
	vb, errB := decodeAny(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

func decodeAny(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// decodeLine decodes one NDJSON line strictly into v.
func decodeLine(line []byte, v any) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return errors.New("empty line")
	}
	return strictUnmarshal(line, v)
}
