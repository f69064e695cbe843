package detect

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/correlate"
)

// Alert kinds.
const (
	KindMatch       = "match"
	KindCorrelation = "correlation"
	KindBehaviour   = "behaviour"
)

// Alert is one detection: a rule matching an event, a correlation rule
// whose condition held over a group of events, or a behaviour detector's
// finding.
type Alert struct {
	// Rule is the Sigma rule; for a behaviour alert, a rule standing for
	// its detector (ID "vigie.behave.NAME", Title the detector's name).
	Rule *sigma.Rule
	Kind string // KindMatch, KindCorrelation or KindBehaviour
	// Finding is the behaviour detector's finding (KindBehaviour).
	Finding *behave.Finding
	Time    time.Time
	// Event and Ref are the matching event and its reference (match).
	Event *event.Event
	Ref   string
	// Group, Refs, Value, First and Last describe a correlation hit.
	Group       []correlate.KV
	Refs        []string
	Truncated   int
	Value       float64
	First, Last time.Time
}

func matchAlert(r *sigma.Rule, ev *event.Event, ref string) Alert {
	return Alert{Rule: r, Kind: KindMatch, Time: ev.Time, Event: ev, Ref: ref}
}

func hitAlert(h correlate.Hit) Alert {
	return Alert{Rule: h.Rule, Kind: KindCorrelation, Time: h.Last, Group: h.Group, Refs: h.Refs,
		Truncated: h.Truncated, Value: h.Value, First: h.First, Last: h.Last}
}

func findingAlert(r *sigma.Rule, f *behave.Finding) Alert {
	return Alert{Rule: r, Kind: KindBehaviour, Finding: f, Time: f.Time, Refs: f.Evidence, Truncated: f.Truncated}
}

// Level returns the rule's or the finding's level, "medium" when it has
// none.
func (a *Alert) Level() string {
	switch {
	case a.Finding != nil && a.Finding.Level != "":
		return a.Finding.Level
	case a.Rule.Level == "":
		return "medium"
	}
	return a.Rule.Level
}

// Title returns the rule's title, or the finding's for a behaviour alert.
func (a *Alert) Title() string {
	if a.Finding != nil {
		return a.Finding.Title
	}
	return a.Rule.Title
}

// Tags returns the rule's tags, or the finding's.
func (a *Alert) Tags() []string {
	if a.Finding != nil {
		return a.Finding.Tags
	}
	return a.Rule.Tags
}

// Evidence returns the references of the events behind the alert.
func (a *Alert) Evidence() []string {
	if a.Kind == KindMatch {
		return []string{a.Ref}
	}
	return a.Refs
}

// levels orders Sigma levels and gives each its ECS event.severity.
var levels = map[string]int{"informational": 21, "low": 31, "medium": 47, "high": 73, "critical": 99}

// Severity returns the ECS event.severity of a Sigma level (21 to 99).
func Severity(level string) int {
	if s, ok := levels[level]; ok {
		return s
	}
	return levels["medium"]
}

// ValidLevel reports whether level is one of Sigma's five levels.
func ValidLevel(level string) bool {
	_, ok := levels[level]
	return ok
}

// LevelAtLeast reports whether level is min or above; "" passes any.
func LevelAtLeast(level, min string) bool {
	return min == "" || Severity(level) >= Severity(min)
}

// Techniques returns the ATT&CK technique ids (T1059.001) and tactic
// names (execution) of Sigma tags ("attack.t1059.001", "attack.execution").
func Techniques(tags []string) (techniques, tactics []string) {
	for _, t := range tags {
		rest, ok := strings.CutPrefix(strings.ToLower(t), "attack.")
		if !ok {
			continue
		}
		switch {
		case len(rest) > 1 && rest[0] == 't' && rest[1] >= '0' && rest[1] <= '9':
			techniques = append(techniques, strings.ToUpper(rest))
		case len(rest) > 1 && (rest[0] == 'g' || rest[0] == 's') && rest[1] >= '0' && rest[1] <= '9':
			// Groups (G0016) and software (S0002) are not tactics.
		default:
			tactics = append(tactics, strings.ReplaceAll(rest, "_", "-"))
		}
	}
	return techniques, tactics
}

// ToEvent renders the alert as a stored event of kind alert, received at
// now. Raw is the alert's JSON; the evidence events stay where they are
// and are referred to by vigie.evidence.
func (a *Alert) ToEvent(now time.Time) *event.Event {
	e := &event.Event{Time: a.Time, Received: now, Source: "vigie/sigma", Format: "alert", Kind: event.KindAlert}
	r := a.Rule
	e.Add("rule.id", r.ID)
	e.Add("rule.name", a.Title())
	if a.Finding != nil {
		e.Source = "vigie/behave"
		e.Add("rule.ruleset", "behave")
		e.Add("vigie.detector", a.Finding.Detector)
		w := a.Finding.Why
		e.AddTyped("vigie.why.observed", strconv.FormatFloat(w.Observed, 'g', -1, 64), event.Number)
		e.Add("vigie.why.unit", w.Unit)
		if w.Threshold != 0 {
			e.AddTyped("vigie.why.threshold", strconv.FormatFloat(w.Threshold, 'g', -1, 64), event.Number)
		}
		if w.Baseline != "" {
			e.Add("vigie.why.baseline", w.Baseline)
		}
		e.AddTyped("vigie.why.window_seconds", strconv.FormatFloat(w.Window.Seconds(), 'g', -1, 64), event.Number)
		e.Add("vigie.why.text", w.Text)
	} else {
		e.Add("rule.ruleset", "sigma")
	}
	if r.Description != "" {
		e.Add("rule.description", r.Description)
	}
	e.Add("rule.level", a.Level())
	e.AddTyped("event.severity", strconv.Itoa(Severity(a.Level())), event.Number)
	e.Add("vigie.alert.kind", a.Kind)
	e.Add(event.Message, a.Message())
	for _, t := range a.Tags() {
		e.Add("tags", t)
	}
	tech, tact := Techniques(a.Tags())
	for _, t := range tech {
		e.Add("threat.technique.id", t)
	}
	for _, t := range tact {
		e.Add("threat.tactic.name", t)
	}
	for _, ref := range a.Evidence() {
		e.Add("vigie.evidence", ref)
	}
	for _, kv := range a.Group {
		e.Add("vigie.group."+kv.Name, kv.Value)
	}
	if a.Kind == KindCorrelation {
		e.AddTyped("vigie.correlation.value", strconv.FormatFloat(a.Value, 'g', -1, 64), event.Number)
	}
	// Entity fields, so that alerts are found and grouped by entity.
	seen := map[string]bool{}
	add := func(name, value string) {
		if value != "" && value != "-" && !seen[name+"\x00"+value] {
			seen[name+"\x00"+value] = true
			e.Add(name, value)
		}
	}
	if a.Event != nil {
		for _, name := range event.EntityFields() {
			for _, f := range a.Event.Values(name) {
				add(name, f.Value)
			}
		}
	}
	for _, kv := range a.Group {
		if entity := entityOf(kv.Name); entity != "" {
			add(entity, kv.Value)
		}
	}
	if a.Finding != nil {
		for _, en := range a.Finding.Entities {
			add(en.Field, en.Value)
		}
	}
	e.Sort()
	e.Raw, _ = json.Marshal(a.Record(""))
	return e
}

// entityOf maps the group-by fields correlation rules use to the entity
// field they name.
func entityOf(field string) string {
	switch strings.ToLower(field) {
	case "user.name", "targetusername", "subjectusername", "user", "username":
		return event.UserName
	case "host.name", "computer", "computername", "hostname", "workstationname":
		return event.HostName
	case "source.ip", "ipaddress", "sourceip", "src_ip", "sourceipaddress", "id.orig_h":
		return event.SourceIP
	case "destination.ip", "destinationip", "dst_ip", "id.resp_h":
		return event.DestinationIP
	}
	return ""
}

// Message is a one-line description: the rule title, and the group of a
// correlation; for a behaviour alert, its title and why.
func (a *Alert) Message() string {
	if a.Finding != nil {
		if a.Finding.Why.Text == "" {
			return a.Finding.Title
		}
		return a.Finding.Title + ": " + a.Finding.Why.Text
	}
	if a.Kind == KindMatch || len(a.Group) == 0 {
		return a.Rule.Title
	}
	var b strings.Builder
	b.WriteString(a.Rule.Title)
	b.WriteString(" (")
	for i, kv := range a.Group {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(kv.Name + "=" + kv.Value)
	}
	b.WriteString(")")
	return b.String()
}

// JSON is the alert as "vigie hunt --json" writes it: one object per line,
// {"rule_id","rule_title","level","tags","kind","file","record_id",
// "timestamp","event"} for matches, with "group", "value" and "events"
// (the evidence references) for correlations.
type JSON struct {
	RuleID    string            `json:"rule_id"`
	RuleTitle string            `json:"rule_title"`
	Level     string            `json:"level"`
	Tags      []string          `json:"tags"`
	Kind      string            `json:"kind"`
	File      string            `json:"file,omitempty"`
	RecordID  string            `json:"record_id,omitempty"`
	Timestamp time.Time         `json:"timestamp"`
	Event     map[string]any    `json:"event,omitempty"`
	Group     map[string]string `json:"group,omitempty"`
	Value     *float64          `json:"value,omitempty"`
	First     *time.Time        `json:"first,omitempty"`
	Events    []string          `json:"events,omitempty"`
	Truncated int               `json:"events_truncated,omitempty"`
}

// Record returns the value "vigie hunt --json" writes for the alert: JSON
// for Sigma alerts, BehaviourJSON for behaviour alerts.
func (a *Alert) Record(file string) any {
	if a.Finding != nil {
		return a.BehaviourJSON()
	}
	return a.JSON(file)
}

// BehaviourJSON is a behaviour alert as "vigie hunt --json" writes it: the
// shape of a Sigma detection with "kind":"behaviour", the detector, its
// title and level, the entities as ECS fields at the top level
// ("source.ip", "user.name"…; a list when several), "why" and "evidence".
func (a *Alert) BehaviourJSON() map[string]any {
	f := a.Finding
	m := map[string]any{
		"kind": KindBehaviour, "detector": f.Detector, "rule_id": a.Rule.ID, "title": f.Title,
		"rule_title": f.Title, "level": a.Level(), "tags": nonNilTags(f.Tags),
		"timestamp": f.Time.UTC(), "why": f.Why, "evidence": nonNilTags(f.Evidence),
	}
	if f.Truncated > 0 {
		m["evidence_truncated"] = f.Truncated
	}
	for _, en := range f.Entities {
		switch v := m[en.Field].(type) {
		case nil:
			m[en.Field] = en.Value
		case string:
			if v != en.Value {
				m[en.Field] = []string{v, en.Value}
			}
		case []string:
			if !slices.Contains(v, en.Value) {
				m[en.Field] = append(v, en.Value)
			}
		}
	}
	return m
}

func nonNilTags(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON returns a Sigma alert's JSON form; file and the record id are for
// matches, taken from the reference when it is "file#record".
func (a *Alert) JSON(file string) JSON {
	j := JSON{RuleID: a.Rule.ID, RuleTitle: a.Rule.Title, Level: a.Level(), Tags: a.Rule.Tags,
		Kind: a.Kind, Timestamp: a.Time.UTC()}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if a.Kind == KindMatch {
		j.File = file
		if f, rec, ok := strings.Cut(a.Ref, "#"); ok {
			j.File, j.RecordID = f, rec
		} else {
			j.RecordID = a.Ref
		}
		if a.Event != nil {
			j.Event = Fields(a.Event)
		}
		return j
	}
	j.Group = map[string]string{}
	for _, kv := range a.Group {
		j.Group[kv.Name] = kv.Value
	}
	v, first := a.Value, a.First.UTC()
	j.Value, j.First = &v, &first
	j.Events, j.Truncated = a.Refs, a.Truncated
	return j
}

// Fields renders an event's fields as a JSON object: a field with several
// values becomes an array, numbers and booleans keep their type.
func Fields(e *event.Event) map[string]any { return FieldMap(e, value) }

// FieldMap renders an event's fields as a map, each value converted by
// conv; a field with several values becomes a []any.
func FieldMap(e *event.Event, conv func(event.Field) any) map[string]any {
	m := make(map[string]any, len(e.Fields))
	for i := 0; i < len(e.Fields); {
		j := i + 1
		for j < len(e.Fields) && e.Fields[j].Name == e.Fields[i].Name {
			j++
		}
		if j-i == 1 {
			m[e.Fields[i].Name] = conv(e.Fields[i])
		} else {
			vs := make([]any, 0, j-i)
			for _, f := range e.Fields[i:j] {
				vs = append(vs, conv(f))
			}
			m[e.Fields[i].Name] = vs
		}
		i = j
	}
	return m
}

func value(f event.Field) any {
	switch f.Type {
	case event.Number:
		return json.Number(f.Value)
	case event.Bool:
		return f.Value == "true"
	case event.Null:
		return nil
	}
	return f.Value
}
