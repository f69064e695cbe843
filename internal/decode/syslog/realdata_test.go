package syslog

import (
	"os"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// The files of shared/data/linux are loghub samples (research use, see
// LICENSE.loghub there). The expected counts below were obtained with grep
// over the files, independently of this package; each names its command.

// decodeFile decodes a shared data file with the test clock and checks
// that every line became an event, none malformed.
func decodeFile(t *testing.T, rel string, wantLines int) []*event.Event {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c decode.Collect
	if err := testDecoder().Decode(f, &c); err != nil {
		t.Fatalf("Decode(%s): %v", rel, err)
	}
	if len(c.Events) != wantLines || len(c.Rejected) != 0 {
		t.Fatalf("%s: got %d events, rejected %v; want %d events", rel, len(c.Events), c.Rejected, wantLines)
	}
	for _, e := range c.Events {
		if e.Kind != event.KindEvent {
			t.Errorf("%s: malformed: %s: %q", rel, e.ParseError, e.Raw)
		}
		if e.Time.IsZero() || e.Time.After(testNow) {
			t.Errorf("%s: Time = %v for %q", rel, e.Time, e.Raw)
		}
	}
	return c.Events
}

// get returns a field's value, or "" when it is absent.
func get(e *event.Event, name string) string {
	v, _ := e.Get(name)
	return v
}

// want checks the named fields of the event of one line; "*" requires a
// non-empty value.
func want(t *testing.T, e *event.Event, fields ...string) bool {
	t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		name, value := fields[i], fields[i+1]
		got, ok := e.Get(name)
		if !ok || got == "" || (value != "*" && got != value) {
			t.Errorf("%s = %q, want %q, in %q", name, got, value, e.Raw)
			return false
		}
	}
	return true
}

func TestOpenSSH2k(t *testing.T) {
	// awk 'END {print NR}' OpenSSH_2k.log (the last line has no newline)
	events := decodeFile(t, "linux/OpenSSH_2k.log", 2000)

	var failedPassword, accepted, invalidUser, invalidRequest, pamFailure, sessions int
	for _, e := range events {
		raw := string(e.Raw)
		want(t, e, "host.name", "LabSZ", "process.name", "sshd", "process.pid", "*", "message", "*")
		switch {
		case strings.Contains(raw, "Failed password"):
			if want(t, e, "event.action", "ssh_login", "event.outcome", "failure", "system.auth.ssh.method", "password",
				"user.name", "*", "source.ip", "*", "source.port", "*") {
				failedPassword++
			}
		case strings.Contains(raw, ": Accepted "):
			if want(t, e, "event.action", "ssh_login", "event.outcome", "success", "user.name", "fztu",
				"source.ip", "119.137.62.142", "source.port", "49116", "system.auth.ssh.method", "password") {
				accepted++
			}
		case strings.Contains(raw, ": Invalid user "):
			if want(t, e, "event.action", "ssh_invalid_user", "event.outcome", "failure", "user.name", "*", "source.ip", "*") {
				invalidUser++
			}
		case strings.Contains(raw, "input_userauth_request: invalid user"):
			if want(t, e, "event.action", "ssh_invalid_user_request", "user.name", "*") {
				invalidRequest++
			}
		case strings.Contains(raw, "authentication failure;") || strings.Contains(raw, "authentication failures;"):
			rhost := raw[strings.Index(raw, "rhost=")+len("rhost="):]
			rhost, _, _ = strings.Cut(rhost, " ")
			peer := get(e, "source.ip") + get(e, "source.domain")
			if want(t, e, "event.action", "pam_auth_failure", "event.outcome", "failure") && peer == rhost {
				pamFailure++
			} else if peer != rhost {
				t.Errorf("source = %q, want rhost %q, in %q", peer, rhost, raw)
			}
		case strings.Contains(raw, "session opened for user fztu"):
			if want(t, e, "event.action", "session_opened", "event.category", "session", "user.name", "fztu") {
				sessions++
			}
		case strings.Contains(raw, "session closed for user fztu"):
			if want(t, e, "event.action", "session_closed", "event.category", "session", "user.name", "fztu") {
				sessions++
			}
		}
	}
	counts := []struct {
		what      string
		got, want int
	}{
		{"Failed password", failedPassword, 520},        // grep -c 'Failed password'
		{"Accepted", accepted, 1},                       // grep -c ': Accepted '
		{"Invalid user", invalidUser, 113},              // grep -c ': Invalid user '
		{"input_userauth_request", invalidRequest, 113}, // grep -c 'input_userauth_request: invalid user'
		{"PAM authentication failure", pamFailure, 504}, // grep -cE 'authentication failures?;'
		{"session opened or closed", sessions, 2},       // grep -cE 'session (opened|closed)'
		{"events failing a password", countEvents(events, func(e *event.Event) bool { // the same 520, from the event side
			return get(e, "event.action") == "ssh_login" && get(e, "event.outcome") == "failure" &&
				get(e, "system.auth.ssh.method") == "password"
		}), 520},
		{"events failing any method", countEvents(events, func(e *event.Event) bool { // grep -c 'Failed '
			return get(e, "event.action") == "ssh_login" && get(e, "event.outcome") == "failure"
		}), 524},
		{"repeated messages", countEvents(events, func(e *event.Event) bool { // grep -c 'message repeated 5 times'
			return get(e, "system.auth.repeat_count") == "5" && get(e, "event.action") == "ssh_login"
		}), 2},
		{"reverse mapping", countEvents(events, func(e *event.Event) bool { // grep -c 'POSSIBLE BREAK-IN ATTEMPT'
			return get(e, "event.action") == "ssh_reverse_mapping_failed" && get(e, "source.ip") != ""
		}), 85},
		{"disconnects", countEvents(events, func(e *event.Event) bool { // grep -c 'Received disconnect'
			return get(e, "event.action") == "ssh_disconnect" && get(e, "source.ip") != ""
		}), 468},
		{"connections closed", countEvents(events, func(e *event.Event) bool { // grep -c 'Connection closed by'
			return get(e, "event.action") == "ssh_connection_closed" && get(e, "source.ip") != ""
		}), 34},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s: got %d events, want %d", c.what, c.got, c.want)
		}
	}
}

// The brute-force sources of the data README. Its figures count the lines
// that mention the address and match
// grep -E 'Failed password|Invalid user|authentication failure': failed
// passwords, invalid users and PAM failures, including PAM's "N more
// authentication failures" summaries but not "Failed none" probes. For
// example: grep -F 5.188.10.180 OpenSSH_2k.log | grep -cE 'Failed password|Invalid user|authentication failure'
func TestOpenSSH2kBruteForceSources(t *testing.T) {
	events := decodeFile(t, "linux/OpenSSH_2k.log", 2000)
	got := make(map[string]int)
	for _, e := range events {
		action := get(e, "event.action")
		passwordFailure := action == "ssh_login" && get(e, "event.outcome") == "failure" &&
			get(e, "system.auth.ssh.method") == "password"
		if passwordFailure || action == "ssh_invalid_user" || action == "pam_auth_failure" {
			got[get(e, "source.ip")]++
		}
	}
	for ip, n := range map[string]int{
		"183.62.140.253":  582,
		"187.141.143.180": 189,
		"103.99.0.122":    127,
		"112.95.230.3":    54,
		"5.188.10.180":    39,
	} {
		if got[ip] != n {
			t.Errorf("source %s: %d failed or invalid-user events, want %d", ip, got[ip], n)
		}
	}
}

func TestLinux2k(t *testing.T) {
	// awk 'END {print NR}' Linux_2k.log
	events := decodeFile(t, "linux/Linux_2k.log", 2000)

	var rhostFailures, opened, closed int
	for _, e := range events {
		raw := string(e.Raw)
		want(t, e, "host.name", "combo", "process.name", "*")
		switch {
		case strings.Contains(raw, "authentication failure;"):
			if !want(t, e, "event.action", "pam_auth_failure", "event.outcome", "failure", "event.category", "authentication") {
				continue
			}
			rhost := raw[strings.Index(raw, "rhost=")+len("rhost="):]
			rhost, _, _ = strings.Cut(rhost, " ")
			if rhost == "" {
				continue
			}
			if peer := get(e, "source.ip") + get(e, "source.domain"); peer != rhost {
				t.Errorf("source = %q, want rhost %q, in %q", peer, rhost, raw)
				continue
			}
			rhostFailures++
		case strings.Contains(raw, "session opened for user "):
			user, _, _ := strings.Cut(raw[strings.Index(raw, "for user ")+len("for user "):], " ")
			if want(t, e, "event.action", "session_opened", "event.category", "session", "event.type", "start", "user.name", user) {
				opened++
			}
		case strings.Contains(raw, "session closed for user "):
			user := strings.TrimSpace(raw[strings.Index(raw, "for user ")+len("for user "):])
			if want(t, e, "event.action", "session_closed", "event.category", "session", "event.type", "end", "user.name", user) {
				closed++
			}
		}
	}
	is := func(field, value string) func(*event.Event) bool {
		return func(e *event.Event) bool { return get(e, field) == value }
	}
	counts := []struct {
		what      string
		got, want int
	}{
		// grep 'authentication failure;' Linux_2k.log | grep -c 'rhost=[^ ]'
		{"PAM failures with rhost", rhostFailures, 489},
		// grep -c 'authentication failure;'
		{"PAM failures", countEvents(events, is("event.action", "pam_auth_failure")), 490},
		// grep 'authentication failure;' Linux_2k.log | grep -cE 'rhost=[0-9.]+ '
		{"PAM failures from an address", countEvents(events, func(e *event.Event) bool {
			return get(e, "event.action") == "pam_auth_failure" && get(e, "source.ip") != ""
		}), 300},
		// grep 'authentication failure;' Linux_2k.log | grep -c ' user='
		{"PAM failures naming a user", countEvents(events, func(e *event.Event) bool {
			return get(e, "event.action") == "pam_auth_failure" && get(e, "user.name") != ""
		}), 372},
		{"sessions opened", opened, 123}, // grep -c 'session opened for user '
		{"sessions closed", closed, 123}, // grep -c 'session closed for user '
		// grep -c 'check pass; user unknown'
		{"unknown users", countEvents(events, is("event.action", "pam_user_unknown")), 117},
		// grep -cE 'ftpd\[[0-9]+\]: connection from'
		{"ftp connections", countEvents(events, is("event.action", "ftp_connection")), 909},
		// grep -c 'ANONYMOUS FTP LOGIN'
		{"ftp logins", countEvents(events, is("event.action", "ftp_login")), 2},
		// grep -cE 'klogind\[[0-9]+\]: (Authentication failed from|Kerberos authentication failed)'
		{"kerberos failures", countEvents(events, is("event.action", "kerberos_auth_failure")), 46},
		// grep -c 'ROOT LOGIN ON' plus grep -c "gdm-binary.*Couldn't authenticate user"
		{"console logins", countEvents(events, is("event.action", "login")), 2},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s: got %d events, want %d", c.what, c.got, c.want)
		}
	}
}

func countEvents(events []*event.Event, pred func(*event.Event) bool) int {
	n := 0
	for _, e := range events {
		if pred(e) {
			n++
		}
	}
	return n
}
