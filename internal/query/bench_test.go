package query

import (
	"fmt"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

// benchQuery has five clauses of the common kinds: an exact term, a
// negated phrase, a wildcard, a range and a bare phrase.
const benchQuery = `event.code:4625 AND NOT user.name:"ANONYMOUS LOGON" AND source.ip:10.0.* AND destination.port:[1 TO 1024] AND "Failed password"`

func BenchmarkParse(b *testing.B) {
	b.Run("clauses=5", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchQuery)))
		for b.Loop() {
			if _, err := Parse(benchQuery); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("queries=%d", len(seedQueries)), func(b *testing.B) {
		n := 0
		for _, q := range seedQueries {
			n += len(q)
		}
		b.ReportAllocs()
		b.SetBytes(int64(n))
		for b.Loop() {
			for _, q := range seedQueries {
				if _, err := Parse(q); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// benchEvent returns a Windows logon failure with 30 fields, the text in
// a message field or, when withMessage is false, only in Raw.
func benchEvent(withMessage bool) *event.Event {
	ev := newEvent(
		"event.code", "4625",
		"event.action", "logon-failed",
		"event.category", "authentication",
		"event.outcome", "failure",
		"event.provider", "Microsoft-Windows-Security-Auditing",
		"event.module", "security",
		"event.dataset", "windows.security",
		"log.level", "information",
		"host.name", "DC01.corp.example.com",
		"host.ip", "10.0.0.2",
		"user.name", "Administrator",
		"user.domain", "CORP",
		"user.id", "S-1-0-0",
		"source.ip", "10.0.13.37",
		"source.port", "51234",
		"destination.ip", "10.0.0.2",
		"destination.port", "445",
		"network.transport", "tcp",
		"process.name", "lsass.exe",
		"process.pid", "612",
		"process.executable", `C:\Windows\System32\lsass.exe`,
		"winlog.channel", "Security",
		"winlog.computer_name", "DC01.corp.example.com",
		"winlog.event_data.LogonType", "3",
		"winlog.event_data.Status", "0xc000006d",
		"winlog.event_data.SubStatus", "0xc000006a",
		"winlog.event_data.TargetUserName", "Administrator",
		"winlog.event_data.WorkstationName", "KALI",
		"winlog.event_data.AuthenticationPackageName", "NTLM",
	)
	text := "An account failed to log on. Failed password for Administrator from 10.0.13.37 over NTLM, logon type 3."
	if withMessage {
		ev.Set(event.Message, text)
	} else {
		ev.Raw = []byte(text)
	}
	return ev
}

// BenchmarkMatch matches the five-clause query against a 30-field event
// that satisfies every clause, so that none is skipped.
func BenchmarkMatch(b *testing.B) {
	e, err := Parse(benchQuery)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Compile(e)
	if err != nil {
		b.Fatal(err)
	}
	for _, text := range []string{"message", "raw"} {
		ev := benchEvent(text == "message")
		if !m.Match(ev) {
			b.Fatalf("%s does not match %v", benchQuery, ev)
		}
		b.Run("fields=30/text="+text, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(ev)
			}
		})
	}
	b.Run("fields=30/compile-every-time", func(b *testing.B) {
		ev := benchEvent(true)
		b.ReportAllocs()
		for b.Loop() {
			Match(e, ev)
		}
	})
}

// BenchmarkWildcard compares each fast path with the general automaton on
// the same pattern, against a 150-byte command line.
func BenchmarkWildcard(b *testing.B) {
	const value = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand ZQBjAGgAbwAgAGgAZQBsAGwAbwA=`
	for _, pattern := range []string{
		`c:\\windows\\*`,
		`*\\powershell.exe*`,
		`*-encodedcommand*`,
		`*powershell*-enc*`,
		`*power?hell*`,
		`*power?hell*-nothere*`,
	} {
		t := &Term{Field: "f", Wildcard: true, Pattern: pattern}
		m, err := newValueMatcher(t)
		if err != nil {
			b.Fatal(err)
		}
		items, _ := parsePattern(pattern)
		g := newGlob(items)
		if m.match(value) != g.match(value, false) {
			b.Fatalf("fast path and automaton disagree on %q", pattern)
		}
		name := fmt.Sprintf("pattern=%s", pattern)
		if m.kind != valueGlob {
			b.Run(name+"/"+m.stars.shape(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.match(value)
				}
			})
		}
		b.Run(name+"/automaton", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.match(value, false)
			}
		})
	}
}
