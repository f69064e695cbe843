package incident

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/breachtest"
	"github.com/vigie-sec/vigie/internal/event"
)

// isBreachAlert reports whether an alert's evidence names a labelled
// breach record.
func isBreachAlert(b *breachtest.Breach, a *event.Event) bool {
	for _, f := range a.Values("vigie.evidence") {
		id, err := strconv.ParseInt(f.Value, 10, 64)
		if err != nil {
			continue
		}
		if _, ok := b.Labelled(event.ID(id)); ok {
			return true
		}
	}
	return false
}

// names reports whether an alert names field=value, compared as grouping
// compares them.
func names(a *event.Event, field, value string) bool {
	if value == "" {
		return false
	}
	for _, f := range searchFieldsAll(field) {
		for _, v := range a.Values(f) {
			if Normalize(f, v.Value) == Normalize(field, value) {
				return true
			}
		}
	}
	return false
}

func searchFieldsAll(field string) []string {
	if classOf(field) == classIP {
		return []string{"source.ip", "destination.ip"}
	}
	return []string{field}
}

// TestBreach groups the alerts Vigie raised over the simulated breach
// (breachtest): every alert on a breach record lands in one incident,
// which names the compromised account and the hosts the alerts name, and
// which the benign look-alikes of the simulation do not join.
func TestBreach(t *testing.T) {
	if testing.Short() {
		t.Skip("the simulated breach takes a while to build")
	}
	b := breachtest.Load(t)
	ctx := context.Background()
	m, err := New(Config{}, Deps{Records: b.Store, Audit: b.Store, Evidence: b.Store})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(ctx, b.Alerts); err != nil {
		t.Fatal(err)
	}
	breachIn := map[int64]int{} // incident → alerts on breach records
	breach := map[event.ID]bool{}
	for _, a := range b.Alerts {
		if isBreachAlert(b, a) {
			breach[a.ID] = true
			id, _ := m.IncidentOf(a.ID)
			breachIn[id]++
		}
	}
	t.Logf("%d alerts, %d of them on breach records, in incidents %v", len(b.Alerts), len(breach), breachIn)
	if len(breach) == 0 {
		t.Fatal("no alert on a breach record")
	}
	if len(breachIn) != 1 {
		t.Errorf("breach alerts spread over %d incidents, want 1", len(breachIn))
	}
	main := slices.MaxFunc(slices.Collect(maps.Keys(breachIn)), func(x, y int64) int { return cmp.Compare(breachIn[x], breachIn[y]) })
	inc, _ := m.Get(main)
	t.Logf("breach incident #%d %q: %d alerts (%d on breach records), %d entities, %s to %s",
		inc.ID, inc.Title, len(inc.Alerts), breachIn[main], len(inc.Entities), inc.First.Format("01-02 15:04"), inc.Last.Format("01-02 15:04"))

	// The account, the workstation (by address too) and the hosts reached.
	br := b.Truth.Breach
	type fv struct{ field, value string }
	want := []fv{{"user.name", br.Account.UserName}, {"source.ip", br.WorkstationIP}, {"source.ip", br.AttackerIP}, {"host.name", br.Workstation}}
	for _, h := range br.LateralHosts {
		want = append(want, fv{"host.name", h})
	}
	for _, w := range want {
		if inc.Entity(w.field, w.value) != nil {
			continue
		}
		named := slices.ContainsFunc(b.Alerts, func(a *event.Event) bool { return breach[a.ID] && names(a, w.field, w.value) })
		if named {
			t.Errorf("the breach incident does not name %s %s, though a breach alert does", w.field, w.value)
		} else {
			t.Logf("%s %s is named by no breach alert: no rule or detector fired on what the attacker did there, so no incident can name it", w.field, w.value)
		}
	}

	// Benign look-alikes stay out, except the compromised workstation's
	// own alerts (its routine update checks are about the breached host).
	own := func(a *event.Event) bool {
		return names(a, "source.ip", br.WorkstationIP) || names(a, "user.name", br.Account.UserName)
	}
	strays := 0
	byID := map[event.ID]*event.Event{}
	for _, a := range b.Alerts {
		byID[a.ID] = a
	}
	for _, ref := range inc.Alerts {
		if breach[ref.ID] {
			continue
		}
		a := byID[ref.ID]
		why := inc.Joins[slices.IndexFunc(inc.Joins, func(j Join) bool { return j.Alert == ref.ID })].Because
		var lookalike string
		for _, bn := range b.Truth.Benign {
			if names(a, "user.name", bn.UserName) || names(a, "source.ip", bn.SourceIP) ||
				names(a, "host.name", bn.HostName) || names(a, "destination.domain", bn.Destination) {
				lookalike = bn.Kind + ": " + bn.Description
			}
		}
		switch {
		case lookalike != "" && own(a):
			t.Logf("look-alike of the breached workstation itself in the breach incident: %q (%s) — %s", ref.Title, lookalike, why)
		case lookalike != "":
			strays++
			t.Logf("benign look-alike in the breach incident: %q (%s) — %s", ref.Title, lookalike, why)
		default:
			t.Logf("other alert in the breach incident: %q — %s", ref.Title, why)
		}
	}

	// Measured on 2026-11-27: one, the update check of 10.20.10.34,
	// reached through the headquarters' address 192.0.2.11, which
	// j.dekker's impossible-travel alert names as the trip's other end and
	// a staff member's new-network alert names too. Grouping sees too few
	// alerts on that address to call it a hub.
	const maxStrays = 1
	if strays > maxStrays {
		t.Errorf("%d benign look-alike alerts in the breach incident, want at most %d", strays, maxStrays)
	}

	// What the other incidents are.
	kinds := map[string]int{}
	others := 0
	for _, o := range m.List(Filter{}) {
		if o.ID == main || o.Status == StatusMerged {
			continue
		}
		others++
		title := o.Title
		if i := strings.IndexAny(title, "0123456789"); i > 0 {
			title = title[:i]
		}
		kinds[title]++
		if len(o.Alerts) > 10 {
			t.Logf("other incident #%d %q: %d alerts", o.ID, o.Title, len(o.Alerts))
		}
	}
	t.Logf("%d other incidents, by title: %v", others, kinds)
}
