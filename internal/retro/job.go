package retro

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// Spec says what a hunt runs, over which events, for whom.
type Spec struct {
	// Name is the analyst's name for the hunt; it is copied into every
	// alert as vigie.hunt.name. At most MaxNameLen bytes.
	Name string
	// Rules are the Sigma rules to run; nil runs none.
	Rules *detect.RuleSet
	// Behaviour builds the behaviour detectors to run, a fresh set per
	// hunt since detectors hold state; nil runs none. A retro-match of
	// new indicators is a hunt whose Behaviour holds only the IOC
	// detector of those indicators.
	Behaviour func() *behave.Set
	// From and To bound the event time: From <= Time < To. A zero value
	// leaves that side open.
	From, To time.Time
	// RequestedBy names who asked for the hunt (a user, "policy:NAME").
	RequestedBy string
}

// MaxNameLen bounds Spec.Name and Spec.RequestedBy.
const MaxNameLen = 200

// ErrInvalidSpec is matched by the errors Start returns for a Spec it
// refuses.
var ErrInvalidSpec = errors.New("invalid hunt")

// Validate checks the spec.
func (s *Spec) Validate() error {
	switch {
	case s.Rules == nil && s.Behaviour == nil:
		return fmt.Errorf("%w: no rules and no behaviour detectors to run", ErrInvalidSpec)
	case !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To):
		return fmt.Errorf("%w: from %s is not before to %s", ErrInvalidSpec,
			s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
	case len(s.Name) > MaxNameLen || !utf8.ValidString(s.Name):
		return fmt.Errorf("%w: name must be valid UTF-8 of at most %d bytes", ErrInvalidSpec, MaxNameLen)
	case len(s.RequestedBy) > MaxNameLen || !utf8.ValidString(s.RequestedBy):
		return fmt.Errorf("%w: requested by must be valid UTF-8 of at most %d bytes", ErrInvalidSpec, MaxNameLen)
	}
	return nil
}

// State is where a hunt is in its life.
type State string

// The states of a hunt. Running is the only one that changes.
const (
	Running State = "running"
	Done    State = "done"    // read every event up to Job.Last
	Stopped State = "stopped" // ended by Stop or Close; its alerts so far are stored
	Failed  State = "failed"  // ended by an error, or interrupted by a restart
)

// Job is the status of a hunt, as the API shows it and the store keeps
// it (record kind "hunt"). Values returned by the Manager are copies.
type Job struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	State       State     `json:"state"`
	Error       string    `json:"error,omitempty"`
	RequestedBy string    `json:"requested_by,omitempty"`
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended,omitzero"`
	From        time.Time `json:"from,omitzero"`
	To          time.Time `json:"to,omitzero"`
	// Scanned counts the stored events read, Matched those given to the
	// engine (events, not alerts, within [From, To)), Total estimates how
	// many the hunt reads (Last minus the ID before the first stored
	// event), Alerts counts the alerts stored.
	Scanned int64 `json:"scanned"`
	Matched int64 `json:"matched"`
	Total   int64 `json:"total"`
	Alerts  int64 `json:"alerts"`
	// Rules counts the Sigma rules evaluated (status ok); Detectors names
	// the behaviour detectors.
	Rules     int      `json:"rules"`
	Detectors []string `json:"detectors,omitempty"`
	// Position is the ID of the last event read; Last the highest ID the
	// hunt reads, the highest stored when it started.
	Position event.ID `json:"position"`
	Last     event.ID `json:"last"`
}

// Progress returns the share of the hunt done, from 0 to 1: 1 once it
// is done, Scanned/Total before.
func (j *Job) Progress() float64 {
	switch {
	case j.State == Done:
		return 1
	case j.Total <= 0:
		return 0
	}
	return min(1, float64(j.Scanned)/float64(j.Total))
}

// MarshalJSON writes the job's fields and its "progress".
func (j Job) MarshalJSON() ([]byte, error) {
	type fields Job // without the method
	return json.Marshal(struct {
		fields
		Progress float64 `json:"progress"`
	}{fields(j), j.Progress()})
}

func (j *Job) clone() *Job {
	c := *j
	c.Detectors = append([]string(nil), j.Detectors...)
	return &c
}
