// Command ingest measures Vigie's end-to-end ingest and search on the
// embedded store: N events posted as NDJSON over HTTP by concurrent clients
// through the real handler, pipeline and SQLite store, then entity and
// full-text searches over what was stored. It prints one JSON object of
// results; bench/README.md records them.
//
//	go run ./bench/ingest -events 1000000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/ingest"
	"github.com/vigie-sec/vigie/internal/ingest/ndjson"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

type results struct {
	Events           int     `json:"events"`
	Batch            int     `json:"batch"`
	Clients          int     `json:"clients"`
	Seconds          float64 `json:"seconds"`
	EventsPerSec     float64 `json:"events_per_sec"`
	MBPerSec         float64 `json:"mb_per_sec"`
	EncodeOnlyPerSec float64 `json:"json_encode_only_events_per_sec"`
	PeakRSSMiB       float64 `json:"peak_rss_mib"`
	DBSizeMiB        float64 `json:"db_size_mib"`
	Stored           int64   `json:"stored"`
	UserP50ms        float64 `json:"user_search_p50_ms"`
	UserP95ms        float64 `json:"user_search_p95_ms"`
	UserCountP50ms   float64 `json:"user_count_p50_ms"`
	WordP50ms        float64 `json:"fulltext_search_p50_ms"`
	WordP95ms        float64 `json:"fulltext_search_p95_ms"`
	CPUs             int     `json:"cpus"`
}

func main() {
	var (
		n       = flag.Int("events", 1_000_000, "events to ingest")
		batch   = flag.Int("batch", 5000, "events per HTTP request")
		clients = flag.Int("clients", 4, "concurrent HTTP clients")
		dir     = flag.String("dir", "", "folder for the store (default a temporary one, removed after)")
		queries = flag.Int("queries", 200, "searches per kind")
		profile = flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	)
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "vigie-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	res, err := run(*dir, *n, *batch, *clients, *queries)
	if err != nil {
		log.Fatal(err)
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(out))
}

const users = 5000

// line writes one realistic event: an sshd-style authentication record as
// a shipper would send it, about 420 bytes and 16 fields.
func line(b *bytes.Buffer, i int, r *rand.Rand) {
	u := r.IntN(users)
	outcome := "failure"
	if r.IntN(10) == 0 {
		outcome = "success"
	}
	ts := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 50 * time.Millisecond)
	fmt.Fprintf(b, `{"@timestamp":"%s","host":{"name":"srv%03d"},"user":{"name":"user%04d"},"source":{"ip":"10.%d.%d.%d","port":%d},`+
		`"destination":{"ip":"192.168.1.%d","port":22},"event":{"category":"authentication","outcome":"%s","action":"ssh_login"},`+
		`"process":{"name":"sshd","pid":%d},"message":"%s password for user%04d from 10.%d.%d.%d port %d ssh2 seq %d"}`+"\n",
		ts.Format(time.RFC3339Nano), r.IntN(200), u, r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(60000),
		r.IntN(250), outcome, 1000+r.IntN(30000), strings.ToUpper(outcome[:1])+outcome[1:], u, r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(60000), i)
}

func run(dir string, n, batch, clients, queries int) (*results, error) {
	st, err := sqlite.Open(filepath.Join(dir, "events.db"), sqlite.Config{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	pipe := ingest.New(st, ingest.Config{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pipe.Run(ctx)
	srv := httptest.NewServer(ndjson.New(ndjson.Config{Submit: pipe, JSON: jsonl.DecodeObject}))
	defer srv.Close()

	// Write the request bodies to a file first, so that generating them is
	// not timed and holding them does not count in the peak memory.
	bodyFile, err := os.Create(filepath.Join(dir, "bodies.ndjson"))
	if err != nil {
		return nil, err
	}
	defer bodyFile.Close()
	type span struct{ off, len int64 }
	var bodies []span
	var total int64
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for i := 0; i < n; i += batch {
		b.Reset()
		for j := i; j < min(i+batch, n); j++ {
			line(&b, j, r)
		}
		bodies = append(bodies, span{total, int64(b.Len())})
		total += int64(b.Len())
		if _, err := bodyFile.Write(b.Bytes()); err != nil {
			return nil, err
		}
	}

	// Baseline: encoding/json decoding of the last body into maps, alone.
	encStart := time.Now()
	lines := bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n"))
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			return nil, err
		}
	}
	encRate := float64(len(lines)) / time.Since(encStart).Seconds()

	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				buf = slices.Grow(buf[:0], int(bodies[i].len))[:bodies[i].len]
				if _, err := bodyFile.ReadAt(buf, bodies[i].off); err != nil {
					errs <- err
					return
				}
				for {
					resp, err := http.Post(srv.URL, "application/x-ndjson", bytes.NewReader(buf))
					if err != nil {
						errs <- err
						return
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						break
					}
					if resp.StatusCode != http.StatusTooManyRequests {
						errs <- fmt.Errorf("status %s", resp.Status)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	res := &results{
		Events: n, Batch: batch, Clients: clients, Seconds: elapsed.Seconds(),
		EventsPerSec: float64(n) / elapsed.Seconds(), MBPerSec: float64(total) / elapsed.Seconds() / 1e6,
		EncodeOnlyPerSec: encRate, PeakRSSMiB: peakRSS(), CPUs: runtime.NumCPU(),
	}
	if res.Stored, err = st.Count(ctx, store.Query{}); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(filepath.Join(dir, "events.db")); err == nil {
		res.DBSizeMiB = float64(fi.Size()) / (1 << 20)
	}

	measure := func(q func(i int) string, count bool) (p50, p95 float64, err error) {
		var d []float64
		for i := range queries {
			expr, err := query.Parse(q(i))
			if err != nil {
				return 0, 0, err
			}
			t := time.Now()
			if count {
				_, err = st.Count(ctx, store.Query{Expr: expr})
			} else {
				_, err = st.Search(ctx, store.Query{Expr: expr, Limit: 100})
			}
			if err != nil {
				return 0, 0, err
			}
			d = append(d, float64(time.Since(t).Microseconds())/1000)
		}
		slices.Sort(d)
		return d[len(d)/2], d[len(d)*95/100], nil
	}
	rq := rand.New(rand.NewPCG(3, 4))
	if res.UserP50ms, res.UserP95ms, err = measure(func(int) string { return "user.name:user" + fmt.Sprintf("%04d", rq.IntN(users)) }, false); err != nil {
		return nil, err
	}
	if res.UserCountP50ms, _, err = measure(func(int) string { return "user.name:user" + fmt.Sprintf("%04d", rq.IntN(users)) }, true); err != nil {
		return nil, err
	}
	if res.WordP50ms, res.WordP95ms, err = measure(func(int) string { return strconv.Itoa(rq.IntN(n)) + " AND password" }, false); err != nil {
		return nil, err
	}
	return res, nil
}

// peakRSS returns the process's peak resident memory in MiB (Linux).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
