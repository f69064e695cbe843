package authn

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/decode/authlog"
	"github.com/vigie-sec/vigie/internal/event"
)

// attempt is one authentication record as the detectors count it: the
// behave.Auth view, its account key, and how many attempts it adds to its
// source and to its account once the records of its connection are merged
// (see the package doc, "Counting attempts, not lines").
type attempt struct {
	behave.Auth
	// Account identifies the account: the user name qualified by its
	// domain, else by the host (a local account). "" when the record names
	// no user.
	Account string
	// SourceCount and AccountCount are the attempts this record adds to
	// its source and to its account: 0 when another record of the same
	// connection counted them already, more than 1 for a line standing
	// for repetitions. For a success both are 1.
	SourceCount, AccountCount int
}

// accountKey returns the key of the account of a: "user@domain", else
// "user@host". A user name that already holds an "@" (a UPN) is kept.
func accountKey(a behave.Auth) string {
	if a.User == "" {
		return ""
	}
	if strings.IndexByte(a.User, '@') >= 0 {
		return a.User
	}
	q := strings.ToLower(a.Domain)
	if q == "" || q == "." {
		q = a.Host
	}
	return a.User + "@" + q
}

// connectionIdle is how long a connection's records are merged after its
// last one. sshd gives a client two minutes to authenticate
// (LoginGraceTime); ten leaves room for slow clients and clock skew.
const connectionIdle = 10 * time.Minute

// connection is the merging state of one process's records.
type connection struct {
	Peer string `json:"peer,omitempty"` // source.ip once known
	User string `json:"user,omitempty"` // account key once known
	// Counts holds, per event.action, the attempts the connection's
	// records of that kind stand for. The connection's attempts are the
	// largest of them.
	Counts map[string]int `json:"counts"`
	// SourceCounted and AccountCounted are the attempts already added to
	// the connection's source and account.
	SourceCounted  int       `json:"source_counted"`
	AccountCounted int       `json:"account_counted"`
	Last           time.Time `json:"last"` // time of the latest record
}

// connections merges the records of one connection. Its zero value is
// not usable: use newConnections.
type connections struct {
	table *behave.Table[*connection]
}

func newConnections(max int) connections {
	return connections{table: behave.NewTable[*connection](max)}
}

// merged reports whether the process.pid of a format names one connection
// (an sshd child, a login process). Windows' ProcessId is the long-lived
// LSA or logon process that serves every logon, so Windows records are not
// merged.
func merged(format string) bool { return format == "syslog" || format == "auditd" }

// attemptOf returns the attempt ev records, if it records one. conns may
// be nil: records are then counted one each (with their repetitions).
func attemptOf(ev *event.Event, conns *connections) (attempt, bool) {
	a, ok := behave.AuthOf(ev)
	if !ok {
		return attempt{}, false
	}
	at := attempt{Auth: a, Account: accountKey(a), SourceCount: 1, AccountCount: 1}
	if a.Success {
		return at, true
	}
	weight := 1
	if r, ok := ev.Get(authlog.RepeatCount); ok {
		if n, err := strconv.Atoi(r); err == nil && n > 0 {
			weight = n
		}
	}
	at.SourceCount, at.AccountCount = weight, weight
	if conns == nil || !merged(ev.Format) {
		return at, true
	}
	pid, _ := ev.Get(event.ProcessPID)
	if pid == "" {
		return at, true
	}
	action, _ := ev.Get(event.EventAction)
	if action == "" {
		action = a.Service
	}
	at.SourceCount, at.AccountCount = conns.count(a.Host+"|"+pid, a.Time, a.Source, at.Account, action, weight)
	return at, true
}

// count adds a record of the connection key and returns how many new
// attempts it brings to its source and to its account.
func (cs *connections) count(key string, at time.Time, source, account, action string, weight int) (toSource, toAccount int) {
	c := cs.table.Get(key, at, func() *connection { return &connection{} })
	// A process id is reused once its process is gone: a record after a
	// long silence, or naming another peer or account, starts a new
	// connection.
	if at.Sub(c.Last) > connectionIdle ||
		(source != "" && c.Peer != "" && source != c.Peer) ||
		(account != "" && c.User != "" && account != c.User) {
		*c = connection{}
	}
	if at.After(c.Last) {
		c.Last = at
	}
	if c.Counts == nil {
		c.Counts = map[string]int{}
	}
	if source != "" {
		c.Peer = source
	}
	if account != "" {
		c.User = account
	}
	c.Counts[action] += weight
	most := 0
	for _, n := range c.Counts {
		most = max(most, n)
	}
	if source != "" {
		toSource = most - c.SourceCounted
		c.SourceCounted = most
	}
	if account != "" {
		toAccount = most - c.AccountCounted
		c.AccountCounted = most
	}
	return toSource, toAccount
}

// expire forgets connections idle since before now-connectionIdle.
func (cs *connections) expire(now time.Time) { cs.table.Expire(now.Add(-connectionIdle)) }
