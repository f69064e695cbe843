package simulate

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// fakeClock is a clock that Sleep advances.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

func TestPlay(t *testing.T) {
	sim := generated(t)
	reg := detect.New(detect.Config{})
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	start := clock.now
	var total, labelled int
	var last time.Time
	perFile := map[string]int{}
	cfg := PlayConfig{
		Speed: 3600,
		Now:   clock.Now,
		Sleep: clock.Sleep,
		Send: func(ctx context.Context, b Batch) error {
			if b.First.Before(last) {
				t.Fatalf("batch of %s from %s after one at %s", b.File, b.First, last)
			}
			last = b.First
			// The batch is sent when its records are due.
			due := start.Add(time.Duration(float64(b.Last.Sub(sim.Truth().Start)) / 3600))
			if clock.now.Before(due.Add(-time.Second)) {
				t.Fatalf("batch ending at %s sent at real %s, before it is due (%s)", b.Last, clock.now, due)
			}
			d, ok := reg.ByName(b.Format)
			if !ok {
				d, _ = reg.ByName(detect.JSON) // not registered yet
			}
			var sink decode.Collect
			if err := d.Decode(bytes.NewReader(b.Body), &sink); err != nil {
				t.Fatalf("%s batch: %v", b.File, err)
			}
			if len(sink.Events) != b.Records {
				t.Fatalf("%s batch: %d events, %d records", b.File, len(sink.Events), b.Records)
			}
			for _, e := range sink.Events {
				if e.Kind == event.KindPipelineError {
					t.Fatalf("%s batch: malformed %s", b.File, e.Raw)
				}
			}
			total += b.Records
			labelled += len(b.Labels)
			perFile[b.File] += b.Records
			return nil
		},
	}
	st, err := sim.Play(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var want int
	for _, f := range sim.Files() {
		want += f.Records
		if perFile[f.Name] != f.Records {
			t.Errorf("%s: %d records played, %d in the file", f.Name, perFile[f.Name], f.Records)
		}
	}
	if total != want || st.Records != want {
		t.Errorf("played %d records (stats %d), want %d", total, st.Records, want)
	}
	if labelled != len(sim.Labels()) || st.Labels != labelled {
		t.Errorf("played %d labels (stats %d), want %d", labelled, st.Labels, len(sim.Labels()))
	}
	// A week at 3600× takes 168 s, give or take a tick.
	tr := sim.Truth()
	want7 := time.Duration(float64(st.Last.Sub(tr.Start)) / 3600)
	if got := clock.now.Sub(start); got < want7-time.Second || got > want7+time.Second {
		t.Errorf("replay took %s of the clock, want about %s", got, want7)
	}
}

func TestPlayFromAndErrors(t *testing.T) {
	sim := generated(t)
	from := sim.Truth().Breach.Stages[0].Start.Add(-time.Hour)
	clock := &fakeClock{now: time.Unix(0, 0)}
	var first time.Time
	n := 0
	boom := errors.New("boom")
	_, err := sim.Play(context.Background(), PlayConfig{From: from, Speed: 1e9, Now: clock.Now, Sleep: clock.Sleep,
		Send: func(ctx context.Context, b Batch) error {
			if first.IsZero() {
				first = b.First
			}
			n++
			if n == 5 {
				return boom
			}
			return nil
		}})
	if !errors.Is(err, boom) {
		t.Errorf("Play = %v, want the Send error", err)
	}
	if first.Before(from) {
		t.Errorf("first record at %s, before From %s", first, from)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sim.Play(ctx, PlayConfig{Send: func(context.Context, Batch) error { return nil }}); !errors.Is(err, context.Canceled) {
		t.Errorf("Play with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := sim.Play(context.Background(), PlayConfig{}); err == nil {
		t.Error("Play without Send: no error")
	}
}
