package telemetry

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func syslogEvent(t time.Time, source event.SourceID, host string) *event.Event {
	e := &event.Event{Time: t, Source: source, Format: "syslog"}
	if host != "" {
		e.Add(event.HostName, host)
	}
	e.Sort()
	return e
}

// feed runs events through d as a live run would see them when other
// sources keep event time moving: Advance at every whole minute between
// two events, and at each event. It returns every finding.
func feed(d behave.Detector, events []*event.Event, refs []string) []behave.Finding {
	return feedFrom(d, time.Time{}, events, refs)
}

// feedFrom is feed going on from a stream whose event time was prev.
func feedFrom(d behave.Detector, prev time.Time, events []*event.Event, refs []string) []behave.Finding {
	var out []behave.Finding
	for i, ev := range events {
		if !prev.IsZero() {
			for t := prev.Truncate(time.Minute).Add(time.Minute); t.Before(ev.Time); t = t.Add(time.Minute) {
				out = append(out, d.Advance(t)...)
			}
		}
		out = append(out, d.Advance(ev.Time)...)
		out = append(out, d.Observe(ev, refs[i])...)
		prev = ev.Time
	}
	return out
}

// tenSecondStream is a source sending every 10 s ± 3 s for a day (and a
// minute, to pass the default warm-up of 24 hours), then silent for 40
// minutes, then sending again for an hour.
func tenSecondStream() (events []*event.Event, refs []string, lastBefore, firstAfter time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	t := day0
	add := func() {
		events = append(events, syslogEvent(t, "syslog-udp/10.0.0.5", "web01"))
		refs = append(refs, strconv.Itoa(len(refs)+1))
	}
	for t.Before(day0.Add(24*time.Hour + time.Minute)) {
		add()
		t = t.Add(7*time.Second + time.Duration(rng.IntN(6000))*time.Millisecond)
	}
	lastBefore = events[len(events)-1].Time
	t = lastBefore.Add(40 * time.Minute)
	firstAfter = t
	for t.Before(firstAfter.Add(time.Hour)) {
		add()
		t = t.Add(7*time.Second + time.Duration(rng.IntN(6000))*time.Millisecond)
	}
	return events, refs, lastBefore, firstAfter
}

func TestSilenceSynthetic(t *testing.T) {
	events, refs, lastBefore, firstAfter := tenSecondStream()
	d := NewSilence(SilenceConfig{}, behave.Limits{})
	got := feed(d, events, refs)
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2 (silent, resumed): %+v", len(got), got)
	}
	silent, resumed := got[0], got[1]

	// The gaps are 7 to 13 s: p99 falls in the bucket [11.3 s, 13.5 s),
	// three times that is 40 s, so the 15-minute floor rules.
	if silent.Why.Threshold != 15 {
		t.Errorf("threshold %g min, want the 15 min floor", silent.Why.Threshold)
	}
	if !silent.Time.After(lastBefore.Add(15*time.Minute)) || silent.Time.After(lastBefore.Add(16*time.Minute)) {
		t.Errorf("silence reported at %s, want within the minute after %s", silent.Time, lastBefore.Add(15*time.Minute))
	}
	if silent.Level != "medium" || !strings.Contains(silent.Why.Baseline, "p99 13s") {
		t.Errorf("silent finding: level %q, baseline %q", silent.Level, silent.Why.Baseline)
	}
	wantEntities := []behave.Entity{
		{Field: "vigie.source", Value: "syslog-udp/10.0.0.5"},
		{Field: "host.name", Value: "web01"}, {Field: "event.dataset", Value: "syslog"},
	}
	if diff := cmp.Diff(wantEntities, silent.Entities, sortEntities); diff != "" {
		t.Errorf("silent entities (-want +got):\n%s", diff)
	}
	if len(silent.Evidence) != 1 || silent.Evidence[0] != refs[indexOf(events, lastBefore)] {
		t.Errorf("silent evidence %v, want the last event before the gap", silent.Evidence)
	}

	if resumed.Level != "informational" || !resumed.Time.Equal(firstAfter) || resumed.Why.Observed != 40 {
		t.Errorf("resumed finding: level %q at %s, %g minutes; want informational at %s, 40 minutes",
			resumed.Level, resumed.Time, resumed.Why.Observed, firstAfter)
	}
	if diff := cmp.Diff(wantEntities, resumed.Entities, sortEntities); diff != "" {
		t.Errorf("resumed entities (-want +got):\n%s", diff)
	}

	wantGaps := []Gap{{Source: "syslog-udp/10.0.0.5", Host: "web01", Dataset: "syslog", From: lastBefore, To: firstAfter}}
	if diff := cmp.Diff(wantGaps, d.Gaps()); diff != "" {
		t.Errorf("Gaps (-want +got):\n%s", diff)
	}
}

var sortEntities = cmp.Transformer("sort", func(es []behave.Entity) map[behave.Entity]bool {
	m := map[behave.Entity]bool{}
	for _, e := range es {
		m[e] = true
	}
	return m
})

func indexOf(events []*event.Event, t time.Time) int {
	for i, e := range events {
		if e.Time.Equal(t) {
			return i
		}
	}
	return -1
}

// TestSilenceOpenGap checks that a silence still open is listed by Gaps
// with no end, and is reported once however long it lasts.
func TestSilenceOpenGap(t *testing.T) {
	events, refs, lastBefore, _ := tenSecondStream()
	events, refs = events[:indexOf(events, lastBefore)+1], refs[:indexOf(events, lastBefore)+1]
	d := NewSilence(SilenceConfig{SourcesOnly: true}, behave.Limits{})
	got := feed(d, events, refs)
	for m := 1; m <= 180; m++ {
		got = append(got, d.Advance(lastBefore.Add(time.Duration(m)*time.Minute))...)
	}
	if len(got) != 1 {
		t.Fatalf("%d findings over 3 hours of silence, want 1", len(got))
	}
	if diff := cmp.Diff([]behave.Entity{{Field: "vigie.source", Value: "syslog-udp/10.0.0.5"}}, got[0].Entities); diff != "" {
		t.Errorf("SourcesOnly entities (-want +got):\n%s", diff)
	}
	want := []Gap{{Source: "syslog-udp/10.0.0.5", From: lastBefore}}
	if diff := cmp.Diff(want, d.Gaps()); diff != "" {
		t.Errorf("Gaps (-want +got):\n%s", diff)
	}
}

// TestSilenceWarmUp checks that a stream is not judged before its warm-up:
// the same 40-minute silence after 12 hours of the 24-hour warm-up.
func TestSilenceWarmUp(t *testing.T) {
	var events []*event.Event
	var refs []string
	for ts := day0; ts.Before(day0.Add(12 * time.Hour)); ts = ts.Add(10 * time.Second) {
		events = append(events, syslogEvent(ts, "file/a.log", ""))
		refs = append(refs, ts.String())
	}
	last := events[len(events)-1].Time
	events = append(events, syslogEvent(last.Add(40*time.Minute), "file/a.log", ""))
	refs = append(refs, "after")
	if got := feed(NewSilence(SilenceConfig{}, behave.Limits{}), events, refs); len(got) != 0 {
		t.Errorf("findings during warm-up: %+v", got)
	}
	// With a warm-up of 6 hours, it is judged.
	if got := feed(NewSilence(SilenceConfig{WarmUp: 6 * time.Hour}, behave.Limits{}), events, refs); len(got) != 2 {
		t.Errorf("%d findings after a 6-hour warm-up, want 2", len(got))
	}
}

// TestSilenceSnapshot checks that a detector restored from a snapshot taken
// mid-stream gives the same findings and gaps as one that ran throughout.
func TestSilenceSnapshot(t *testing.T) {
	events, refs, lastBefore, _ := tenSecondStream()
	whole := NewSilence(SilenceConfig{}, behave.Limits{})
	want := feed(whole, events, refs)

	for _, cut := range []int{len(events) / 2, indexOf(events, lastBefore) + 1} {
		first := NewSilence(SilenceConfig{}, behave.Limits{})
		got := feed(first, events[:cut], refs[:cut])
		prev := events[cut-1].Time
		if cut > len(events)/2 {
			// Cut during the silence, after it was reported: tick as feed
			// does for 20 minutes.
			end := lastBefore.Add(20 * time.Minute)
			for t := prev.Truncate(time.Minute).Add(time.Minute); t.Before(end); t = t.Add(time.Minute) {
				got = append(got, first.Advance(t)...)
				prev = t
			}
			if len(got) != 1 {
				t.Fatalf("%d findings before the cut in the silence, want 1", len(got))
			}
		}
		var snap bytes.Buffer
		if err := first.Snapshot(&snap); err != nil {
			t.Fatal(err)
		}
		second := NewSilence(SilenceConfig{}, behave.Limits{})
		if err := second.Restore(&snap); err != nil {
			t.Fatal(err)
		}
		got = append(got, feedFrom(second, prev, events[cut:], refs[cut:])...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cut at %d: findings differ (-whole +restored):\n%s", cut, diff)
		}
		if diff := cmp.Diff(whole.Gaps(), second.Gaps()); diff != "" {
			t.Errorf("cut at %d: gaps differ (-whole +restored):\n%s", cut, diff)
		}
	}
}

func TestSilenceRestoreOtherVersion(t *testing.T) {
	d := NewSilence(SilenceConfig{}, behave.Limits{})
	if err := d.Restore(strings.NewReader(`{"version":99,"streams":[{"k":1}]}`)); err != nil {
		t.Errorf("state of another version: %v, want it dropped", err)
	}
	if err := d.Restore(strings.NewReader(`{`)); err == nil {
		t.Error("truncated state accepted")
	}
	c := NewCleared(ClearedConfig{}, behave.Limits{})
	if err := c.Restore(strings.NewReader(`{"version":99,"hosts":{}}`)); err != nil {
		t.Errorf("cleared state of another version: %v, want it dropped", err)
	}
}

// TestSilenceBounded checks that the streams stay within MaxEntities.
func TestSilenceBounded(t *testing.T) {
	d := NewSilence(SilenceConfig{}, behave.Limits{MaxEntities: 10})
	for i := range 1000 {
		d.Observe(syslogEvent(day0.Add(time.Duration(i)*time.Second), event.SourceID("udp/10.0.0."+strconv.Itoa(i)), "h"+strconv.Itoa(i)), "r")
	}
	if n := d.streams.Len(); n != 10 {
		t.Errorf("%d streams, want 10", n)
	}
}

func TestGapHistogram(t *testing.T) {
	f := func(d time.Duration, want int) {
		t.Helper()
		if got := gapBucket(d); got != want {
			t.Errorf("gapBucket(%s) = %d, want %d", d, got, want)
		}
		if want > 0 && (d >= gapUpper(want) || d < gapUpper(want-1)) {
			t.Errorf("%s not in [%s, %s)", d, gapUpper(want-1), gapUpper(want))
		}
	}
	f(0, 0)
	f(999*time.Millisecond, 0)
	f(time.Second, 1)
	f(10*time.Second, 14) // 4·log2(10) = 13.3
	f(16*time.Second, 17)
	f(time.Hour, 48) // 4·log2(3600) = 47.3
	if got := gapBucket(1000 * time.Hour); got != gapBuckets-1 {
		t.Errorf("gapBucket(1000h) = %d, want the last bucket", got)
	}

	var h gapHistogram
	for i := range 100 {
		h.add(time.Duration(i+1) * time.Second) // 1 s … 100 s
	}
	if got := h.quantile(0.5); got < 50*time.Second || got > 60*time.Second {
		t.Errorf("median of 1…100 s = %s, want the edge of 50 s's bucket (53.8 s)", got)
	}
	if got := h.quantile(0.99); got < 99*time.Second || got > 118*time.Second {
		t.Errorf("p99 of 1…100 s = %s, want the edge of 99 s's bucket (107.6 s)", got)
	}
	for range 2 * gapHistory {
		h.add(time.Second)
	}
	if h.Total >= 2*gapHistory {
		t.Errorf("total %d not halved", h.Total)
	}
}

func TestSilenceConfigYAML(t *testing.T) {
	var cfg SilenceConfig
	dec := yaml.NewDecoder(strings.NewReader("k: 4\nfloor: 30m\nwarm_up: 48h\nmin_gaps: 50\nsources_only: true\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	want := SilenceConfig{K: 4, Floor: 30 * time.Minute, WarmUp: 48 * time.Hour, MinGaps: 50, SourcesOnly: true}
	if cfg != want {
		t.Errorf("decoded %+v, want %+v", cfg, want)
	}
	if got, def := (SilenceConfig{}).withDefaults(), DefaultSilenceConfig(); got != def {
		t.Errorf("zero config gives %+v, want the defaults %+v", got, def)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := (SilenceConfig{MinGaps: 50_000}).Validate(); err == nil {
		t.Error("min_gaps beyond the histogram's memory accepted")
	}
	if err := (SilenceConfig{Floor: 200 * time.Hour}).Validate(); err == nil {
		t.Error("a floor longer than forget accepted")
	}
}

// TestSilenceOpenSSH runs the silence detector over the times of a real
// log: loghub's OpenSSH_2k.log, 2,000 sshd lines of one host from Dec 10
// 06:55:46 to 11:04:45 (4 h 9 min), taken as one source. The warm-up is 1
// hour here, not the default day, because the file covers 4 hours.
//
// The log is bursty: half its gaps are 0 s and 90% at most 3 s, but the
// brute-force waves pause for minutes. Checked by hand against the log
// (awk over the timestamps), the gaps over 10 minutes are
//
//	07:13:56 → 07:27:50  13 min 54 s
//	07:56:15 → 08:07:00  10 min 45 s
//	08:08:43 → 08:20:23  11 min 40 s
//	08:44:27 → 09:04:46  20 min 19 s
//	09:20:03 → 09:31:22  11 min 19 s
//	09:32:42 → 09:45:06  12 min 24 s
//	09:48:32 → 10:04:52  16 min 20 s
//	10:21:09 → 10:32:27  11 min 18 s
//	10:33:55 → 10:47:18  13 min 23 s
//
// With the defaults, no silence is reported: by 08:44 the source's 292
// gaps put its p99 in the bucket ending at 12 min 4 s (its pauses of 11 to
// 14 minutes are its normal), so the threshold is 3 × that, 36 min, and no
// gap comes near. That is the right answer for a source whose pauses are
// part of its rhythm. With K = 1 (threshold max(p99, 15 min)), the two
// gaps over 15 minutes are found, each as one silence finding (the source
// and the host LabSZ's syslog stream together) and one resumed finding.
func TestSilenceOpenSSH(t *testing.T) {
	path := shareddata.Path(t, "linux/OpenSSH_2k.log")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := detect.New(detect.Config{}).ByName(detect.Syslog)
	var c decode.Collect
	if err := dec.Decode(bytes.NewReader(b), &c); err != nil {
		t.Fatal(err)
	}
	refs := make([]string, len(c.Events))
	for i, e := range c.Events {
		e.Source = "file/OpenSSH_2k.log"
		refs[i] = "OpenSSH_2k.log#" + strconv.Itoa(i+1)
	}
	year := c.Events[0].Time.Year()
	at := func(hms string) time.Time {
		t0, err := time.Parse("2006 Jan 2 15:04:05", strconv.Itoa(year)+" Dec 10 "+hms)
		if err != nil {
			t.Fatal(err)
		}
		return t0
	}
	// first and last give the line numbers of the first and last lines at
	// a time.
	first := func(hms string) string { return "OpenSSH_2k.log#" + strconv.Itoa(indexOf(c.Events, at(hms))+1) }
	last := func(hms string) string {
		i := indexOf(c.Events, at(hms))
		for i+1 < len(c.Events) && c.Events[i+1].Time.Equal(at(hms)) {
			i++
		}
		return "OpenSSH_2k.log#" + strconv.Itoa(i+1)
	}

	t.Run("defaults", func(t *testing.T) {
		d := NewSilence(SilenceConfig{WarmUp: time.Hour}, behave.Limits{})
		if got := feed(d, c.Events, refs); len(got) != 0 {
			t.Errorf("%d findings, want none: %+v", len(got), got)
		}
	})
	t.Run("k=1", func(t *testing.T) {
		d := NewSilence(SilenceConfig{WarmUp: time.Hour, K: 1}, behave.Limits{})
		got := feed(d, c.Events, refs)
		wantGaps := []Gap{
			{Source: "file/OpenSSH_2k.log", Host: "labsz", Dataset: "syslog", From: at("08:44:27"), To: at("09:04:46")},
			{Source: "file/OpenSSH_2k.log", Host: "labsz", Dataset: "syslog", From: at("09:48:32"), To: at("10:04:52")},
		}
		if diff := cmp.Diff(wantGaps, d.Gaps()); diff != "" {
			t.Errorf("gaps (-want +got):\n%s", diff)
		}
		var levels []string
		for _, f := range got {
			levels = append(levels, f.Level)
			t.Logf("%s %s: %s (threshold %.1f min; %s)", f.Time.Format("15:04:05"), f.Level, f.Title, f.Why.Threshold, f.Why.Baseline)
		}
		if diff := cmp.Diff([]string{"medium", "informational", "medium", "informational"}, levels); diff != "" {
			t.Fatalf("finding levels (-want +got):\n%s", diff)
		}
		for i, from := range []string{"08:44:27", "09:48:32"} {
			f := got[2*i]
			if f.Why.Threshold != 15 {
				t.Errorf("%s: threshold %g min, want the 15-minute floor", f.Title, f.Why.Threshold)
			}
			if !f.Time.After(at(from).Add(15*time.Minute)) || f.Time.After(at(from).Add(16*time.Minute)) {
				t.Errorf("silence after %s reported at %s, want within the minute after the threshold", from, f.Time)
			}
			if len(f.Entities) != 3 || f.Evidence[0] != last(from) {
				t.Errorf("%s: entities %v, evidence %v", f.Title, f.Entities, f.Evidence)
			}
		}
		if !strings.Contains(got[0].Why.Baseline, "p99 12m4s") {
			t.Errorf("baseline at 08:44 %q, want p99 12m4s", got[0].Why.Baseline)
		}
		if got[1].Evidence[0] != last("08:44:27") || got[1].Evidence[1] != first("09:04:46") {
			t.Errorf("resumed evidence %v, want the lines either side of the gap", got[1].Evidence)
		}
	})
}

// TestSilenceHostInSource checks that a host going quiet is seen while the
// relay that carries it, and another host, keep sending; and that events
// arriving late count for nothing.
func TestSilenceHostInSource(t *testing.T) {
	var events []*event.Event
	var refs []string
	stop, resume := day0.Add(25*time.Hour), day0.Add(25*time.Hour+30*time.Minute)
	for ts := day0; ts.Before(day0.Add(26 * time.Hour)); ts = ts.Add(5 * time.Second) {
		host := "web01"
		if ts.Unix()%10 == 5 {
			host = "web02"
			if !ts.Before(stop) && ts.Before(resume) {
				continue
			}
		}
		events = append(events, syslogEvent(ts, "syslog-udp/10.0.0.1", host))
		refs = append(refs, host+"@"+ts.Format(time.TimeOnly))
	}
	// A late event of web02 from before its silence.
	late := syslogEvent(stop.Add(-time.Hour), "syslog-udp/10.0.0.1", "web02")
	i := indexOf(events, stop.Add(10*time.Minute))
	events = append(events[:i], append([]*event.Event{late}, events[i:]...)...)
	refs = append(refs[:i], append([]string{"late"}, refs[i:]...)...)

	got := feed(NewSilence(SilenceConfig{}, behave.Limits{}), events, refs)
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2: %+v", len(got), got)
	}
	want := []behave.Entity{{Field: "host.name", Value: "web02"}, {Field: "event.dataset", Value: "syslog"}}
	for _, f := range got {
		if diff := cmp.Diff(want, f.Entities); diff != "" {
			t.Errorf("%s: entities (-want +got):\n%s", f.Title, diff)
		}
	}
	// web02's last event before is at stop − 10 s.
	if got[1].Why.Window != 30*time.Minute+10*time.Second {
		t.Errorf("resumed after %s, want 30m10s", got[1].Why.Window)
	}
}
