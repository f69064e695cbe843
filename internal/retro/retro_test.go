package retro

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
	"github.com/vigie-sec/vigie/internal/breachtest"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/intel"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// finding is what two runs must agree on: the rule or detector and the
// evidence, as stored event IDs.
type finding struct {
	Rule     string
	Evidence string
}

func findingOf(e *event.Event) finding {
	id, _ := e.Get("rule.id")
	var refs []string
	for _, f := range e.Values("vigie.evidence") {
		refs = append(refs, f.Value)
	}
	return finding{id, strings.Join(refs, ",")}
}

func sortFindings(fs []finding) []finding {
	slices.SortFunc(fs, func(a, b finding) int {
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Evidence, b.Evidence)
	})
	return fs
}

func loadRules(t *testing.T) *detect.RuleSet {
	t.Helper()
	rs, err := detect.Load(detect.Config{}, breachtest.RulesDir())
	if err != nil {
		t.Fatal(err)
	}
	if rs.Counts()[detect.StatusOK] == 0 {
		t.Fatal("no usable rule in rules/")
	}
	return rs
}

// engineRun is the reference: a plain detect.Engine fed the stored events
// of [from, to) in ID order, then flushed.
func engineRun(t *testing.T, st store.Scanner, eng *detect.Engine, from, to time.Time) []finding {
	t.Helper()
	ctx := context.Background()
	var out []finding
	collect := func(alerts []detect.Alert) {
		for i := range alerts {
			out = append(out, findingOf(alerts[i].ToEvent(time.Now())))
		}
	}
	var after event.ID
	for {
		evs, err := st.Scan(ctx, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			after = ev.ID
			if ev.Kind != event.KindEvent || (!from.IsZero() && ev.Time.Before(from)) || (!to.IsZero() && !ev.Time.Before(to)) {
				continue
			}
			collect(eng.Process(ev, strconv.FormatInt(int64(ev.ID), 10)))
		}
	}
	collect(eng.Flush())
	return sortFindings(out)
}

// huntAlerts returns the stored alerts of hunt id.
func huntAlerts(t *testing.T, st store.Scanner, after event.ID, id string) []*event.Event {
	t.Helper()
	var out []*event.Event
	for {
		evs, err := st.Scan(context.Background(), after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		for _, ev := range evs {
			after = ev.ID
			if v, _ := ev.Get(FieldHuntID); v == id && ev.Kind == event.KindAlert {
				out = append(out, ev)
			}
		}
	}
}

// collector keeps what OnAlerts is given.
type collector struct {
	mu     sync.Mutex
	alerts []*event.Event
}

func (c *collector) on(_ context.Context, alerts []*event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alerts = append(c.alerts, alerts...)
}

func (c *collector) ids() []event.ID {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []event.ID
	for _, a := range c.alerts {
		ids = append(ids, a.ID)
	}
	return ids
}

func wait(t *testing.T, m *Manager, id string) *Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	j, err := m.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestHuntMatchesEngine runs the bundled rules over the stored breach and
// checks that the hunt stores exactly the alerts a plain engine raises
// over the same events, marked with the hunt, given to OnAlerts, and
// that the time bounds select the events a store count selects.
func TestHuntMatchesEngine(t *testing.T) {
	t.Parallel()
	b := breachtest.Load(t)
	rs := loadRules(t)
	ctx := context.Background()
	kindEvent, err := query.Parse("event.kind:event")
	if err != nil {
		t.Fatal(err)
	}
	start := b.Truth.Start
	for _, tc := range []struct {
		name     string
		from, to time.Time
	}{
		{"whole history", time.Time{}, time.Time{}},
		{"days 2 to 5", start.Add(48 * time.Hour), start.Add(120 * time.Hour)},
		{"from day 6", start.Add(144 * time.Hour), time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := engineRun(t, b.Store, rs.NewEngine(), tc.from, tc.to)
			if len(want) == 0 {
				t.Fatal("the reference run raised no alert: the case proves nothing")
			}
			var got collector
			m := New(Deps{Store: b.Store, OnAlerts: got.on}, Config{})
			defer m.Close()
			// IDs run from 1 without gaps: the highest is the count.
			all, err := b.Store.Count(ctx, store.Query{})
			if err != nil {
				t.Fatal(err)
			}
			before := event.ID(all)
			j, err := m.Start(ctx, Spec{Name: "retro " + tc.name, Rules: rs, From: tc.from, To: tc.to, RequestedBy: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if j.State != Running || j.Last != before || j.Total != int64(before) {
				t.Errorf("at start: state %s, last %d, total %d; want running, %d, %d", j.State, j.Last, j.Total, before, before)
			}
			j = wait(t, m, j.ID)
			if j.State != Done || j.Error != "" {
				t.Fatalf("hunt ended %s (%s), want done", j.State, j.Error)
			}
			stored := huntAlerts(t, b.Store, before, j.ID)
			var fs []finding
			for _, a := range stored {
				fs = append(fs, findingOf(a))
				if name, _ := a.Get(FieldHuntName); name != "retro "+tc.name {
					t.Fatalf("alert %d: %s = %q, want %q", a.ID, FieldHuntName, name, "retro "+tc.name)
				}
				if !slices.IsSortedFunc(a.Fields, func(x, y event.Field) int { return strings.Compare(x.Name, y.Name) }) {
					t.Fatalf("alert %d: fields not sorted", a.ID)
				}
			}
			if diff := cmp.Diff(want, sortFindings(fs)); diff != "" {
				t.Errorf("hunt alerts differ from the engine's (-engine +hunt):\n%s", diff)
			}
			var storedIDs []event.ID
			for _, a := range stored {
				storedIDs = append(storedIDs, a.ID)
			}
			if diff := cmp.Diff(storedIDs, got.ids()); diff != "" {
				t.Errorf("OnAlerts was not given the stored alerts (-stored +given):\n%s", diff)
			}
			n, err := b.Store.Count(ctx, store.Query{Expr: kindEvent, From: tc.from, To: tc.to})
			if err != nil {
				t.Fatal(err)
			}
			if j.Matched != n {
				t.Errorf("matched %d events, the store counts %d in the bounds", j.Matched, n)
			}
			if j.Scanned != j.Total || j.Position != before || j.Progress() != 1 || j.Alerts != int64(len(stored)) {
				t.Errorf("scanned %d of %d up to %d, progress %g, alerts %d; want %d of %d up to %d, 1, %d",
					j.Scanned, j.Total, j.Position, j.Progress(), j.Alerts, before, before, before, len(stored))
			}
			if j.Rules != rs.Counts()[detect.StatusOK] || j.RequestedBy != "alice" {
				t.Errorf("rules %d, requested by %q; want %d, alice", j.Rules, j.RequestedBy, rs.Counts()[detect.StatusOK])
			}
			t.Logf("%d events in range of %d read, %d alerts", j.Matched, j.Scanned, j.Alerts)
		})
	}
}

// buildDetectors returns a function building the named detectors afresh.
func buildDetectors(t *testing.T, geoPath string, names ...string) func() *behave.Set {
	t.Helper()
	cfg := catalog.DefaultConfig()
	if _, _, err := catalog.Build(names, geoPath, "", &cfg); err != nil {
		t.Fatal(err)
	}
	return func() *behave.Set {
		ds, _, err := catalog.Build(names, geoPath, "", &cfg)
		if err != nil {
			panic("BUG: detectors built once fail to build again: " + err.Error())
		}
		return behave.NewSet(ds...)
	}
}

// TestHuntMatchesLive runs the rules and every behaviour detector over
// the breach: the hunt must raise exactly what live detection raised
// over the same events (breachtest stored its alerts).
func TestHuntMatchesLive(t *testing.T) {
	t.Parallel()
	b := breachtest.Load(t)
	var want []finding
	for _, a := range b.Alerts {
		want = append(want, findingOf(a))
	}
	m := New(Deps{Store: b.Store}, Config{})
	defer m.Close()
	j, err := m.Start(context.Background(), Spec{Name: "everything", Rules: loadRules(t),
		Behaviour: buildDetectors(t, b.GeoIP, "all")})
	if err != nil {
		t.Fatal(err)
	}
	j = wait(t, m, j.ID)
	if j.State != Done {
		t.Fatalf("hunt ended %s (%s)", j.State, j.Error)
	}
	var got []finding
	for _, a := range huntAlerts(t, b.Store, j.Last, j.ID) {
		got = append(got, findingOf(a))
	}
	if diff := cmp.Diff(sortFindings(want), sortFindings(got)); diff != "" {
		t.Errorf("hunt alerts differ from live detection's (-live +hunt):\n%s", diff)
	}
	if len(j.Detectors) != len(catalog.Names()) {
		t.Errorf("detectors %v, want all %d", j.Detectors, len(catalog.Names()))
	}
}

// TestBehaviourOnly is the retro-match of new indicators' shape: a hunt
// with no rules and one detector finds what that detector found live.
func TestBehaviourOnly(t *testing.T) {
	t.Parallel()
	b := breachtest.Load(t)
	// The detector that raised most live alerts.
	byDetector := map[string][]finding{}
	for _, a := range b.Alerts {
		if d, ok := a.Get("vigie.detector"); ok {
			byDetector[d] = append(byDetector[d], findingOf(a))
		}
	}
	var name string
	for d, fs := range byDetector {
		if len(fs) > len(byDetector[name]) || (len(fs) == len(byDetector[name]) && d < name) {
			name = d
		}
	}
	if name == "" {
		t.Fatal("no behaviour alert in the breach")
	}
	var seen collector
	m := New(Deps{Store: b.Store, OnAlerts: seen.on}, Config{})
	defer m.Close()
	j, err := m.Start(context.Background(), Spec{Name: "only " + name, Behaviour: buildDetectors(t, b.GeoIP, name)})
	if err != nil {
		t.Fatal(err)
	}
	j = wait(t, m, j.ID)
	if j.State != Done || j.Rules != 0 || !slices.Equal(j.Detectors, []string{name}) {
		t.Fatalf("hunt %s (%s), rules %d, detectors %v; want done, 0, [%s]", j.State, j.Error, j.Rules, j.Detectors, name)
	}
	var got []finding
	for _, a := range seen.alerts {
		if id, _ := a.Get(FieldHuntID); id != j.ID {
			t.Fatalf("alert %d given to OnAlerts has %s %q, want %q", a.ID, FieldHuntID, id, j.ID)
		}
		got = append(got, findingOf(a))
	}
	if diff := cmp.Diff(sortFindings(byDetector[name]), sortFindings(got)); diff != "" {
		t.Errorf("%s alone: hunt differs from live (-live +hunt):\n%s", name, diff)
	}
	t.Logf("%s: %d alerts", name, len(got))
}

// TestStop stops a hunt from its first alerts: it reads no further batch,
// ends stopped, and the alerts it counted are stored.
func TestStop(t *testing.T) {
	t.Parallel()
	b := breachtest.Load(t)
	ctx := context.Background()
	var (
		m         *Manager
		mu        sync.Mutex
		atStop    int64 = -1
		given     int
		stopError error
	)
	const batch = 500
	m = New(Deps{Store: b.Store, OnAlerts: func(_ context.Context, alerts []*event.Event) {
		mu.Lock()
		defer mu.Unlock()
		given += len(alerts)
		if atStop >= 0 {
			return
		}
		id, _ := alerts[0].Get(FieldHuntID)
		j, err := m.Get(id)
		if err != nil {
			stopError = err
			return
		}
		atStop = j.Scanned
		stopError = m.Stop(id)
	}}, Config{Batch: batch})
	defer m.Close()
	j, err := m.Start(ctx, Spec{Name: "stopped", Rules: loadRules(t)})
	if err != nil {
		t.Fatal(err)
	}
	j = wait(t, m, j.ID)
	if stopError != nil {
		t.Fatal(stopError)
	}
	if j.State != Stopped || j.Error != "" || j.Ended.IsZero() {
		t.Errorf("hunt ended %s (%q) at %v, want stopped", j.State, j.Error, j.Ended)
	}
	// Every batch of this data raises far fewer than batch alerts, so
	// they are stored once per batch, after its progress is counted.
	if j.Scanned != atStop || j.Scanned >= j.Total || j.Scanned%batch != 0 {
		t.Errorf("scanned %d of %d; stop came at %d, on a batch boundary of %d", j.Scanned, j.Total, atStop, batch)
	}
	if p := j.Progress(); p <= 0 || p >= 1 {
		t.Errorf("progress %g, want between 0 and 1", p)
	}
	stored := huntAlerts(t, b.Store, j.Last, j.ID)
	if int64(len(stored)) != j.Alerts || len(stored) != given || given == 0 {
		t.Errorf("%d alerts stored, %d counted, %d given to OnAlerts", len(stored), j.Alerts, given)
	}
	if err := m.Stop(j.ID); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Stop of a stopped hunt: %v, want ErrNotRunning", err)
	}
	if _, err := m.Get("nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("Get of an unknown hunt: %v, want ErrUnknownJob", err)
	}
	t.Logf("stopped after %d of %d events with %d alerts", j.Scanned, j.Total, j.Alerts)
}

// blocker holds a hunt inside its at-th call of OnAlerts until released.
type blocker struct {
	at      int
	calls   int
	mu      sync.Mutex
	entered chan string // the hunt's ID, once
	release chan struct{}
}

func newBlocker(at int) *blocker {
	return &blocker{at: at, entered: make(chan string, 1), release: make(chan struct{})}
}

func (b *blocker) on(_ context.Context, alerts []*event.Event) {
	b.mu.Lock()
	b.calls++
	block := b.calls == b.at
	b.mu.Unlock()
	if !block {
		return
	}
	id, _ := alerts[0].Get(FieldHuntID)
	b.entered <- id
	<-b.release
}

// TestRestart checks that hunts are kept in the store: a second manager
// over the same store lists a finished hunt as it ended and marks one
// still running as failed, with the progress it had saved, and numbers
// new hunts after them.
func TestRestart(t *testing.T) {
	t.Parallel()
	b := breachtest.Load(t)
	ctx := context.Background()
	rs := loadRules(t)
	// Hunt 2 is held in its second delivery of alerts; its progress is
	// saved after every batch, so the store has the first one.
	block := newBlocker(2)
	first := New(Deps{Store: b.Store, OnAlerts: func(ctx context.Context, alerts []*event.Event) {
		if id, _ := alerts[0].Get(FieldHuntID); id == "2" {
			block.on(ctx, alerts)
		}
	}}, Config{Batch: 1000, SaveEvery: time.Nanosecond})
	finished, err := first.Start(ctx, Spec{Name: "finished", Rules: rs, To: b.Truth.Start.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	finished = wait(t, first, finished.ID)
	running, err := first.Start(ctx, Spec{Name: "interrupted", Rules: rs})
	if err != nil {
		t.Fatal(err)
	}
	if id := <-block.entered; id != running.ID || running.ID != "2" {
		t.Fatalf("blocked hunt %s, started %s", id, running.ID)
	}
	rec, err := b.Store.GetRecord(ctx, RecordKind, running.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j, err := decodeJob(rec); err != nil || j.State != Running {
		t.Fatalf("stored status of the running hunt: %+v, %v", j, err)
	}

	// The process "restarts": a new manager over the same store.
	second := New(Deps{Store: b.Store}, Config{})
	if err := second.Load(ctx); err != nil {
		t.Fatal(err)
	}
	list := second.List()
	if len(list) != 2 || list[0].ID != running.ID || list[1].ID != finished.ID {
		t.Fatalf("listed %d hunts %v, want %s then %s", len(list), list, running.ID, finished.ID)
	}
	if diff := cmp.Diff(finished, list[1]); diff != "" {
		t.Errorf("finished hunt after restart (-before +after):\n%s", diff)
	}
	if j := list[0]; j.State != Failed || j.Error != "interrupted by restart" || j.Ended.IsZero() || j.Name != "interrupted" {
		t.Errorf("interrupted hunt: %s %q ended %v name %q; want failed, interrupted by restart", j.State, j.Error, j.Ended, j.Name)
	}
	if j := list[0]; j.Scanned == 0 || j.Scanned%1000 != 0 || j.Scanned >= j.Total || j.Alerts == 0 || j.Position != event.ID(j.Scanned) {
		t.Errorf("interrupted hunt's saved progress: scanned %d of %d up to %d, %d alerts; want whole batches, some alerts",
			j.Scanned, j.Total, j.Position, j.Alerts)
	}
	rec, err = b.Store.GetRecord(ctx, RecordKind, running.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j, err := decodeJob(rec); err != nil || j.State != Failed {
		t.Errorf("stored status after Load: %+v, %v; want failed", j, err)
	}
	next, err := second.Start(ctx, Spec{Name: "after restart", Rules: rs, To: b.Truth.Start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if next.ID != "3" {
		t.Errorf("new hunt after restart has ID %s, want 3", next.ID)
	}
	if j := wait(t, second, next.ID); j.State != Done {
		t.Errorf("hunt after restart ended %s (%s)", j.State, j.Error)
	}
	second.Close()

	close(block.release)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if j, _ := first.Get(running.ID); j.State != Stopped || j.Error != "stopped at shutdown" {
		t.Errorf("after Close: %s %q, want stopped at shutdown", j.State, j.Error)
	}
	if _, err := first.Start(ctx, Spec{Rules: rs}); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
}

// TestBusy checks MaxJobs.
func TestBusy(t *testing.T) {
	t.Parallel()
	b := breachtest.Load(t)
	ctx := context.Background()
	rs := loadRules(t)
	block := newBlocker(1)
	m := New(Deps{Store: b.Store, OnAlerts: block.on}, Config{MaxJobs: 1})
	defer m.Close()
	j, err := m.Start(ctx, Spec{Rules: rs})
	if err != nil {
		t.Fatal(err)
	}
	<-block.entered
	if _, err := m.Start(ctx, Spec{Rules: rs}); !errors.Is(err, ErrBusy) {
		t.Errorf("second hunt with MaxJobs 1: %v, want ErrBusy", err)
	}
	if err := m.Stop(j.ID); err != nil {
		t.Fatal(err)
	}
	close(block.release)
	if j := wait(t, m, j.ID); j.State != Stopped {
		t.Errorf("hunt ended %s, want stopped", j.State)
	}
	again, err := m.Start(ctx, Spec{Rules: rs, To: b.Truth.Start.Add(time.Hour)})
	if err != nil {
		t.Fatalf("hunt after the first stopped: %v", err)
	}
	wait(t, m, again.ID)
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestBounds checks the IDs a hunt reads on stores of several sizes,
// before and after retention deletes the oldest events.
func TestBounds(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 2, 1023, 1024, 1025, 2049, 7000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			st := openStore(t)
			t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			for i := 0; i < n; i += 1000 {
				var batch []*event.Event
				for k := i; k < min(n, i+1000); k++ {
					e := &event.Event{Time: t0.Add(time.Duration(k) * time.Second), Source: "test", Format: "test"}
					e.Add("k", strconv.Itoa(k))
					batch = append(batch, e)
				}
				if err := st.Append(ctx, batch); err != nil {
					t.Fatal(err)
				}
			}
			start, last, err := bounds(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if start != 0 || last != event.ID(n) {
				t.Fatalf("bounds (%d, %d], want (0, %d]", start, last, n)
			}
			if n < 2 {
				return
			}
			// Drop the older half.
			now := t0.Add(time.Duration(n)*time.Second + time.Hour)
			if _, err := st.Prune(ctx, store.Retention{MaxAge: now.Sub(t0.Add(time.Duration(n/2) * time.Second))}, now); err != nil {
				t.Fatal(err)
			}
			start, last, err = bounds(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if start != event.ID(n/2) || last != event.ID(n) {
				t.Fatalf("after pruning: bounds (%d, %d], want (%d, %d]", start, last, n/2, n)
			}
		})
	}
}

// TestEmptyStore checks that a hunt over nothing is done at once.
func TestEmptyStore(t *testing.T) {
	st := openStore(t)
	m := New(Deps{Store: st}, Config{})
	defer m.Close()
	j, err := m.Start(context.Background(), Spec{Rules: detect.Compile(detect.Config{}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	j = wait(t, m, j.ID)
	if j.State != Done || j.Total != 0 || j.Scanned != 0 || j.Progress() != 1 {
		t.Errorf("empty store: %s, total %d, scanned %d, progress %g", j.State, j.Total, j.Scanned, j.Progress())
	}
}

func TestValidate(t *testing.T) {
	rs := detect.Compile(detect.Config{}, nil)
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for name, s := range map[string]Spec{
		"nothing to run":  {Name: "x"},
		"from after to":   {Rules: rs, From: t0.Add(time.Hour), To: t0},
		"from equals to":  {Rules: rs, From: t0, To: t0},
		"long name":       {Rules: rs, Name: strings.Repeat("a", MaxNameLen+1)},
		"invalid UTF-8":   {Rules: rs, Name: "\xff"},
		"long requester":  {Rules: rs, RequestedBy: strings.Repeat("a", MaxNameLen+1)},
		"nil set builder": {Behaviour: func() *behave.Set { return nil }},
	} {
		t.Run(name, func(t *testing.T) {
			m := New(Deps{Store: openStore(t)}, Config{})
			defer m.Close()
			if _, err := m.Start(context.Background(), s); !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("Start: %v, want ErrInvalidSpec", err)
			}
			if l := m.List(); len(l) != 0 {
				t.Errorf("refused hunt listed: %v", l)
			}
		})
	}
	for _, c := range []Config{{MaxJobs: -1}, {Batch: -1}, {Batch: store.MaxLimit + 1}, {SaveEvery: -time.Second}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Config %+v: valid, want an error", c)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}

// TestIndicatorRetroMatch is the retro-match of a new indicator: a hunt
// with no rules whose only detector is the IOC detector of the breach's
// attacker address raises what that detector raises when fed the stored
// events directly, and each alert names an event holding the address.
func TestIndicatorRetroMatch(t *testing.T) {
	t.Parallel()
	b := breachtest.Load(t)
	ctx := context.Background()
	ip := b.Truth.Breach.AttackerIP
	ind := intel.Indicator{ID: "ip:" + ip, Type: intel.IP, Value: ip, Confidence: 90, Source: "cert-feed", Format: intel.FormatCSV}
	if err := ind.Validate(); err != nil {
		t.Fatal(err)
	}
	detectors := func() *behave.Set {
		return behave.NewSet(intel.NewDetector(intel.Compile([]intel.Indicator{ind})))
	}
	ref := detect.Compile(detect.Config{}, nil).NewEngine()
	ref.SetBehaviour(detectors())
	want := engineRun(t, b.Store, ref, time.Time{}, time.Time{})
	if len(want) == 0 {
		t.Fatalf("the IOC detector finds nothing of %s: the case proves nothing", ip)
	}
	var seen collector
	m := New(Deps{Store: b.Store, OnAlerts: seen.on}, Config{})
	defer m.Close()
	j, err := m.Start(ctx, Spec{Name: "indicator " + ip, RequestedBy: "policy:intel", Behaviour: detectors})
	if err != nil {
		t.Fatal(err)
	}
	j = wait(t, m, j.ID)
	if j.State != Done || j.Rules != 0 || !slices.Equal(j.Detectors, []string{"ioc"}) {
		t.Fatalf("hunt %s (%s), rules %d, detectors %v", j.State, j.Error, j.Rules, j.Detectors)
	}
	var got []finding
	for _, a := range seen.alerts {
		got = append(got, findingOf(a))
		for _, f := range a.Values("vigie.evidence") {
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil {
				t.Fatalf("alert %d: evidence %q is not a stored event ID", a.ID, f.Value)
			}
			ev, err := b.Store.Get(ctx, event.ID(n))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(ev.String(), ip) {
				t.Errorf("alert %d: evidence event %d does not hold %s: %s", a.ID, n, ip, ev)
			}
		}
	}
	if diff := cmp.Diff(want, sortFindings(got)); diff != "" {
		t.Errorf("indicator hunt (-detector fed directly +hunt):\n%s", diff)
	}
	t.Logf("%s: %d alerts", ip, len(got))
}
