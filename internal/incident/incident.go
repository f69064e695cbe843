package incident

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// Status is where an incident stands.
type Status string

// The statuses. An incident starts new; Merged is set by Merge only.
const (
	StatusNew           Status = "new"
	StatusInvestigating Status = "investigating"
	StatusContained     Status = "contained"
	StatusResolved      Status = "resolved"
	StatusFalsePositive Status = "false_positive"
	StatusMerged        Status = "merged"
)

// ErrTransition is returned for a status change that is not allowed.
var ErrTransition = errors.New("status change not allowed")

// ErrNoIncident is returned for an unknown incident ID.
var ErrNoIncident = errors.New("no such incident")

// transitions lists the statuses each status may move to. Closed
// incidents may be reopened to investigating.
var transitions = map[Status][]Status{
	StatusNew:           {StatusInvestigating, StatusContained, StatusResolved, StatusFalsePositive},
	StatusInvestigating: {StatusContained, StatusResolved, StatusFalsePositive},
	StatusContained:     {StatusInvestigating, StatusResolved, StatusFalsePositive},
	StatusResolved:      {StatusInvestigating},
	StatusFalsePositive: {StatusInvestigating},
}

// Open reports whether an incident in status s takes new alerts.
func (s Status) Open() bool {
	return s == StatusNew || s == StatusInvestigating || s == StatusContained
}

// Closed reports whether s is resolved or false positive.
func (s Status) Closed() bool { return s == StatusResolved || s == StatusFalsePositive }

// CanMove reports whether an incident may move from s to to.
func (s Status) CanMove(to Status) bool { return slices.Contains(transitions[s], to) }

// Incident is a group of alerts about the same activity, and the
// analysts' work on it. It is stored as JSON.
type Incident struct {
	ID    int64  `json:"id"`
	Title string `json:"title"` // derived, unless TitleOverride is set
	// TitleOverride is the analyst's title; "" derives it.
	TitleOverride string `json:"title_override,omitempty"`
	// Severity is the highest Sigma level of the alerts.
	Severity         string `json:"severity"`
	SeverityOverride string `json:"severity_override,omitempty"`
	Status           Status `json:"status"`
	// Reason says why the incident is a false positive, or was reopened.
	Reason   string   `json:"reason,omitempty"`
	Assignee string   `json:"assignee,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Notes    []Note   `json:"notes,omitempty"`
	// Techniques and Tactics are the ATT&CK ids and tactic names of the
	// alerts, sorted.
	Techniques []string `json:"techniques,omitempty"`
	Tactics    []string `json:"tactics,omitempty"`
	// First and Last bound the malicious activity: the alerts' times, and
	// for correlations the first event of their window.
	First   time.Time     `json:"first"`
	Last    time.Time     `json:"last"`
	Dwell   time.Duration `json:"dwell"` // Last - First
	Created time.Time     `json:"created"`
	Updated time.Time     `json:"updated"`
	// Alerts are in the order they joined.
	Alerts   []AlertRef `json:"alerts"`
	Entities []Entity   `json:"entities"`
	Joins    []Join     `json:"joins,omitempty"`
	Related  []int64    `json:"related,omitempty"`
	// MergedInto is the incident this one was merged into (Status merged).
	MergedInto int64 `json:"merged_into,omitempty"`
	// Parts are the incidents merged into this one, so that Split can
	// take them out again.
	Parts []Part `json:"parts,omitempty"`
}

// Note is an analyst's remark.
type Note struct {
	Time   time.Time `json:"time"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// AlertRef is an alert of an incident: the stored alert event's ID and
// what the incident needs of it.
type AlertRef struct {
	ID       event.ID  `json:"id"`
	Time     time.Time `json:"time"`
	First    time.Time `json:"first,omitzero"` // first event of a correlation
	RuleID   string    `json:"rule_id"`
	Title    string    `json:"title"`
	Level    string    `json:"level"`
	Kind     string    `json:"kind"` // match, correlation, behaviour
	Detector string    `json:"detector,omitempty"`
	HuntID   string    `json:"hunt_id,omitempty"`
	// Techniques and Tactics are the alert's ATT&CK ids and tactics.
	Techniques []string `json:"techniques,omitempty"`
	Tactics    []string `json:"tactics,omitempty"`
}

// start returns when the alert's activity began.
func (a *AlertRef) start() time.Time {
	if !a.First.IsZero() && a.First.Before(a.Time) {
		return a.First
	}
	return a.Time
}

// Entity is an entity value involved in an incident, with the alerts
// naming it.
type Entity struct {
	Field string `json:"field"` // the field it was first seen in
	Value string `json:"value"` // normalised (see Normalize)
	// Spellings are the values as the alerts wrote them (at most 8).
	Spellings []string   `json:"spellings,omitempty"`
	First     time.Time  `json:"first"`
	Last      time.Time  `json:"last"`
	Alerts    []event.ID `json:"alerts"`
	// Links are the alerts through which the value links the incident to
	// other alerts: those where it was not one of many values of its kind
	// (Grouping.FanOut), not a hub, and not crowd behaviour. A value
	// without links is listed but joins nothing.
	Links []event.ID `json:"links,omitempty"`
	// Crowd are the crowd alerts that joined through this value (see
	// the package documentation); the next crowd alerts of the same rule and value
	// join them.
	Crowd []event.ID `json:"crowd,omitempty"`
	// Common is set when the value was a hub (Grouping.CommonAfter) at
	// its latest alert.
	Common bool `json:"common,omitempty"`
}

// Join records why an alert joined the incident.
type Join struct {
	Alert   event.ID `json:"alert"`
	Because string   `json:"because"`
}

// Part is an incident merged into another: enough to split it out again.
type Part struct {
	Incident int64      `json:"incident"`
	Alerts   []event.ID `json:"alerts"`
	Status   Status     `json:"status"` // its status before the merge
	Reason   string     `json:"reason"`
	Time     time.Time  `json:"time"`
	Actor    string     `json:"actor"`
}

// EffectiveSeverity is SeverityOverride, or Severity.
func (inc *Incident) EffectiveSeverity() string {
	if inc.SeverityOverride != "" {
		return inc.SeverityOverride
	}
	return inc.Severity
}

// HasAlert reports whether the alert id belongs to the incident.
func (inc *Incident) HasAlert(id event.ID) bool {
	return slices.ContainsFunc(inc.Alerts, func(a AlertRef) bool { return a.ID == id })
}

// Entity returns the incident's entity for a field and value (compared
// normalised, by class: source.ip finds a destination.ip), or nil.
func (inc *Incident) Entity(field, value string) *Entity {
	key := entityKey(field, Normalize(field, value))
	for i := range inc.Entities {
		e := &inc.Entities[i]
		if entityKey(e.Field, e.Value) == key {
			return e
		}
	}
	return nil
}

// recompute derives severity, techniques, tactics, activity bounds and
// the title from the alerts and entities.
func (inc *Incident) recompute() {
	inc.Severity, inc.Techniques, inc.Tactics = "", nil, nil
	inc.First, inc.Last = time.Time{}, time.Time{}
	times := make(map[event.ID]AlertRef, len(inc.Alerts))
	var top *AlertRef
	for i := range inc.Alerts {
		a := &inc.Alerts[i]
		times[a.ID] = *a
		if top == nil || detect.Severity(a.Level) > detect.Severity(top.Level) {
			top = a
		}
		inc.Techniques = append(inc.Techniques, a.Techniques...)
		inc.Tactics = append(inc.Tactics, a.Tactics...)
		if s := a.start(); inc.First.IsZero() || s.Before(inc.First) {
			inc.First = s
		}
		if a.Time.After(inc.Last) {
			inc.Last = a.Time
		}
	}
	slices.Sort(inc.Techniques)
	inc.Techniques = slices.Compact(inc.Techniques)
	slices.Sort(inc.Tactics)
	inc.Tactics = slices.Compact(inc.Tactics)
	inc.Dwell = inc.Last.Sub(inc.First)
	for i := range inc.Entities {
		e := &inc.Entities[i]
		e.First, e.Last = time.Time{}, time.Time{}
		for _, id := range e.Alerts {
			a := times[id]
			if s := a.start(); e.First.IsZero() || s.Before(e.First) {
				e.First = s
			}
			if a.Time.After(e.Last) {
				e.Last = a.Time
			}
		}
	}
	if top != nil {
		inc.Severity = top.Level
	}
	inc.Title = inc.TitleOverride
	if inc.Title == "" && top != nil {
		inc.Title = top.Title
		if e := inc.mainEntity(); e != nil {
			inc.Title += " — " + e.Field + " " + e.Value
		}
	}
}

// classRank orders entity classes for the title: who before where.
var classRank = map[string]int{classUser: 0, classHost: 1, classIP: 2, classDomain: 3, classFile: 4}

func rankOf(field string) int {
	if r, ok := classRank[classOf(field)]; ok {
		return r
	}
	return len(classRank)
}

// mainEntity is the entity named by the most alerts, preferring users,
// then hosts, then addresses; values that stopped joining come last.
func (inc *Incident) mainEntity() *Entity {
	var best *Entity
	for i := range inc.Entities {
		e := &inc.Entities[i]
		if best == nil || compareMain(e, best) < 0 {
			best = e
		}
	}
	return best
}

func compareMain(a, b *Entity) int {
	if a.Common != b.Common {
		if a.Common {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(len(b.Alerts), len(a.Alerts)); c != 0 {
		return c
	}
	return cmp.Compare(rankOf(a.Field), rankOf(b.Field))
}

// clone returns a deep copy.
func (inc *Incident) clone() *Incident {
	c := *inc
	c.Tags = slices.Clone(inc.Tags)
	c.Notes = slices.Clone(inc.Notes)
	c.Techniques = slices.Clone(inc.Techniques)
	c.Tactics = slices.Clone(inc.Tactics)
	c.Alerts = make([]AlertRef, len(inc.Alerts))
	for i, a := range inc.Alerts {
		a.Techniques = slices.Clone(a.Techniques)
		a.Tactics = slices.Clone(a.Tactics)
		c.Alerts[i] = a
	}
	c.Entities = make([]Entity, len(inc.Entities))
	for i, e := range inc.Entities {
		e.Spellings = slices.Clone(e.Spellings)
		e.Alerts = slices.Clone(e.Alerts)
		e.Links = slices.Clone(e.Links)
		e.Crowd = slices.Clone(e.Crowd)
		c.Entities[i] = e
	}
	c.Joins = slices.Clone(inc.Joins)
	c.Related = slices.Clone(inc.Related)
	c.Parts = make([]Part, len(inc.Parts))
	for i, p := range inc.Parts {
		p.Alerts = slices.Clone(p.Alerts)
		c.Parts[i] = p
	}
	if inc.Parts == nil {
		c.Parts = nil
	}
	return &c
}

// addRelated records that inc is related to other.
func (inc *Incident) addRelated(other int64) {
	if other != inc.ID && !slices.Contains(inc.Related, other) {
		inc.Related = append(inc.Related, other)
		slices.Sort(inc.Related)
	}
}

func validLevel(level string) error {
	if !detect.ValidLevel(level) {
		return fmt.Errorf("severity %q is not a Sigma level (informational, low, medium, high, critical)", level)
	}
	return nil
}

// crowdAlerts returns the alerts that joined the incident as crowd
// behaviour.
func (inc *Incident) crowdAlerts() map[event.ID]bool {
	out := map[event.ID]bool{}
	for _, e := range inc.Entities {
		for _, id := range e.Crowd {
			out[id] = true
		}
	}
	return out
}

// take removes the alerts in move from the incident, with their joins and
// entity mentions, and returns them as an incident of their own (not
// recomputed).
func (inc *Incident) take(move map[int64]bool) *Incident {
	out := &Incident{}
	var keep []AlertRef
	for _, a := range inc.Alerts {
		if move[int64(a.ID)] {
			out.Alerts = append(out.Alerts, a)
		} else {
			keep = append(keep, a)
		}
	}
	inc.Alerts = keep
	var keepJoins []Join
	for _, j := range inc.Joins {
		if move[int64(j.Alert)] {
			out.Joins = append(out.Joins, j)
		} else {
			keepJoins = append(keepJoins, j)
		}
	}
	inc.Joins = keepJoins
	var keepEntities []Entity
	for _, e := range inc.Entities {
		taken, left := e, e
		taken.Alerts, left.Alerts = partition(e.Alerts, move)
		taken.Links, left.Links = partition(e.Links, move)
		taken.Crowd, left.Crowd = partition(e.Crowd, move)
		if len(taken.Alerts) > 0 {
			out.Entities = append(out.Entities, taken)
		}
		if len(left.Alerts) > 0 {
			keepEntities = append(keepEntities, left)
		}
	}
	inc.Entities = keepEntities
	return out
}

// absorb adds another incident's alerts, joins and entities (not
// recomputed).
func (inc *Incident) absorb(o *Incident) {
	inc.Alerts = append(inc.Alerts, o.Alerts...)
	inc.Joins = append(inc.Joins, o.Joins...)
	for _, e := range o.Entities {
		key := entityKey(e.Field, e.Value)
		i := slices.IndexFunc(inc.Entities, func(d Entity) bool { return entityKey(d.Field, d.Value) == key })
		if i < 0 {
			inc.Entities = append(inc.Entities, e)
			continue
		}
		d := &inc.Entities[i]
		d.Alerts = append(d.Alerts, e.Alerts...)
		d.Links = append(d.Links, e.Links...)
		d.Crowd = append(d.Crowd, e.Crowd...)
		d.Common = d.Common || e.Common
		for _, s := range e.Spellings {
			if !slices.Contains(d.Spellings, s) && len(d.Spellings) < maxSpellings {
				d.Spellings = append(d.Spellings, s)
			}
		}
	}
}
