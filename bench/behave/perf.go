package main

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/authn"
	"github.com/vigie-sec/vigie/internal/behave/network"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/zeek"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip"
)

// printThroughput times all detectors together over each dataset, on
// one goroutine, runs times, fresh detectors each run, and prints the
// median rate; then the cost of each detector alone (one run each).
func printThroughput(results []seedResult, runs int) error {
	fmt.Printf("Throughput: all %d detectors in one behave.Set on one goroutine over the decoded, time-sorted events (decoding not timed), fresh detectors per run, median of %d runs\n\n",
		len(detectorNames), runs)
	var rates []float64
	perDetector := map[string][]float64{}
	for _, r := range results {
		db, err := geoip.Open(r.d.geoPath)
		if err != nil {
			return err
		}
		var times []float64
		for range runs {
			set := behave.NewSet(detectors(db)...)
			runtime.GC()
			start := time.Now()
			runDetectors(r.d.events, set)
			times = append(times, time.Since(start).Seconds())
		}
		rate := float64(len(r.d.events)) / median(times)
		empty := time.Now()
		runDetectors(r.d.events, behave.NewSet())
		perDetector["(loop alone)"] = append(perDetector["(loop alone)"], time.Since(empty).Seconds()*1e9/float64(len(r.d.events)))
		rates = append(rates, rate)
		fmt.Printf("  seed %d: %d events, runs %s: %s events/s (%.2f µs/event)\n", r.d.cfg.Seed, len(r.d.events), seconds(times), thousands(rate), 1e6/rate)
		for _, d := range detectors(db) {
			set := behave.NewSet(d)
			start := time.Now()
			runDetectors(r.d.events, set)
			perDetector[d.Name()] = append(perDetector[d.Name()], time.Since(start).Seconds()*1e9/float64(len(r.d.events)))
		}
		db.Close()
	}
	fmt.Printf("  median over seeds: %s events/s\n\n  each detector alone, ns per event of the whole stream (median over seeds, one run each):", thousands(median(rates)))
	fmt.Printf("\n    the loop over the events with an empty set: %.0f", median(perDetector["(loop alone)"]))
	for i, name := range detectorNames {
		if i%5 == 0 {
			fmt.Print("\n   ")
		}
		fmt.Printf(" %s %.0f", name, median(perDetector[name]))
	}
	fmt.Println()
	return nil
}

func seconds(xs []float64) string {
	var b []byte
	for i, x := range xs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "%.3fs", x)
	}
	return string(b)
}

// thousands writes n rounded with comma separators.
func thousands(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	var b []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// heapAfter returns the live heap after a collection.
func heapAfter() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// entities is how many entities the memory measure tracks: the default
// behave.Limits.MaxEntities, so none is evicted.
const entities = 100_000

// printMemory measures the live heap a detector holds for 100,000
// entities: bruteforce with one failed logon from each of 100,000
// addresses, beacon with one connection for each of 100,000 pairs.
func printMemory() {
	fmt.Printf("\nMemory: live heap growth (after GC) of one detector tracking %s entities, default limits\n\n", thousands(entities))
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	before := heapAfter()
	bf := authn.NewBruteForce(authn.DefaultBruteForceConfig(), behave.Limits{})
	for i := range entities {
		e := &event.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Format: "winjson"}
		for _, kv := range [][2]string{
			{event.EventCategory, "authentication"}, {event.EventType, "start"}, {event.EventOutcome, event.OutcomeFailure},
			{event.EventCode, "4625"}, {event.UserName, "user" + strconv.Itoa(i%500)}, {event.HostName, "srv1.corp.example"},
			{event.SourceIP, addr(0x0a000000 + uint32(i)).String()}, {"LogonType", "3"},
		} {
			e.Add(kv[0], kv[1])
		}
		e.Sort()
		bf.Observe(e, "windows.jsonl#"+strconv.Itoa(i+1))
	}
	grew := heapAfter() - before
	runtime.KeepAlive(bf)
	fmt.Printf("  bruteforce, %s source addresses with one failure each: %.1f MiB, %d bytes per address\n", thousands(entities), float64(grew)/(1<<20), grew/entities)

	recs := make([]connRecord, entities)
	for i := range recs {
		recs[i] = connRecord{t: t0.Add(time.Duration(i) * time.Millisecond), src: addr(0x0a000000 + uint32(i/100)),
			dst: addr(0xc6120000 + uint32(i%100)), port: 443, bytesOut: 900, bytesIn: 4000}
	}
	evs, err := decodeConn(recs)
	if err != nil {
		fmt.Println("  beacon:", err)
		return
	}
	before = heapAfter()
	bc := network.NewBeacon(network.DefaultBeaconConfig(), behave.Limits{})
	for i, e := range evs {
		bc.Observe(e, "conn.log#"+strconv.Itoa(i+9))
	}
	grew = heapAfter() - before
	runtime.KeepAlive(bc)
	runtime.KeepAlive(evs) // held before and after: not counted
	fmt.Printf("  beacon, %s source-destination pairs with one connection each: %.1f MiB, %d bytes per pair\n", thousands(entities), float64(grew)/(1<<20), grew/entities)
}

func addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// connRecord is one synthetic Zeek conn record.
type connRecord struct {
	t                 time.Time
	src, dst          netip.Addr
	port              int
	bytesOut, bytesIn int64
}

// connHeader is the header of Zeek's conn.log, as the simulator writes it.
const connHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-03-02-00-00-00\n" +
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n" +
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"

// decodeConn writes records as a Zeek TSV conn.log and decodes it with
// Vigie's Zeek decoder, so that the detectors read what they read from
// real files.
func decodeConn(recs []connRecord) ([]*event.Event, error) {
	var b bytes.Buffer
	b.WriteString(connHeader)
	for i, r := range recs {
		us := r.t.UnixMicro()
		fmt.Fprintf(&b, "%d.%06d\tC%016x\t%s\t%d\t%s\t%d\ttcp\tssl\t0.%06d\t%d\t%d\tSF\tT\tF\t0\tShADadFf\t10\t%d\t10\t%d\t-\n",
			us/1e6, us%1e6, i, r.src, 49152+i%16384, r.dst, r.port, 50_000+i%200_000, r.bytesOut, r.bytesIn, r.bytesOut+520, r.bytesIn+520)
	}
	var sink decode.Collect
	if err := (zeek.Decoder{}).Decode(&b, &sink); err != nil {
		return nil, err
	}
	if len(sink.Events) != len(recs) || len(sink.Rejected) > 0 {
		return nil, fmt.Errorf("decoded %d events of %d conn records (%v rejected)", len(sink.Events), len(recs), sink.Rejected)
	}
	for i, e := range sink.Events {
		if e.Kind != event.KindEvent {
			return nil, fmt.Errorf("conn record %d malformed: %s", i+1, e.Raw)
		}
	}
	return sink.Events, nil
}

// beaconDay returns a day of conn records from hosts internal hosts: every
// host checks in with one management server every 5 minutes ± 2 s, and
// browses 3 of 200 web servers at random (about every 20 minutes each, a
// Poisson process); one host in a hundred also runs an implant calling
// home every 60 s ± 20 %.
func beaconDay(hosts int, start time.Time) []connRecord {
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []connRecord
	day := 24 * time.Hour
	mgmt := addr(0xc6120001) // 198.18.0.1
	for h := range hosts {
		src := addr(0x0a010000 + uint32(h) + 1)
		for t := time.Duration(rng.Int64N(int64(5 * time.Minute))); t < day; t += 5*time.Minute + time.Duration(rng.Int64N(int64(4*time.Second))) - 2*time.Second {
			recs = append(recs, connRecord{t: start.Add(t), src: src, dst: mgmt, port: 443, bytesOut: 700 + rng.Int64N(50), bytesIn: 1500})
		}
		for range 3 {
			dst := addr(0xc6120100 + uint32(rng.IntN(200)))
			for t := time.Duration(rng.ExpFloat64() * float64(20*time.Minute)); t < day; t += time.Duration(rng.ExpFloat64() * float64(20*time.Minute)) {
				recs = append(recs, connRecord{t: start.Add(t), src: src, dst: dst, port: 443, bytesOut: 500 + rng.Int64N(5000), bytesIn: 2000 + rng.Int64N(200_000)})
			}
		}
		if h%100 == 7 {
			c2 := addr(0xc6130000 + uint32(h))
			for t := time.Duration(rng.Int64N(int64(time.Minute))); t < day; t += time.Duration(float64(time.Minute) * (0.8 + 0.4*rng.Float64())) {
				recs = append(recs, connRecord{t: start.Add(t), src: src, dst: c2, port: 443, bytesOut: 300 + rng.Int64N(20), bytesIn: 120})
			}
		}
	}
	slices.SortStableFunc(recs, func(a, b connRecord) int { return cmp.Compare(a.t.UnixNano(), b.t.UnixNano()) })
	return recs
}

// printBeaconDay times the beacon detector over a day of conn records
// from hosts internal hosts, median of 3 runs.
func printBeaconDay(hosts int) error {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	recs := beaconDay(hosts, start)
	t := time.Now()
	evs, err := decodeConn(recs)
	if err != nil {
		return err
	}
	decodeTime := time.Since(t)
	pairs := map[[2]netip.Addr]bool{}
	for _, r := range recs {
		pairs[[2]netip.Addr{r.src, r.dst}] = true
	}
	fmt.Printf("\nBeacon scoring: a day of Zeek conn records from %s hosts (%s records, %s pairs; every host every 5 min to one server, 3 random web servers, 1 host in 100 with a 60 s ± 20 %% implant); Zeek decoding took %s (not counted)\n\n",
		thousands(float64(hosts)), thousands(float64(len(recs))), thousands(float64(len(pairs))), decodeTime.Round(time.Millisecond))
	var totals, scoring []float64
	var found int
	var heap uint64
	var byKind map[string]int
	for range 3 {
		items := make([]item, len(evs))
		for i, e := range evs {
			items[i] = item{e, "conn.log#" + strconv.Itoa(i+9)}
		}
		byKind = map[string]int{}
		before := heapAfter()
		bc := network.NewBeacon(network.DefaultBeaconConfig(), behave.Limits{})
		var inAdvance time.Duration
		var out []behave.Finding
		var last time.Time
		t := time.Now()
		for _, it := range items {
			if it.ev.Time.Sub(last) >= time.Minute {
				a := time.Now()
				out = append(out, bc.Advance(it.ev.Time)...)
				inAdvance += time.Since(a)
				last = it.ev.Time
			}
			out = append(out, bc.Observe(it.ev, it.ref)...)
		}
		a := time.Now()
		out = append(out, bc.Flush()...)
		inAdvance += time.Since(a)
		totals = append(totals, time.Since(t).Seconds())
		scoring = append(scoring, inAdvance.Seconds())
		found = len(out)
		heap = heapAfter() - before
		runtime.KeepAlive(bc)
		runtime.KeepAlive(items) // held before and after: not counted
		for _, f := range out {
			kind := "web"
			switch {
			case strings.HasSuffix(f.Title, " 198.18.0.1"):
				kind = "management server"
			case strings.Contains(f.Title, " 198.19."):
				kind = "implant"
			}
			byKind[kind]++
		}
	}
	fmt.Printf("  observe and score, runs %s: median %.2f s (%s records/s), of which scoring in Advance and Flush %.2f s; %d findings (%d of the %d hosts' management pairs, %d of %d implants, %d of %d web pairs); live heap of the detector after the day %.0f MiB\n",
		seconds(totals), median(totals), thousands(float64(len(recs))/median(totals)), median(scoring), found,
		byKind["management server"], hosts, byKind["implant"], (hosts+92)/100, byKind["web"], len(pairs)-hosts-(hosts+92)/100, float64(heap)/(1<<20))
	return nil
}
