package incident

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// maxRawFirst bounds the raw alert read for a correlation's first time.
const maxRawFirst = 1 << 20

// alertValue is one entity value of an alert.
type alertValue struct {
	field, spelling, value, key string
	seenAs                      string   // the incident's field for it, when another
	evidence                    event.ID // the evidence event it was read from
}

// parsedAlert is what grouping needs of one alert event.
type parsedAlert struct {
	ref      AlertRef
	entities []alertValue
	evidence []event.ID // the first maxEvidence stored events it names
}

// maxEvidence bounds the evidence events read for an alert without
// entities.
const maxEvidence = 8

// parseAlert reads an alert event as detect.Alert.ToEvent renders it.
func parseAlert(ev *event.Event, fields []string) (parsedAlert, error) {
	var p parsedAlert
	if ev == nil {
		return p, fmt.Errorf("nil alert")
	}
	if ev.Kind != event.KindAlert {
		return p, fmt.Errorf("event %d is of kind %s, not alert", ev.ID, ev.Kind)
	}
	if ev.ID <= 0 {
		return p, fmt.Errorf("alert %q at %s has no stored ID", first(ev, "rule.name"), ev.Time.Format(time.RFC3339))
	}
	level := first(ev, "rule.level")
	if !detect.ValidLevel(level) {
		level = "medium"
	}
	p.ref = AlertRef{
		ID: ev.ID, Time: ev.Time, RuleID: first(ev, "rule.id"), Title: first(ev, "rule.name"),
		Level: level, Kind: first(ev, "vigie.alert.kind"), Detector: first(ev, "vigie.detector"),
		HuntID: first(ev, "vigie.hunt.id"),
	}
	if p.ref.Title == "" {
		p.ref.Title = ev.Message()
	}
	for _, f := range ev.Values("threat.technique.id") {
		p.ref.Techniques = append(p.ref.Techniques, f.Value)
	}
	for _, f := range ev.Values("threat.tactic.name") {
		p.ref.Tactics = append(p.ref.Tactics, f.Value)
	}
	if p.ref.Kind == detect.KindCorrelation {
		p.ref.First = correlationFirst(ev.Raw)
	}
	for _, f := range ev.Values("vigie.evidence") {
		if len(p.evidence) == maxEvidence {
			break
		}
		if id, err := strconv.ParseInt(f.Value, 10, 64); err == nil && id > 0 {
			p.evidence = append(p.evidence, event.ID(id))
		}
	}
	p.entities = entityValues(ev, fields)
	return p, nil
}

// entityValues returns the values of fields in ev, normalised, without
// repeats, at most maxEntitiesPerAlert.
func entityValues(ev *event.Event, fields []string) []alertValue {
	var out []alertValue
	seen := map[string]bool{}
	for _, name := range fields {
		for _, f := range ev.Values(name) {
			if len(out) == maxEntitiesPerAlert {
				return out
			}
			s := f.Value
			if len(s) > maxValueLen {
				continue // not a name anyone shares
			}
			v := Normalize(name, s)
			k := entityKey(name, v)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, alertValue{field: name, spelling: s, value: v, key: k})
		}
	}
	return out
}

// correlationFirst reads "first" from a correlation alert's raw JSON (see
// detect.JSON), or returns the zero time.
func correlationFirst(raw []byte) time.Time {
	if len(raw) == 0 || len(raw) > maxRawFirst {
		return time.Time{}
	}
	var j struct {
		First time.Time `json:"first"`
	}
	if json.Unmarshal(raw, &j) != nil {
		return time.Time{}
	}
	return j.First
}

func first(ev *event.Event, name string) string {
	v, _ := ev.Get(name)
	return v
}
