package authn

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

func newLateral() behave.Detector { return NewLateral(LateralConfig{}, behave.Limits{}) }

const day = 24 * time.Hour

// daily returns one logon of user to host a day for n days from start.
func daily(start time.Time, n int, user, host string) []*event.Event {
	var out []*event.Event
	for i := range n {
		out = append(out, success(start.Add(time.Duration(i)*day), user, "10.0.0.5", host))
	}
	return out
}

func TestLateralNewHostAfterWarmUp(t *testing.T) {
	evs := daily(t0, 8, "alice", "srv1")                                             // days 0 to 7
	evs = append(evs, success(t0.Add(3*day+time.Hour), "alice", "10.0.0.5", "srv2")) // day 3: still learning
	evs = append(evs, success(t0.Add(8*day), "alice", "10.0.0.5", "SRV3.corp.example"))
	slices.SortStableFunc(evs, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
	fs := run(newLateral(), stream(evs...))
	checkTitles(t, fs, "First logon of alice to srv3")
	f := fs[0]
	if f.Why.Observed != 2 || f.Why.Baseline != "2 known hosts over 8 days, 9 logins" || f.Why.Window != 8*day {
		t.Errorf("why %+v; want 2 known hosts (srv1, srv2) over 8 days and 9 logins", f.Why)
	}
	if f.Level != "medium" || !slices.Contains(f.Tags, "attack.t1021") || !slices.Contains(f.Tags, "attack.lateral-movement") {
		t.Errorf("level %s tags %v", f.Level, f.Tags)
	}
	if !slices.Equal(entity(f, event.HostName), []string{"srv3"}) || !slices.Equal(entity(f, event.SourceIP), []string{"10.0.0.5"}) {
		t.Errorf("entities %v", f.Entities)
	}
	checkWellFormed(t, fs, 50)

	// A host known by its short name is known by its full name.
	known := append(daily(t0, 8, "alice", "srv1"), success(t0.Add(8*day), "alice", "10.0.0.5", "SRV1.corp.example"))
	checkTitles(t, run(newLateral(), stream(known...)))
}

func TestLateralWarmUpByLogins(t *testing.T) {
	var evs []*event.Event
	for i := range 50 {
		evs = append(evs, success(t0.Add(time.Duration(i)*time.Minute), "bob", "10.0.0.6", "srv1"))
	}
	// The 50 logins are the history: the next new host is reported.
	fs := run(newLateral(), stream(append(evs, success(t0.Add(50*time.Minute), "bob", "10.0.0.6", "srv2"))...))
	checkTitles(t, fs, "First logon of bob to srv2")
	// 49 logins: still learning.
	checkTitles(t, run(newLateral(), stream(append(evs[:49], success(t0.Add(50*time.Minute), "bob", "10.0.0.6", "srv2"))...)))
}

// One first-logon finding per burst: new hosts within the hour after a
// new host are learnt silently; after an hour without one, the account
// re-arms.
func TestLateralNewHostOncePerBurst(t *testing.T) {
	evs := daily(t0, 8, "alice", "srv1")
	at := t0.Add(8 * day)
	evs = append(evs,
		success(at, "alice", "10.0.0.5", "srv3"),
		success(at.Add(20*time.Minute), "alice", "10.0.0.5", "srv4"),
		success(at.Add(70*time.Minute), "alice", "10.0.0.5", "srv5"), // 50 minutes after srv4: same burst
		success(at.Add(3*time.Hour), "alice", "10.0.0.5", "srv6"),
	)
	checkTitles(t, run(newLateral(), stream(evs...)), "First logon of alice to srv3", "First logon of alice to srv6")
}

func TestLateralFanOut(t *testing.T) {
	// A new account on 5 hosts within 40 minutes: a fan-out, though it is
	// still learning.
	var evs []*event.Event
	for i := range 7 {
		evs = append(evs, success(t0.Add(time.Duration(i)*10*time.Minute), "eve", "10.0.0.66", fmt.Sprintf("ws%d", i+1)))
	}
	fs := run(newLateral(), stream(evs...))
	checkTitles(t, fs, "Logons of eve to 5 hosts within 1h0m0s")
	f := fs[0]
	if f.Level != "high" || f.Why.Observed != 5 || f.Why.Threshold != 5 || !f.Time.Equal(t0.Add(40*time.Minute)) {
		t.Errorf("level %s at %v, why %+v", f.Level, f.Time, f.Why)
	}
	if got := entity(f, event.HostName); !slices.Equal(got, []string{"ws1", "ws2", "ws3", "ws4", "ws5"}) {
		t.Errorf("host.name entities %v", got)
	}
	checkWellFormed(t, fs, 50)

	// Four hosts an hour, forever, is below the threshold.
	var four []*event.Event
	for i := range 40 {
		four = append(four, success(t0.Add(time.Duration(i)*15*time.Minute+time.Second), "eve", "10.0.0.66", fmt.Sprintf("ws%d", i%4+1)))
	}
	checkTitles(t, run(newLateral(), stream(four...)))
}

// The fan-out threshold follows the account's own peak: a deployment
// account that reaches 40 hosts every hour is reported once, when it
// first does; a human account that reaches 5 is reported.
func TestLateralFanOutBaseline(t *testing.T) {
	var evs []*event.Event
	for hour := range 24 {
		for h := range 40 {
			evs = append(evs, success(t0.Add(time.Duration(hour)*time.Hour+time.Duration(h)*time.Minute), "deploy", "10.0.0.2", fmt.Sprintf("srv%d", h)))
		}
	}
	fs := run(newLateral(), stream(evs...))
	checkTitles(t, fs, "Logons of deploy to 5 hosts within 1h0m0s")
	// The next day it reaches 45: beyond its peak of 40. srv40 is also
	// a host it never used, now that it has a history.
	for h := range 45 {
		evs = append(evs, success(t0.Add(30*time.Hour+time.Duration(h)*time.Second), "deploy", "10.0.0.2", fmt.Sprintf("srv%d", h)))
	}
	fs = run(newLateral(), stream(evs...))
	checkTitles(t, fs, "Logons of deploy to 5 hosts within 1h0m0s", "First logon of deploy to srv40", "Logons of deploy to 41 hosts within 1h0m0s")
	if fs[2].Why.Baseline != "at most 40 hosts within 1h0m0s before" {
		t.Errorf("baseline %q", fs[2].Why.Baseline)
	}
}

func TestLateralSkips(t *testing.T) {
	var evs []*event.Event
	add := func(e *event.Event) { evs = append(evs, e) }
	for i := range 6 {
		at := t0.Add(time.Duration(i) * time.Minute)
		host := fmt.Sprintf("ws%d", i)
		add(success(at, "ws9$", "10.0.0.9", host))                                                                          // a machine account
		add(winLogon(at, "4624", "SYSTEM", "NT AUTHORITY", "", host, "LogonType", "5"))                                     // a service
		add(winLogon(at, "4624", "svc_backup", "CORP", "10.0.0.3", host, "LogonType", "5"))                                 // a service logon type
		add(winLogon(at, "4624", "DWM-3", "Window Manager", "", host, "LogonType", "2"))                                    // desktop window manager
		add(winLogon(at, "4768", "carol", "CORP", fmt.Sprintf("10.0.0.%d", 20+i), "dc1"))                                   // a ticket: a logon elsewhere
		add(winLogon(at, "4624", "scanner", "CORP", "10.0.0.4", host, "LogonType", "3"))                                    // in IgnoreAccounts
		add(mk(at, "syslog", event.EventCategory, "authentication", event.EventOutcome, "success", event.UserName, "dave")) // no host
	}
	d := NewLateral(LateralConfig{IgnoreAccounts: []string{"Scanner"}}, behave.Limits{})
	checkTitles(t, run(d, stream(evs...)))
	if d.accounts.Len() != 0 {
		var keys []string
		d.accounts.Each(func(k string, _ time.Time, _ *accountHistory) { keys = append(keys, k) })
		t.Errorf("accounts tracked: %v; want none", keys)
	}
}

// 4648 is logged where explicit credentials were used; the host logged on
// to is TargetServerName. A local account (its domain is the computer) is
// one account across hosts: the same local administrator password used on
// many workstations is a fan-out.
func TestLateralExplicitAndLocalAccounts(t *testing.T) {
	var evs []*event.Event
	for i := range 5 {
		evs = append(evs, winLogon(t0.Add(time.Duration(i)*time.Minute), "4648", "mallory", "CORP", "", "ws0.corp.example",
			"TargetServerName", fmt.Sprintf("SRV%d.corp.example", i)))
	}
	fs := run(newLateral(), stream(evs...))
	checkTitles(t, fs, "Logons of mallory to 5 hosts within 1h0m0s")
	if got := entity(fs[0], event.HostName); !slices.Equal(got, []string{"srv0", "srv1", "srv2", "srv3", "srv4"}) {
		t.Errorf("hosts %v, want the target servers", got)
	}

	var local []*event.Event
	for i := range 5 {
		host := fmt.Sprintf("WS%d", i)
		local = append(local, winLogon(t0.Add(time.Duration(i)*time.Minute), "4624", "Administrator", host, "10.0.0.66", host, "LogonType", "3"))
	}
	checkTitles(t, run(newLateral(), stream(local...)), "Logons of administrator to 5 hosts within 1h0m0s")
}

// The table of accounts is bounded: an account evicted by others comes
// back with no history, learning again.
func TestLateralEviction(t *testing.T) {
	evs := daily(t0, 8, "alice", "srv1")
	for i := range 3 {
		evs = append(evs, success(t0.Add(8*day+time.Duration(i)*time.Minute), fmt.Sprintf("user%d", i), "10.0.0.7", "srv9"))
	}
	evs = append(evs, success(t0.Add(8*day+time.Hour), "alice", "10.0.0.5", "srv3"))
	small := NewLateral(LateralConfig{}, behave.Limits{MaxEntities: 2})
	checkTitles(t, run(small, stream(evs...)))
	if small.accounts.Evicted == 0 || small.accounts.Len() > 2 {
		t.Errorf("evicted %d, len %d", small.accounts.Evicted, small.accounts.Len())
	}
	checkTitles(t, run(newLateral(), stream(evs...)), "First logon of alice to srv3")
}

// The hosts remembered per account are bounded; the least recently used
// is forgotten.
func TestLateralHostsBound(t *testing.T) {
	d := NewLateral(LateralConfig{MaxHostsPerAccount: 8}, behave.Limits{})
	var evs []*event.Event
	for i := range 20 {
		evs = append(evs, success(t0.Add(time.Duration(i)*time.Hour), "alice", "10.0.0.5", fmt.Sprintf("srv%d", i)))
	}
	run(d, stream(evs...))
	h, _ := d.accounts.Peek("alice@corp")
	if len(h.Hosts) != 8 {
		t.Fatalf("%d hosts kept, want 8", len(h.Hosts))
	}
	if _, ok := h.Hosts["srv19"]; !ok {
		t.Error("the latest host was forgotten instead of the oldest")
	}
}

func TestLateralResume(t *testing.T) {
	evs := daily(t0, 8, "alice", "srv1")
	at := t0.Add(8 * day)
	evs = append(evs, success(at, "alice", "10.0.0.5", "srv3"), success(at.Add(3*time.Hour), "alice", "10.0.0.5", "srv6"))
	for i := range 7 {
		evs = append(evs, success(at.Add(4*time.Hour+time.Duration(i)*time.Minute), "eve", "10.0.0.66", fmt.Sprintf("ws%d", i)))
	}
	checkResume(t, newLateral, stream(evs...))
}

func TestLateralConfig(t *testing.T) {
	if err := DefaultLateralConfig().Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	for _, c := range []LateralConfig{{Hosts: 1}, {History: time.Hour}, {MaxHostsPerAccount: 3, Hosts: 5}, {Window: -time.Hour}} {
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "lateral: ") {
			t.Errorf("Validate(%+v) = %v, want an error", c, err)
		}
	}
}
