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

// PrivilegeConfig tunes Privilege. Zero fields take the defaults of
// DefaultPrivilegeConfig.
type PrivilegeConfig struct {
	// Groups are the privileged groups by name, compared without case.
	// Default: the Windows built-in and domain groups that administer
	// hosts or the domain (Administrators, Domain Admins, Enterprise
	// Admins, Schema Admins, Account, Server, Backup and Print Operators,
	// DnsAdmins, Group Policy Creator Owners, Key Admins, Remote Desktop
	// Users, Remote Management Users, Hyper-V Administrators) and the
	// Linux groups that grant root (root, sudo, wheel, admin, docker,
	// lxd).
	Groups []string `yaml:"groups"`
	// GroupSIDs are privileged groups by Windows SID, which holds where
	// the name is translated ("Administrateurs", "Administratoren"). An
	// entry starting with "-" is a relative id and matches it in any
	// domain ("-512" is every domain's Domain Admins). Default: the SIDs
	// and relative ids of the default Groups.
	GroupSIDs []string `yaml:"group_sids"`
	// Window: an account created and then logging in within Window is
	// reported. It is also the time after which the same member added
	// again to the same group is reported again. Default 24h.
	Window time.Duration `yaml:"window"`
}

// DefaultPrivilegeConfig returns the defaults.
func DefaultPrivilegeConfig() PrivilegeConfig {
	return PrivilegeConfig{
		Groups: []string{
			"Administrators", "Domain Admins", "Enterprise Admins", "Schema Admins",
			"Account Operators", "Server Operators", "Backup Operators", "Print Operators",
			"DnsAdmins", "Group Policy Creator Owners", "Key Admins", "Enterprise Key Admins",
			"Remote Desktop Users", "Remote Management Users", "Hyper-V Administrators",
			"root", "sudo", "wheel", "admin", "docker", "lxd",
		},
		GroupSIDs: []string{
			"S-1-5-32-544", "S-1-5-32-548", "S-1-5-32-549", "S-1-5-32-550", "S-1-5-32-551",
			"S-1-5-32-555", "S-1-5-32-578", "S-1-5-32-580",
			"-512", "-518", "-519", "-520", "-526", "-527",
		},
		Window: 24 * time.Hour,
	}
}

func (c PrivilegeConfig) withDefaults() PrivilegeConfig {
	d := DefaultPrivilegeConfig()
	if c.Groups == nil {
		c.Groups = d.Groups
	}
	if c.GroupSIDs == nil {
		c.GroupSIDs = d.GroupSIDs
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	return c
}

// Validate reports values that NewPrivilege would not use as given.
func (c PrivilegeConfig) Validate() error {
	var errs []error
	if c.Window < 0 {
		errs = append(errs, errors.New("privilege: window must not be negative"))
	}
	for _, s := range c.GroupSIDs {
		if !strings.HasPrefix(s, "S-1-") && !strings.HasPrefix(s, "-") {
			errs = append(errs, fmt.Errorf("privilege: group SID %q is neither a SID (S-1-…) nor a relative id (-512)", s))
		}
	}
	return errors.Join(errs...)
}

// Privilege finds account manipulation: a new member of a privileged
// group ("… added to privileged group …", level high, critical when the
// member is a guest, everyone or a service identity), and an account
// created and then used to log in within Window ("Account … created and
// used"). It reads Windows 4720, 4728, 4732 and 4756, the shadow-utils
// messages of useradd, usermod and gpasswd in syslog, and auditd's
// ADD_USER and USER_MGMT records (see account.go); logins through
// behave.AuthOf. Accounts are matched by user name, without case.
//
// Firing: one finding per member and group; adding the same member to
// the same group again is reported once Window has passed since its
// previous addition. One finding per created account, at its first login.
type Privilege struct {
	cfg     PrivilegeConfig
	lim     behave.Limits
	groups  map[string]bool
	sids    map[string]bool
	rids    map[string]bool
	added   *behave.Table[*addition]
	created *behave.Table[*creation]
}

var _ behave.Detector = (*Privilege)(nil)

// addition is the latest addition of a member to a group.
type addition struct {
	Last time.Time `json:"last"`
}

// creation is an account created, waiting for its first login.
type creation struct {
	At      time.Time `json:"at"`
	Host    string    `json:"host,omitempty"`
	Actor   string    `json:"actor,omitempty"`
	Service string    `json:"service"`
	Ref     string    `json:"ref"`
	Used    bool      `json:"used,omitempty"` // its login was reported
}

// NewPrivilege returns an account manipulation detector. Its group
// additions and created accounts share lim.MaxEntities in halves.
func NewPrivilege(cfg PrivilegeConfig, lim behave.Limits) *Privilege {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	n := share(lim, 2)
	p := &Privilege{
		cfg:     cfg,
		lim:     lim,
		groups:  map[string]bool{},
		sids:    map[string]bool{},
		rids:    map[string]bool{},
		added:   behave.NewTable[*addition](n),
		created: behave.NewTable[*creation](n),
	}
	for _, g := range cfg.Groups {
		p.groups[strings.ToLower(g)] = true
	}
	for _, s := range cfg.GroupSIDs {
		if rid, ok := strings.CutPrefix(s, "-"); ok {
			p.rids[rid] = true
		} else {
			p.sids[strings.ToUpper(s)] = true
		}
	}
	return p
}

// Name implements behave.Detector.
func (p *Privilege) Name() string { return "privilege" }

// Observe implements behave.Detector.
func (p *Privilege) Observe(ev *event.Event, ref string) []behave.Finding {
	if c, ok := changeOf(ev); ok {
		if c.Created {
			cr := p.created.Get(strings.ToLower(c.Member), c.Time, func() *creation { return &creation{} })
			*cr = creation{At: c.Time, Host: c.Host, Actor: c.Actor, Service: c.Service, Ref: ref}
			return nil
		}
		if !p.privileged(c) {
			return nil
		}
		key := strings.ToLower(firstOf(c.GroupID, c.Group) + "|" + firstOf(c.MemberID, c.Member))
		fresh := false
		a := p.added.Get(key, c.Time, func() *addition { fresh = true; return &addition{} })
		last := a.Last
		if c.Time.After(a.Last) {
			a.Last = c.Time
		}
		if !fresh && c.Time.Sub(last) <= p.cfg.Window {
			return nil
		}
		return []behave.Finding{p.groupFinding(c, ref)}
	}
	a, ok := behave.AuthOf(ev)
	if !ok || !a.Success || a.User == "" {
		return nil
	}
	cr, ok := p.created.Peek(a.User)
	if !ok || cr.Used || a.Time.Before(cr.At) || a.Time.Sub(cr.At) > p.cfg.Window {
		return nil
	}
	cr.Used = true
	p.created.Get(a.User, a.Time, func() *creation { return cr })
	return []behave.Finding{p.createdFinding(cr, a, ref)}
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// privileged reports whether the group of c is a privileged one.
func (p *Privilege) privileged(c accountChange) bool {
	if p.groups[strings.ToLower(c.Group)] || p.sids[strings.ToUpper(c.GroupID)] {
		return true
	}
	rid, ok := domainRID(c.GroupID)
	return ok && p.rids[rid]
}

func (p *Privilege) groupFinding(c accountChange, ref string) behave.Finding {
	member := firstOf(c.Member, c.MemberID)
	if c.Member != "" && c.MemberID != "" {
		member = fmt.Sprintf("%s (%s)", c.Member, c.MemberID)
	}
	group := firstOf(c.Group, c.GroupID)
	if c.Group != "" && c.GroupID != "" {
		group = fmt.Sprintf("%s (%s)", c.Group, c.GroupID)
	}
	level := "high"
	if unfitMember(c.MemberID) {
		level = "critical"
	}
	f := behave.Finding{
		Detector: p.Name(),
		Title:    fmt.Sprintf("%s added to privileged group %s", firstOf(c.Member, c.MemberID), firstOf(c.Group, c.GroupID)),
		Level:    level,
		Time:     c.Time,
		Entities: []behave.Entity{
			{Field: "user.target.name", Value: firstOf(c.Member, c.MemberID)},
			{Field: "group.name", Value: firstOf(c.Group, c.GroupID)},
		},
		Evidence: []string{ref},
		Tags:     []string{"attack.persistence", "attack.privilege-escalation", "attack.t1098", "attack.t1098.007"},
	}
	if c.Actor != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.UserName, Value: c.Actor})
	}
	if c.Host != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.HostName, Value: c.Host})
	}
	by := ""
	if c.Actor != "" {
		by = " by " + c.Actor
	}
	on := ""
	if c.Host != "" {
		on = " on " + c.Host
	}
	text := fmt.Sprintf("%s was added to %s%s%s (%s); any new member of a privileged group is reported", member, group, on, by, c.Service)
	if level == "critical" {
		text += ", and this one is an identity no privileged group should hold"
	}
	f.Why = behave.Why{Observed: 1, Unit: "additions", Threshold: 1, Window: p.cfg.Window, Text: text + "."}
	return f
}

func (p *Privilege) createdFinding(cr *creation, a behave.Auth, ref string) behave.Finding {
	after := a.Time.Sub(cr.At)
	f := behave.Finding{
		Detector: p.Name(),
		Title:    fmt.Sprintf("Account %s created and used within %s", a.User, after.Round(time.Second)),
		Level:    "medium",
		Time:     a.Time,
		Entities: []behave.Entity{{Field: event.UserName, Value: a.User}},
		Evidence: []string{cr.Ref, ref},
		Tags:     []string{"attack.persistence", "attack.t1136", "attack.t1078"},
	}
	if a.Host != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.HostName, Value: a.Host})
	}
	if a.Source != "" {
		f.Entities = append(f.Entities, behave.Entity{Field: event.SourceIP, Value: a.Source})
	}
	where := ""
	if cr.Host != "" {
		where = " on " + cr.Host
	}
	if cr.Actor != "" {
		where += " by " + cr.Actor
	}
	from := ""
	if a.Source != "" {
		from = " from " + a.Source
	}
	f.Why = behave.Why{
		Observed:  after.Minutes(),
		Unit:      "minutes",
		Threshold: p.cfg.Window.Minutes(),
		Window:    p.cfg.Window,
		Text: fmt.Sprintf("%s was created%s (%s) and logged in %s later%s; the threshold is a login within %s of the creation.",
			a.User, where, cr.Service, after.Round(time.Second), from, p.cfg.Window),
	}
	return f
}

// Advance implements behave.Detector: it forgets additions and creations
// older than the window.
func (p *Privilege) Advance(now time.Time) []behave.Finding {
	p.added.Expire(now.Add(-p.cfg.Window))
	p.created.Expire(now.Add(-p.cfg.Window))
	return nil
}

type privilegeSnapshot struct {
	Version int                            `json:"version"`
	Added   []behave.SavedEntry[*addition] `json:"added"`
	Created []behave.SavedEntry[*creation] `json:"created"`
}

// Snapshot implements behave.Detector.
func (p *Privilege) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(privilegeSnapshot{Version: snapshotVersion, Added: p.added.Save(), Created: p.created.Save()})
}

// Restore implements behave.Detector.
func (p *Privilege) Restore(r io.Reader) error {
	var snap privilegeSnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading privilege state: %w", err)
	}
	if snap.Version != snapshotVersion {
		return nil
	}
	p.added.Load(snap.Added)
	p.created.Load(snap.Created)
	return nil
}
