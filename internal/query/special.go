package query

import (
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// Special field names: they address the typed members of event.Event, not
// entries of Event.Fields. The package documentation has the table.
const (
	FieldTimestamp = "@timestamp"     // Event.Time
	FieldIngested  = "event.ingested" // Event.Received
	FieldKind      = "event.kind"     // Event.Kind, by its ECS name
	FieldOriginal  = "event.original" // Event.Raw, as text
	FieldID        = "_id"            // Event.ID, in decimal
	FieldSource    = "vigie.source"   // Event.Source
	FieldFormat    = "vigie.format"   // Event.Format
)

// special identifies a special field; plain is an ordinary field.
type special uint8

const (
	plain special = iota
	specialTimestamp
	specialIngested
	specialKind
	specialOriginal
	specialID
	specialSource
	specialFormat
)

func specialOf(name string) special {
	switch name {
	case FieldTimestamp:
		return specialTimestamp
	case FieldIngested:
		return specialIngested
	case FieldKind:
		return specialKind
	case FieldOriginal:
		return specialOriginal
	case FieldID:
		return specialID
	case FieldSource:
		return specialSource
	case FieldFormat:
		return specialFormat
	}
	return plain
}

func isTimeField(name string) bool { return specialOf(name).isTime() }

func (s special) isTime() bool { return s == specialTimestamp || s == specialIngested }

// eventTime returns the time a time field holds.
func (s special) eventTime(ev *event.Event) time.Time {
	if s == specialIngested {
		return ev.Received
	}
	return ev.Time
}

// value returns the text of a special field, and false when the event
// has none: a zero time, ID, source or format, or empty Raw. Every event
// has a kind.
func (s special) value(ev *event.Event) (string, bool) {
	switch s {
	case specialTimestamp, specialIngested:
		t := s.eventTime(ev)
		if t.IsZero() {
			return "", false
		}
		return t.UTC().Format(time.RFC3339Nano), true
	case specialKind:
		return ev.Kind.String(), true
	case specialOriginal:
		return rawString(ev.Raw), len(ev.Raw) > 0
	case specialID:
		return strconv.FormatInt(int64(ev.ID), 10), ev.ID != 0
	case specialSource:
		return string(ev.Source), ev.Source != ""
	case specialFormat:
		return ev.Format, ev.Format != ""
	}
	panic("BUG: query: value of a plain field")
}

// present reports whether the event has a value for the special field,
// without formatting it.
func (s special) present(ev *event.Event) bool {
	switch s {
	case specialTimestamp, specialIngested:
		return !s.eventTime(ev).IsZero()
	case specialKind:
		return true
	case specialOriginal:
		return len(ev.Raw) > 0
	case specialID:
		return ev.ID != 0
	case specialSource:
		return ev.Source != ""
	case specialFormat:
		return ev.Format != ""
	}
	panic("BUG: query: presence of a plain field")
}

// fullText returns the text bare words and phrases search: the event's
// message field, or its raw record when it has none, as Event.Message
// does, but without copying Raw.
func fullText(ev *event.Event) string {
	if m, ok := ev.Get(event.Message); ok {
		return m
	}
	return rawString(ev.Raw)
}
