package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	formats "github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip"
	"github.com/vigie-sec/vigie/internal/geoip/geoiptest"
	"github.com/vigie-sec/vigie/internal/simulate"
)

// item is one decoded event and its reference, "file#line": the file's
// name and the 1-based line holding the record, as labels.jsonl counts
// lines, so that evidence compares with labels directly.
type item struct {
	ev  *event.Event
	ref string
}

// dataset is one simulation decoded into memory.
type dataset struct {
	cfg    simulate.Config
	truth  simulate.Truth
	events []item                    // every event of every file, in event time order
	labels map[string]simulate.Label // by reference
	// byStage counts the labelled records of each stage.
	byStage map[string]int
	// recordIDs counts how often each hunt reference ("file#record",
	// record being EventRecordID when the decoder fills it, else the
	// ordinal) occurs; more than once means hunt's evidence is ambiguous.
	huntRefs map[string]int
	geoPath  string // GeoIP database built from geo.csv
	bytes    int64  // size of the event files
}

// load generates cfg, decodes its event files and writes the GeoIP
// database built from geo.csv into dir.
func load(cfg simulate.Config, dir string) (*dataset, error) {
	sim, err := simulate.Generate(cfg)
	if err != nil {
		return nil, err
	}
	d := &dataset{cfg: cfg, truth: sim.Truth(), labels: map[string]simulate.Label{},
		byStage: map[string]int{}, huntRefs: map[string]int{}}
	reg := formats.New(formats.Config{})
	// auth.log has no year: read it as of the end of the simulation, not
	// of today, so that the result does not depend on the clock.
	end := d.truth.End
	authlog := syslog.New(syslog.Config{Now: func() time.Time { return end }})
	order := map[string]int{} // file position, to break ties in time
	for i, fi := range sim.Files() {
		order[fi.Name] = i
		var buf bytes.Buffer
		if err := sim.WriteFile(&buf, fi.Name); err != nil {
			return nil, err
		}
		d.bytes += int64(buf.Len())
		dec, ok := reg.ByName(fi.Format)
		if fi.Format == formats.Syslog {
			dec, ok = authlog, true
		}
		if !ok {
			return nil, fmt.Errorf("%s: no decoder for format %q", fi.Name, fi.Format)
		}
		skip := framingLines(buf.Bytes())
		var sink decode.Collect
		if err := dec.Decode(bytes.NewReader(buf.Bytes()), &sink); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", fi.Name, err)
		}
		if len(sink.Events) != fi.Records {
			return nil, fmt.Errorf("%s: %d events decoded from %d records", fi.Name, len(sink.Events), fi.Records)
		}
		for n, ev := range sink.Events {
			if ev.Kind != event.KindEvent {
				return nil, fmt.Errorf("%s: record %d malformed: %s", fi.Name, n+1, ev.Raw)
			}
			// hunt's reference: EventRecordID or the ordinal of the event.
			rec, ok := ev.Get("EventRecordID")
			if !ok {
				rec = strconv.Itoa(n + 1)
			}
			d.huntRefs[fi.Name+"#"+rec]++
			d.events = append(d.events, item{ev, fi.Name + "#" + strconv.Itoa(skip+n+1)})
		}
	}
	slices.SortStableFunc(d.events, func(a, b item) int {
		return cmp.Or(a.ev.Time.Compare(b.ev.Time), cmp.Compare(order[fileOf(a.ref)], order[fileOf(b.ref)]))
	})
	// Every label must name a decoded record of its time: this checks the
	// line arithmetic (Zeek headers, CloudTrail's opening line).
	at := map[string]time.Time{}
	for _, it := range d.events {
		at[it.ref] = it.ev.Time
	}
	for _, l := range sim.Labels() {
		ref := l.File + "#" + strconv.Itoa(l.Line)
		t, ok := at[ref]
		if !ok {
			return nil, fmt.Errorf("label %s (%s): no such record", ref, l.Stage)
		}
		if !t.Equal(l.Time) {
			return nil, fmt.Errorf("label %s (%s): record at %s, label at %s", ref, l.Stage, t, l.Time)
		}
		d.labels[ref] = l
		d.byStage[l.Stage]++
	}
	var geo bytes.Buffer
	if err := sim.WriteFile(&geo, simulate.FileGeo); err != nil {
		return nil, err
	}
	d.geoPath = filepath.Join(dir, fmt.Sprintf("geo-%d.mmdb", cfg.Seed))
	if err := writeGeoIP(d.geoPath, &geo); err != nil {
		return nil, err
	}
	return d, nil
}

// framingLines counts the lines before the first record: Zeek's header
// block, CloudTrail's opening {"Records":[ line.
func framingLines(b []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("#")) && !bytes.Equal(line, []byte(`{"Records":[`)) {
			break
		}
		n++
	}
	return n
}

func fileOf(ref string) string {
	i := bytes.LastIndexByte([]byte(ref), '#')
	return ref[:i]
}

// writeGeoIP turns geo.csv (cidr,country,lat,lon,asn,org) into a City
// database with ASN fields. The CSV gives no accuracy radius: records are
// written with radius 0, so travel measures centre to centre.
func writeGeoIP(path string, geoCSV io.Reader) error {
	recs, err := geoiptest.ReadCSV(geoCSV)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := geoiptest.Build(f, "Vigie-Test-City", recs); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	db, err := geoip.Open(path)
	if err != nil {
		return err
	}
	return db.Close()
}
