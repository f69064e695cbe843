package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// BruteForceConfig tunes BruteForce. Zero fields take the defaults of
// DefaultBruteForceConfig.
type BruteForceConfig struct {
	// Failures failed attempts within Window, from one source or against
	// one account, make a brute force. Default 10 in 10m: more than a
	// user mistyping, fewer than any tool sends.
	Failures int           `yaml:"failures"`
	Window   time.Duration `yaml:"window"`
	// SlowFailures within SlowWindow make a slow brute force, reported
	// only for an entity that did not reach the fast threshold in that
	// time: an attacker keeping under the rate that trips lockouts and
	// fast rules. Default 30 in 6h.
	SlowFailures int           `yaml:"slow_failures"`
	SlowWindow   time.Duration `yaml:"slow_window"`
}

// DefaultBruteForceConfig returns the defaults: 10 failures in 10 minutes,
// or 30 in 6 hours for the slow kind.
func DefaultBruteForceConfig() BruteForceConfig {
	return BruteForceConfig{Failures: 10, Window: 10 * time.Minute, SlowFailures: 30, SlowWindow: 6 * time.Hour}
}

func (c BruteForceConfig) withDefaults() BruteForceConfig {
	d := DefaultBruteForceConfig()
	if c.Failures <= 0 {
		c.Failures = d.Failures
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.SlowFailures <= 0 {
		c.SlowFailures = d.SlowFailures
	}
	if c.SlowWindow <= 0 {
		c.SlowWindow = d.SlowWindow
	}
	return c
}

// Validate reports values that NewBruteForce would not use as given.
func (c BruteForceConfig) Validate() error {
	var errs []error
	if c.Failures < 0 || c.SlowFailures < 0 || c.Window < 0 || c.SlowWindow < 0 {
		errs = append(errs, errors.New("bruteforce: thresholds and windows must not be negative"))
	}
	c = c.withDefaults()
	if c.SlowWindow <= c.Window {
		errs = append(errs, fmt.Errorf("bruteforce: slow_window %s must be longer than window %s", c.SlowWindow, c.Window))
	}
	if c.SlowFailures <= c.Failures {
		errs = append(errs, fmt.Errorf("bruteforce: slow_failures %d must be more than failures %d", c.SlowFailures, c.Failures))
	}
	return errors.Join(errs...)
}

// BruteForce finds many failed logins from one source or against one
// account: Failures within Window ("Brute force from …", "Brute force
// against …"), or SlowFailures within SlowWindow at a lower rate ("Slow
// brute force …").
//
// A source is source.ip; records without one count for their account
// only. An account finding is left out while every failure it counts
// came from one source already reported: the source's finding says it.
//
// Firing: one fast finding per burst per entity; the entity re-arms after
// Window without a failure. The slow finding re-arms after SlowWindow
// without a failure, and is not given for an entity that reached the fast
// threshold in the last SlowWindow (reported or covered by its source).
type BruteForce struct {
	cfg      BruteForceConfig
	lim      behave.Limits
	sources  *behave.Table[*bruteState]
	accounts *behave.Table[*bruteState]
	conns    connections
}

var _ behave.Detector = (*BruteForce)(nil)

// bruteState is what BruteForce keeps per source or account.
type bruteState struct {
	Fast tally     `json:"fast"`
	Slow tally     `json:"slow"`
	Last time.Time `json:"last"` // latest failure
	// FastFired is when the current fast burst was reported; zero while
	// armed. FastReached is the latest time the fast threshold was reached,
	// reported or not, which silences the slow kind. SlowFired is the same
	// as FastFired for the slow kind.
	FastFired   time.Time `json:"fast_fired"`
	FastReached time.Time `json:"fast_reached"`
	SlowFired   time.Time `json:"slow_fired"`
	// FastEvidence and SlowEvidence hold the references of the current
	// burst of each kind.
	FastEvidence trail `json:"fast_evidence"`
	SlowEvidence trail `json:"slow_evidence"`
}

// NewBruteForce returns a brute force detector. Its sources, accounts and
// connections share lim.MaxEntities in thirds.
func NewBruteForce(cfg BruteForceConfig, lim behave.Limits) *BruteForce {
	lim = lim.WithDefaults()
	n := share(lim, 3)
	return &BruteForce{
		cfg:      cfg.withDefaults(),
		lim:      lim,
		sources:  behave.NewTable[*bruteState](n),
		accounts: behave.NewTable[*bruteState](n),
		conns:    newConnections(n),
	}
}

// Name implements behave.Detector.
func (b *BruteForce) Name() string { return "bruteforce" }

// Observe implements behave.Detector.
func (b *BruteForce) Observe(ev *event.Event, ref string) []behave.Finding {
	at, ok := attemptOf(ev, &b.conns)
	if !ok || at.Success {
		return nil
	}
	var out []behave.Finding
	if at.Source != "" {
		s := b.sources.Get(at.Source, at.Time, func() *bruteState { return &bruteState{} })
		m := mark{At: at.Time, N: at.SourceCount, Who: at.User, Host: at.Host}
		out = append(out, b.count(s, m, ref, at, false)...)
	}
	if at.Account != "" {
		s := b.accounts.Get(at.Account, at.Time, func() *bruteState { return &bruteState{} })
		m := mark{At: at.Time, N: at.AccountCount, Who: at.Source, Host: at.Host}
		out = append(out, b.count(s, m, ref, at, true)...)
	}
	return out
}

// count adds one record to the state of an entity and returns the
// findings it completes.
func (b *BruteForce) count(s *bruteState, m mark, ref string, at attempt, isAccount bool) []behave.Finding {
	t := m.At
	if !s.Last.IsZero() && t.Sub(s.Last) > b.cfg.Window {
		s.FastFired = time.Time{}
		s.FastEvidence = trail{}
	}
	if !s.Last.IsZero() && t.Sub(s.Last) > b.cfg.SlowWindow {
		s.SlowFired = time.Time{}
		s.SlowEvidence = trail{}
	}
	if t.After(s.Last) {
		s.Last = t
	}
	s.FastEvidence.add(ref, b.lim.MaxEvidence)
	s.SlowEvidence.add(ref, b.lim.MaxEvidence)
	if m.N <= 0 {
		return nil // a companion record of an attempt already counted
	}
	fast := s.Fast.add(m, b.cfg.Window, b.cfg.Failures)
	slow := s.Slow.add(m, b.cfg.SlowWindow, b.cfg.SlowFailures)
	var out []behave.Finding
	if fast >= b.cfg.Failures {
		s.FastReached = t
		if s.FastFired.IsZero() && !(isAccount && b.covered(&s.Fast, t, false)) {
			s.FastFired = t
			out = append(out, b.finding(s, at, isAccount, false, fast))
		}
	}
	recentFast := !s.FastReached.IsZero() && t.Sub(s.FastReached) <= b.cfg.SlowWindow
	if s.SlowFired.IsZero() && !recentFast && slow >= b.cfg.SlowFailures && !(isAccount && b.covered(&s.Slow, t, true)) {
		s.SlowFired = t
		out = append(out, b.finding(s, at, isAccount, true, slow))
	}
	return out
}

// covered reports whether every failure of an account's tally came from
// one source that has been reported already: in the current burst for the
// fast kind, by either kind in the slow window for the slow one.
func (b *BruteForce) covered(t *tally, now time.Time, slow bool) bool {
	src := t.onlyWho()
	if src == "" {
		return false
	}
	s, ok := b.sources.Peek(src)
	if !ok {
		return false
	}
	if slow {
		return !s.SlowFired.IsZero() || (!s.FastReached.IsZero() && now.Sub(s.FastReached) <= b.cfg.SlowWindow)
	}
	return !s.FastFired.IsZero()
}

func (b *BruteForce) finding(s *bruteState, at attempt, isAccount, slow bool, count int) behave.Finding {
	t, threshold, window, ev := &s.Fast, b.cfg.Failures, b.cfg.Window, &s.FastEvidence
	title := "Brute force"
	if slow {
		t, threshold, window, ev = &s.Slow, b.cfg.SlowFailures, b.cfg.SlowWindow, &s.SlowEvidence
		title = "Slow brute force"
	}
	who, hosts, nWho, nHosts := t.others(maxListed)
	f := behave.Finding{
		Detector: b.Name(),
		Level:    "medium",
		Time:     at.Time,
		Tags:     []string{"attack.credential-access", "attack.t1110", "attack.t1110.001"},
	}
	var text string
	if isAccount {
		f.Title = fmt.Sprintf("%s against account %s", title, at.Account)
		f.Entities = append(f.Entities, behave.Entity{Field: event.UserName, Value: at.User})
		if at.Domain != "" {
			f.Entities = append(f.Entities, behave.Entity{Field: event.UserDomain, Value: at.Domain})
		}
		for _, w := range who {
			f.Entities = append(f.Entities, behave.Entity{Field: event.SourceIP, Value: w})
		}
		from := "from " + plural(nWho, "source address")
		if nWho == 0 {
			from = "from addresses the log does not give"
		}
		text = fmt.Sprintf("%d failed logins against account %s within %s, %s, on %s",
			count, at.Account, t.span().Round(time.Second), from, plural(nHosts, "host"))
	} else {
		f.Title = fmt.Sprintf("%s from %s", title, at.Source)
		f.Entities = append(f.Entities, behave.Entity{Field: event.SourceIP, Value: at.Source})
		for _, w := range who {
			f.Entities = append(f.Entities, behave.Entity{Field: event.UserName, Value: w})
		}
		against := "against " + plural(nWho, "account")
		if nWho == 0 {
			against = "against accounts the log does not name"
		}
		text = fmt.Sprintf("%d failed logins from %s within %s, %s, on %s",
			count, at.Source, t.span().Round(time.Second), against, plural(nHosts, "host"))
	}
	for _, h := range hosts {
		f.Entities = append(f.Entities, behave.Entity{Field: event.HostName, Value: h})
	}
	text += fmt.Sprintf("; the threshold is %d in %s", threshold, window)
	if slow {
		text += fmt.Sprintf(", and the fast threshold (%d in %s) was not reached in that time", b.cfg.Failures, b.cfg.Window)
	}
	f.Why = behave.Why{Observed: float64(count), Unit: "failures", Threshold: float64(threshold), Window: window, Text: text + "."}
	f.Evidence, f.Truncated = ev.evidence()
	return f
}

// Advance implements behave.Detector: it forgets entities idle for longer
// than the slow window, and idle connections.
func (b *BruteForce) Advance(now time.Time) []behave.Finding {
	cutoff := now.Add(-b.cfg.SlowWindow)
	b.sources.Expire(cutoff)
	b.accounts.Expire(cutoff)
	b.conns.expire(now)
	return nil
}

// bruteSnapshot is the JSON form of BruteForce's state.
type bruteSnapshot struct {
	Version     int                              `json:"version"`
	Sources     []behave.SavedEntry[*bruteState] `json:"sources"`
	Accounts    []behave.SavedEntry[*bruteState] `json:"accounts"`
	Connections []behave.SavedEntry[*connection] `json:"connections"`
}

// snapshotVersion is the version of every detector's snapshot format.
const snapshotVersion = 1

// Snapshot implements behave.Detector.
func (b *BruteForce) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(bruteSnapshot{
		Version:     snapshotVersion,
		Sources:     b.sources.Save(),
		Accounts:    b.accounts.Save(),
		Connections: b.conns.table.Save(),
	})
}

// Restore implements behave.Detector.
func (b *BruteForce) Restore(r io.Reader) error {
	var snap bruteSnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading bruteforce state: %w", err)
	}
	if snap.Version != snapshotVersion {
		return nil
	}
	b.sources.Load(snap.Sources)
	b.accounts.Load(snap.Accounts)
	b.conns.table.Load(snap.Connections)
	return nil
}

// share returns the part of lim.MaxEntities each of a detector's n tables
// gets, so that together they track at most MaxEntities entities.
func share(lim behave.Limits, n int) int { return max(1, lim.MaxEntities/n) }

// plural returns "1 host", "3 hosts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
