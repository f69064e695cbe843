package behave

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// Detector finds one kind of behaviour in a stream of events.
//
// Events come in event time order, give or take the caller's allowance
// for late events; a detector must not assume more. A detector is used by
// one goroutine at a time. Its memory is bounded: per-entity state is
// capped (Limits.MaxEntities) and expires.
type Detector interface {
	// Name is the detector's identifier in config and in alerts:
	// "bruteforce", "travel", "beacon"…
	Name() string
	// Observe looks at one event. ref identifies it in evidence (the
	// stored event id in serve, "file#record" in hunt). Detectors ignore
	// events that are not theirs.
	Observe(ev *event.Event, ref string) []Finding
	// Advance tells the detector that event time has reached now: it
	// decides what only the passing of time decides (a source gone
	// silent, a beacon scored at the end of its window) and expires
	// state.
	Advance(now time.Time) []Finding
	// Snapshot writes the detector's state (baselines, windows) as JSON;
	// Restore reads it back into a detector built with the same
	// configuration. State of another version is dropped, not an error.
	Snapshot(w io.Writer) error
	Restore(r io.Reader) error
}

// Flusher is implemented by detectors that decide something at the end of
// their input (a hunt over files): a beacon whose window has not closed
// is scored. Silence is not decided at the end: the input ends, not the
// source.
type Flusher interface {
	Flush() []Finding
}

// Finding is one alert of a behaviour detector. It explains itself: what
// was observed, against which baseline or threshold, over which window,
// and on which events.
type Finding struct {
	Detector string    // Detector.Name()
	Title    string    // "Password spraying from 203.0.113.45"
	Level    string    // a Sigma level: informational, low, medium, high, critical
	Time     time.Time // event time at which the behaviour was established
	// Entities are the ECS fields naming who and what is involved:
	// source.ip, user.name, host.name, destination.ip,
	// destination.domain… A name may repeat (several users sprayed).
	Entities []Entity
	Why      Why
	// Evidence are the references of the events behind the finding, at
	// most MaxEvidence of them; Truncated counts those left out.
	Evidence  []string
	Truncated int
	// Tags are ATT&CK tags in Sigma's form: "attack.t1110.003",
	// "attack.credential-access".
	Tags []string
}

// Entity is one ECS field and its value.
type Entity struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Why explains a finding.
type Why struct {
	// Observed is the measured value: failures counted, km/h travelled,
	// beacon score, bytes sent…
	Observed float64 `json:"observed"`
	// Unit names what Observed counts: "failures", "accounts", "km/h",
	// "score", "bytes", "connections", "minutes"…
	Unit string `json:"unit"`
	// Threshold is the value Observed crossed, when the rule is a fixed
	// threshold.
	Threshold float64 `json:"threshold,omitempty"`
	// Baseline describes the entity's normal, when the rule is relative
	// to it: "median 12 MB per hour on Tuesdays 14:00 (MAD 3 MB, 6 weeks)".
	Baseline string `json:"baseline,omitempty"`
	// Window is the time span observed.
	Window time.Duration `json:"window"`
	// Text says it in one sentence for an analyst.
	Text string `json:"text"`
}

// MarshalJSON writes Window as text ("10m0s") and in seconds.
func (w Why) MarshalJSON() ([]byte, error) {
	type plain Why
	return json.Marshal(struct {
		plain
		Window        string  `json:"window"`
		WindowSeconds float64 `json:"window_seconds"`
	}{plain(w), w.Window.String(), w.Window.Seconds()})
}

// Limits bound a detector's memory. The zero value gives the defaults.
type Limits struct {
	// MaxEntities is the most entities (accounts, hosts, address pairs…)
	// a detector tracks; beyond it the least recently seen is forgotten.
	// Default 100,000.
	MaxEntities int `yaml:"max_entities"`
	// MaxEvidence is the most evidence references per finding. Default 50.
	MaxEvidence int `yaml:"max_evidence"`
}

// WithDefaults returns l with its zero fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxEntities <= 0 {
		l.MaxEntities = 100_000
	}
	if l.MaxEvidence <= 0 {
		l.MaxEvidence = 50
	}
	return l
}

// Set runs several detectors over one stream.
type Set struct {
	detectors []Detector
}

// NewSet returns a set of the given detectors.
func NewSet(detectors ...Detector) *Set {
	return &Set{detectors: detectors}
}

// Detectors returns the detectors of the set.
func (s *Set) Detectors() []Detector { return s.detectors }

// Observe passes ev to every detector.
func (s *Set) Observe(ev *event.Event, ref string) []Finding {
	var out []Finding
	for _, d := range s.detectors {
		out = append(out, d.Observe(ev, ref)...)
	}
	return out
}

// Advance passes the time to every detector.
func (s *Set) Advance(now time.Time) []Finding {
	var out []Finding
	for _, d := range s.detectors {
		out = append(out, d.Advance(now)...)
	}
	return out
}

// Flush ends the input of the detectors that implement Flusher.
func (s *Set) Flush() []Finding {
	var out []Finding
	for _, d := range s.detectors {
		if f, ok := d.(Flusher); ok {
			out = append(out, f.Flush()...)
		}
	}
	return out
}

// snapshot is the file format of Set.Snapshot.
type snapshot struct {
	Version   int                        `json:"version"`
	Detectors map[string]json.RawMessage `json:"detectors"`
}

// Snapshot writes the state of every detector.
func (s *Set) Snapshot(w io.Writer) error {
	snap := snapshot{Version: 1, Detectors: map[string]json.RawMessage{}}
	for _, d := range s.detectors {
		var b strings.Builder
		if err := d.Snapshot(&b); err != nil {
			return fmt.Errorf("detector %s: %w", d.Name(), err)
		}
		snap.Detectors[d.Name()] = json.RawMessage(b.String())
	}
	return json.NewEncoder(w).Encode(snap)
}

// Restore reads state written by Snapshot. Detectors missing from it
// start afresh; state of detectors no longer in the set is dropped.
func (s *Set) Restore(r io.Reader) error {
	var snap snapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading detector state: %w", err)
	}
	if snap.Version != 1 {
		return nil
	}
	for _, d := range s.detectors {
		if raw, ok := snap.Detectors[d.Name()]; ok {
			if err := d.Restore(strings.NewReader(string(raw))); err != nil {
				return fmt.Errorf("detector %s: %w", d.Name(), err)
			}
		}
	}
	return nil
}

// Names returns the names of the detectors of a set, sorted.
func (s *Set) Names() []string {
	var names []string
	for _, d := range s.detectors {
		names = append(names, d.Name())
	}
	slices.Sort(names)
	return names
}
