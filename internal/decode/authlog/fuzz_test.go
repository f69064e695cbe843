package authlog

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parser fuzzers do.
const maxFuzzInput = 10 << 10

// constants are the values Parse may report that are not taken from the
// message.
var constants = map[string]bool{
	"root": true, "anonymous": true, "invalid user": true, "user unknown": true,
	"Too many authentication failures": true, "maximum authentication attempts exceeded": true,
}

func FuzzAuthlog(f *testing.F) {
	// The program and message of the loghub sample lines, when the shared
	// data is present ("Dec 10 06:55:46 LabSZ sshd[24200]: msg"): one line
	// per program and first words of message, so that the fuzzer spends
	// its time mutating rather than replaying 4,000 near-identical seeds.
	seen := make(map[string]bool)
	if dir := shareddata.Dir(); dir != "" {
		for _, name := range []string{"OpenSSH_2k.log", "Linux_2k.log"} {
			data, err := os.ReadFile(filepath.Join(dir, "linux", name))
			if err != nil {
				continue
			}
			for line := range strings.Lines(string(data)) {
				if len(line) < 16 {
					continue
				}
				_, rest, _ := strings.Cut(strings.TrimLeft(line[16:], " "), " ")
				tag, msg, _ := strings.Cut(rest, ": ")
				tag, _, _ = strings.Cut(tag, "[")
				words := strings.SplitN(msg, " ", 4)
				if k := tag + strings.Join(words[:min(len(words), 3)], " "); !seen[k] {
					seen[k] = true
					f.Add(tag, strings.TrimRight(msg, "\r\n"))
				}
			}
		}
	}
	f.Add("sudo", "  alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls")
	f.Add("su", "FAILED SU (to root) mallory on pts/0")
	f.Add("sshd", "Accepted publickey for a from 2001:db8::1 port 22 ssh2: RSA SHA256:x")
	f.Add("sshd", "Connection closed by invalid user a b 10.0.0.1 port 22 [preauth]")
	f.Add("sshd", "Disconnecting authenticating user root 10.0.0.1 port 2: Too many authentication failures [preauth]")
	f.Add("vsftpd", `[pid 1] [bob] FAIL LOGIN: Client "::ffff:10.0.0.9"`)
	f.Add("login", "FAILED LOGIN (1) on '/dev/tty1' from 'h' FOR 'root', Authentication failure")
	f.Add("CRON", "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")

	f.Fuzz(func(t *testing.T, program, msg string) {
		if len(program)+len(msg) > maxFuzzInput {
			return
		}
		a, ok := Parse(program, msg)
		if !ok {
			if a != (Auth{}) {
				t.Fatalf("Parse(%q, %q) = %+v, false; want a zero Auth", program, msg, a)
			}
			return
		}
		if a.Action == "" || a.Category == "" || a.Type == "" {
			t.Fatalf("Parse(%q, %q) = %+v: no action, category or type", program, msg, a)
		}
		switch a.Outcome {
		case "", event.OutcomeSuccess, event.OutcomeFailure:
		default:
			t.Fatalf("Parse(%q, %q): outcome %q", program, msg, a.Outcome)
		}
		if a.SourceIP != "" {
			if _, err := netip.ParseAddr(a.SourceIP); err != nil {
				t.Fatalf("Parse(%q, %q): source.ip %q: %v", program, msg, a.SourceIP, err)
			}
		}
		if a.SourcePort != "" {
			if n, ok := atoi(a.SourcePort); !ok || n > 65535 {
				t.Fatalf("Parse(%q, %q): source.port %q", program, msg, a.SourcePort)
			}
		}
		if a.Repeat < 0 {
			t.Fatalf("Parse(%q, %q): repeat %d", program, msg, a.Repeat)
		}
		// Nothing is made up: values come from the message.
		for _, v := range []string{a.Reason, a.User, a.EffectiveUser, a.SourceIP, a.SourcePort, a.SourceDomain,
			a.Method, a.Signature, a.TTY, a.PWD, a.Command} {
			if v != "" && !constants[v] && !strings.Contains(msg, v) {
				t.Fatalf("Parse(%q, %q) = %+v: %q is not in the message", program, msg, a, v)
			}
		}
		var e event.Event
		a.AddTo(&e)
		for _, fl := range e.Fields {
			if fl.Value == "" {
				t.Fatalf("Parse(%q, %q): empty field %s", program, msg, fl.Name)
			}
		}
	})
}
