package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// generator makes realistic events: sixteen fields (ECS names, an entity
// value for each entity field, a message) and a syslog record of about 200
// bytes. Users, hosts and addresses follow Zipf distributions, as they do
// in real logs: a few are in many events, most in few.
type generator struct {
	rng                *rand.Rand
	users, hosts, srcs *rand.Zipf
	dsts               *rand.Zipf
	start              time.Time
	n                  int
}

const (
	genUsers = 5000
	genHosts = 500
	genSrcs  = 100000
	genDsts  = 5000
)

func newGenerator(seed uint64) *generator {
	rng := rand.New(rand.NewPCG(seed, 1))
	return &generator{
		rng:   rng,
		users: rand.NewZipf(rng, 1.1, 4, genUsers-1),
		hosts: rand.NewZipf(rng, 1.1, 4, genHosts-1),
		srcs:  rand.NewZipf(rng, 1.05, 8, genSrcs-1),
		dsts:  rand.NewZipf(rng, 1.1, 4, genDsts-1),
		start: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC),
	}
}

func genUser(i uint64) string { return fmt.Sprintf("user%04d", i) }

var actions = []struct{ action, category, outcome, code, msg string }{
	{"ssh_login", "authentication", "failure", "4625", "Failed password for %s from %s port %d ssh2"},
	{"ssh_login", "authentication", "success", "4624", "Accepted publickey for %s from %s port %d ssh2: RSA SHA256:Yx3bDq"},
	{"sudo", "process", "success", "4688", "%s : TTY=pts/0 ; PWD=/home ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx ; from %s %d"},
	{"connection", "network", "success", "5156", "Connection allowed user %s src %s sport %d proto tcp"},
}

// next returns a new event; times increase by about a millisecond.
func (g *generator) next() *event.Event {
	g.n++
	a := actions[g.rng.IntN(len(actions))]
	user := genUser(g.users.Uint64())
	host := fmt.Sprintf("web-%03d.corp.example", g.hosts.Uint64())
	s := g.srcs.Uint64()
	src := fmt.Sprintf("10.%d.%d.%d", s>>16, (s>>8)&255, s&255)
	d := g.dsts.Uint64()
	dst := fmt.Sprintf("192.168.%d.%d", d>>8, d&255)
	port := 1024 + g.rng.IntN(60000)
	pid := 1000 + g.rng.IntN(30000)
	t := g.start.Add(time.Duration(g.n)*time.Millisecond + time.Duration(g.rng.IntN(1000))*time.Microsecond)
	msg := fmt.Sprintf(a.msg, user, src, port)
	raw := fmt.Sprintf("<38>1 %s %s sshd %d - [meta sequenceId=\"%d\"] %s", t.Format(time.RFC3339Nano), host, pid, g.n, msg)
	e := &event.Event{Time: t, Received: t.Add(50 * time.Millisecond), Source: "syslog-tcp/10.0.0.2", Format: "syslog", Raw: []byte(raw)}
	e.Add(event.EventAction, a.action)
	e.Add(event.EventCategory, a.category)
	e.Add(event.EventOutcome, a.outcome)
	e.Add(event.EventCode, a.code)
	e.Add(event.EventDataset, "system.auth")
	e.Add(event.HostName, host)
	e.Add(event.UserName, user)
	e.Add(event.SourceIP, src)
	e.AddTyped(event.SourcePort, strconv.Itoa(port), event.Number)
	e.Add(event.DestinationIP, dst)
	e.AddTyped(event.DestinationPort, "22", event.Number)
	e.Add(event.ProcessName, "sshd")
	e.AddTyped(event.ProcessPID, strconv.Itoa(pid), event.Number)
	e.Add(event.NetworkTransport, "tcp")
	e.Add(event.LogLevel, "info")
	e.Add(event.Message, msg)
	e.Sort()
	return e
}

func (g *generator) batch(n int) []*event.Event {
	b := make([]*event.Event, n)
	for i := range b {
		b[i] = g.next()
	}
	return b
}

// BenchmarkAppend appends fresh batches to one growing store; run it with
// -benchtime=200x (batch=5000) for one million events. It reports the
// rate in wall time, the CPU time per event (steadier on a shared
// machine), the database size per event and the process's peak resident
// memory. sync=normal is for comparison only: the store always runs with
// synchronous=FULL.
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		for _, size := range []int{1000, 5000} {
			b.Run(fmt.Sprintf("sync=%s/batch=%d", sync, size), func(b *testing.B) {
				benchAppend(b, size, sync)
			})
		}
	}
}

func benchAppend(b *testing.B, size int, sync string) {
	dir := b.TempDir()
	s, err := Open(filepath.Join(dir, "events.db"), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.writer.ExecContext(ctx, "PRAGMA synchronous = "+sync); err != nil {
		b.Fatal(err)
	}
	g := newGenerator(1)
	b.ReportAllocs()
	var cpu, appendTime time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		batch := g.batch(size)
		b.StartTimer()
		c0, t0 := cpuTime(), time.Now()
		if err := s.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		appendTime += time.Since(t0)
		n += size
	}
	b.ReportMetric(float64(n)/appendTime.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/event")
	if used, err := s.usedBytes(ctx); err == nil {
		b.ReportMetric(float64(used)/float64(n), "dbbytes/event")
	}
	b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS-MiB")
}

// BenchmarkSearch searches a store of one million generated events (built
// first, in about a minute). Each iteration runs one search, with Limit
// 100; it reports the 50th and 95th percentile latency. For user.name
// and host.name, each iteration looks up another value drawn from the
// generator's Zipf distribution, so that frequent and rare values both
// count.
func BenchmarkSearch(b *testing.B) {
	const total = 1_000_000
	dir := b.TempDir()
	s, err := Open(filepath.Join(dir, "events.db"), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	g := newGenerator(1)
	for i := 0; i < total; i += 5000 {
		if err := s.Append(ctx, g.batch(5000)); err != nil {
			b.Fatal(err)
		}
	}
	draw := newGenerator(2)
	parse := func(q string) query.Expr {
		e, err := query.Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	for _, tc := range []struct {
		name  string
		query func() string
		count bool
	}{
		{"user.name=zipf", func() string { return "user.name:" + genUser(draw.users.Uint64()) }, false},
		{"user.name=rare", func() string { return "user.name:" + genUser(genUsers-1-uint64(draw.rng.IntN(100))) }, false},
		{"host.name=zipf", func() string { return fmt.Sprintf("host.name:web-%03d.corp.example", draw.hosts.Uint64()) }, false},
		{"word", func() string { return "failed" }, false},
		{"phrase", func() string { return `"Failed password for user0042"` }, false},
		{"user.name+word", func() string { return "user.name:" + genUser(draw.users.Uint64()) + " AND accepted" }, false},
		{"not", func() string { return "NOT event.outcome:success" }, false},
		{"count/user.name=zipf", func() string { return "user.name:" + genUser(draw.users.Uint64()) }, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				q := store.Query{Expr: parse(tc.query())}
				t0 := time.Now()
				var err error
				if tc.count {
					_, err = s.Count(ctx, q)
				} else {
					_, err = s.Search(ctx, q)
				}
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

// BenchmarkPrune deletes by age the older half of 200,000 events, and
// reports the rate of deletion, space reclaiming included.
func BenchmarkPrune(b *testing.B) {
	const total = 200_000
	ctx := context.Background()
	var deleted int64
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		s, err := Open(filepath.Join(b.TempDir(), "events.db"), Config{})
		if err != nil {
			b.Fatal(err)
		}
		g := newGenerator(1)
		for i := 0; i < total; i += 5000 {
			if err := s.Append(ctx, g.batch(5000)); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		t0 := time.Now()
		n, err := s.Prune(ctx, store.Retention{MaxAge: total / 2 * time.Millisecond}, g.start.Add(total*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(t0)
		deleted += n
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(deleted)/spent.Seconds(), "events/s")
}

// BenchmarkFieldCodec compares the fields column's binary encoding with
// the same fields in Vigie's event JSON (the "fields" object), in size
// and in decoding time, on the generator's sixteen fields.
func BenchmarkFieldCodec(b *testing.B) {
	e := newGenerator(1).next()
	bin, err := appendFields(nil, e.Fields)
	if err != nil {
		b.Fatal(err)
	}
	full, err := json.Marshal(&event.Event{Fields: e.Fields})
	if err != nil {
		b.Fatal(err)
	}
	var shape struct {
		Fields json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(full, &shape); err != nil {
		b.Fatal(err)
	}
	b.Run("codec=binary", func(b *testing.B) {
		b.ReportAllocs()
		var nt names
		for b.Loop() {
			if _, err := decodeFields(bin, &nt); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(bin)), "bytes")
	})
	b.Run("codec=json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ev event.Event
			if err := json.Unmarshal(full, &ev); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(shape.Fields)), "bytes")
	})
}

// BenchmarkEventLeaves measures what the integrity log adds to Append in
// CPU: hashing each event's content before the write lock (contents) and
// its short leaf under it (leaves), besides one ledger row per batch.
// Compare their ns/event with BenchmarkAppend's cpu-µs/event.
func BenchmarkEventLeaves(b *testing.B) {
	batch := newGenerator(1).batch(5000)
	contents := eventContents(batch)
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"contents", func() { eventContents(batch) }},
		{"leaves", func() { eventLeaves(contents, 1) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.f()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
		})
	}
}
