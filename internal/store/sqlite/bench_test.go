package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// BenchmarkAppend appends batches to one growing store; run it with
// -benchtime=200x for one million events. It reports the sustained rate,
// the database size per event and the process's peak resident memory.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			dir := b.TempDir()
			s, err := Open(filepath.Join(dir, "events.db"), Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			g := newGenerator(1)
			ctx := context.Background()
			// Batches are made ahead, outside the timer, in a ring, so
			// that generation cost is not measured.
			ring := make([][]*event.Event, 8)
			for i := range ring {
				ring[i] = g.batch(size)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				batch := ring[i%len(ring)]
				i++
				if err := s.Append(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(i * size)
			b.ReportMetric(n/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/n, "cpu-µs/event")
			if fi, err := os.Stat(filepath.Join(dir, "events.db")); err == nil {
				b.ReportMetric(float64(fi.Size())/n, "dbbytes/event")
			}
			b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS-MiB")
		})
	}
}

// cpuTime returns the user and system CPU time of the process so far. The
// machine is shared, so a rate in events per CPU second is steadier than
// events per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns the peak resident set size of the process (VmHWM), or 0
// where /proc is missing.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

var _ = slices.Sort[[]int]
var _ = runtime.GC
var _ query.Expr
var _ store.Query
