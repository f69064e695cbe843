package authn

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// t0 is the start of the synthetic streams.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// rec is one event of a test stream and its evidence reference.
type rec struct {
	ev  *event.Event
	ref string
}

// mk returns an event of the given format and fields, sorted.
func mk(at time.Time, format string, kv ...string) *event.Event {
	e := &event.Event{Time: at, Format: format}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], kv[i+1])
	}
	e.Sort()
	return e
}

// winLogon returns a Windows logon event as the evtx decoder gives it:
// code 4624 (success) or 4625 (failure), with its ECS fields.
func winLogon(at time.Time, code, user, domain, source, host string, extra ...string) *event.Event {
	outcome := event.OutcomeSuccess
	if code == "4625" || code == "4771" {
		outcome = event.OutcomeFailure
	}
	kv := []string{
		event.EventCategory, "authentication", event.EventType, "start", event.EventOutcome, outcome,
		event.EventCode, code, event.UserName, user, event.HostName, host,
	}
	if domain != "" {
		kv = append(kv, event.UserDomain, domain)
	}
	if source != "" {
		kv = append(kv, event.SourceIP, source)
	}
	return mk(at, "evtx", append(kv, extra...)...)
}

// failure and success return a failed and a successful Windows network logon.
func failure(at time.Time, user, source, host string) *event.Event {
	return winLogon(at, "4625", user, "CORP", source, host, "LogonType", "3")
}

func success(at time.Time, user, source, host string) *event.Event {
	return winLogon(at, "4624", user, "CORP", source, host, "LogonType", "3")
}

// stream numbers events as references "e1", "e2"….
func stream(evs ...*event.Event) []rec {
	out := make([]rec, len(evs))
	for i, e := range evs {
		out[i] = rec{e, fmt.Sprintf("e%d", i+1)}
	}
	return out
}

// observer is what run needs: a detector or a behave.Set.
type observer interface {
	Observe(ev *event.Event, ref string) []behave.Finding
	Advance(now time.Time) []behave.Finding
}

// run passes the stream to d and returns every finding, calling Advance
// after each event as a live pipeline would.
func run(d observer, recs []rec) []behave.Finding {
	var out []behave.Finding
	for _, r := range recs {
		out = append(out, d.Observe(r.ev, r.ref)...)
		out = append(out, d.Advance(r.ev.Time)...)
	}
	return out
}

// titles returns the titles of findings.
func titles(fs []behave.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Title)
	}
	return out
}

// checkTitles fails unless the findings have exactly the titles want, in
// order.
func checkTitles(t *testing.T, fs []behave.Finding, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, titles(fs)); diff != "" {
		t.Errorf("finding titles (-want +got):\n%s", diff)
	}
}

// checkResume runs the stream through one detector, and again through a
// detector snapshot after the first half and restored into a new one, and
// fails unless both give the same findings. It also checks that the
// findings are well formed.
func checkResume(t *testing.T, newDetector func() behave.Detector, recs []rec) {
	t.Helper()
	whole := run(newDetector(), recs)
	if len(whole) == 0 {
		t.Fatal("the stream gives no finding: the resume test would prove nothing")
	}
	for _, cut := range []int{len(recs) / 3, len(recs) / 2, 2 * len(recs) / 3} {
		first := newDetector()
		got := run(first, recs[:cut])
		var buf bytes.Buffer
		if err := first.Snapshot(&buf); err != nil {
			t.Fatalf("Snapshot: %v", err)
		}
		second := newDetector()
		if err := second.Restore(&buf); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		got = append(got, run(second, recs[cut:])...)
		if diff := cmp.Diff(whole, got); diff != "" {
			t.Errorf("snapshot after event %d of %d: findings differ from an uninterrupted run (-whole +resumed):\n%s", cut, len(recs), diff)
		}
	}
	checkWellFormed(t, whole, behave.Limits{}.WithDefaults().MaxEvidence)
}

// checkWellFormed checks what every finding must carry: detector, title,
// a Sigma level, time, entities with ECS names, a Why with an observed
// value, a unit, a window and a sentence, bounded evidence, ATT&CK tags.
func checkWellFormed(t *testing.T, fs []behave.Finding, maxEvidence int) {
	t.Helper()
	levels := map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}
	ecs := map[string]bool{
		event.SourceIP: true, event.UserName: true, event.UserDomain: true, event.HostName: true,
		"user.target.name": true, "group.name": true,
	}
	for _, f := range fs {
		switch {
		case f.Detector == "" || f.Title == "" || f.Time.IsZero():
			t.Errorf("finding without detector, title or time: %+v", f)
		case !levels[f.Level]:
			t.Errorf("%s: level %q is not a Sigma level", f.Title, f.Level)
		case len(f.Entities) == 0:
			t.Errorf("%s: no entities", f.Title)
		case f.Why.Unit == "" || f.Why.Window <= 0 || !strings.HasSuffix(f.Why.Text, ".") || f.Why.Observed == 0:
			t.Errorf("%s: incomplete Why %+v", f.Title, f.Why)
		case f.Why.Threshold == 0 && f.Why.Baseline == "":
			t.Errorf("%s: Why has neither threshold nor baseline: %+v", f.Title, f.Why)
		case len(f.Evidence) == 0 || len(f.Evidence) > maxEvidence || f.Truncated < 0:
			t.Errorf("%s: %d evidence references (truncated %d), want 1 to %d", f.Title, len(f.Evidence), f.Truncated, maxEvidence)
		}
		for _, e := range f.Entities {
			if !ecs[e.Field] || e.Value == "" {
				t.Errorf("%s: entity %+v", f.Title, e)
			}
		}
		attack, tactic := false, false
		for _, tag := range f.Tags {
			attack = attack || strings.HasPrefix(tag, "attack.t")
			tactic = tactic || (strings.HasPrefix(tag, "attack.") && !strings.HasPrefix(tag, "attack.t1"))
		}
		if !attack || !tactic {
			t.Errorf("%s: tags %v lack a technique or a tactic", f.Title, f.Tags)
		}
	}
}

// entity returns the values of the named entity of f.
func entity(f behave.Finding, field string) []string {
	var out []string
	for _, e := range f.Entities {
		if e.Field == field {
			out = append(out, e.Value)
		}
	}
	return out
}

// decodeLines decodes log text with the format the registry detects for
// it, and numbers the events "name#1"….
func decodeLines(t testing.TB, name string, text []byte) []rec {
	t.Helper()
	r := detect.New(detect.Config{})
	format := r.Detect(text[:min(len(text), 16<<10)], name)
	d, found := r.ByName(format)
	if !found {
		t.Fatalf("no decoder for format %q", format)
	}
	var c decode.Collect
	if err := d.Decode(bytes.NewReader(text), &c); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	out := make([]rec, len(c.Events))
	for i, e := range c.Events {
		out[i] = rec{e, fmt.Sprintf("%s#%d", name, i+1)}
	}
	return out
}

// decodeShared decodes a file of the shared data folder (it skips the
// test when the folder is absent).
func decodeShared(t testing.TB, rel string) []rec {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return decodeLines(t, rel, b)
}
