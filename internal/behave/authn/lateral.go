package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// LateralConfig tunes Lateral. Zero fields take the defaults of
// DefaultLateralConfig.
type LateralConfig struct {
	// An account's history must span WarmUp, or hold MinLogins logins,
	// before a host new to it is reported; until then the account is
	// learning. Default 7 days (168h) or 50 logins.
	WarmUp    time.Duration `yaml:"warm_up"`
	MinLogins int           `yaml:"min_logins"`
	// Hosts distinct hosts logged on to within Window make a fan-out.
	// Default 5 in 1h.
	Hosts  int           `yaml:"hosts"`
	Window time.Duration `yaml:"window"`
	// History is how long the history of an account that no longer logs
	// on is kept. Default 90 days (2160h).
	History time.Duration `yaml:"history"`
	// MaxHostsPerAccount bounds the hosts remembered per account; beyond
	// it the least recently used is forgotten (and would be new again).
	// The detector's memory is at most Limits.MaxEntities accounts of
	// this many hosts each. Default 256.
	MaxHostsPerAccount int `yaml:"max_hosts_per_account"`
	// IgnoreLogonTypes are the Windows logon types (LogonType) that are
	// not an access from elsewhere. Default 0 (system), 4 (batch), 5
	// (service), 7 (unlock) and 11 (cached interactive). nil takes the
	// default; an empty list ignores none.
	IgnoreLogonTypes []int `yaml:"ignore_logon_types"`
	// IgnoreAccounts are user names never considered: service accounts
	// that log on everywhere by design. Machine accounts (ending in "$")
	// and Windows' own principals (SYSTEM, LOCAL SERVICE, NETWORK SERVICE,
	// ANONYMOUS LOGON, DWM-n, UMFD-n) are always ignored.
	IgnoreAccounts []string `yaml:"ignore_accounts"`
}

// DefaultLateralConfig returns the defaults: a warm-up of 7 days or 50
// logins, a fan-out of 5 hosts in an hour, 90 days of history, 256 hosts
// per account.
func DefaultLateralConfig() LateralConfig {
	return LateralConfig{
		WarmUp:             7 * 24 * time.Hour,
		MinLogins:          50,
		Hosts:              5,
		Window:             time.Hour,
		History:            90 * 24 * time.Hour,
		MaxHostsPerAccount: 256,
		IgnoreLogonTypes:   []int{0, 4, 5, 7, 11},
	}
}

func (c LateralConfig) withDefaults() LateralConfig {
	d := DefaultLateralConfig()
	if c.WarmUp <= 0 {
		c.WarmUp = d.WarmUp
	}
	if c.MinLogins <= 0 {
		c.MinLogins = d.MinLogins
	}
	if c.Hosts <= 0 {
		c.Hosts = d.Hosts
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.History <= 0 {
		c.History = d.History
	}
	if c.MaxHostsPerAccount <= 0 {
		c.MaxHostsPerAccount = d.MaxHostsPerAccount
	}
	if c.IgnoreLogonTypes == nil {
		c.IgnoreLogonTypes = d.IgnoreLogonTypes
	}
	return c
}

// Validate reports values that NewLateral would not use as given.
func (c LateralConfig) Validate() error {
	var errs []error
	if c.WarmUp < 0 || c.MinLogins < 0 || c.Hosts < 0 || c.Window < 0 || c.History < 0 || c.MaxHostsPerAccount < 0 {
		errs = append(errs, errors.New("lateral: thresholds and durations must not be negative"))
	}
	c = c.withDefaults()
	if c.Hosts == 1 {
		errs = append(errs, errors.New("lateral: hosts must be at least 2"))
	}
	if c.History < c.WarmUp {
		errs = append(errs, fmt.Errorf("lateral: history %s is shorter than warm_up %s: no account would finish learning", c.History, c.WarmUp))
	}
	if c.MaxHostsPerAccount < c.Hosts {
		errs = append(errs, fmt.Errorf("lateral: max_hosts_per_account %d is below hosts %d", c.MaxHostsPerAccount, c.Hosts))
	}
	return errors.Join(errs...)
}

// Lateral finds lateral movement in successful logins: an account logging
// on to a host it never used before, once it has a history ("First logon
// of … to …"), and an account logging on to many distinct hosts in a short
// time ("Logons of … to N hosts").
//
// A login counts when it records an access to a host: host.name is where
// it happened, except for Windows 4648 (explicit credentials), logged on
// the machine the credentials were used from, whose host is
// TargetServerName. Kerberos and NTLM validations on a domain controller
// (4768, 4769, 4771, 4776) are not logons to it and are skipped, as are
// the logon types of IgnoreLogonTypes. Hosts are compared by their first
// name label, lower-cased ("WEB01.corp.example" is "web01"), so that the
// forms Windows writes in different events match. Accounts are compared
// by name, and by domain when it is a real one (see lateralKey).
//
// The fan-out threshold is relative to the account's own history: an
// account that usually reaches 40 hosts in a window (a deployment or
// backup account) is reported only beyond 40.
//
// Firing: the first-logon finding is given once per burst per account and
// re-arms after Window without a host new to the account (the hosts
// reached in the meantime are learnt silently, and the fan-out finding
// counts them). The fan-out finding is given once and re-arms when fewer
// than Hosts hosts remain in the window.
type Lateral struct {
	cfg      LateralConfig
	lim      behave.Limits
	accounts *behave.Table[*accountHistory]
	ignore   map[string]bool
	types    map[string]bool // ignored logon types, as written in LogonType
}

var _ behave.Detector = (*Lateral)(nil)

// accountHistory is what Lateral keeps per account.
type accountHistory struct {
	First  time.Time            `json:"first"`
	Logins int                  `json:"logins"`
	Hosts  map[string]time.Time `json:"hosts"` // host → latest login
	// Peak is the most distinct hosts the account reached within one
	// window.
	Peak int `json:"peak"`
	// NewHost is the latest login to a host new to the account after its
	// warm-up; FanFired is when the current fan-out was reported (zero
	// while armed).
	NewHost  time.Time `json:"new_host"`
	FanFired time.Time `json:"fan_fired"`
	Evidence trail     `json:"evidence"` // latest logins
}

// NewLateral returns a lateral movement detector.
func NewLateral(cfg LateralConfig, lim behave.Limits) *Lateral {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	l := &Lateral{
		cfg:      cfg,
		lim:      lim,
		accounts: behave.NewTable[*accountHistory](lim.MaxEntities),
		ignore:   map[string]bool{},
		types:    map[string]bool{},
	}
	for _, a := range cfg.IgnoreAccounts {
		l.ignore[strings.ToLower(a)] = true
	}
	for _, t := range cfg.IgnoreLogonTypes {
		l.types[strconv.Itoa(t)] = true
	}
	return l
}

// Name implements behave.Detector.
func (l *Lateral) Name() string { return "lateral" }

// credentialValidations are Windows events of a domain controller
// checking credentials for a logon elsewhere.
var credentialValidations = map[string]bool{"4768": true, "4769": true, "4771": true, "4776": true}

// Observe implements behave.Detector.
func (l *Lateral) Observe(ev *event.Event, ref string) []behave.Finding {
	a, ok := behave.AuthOf(ev)
	if !ok || !a.Success || a.User == "" || l.ignoredAccount(a.User) {
		return nil
	}
	host := a.Host
	if ev.Format == "evtx" || ev.Format == "winjson" {
		code, _ := ev.Get(event.EventCode)
		if credentialValidations[code] {
			return nil
		}
		if lt, ok := ev.Get("LogonType"); ok && l.types[lt] {
			return nil
		}
		if code == "4648" {
			host, _ = ev.Get("TargetServerName")
			if host == "localhost" || host == "-" {
				host = ""
			}
		}
	}
	host = hostKey(host)
	if host == "" {
		return nil
	}
	t := a.Time
	key := lateralKey(a, host)
	h := l.accounts.Get(key, t, func() *accountHistory { return &accountHistory{First: t, Hosts: map[string]time.Time{}} })
	if t.Before(h.First) {
		h.First = t
	}
	learnt := t.Sub(h.First) >= l.cfg.WarmUp || h.Logins >= l.cfg.MinLogins
	_, known := h.Hosts[host]
	h.Logins++
	if !known && len(h.Hosts) >= l.cfg.MaxHostsPerAccount {
		delete(h.Hosts, oldestHost(h.Hosts))
	}
	if last, ok := h.Hosts[host]; !ok || t.After(last) {
		h.Hosts[host] = t
	}
	h.Evidence.add(ref, l.lim.MaxEvidence)

	var out []behave.Finding
	if !known && learnt {
		if h.NewHost.IsZero() || t.Sub(h.NewHost) > l.cfg.Window {
			out = append(out, l.newHostFinding(h, a, host, ref))
		}
		h.NewHost = t
	}
	recent := l.recentHosts(h, t)
	if !h.FanFired.IsZero() && len(recent) < l.cfg.Hosts {
		h.FanFired = time.Time{}
	}
	if h.FanFired.IsZero() && len(recent) >= l.cfg.Hosts && len(recent) > h.Peak {
		h.FanFired = t
		out = append(out, l.fanOutFinding(h, a, recent))
	}
	h.Peak = max(h.Peak, len(recent))
	return out
}

// lateralKey returns the key of the account of a logon to host: the user
// name, qualified by its domain when the domain is not a computer's name.
// A Windows local account (its domain is the computer) and a Linux account
// are keyed by name alone, so that the same local administrator or
// directory user logging on across hosts is one account.
func lateralKey(a behave.Auth, host string) string {
	d := hostKey(a.Domain)
	if d == "" || d == "." || d == host || d == hostKey(a.Host) {
		return a.User
	}
	return a.User + "@" + d
}

func (l *Lateral) ignoredAccount(user string) bool {
	if strings.HasSuffix(user, "$") || l.ignore[user] {
		return true
	}
	switch user {
	case "system", "local service", "network service", "anonymous logon":
		return true
	}
	return strings.HasPrefix(user, "dwm-") || strings.HasPrefix(user, "umfd-")
}

// hostKey returns the name hosts are compared by: lower-case, and the
// first label of a DNS name. Addresses are kept whole.
func hostKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if _, err := netip.ParseAddr(h); err == nil {
		return h
	}
	h = strings.TrimPrefix(h, `\\`)
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

func oldestHost(hosts map[string]time.Time) string {
	oldest := ""
	for h, t := range hosts {
		if oldest == "" || t.Before(hosts[oldest]) || (t.Equal(hosts[oldest]) && h < oldest) {
			oldest = h
		}
	}
	return oldest
}

// recentHosts returns the hosts the account logged on to within the
// window before t, sorted.
func (l *Lateral) recentHosts(h *accountHistory, t time.Time) []string {
	cutoff := t.Add(-l.cfg.Window)
	var out []string
	for host, last := range h.Hosts {
		if last.After(cutoff) {
			out = append(out, host)
		}
	}
	slices.Sort(out)
	return out
}

func (l *Lateral) newHostFinding(h *accountHistory, a behave.Auth, host, ref string) behave.Finding {
	known := len(h.Hosts) - 1
	span := a.Time.Sub(h.First)
	f := behave.Finding{
		Detector: l.Name(),
		Title:    fmt.Sprintf("First logon of %s to %s", a.User, host),
		Level:    "medium",
		Time:     a.Time,
		Entities: []behave.Entity{{Field: event.UserName, Value: a.User}, {Field: event.HostName, Value: host}},
		Evidence: []string{ref},
		Tags:     []string{"attack.lateral-movement", "attack.t1021", "attack.t1078"},
	}
	if a.Source != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.SourceIP, Value: a.Source})
	}
	baseline := fmt.Sprintf("%s over %s, %d logins", plural(known, "known host"), days(span), h.Logins-1)
	f.Why = behave.Why{
		Observed: float64(known),
		Unit:     "known hosts",
		Baseline: baseline,
		Window:   span,
		Text:     fmt.Sprintf("%s logged on to %s, a host it had not used before; its history: %s.", a.User, host, baseline),
	}
	return f
}

func (l *Lateral) fanOutFinding(h *accountHistory, a behave.Auth, recent []string) behave.Finding {
	f := behave.Finding{
		Detector: l.Name(),
		Title:    fmt.Sprintf("Logons of %s to %d hosts within %s", a.User, len(recent), l.cfg.Window),
		Level:    "high",
		Time:     a.Time,
		Entities: []behave.Entity{{Field: event.UserName, Value: a.User}},
		Tags:     []string{"attack.lateral-movement", "attack.t1021"},
	}
	for _, host := range recent[:min(len(recent), maxListed)] {
		f.Entities = append(f.Entities, behave.Entity{Field: event.HostName, Value: host})
	}
	if a.Source != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.SourceIP, Value: a.Source})
	}
	baseline := fmt.Sprintf("at most %s within %s before", plural(h.Peak, "host"), l.cfg.Window)
	f.Why = behave.Why{
		Observed:  float64(len(recent)),
		Unit:      "hosts",
		Threshold: float64(l.cfg.Hosts),
		Baseline:  baseline,
		Window:    l.cfg.Window,
		Text: fmt.Sprintf("%s logged on to %d distinct hosts (%s) within %s; the threshold is %d hosts, and the account reached %s.",
			a.User, len(recent), strings.Join(recent[:min(len(recent), 5)], ", "), l.cfg.Window, l.cfg.Hosts, baseline),
	}
	f.Evidence, f.Truncated = h.Evidence.evidence()
	return f
}

// days writes a duration in days when it is at least one.
func days(d time.Duration) string {
	if d >= 24*time.Hour {
		return plural(int(d/(24*time.Hour)), "day")
	}
	return d.Round(time.Minute).String()
}

// Advance implements behave.Detector: it forgets accounts that did not
// log on for History.
func (l *Lateral) Advance(now time.Time) []behave.Finding {
	l.accounts.Expire(now.Add(-l.cfg.History))
	return nil
}

type lateralSnapshot struct {
	Version  int                                  `json:"version"`
	Accounts []behave.SavedEntry[*accountHistory] `json:"accounts"`
}

// Snapshot implements behave.Detector.
func (l *Lateral) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(lateralSnapshot{Version: snapshotVersion, Accounts: l.accounts.Save()})
}

// Restore implements behave.Detector.
func (l *Lateral) Restore(r io.Reader) error {
	var snap lateralSnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading lateral state: %w", err)
	}
	if snap.Version != snapshotVersion {
		return nil
	}
	l.accounts.Load(snap.Accounts)
	return nil
}
