package authn

import (
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// accountChange is an account created, or added to a group, as the
// privilege detector sees it, whatever reported it.
//
// The decoders describe Windows account management with ECS fields, but
// not yet the Linux tools (useradd, usermod, gpasswd), whose messages
// package authlog does not parse; changeOf reads those messages itself. It
// belongs in authlog and auditd's ECS mapping in time; until then this is
// the one place that knows their wording.
type accountChange struct {
	Created bool      // an account created; otherwise added to Group
	Time    time.Time //
	Host    string    // where the change was made (lower-case)
	Actor   string    // who made it; "" when the record does not say
	Member  string    // the account created or added
	// MemberID and GroupID are Windows SIDs, when the record gives them.
	MemberID string
	Group    string
	GroupID  string
	Service  string // what reported it: "evtx/4732", "syslog/usermod", "auditd/USER_MGMT"
}

// changeOf returns the account change ev records, if any.
func changeOf(ev *event.Event) (accountChange, bool) {
	switch ev.Format {
	case "evtx", "winjson":
		return windowsChange(ev)
	case "syslog":
		return syslogChange(ev)
	case "auditd":
		return auditdChange(ev)
	}
	return accountChange{}, false
}

func get(ev *event.Event, name string) string {
	v, _ := ev.Get(name)
	if v == "-" {
		return ""
	}
	return v
}

// windowsChange reads 4720 (a user account was created) and 4728, 4732
// and 4756 (a member was added to a security-enabled global, local or
// universal group). In these events TargetUserName and TargetSid name the
// account created or the group; MemberName (a distinguished name, "-" for
// local accounts) and MemberSid name the member; the Subject fields, which
// the decoder puts in user.name, name who did it.
func windowsChange(ev *event.Event) (accountChange, bool) {
	code := get(ev, event.EventCode)
	if code != "4720" && code != "4728" && code != "4732" && code != "4756" {
		return accountChange{}, false
	}
	if o := get(ev, event.EventOutcome); o != "" && o != event.OutcomeSuccess {
		return accountChange{}, false
	}
	c := accountChange{
		Time:    ev.Time,
		Host:    strings.ToLower(get(ev, event.HostName)),
		Actor:   get(ev, event.UserName),
		Service: ev.Format + "/" + code,
	}
	if code == "4720" {
		c.Created = true
		c.Member = get(ev, "user.target.name")
		if c.Member == "" {
			c.Member = get(ev, "TargetUserName")
		}
		c.MemberID = get(ev, "TargetSid")
		return c, c.Member != ""
	}
	c.Group = get(ev, "group.name")
	if c.Group == "" {
		c.Group = get(ev, "TargetUserName")
	}
	c.GroupID = get(ev, "TargetSid")
	c.MemberID = get(ev, "MemberSid")
	c.Member = commonName(get(ev, "MemberName"))
	if c.Member == "" {
		c.Member = sidName(c.MemberID)
	}
	return c, (c.Group != "" || c.GroupID != "") && (c.Member != "" || c.MemberID != "")
}

// commonName returns the first CN of a distinguished name
// ("CN=Smith\, John,OU=Staff,DC=corp" gives "Smith, John"), or s when it
// is not one.
func commonName(dn string) string {
	rest, ok := strings.CutPrefix(dn, "CN=")
	if !ok {
		rest, ok = strings.CutPrefix(dn, "cn=")
	}
	if !ok {
		return dn
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		switch {
		case rest[i] == '\\' && i+1 < len(rest):
			i++
			b.WriteByte(rest[i])
		case rest[i] == ',':
			return b.String()
		default:
			b.WriteByte(rest[i])
		}
	}
	return b.String()
}

// wellKnownSIDs names the SIDs Windows writes for built-in principals,
// which the events give without a name.
var wellKnownSIDs = map[string]string{
	"S-1-1-0":      "Everyone",
	"S-1-5-4":      "INTERACTIVE",
	"S-1-5-7":      "ANONYMOUS LOGON",
	"S-1-5-11":     "Authenticated Users",
	"S-1-5-18":     "SYSTEM",
	"S-1-5-19":     "LOCAL SERVICE",
	"S-1-5-20":     "NETWORK SERVICE",
	"S-1-5-32-544": "Administrators",
	"S-1-5-32-545": "Users",
	"S-1-5-32-546": "Guests",
}

// wellKnownRIDs names the relative ids of a domain or computer's own
// accounts and groups (S-1-5-21-…-RID).
var wellKnownRIDs = map[string]string{
	"500": "Administrator",
	"501": "Guest",
	"503": "DefaultAccount",
	"512": "Domain Admins",
	"513": "Domain Users",
	"514": "Domain Guests",
	"515": "Domain Computers",
	"518": "Schema Admins",
	"519": "Enterprise Admins",
}

// sidName returns the name of a well-known SID, or "".
func sidName(sid string) string {
	if n, ok := wellKnownSIDs[sid]; ok {
		return n
	}
	if rid, ok := domainRID(sid); ok {
		return wellKnownRIDs[rid]
	}
	return ""
}

// domainRID returns the relative id of a domain or local account SID.
func domainRID(sid string) (string, bool) {
	if !strings.HasPrefix(sid, "S-1-5-21-") {
		return "", false
	}
	i := strings.LastIndexByte(sid, '-')
	return sid[i+1:], true
}

// unfitMembers are principals that no privileged group should hold: a
// guest, everyone, any authenticated user, or a service identity. Adding
// one is the finding's critical form.
var unfitMembers = map[string]bool{
	"S-1-1-0": true, "S-1-5-4": true, "S-1-5-7": true, "S-1-5-11": true,
	"S-1-5-19": true, "S-1-5-20": true, "S-1-5-32-545": true, "S-1-5-32-546": true,
}

// unfitRIDs are the domain and local accounts of the same kind.
var unfitRIDs = map[string]bool{"501": true, "513": true, "514": true, "515": true}

func unfitMember(sid string) bool {
	if unfitMembers[sid] {
		return true
	}
	rid, ok := domainRID(sid)
	return ok && unfitRIDs[rid]
}

// syslogChange reads the messages shadow-utils writes to syslog:
//
//	useradd: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash[, from=/dev/pts/0]
//	useradd, usermod: add 'bob' to group 'sudo'     (older versions quote `bob')
//	gpasswd: user bob added by root to group sudo
//
// The same change written again for /etc/gshadow ("add 'bob' to shadow
// group 'sudo'", "… to group sudo in /etc/gshadow") is skipped.
func syslogChange(ev *event.Event) (accountChange, bool) {
	prog := get(ev, event.ProcessName)
	switch prog {
	case "useradd", "usermod", "gpasswd", "adduser":
	default:
		return accountChange{}, false
	}
	c := accountChange{Time: ev.Time, Host: strings.ToLower(get(ev, event.HostName)), Service: "syslog/" + prog}
	msg := get(ev, event.Message)
	if rest, ok := strings.CutPrefix(msg, "new user: name="); ok {
		name, _, _ := strings.Cut(rest, ",")
		c.Created, c.Member = true, name
		return c, name != ""
	}
	if rest, ok := strings.CutPrefix(msg, "add "); ok {
		member, group, ok := cutQuotedPair(rest, " to group ")
		if !ok {
			return accountChange{}, false // includes "… to shadow group …"
		}
		c.Member, c.Group = member, group
		return c, member != "" && group != ""
	}
	if rest, ok := strings.CutPrefix(msg, "user "); ok {
		return gpasswdAdded(c, rest)
	}
	return accountChange{}, false
}

// gpasswdAdded reads what follows "user " in gpasswd's "user bob added by
// root to group sudo".
func gpasswdAdded(c accountChange, rest string) (accountChange, bool) {
	member, rest, ok := strings.Cut(rest, " added by ")
	if !ok {
		return accountChange{}, false
	}
	actor, group, ok := strings.Cut(rest, " to group ")
	if !ok || group == "" || strings.Contains(group, " in ") {
		return accountChange{}, false
	}
	c.Member, c.Actor, c.Group = member, actor, group
	return c, member != ""
}

// cutQuotedPair reads "'a' SEP 'b'" (or with `a' quotes) and returns a
// and b.
func cutQuotedPair(s, sep string) (a, b string, ok bool) {
	a, rest, ok := cutQuoted(s)
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutPrefix(rest, sep)
	if !ok {
		return "", "", false
	}
	b, rest, ok = cutQuoted(rest)
	return a, b, ok && rest == ""
}

func cutQuoted(s string) (value, rest string, ok bool) {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '`') {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '\'')
	if end < 0 {
		return "", "", false
	}
	return s[1 : end+1], s[end+2:], true
}

// auditdChange reads the audit records shadow-utils writes: ADD_USER with
// op=add-user (op=adding user in older versions) and acct, and USER_MGMT
// with op=add-user-to-group, grp and acct. Older versions log group
// changes without the group, which cannot be judged and are skipped, and
// so is gpasswd's record, whose op is an unquoted sentence.
func auditdChange(ev *event.Event) (accountChange, bool) {
	if get(ev, "res") != "success" && get(ev, event.EventOutcome) != event.OutcomeSuccess {
		return accountChange{}, false
	}
	host := get(ev, event.HostName)
	if host == "" {
		if h := get(ev, "hostname"); h != "?" {
			host = h
		}
	}
	c := accountChange{Time: ev.Time, Host: strings.ToLower(host)}
	actor := get(ev, "AUID")
	if actor == "" || actor == "unset" {
		if id := get(ev, "auid"); id != "4294967295" {
			actor = id
		}
	}
	c.Actor = actor
	op, acct := get(ev, "op"), get(ev, "acct")
	for _, t := range ev.Values("type") {
		switch t.Value {
		case "ADD_USER":
			if op == "add-user" || op == "adding user" {
				c.Created, c.Member, c.Service = true, acct, "auditd/ADD_USER"
				return c, acct != ""
			}
		case "USER_MGMT":
			if grp := get(ev, "grp"); op == "add-user-to-group" && grp != "" {
				c.Member, c.Group, c.Service = acct, grp, "auditd/USER_MGMT"
				return c, acct != ""
			}
		}
	}
	return accountChange{}, false
}
