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

func newSuccessAfter() behave.Detector { return NewSuccessAfter(SuccessAfterConfig{}, behave.Limits{}) }

func TestSuccessAfterGuessed(t *testing.T) {
	// Five wrong passwords for alice, then alice gets in from the same
	// address: a password guessed.
	evs := burst(t0, time.Minute, 5, "203.0.113.5", "srv1", "alice")
	evs = append(evs, success(t0.Add(10*time.Minute), "alice", "203.0.113.5", "srv1"))
	fs := run(newSuccessAfter(), stream(evs...))
	checkTitles(t, fs, "Login as alice from 203.0.113.5 after 5 failures")
	f := fs[0]
	if f.Level != "high" || !f.Time.Equal(t0.Add(10*time.Minute)) || f.Why.Observed != 5 || f.Why.Threshold != 5 || f.Why.Window != time.Hour {
		t.Errorf("level %s at %v, why %+v; want high at the success, 5 failures against 5 in 1h", f.Level, f.Time, f.Why)
	}
	if !strings.Contains(f.Why.Text, "5 of them on alice: a password guessed") {
		t.Errorf("why text %q does not say the failures were on alice", f.Why.Text)
	}
	if want := []string{"e1", "e2", "e3", "e4", "e5", "e6"}; !slices.Equal(f.Evidence, want) {
		t.Errorf("evidence %v, want the failures and the success %v", f.Evidence, want)
	}
	if !slices.Equal(entity(f, event.SourceIP), []string{"203.0.113.5"}) || !slices.Equal(entity(f, event.UserName), []string{"alice"}) {
		t.Errorf("entities %v", f.Entities)
	}
	checkWellFormed(t, fs, 50)

	// Four failures then a success: a user who mistyped.
	four := append(burst(t0, time.Minute, 4, "203.0.113.5", "srv1", "alice"), success(t0.Add(5*time.Minute), "alice", "203.0.113.5", "srv1"))
	checkTitles(t, run(newSuccessAfter(), stream(four...)))
	// A success from another address proves nothing about these failures.
	other := append(burst(t0, time.Minute, 5, "203.0.113.5", "srv1", "alice"), success(t0.Add(6*time.Minute), "alice", "198.51.100.9", "srv1"))
	checkTitles(t, run(newSuccessAfter(), stream(other...)))
	// A success more than the window after the failures is not theirs.
	late := append(burst(t0, time.Minute, 5, "203.0.113.5", "srv1", "alice"), success(t0.Add(4*time.Minute+61*time.Minute), "alice", "203.0.113.5", "srv1"))
	checkTitles(t, run(newSuccessAfter(), stream(late...)))
	// A success before the failures is not after them.
	before := append([]*event.Event{success(t0.Add(-time.Minute), "alice", "203.0.113.5", "srv1")}, burst(t0, time.Minute, 5, "203.0.113.5", "srv1", "alice")...)
	checkTitles(t, run(newSuccessAfter(), stream(before...)))
}

func TestSuccessAfterSpray(t *testing.T) {
	// A spray over 8 accounts, then a ninth gets in: found by spraying.
	evs := sprayed(t0, 10*time.Second, "172.16.66.1", 8, 1)
	evs = append(evs, success(t0.Add(2*time.Minute), "normal", "172.16.66.1", "dc1"))
	fs := run(newSuccessAfter(), stream(evs...))
	checkTitles(t, fs, "Login as normal from 172.16.66.1 after 8 failures")
	if !strings.Contains(fs[0].Why.Text, "all on other accounts (8)") {
		t.Errorf("why text %q", fs[0].Why.Text)
	}
}

// One finding per source and account per burst: more logins of the same
// account add nothing; another account getting in is a finding of its
// own; after a window without failures, the source re-arms.
func TestSuccessAfterOncePerBurst(t *testing.T) {
	evs := burst(t0, time.Minute, 6, "203.0.113.5", "srv1", "alice", "bob")
	evs = append(evs,
		success(t0.Add(7*time.Minute), "alice", "203.0.113.5", "srv1"),
		success(t0.Add(8*time.Minute), "alice", "203.0.113.5", "srv1"),
		success(t0.Add(9*time.Minute), "bob", "203.0.113.5", "srv1"),
	)
	evs = append(evs, burst(t0.Add(2*time.Hour), time.Minute, 5, "203.0.113.5", "srv1", "alice")...)
	evs = append(evs, success(t0.Add(2*time.Hour+6*time.Minute), "alice", "203.0.113.5", "srv1"))
	checkTitles(t, run(newSuccessAfter(), stream(evs...)),
		"Login as alice from 203.0.113.5 after 6 failures",
		"Login as bob from 203.0.113.5 after 6 failures",
		"Login as alice from 203.0.113.5 after 5 failures")
}

func TestSuccessAfterEviction(t *testing.T) {
	var evs []*event.Event
	for i := range 15 {
		evs = append(evs, failure(t0.Add(time.Duration(i)*time.Second), "alice", fmt.Sprintf("203.0.113.%d", i%3+1), "srv1"))
	}
	for i := range 3 {
		evs = append(evs, success(t0.Add(time.Minute+time.Duration(i)*time.Second), "alice", fmt.Sprintf("203.0.113.%d", i+1), "srv1"))
	}
	small := NewSuccessAfter(SuccessAfterConfig{}, behave.Limits{MaxEntities: 4}) // 2 sources
	checkTitles(t, run(small, stream(evs...)))
	if small.sources.Evicted == 0 || small.sources.Len() > 2 {
		t.Errorf("evicted %d, len %d; want evictions and at most 2 sources", small.sources.Evicted, small.sources.Len())
	}
	checkTitles(t, run(newSuccessAfter(), stream(evs...)),
		"Login as alice from 203.0.113.1 after 5 failures",
		"Login as alice from 203.0.113.2 after 5 failures",
		"Login as alice from 203.0.113.3 after 5 failures")
}

func TestSuccessAfterResume(t *testing.T) {
	evs := burst(t0, time.Minute, 6, "203.0.113.5", "srv1", "alice", "bob")
	evs = append(evs,
		success(t0.Add(7*time.Minute), "alice", "203.0.113.5", "srv1"),
		success(t0.Add(8*time.Minute), "alice", "203.0.113.5", "srv1"),
		success(t0.Add(9*time.Minute), "bob", "203.0.113.5", "srv1"),
	)
	evs = append(evs, burst(t0.Add(2*time.Hour), time.Minute, 5, "203.0.113.5", "srv1", "alice")...)
	evs = append(evs, success(t0.Add(2*time.Hour+6*time.Minute), "alice", "203.0.113.5", "srv1"))
	checkResume(t, newSuccessAfter, stream(evs...))
}
