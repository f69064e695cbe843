package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// SuccessAfterConfig tunes SuccessAfter. Zero fields take the defaults of
// DefaultSuccessAfterConfig.
type SuccessAfterConfig struct {
	// Failures failed attempts from a source within Window before one of
	// its logins succeeds make the finding. Default 5 in 1h: a user who
	// mistyped twice and got in is not one.
	Failures int           `yaml:"failures"`
	Window   time.Duration `yaml:"window"`
}

// DefaultSuccessAfterConfig returns the defaults: 5 failures within the
// hour before the success.
func DefaultSuccessAfterConfig() SuccessAfterConfig {
	return SuccessAfterConfig{Failures: 5, Window: time.Hour}
}

func (c SuccessAfterConfig) withDefaults() SuccessAfterConfig {
	d := DefaultSuccessAfterConfig()
	if c.Failures <= 0 {
		c.Failures = d.Failures
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	return c
}

// Validate reports values that NewSuccessAfter would not use as given.
func (c SuccessAfterConfig) Validate() error {
	if c.Failures < 0 || c.Window < 0 {
		return errors.New("successafter: failures and window must not be negative")
	}
	return nil
}

// afterKept is how many failure marks a source keeps: its count of
// failures in the window is exact up to this many, and reads "at least"
// beyond.
const afterKept = 64

// SuccessAfter finds the attack that worked: a login that succeeds from a
// source that failed at least Failures times within the Window before it
// — on the same account (a guessed password) or on others (a spray that
// found one). It is level high. Records without a source address are not
// considered.
//
// Firing: one finding per source and account per burst; the source
// re-arms after Window without a failure. A second account that gets in
// from the same source in the same burst is a finding of its own.
type SuccessAfter struct {
	cfg     SuccessAfterConfig
	lim     behave.Limits
	sources *behave.Table[*afterState]
	conns   connections
}

var _ behave.Detector = (*SuccessAfter)(nil)

// afterState is what SuccessAfter keeps per source.
type afterState struct {
	Failures tally     `json:"failures"` // Who: the user tried
	Last     time.Time `json:"last"`     // latest failure
	// Reported holds the users whose login was reported in this burst.
	Reported map[string]time.Time `json:"reported,omitempty"`
	Evidence trail                `json:"evidence"`
}

// NewSuccessAfter returns a success-after-failures detector. Its sources
// and connections share lim.MaxEntities in halves.
func NewSuccessAfter(cfg SuccessAfterConfig, lim behave.Limits) *SuccessAfter {
	lim = lim.WithDefaults()
	n := share(lim, 2)
	return &SuccessAfter{
		cfg:     cfg.withDefaults(),
		lim:     lim,
		sources: behave.NewTable[*afterState](n),
		conns:   newConnections(n),
	}
}

// Name implements behave.Detector.
func (d *SuccessAfter) Name() string { return "successafter" }

// Observe implements behave.Detector.
func (d *SuccessAfter) Observe(ev *event.Event, ref string) []behave.Finding {
	at, ok := attemptOf(ev, &d.conns)
	if !ok || at.Source == "" {
		return nil
	}
	t := at.Time
	if !at.Success {
		st := d.sources.Get(at.Source, t, func() *afterState { return &afterState{} })
		if !st.Last.IsZero() && t.Sub(st.Last) > d.cfg.Window {
			*st = afterState{}
		}
		if t.After(st.Last) {
			st.Last = t
		}
		st.Evidence.add(ref, d.lim.MaxEvidence)
		if at.SourceCount > 0 {
			st.Failures.add(mark{At: t, N: at.SourceCount, Who: at.User, Host: at.Host}, d.cfg.Window, afterKept)
		}
		return nil
	}
	st, ok := d.sources.Peek(at.Source)
	if !ok || t.Sub(st.Last) > d.cfg.Window {
		return nil
	}
	total, same := 0, 0
	cutoff := t.Add(-d.cfg.Window)
	for _, m := range st.Failures.live() {
		if m.At.After(cutoff) && !m.At.After(t) {
			total += m.N
			if m.Who == at.User {
				same += m.N
			}
		}
	}
	if total < d.cfg.Failures {
		return nil
	}
	if _, done := st.Reported[at.User]; done {
		return nil
	}
	if st.Reported == nil {
		st.Reported = map[string]time.Time{}
	}
	st.Reported[at.User] = t
	d.sources.Get(at.Source, t, func() *afterState { return st })
	return []behave.Finding{d.finding(st, at, ref, total, same)}
}

func (d *SuccessAfter) finding(st *afterState, at attempt, ref string, total, same int) behave.Finding {
	user := at.User
	if user == "" {
		user = "an unnamed account"
	}
	count := fmt.Sprint(total)
	if total >= afterKept {
		count = "at least " + count
	}
	f := behave.Finding{
		Detector: d.Name(),
		Title:    fmt.Sprintf("Login as %s from %s after %s failures", user, at.Source, count),
		Level:    "high",
		Time:     at.Time,
		Entities: []behave.Entity{{Field: event.SourceIP, Value: at.Source}},
		Tags:     []string{"attack.credential-access", "attack.t1110", "attack.initial-access", "attack.t1078"},
	}
	if at.User != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.UserName, Value: at.User})
	}
	if at.Host != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.HostName, Value: at.Host})
	}
	how := fmt.Sprintf("%d of them on %s: a password guessed", same, user)
	if same == 0 {
		_, _, nWho, _ := st.Failures.others(0)
		how = fmt.Sprintf("all on other accounts (%d): an account found by spraying", nWho)
	}
	where := ""
	if at.Host != "" {
		where = " on " + at.Host
	}
	f.Why = behave.Why{
		Observed:  float64(total),
		Unit:      "failures",
		Threshold: float64(d.cfg.Failures),
		Window:    d.cfg.Window,
		Text: fmt.Sprintf("%s logged in%s from %s after %s failed logins from that address within %s, %s; the threshold is %d failures in %s.",
			user, where, at.Source, count, d.cfg.Window, how, d.cfg.Failures, d.cfg.Window),
	}
	refs, truncated := st.Evidence.evidence()
	if len(refs) >= d.lim.MaxEvidence {
		refs = refs[1:]
		truncated++
	}
	f.Evidence, f.Truncated = append(refs, ref), truncated
	return f
}

// Advance implements behave.Detector: it forgets sources idle for longer
// than the window, and idle connections.
func (d *SuccessAfter) Advance(now time.Time) []behave.Finding {
	d.sources.Expire(now.Add(-d.cfg.Window))
	d.conns.expire(now)
	return nil
}

type afterSnapshot struct {
	Version     int                              `json:"version"`
	Sources     []behave.SavedEntry[*afterState] `json:"sources"`
	Connections []behave.SavedEntry[*connection] `json:"connections"`
}

// Snapshot implements behave.Detector.
func (d *SuccessAfter) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(afterSnapshot{Version: snapshotVersion, Sources: d.sources.Save(), Connections: d.conns.table.Save()})
}

// Restore implements behave.Detector.
func (d *SuccessAfter) Restore(r io.Reader) error {
	var snap afterSnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading successafter state: %w", err)
	}
	if snap.Version != snapshotVersion {
		return nil
	}
	d.sources.Load(snap.Sources)
	d.conns.table.Load(snap.Connections)
	return nil
}
