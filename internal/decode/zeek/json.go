package zeek

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// decodeJSON decodes one record written by Zeek's JSON writer into e.
// Nested objects, which Zeek writes only for record fields when told not to
// flatten them, are named with dots like the flat form.
func decodeJSON(line []byte, path string, e *event.Event) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var record map[string]any
	if err := dec.Decode(&record); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: data after the object")
	}
	if p, ok := record["_path"].(string); ok && p != "" {
		path = p
	} else if path == "" {
		path = guessPath(maps.Keys(record))
	}
	e.Fields = make([]event.Field, 0, len(record)+12)
	for name, value := range record {
		if name != "_path" { // event.dataset has it
			addJSON(e, name, value)
		}
	}
	switch ts := record["ts"].(type) {
	case json.Number:
		t, err := parseEpoch(string(ts))
		if err != nil {
			// Not plain decimal: 1.6644e9 is valid JSON.
			f, ferr := ts.Float64()
			if ferr != nil || f < 0 || f > 1e12 {
				return fmt.Errorf("field ts: %w", err)
			}
			sec, frac := math.Modf(f)
			t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		}
		e.Time = t
	case string:
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return fmt.Errorf("field ts: %q is not an ISO 8601 time", ts)
		}
		e.Time = t.UTC()
	case nil:
	default:
		return fmt.Errorf("field ts: %v is not a time", ts)
	}
	addECS(e, path)
	slices.SortStableFunc(e.Fields, func(a, b event.Field) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// addJSON adds the fields for one JSON value: one per element of an
// array, one per leaf of an object. Nulls are left out, as unset fields.
func addJSON(e *event.Event, name string, value any) {
	switch v := value.(type) {
	case string:
		e.Add(name, v)
	case json.Number:
		e.AddTyped(name, v.String(), event.Number)
	case bool:
		if v {
			e.AddTyped(name, "true", event.Bool)
		} else {
			e.AddTyped(name, "false", event.Bool)
		}
	case []any:
		for _, item := range v {
			addJSON(e, name, item)
		}
	case map[string]any:
		for key, item := range v {
			addJSON(e, name+"."+key, item)
		}
	}
}
