package authn

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

func newPrivilege() behave.Detector { return NewPrivilege(PrivilegeConfig{}, behave.Limits{}) }

// groupAdd returns a Windows group membership event (4728, 4732, 4756)
// with the fields the evtx decoder gives: the Windows names, and the
// subject as user.name.
func groupAdd(at time.Time, code, group, groupSID, memberName, memberSID string) *event.Event {
	return mk(at, "evtx",
		event.EventCode, code, event.EventCategory, "iam", event.EventOutcome, "success", event.HostName, "DC1",
		event.UserName, "it-admin", "TargetUserName", group, "TargetSid", groupSID,
		"MemberName", memberName, "MemberSid", memberSID, "group.name", group)
}

func TestPrivilegeWindowsGroups(t *testing.T) {
	const domain = "S-1-5-21-1004336348-1177238915-682003330"
	evs := []*event.Event{
		// A French system: the group's name is translated, its SID is not.
		groupAdd(t0, "4732", "Administrateurs", "S-1-5-32-544", "-", domain+"-1107"),
		// Domain Admins under another name, by relative id.
		groupAdd(t0.Add(time.Minute), "4728", "Admins du domaine", domain+"-512", `CN=Smith\, John,OU=Staff,DC=corp,DC=example`, domain+"-1108"),
		// Users is not privileged.
		groupAdd(t0.Add(2*time.Minute), "4732", "Users", "S-1-5-32-545", "-", domain+"-1109"),
		// A group the configuration names.
		groupAdd(t0.Add(3*time.Minute), "4756", "Tier0-Operators", domain+"-3101", "CN=svc-x,OU=Svc,DC=corp,DC=example", domain+"-1110"),
		// The built-in Guest into a privileged group: critical.
		groupAdd(t0.Add(4*time.Minute), "4732", "Remote Desktop Users", "S-1-5-32-555", "-", domain+"-501"),
	}
	cfg := DefaultPrivilegeConfig()
	cfg.Groups = append(cfg.Groups, "tier0-operators")
	fs := run(NewPrivilege(cfg, behave.Limits{}), stream(evs...))
	checkTitles(t, fs,
		domain+"-1107 added to privileged group Administrateurs",
		"Smith, John added to privileged group Admins du domaine",
		"svc-x added to privileged group Tier0-Operators",
		"Guest added to privileged group Remote Desktop Users")
	var levels []string
	for _, f := range fs {
		levels = append(levels, f.Level)
	}
	if want := []string{"high", "high", "high", "critical"}; !slices.Equal(levels, want) {
		t.Errorf("levels %v, want %v", levels, want)
	}
	f := fs[1]
	if !slices.Equal(entity(f, "user.target.name"), []string{"Smith, John"}) || !slices.Equal(entity(f, event.UserName), []string{"it-admin"}) ||
		!slices.Equal(entity(f, "group.name"), []string{"Admins du domaine"}) || !slices.Equal(f.Evidence, []string{"e2"}) {
		t.Errorf("entities %v evidence %v", f.Entities, f.Evidence)
	}
	if !slices.Contains(f.Tags, "attack.t1098") || !slices.Contains(f.Tags, "attack.persistence") {
		t.Errorf("tags %v", f.Tags)
	}
	checkWellFormed(t, fs, 50)
}

// One finding per member and group: added again within the window (a
// removal and re-addition) is not reported again; after it, it is.
func TestPrivilegeOncePerMember(t *testing.T) {
	const sid = "S-1-5-21-1-2-3-1107"
	evs := []*event.Event{
		groupAdd(t0, "4732", "Administrators", "S-1-5-32-544", "-", sid),
		groupAdd(t0.Add(time.Hour), "4732", "Administrators", "S-1-5-32-544", "-", sid),
		groupAdd(t0.Add(time.Hour), "4732", "Administrators", "S-1-5-32-544", "-", "S-1-5-21-1-2-3-1108"),
		groupAdd(t0.Add(26*time.Hour), "4732", "Administrators", "S-1-5-32-544", "-", sid),
	}
	checkTitles(t, run(newPrivilege(), stream(evs...)),
		sid+" added to privileged group Administrators",
		"S-1-5-21-1-2-3-1108 added to privileged group Administrators",
		sid+" added to privileged group Administrators")
}

// The shadow-utils messages, decoded from syslog lines by the registry.
func TestPrivilegeLinuxSyslog(t *testing.T) {
	log := `Mar  3 10:00:00 web01 useradd[2001]: new user: name=backdoor, UID=1002, GID=1002, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/0
Mar  3 10:00:01 web01 usermod[2002]: add 'backdoor' to group 'sudo'
Mar  3 10:00:01 web01 usermod[2002]: add 'backdoor' to shadow group 'sudo'
Mar  3 10:00:01 web01 usermod[2002]: add 'backdoor' to group 'audio'
Mar  3 10:00:02 web01 gpasswd[2003]: user backdoor added by root to group wheel
Mar  3 10:00:02 web01 gpasswd[2003]: user backdoor added by root to group wheel in /etc/gshadow
Mar  3 10:00:03 web01 useradd[2004]: add ` + "`deploy'" + ` to group ` + "`docker'" + `
Mar  3 10:05:00 web01 sshd[2100]: Accepted password for backdoor from 198.51.100.7 port 50000 ssh2
Mar  3 10:06:00 web01 sshd[2101]: Accepted password for backdoor from 198.51.100.7 port 50001 ssh2`
	recs := decodeLines(t, "auth.log", []byte(log))
	fs := run(newPrivilege(), recs)
	checkTitles(t, fs,
		"backdoor added to privileged group sudo",
		"backdoor added to privileged group wheel",
		"deploy added to privileged group docker",
		"Account backdoor created and used within 5m0s")
	if got := entity(fs[1], event.UserName); !slices.Equal(got, []string{"root"}) {
		t.Errorf("gpasswd actor %v, want root", got)
	}
	f := fs[3]
	if f.Why.Observed != 5 || f.Why.Threshold != 24*60 || f.Why.Unit != "minutes" || !slices.Equal(f.Evidence, []string{"auth.log#1", "auth.log#8"}) {
		t.Errorf("why %+v evidence %v", f.Why, f.Evidence)
	}
	if !slices.Equal(entity(f, event.SourceIP), []string{"198.51.100.7"}) || !slices.Contains(f.Tags, "attack.t1136") {
		t.Errorf("entities %v tags %v", f.Entities, f.Tags)
	}
	checkWellFormed(t, fs, 50)
}

// auditd's ADD_USER and USER_MGMT records, decoded by the registry, and a
// login reported by sshd.
func TestPrivilegeAuditd(t *testing.T) {
	audit := `type=ADD_USER msg=audit(1709460000.123:100): pid=2001 uid=0 auid=1000 ses=3 subj=unconfined msg='op=add-user acct="backdoor" exe="/usr/sbin/useradd" hostname=web01 addr=? terminal=pts/0 res=success'
type=USER_MGMT msg=audit(1709460001.123:101): pid=2002 uid=0 auid=1000 ses=3 subj=unconfined msg='op=add-user-to-group grp="sudo" acct="backdoor" exe="/usr/sbin/usermod" hostname=web01 addr=? terminal=pts/0 res=success'
type=USER_MGMT msg=audit(1709460002.123:102): pid=2003 uid=0 auid=1000 ses=3 subj=unconfined msg='op=add-user-to-group grp="sudo" acct="other" exe="/usr/sbin/usermod" hostname=web01 addr=? terminal=pts/0 res=failed'`
	recs := decodeLines(t, "audit.log", []byte(audit))
	if len(recs) != 3 || recs[0].ev.Format != "auditd" {
		t.Fatalf("decoded %d events of format %q, want 3 auditd", len(recs), recs[0].ev.Format)
	}
	login := success(recs[0].ev.Time.Add(2*time.Hour), "backdoor", "198.51.100.7", "web01")
	recs = append(recs, rec{login, "login"})
	fs := run(newPrivilege(), recs)
	checkTitles(t, fs, "backdoor added to privileged group sudo", "Account backdoor created and used within 2h0m0s")
	if got := entity(fs[0], event.HostName); !slices.Equal(got, []string{"web01"}) {
		t.Errorf("host %v, want web01 from the record's hostname", got)
	}
}

func TestPrivilegeCreatedThenUsed(t *testing.T) {
	created := mk(t0, "evtx", event.EventCode, "4720", event.EventCategory, "iam", event.EventOutcome, "success",
		event.HostName, "DC1", event.UserName, "it-admin", "user.target.name", "Temp.Admin", "TargetUserName", "Temp.Admin")
	cases := []struct {
		name  string
		login time.Duration // after the creation
		want  []string
	}{
		{"within a day", 3 * time.Hour, []string{"Account temp.admin created and used within 3h0m0s"}},
		{"after a day", 25 * time.Hour, nil},
		{"before", -time.Minute, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := []*event.Event{created, success(t0.Add(c.login), "temp.admin", "10.1.2.3", "ws5")}
			slices.SortStableFunc(evs, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
			checkTitles(t, run(newPrivilege(), stream(evs...)), c.want...)
		})
	}
	// Only the first login is reported.
	twice := stream(created, success(t0.Add(time.Hour), "temp.admin", "10.1.2.3", "ws5"), success(t0.Add(2*time.Hour), "temp.admin", "10.1.2.3", "ws6"))
	fs := run(newPrivilege(), twice)
	checkTitles(t, fs, "Account temp.admin created and used within 1h0m0s")
	if !strings.Contains(fs[0].Why.Text, "created on dc1 by it-admin (evtx/4720)") {
		t.Errorf("why text %q", fs[0].Why.Text)
	}
}

func TestPrivilegeEviction(t *testing.T) {
	evs := []*event.Event{
		mk(t0, "evtx", event.EventCode, "4720", event.EventCategory, "iam", event.HostName, "DC1", "user.target.name", "a1"),
		mk(t0.Add(time.Second), "evtx", event.EventCode, "4720", event.EventCategory, "iam", event.HostName, "DC1", "user.target.name", "a2"),
		success(t0.Add(time.Minute), "a1", "10.1.2.3", "ws5"),
	}
	small := NewPrivilege(PrivilegeConfig{}, behave.Limits{MaxEntities: 2}) // one creation remembered
	checkTitles(t, run(small, stream(evs...)))
	if small.created.Evicted != 1 {
		t.Errorf("evicted %d creations, want 1", small.created.Evicted)
	}
	checkTitles(t, run(newPrivilege(), stream(evs...)), "Account a1 created and used within 1m0s")
}

func TestPrivilegeResume(t *testing.T) {
	const sid = "S-1-5-21-1-2-3-1107"
	evs := []*event.Event{
		mk(t0, "evtx", event.EventCode, "4720", event.EventCategory, "iam", event.HostName, "DC1", "user.target.name", "a1"),
		groupAdd(t0.Add(time.Minute), "4732", "Administrators", "S-1-5-32-544", "-", sid),
		groupAdd(t0.Add(time.Hour), "4732", "Administrators", "S-1-5-32-544", "-", sid),
		success(t0.Add(2*time.Hour), "a1", "10.1.2.3", "ws5"),
		success(t0.Add(3*time.Hour), "a1", "10.1.2.3", "ws5"),
		groupAdd(t0.Add(30*time.Hour), "4732", "Administrators", "S-1-5-32-544", "-", sid),
	}
	checkResume(t, newPrivilege, stream(evs...))
}

func TestPrivilegeConfig(t *testing.T) {
	if err := DefaultPrivilegeConfig().Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	if err := (PrivilegeConfig{GroupSIDs: []string{"512"}}).Validate(); err == nil {
		t.Error("a relative id without its dash validated")
	}
}
