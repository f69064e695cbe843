package authn

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

func newSpray() behave.Detector { return NewSpray(SprayConfig{}, behave.Limits{}) }

// sprayed returns failures from source on the accounts user1…userN, each
// tried `tries` times, one failure every gap.
func sprayed(start time.Time, gap time.Duration, source string, accounts, tries int) []*event.Event {
	var out []*event.Event
	i := 0
	for range tries {
		for a := range accounts {
			out = append(out, failure(start.Add(time.Duration(i)*gap), fmt.Sprintf("user%d", a+1), source, "dc1"))
			i++
		}
	}
	return out
}

func TestSprayThreshold(t *testing.T) {
	// Four accounts are not a spray; the fifth distinct account is.
	checkTitles(t, run(newSpray(), stream(sprayed(t0, time.Minute, "203.0.113.5", 4, 1)...)))
	fs := run(newSpray(), stream(sprayed(t0, time.Minute, "203.0.113.5", 5, 1)...))
	checkTitles(t, fs, "Password spraying from 203.0.113.5")
	f := fs[0]
	if !f.Time.Equal(t0.Add(4*time.Minute)) || f.Why.Observed != 5 || f.Why.Threshold != 5 || f.Why.Unit != "accounts" || f.Why.Window != 30*time.Minute {
		t.Errorf("finding at %v, why %+v; want the 5th failure, 5 accounts against 5 in 30m", f.Time, f.Why)
	}
	if got := entity(f, event.UserName); !slices.Equal(got, []string{"user1", "user2", "user3", "user4", "user5"}) {
		t.Errorf("user.name entities %v", got)
	}
	if !slices.Contains(f.Tags, "attack.t1110.003") {
		t.Errorf("tags %v lack attack.t1110.003", f.Tags)
	}
	checkWellFormed(t, fs, 50)

	// Five accounts over more than 30 minutes: the first has left the
	// window when the fifth comes.
	checkTitles(t, run(newSpray(), stream(sprayed(t0, 8*time.Minute, "203.0.113.5", 5, 1)...)))
}

func TestSprayMedian(t *testing.T) {
	// Three passwords on each of 5 accounts (median 3) is spraying; four
	// on each (median 4) is guessing each account's password.
	checkTitles(t, run(newSpray(), stream(sprayed(t0, 10*time.Second, "203.0.113.5", 5, 3)...)), "Password spraying from 203.0.113.5")
	// The fifth account is reached in the first round, when every count is
	// 1: to test the median, the accounts must be reached late. Four
	// passwords on each of 4 accounts, then a fifth account four times.
	var evs []*event.Event
	evs = append(evs, sprayed(t0, 10*time.Second, "203.0.113.5", 4, 4)...)
	for i := range 4 {
		evs = append(evs, failure(t0.Add(5*time.Minute+time.Duration(i)*time.Second), "user5", "203.0.113.5", "dc1"))
	}
	checkTitles(t, run(newSpray(), stream(evs...)))
	// One account hammered and four tried once: the median is 1, spraying.
	var mixed []*event.Event
	mixed = append(mixed, burst(t0, time.Second, 50, "203.0.113.5", "dc1", "root")...)
	mixed = append(mixed, sprayed(t0.Add(time.Minute), time.Second, "203.0.113.5", 4, 1)...)
	fs := run(newSpray(), stream(mixed...))
	checkTitles(t, fs, "Password spraying from 203.0.113.5")
	if fs[0].Why.Baseline != "median 1 attempts per account (at most 3 for spraying)" {
		t.Errorf("baseline %q", fs[0].Why.Baseline)
	}
}

// Spraying is one source; five sources on five accounts are not.
func TestSpraySourcesApart(t *testing.T) {
	var evs []*event.Event
	for i := range 5 {
		evs = append(evs, failure(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("user%d", i), fmt.Sprintf("198.51.100.%d", i), "dc1"))
	}
	checkTitles(t, run(newSpray(), stream(evs...)))
}

func TestSprayOncePerBurst(t *testing.T) {
	// 60 accounts over 59 minutes, one a minute: one finding.
	evs := sprayed(t0, time.Minute, "203.0.113.5", 60, 1)
	checkTitles(t, run(newSpray(), stream(evs...)), "Password spraying from 203.0.113.5")
	// 31 minutes later, a new round: a new finding.
	evs = append(evs, sprayed(evs[len(evs)-1].Time.Add(31*time.Minute), time.Second, "203.0.113.5", 5, 1)...)
	checkTitles(t, run(newSpray(), stream(evs...)), "Password spraying from 203.0.113.5", "Password spraying from 203.0.113.5")
}

func TestSprayEviction(t *testing.T) {
	var evs []*event.Event
	for i := range 30 {
		evs = append(evs, failure(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("user%d", i), fmt.Sprintf("203.0.113.%d", i%3+1), "dc1"))
	}
	small := NewSpray(SprayConfig{}, behave.Limits{MaxEntities: 4}) // 2 sources
	checkTitles(t, run(small, stream(evs...)))
	if small.sources.Evicted == 0 || small.sources.Len() > 2 {
		t.Errorf("evicted %d, len %d; want evictions and at most 2 sources", small.sources.Evicted, small.sources.Len())
	}
	checkTitles(t, run(newSpray(), stream(evs...)),
		"Password spraying from 203.0.113.1", "Password spraying from 203.0.113.2", "Password spraying from 203.0.113.3")
}

// A source guessing passwords on account after account (four tries each,
// so the median stays 4 and it is not reported) keeps at most
// maxSprayAccounts of them. Once a source is reported, its accounts are
// no longer tracked.
func TestSprayAccountsBound(t *testing.T) {
	var evs []*event.Event
	for i := range 12000 {
		evs = append(evs, failure(t0.Add(time.Duration(i)*10*time.Millisecond), fmt.Sprintf("user%d", i/4+1), "203.0.113.5", "dc1"))
	}
	d := NewSpray(SprayConfig{}, behave.Limits{})
	checkTitles(t, run(d, stream(evs...)))
	st, ok := d.sources.Peek("203.0.113.5")
	if !ok || len(st.Accounts) != maxSprayAccounts {
		t.Fatalf("source kept %d accounts, want %d", len(st.Accounts), maxSprayAccounts)
	}
	if _, ok := st.Accounts["user3000"]; !ok {
		t.Error("the latest account was dropped instead of the oldest")
	}

	d = NewSpray(SprayConfig{}, behave.Limits{})
	checkTitles(t, run(d, stream(sprayed(t0, 100*time.Millisecond, "203.0.113.5", 3000, 1)...)), "Password spraying from 203.0.113.5")
	if st, _ := d.sources.Peek("203.0.113.5"); len(st.Accounts) != 5 {
		t.Errorf("a reported source kept %d accounts, want the 5 it was reported with", len(st.Accounts))
	}
}

func TestSprayResume(t *testing.T) {
	var evs []*event.Event
	evs = append(evs, sprayed(t0, 30*time.Second, "203.0.113.5", 12, 2)...)
	evs = append(evs, sprayed(t0.Add(3*time.Hour), 20*time.Second, "203.0.113.5", 8, 1)...)
	evs = append(evs, sprayed(t0.Add(4*time.Hour), 20*time.Second, "198.51.100.7", 6, 1)...)
	checkResume(t, newSpray, stream(evs...))
}
