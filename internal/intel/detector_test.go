package intel

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

func TestDetectorFinding(t *testing.T) {
	c2 := ind("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", CIDR, "198.51.100.0/24")
	c2.Confidence, c2.Source, c2.Format = 90, "cert-feed", FormatSTIX
	c2.Name, c2.Labels = "Poison Ivy C2", []string{"attack.command-and-control"}
	c2.ValidFrom = t0.Add(-24 * time.Hour)
	d := NewDetector(Compile([]Indicator{c2}))
	got := d.Observe(ev(t0, "destination.ip", "198.51.100.7", "source.ip", "10.0.0.5"), "42")
	want := []behave.Finding{{
		Detector: "ioc",
		Title:    "Indicator of compromise: 198.51.100.0/24",
		Level:    "high",
		Time:     t0,
		Entities: []behave.Entity{
			{Field: "destination.ip", Value: "198.51.100.7"},
			{Field: "threat.indicator.type", Value: "cidr"},
			{Field: "threat.indicator.name", Value: "198.51.100.0/24"},
			{Field: "threat.feed.name", Value: "cert-feed"},
			{Field: "vigie.indicator.id", Value: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
			{Field: "source.ip", Value: "10.0.0.5"},
		},
		Why: behave.Why{Observed: 90, Unit: "confidence",
			Text: `destination.ip 198.51.100.7 is indicator indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f (cidr 198.51.100.0/24) "Poison Ivy C2" from feed cert-feed (stix, confidence 90, valid from 2024-03-14T12:00:00Z); labels attack.command-and-control`},
		Evidence: []string{"42"},
		Tags:     []string{"attack.command-and-control"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	alert := ev(t0, "destination.ip", "198.51.100.7")
	alert.Kind = event.KindAlert
	if got := d.Observe(alert, "43"); len(got) != 0 {
		t.Errorf("an alert event gave %d findings, want 0", len(got))
	}
	if d.Name() != "ioc" || d.Advance(t0) != nil {
		t.Error("Name or Advance")
	}
	var b strings.Builder
	if err := d.Snapshot(&b); err != nil || b.String() != "{}" {
		t.Errorf("Snapshot wrote %q, %v; want {}", b.String(), err)
	}
	if err := behave.NewSet(d).Snapshot(&strings.Builder{}); err != nil {
		t.Errorf("a behave.Set with the detector cannot snapshot: %v", err)
	}
}

func TestLevel(t *testing.T) {
	for conf, want := range map[int]string{100: "high", 80: "high", 79: "medium", 50: "medium", 49: "low", 0: "low"} {
		if got := Level(conf); got != want {
			t.Errorf("Level(%d) = %q, want %q", conf, got, want)
		}
	}
}

// TestDetectorSwap swaps the indicators while events are observed (run
// with -race): every finding comes from one of the two sets, whole.
// TestDetectorSuppress checks that one host meeting one indicator again
// and again raises one finding per SuppressFor, and another host its own.
func TestDetectorSuppress(t *testing.T) {
	d := NewDetector(Compile([]Indicator{ind("c2", IP, "198.51.100.7")}))
	count := func(at time.Time, src string) int {
		return len(d.Observe(ev(at, "destination.ip", "198.51.100.7", "source.ip", src), "1"))
	}
	if n := count(t0, "10.0.0.5"); n != 1 {
		t.Fatalf("first hit: %d findings", n)
	}
	for i := 1; i < 60; i++ {
		if n := count(t0.Add(time.Duration(i)*time.Minute), "10.0.0.5"); n != 0 {
			t.Fatalf("hit %d minutes later: %d findings, want 0 (suppressed)", i, n)
		}
	}
	if n := count(t0.Add(time.Minute), "10.0.0.6"); n != 1 {
		t.Errorf("another source: %d findings, want 1", n)
	}
	if n := count(t0.Add(SuppressFor), "10.0.0.5"); n != 1 {
		t.Errorf("after SuppressFor: %d findings, want 1", n)
	}
	d.Advance(t0.Add(3 * SuppressFor))
	if len(d.last) != 0 {
		t.Errorf("Advance kept %d expired pairs", len(d.last))
	}
}

func TestDetectorSwap(t *testing.T) {
	a := Compile([]Indicator{ind("a", IP, "192.0.2.1")})
	b := Compile([]Indicator{ind("b", IP, "192.0.2.1"), ind("b2", Domain, "evil.example")})
	d := NewDetector(nil)
	// Each event comes after the suppression of the one before has ended.
	at := t0
	next := func() *event.Event {
		at = at.Add(SuppressFor)
		return ev(at, "source.ip", "192.0.2.1", "dns.question.name", "x.evil.example")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 2000 {
			if i%2 == 0 {
				d.Swap(a)
			} else {
				d.Swap(b)
			}
		}
		d.Swap(b)
	}()
	seen := map[string]int{}
	for range 5000 {
		var ids []string
		for _, f := range d.Observe(next(), "1") {
			ids = append(ids, f.Entities[4].Value)
		}
		seen[strings.Join(ids, ",")]++
	}
	wg.Wait()
	for set := range seen {
		if set != "" && set != "a" && set != "b2,b" {
			t.Errorf("got findings %q, want those of one matcher: none, a, or b2,b", set)
		}
	}
	if got := d.Observe(next(), "1"); len(got) != 2 {
		t.Errorf("after the last Swap: got %d findings, want 2", len(got))
	}
}
