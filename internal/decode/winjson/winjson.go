package winjson

import (
	"io"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

// Format is the Event.Format of the events this package produces.
const Format = "winjson"

// Decoder decodes Windows events written as JSON lines. The zero value is
// ready to use. A Decoder may be used by several goroutines at once.
type Decoder struct {
	// MaxRecord is the longest line accepted, in bytes; zero means
	// decode.DefaultMaxRecord.
	MaxRecord int
}

var _ decode.Decoder = Decoder{}

// Decode implements decode.Decoder.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	var f jsonl.Flattener
	return decode.Lines(r, d.MaxRecord, Format, sink, func(line []byte, e *event.Event) error {
		return decodeRecord(&f, line, e)
	})
}

// DecodeObject decodes one Windows event, a JSON object in any of the
// shapes the package documentation lists, into e: it appends the fields,
// the Sigma names and the ECS fields, sorts e.Fields and sets e.Time. It
// does not set Raw, Format or Kind. On error e.Fields is left as it was
// and the caller marks the event malformed. It keeps no reference to obj
// and is safe for concurrent use.
func DecodeObject(obj []byte, e *event.Event) error {
	if err := decodeRecord(nil, obj, e); err != nil {
		return err
	}
	e.Sort()
	return nil
}

// decodeRecord is DecodeObject without the final sort, for Decode
// (decode.Line sorts). It flattens with f, or jsonl.Flatten when f is nil.
func decodeRecord(f *jsonl.Flattener, obj []byte, e *event.Event) error {
	n := len(e.Fields)
	object := jsonl.FlattenObject
	if f != nil {
		object = f.Object
	}
	if err := object(obj, e); err != nil {
		return err
	}
	sorted := len(e.Fields) - n // Flatten sorts what it adds
	addSigmaNames(e, n)
	if t, ok := recordTime(e.Fields[n:]); ok {
		e.Time = t
	}
	sorted -= normalise(e)
	event.SortTail(e.Fields[n:], sorted)
	return nil
}

// The record shapes; see the package documentation.
type shape uint8

const (
	shapeFlat       shape = iota // NXLog: Sigma names at top level already
	shapeWinlogbeat              // Winlogbeat 7+: winlog.*
	shapeLegacy                  // Winlogbeat 6: event_id, log_name, event_data.*
	shapeEvtxDump                // evtx_dump: Event.System.*, Event.EventData.*
)

// recordShape tells the shape of a record from its field names.
func recordShape(fields []event.Field) shape {
	var eventID, logName bool
	for _, f := range fields {
		switch {
		case strings.HasPrefix(f.Name, "winlog."):
			return shapeWinlogbeat
		case strings.HasPrefix(f.Name, "Event.System."):
			return shapeEvtxDump
		case f.Name == "event_id":
			eventID = true
		case f.Name == "log_name":
			logName = true
		}
	}
	if eventID && logName {
		return shapeLegacy
	}
	return shapeFlat
}

// Shape-specific names of the System fields, by Sigma name.
var systemNames = map[shape]map[string]string{
	shapeWinlogbeat: {
		"winlog.event_id":      "EventID",
		"winlog.channel":       "Channel",
		"winlog.computer_name": "Computer",
		"winlog.provider_name": "Provider_Name",
	},
	shapeLegacy: {
		"event_id":      "EventID",
		"log_name":      "Channel",
		"computer_name": "Computer",
		"source_name":   "Provider_Name",
	},
	shapeEvtxDump: {
		"Event.System.EventID":                   "EventID",
		"Event.System.EventID.#text":             "EventID",
		"Event.System.Channel":                   "Channel",
		"Event.System.Computer":                  "Computer",
		"Event.System.Provider.#attributes.Name": "Provider_Name",
	},
}

// Prefixes under which each shape puts EventData and UserData fields.
var dataPrefixes = map[shape][]string{
	shapeWinlogbeat: {"winlog.event_data.", "winlog.user_data."},
	shapeLegacy:     {"event_data.", "user_data."},
	shapeEvtxDump:   {"Event.EventData.", "Event.UserData."},
}

// sigmaName returns the Sigma name of a field of a record of shape s, or
// "" when it has none besides its own.
func sigmaName(s shape, name string) string {
	if n, ok := systemNames[s][name]; ok {
		return n
	}
	for i, prefix := range dataPrefixes[s] {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if i == 1 && s == shapeEvtxDump {
			// Event.UserData.<element>.Name
			_, rest, ok = strings.Cut(rest, ".")
			if !ok {
				return ""
			}
		}
		if rest == "" || rest == "xml_name" || strings.ContainsAny(rest, ".#") {
			return ""
		}
		return rest
	}
	return ""
}

// addSigmaNames adds, for the fields from index n on, the names Sigma rules
// use (see the package documentation). An alias never replaces a field the
// record has under that name.
func addSigmaNames(e *event.Event, n int) {
	fields := e.Fields[n:]
	s := recordShape(fields)
	var topBuf [64]string
	top := topBuf[:0] // names of the record without a dot, and those added
	for _, f := range fields {
		if !strings.Contains(f.Name, ".") {
			top = append(top, f.Name)
		}
	}
	add := func(f event.Field, name string) {
		for _, t := range top {
			if t == name {
				return
			}
		}
		top = append(top, name)
		if name == "EventID" && f.Type == event.String && isDigits(f.Value) {
			f.Type = event.Number
		}
		f.Name = name
		e.Fields = append(e.Fields, f)
	}
	end := len(e.Fields)
	if s != shapeFlat {
		for i := n; i < end; i++ {
			if name := sigmaName(s, e.Fields[i].Name); name != "" {
				add(e.Fields[i], name)
			}
		}
	}
	// NXLog names the computer and the provider its own way.
	for i := n; i < end; i++ {
		switch e.Fields[i].Name {
		case "Hostname":
			add(e.Fields[i], "Computer")
		case "SourceName":
			add(e.Fields[i], "Provider_Name")
		}
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Looks reports whether line, one JSON object, is a Windows event in one of
// the shapes this package decodes: it has EventID and Channel (NXLog),
// winlog.event_id or winlog.channel (Winlogbeat 7+), event_id and log_name
// (Winlogbeat 6), or Event.System.EventID (evtx_dump). It is meant for a
// format detector looking at the first lines of a stream, not for every
// record.
func Looks(line []byte) bool {
	var e event.Event
	if err := jsonl.FlattenObject(line, &e); err != nil {
		return false
	}
	has := map[string]bool{}
	for _, f := range e.Fields {
		has[f.Name] = true
	}
	return has["EventID"] && has["Channel"] ||
		has["winlog.event_id"] || has["winlog.channel"] ||
		has["event_id"] && has["log_name"] ||
		has["Event.System.EventID"] || has["Event.System.EventID.#text"]
}
