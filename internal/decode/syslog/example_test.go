package syslog_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/event"
)

func ExampleDecoder_Decode() {
	d := syslog.New(syslog.Config{
		Now: func() time.Time { return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) },
	})
	in := "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2\n" +
		"not a syslog line\n"
	var c decode.Collect
	if err := d.Decode(strings.NewReader(in), &c); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range c.Events {
		if e.Kind == event.KindPipelineError {
			fmt.Println(e.Kind, e.ParseError)
			continue
		}
		user, _ := e.Get(event.UserName)
		ip, _ := e.Get(event.SourceIP)
		outcome, _ := e.Get(event.EventOutcome)
		fmt.Println(e.Time.Format(time.DateTime), user, ip, outcome)
	}
	// Output:
	// 2025-12-10 06:55:48 webmaster 173.234.31.186 failure
	// pipeline_error rfc3164: col 0: expecting a timestamp such as "Dec 10 06:55:46"
}

func ExampleDecoder_DecodeMessage() {
	var d syslog.Decoder // the zero Decoder works
	datagram := []byte(`<38>1 2024-05-01T10:00:00Z bastion sshd 4242 - [origin ip="10.0.0.1"] Accepted publickey for alice from 203.0.113.9 port 50000 ssh2: ED25519 SHA256:x`)
	e := &event.Event{Raw: datagram, Source: "syslog-udp/10.0.0.1"}
	if err := d.DecodeMessage(datagram, e); err != nil {
		e.MarkMalformed(err)
	}
	for _, f := range e.Fields {
		fmt.Printf("%s=%s\n", f.Name, f.Value)
	}
	// Output:
	// event.action=ssh_login
	// event.category=authentication
	// event.outcome=success
	// event.type=start
	// host.name=bastion
	// log.syslog.appname=sshd
	// log.syslog.facility.code=4
	// log.syslog.facility.name=auth
	// log.syslog.priority=38
	// log.syslog.severity.code=6
	// log.syslog.severity.name=info
	// log.syslog.version=1
	// message=Accepted publickey for alice from 203.0.113.9 port 50000 ssh2: ED25519 SHA256:x
	// process.name=sshd
	// process.pid=4242
	// source.ip=203.0.113.9
	// source.port=50000
	// syslog.sd.origin.ip=10.0.0.1
	// system.auth.ssh.method=publickey
	// system.auth.ssh.signature=ED25519 SHA256:x
	// user.name=alice
}
