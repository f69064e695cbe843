package auditd

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// decodeShared decodes the shared data file rel.
func decodeShared(t *testing.T, rel string) []*event.Event {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c decode.Collect
	if err := (Decoder{}).Decode(f, &c); err != nil {
		t.Fatal(err)
	}
	return c.Events
}

// metaLine is one expected value of CrowdSec's scenario.assert:
// results[0].Overflow.Alert.Events[0].GetMeta("exe") == "/usr/bin/perl".
var metaLine = regexp.MustCompile(`^results\[0\]\.Overflow\.Alert\.Events\[(\d+)\]\.GetMeta\("(\w+)"\) == "(.*)"$`)

// crowdsecMeta reads the metadata CrowdSec's auditd parser gave each event
// of the alert, keyed by the event's serial (Meta auditd_eventid). The
// cases' parser.assert files are empty: scenario.assert is where their
// expected values are.
func crowdsecMeta(t *testing.T, rel string) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	byIndex := map[string]map[string]string{}
	for line := range strings.Lines(string(data)) {
		m := metaLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		if byIndex[m[1]] == nil {
			byIndex[m[1]] = map[string]string{}
		}
		byIndex[m[1]][m[2]] = m[3]
	}
	bySerial := map[string]map[string]string{}
	for _, meta := range byIndex {
		bySerial[meta["auditd_eventid"]] = meta
	}
	return bySerial
}

// TestCrowdSec decodes the audit logs of CrowdSec's hub tests
// (crowdsec-tests/auditd-*, MIT): raw audit.log lines, SYSCALL records
// only, without EXECVE or PROCTITLE. Every event the scenario's alert
// holds must carry the values CrowdSec's parser extracted.
func TestCrowdSec(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events int // wc -l: one SYSCALL record per event
	}{
		{"auditd-base64-exec", 4},
		{"auditd-postexploit-rm", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := decodeShared(t, "crowdsec-tests/"+tc.name+"/"+tc.name+".log")
			if len(events) != tc.events {
				t.Fatalf("got %d events, want %d", len(events), tc.events)
			}
			meta := crowdsecMeta(t, "crowdsec-tests/"+tc.name+"/scenario.assert")
			if len(meta) == 0 {
				t.Fatal("no event metadata in scenario.assert")
			}
			found := 0
			for _, e := range events {
				if e.Kind != event.KindEvent {
					t.Fatalf("pipeline error: %s (%s)", e.Raw, e.ParseError)
				}
				serial, _ := e.Get(FieldSequence)
				m, ok := meta[serial]
				if !ok {
					continue
				}
				found++
				check(t, e, "exe", m["exe"], "Image", m["exe"], "ppid", m["ppid"], "ParentProcessId", m["ppid"],
					"auid", m["auid"], "uid", m["uid"], "user.id", m["uid"], "tty", m["tty"])
				if m["log_type"] == "execve" {
					check(t, e, "SYSCALL", "execve", "event.category", "process")
				}
				want, err := time.Parse(time.RFC3339, m["timestamp"])
				if err != nil {
					t.Fatal(err)
				}
				if got := e.Time.Truncate(time.Second); !got.Equal(want) {
					t.Errorf("event %s: time %v, want %v", serial, e.Time, want)
				}
			}
			if found != len(meta) {
				t.Errorf("found %d of the %d events of the alert", found, len(meta))
			}
		})
	}
}

// TestCrowdSecBase64 names the event of the base64 case that ran base64:
// serial 2996. The log has no EXECVE or PROCTITLE record, so the event has
// the executable but no command line, and Sigma's rules on the base64
// command line ("base64 -d", "| bash") cannot match it.
func TestCrowdSecBase64(t *testing.T) {
	events := decodeShared(t, "crowdsec-tests/auditd-base64-exec/auditd-base64-exec.log")
	var got []string
	for _, e := range events {
		if exe, _ := e.Get("exe"); strings.HasSuffix(exe, "/base64") {
			s, _ := e.Get(FieldSequence)
			got = append(got, s)
			check(t, e, "Image", "/usr/bin/base64", "process.name", "base64", "success", "yes",
				"CommandLine", "", "process.command_line", "")
		}
	}
	if len(got) != 1 || got[0] != "2996" {
		t.Errorf("base64 ran in events %v, want [2996]", got)
	}
	// The failed execve (exit=-2, ENOENT) is an execve attempt, not a
	// process start.
	for _, e := range events {
		if s, _ := e.Get(FieldSequence); s == "2997" {
			check(t, e, "success", "no", "event.outcome", "failure")
		}
	}
}
