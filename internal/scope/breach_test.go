package scope

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/breachtest"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/simulate"
)

// breachSubject is what an incident about the breach knows: the
// compromised account under both its names, the workstation, the
// attacker's address, the window from the first stage's start to the last
// stage's end, and the alerts that name one of those.
func breachSubject(br *breachtest.Breach) Subject {
	b := br.Truth.Breach
	s := Subject{
		Accounts:  []string{b.Account.UserName, b.Account.UPN},
		Hosts:     []string{b.Workstation},
		Addresses: []string{b.AttackerIP},
		From:      b.Stages[0].Start,
	}
	for _, st := range b.Stages {
		if st.Start.Before(s.From) {
			s.From = st.Start
		}
		if st.End.After(s.To) {
			s.To = st.End
		}
	}
	s.To = s.To.Add(time.Nanosecond) // the window's end is exclusive
	for _, a := range br.Alerts {
		if names(a, event.UserName, s.Accounts) || names(a, event.SourceIP, s.Addresses) {
			s.Alerts = append(s.Alerts, a)
		}
	}
	return s
}

func names(ev *event.Event, field string, values []string) bool {
	for _, f := range ev.Values(field) {
		if slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, f.Value) }) {
			return true
		}
	}
	return false
}

// TestBreach checks the report on the simulated breach against truth.json.
func TestBreach(t *testing.T) {
	br := breachtest.Load(t)
	truth := br.Truth.Breach
	subj := breachSubject(br)
	rep, err := Build(context.Background(), br.Store, subj, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rep.Text(&text); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Log(text.String())
		}
	}()
	if rep.Truncated.Any() {
		t.Errorf("truncated: %s", rep.Truncated)
	}
	t.Logf("%d alerts in the subject, %d events read, %d accounts, %d hosts, %d edges, %d containers, %d transfers, %d gaps",
		len(subj.Alerts), rep.EventsRead, len(rep.Accounts), len(rep.Hosts), rep.Movement.EdgesTotal, len(rep.Data), len(rep.Transfers), len(rep.Gaps))

	t.Run("accounts", func(t *testing.T) {
		for _, want := range []string{truth.Account.UserName, truth.Account.UPN} {
			i := slices.IndexFunc(rep.Accounts, func(a Account) bool { return strings.EqualFold(a.Name, want) })
			if i < 0 {
				t.Errorf("compromised account %s missing", want)
				continue
			}
			if a := rep.Accounts[i]; a.Events == 0 || a.First.Before(rep.From) || a.Last.Before(a.First) {
				t.Errorf("account %s: activity %d events %s to %s", want, a.Events, a.First, a.Last)
			}
		}
	})
	t.Run("hosts", func(t *testing.T) {
		for _, want := range truth.Hosts {
			i := slices.IndexFunc(rep.Hosts, func(h Host) bool { return hostKey(h.Name) == hostKey(want) })
			if i < 0 {
				t.Errorf("host %s missing", want)
				continue
			}
			if h := rep.Hosts[i]; h.Reason == "" || h.Via == "" {
				t.Errorf("host %s has no reason: %+v", want, h)
			}
		}
		ws := rep.Hosts[slices.IndexFunc(rep.Hosts, func(h Host) bool { return hostKey(h.Name) == hostKey(truth.Workstation) })]
		if !slices.Contains(ws.Addresses, truth.WorkstationIP) {
			t.Errorf("workstation addresses %v, want %s among them", ws.Addresses, truth.WorkstationIP)
		}
	})
	t.Run("movement", func(t *testing.T) {
		fc := rep.Movement.FirstCompromised
		var access simulate.StageTruth
		for _, st := range truth.Stages {
			if st.Stage == simulate.StageInitialAccess {
				access = st
			}
		}
		if fc == nil || fc.Name != truth.Account.UPN || !fc.Time.Equal(access.Start) {
			t.Errorf("first compromised = %+v, want %s at %s", fc, truth.Account.UPN, access.Start)
		}
		// Remote desktop from the VPN address to the workstation, and on
		// to each lateral host.
		edge := func(from, to, account string) bool {
			return slices.ContainsFunc(rep.Movement.Edges, func(e Edge) bool {
				return (e.From == from || hostKey(e.From) == hostKey(from) || hostKey(e.FromName) == hostKey(from)) &&
					hostKey(e.To) == hostKey(to) && e.Account == account && e.Outcome == event.OutcomeSuccess
			})
		}
		if !edge(truth.VPNAddress, truth.Workstation, truth.Account.UserName) {
			t.Errorf("no edge %s -> %s as %s", truth.VPNAddress, truth.Workstation, truth.Account.UserName)
		}
		for _, h := range truth.LateralHosts {
			if !edge(truth.WorkstationIP, h, truth.Account.UserName) {
				t.Errorf("no edge %s -> %s as %s", truth.WorkstationIP, h, truth.Account.UserName)
			}
		}
		if !slices.IsSortedFunc(rep.Movement.Edges, func(a, b Edge) int { return a.First.Compare(b.First) }) {
			t.Error("edges not in time order")
		}
	})
	t.Run("staged files", func(t *testing.T) {
		d, ok := findData(rep, KindShare, truth.Exfiltration.Share)
		if !ok {
			t.Fatalf("share %s missing", truth.Exfiltration.Share)
		}
		n := 0
		for _, o := range d.Objects {
			if slices.Contains(o.Accounts, truth.Account.UserName) {
				n++
			}
		}
		if n != truth.Exfiltration.FilesStaged || d.ObjectsTotal < n {
			t.Errorf("%s: %d distinct files read by %s (%d in all), want %d", d.Name, n, truth.Account.UserName, d.ObjectsTotal, truth.Exfiltration.FilesStaged)
		}
	})
	t.Run("sharepoint", func(t *testing.T) {
		d, ok := findData(rep, KindSite, truth.Exfiltration.SharePointSite)
		if !ok {
			t.Fatalf("site %s missing", truth.Exfiltration.SharePointSite)
		}
		n := 0
		for _, o := range d.Objects {
			if slices.Contains(o.Actions, "FileDownloaded") && slices.Contains(o.Accounts, truth.Account.UPN) {
				n++
			}
		}
		if n != truth.Exfiltration.CloudDownloads {
			t.Errorf("%s: %d files downloaded, want %d", d.Name, n, truth.Exfiltration.CloudDownloads)
		}
		i := slices.IndexFunc(rep.Transfers, func(x Transfer) bool { return x.Kind == TransferCloud && x.Destination == truth.AttackerIP })
		if i < 0 || rep.Transfers[i].Objects != truth.Exfiltration.CloudDownloads || rep.Transfers[i].Verdict != LikelyExfiltration {
			t.Errorf("cloud transfer to %s: %+v, want %d downloads, likely exfiltration", truth.AttackerIP, rep.Transfers[max(i, 0)], truth.Exfiltration.CloudDownloads)
		}
	})
	t.Run("exfiltration", func(t *testing.T) {
		ex := truth.Exfiltration
		i := slices.IndexFunc(rep.Transfers, func(x Transfer) bool { return x.Kind == TransferNetwork && x.Destination == ex.DestinationIP })
		if i < 0 {
			t.Fatalf("no transfer to %s", ex.DestinationIP)
		}
		x := rep.Transfers[i]
		if x.Bytes != ex.Bytes || x.Connections != ex.Connections || x.Domain != ex.DestinationDomain ||
			x.Verdict != LikelyExfiltration || !x.NeverContacted || !strings.Contains(x.Reason, "never contacted before") {
			t.Errorf("transfer %+v\nwant %d bytes in %d connections to %s (%s), likely exfiltration, never contacted", x, ex.Bytes, ex.Connections, ex.DestinationIP, ex.DestinationDomain)
		}
		// Nothing else is called exfiltration; the beacon is unusual.
		var likely []string
		for _, x := range rep.Transfers {
			if x.Verdict == LikelyExfiltration {
				likely = append(likely, x.Kind+" "+x.Destination)
			}
		}
		slices.Sort(likely)
		if want := []string{"cloud " + truth.AttackerIP, "network " + ex.DestinationIP}; !slices.Equal(likely, want) {
			t.Errorf("likely exfiltration to %v, want %v", likely, want)
		}
		c2 := slices.IndexFunc(rep.Transfers, func(x Transfer) bool { return x.Destination == truth.C2.IP })
		if c2 < 0 || rep.Transfers[c2].Verdict != Unusual || rep.Transfers[c2].Domain != truth.C2.Domain {
			t.Errorf("C2 %s (%s): %+v, want unusual", truth.C2.IP, truth.C2.Domain, rep.Transfers[max(c2, 0)])
		}
	})
	// The silences end at the first record the simulation kept: the
	// record written at the very instant logging resumed is dropped by
	// the simulator (its time, truncated to the file's precision, falls
	// before silent_until), so the next one comes up to 40 s later on
	// FS01 and up to 20 minutes later in CloudTrail, whose next call is a
	// periodic one. Tolerance: the gap starts within 1 s of silent_from,
	// covers [silent_from, silent_until) and ends at most that long after.
	t.Run("silenced host", func(t *testing.T) {
		s := truth.Silenced
		checkGap(t, rep, "host", func(g Gap) bool { return hostKey(g.Entity) == hostKey(s.Host) }, s, time.Minute, CauseCleared)
	})
	t.Run("cloudtrail stopped", func(t *testing.T) {
		s := truth.CloudTrail
		checkGap(t, rep, "source", func(g Gap) bool { return strings.Contains(g.Entity, "CloudTrail") }, s, 20*time.Minute, CauseStopped)
	})
	t.Run("json", func(t *testing.T) {
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if len(back.Transfers) != len(rep.Transfers) || len(back.Gaps) != len(rep.Gaps) || !back.From.Equal(rep.From) {
			t.Error("report does not survive JSON")
		}
		if !strings.Contains(text.String(), "unknown: no logs from "+truth.Silenced.Host) {
			t.Errorf("text does not state the silence as unknown")
		}
	})
}

func findData(rep *Report, kind, name string) (Data, bool) {
	i := slices.IndexFunc(rep.Data, func(d Data) bool { return d.Kind == kind && strings.EqualFold(d.Name, name) })
	if i < 0 {
		return Data{}, false
	}
	return rep.Data[i], true
}

func checkGap(t *testing.T, rep *Report, kind string, match func(Gap) bool, s simulate.Silence, late time.Duration, cause string) {
	t.Helper()
	for _, g := range rep.Gaps {
		if g.Kind != kind || !match(g) {
			continue
		}
		if g.From.After(s.From) || s.From.Sub(g.From) > time.Second || g.To.Before(s.Until.Add(-time.Second)) || g.To.Sub(s.Until) > late {
			continue
		}
		if !slices.Contains(g.Causes, cause) || !strings.HasPrefix(g.Text, "unknown: no logs from ") {
			t.Errorf("gap %+v: want cause %s and an unknown", g, cause)
		}
		return
	}
	t.Errorf("no %s gap covering [%s, %s) (tolerance 1s before, %s after); gaps: %+v", kind, s.From, s.Until, late, rep.Gaps)
}
