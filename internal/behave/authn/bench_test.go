package authn

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// benchPool returns n events made by mk(i), to be replayed in a loop with
// increasing times.
func benchPool(n int, mk func(i int) *event.Event) []*event.Event {
	out := make([]*event.Event, n)
	for i := range out {
		out[i] = mk(i)
	}
	return out
}

// benchObserve feeds d one event per iteration, cycling over pool with
// event times 100 ms apart (so that windows fill and slide as in a busy
// stream), and advances the clock every 1,000 events.
func benchObserve(b *testing.B, d behave.Detector, pool []*event.Event) {
	b.Helper()
	refs := make([]string, len(pool))
	for i := range refs {
		refs[i] = fmt.Sprintf("ev%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := pool[i%len(pool)]
		e.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		d.Observe(e, refs[i%len(pool)])
		if i%1000 == 999 {
			d.Advance(e.Time)
		}
		i++
	}
}

// failures from 1,000 sources against 200 accounts on 20 hosts; one source
// in fifty is a sprayer trying a new name each time.
func authFailures(i int) *event.Event {
	src := fmt.Sprintf("198.51.%d.%d", i%1000/250, i%250)
	user := fmt.Sprintf("user%d", i%200)
	if i%50 == 0 {
		user = fmt.Sprintf("name%d", i)
	}
	return failure(t0, user, src, fmt.Sprintf("srv%d", i%20))
}

// mixed is authFailures with one success in ten.
func mixed(i int) *event.Event {
	if i%10 == 0 {
		return success(t0, fmt.Sprintf("user%d", i%200), fmt.Sprintf("198.51.%d.%d", i%1000/250, i%250), "srv1")
	}
	return authFailures(i)
}

// sshdLines are syslog events as the decoder gives them, merged per
// connection.
func sshdLines(i int) *event.Event {
	return mk(t0, "syslog", event.EventCategory, "authentication", event.EventOutcome, "failure",
		event.EventAction, "ssh_login", event.UserName, "root", event.HostName, "labsz",
		event.SourceIP, fmt.Sprintf("203.0.113.%d", i%200), event.ProcessPID, fmt.Sprint(20000+i%5000))
}

func BenchmarkBruteForce(b *testing.B) {
	b.Run("events=windows", func(b *testing.B) {
		benchObserve(b, NewBruteForce(BruteForceConfig{}, behave.Limits{}), benchPool(4096, authFailures))
	})
	b.Run("events=sshd", func(b *testing.B) {
		benchObserve(b, NewBruteForce(BruteForceConfig{}, behave.Limits{}), benchPool(4096, sshdLines))
	})
}

func BenchmarkSpray(b *testing.B) {
	b.Run("sprayer=mixed", func(b *testing.B) {
		benchObserve(b, NewSpray(SprayConfig{}, behave.Limits{}), benchPool(4096, authFailures))
	})
	// One source trying a new user name every 100 ms: past the
	// threshold, its accounts are no longer tracked.
	b.Run("sprayer=dictionary", func(b *testing.B) {
		benchObserve(b, NewSpray(SprayConfig{}, behave.Limits{}), benchPool(4096, func(i int) *event.Event {
			return failure(t0, fmt.Sprintf("name%d", i), "203.0.113.66", "dc1")
		}))
	})
}

func BenchmarkSuccessAfter(b *testing.B) {
	benchObserve(b, NewSuccessAfter(SuccessAfterConfig{}, behave.Limits{}), benchPool(4096, mixed))
}

// Lateral: 500 accounts logging on to 50 hosts.
func BenchmarkLateral(b *testing.B) {
	pool := benchPool(4096, func(i int) *event.Event {
		return success(t0, fmt.Sprintf("user%d", i%500), "10.0.0.5", fmt.Sprintf("ws%d", (i*7)%50))
	})
	benchObserve(b, NewLateral(LateralConfig{}, behave.Limits{}), pool)
}

// Privilege: logins, with a group addition and an account creation in
// every hundred events.
func BenchmarkPrivilege(b *testing.B) {
	pool := benchPool(4096, func(i int) *event.Event {
		switch i % 100 {
		case 0:
			return groupAdd(t0, "4732", "Administrators", "S-1-5-32-544", "-", fmt.Sprintf("S-1-5-21-1-2-3-%d", 1000+i))
		case 1:
			return mk(t0, "evtx", event.EventCode, "4720", event.EventCategory, "iam", event.HostName, "DC1", "user.target.name", fmt.Sprintf("new%d", i))
		}
		return success(t0, fmt.Sprintf("new%d", i-i%100+1), "10.0.0.5", "ws1")
	})
	benchObserve(b, NewPrivilege(PrivilegeConfig{}, behave.Limits{}), pool)
}

// The five detectors over the 2,000 lines of OpenSSH_2k.log, decoded
// once: events per second through the package.
func BenchmarkOpenSSH2k(b *testing.B) {
	recs := decodeShared(b, "linux/OpenSSH_2k.log")
	b.ReportAllocs()
	for b.Loop() {
		run(allDetectors(), recs)
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
