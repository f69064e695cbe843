package authn

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

func newBruteForce() behave.Detector { return NewBruteForce(BruteForceConfig{}, behave.Limits{}) }

// burst returns n failed logins from source, one every gap from start,
// cycling over users.
func burst(start time.Time, gap time.Duration, n int, source, host string, users ...string) []*event.Event {
	var out []*event.Event
	for i := range n {
		out = append(out, failure(start.Add(time.Duration(i)*gap), users[i%len(users)], source, host))
	}
	return out
}

func TestBruteForceThreshold(t *testing.T) {
	// 9 failures in 10 minutes are not a brute force; the 10th is. The
	// source tries three accounts, so no account reaches 10.
	users := []string{"alice", "bob", "carol"}
	nine := burst(t0, time.Minute, 9, "203.0.113.5", "srv1", users...)
	checkTitles(t, run(newBruteForce(), stream(nine...)))
	ten := burst(t0, time.Minute, 10, "203.0.113.5", "srv1", users...)
	fs := run(newBruteForce(), stream(ten...))
	checkTitles(t, fs, "Brute force from 203.0.113.5")
	f := fs[0]
	if !f.Time.Equal(t0.Add(9*time.Minute)) || f.Why.Observed != 10 || f.Why.Threshold != 10 || f.Why.Window != 10*time.Minute || f.Why.Unit != "failures" {
		t.Errorf("finding at %v, why %+v; want the 10th failure's time, 10 failures against 10 in 10m", f.Time, f.Why)
	}
	if got := entity(f, event.UserName); !slices.Equal(got, users) {
		t.Errorf("user.name entities %v, want %v", got, users)
	}
	if got := entity(f, event.HostName); !slices.Equal(got, []string{"srv1"}) {
		t.Errorf("host.name entities %v, want [srv1]", got)
	}
	if want := []string{"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10"}; !slices.Equal(f.Evidence, want) {
		t.Errorf("evidence %v, want %v", f.Evidence, want)
	}
	if !slices.Contains(f.Tags, "attack.t1110.001") || !slices.Contains(f.Tags, "attack.credential-access") {
		t.Errorf("tags %v", f.Tags)
	}
	checkWellFormed(t, fs, 50)

	// Ten failures spread over more than the window are not one.
	spread := burst(t0, 70*time.Second, 10, "203.0.113.5", "srv1", users...)
	checkTitles(t, run(newBruteForce(), stream(spread...)))
}

// One finding per burst: a source that keeps failing does not re-fire;
// it re-arms after a whole window without failures.
func TestBruteForceOncePerBurst(t *testing.T) {
	users := []string{"alice", "bob", "carol"}
	evs := burst(t0, 20*time.Second, 200, "203.0.113.5", "srv1", users...) // 66 minutes of failures
	checkTitles(t, run(newBruteForce(), stream(evs...)), "Brute force from 203.0.113.5")

	// A gap of 9 minutes keeps the burst; one of 11 minutes ends it.
	last := evs[len(evs)-1].Time
	same := append(evs, burst(last.Add(9*time.Minute), time.Second, 10, "203.0.113.5", "srv1", users...)...)
	checkTitles(t, run(newBruteForce(), stream(same...)), "Brute force from 203.0.113.5")
	again := append(evs, burst(last.Add(11*time.Minute), time.Second, 10, "203.0.113.5", "srv1", users...)...)
	checkTitles(t, run(newBruteForce(), stream(again...)), "Brute force from 203.0.113.5", "Brute force from 203.0.113.5")
}

func TestBruteForceAccount(t *testing.T) {
	// Ten sources, one failure each, against one account: a distributed
	// brute force is seen on the account.
	var evs []*event.Event
	for i := range 10 {
		evs = append(evs, failure(t0.Add(time.Duration(i)*time.Minute), "admin", fmt.Sprintf("198.51.100.%d", i+1), "dc1"))
	}
	fs := run(newBruteForce(), stream(evs...))
	checkTitles(t, fs, "Brute force against account admin@corp")
	if got := entity(fs[0], event.SourceIP); len(got) != 10 {
		t.Errorf("source.ip entities %v, want the 10 sources", got)
	}

	// Ten failures from one source against one account: the source's
	// finding says it all, the account's is left out.
	one := burst(t0, time.Second, 10, "203.0.113.5", "dc1", "admin")
	checkTitles(t, run(newBruteForce(), stream(one...)), "Brute force from 203.0.113.5")

	// Failures without a source address count for the account only.
	var noSource []*event.Event
	for i := range 10 {
		noSource = append(noSource, failure(t0.Add(time.Duration(i)*time.Second), "admin", "", "ws7"))
	}
	checkTitles(t, run(newBruteForce(), stream(noSource...)), "Brute force against account admin@corp")
}

func TestBruteForceSlow(t *testing.T) {
	// One failure every 11 minutes: never 10 in 10 minutes; the 30th comes
	// 5h19m after the first, within 6 hours.
	evs := burst(t0, 11*time.Minute, 40, "203.0.113.5", "srv1", "alice", "bob")
	fs := run(newBruteForce(), stream(evs...))
	checkTitles(t, fs, "Slow brute force from 203.0.113.5")
	if f := fs[0]; !f.Time.Equal(t0.Add(29*11*time.Minute)) || f.Why.Observed != 30 || f.Why.Threshold != 30 || f.Why.Window != 6*time.Hour {
		t.Errorf("slow finding at %v, why %+v; want the 30th failure, 30 against 30 in 6h", f.Time, f.Why)
	}
	// One every 13 minutes: 30 take 6h17m, more than the slow window.
	checkTitles(t, run(newBruteForce(), stream(burst(t0, 13*time.Minute, 40, "203.0.113.5", "srv1", "alice", "bob")...)))

	// A source that reached the fast threshold gets no slow finding for
	// the same failures, even as they go on slowly for hours.
	fast := burst(t0, time.Second, 10, "203.0.113.5", "srv1", "alice", "bob")
	slowTail := burst(t0.Add(5*time.Minute), 9*time.Minute, 30, "203.0.113.5", "srv1", "alice", "bob")
	checkTitles(t, run(newBruteForce(), stream(append(fast, slowTail...)...)), "Brute force from 203.0.113.5")
}

func TestBruteForceEvidenceBound(t *testing.T) {
	d := NewBruteForce(BruteForceConfig{}, behave.Limits{MaxEvidence: 4})
	fs := run(d, stream(burst(t0, time.Second, 10, "203.0.113.5", "srv1", "a", "b", "c")...))
	checkTitles(t, fs, "Brute force from 203.0.113.5")
	if f := fs[0]; !slices.Equal(f.Evidence, []string{"e7", "e8", "e9", "e10"}) || f.Truncated != 6 {
		t.Errorf("evidence %v truncated %d, want the last 4 and 6 truncated", f.Evidence, f.Truncated)
	}
}

// The table of sources is bounded: with room for 2 sources (and 2
// accounts, 2 connections), three sources taking turns evict each other
// before any reaches the threshold. With the default room, all three are
// found.
func TestBruteForceEviction(t *testing.T) {
	var evs []*event.Event
	for i := range 30 {
		src := fmt.Sprintf("203.0.113.%d", i%3+1)
		evs = append(evs, failure(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("user%d", i), src, "srv1"))
	}
	small := NewBruteForce(BruteForceConfig{}, behave.Limits{MaxEntities: 6})
	checkTitles(t, run(small, stream(evs...)))
	if small.sources.Evicted == 0 || small.sources.Len() > 2 || small.accounts.Len() > 2 {
		t.Errorf("sources evicted %d, len %d, accounts len %d; want evictions and at most 2 of each",
			small.sources.Evicted, small.sources.Len(), small.accounts.Len())
	}
	checkTitles(t, run(newBruteForce(), stream(evs...)),
		"Brute force from 203.0.113.1", "Brute force from 203.0.113.2", "Brute force from 203.0.113.3")
}

func TestBruteForceResume(t *testing.T) {
	var evs []*event.Event
	evs = append(evs, burst(t0, 20*time.Second, 40, "203.0.113.5", "srv1", "alice", "bob", "carol")...)
	evs = append(evs, burst(t0.Add(time.Hour), 11*time.Minute, 35, "198.51.100.7", "srv2", "root")...)
	for i := range 12 {
		evs = append(evs, failure(t0.Add(2*time.Hour+time.Duration(i)*time.Second), "admin", fmt.Sprintf("192.0.2.%d", i+1), "dc1"))
	}
	slices.SortStableFunc(evs, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
	recs := stream(evs...)
	checkTitles(t, run(newBruteForce(), recs),
		"Brute force from 203.0.113.5", "Brute force against account admin@corp", "Slow brute force from 198.51.100.7")
	checkResume(t, newBruteForce, recs)
}
