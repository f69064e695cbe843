package winjson

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

// checkSink checks each event as it comes and keeps only what the test
// asks for, so that a quarter of a million events need not stay in memory.
type checkSink struct {
	t          *testing.T
	where      string
	events     int
	rejected   int
	keep       func(*event.Event) bool
	kept       []*event.Event
	perAction  map[string]int
	reportedUp int
}

func (s *checkSink) Event(e *event.Event) error {
	s.events++
	fail := func(format string, args ...any) {
		if s.reportedUp < 10 {
			s.t.Errorf("%s event %d: "+format, append([]any{s.where, s.events}, args...)...)
		}
		s.reportedUp++
	}
	if e.Kind != event.KindEvent {
		fail("malformed: %s", e.ParseError)
		return nil
	}
	for _, name := range []string{"EventID", "Channel", "Computer", event.EventCode, event.HostName} {
		if _, ok := e.Get(name); !ok {
			fail("no %s", name)
		}
	}
	if e.Time.IsZero() {
		fail("no time")
	}
	if a, ok := e.Get(event.EventAction); ok {
		s.perAction[a]++
	}
	if s.keep != nil && s.keep(e) {
		s.kept = append(s.kept, e)
	}
	return nil
}

func (s *checkSink) Reject(string, int) { s.rejected++ }

// TestOTRF decodes every Windows JSON capture of the OTRF Security
// Datasets (39 atomic archives and the LSASS campaign: NXLog and
// Winlogbeat 6 shapes, 237,922 events) and checks facts from their
// metadata.
func TestOTRF(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 500 MB of JSON; skipped with -short")
	}
	members := append(otrfMembers(t, "otrf/atomic/windows"), otrfMembers(t, "otrf/compound")...)
	sink := &checkSink{t: t, perAction: map[string]int{}}
	sink.keep = func(e *event.Event) bool {
		v, _ := e.Get(event.ProcessName)
		u, _ := e.Get(event.UserName)
		return v == "schtasks.exe" || (u == "pedro" && e.Values("EventID")[0].Value == "4625") || u == "nmartha"
	}
	for _, m := range members {
		sink.where = m.archive + "/" + m.name
		if err := (Decoder{}).Decode(bytes.NewReader(m.data), sink); err != nil {
			t.Fatalf("%s: %v", sink.where, err)
		}
	}
	if sink.events != 237922 || sink.rejected != 0 {
		t.Errorf("got %d events and %d rejections, want 237922 and 0", sink.events, sink.rejected)
	}
	// 280 "Security" and 75 "security" (NXLog lower-cases it in some captures).
	if got := sink.perAction["logged-in"]; got != 355 {
		t.Errorf("got %d 4624 logged-in events, want 355", got)
	}

	// schtask_create: the attacker runs "schtasks /create … /S WORKSTATION6"
	// (its metadata's adversary view); Sysmon 1 and Security 4688 must
	// describe the same process.
	var sysmon, security *event.Event
	for _, e := range sink.kept {
		cl, _ := e.Get(event.ProcessCommandLine)
		if !strings.Contains(cl, "/S WORKSTATION6") {
			continue
		}
		switch id, _ := e.Get("EventID"); id {
		case "1":
			sysmon = e
		case "4688":
			security = e
		}
	}
	if sysmon == nil || security == nil {
		t.Fatalf("schtasks process creation: Sysmon 1 found %v, 4688 found %v", sysmon != nil, security != nil)
	}
	for _, name := range []string{event.ProcessPID, "process.parent.pid", event.ProcessExecutable, event.UserName, event.HostName} {
		a, _ := sysmon.Get(name)
		b, _ := security.Get(name)
		if a == "" || !strings.EqualFold(a, b) {
			t.Errorf("%s: Sysmon 1 says %q, Security 4688 says %q", name, a, b)
		}
	}
	if pid, _ := security.Get(event.ProcessPID); pid != "8920" {
		t.Errorf("4688 process.pid = %q, want 8920 (NewProcessId 0x22d8)", pid)
	}

	// cmd_psh_stop_netprofm_eventlog_before_reboot: a failed logon of pedro.
	var failed, nmartha int
	for _, e := range sink.kept {
		u, _ := e.Get(event.UserName)
		switch u {
		case "pedro":
			if o, _ := e.Get(event.EventOutcome); o == event.OutcomeFailure {
				failed++
			}
		case "nmartha":
			// empire_wdigest_downgrade (Winlogbeat 6): the PowerShell
			// stager calls back to 10.0.10.106:443 over Sysmon 3.
			ip, _ := e.Get(event.DestinationIP)
			port, _ := e.Get(event.DestinationPort)
			if ip == "10.0.10.106" && port == "443" {
				nmartha++
			}
		}
	}
	if failed == 0 {
		t.Error("no failed logon of pedro (4625) found")
	}
	if nmartha == 0 {
		t.Error("no Sysmon 3 connection of nmartha to 10.0.10.106:443 found")
	}
}
