package event

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Kind is the ECS event.kind of an event.
type Kind uint8

// The kinds Vigie produces. The zero Kind is KindEvent.
const (
	// KindEvent is an ordinary decoded log record.
	KindEvent Kind = iota
	// KindAlert is a detection produced by Vigie or by a source.
	KindAlert
	// KindPipelineError is a record that could not be decoded; Raw holds
	// its bytes unchanged and ParseError says why.
	KindPipelineError
)

var kindNames = [...]string{
	KindEvent:         "event",
	KindAlert:         "alert",
	KindPipelineError: "pipeline_error",
}

// String returns the ECS name of k.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// ParseKind returns the Kind whose ECS name is s.
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if name == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("unknown event kind %q", s)
}

// SourceID names where an event came from: a transport and a peer or file,
// such as "syslog-udp/10.0.0.5", "http/winlogbeat" or "file/auth.log".
// Per-source counters are kept by SourceID.
type SourceID string

// ID identifies a stored event. It is assigned by the store, increases with
// insertion order, and is zero for an event that was not stored yet.
type ID int64

// Event is one log record.
//
// An Event is owned by whoever holds the pointer; decoders hand a new Event
// to their caller for every record and never touch it again. Raw is never
// modified after the event is created.
type Event struct {
	ID       ID
	Time     time.Time // when it happened, from the record; Received when the record has none
	Received time.Time // when Vigie received it (ECS event.ingested)
	Source   SourceID
	Format   string // decoder that produced it: "syslog", "evtx", "zeek", …
	Kind     Kind
	// ParseError says why the record could not be decoded. It is set, and
	// Kind is KindPipelineError, for malformed records only.
	ParseError string
	// Fields are sorted by name (stable: a multi-valued field appears as
	// several entries with the same name, in their original order).
	Fields []Field
	// Raw holds the record exactly as received.
	Raw []byte
}

// Field is one named value. Values are kept as text, with their JSON type,
// so that matching is uniform and the original can be rendered back.
type Field struct {
	Name  string
	Value string
	Type  Type
}

// Type is the JSON type a field value had in its source.
type Type uint8

// The value types.
const (
	String Type = iota
	Number
	Bool
	Null
)

// Add appends a string field. Call Sort when done adding.
func (e *Event) Add(name, value string) {
	e.Fields = append(e.Fields, Field{Name: name, Value: value})
}

// AddTyped appends a field with an explicit type. Call Sort when done adding.
func (e *Event) AddTyped(name, value string, t Type) {
	e.Fields = append(e.Fields, Field{Name: name, Value: value, Type: t})
}

// Set replaces every value of name with value, or adds it. The fields must
// be sorted; they stay sorted.
func (e *Event) Set(name, value string) {
	i := sort.Search(len(e.Fields), func(i int) bool { return e.Fields[i].Name >= name })
	j := i
	for j < len(e.Fields) && e.Fields[j].Name == name {
		j++
	}
	f := Field{Name: name, Value: value}
	if i == j {
		e.Fields = append(e.Fields, Field{})
		copy(e.Fields[i+1:], e.Fields[i:])
		e.Fields[i] = f
		return
	}
	e.Fields[i] = f
	e.Fields = append(e.Fields[:i+1], e.Fields[j:]...)
}

// Sort orders the fields by name, keeping the order of equal names. It
// costs one pass when they are already sorted, as most decoders leave them.
func (e *Event) Sort() {
	if slices.IsSortedFunc(e.Fields, compareNames) {
		return
	}
	slices.SortStableFunc(e.Fields, compareNames)
}

func compareNames(a, b Field) int { return strings.Compare(a.Name, b.Name) }

// Get returns the first value of the named field. The fields must be sorted.
func (e *Event) Get(name string) (string, bool) {
	i := sort.Search(len(e.Fields), func(i int) bool { return e.Fields[i].Name >= name })
	if i < len(e.Fields) && e.Fields[i].Name == name {
		return e.Fields[i].Value, true
	}
	return "", false
}

// Values returns every value of the named field. The fields must be sorted.
// The result aliases e.Fields.
func (e *Event) Values(name string) []Field {
	i := sort.Search(len(e.Fields), func(i int) bool { return e.Fields[i].Name >= name })
	j := i
	for j < len(e.Fields) && e.Fields[j].Name == name {
		j++
	}
	return e.Fields[i:j]
}

// Message returns the event's human-readable text: the ECS "message" field,
// or the raw bytes when it has none.
func (e *Event) Message() string {
	if m, ok := e.Get(Message); ok {
		return m
	}
	return string(e.Raw)
}

// MarkMalformed turns e into a pipeline error for the given reason, keeping
// only its time, source, format and raw bytes.
func (e *Event) MarkMalformed(reason error) {
	e.Kind = KindPipelineError
	e.ParseError = reason.Error()
	e.Fields = e.Fields[:0]
}

// String returns a short one-line description, for logs and tests.
func (e *Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", e.Time.UTC().Format(time.RFC3339Nano), e.Source, e.Kind)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, " %s=%q", f.Name, f.Value)
	}
	return b.String()
}

// SortTail sorts fields by name, stably, given that fields[:sorted] are
// sorted already: it sorts the fields after them and merges both runs.
// Decoders that append a few ECS fields to a sorted list use it instead of
// a full sort; with NXLog records (50-odd sorted fields, about 15 added) it
// halves the cost of sorting (winjson's BenchmarkDecode).
func SortTail(fields []Field, sorted int) {
	tail := fields[sorted:]
	if len(tail) == 0 {
		return
	}
	slices.SortStableFunc(tail, compareNames)
	if sorted == 0 || fields[sorted-1].Name <= tail[0].Name {
		return
	}
	var buf [32]Field
	rest := append(buf[:0], tail...)
	i, j := sorted-1, len(rest)-1
	for k := len(fields) - 1; j >= 0; k-- {
		if i >= 0 && fields[i].Name > rest[j].Name {
			fields[k] = fields[i]
			i--
		} else {
			fields[k] = rest[j]
			j--
		}
	}
}
