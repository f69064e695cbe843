package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonEvent is the JSON shape of an Event, used by the API, the CLI and
// "vigie ingest". Fields is an object with the fields in name order; a
// multi-valued field is an array. Raw is a string when it is valid UTF-8
// and RawBase64 otherwise, so the bytes survive the round trip exactly.
type jsonEvent struct {
	ID         ID              `json:"id,omitempty"`
	Time       time.Time       `json:"@timestamp"`
	Received   time.Time       `json:"received,omitzero"`
	Source     SourceID        `json:"source,omitempty"`
	Format     string          `json:"format,omitempty"`
	Kind       string          `json:"kind"`
	ParseError string          `json:"parse_error,omitempty"`
	Fields     json.RawMessage `json:"fields,omitempty"`
	Raw        *string         `json:"raw,omitempty"`
	RawBase64  []byte          `json:"raw_base64,omitempty"`
}

// MarshalJSON encodes e in Vigie's event JSON shape.
func (e *Event) MarshalJSON() ([]byte, error) {
	j := jsonEvent{
		ID: e.ID, Time: e.Time, Received: e.Received, Source: e.Source,
		Format: e.Format, Kind: e.Kind.String(), ParseError: e.ParseError,
		Fields: appendFieldsJSON(nil, e.Fields),
	}
	switch {
	case len(e.Raw) == 0:
	case utf8.Valid(e.Raw):
		s := string(e.Raw)
		j.Raw = &s
	default:
		j.RawBase64 = e.Raw
	}
	return json.Marshal(j)
}

// appendFieldsJSON encodes sorted fields as one JSON object.
func appendFieldsJSON(b []byte, fields []Field) []byte {
	if len(fields) == 0 {
		return nil
	}
	b = append(b, '{')
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].Name == fields[i].Name {
			j++
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, fields[i].Name)
		b = append(b, ':')
		if j-i > 1 {
			b = append(b, '[')
		}
		for k := i; k < j; k++ {
			if k > i {
				b = append(b, ',')
			}
			b = appendValueJSON(b, fields[k])
		}
		if j-i > 1 {
			b = append(b, ']')
		}
		i = j
	}
	return append(b, '}')
}

func appendValueJSON(b []byte, f Field) []byte {
	switch f.Type {
	case Number:
		if json.Valid([]byte(f.Value)) {
			return append(b, f.Value...)
		}
	case Bool:
		if f.Value == "true" || f.Value == "false" {
			return append(b, f.Value...)
		}
	case Null:
		return append(b, "null"...)
	}
	s, _ := json.Marshal(f.Value) // a string always marshals
	return append(b, s...)
}

// UnmarshalJSON decodes Vigie's event JSON shape. Nested objects inside
// "fields" are not expected; their JSON text is kept as the value.
func (e *Event) UnmarshalJSON(data []byte) error {
	var j jsonEvent
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	kind, err := ParseKind(j.Kind)
	if j.Kind == "" {
		kind, err = KindEvent, nil
	}
	if err != nil {
		return err
	}
	*e = Event{ID: j.ID, Time: j.Time, Received: j.Received, Source: j.Source,
		Format: j.Format, Kind: kind, ParseError: j.ParseError}
	if j.Raw != nil {
		e.Raw = []byte(*j.Raw)
	} else {
		e.Raw = j.RawBase64
	}
	if len(j.Fields) > 0 && !bytes.Equal(j.Fields, []byte("null")) {
		if err := e.unmarshalFields(j.Fields); err != nil {
			return fmt.Errorf("event fields: %w", err)
		}
	}
	return nil
}

func (e *Event) unmarshalFields(data []byte) error {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return err
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := bytes.TrimSpace(obj[name])
		if len(v) > 0 && v[0] == '[' {
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				return fmt.Errorf("field %q: %w", name, err)
			}
			for _, it := range items {
				e.addJSONValue(name, it)
			}
			continue
		}
		e.addJSONValue(name, v)
	}
	return nil
}

func (e *Event) addJSONValue(name string, v json.RawMessage) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0:
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			e.AddTyped(name, s, String)
			return
		}
	case bytes.Equal(v, []byte("null")):
		e.AddTyped(name, "", Null)
		return
	case bytes.Equal(v, []byte("true")), bytes.Equal(v, []byte("false")):
		e.AddTyped(name, string(v), Bool)
		return
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		e.AddTyped(name, string(v), Number)
		return
	}
	e.AddTyped(name, string(v), String)
}
