package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// testNow is the clock of the tests: BSD timestamps from December fall in
// 2025, those from the first days of January in 2026.
var testNow = time.Date(2026, time.January, 5, 12, 0, 0, 0, time.UTC)

func testDecoder() *Decoder {
	return New(Config{Now: func() time.Time { return testNow }})
}

// decodeOne decodes line as Decode would and returns the event.
func decodeOne(t *testing.T, d *Decoder, line string) *event.Event {
	t.Helper()
	var c decode.Collect
	if err := d.Decode(strings.NewReader(line), &c); err != nil {
		t.Fatalf("Decode(%q): %v", line, err)
	}
	if len(c.Events) != 1 {
		t.Fatalf("Decode(%q): got %d events, want 1", line, len(c.Events))
	}
	return c.Events[0]
}

func str(name, value string) event.Field { return event.Field{Name: name, Value: value} }
func num(name, value string) event.Field {
	return event.Field{Name: name, Value: value, Type: event.Number}
}

func TestBSD(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		time   time.Time
		fields []event.Field
	}{{
		name: "loghub OpenSSH",
		line: "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
		time: time.Date(2025, 12, 10, 6, 55, 46, 0, time.UTC),
		fields: []event.Field{
			str("event.action", "ssh_invalid_user"), str("event.category", "authentication"),
			str("event.outcome", "failure"), str("event.reason", "invalid user"), str("event.type", "info"),
			str("host.name", "LabSZ"), str("log.syslog.appname", "sshd"),
			str("message", "Invalid user webmaster from 173.234.31.186"),
			str("process.name", "sshd"), num("process.pid", "24200"),
			str("source.ip", "173.234.31.186"), str("user.name", "webmaster"),
		},
	}, {
		name: "loghub Linux PAM tag",
		line: "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 \r\n",
		time: time.Date(2025, 6, 14, 15, 16, 1, 0, time.UTC),
		fields: []event.Field{
			str("event.action", "pam_auth_failure"), str("event.category", "authentication"),
			str("event.outcome", "failure"), str("event.type", "start"),
			str("host.name", "combo"), str("log.syslog.appname", "sshd(pam_unix)"),
			str("message", "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4"),
			str("process.name", "sshd"), num("process.pid", "19939"), str("source.ip", "218.188.2.4"),
		},
	}, {
		name: "tag ended by a space",
		line: "Jul  3 04:08:03 combo syslogd 1.4.1: restart.",
		time: time.Date(2025, 7, 3, 4, 8, 3, 0, time.UTC),
		fields: []event.Field{
			str("host.name", "combo"), str("log.syslog.appname", "syslogd"),
			str("message", "1.4.1: restart."), str("process.name", "syslogd"),
		},
	}, {
		name: "tag with a space, closed by pid",
		line: "Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2",
		time: time.Date(2025, 7, 7, 8, 6, 15, 0, time.UTC),
		fields: []event.Field{
			str("event.action", "login"), str("event.category", "authentication"),
			str("event.outcome", "success"), str("event.type", "start"),
			str("host.name", "combo"), str("log.syslog.appname", "-- root"),
			str("message", "ROOT LOGIN ON tty2"), str("process.name", "-- root"), num("process.pid", "2421"),
			str("user.name", "root"),
		},
	}, {
		name: "RFC 3164 example with PRI",
		line: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
		time: time.Date(2025, 10, 11, 22, 14, 15, 0, time.UTC),
		fields: []event.Field{
			str("event.action", "su"), str("event.category", "authentication"),
			str("event.outcome", "failure"), str("event.type", "start"),
			str("host.name", "mymachine"), str("log.syslog.appname", "su"),
			num("log.syslog.facility.code", "4"), str("log.syslog.facility.name", "auth"),
			num("log.syslog.priority", "34"),
			num("log.syslog.severity.code", "2"), str("log.syslog.severity.name", "crit"),
			str("message", "'su root' failed for lonvick on /dev/pts/8"), str("process.name", "su"),
			str("user.effective.name", "root"), str("user.name", "lonvick"),
		},
	}, {
		name: "RFC 3164 example without tag",
		line: "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
		time: time.Date(2025, 2, 5, 17, 32, 18, 0, time.UTC),
		fields: []event.Field{
			str("host.name", "10.0.0.99"), str("log.syslog.appname", "Use"),
			num("log.syslog.facility.code", "1"), str("log.syslog.facility.name", "user"),
			num("log.syslog.priority", "13"),
			num("log.syslog.severity.code", "5"), str("log.syslog.severity.name", "notice"),
			str("message", "the BFG!"), str("process.name", "Use"),
		},
	}, {
		name: "no hostname",
		line: "<86>Dec 31 23:59:59 sshd[77]: Accepted password for alice from 10.0.0.9 port 2222 ssh2",
		time: time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC),
		fields: []event.Field{
			str("event.action", "ssh_login"), str("event.category", "authentication"),
			str("event.outcome", "success"), str("event.type", "start"),
			str("log.syslog.appname", "sshd"),
			num("log.syslog.facility.code", "10"), str("log.syslog.facility.name", "authpriv"),
			num("log.syslog.priority", "86"),
			num("log.syslog.severity.code", "6"), str("log.syslog.severity.name", "info"),
			str("message", "Accepted password for alice from 10.0.0.9 port 2222 ssh2"),
			str("process.name", "sshd"), num("process.pid", "77"),
			str("source.ip", "10.0.0.9"), num("source.port", "2222"),
			str("system.auth.ssh.method", "password"), str("user.name", "alice"),
		},
	}, {
		name: "rsyslog RFC 3339 timestamp",
		line: "2024-01-02T03:04:05.123456+01:00 web01 sudo:     alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
		time: time.Date(2024, 1, 2, 2, 4, 5, 123456000, time.UTC),
		fields: []event.Field{
			str("event.action", "sudo_command"), str("event.category", "process"),
			str("event.outcome", "success"), str("event.type", "start"),
			str("host.name", "web01"), str("log.syslog.appname", "sudo"),
			str("message", "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"),
			str("process.name", "sudo"),
			str("system.auth.sudo.command", "/usr/bin/id"), str("system.auth.sudo.pwd", "/home/alice"),
			str("system.auth.sudo.tty", "pts/0"),
			str("user.effective.name", "root"), str("user.name", "alice"),
		},
	}, {
		name: "fraction of a second, non-numeric pid, tab kept",
		line: "Jan  5 10:00:00.250 host postfix/smtpd[abc]: NOQUEUE:\treject",
		time: time.Date(2026, 1, 5, 10, 0, 0, 250000000, time.UTC),
		fields: []event.Field{
			str("host.name", "host"), str("log.syslog.appname", "postfix/smtpd"),
			str("log.syslog.procid", "abc"),
			str("message", "NOQUEUE:\treject"), str("process.name", "postfix/smtpd"),
		},
	}, {
		name: "priority without header",
		line: "<13>hello world",
		fields: []event.Field{
			num("log.syslog.facility.code", "1"), str("log.syslog.facility.name", "user"),
			num("log.syslog.priority", "13"),
			num("log.syslog.severity.code", "5"), str("log.syslog.severity.name", "notice"),
			str("message", "hello world"),
		},
	}, {
		name: "empty message",
		line: "Dec 10 06:55:46 LabSZ sshd[24200]:",
		time: time.Date(2025, 12, 10, 6, 55, 46, 0, time.UTC),
		fields: []event.Field{
			str("host.name", "LabSZ"), str("log.syslog.appname", "sshd"),
			str("process.name", "sshd"), num("process.pid", "24200"),
		},
	}}
	d := testDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeOne(t, d, tt.line)
			if e.Kind != event.KindEvent {
				t.Fatalf("Kind = %v (%s), want event", e.Kind, e.ParseError)
			}
			if !e.Time.Equal(tt.time) {
				t.Errorf("Time = %v, want %v", e.Time, tt.time)
			}
			if diff := cmp.Diff(tt.fields, e.Fields); diff != "" {
				t.Errorf("fields mismatch (-want +got):\n%s", diff)
			}
			if e.Format != "syslog" {
				t.Errorf("Format = %q, want syslog", e.Format)
			}
			if want := strings.TrimRight(tt.line, "\r\n"); string(e.Raw) != want {
				t.Errorf("Raw = %q, want %q", e.Raw, want)
			}
		})
	}
}

func TestRFC5424(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		time   time.Time
		fields []event.Field
	}{{
		name: "RFC 5424 example 1, BOM",
		line: "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8",
		time: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC),
		fields: []event.Field{
			str("event.action", "su"), str("event.category", "authentication"),
			str("event.outcome", "failure"), str("event.type", "start"),
			str("host.name", "mymachine.example.com"), str("log.syslog.appname", "su"),
			num("log.syslog.facility.code", "4"), str("log.syslog.facility.name", "auth"),
			str("log.syslog.msgid", "ID47"), num("log.syslog.priority", "34"),
			num("log.syslog.severity.code", "2"), str("log.syslog.severity.name", "crit"),
			num("log.syslog.version", "1"),
			str("message", "'su root' failed for lonvick on /dev/pts/8"), str("process.name", "su"),
			str("user.effective.name", "root"), str("user.name", "lonvick"),
		},
	}, {
		name: "RFC 5424 example 2, offset and pid",
		line: "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
		time: time.Date(2003, 8, 24, 12, 14, 15, 3000, time.UTC),
		fields: []event.Field{
			str("host.name", "192.0.2.1"), str("log.syslog.appname", "myproc"),
			num("log.syslog.facility.code", "20"), str("log.syslog.facility.name", "local4"),
			num("log.syslog.priority", "165"),
			num("log.syslog.severity.code", "5"), str("log.syslog.severity.name", "notice"),
			num("log.syslog.version", "1"),
			str("message", "%% It's time to make the do-nuts."), str("process.name", "myproc"), num("process.pid", "8710"),
		},
	}, {
		name: "RFC 5424 example 4, two SD elements, no message",
		line: `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`,
		time: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC),
		fields: []event.Field{
			str("host.name", "mymachine.example.com"), str("log.syslog.appname", "evntslog"),
			num("log.syslog.facility.code", "20"), str("log.syslog.facility.name", "local4"),
			str("log.syslog.msgid", "ID47"), num("log.syslog.priority", "165"),
			num("log.syslog.severity.code", "5"), str("log.syslog.severity.name", "notice"),
			num("log.syslog.version", "1"),
			str("process.name", "evntslog"),
			str("syslog.sd.examplePriority@32473.class", "high"),
			str("syslog.sd.exampleSDID@32473.eventID", "1011"),
			str("syslog.sd.exampleSDID@32473.eventSource", "Application"),
			str("syslog.sd.exampleSDID@32473.iut", "3"),
		},
	}, {
		name: "sshd with escaped SD values",
		line: `<38>1 2024-05-01T10:00:00Z bastion sshd 4242 - [origin ip="10.0.0.1" software="OpenSSH"][meta note="a \"b\" \] c"] Failed password for root from 203.0.113.9 port 50000 ssh2`,
		time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		fields: []event.Field{
			str("event.action", "ssh_login"), str("event.category", "authentication"),
			str("event.outcome", "failure"), str("event.type", "start"),
			str("host.name", "bastion"), str("log.syslog.appname", "sshd"),
			num("log.syslog.facility.code", "4"), str("log.syslog.facility.name", "auth"),
			num("log.syslog.priority", "38"),
			num("log.syslog.severity.code", "6"), str("log.syslog.severity.name", "info"),
			num("log.syslog.version", "1"),
			str("message", "Failed password for root from 203.0.113.9 port 50000 ssh2"),
			str("process.name", "sshd"), num("process.pid", "4242"),
			str("source.ip", "203.0.113.9"), num("source.port", "50000"),
			str("syslog.sd.meta.note", `a "b" ] c`),
			str("syslog.sd.origin.ip", "10.0.0.1"), str("syslog.sd.origin.software", "OpenSSH"),
			str("system.auth.ssh.method", "password"), str("user.name", "root"),
		},
	}, {
		name: "every header field nil",
		line: "<0>1 - - - - - -",
		fields: []event.Field{
			num("log.syslog.facility.code", "0"), str("log.syslog.facility.name", "kern"),
			num("log.syslog.priority", "0"),
			num("log.syslog.severity.code", "0"), str("log.syslog.severity.name", "emerg"),
			num("log.syslog.version", "1"),
		},
	}}
	d := testDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeOne(t, d, tt.line)
			if e.Kind != event.KindEvent {
				t.Fatalf("Kind = %v (%s), want event", e.Kind, e.ParseError)
			}
			if !e.Time.Equal(tt.time) {
				t.Errorf("Time = %v, want %v", e.Time, tt.time)
			}
			if diff := cmp.Diff(tt.fields, e.Fields); diff != "" {
				t.Errorf("fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestYear(t *testing.T) {
	f := func(now time.Time, loc *time.Location, stamp string, want time.Time) {
		t.Helper()
		d := New(Config{Now: func() time.Time { return now }, Location: loc})
		e := decodeOne(t, d, stamp+" host prog: m")
		if !e.Time.Equal(want) {
			t.Errorf("now %v, %q: Time = %v, want %v", now, stamp, e.Time, want)
		}
	}
	jan5 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	f(jan5, nil, "Dec 31 23:59:59", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC))
	f(jan5, nil, "Jan  5 11:00:00", time.Date(2026, 1, 5, 11, 0, 0, 0, time.UTC))
	// Up to a day ahead is clock skew or a sender east of Location.
	f(jan5, nil, "Jan  6 06:00:00", time.Date(2026, 1, 6, 6, 0, 0, 0, time.UTC))
	f(jan5, nil, "Jan  6 12:00:00", time.Date(2026, 1, 6, 12, 0, 0, 0, time.UTC))
	f(jan5, nil, "Jan  6 12:00:01", time.Date(2025, 1, 6, 12, 0, 1, 0, time.UTC))
	f(jan5, nil, "Mar  1 00:00:00", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	// February 29 exists only in leap years.
	f(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), nil, "Feb 29 10:00:00", time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC))
	f(time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), nil, "Feb 29 10:00:00", time.Date(2028, 2, 29, 10, 0, 0, 0, time.UTC))

	// Location interprets the wall clock; it does not convert it.
	plus10 := time.FixedZone("UTC+10", 10*3600)
	f(jan5, plus10, "Jul  1 12:00:00", time.Date(2025, 7, 1, 2, 0, 0, 0, time.UTC))
	// Just after midnight UTC on New Year's Day, it is already 10:30 on
	// January 1 at UTC+10.
	newYear := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)
	f(newYear, plus10, "Jan  1 10:00:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f(newYear, plus10, "Dec 31 23:00:00", time.Date(2025, 12, 31, 13, 0, 0, 0, time.UTC))
	// An RFC 3339 timestamp without offset is in Location too.
	f(jan5, plus10, "2025-07-01T12:00:00", time.Date(2025, 7, 1, 2, 0, 0, 0, time.UTC))
	// One with an offset is not.
	f(jan5, plus10, "2025-07-01T12:00:00Z", time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC))
}

func TestMalformed(t *testing.T) {
	f := func(line, wantErr string) {
		t.Helper()
		e := decodeOne(t, testDecoder(), line)
		if e.Kind != event.KindPipelineError {
			t.Errorf("%q: Kind = %v, want pipeline_error; fields %v", line, e.Kind, e.Fields)
			return
		}
		if !strings.Contains(e.ParseError, wantErr) {
			t.Errorf("%q: ParseError = %q, want it to contain %q", line, e.ParseError, wantErr)
		}
		if string(e.Raw) != line || len(e.Fields) != 0 {
			t.Errorf("%q: Raw = %q, Fields = %v; want the line and no fields", line, e.Raw, e.Fields)
		}
	}
	f("not syslog at all", "rfc3164: col 0: expecting a timestamp")
	f("\x00\x01\x02binary\xff\xfe", "rfc3164: col 0: expecting a timestamp")
	f("<999>Dec 10 06:55:46 host x: y", "expecting a priority value")
	f("<034>Dec 10 06:55:46 host x: y", "expecting a priority value")
	f("<34", "expecting a priority value")
	f("Dec 32 06:55:46 host x: y", "expecting a timestamp")
	f("Feb 30 06:55:46 host x: y", "expecting a timestamp")
	f("Dec 10 24:00:00 host x: y", "expecting a timestamp")
	f("Dec 10 06:55 host x: y", "expecting a timestamp")
	f("dec 10 06:55:46 host x: y", "expecting a timestamp")
	f("Dec 10 06:55:46.x host x: y", "expecting a timestamp")
	f("Dec 10 06:55:46host x: y", "col 15: expecting a space after the timestamp")
	f("2024-13-02T03:04:05Z host x: y", "expecting a timestamp")
	f("<34>1 2003-10-11T22:14:15.003Z host app - - [bad sd", "rfc5424: col 51: expecting a structured data parameter")
	f("<34>1 not-a-time host app - - - msg", "rfc5424: col 6: expecting")
	f("<34>1 2003-10-11T22:14:15.003Z host", "rfc5424:")
}

func TestDecodeMessageErrors(t *testing.T) {
	d := New(Config{MaxRecord: 64})
	var e event.Event
	err := d.DecodeMessage([]byte("garbage"), &e)
	var pe *ParseError
	if !errors.Is(err, ErrMalformed) || !errors.As(err, &pe) || pe.Format != "rfc3164" {
		t.Errorf("DecodeMessage(garbage) = %v, want a rfc3164 *ParseError matching ErrMalformed", err)
	}
	err = d.DecodeMessage([]byte("<34>1 2003-10-11T22:14:15.003Z host app - - [x"), &e)
	if !errors.Is(err, ErrMalformed) || !errors.As(err, &pe) || pe.Err == nil || pe.Offset == 0 {
		t.Errorf("DecodeMessage(bad 5424) = %#v, want a *ParseError with the library's error and offset", err)
	}
	if err := d.DecodeMessage(bytes.Repeat([]byte("a"), 65), &e); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeMessage(65 bytes) = %v, want ErrTooLarge", err)
	}
	if err := d.DecodeMessage(nil, &e); !errors.Is(err, ErrMalformed) {
		t.Errorf("DecodeMessage(nil) = %v, want ErrMalformed", err)
	}
}

func TestDecodeMessage(t *testing.T) {
	d := testDecoder()
	msg := []byte("<38>Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 1.2.3.4 port 22 ssh2\n\x00")
	e := &event.Event{Raw: bytes.Clone(msg), Source: "syslog-udp/10.0.0.5"}
	if err := d.DecodeMessage(msg, e); err != nil {
		t.Fatalf("DecodeMessage: %v", err)
	}
	// The caller may reuse its buffer: nothing may point into it.
	for i := range msg {
		msg[i] = 'X'
	}
	if e.Format != "syslog" {
		t.Errorf("Format = %q, want syslog", e.Format)
	}
	for i := 1; i < len(e.Fields); i++ {
		if e.Fields[i-1].Name > e.Fields[i].Name {
			t.Fatalf("fields not sorted: %v", e.Fields)
		}
	}
	for name, want := range map[string]string{
		"message": "Failed password for root from 1.2.3.4 port 22 ssh2", "user.name": "root",
		"source.ip": "1.2.3.4", "event.outcome": "failure", "log.syslog.priority": "38",
	} {
		if got, _ := e.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// Fields the caller set before DecodeMessage stay, in sorted order.
func TestDecodeMessageKeepsFields(t *testing.T) {
	msg := []byte("Dec 10 06:55:46 LabSZ sshd[1]: Invalid user a from 10.0.0.1")
	e := &event.Event{Raw: msg, Fields: []event.Field{str("observer.ip", "10.9.9.9"), str("agent.name", "relay")}}
	if err := testDecoder().DecodeMessage(msg, e); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.Name)
	}
	want := []string{
		"agent.name", "event.action", "event.category", "event.outcome", "event.reason", "event.type",
		"host.name", "log.syslog.appname", "message", "observer.ip", "process.name", "process.pid",
		"source.ip", "user.name",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
}

func TestInvalidUTF8(t *testing.T) {
	d := testDecoder()
	// A failed login with a Latin-1 byte in the user name is still seen.
	line := "Dec 10 06:55:46 LabSZ sshd[1]: Failed password for invalid user \xe9ric from 10.0.0.9 port 22 ssh2"
	e := decodeOne(t, d, line)
	if e.Kind != event.KindEvent {
		t.Fatalf("Kind = %v (%s), want event", e.Kind, e.ParseError)
	}
	if string(e.Raw) != line {
		t.Errorf("Raw = %q, want the original bytes", e.Raw)
	}
	for name, want := range map[string]string{
		"user.name": "\uFFFDric", "source.ip": "10.0.0.9", "event.outcome": "failure", "tags": "invalid_utf8",
	} {
		if got, _ := e.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	e = decodeOne(t, d, "<34>1 2003-10-11T22:14:15Z host app - - [a b=\"\xff\"] \xEF\xBB\xBFbad \xc3\x28 utf8")
	if e.Kind != event.KindEvent {
		t.Fatalf("5424: Kind = %v (%s), want event", e.Kind, e.ParseError)
	}
	for name, want := range map[string]string{
		"message": "bad \uFFFD( utf8", "syslog.sd.a.b": "\uFFFD", "tags": "invalid_utf8",
	} {
		if got, _ := e.Get(name); got != want {
			t.Errorf("5424: %s = %q, want %q", name, got, want)
		}
	}

	// Valid UTF-8 is not tagged.
	e = decodeOne(t, d, "Dec 10 06:55:46 LabSZ sshd[1]: Invalid user éric from 10.0.0.9")
	if _, ok := e.Get("tags"); ok {
		t.Errorf("valid UTF-8 tagged: %v", e)
	}
	if got, _ := e.Get("user.name"); got != "éric" {
		t.Errorf("user.name = %q, want éric", got)
	}
}

func TestTooLarge(t *testing.T) {
	ok := "Dec 10 06:55:46 LabSZ sshd[1]: Connection closed by 10.0.0.9 [preauth]"
	long := "Dec 10 06:55:46 LabSZ sshd[1]: " + strings.Repeat("A", 200)
	in := ok + "\n" + long + "\n" + ok + "\n"
	var c decode.Collect
	if err := New(Config{MaxRecord: 100}).Decode(strings.NewReader(in), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 2 || c.Rejected["too_large"] != 1 {
		t.Errorf("got %d events, rejected %v; want 2 events and 1 too_large", len(c.Events), c.Rejected)
	}

	// The default limit is decode.DefaultMaxRecord.
	c = decode.Collect{}
	huge := "Dec 10 06:55:46 LabSZ sshd[1]: " + strings.Repeat("A", decode.DefaultMaxRecord)
	if err := New(Config{}).Decode(strings.NewReader(huge+"\n"+ok), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 1 || c.Rejected["too_large"] != 1 {
		t.Errorf("default limit: got %d events, rejected %v; want 1 event and 1 too_large", len(c.Events), c.Rejected)
	}
}

// The zero Decoder and the zero Config work, with the real clock.
func TestZeroValue(t *testing.T) {
	line := "Dec 10 06:55:46 LabSZ sshd[1]: Connection closed by 10.0.0.9 [preauth]\n" +
		"<34>1 2003-10-11T22:14:15.003Z host app - - - m"
	for name, d := range map[string]*Decoder{"zero Decoder": new(Decoder), "zero Config": New(Config{})} {
		var c decode.Collect
		if err := d.Decode(strings.NewReader(line), &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Events) != 2 || c.Events[0].Kind != event.KindEvent || c.Events[1].Kind != event.KindEvent {
			t.Fatalf("%s: got %v", name, c.Events)
		}
		if got := c.Events[0].Time; got.After(time.Now().Add(futureSlack)) || got.Location() != time.UTC {
			t.Errorf("%s: Time = %v, want a UTC time not after tomorrow", name, got)
		}
	}
}

func TestDecodeStream(t *testing.T) {
	in := "Dec 10 06:55:46 LabSZ sshd[1]: Invalid user a from 10.0.0.1\r\n" +
		"\r\n" +
		"junk line\n" +
		"   \n" +
		"<34>1 2003-10-11T22:14:15.003Z host sshd 7 - - Invalid user b from 10.0.0.2\n" +
		"Dec 10 06:55:47 LabSZ sshd[1]: Invalid user c from 10.0.0.3"
	var c decode.Collect
	if err := testDecoder().Decode(strings.NewReader(in), &c); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Events {
		u, _ := e.Get("user.name")
		got = append(got, e.Kind.String()+":"+u)
	}
	want := []string{"event:a", "pipeline_error:", "event:b", "event:c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
}

// One Decoder serves several goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	var lines []string
	for i := range 200 {
		if i%2 == 0 {
			lines = append(lines, fmt.Sprintf("<38>1 2024-05-01T10:00:00Z h sshd %d - [m n=\"%d\"] Invalid user u%d from 10.0.0.1", i, i, i))
		} else {
			lines = append(lines, fmt.Sprintf("Dec 10 06:55:46 LabSZ sshd[%d]: Invalid user u%d from 10.0.0.1", i, i))
		}
	}
	in := strings.Join(lines, "\n")
	d := testDecoder()
	var want decode.Collect
	if err := d.Decode(strings.NewReader(in), &want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var got decode.Collect
			if err := d.Decode(strings.NewReader(in), &got); err != nil {
				t.Error(err)
				return
			}
			if len(got.Events) != len(want.Events) {
				t.Errorf("got %d events, want %d", len(got.Events), len(want.Events))
				return
			}
			for i := range got.Events {
				if diff := cmp.Diff(want.Events[i].Fields, got.Events[i].Fields); diff != "" {
					t.Errorf("event %d differs (-serial +concurrent):\n%s", i, diff)
					return
				}
			}
		})
	}
	wg.Wait()
}
