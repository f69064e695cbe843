// Package breachtest gives tests the simulator's breach as Vigie holds it
// after a live run: every record of a fixed simulation decoded and stored
// in a SQLite store, and the alerts that Vigie's bundled rules (rules/)
// and every behaviour detector raised over it, stored as alert events.
// Incidents, scope reports and response are tested against it and
// checked with the simulation's ground truth (truth.json, labels.jsonl).
//
// The simulation is generated, decoded and detected once per test
// binary; each Load gets its own store holding the same events under the
// same IDs.
package breachtest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
	"github.com/vigie-sec/vigie/internal/decode"
	formats "github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
	"github.com/vigie-sec/vigie/internal/simulate"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// Seed and Days are the simulation's configuration.
const (
	Seed = 1
	Days = 7
)

// Breach is the stored simulation.
type Breach struct {
	Store  *sqlite.Store // closed when the test ends
	Truth  simulate.Truth
	Labels []simulate.Label
	// Alerts are the stored alert events, in ID order; their evidence
	// (vigie.evidence) names stored event IDs.
	Alerts []*event.Event
	// Refs maps each stored event's ID to its record, "file#line" as
	// labels.jsonl names records.
	Refs map[event.ID]string
	// Events is the number of stored events (IDs 1 to Events); the alerts
	// follow them.
	Events int
	// GeoIP is the path of a City database built from the simulation's
	// geo.csv.
	GeoIP string
}

// Labelled returns the label of a stored event, if the record is part of
// the breach.
func (b *Breach) Labelled(id event.ID) (simulate.Label, bool) {
	ref, ok := b.Refs[id]
	if !ok {
		return simulate.Label{}, false
	}
	l, ok := shared.labelOf[ref]
	return l, ok
}

// generated is what every Load shares.
type generated struct {
	truth  simulate.Truth
	labels []simulate.Label
	events []*event.Event // decoded, in time order; never modified
	refs   []string       // refs[i] is the record of events[i]
	alerts []*event.Event // as detected, IDs cleared
	geo    []geoiptest.Record
	// labelOf maps "file#line" to the record's label.
	labelOf map[string]simulate.Label
}

var (
	once    sync.Once
	shared  *generated
	loadErr error
)

// Load returns the breach in a new store in a temporary folder of tb.
// It skips the test with -short: a week of logs is stored and detected.
func Load(tb testing.TB) *Breach {
	tb.Helper()
	if testing.Short() {
		tb.Skip("breachtest: stores and detects a week of simulated logs; not with -short")
	}
	once.Do(func() { shared, loadErr = generate() })
	if loadErr != nil {
		tb.Fatalf("breachtest: %v", loadErr)
	}
	dir := tb.TempDir()
	geoPath := filepath.Join(dir, "geo.mmdb")
	geoiptest.Write(tb, geoPath, shared.geo)
	st, err := sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		tb.Fatalf("breachtest: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	b := &Breach{Store: st, Truth: shared.truth, Labels: shared.labels, Refs: map[event.ID]string{},
		Events: len(shared.events), GeoIP: geoPath}
	ctx := context.Background()
	if err := appendAll(ctx, st, shared.events, func(i int, id event.ID) { b.Refs[id] = shared.refs[i] }); err != nil {
		tb.Fatalf("breachtest: %v", err)
	}
	if err := appendAll(ctx, st, shared.alerts, nil); err != nil {
		tb.Fatalf("breachtest: %v", err)
	}
	b.Alerts, err = st.Scan(ctx, event.ID(len(shared.events)), len(shared.alerts)+1)
	if err != nil || len(b.Alerts) != len(shared.alerts) {
		tb.Fatalf("breachtest: reading back %d alerts: got %d, %v", len(shared.alerts), len(b.Alerts), err)
	}
	return b
}

// appendAll stores copies of events in batches, calling stored with each
// one's index and ID.
func appendAll(ctx context.Context, st *sqlite.Store, events []*event.Event, stored func(int, event.ID)) error {
	const batch = 5000
	for i := 0; i < len(events); i += batch {
		part := make([]*event.Event, 0, batch)
		for _, ev := range events[i:min(i+batch, len(events))] {
			c := *ev
			c.ID = 0
			part = append(part, &c)
		}
		if err := st.Append(ctx, part); err != nil {
			return err
		}
		if stored != nil {
			for j, ev := range part {
				stored(i+j, ev.ID)
			}
		}
	}
	return nil
}

// generate simulates, decodes, stores and detects once.
func generate() (*generated, error) {
	sim, err := simulate.Generate(simulate.Config{Seed: Seed, Days: Days})
	if err != nil {
		return nil, err
	}
	g := &generated{truth: sim.Truth(), labels: sim.Labels(), labelOf: map[string]simulate.Label{}}
	for _, l := range g.labels {
		g.labelOf[l.File+"#"+strconv.Itoa(l.Line)] = l
	}
	var geo bytes.Buffer
	if err := sim.WriteFile(&geo, simulate.FileGeo); err != nil {
		return nil, err
	}
	if g.geo, err = geoiptest.ReadCSV(&geo); err != nil {
		return nil, err
	}
	if err := g.decode(sim); err != nil {
		return nil, err
	}
	return g, g.detect()
}

// decode reads every event file of the simulation into g.events, in time
// order, with their "file#line" references.
func (g *generated) decode(sim *simulate.Simulation) error {
	reg := formats.New(formats.Config{})
	// auth.log has no year: read it as of the end of the simulation.
	end := g.truth.End
	authlog := syslog.New(syslog.Config{Now: func() time.Time { return end }})
	type item struct {
		ev   *event.Event
		ref  string
		file int
	}
	var items []item
	for fileNo, fi := range sim.Files() {
		var buf bytes.Buffer
		if err := sim.WriteFile(&buf, fi.Name); err != nil {
			return err
		}
		dec, ok := reg.ByName(fi.Format)
		if fi.Format == formats.Syslog {
			dec, ok = authlog, true
		}
		if !ok {
			return fmt.Errorf("%s: no decoder for format %q", fi.Name, fi.Format)
		}
		skip := framingLines(buf.Bytes())
		var sink decode.Collect
		if err := dec.Decode(bytes.NewReader(buf.Bytes()), &sink); err != nil {
			return fmt.Errorf("decoding %s: %w", fi.Name, err)
		}
		if len(sink.Events) != fi.Records {
			return fmt.Errorf("%s: %d events decoded from %d records", fi.Name, len(sink.Events), fi.Records)
		}
		for n, ev := range sink.Events {
			ev.Source = event.SourceID(strings.TrimSuffix(fi.Name, filepath.Ext(fi.Name)))
			items = append(items, item{ev, fi.Name + "#" + strconv.Itoa(skip+n+1), fileNo})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		return cmp.Or(a.ev.Time.Compare(b.ev.Time), cmp.Compare(a.file, b.file))
	})
	for _, it := range items {
		g.events = append(g.events, it.ev)
		g.refs = append(g.refs, it.ref)
	}
	return nil
}

// framingLines counts the lines before the first record: Zeek's header
// block, CloudTrail's opening {"Records":[ line.
func framingLines(b []byte) int {
	n := 0
	for line := range bytes.Lines(b) {
		line = bytes.TrimRight(line, "\n")
		if !bytes.HasPrefix(line, []byte("#")) && !bytes.Equal(line, []byte(`{"Records":[`)) {
			break
		}
		n++
	}
	return n
}

// detect runs live detection, as vigie serve does, over a store of the
// events and keeps the alerts.
func (g *generated) detect() error {
	dir, err := os.MkdirTemp("", "vigie-breachtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	geoPath := filepath.Join(dir, "geo.mmdb")
	f, err := os.Create(geoPath)
	if err != nil {
		return err
	}
	if err := geoiptest.Build(f, "Vigie-Test-City", g.geo); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	if err := appendAll(ctx, st, g.events, nil); err != nil {
		return err
	}
	rs, err := detect.Load(detect.Config{}, RulesDir())
	if err != nil {
		return err
	}
	bc := catalog.DefaultConfig()
	ds, _, err := catalog.Build([]string{"all"}, geoPath, "", &bc)
	if err != nil {
		return err
	}
	live, err := detect.NewLive(rs, detect.LiveConfig{Store: st, Behaviour: behave.NewSet(ds...),
		StatePath: filepath.Join(dir, "detection.state"),
		OnAlerts: func(_ context.Context, alerts []*event.Event) {
			g.alerts = append(g.alerts, alerts...)
		}})
	if err != nil {
		return err
	}
	if err := live.Drain(ctx); err != nil {
		return err
	}
	for _, a := range g.alerts {
		a.ID = 0
	}
	return nil
}

// RulesDir returns the repository's rules folder, Vigie's bundled Sigma
// rules.
func RulesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "rules")
}
