package network

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// record is one decoded event and its evidence reference.
type record struct {
	ev  *event.Event
	ref string
}

// loadEvents decodes the files of a shared data folder whose names
// match one of the globs, and returns their events in time order (stable,
// so that records of one time keep file order): the order a hunt over
// several logs feeds the detectors.
func loadEvents(t testing.TB, dir string, globs ...string) []record {
	t.Helper()
	root := shareddata.Path(t, dir)
	reg := detect.New(detect.Config{})
	var out []record
	for _, g := range globs {
		paths, err := filepath.Glob(filepath.Join(root, g))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no file matches %s in %s (%v)", g, dir, err)
		}
		slices.Sort(paths)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			format := reg.Detect(b[:min(len(b), 16<<10)], filepath.Base(p))
			dec, ok := reg.ByName(format)
			if !ok {
				t.Fatalf("%s: no decoder for %s", p, format)
			}
			var c decode.Collect
			if err := dec.Decode(bytes.NewReader(b), &c); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for i, ev := range c.Events {
				out = append(out, record{ev, fmt.Sprintf("%s#%d", filepath.Base(p), i+1)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b record) int { return a.ev.Time.Compare(b.ev.Time) })
	return out
}

// run feeds the records to d, advancing time to each event as a stream
// would, then flushes it.
func run(d behave.Detector, recs []record) []behave.Finding {
	var out []behave.Finding
	for _, r := range recs {
		out = append(out, d.Observe(r.ev, r.ref)...)
	}
	if f, ok := d.(interface{ Flush() []behave.Finding }); ok {
		out = append(out, f.Flush()...)
	}
	return out
}

// runWithRestart does as run, but snapshots d after half the records,
// restores the snapshot into fresh() and goes on with that.
func runWithRestart(t *testing.T, d behave.Detector, fresh func() behave.Detector, recs []record) []behave.Finding {
	t.Helper()
	half := len(recs) / 2
	var out []behave.Finding
	for _, r := range recs[:half] {
		out = append(out, d.Observe(r.ev, r.ref)...)
	}
	var buf bytes.Buffer
	if err := d.Snapshot(&buf); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	d2 := fresh()
	if err := d2.Restore(&buf); err != nil {
		t.Fatalf("restore: %v", err)
	}
	return append(out, run(d2, recs[half:])...)
}

// entity returns the first value of an entity field of a finding.
func entity(f behave.Finding, field string) string {
	for _, e := range f.Entities {
		if e.Field == field {
			return e.Value
		}
	}
	return ""
}

// summary is one line per finding, for failure messages and logs.
func summary(fs []behave.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %s [%s] %.3f %s", f.Time.UTC().Format(time.RFC3339), f.Title, f.Level, f.Why.Observed, f.Why.Unit)
	}
	return b.String()
}

// ev builds an event from name=value pairs.
func ev(at time.Time, kv ...string) *event.Event {
	e := &event.Event{Time: at, Format: "test"}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], kv[i+1])
	}
	e.Sort()
	return e
}

// connEvent is a Zeek conn record.
func connEvent(at time.Time, uid, src, dst string, port int, state string, out, in int64, dur time.Duration) *event.Event {
	return ev(at,
		event.EventDataset, "zeek.conn", "uid", uid,
		event.SourceIP, src, event.DestinationIP, dst, event.DestinationPort, fmt.Sprint(port),
		event.NetworkTransport, "tcp", "conn_state", state,
		event.SourceBytes, fmt.Sprint(out), event.DestinationBytes, fmt.Sprint(in),
		"orig_ip_bytes", fmt.Sprint(out+40), "event.duration", fmt.Sprint(dur.Nanoseconds()))
}

func sortFindings(fs []behave.Finding) {
	slices.SortFunc(fs, func(a, b behave.Finding) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Title, b.Title))
	})
}

func sortRecords(recs []record) {
	slices.SortStableFunc(recs, func(a, b record) int { return a.ev.Time.Compare(b.ev.Time) })
}
