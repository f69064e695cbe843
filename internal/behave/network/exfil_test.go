package network

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// A workstation uploads 10 to 30 MB an hour during working hours and
// little at night, for 9 days; on day 10 at 14:00 it sends 2 GB to
// one host. A second host appears on day 10 and uploads 60 MB to a
// destination nobody contacted before.
func TestExfil(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	var recs []record
	n := 0
	add := func(at time.Time, src, dst string, out int64, user string) {
		n++
		e := connEvent(at, "", src, dst, 443, "SF", out, 1000, time.Minute)
		if user != "" {
			e.Add(event.UserName, user)
			e.Sort()
		}
		recs = append(recs, record{e, fmt.Sprintf("conn#%d", n)})
	}
	for h := range 9 * 24 {
		at := t0.Add(time.Duration(h) * time.Hour)
		out := int64(200 << 10) // night: 200 KB
		if hr := at.Hour(); hr >= 8 && hr < 19 {
			out = int64(10+(h*7)%21) << 20
		}
		add(at.Add(10*time.Minute), "10.0.0.5", "203.0.113.10", out, "alice")
	}
	day10 := t0.Add(9 * 24 * time.Hour)
	add(day10.Add(14*time.Hour+5*time.Minute), "10.0.0.5", "203.0.113.10", 25<<20, "alice")  // a normal hour's worth
	add(day10.Add(14*time.Hour+20*time.Minute), "10.0.0.5", "198.51.100.77", 2<<30, "alice") // 2 GB
	add(day10.Add(14*time.Hour+30*time.Minute), "10.0.0.5", "198.51.100.77", 1<<30, "alice") // same hour: no second finding
	add(day10.Add(15*time.Hour), "10.0.0.9", "192.0.2.200", 60<<20, "")                      // new host, new destination
	add(day10.Add(15*time.Hour+time.Minute), "10.0.0.9", "10.0.0.10", 500<<20, "")           // internal: not counted

	fresh := func() behave.Detector { return NewExfil(ExfilConfig{}, behave.Limits{}) }
	got := run(fresh(), recs)
	sortFindings(got)
	t.Logf("findings:%s", summary(got))
	var volume, account, newDest int
	for _, f := range got {
		switch {
		case strings.HasPrefix(f.Title, "Unusual upload volume from 10.0.0.5"):
			volume++
			if f.Why.Observed < 2<<30 || f.Why.Threshold < 100<<20 || !strings.Contains(f.Why.Baseline, "over the last 7 days") ||
				entity(f, "destination.ip") != "198.51.100.77" || f.Level != "high" {
				t.Errorf("volume finding %+v: want 2 GB over a threshold of at least the floor, a 7-day baseline, 198.51.100.77 named, level high", f.Why)
			}
		case strings.HasPrefix(f.Title, "Unusual upload volume from alice"):
			account++
		case strings.HasPrefix(f.Title, "Large upload from"):
			newDest++
			if entity(f, event.SourceIP) == "10.0.0.9" && entity(f, "destination.ip") != "192.0.2.200" {
				t.Errorf("new destination finding names %q, want 192.0.2.200", entity(f, "destination.ip"))
			}
		default:
			t.Errorf("unexpected finding %s", f.Title)
		}
	}
	// 198.51.100.77 is new too: 10.0.0.5's 2 GB to it is reported as
	// such, as is 10.0.0.9's 60 MB to 192.0.2.200.
	if volume != 1 || account != 1 || newDest != 2 {
		t.Errorf("got %d volume findings by host, %d by account, %d new-destination; want 1, 1, 2", volume, account, newDest)
	}

	restarted := runWithRestart(t, fresh(), fresh, recs)
	sortFindings(restarted)
	if diff := cmp.Diff(got, restarted); diff != "" {
		t.Errorf("findings after a restart differ (-uninterrupted +restarted):\n%s", diff)
	}

	// During the warm-up nothing is judged: the same 2 GB on day 3.
	early := []record{}
	for _, r := range recs {
		if r.ev.Time.Before(t0.Add(3 * 24 * time.Hour)) {
			early = append(early, r)
		}
	}
	early = append(early, record{connEvent(t0.Add(3*24*time.Hour+14*time.Hour), "", "10.0.0.5", "198.51.100.77", 443, "SF", 2<<30, 0, time.Minute), "big"})
	if got := run(fresh(), early); len(got) != 0 {
		t.Errorf("warm-up: %s\nwant no finding", summary(got))
	}
}

// After four weeks the baseline is the hour of the week: a host that
// uploads 1 GB every Sunday at 02:00 (a backup) is not reported for it.
func TestExfilHourOfWeek(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) // a Sunday
	var recs []record
	for d := range 5 * 7 {
		at := t0.Add(time.Duration(d) * 24 * time.Hour)
		recs = append(recs, record{connEvent(at.Add(10*time.Hour), "", "10.0.0.8", "203.0.113.20", 443, "SF", 5<<20, 0, time.Minute), "daily"})
		if at.Weekday() == time.Sunday {
			recs = append(recs, record{connEvent(at.Add(2*time.Hour), "", "10.0.0.8", "203.0.113.21", 443, "SF", 1<<30, 0, time.Hour), "backup"})
		}
	}
	sortRecords(recs)
	got := run(NewExfil(ExfilConfig{}, behave.Limits{}), recs)
	for _, f := range got {
		if strings.Contains(f.Why.Baseline, "Sundays") || f.Time.After(t0.Add(28*24*time.Hour)) {
			t.Errorf("weekly backup reported after four weeks: %s %s", f.Title, f.Why.Baseline)
		}
	}
	// Before four weeks of history, the same-hour-of-day baseline has
	// seen six quiet nights: the second and third backups are reported.
	if len(got) != 3 {
		t.Errorf("%d findings before the weekly baseline: want the backups of weeks 2, 3 and 4, against the daily one", len(got))
	}
	t.Logf("findings:%s", summary(got))
}
