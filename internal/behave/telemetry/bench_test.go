package telemetry

import (
	"strconv"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// BenchmarkSilence measures Observe over events of many sources and hosts,
// in runs of 8 events per source as relays deliver them, with Advance at
// every event as a live run's batches do (it scans once a minute of event
// time).
func BenchmarkSilence(b *testing.B) {
	for _, sources := range []int{10, 10_000} {
		b.Run("sources="+strconv.Itoa(sources), func(b *testing.B) {
			events := make([]*event.Event, 8*sources)
			for i := range events {
				s := i / 8
				events[i] = syslogEvent(day0, event.SourceID("syslog-udp/10.0."+strconv.Itoa(s/256)+"."+strconv.Itoa(s%256)), "host"+strconv.Itoa(s))
			}
			d := NewSilence(SilenceConfig{}, behave.Limits{})
			t := day0
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				ev := events[i%len(events)]
				t = t.Add(10 * time.Millisecond)
				ev.Time = t
				d.Advance(t)
				d.Observe(ev, "r")
				i++
			}
		})
	}
}

// BenchmarkCleared measures Observe over ordinary Windows and syslog
// events, none of which is a signal or a marker: the cost every event
// pays.
func BenchmarkCleared(b *testing.B) {
	events := []*event.Event{
		win(0, "4624", security, event.UserName, "alice", event.SourceIP, "10.0.0.5"),
		win(0, "1", sysmon, event.ProcessExecutable, `C:\Windows\System32\cmd.exe`, event.ProcessCommandLine, "cmd /c whoami", "ParentCommandLine", "explorer.exe"),
		syslogEvent(t0, "syslog-udp/10.0.0.5", "web01"),
	}
	events[2].Set(event.ProcessName, "sshd")
	events[2].Set(event.Message, "Accepted publickey for alice from 203.0.113.5 port 50000 ssh2")
	d := NewCleared(ClearedConfig{}, behave.Limits{})
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		d.Observe(events[i%len(events)], "r")
		i++
	}
}
