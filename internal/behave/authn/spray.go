package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// SprayConfig tunes Spray. Zero fields take the defaults of
// DefaultSprayConfig.
type SprayConfig struct {
	// Accounts is how many distinct accounts one source must fail against
	// within Window. Default 5 in 30m.
	Accounts int           `yaml:"accounts"`
	Window   time.Duration `yaml:"window"`
	// MaxMedianAttempts is the most attempts per account, as a median over
	// the accounts, that still reads as spraying (a few passwords tried
	// on many accounts) rather than guessing one account's password.
	// Default 3.
	MaxMedianAttempts float64 `yaml:"max_median_attempts"`
}

// DefaultSprayConfig returns the defaults: 5 accounts in 30 minutes, at a
// median of at most 3 attempts each.
func DefaultSprayConfig() SprayConfig {
	return SprayConfig{Accounts: 5, Window: 30 * time.Minute, MaxMedianAttempts: 3}
}

func (c SprayConfig) withDefaults() SprayConfig {
	d := DefaultSprayConfig()
	if c.Accounts <= 0 {
		c.Accounts = d.Accounts
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.MaxMedianAttempts <= 0 {
		c.MaxMedianAttempts = d.MaxMedianAttempts
	}
	return c
}

// Validate reports values that NewSpray would not use as given.
func (c SprayConfig) Validate() error {
	if c.Accounts < 0 || c.Window < 0 || c.MaxMedianAttempts < 0 {
		return errors.New("spray: accounts, window and max_median_attempts must not be negative")
	}
	if c.Accounts == 1 {
		return errors.New("spray: accounts must be at least 2: one account is brute force, not spraying")
	}
	return nil
}

// maxSprayAccounts bounds the accounts kept per source. The median needs
// only a sample once the threshold is passed; 1,024 keeps a source trying
// a dictionary of user names to a few tens of kilobytes.
const maxSprayAccounts = 1024

// Spray finds password spraying: one source failing against many
// distinct accounts (Accounts within Window) with few attempts on each
// (median at most MaxMedianAttempts). Accounts are told apart by user name
// alone: spraying "root" on many hosts is a sweep that BruteForce reports
// from the source. An account counts while its latest failure is within
// the window.
//
// Firing: one finding per burst per source; the source re-arms after
// Window without a failure, and its accounts are counted afresh.
type Spray struct {
	cfg     SprayConfig
	lim     behave.Limits
	sources *behave.Table[*sprayState]
	conns   connections
}

var _ behave.Detector = (*Spray)(nil)

// sprayState is what Spray keeps per source.
type sprayState struct {
	// Accounts maps a user name to the attempts on it and its latest.
	Accounts map[string]*sprayAccount `json:"accounts"`
	Hosts    map[string]time.Time     `json:"hosts,omitempty"` // hosts targeted, latest failure on each
	Last     time.Time                `json:"last"`
	Fired    time.Time                `json:"fired"` // zero while armed
	Evidence trail                    `json:"evidence"`
}

type sprayAccount struct {
	Attempts int       `json:"attempts"`
	Last     time.Time `json:"last"`
}

// NewSpray returns a password spraying detector. Its sources and
// connections share lim.MaxEntities in halves.
func NewSpray(cfg SprayConfig, lim behave.Limits) *Spray {
	lim = lim.WithDefaults()
	n := share(lim, 2)
	return &Spray{
		cfg:     cfg.withDefaults(),
		lim:     lim,
		sources: behave.NewTable[*sprayState](n),
		conns:   newConnections(n),
	}
}

// Name implements behave.Detector.
func (s *Spray) Name() string { return "spray" }

// Observe implements behave.Detector.
func (s *Spray) Observe(ev *event.Event, ref string) []behave.Finding {
	at, ok := attemptOf(ev, &s.conns)
	if !ok || at.Success || at.Source == "" {
		return nil
	}
	t := at.Time
	st := s.sources.Get(at.Source, t, func() *sprayState { return &sprayState{} })
	if !st.Last.IsZero() && t.Sub(st.Last) > s.cfg.Window {
		*st = sprayState{}
	}
	if st.Accounts == nil {
		st.Accounts = map[string]*sprayAccount{}
		st.Hosts = map[string]time.Time{}
	}
	if t.After(st.Last) {
		st.Last = t
	}
	st.Evidence.add(ref, s.lim.MaxEvidence)
	if at.User == "" || at.AccountCount <= 0 || !st.Fired.IsZero() {
		// Once reported, the accounts of the burst no longer matter: a
		// source trying a dictionary of names costs O(1) an event from
		// then on (BenchmarkSpray/sprayer=dictionary).
		return nil
	}
	s.prune(st, t)
	acct := st.Accounts[at.User]
	if acct == nil {
		if len(st.Accounts) >= maxSprayAccounts {
			s.dropOldest(st)
		}
		acct = &sprayAccount{}
		st.Accounts[at.User] = acct
	}
	acct.Attempts += at.AccountCount
	if t.After(acct.Last) {
		acct.Last = t
	}
	if at.Host != "" {
		st.Hosts[at.Host] = t
	}
	if !st.Fired.IsZero() || len(st.Accounts) < s.cfg.Accounts {
		return nil
	}
	med := median(st)
	if med > s.cfg.MaxMedianAttempts {
		return nil
	}
	st.Fired = t
	return []behave.Finding{s.finding(st, at, med)}
}

// prune forgets the accounts and hosts whose latest failure is out of
// the window.
func (s *Spray) prune(st *sprayState, now time.Time) {
	cutoff := now.Add(-s.cfg.Window)
	for name, a := range st.Accounts {
		if !a.Last.After(cutoff) {
			delete(st.Accounts, name)
		}
	}
	for h, last := range st.Hosts {
		if !last.After(cutoff) {
			delete(st.Hosts, h)
		}
	}
}

func (s *Spray) dropOldest(st *sprayState) {
	oldest := ""
	for name, a := range st.Accounts {
		if oldest == "" || a.Last.Before(st.Accounts[oldest].Last) {
			oldest = name
		}
	}
	delete(st.Accounts, oldest)
}

// median returns the median of the attempts per account.
func median(st *sprayState) float64 {
	n := make([]int, 0, len(st.Accounts))
	for _, a := range st.Accounts {
		n = append(n, a.Attempts)
	}
	slices.Sort(n)
	if len(n) == 0 {
		return 0
	}
	if len(n)%2 == 1 {
		return float64(n[len(n)/2])
	}
	return float64(n[len(n)/2-1]+n[len(n)/2]) / 2
}

func (s *Spray) finding(st *sprayState, at attempt, med float64) behave.Finding {
	names := make([]string, 0, len(st.Accounts))
	for name := range st.Accounts {
		names = append(names, name)
	}
	slices.Sort(names)
	hosts := make([]string, 0, len(st.Hosts))
	for h := range st.Hosts {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	f := behave.Finding{
		Detector: s.Name(),
		Title:    "Password spraying from " + at.Source,
		Level:    "medium",
		Time:     at.Time,
		Entities: []behave.Entity{{Field: event.SourceIP, Value: at.Source}},
		Tags:     []string{"attack.credential-access", "attack.t1110", "attack.t1110.003"},
	}
	for _, n := range names[:min(len(names), maxListed)] {
		f.Entities = append(f.Entities, behave.Entity{Field: event.UserName, Value: n})
	}
	for _, h := range hosts[:min(len(hosts), maxListed)] {
		f.Entities = append(f.Entities, behave.Entity{Field: event.HostName, Value: h})
	}
	shown := strings.Join(names[:min(len(names), 5)], ", ")
	if len(names) > 5 {
		shown += ", …"
	}
	f.Why = behave.Why{
		Observed:  float64(len(names)),
		Unit:      "accounts",
		Threshold: float64(s.cfg.Accounts),
		Baseline:  fmt.Sprintf("median %g attempts per account (at most %g for spraying)", med, s.cfg.MaxMedianAttempts),
		Window:    s.cfg.Window,
		Text: fmt.Sprintf("Failed logins from %s on %d distinct accounts (%s) within %s, a median of %g attempts each; the threshold is %d accounts in %s.",
			at.Source, len(names), shown, s.cfg.Window, med, s.cfg.Accounts, s.cfg.Window),
	}
	f.Evidence, f.Truncated = st.Evidence.evidence()
	return f
}

// Advance implements behave.Detector: it forgets sources idle for longer
// than the window, and idle connections.
func (s *Spray) Advance(now time.Time) []behave.Finding {
	s.sources.Expire(now.Add(-s.cfg.Window))
	s.conns.expire(now)
	return nil
}

type spraySnapshot struct {
	Version     int                              `json:"version"`
	Sources     []behave.SavedEntry[*sprayState] `json:"sources"`
	Connections []behave.SavedEntry[*connection] `json:"connections"`
}

// Snapshot implements behave.Detector.
func (s *Spray) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(spraySnapshot{Version: snapshotVersion, Sources: s.sources.Save(), Connections: s.conns.table.Save()})
}

// Restore implements behave.Detector.
func (s *Spray) Restore(r io.Reader) error {
	var snap spraySnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading spray state: %w", err)
	}
	if snap.Version != snapshotVersion {
		return nil
	}
	s.sources.Load(snap.Sources)
	s.conns.table.Load(snap.Connections)
	return nil
}
