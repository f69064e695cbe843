package simulate

import (
	"fmt"
	"net/netip"
	"time"
)

// syslogLine adds one auth.log line of host h: "Mar  2 08:15:03 gw01
// sshd[4242]: msg", RFC 3164 without the priority, as rsyslog writes
// /var/log/auth.log with its traditional template. The timestamp has no
// year: Vigie's syslog decoder gives it the latest year that does not put
// it more than a day after the time of reading.
func (b *builder) syslogLine(t time.Time, h *host, program string, pid int, msg string, m mal) {
	if m.stage != "" && m.entities.HostName == "" {
		m.entities.HostName = h.name
	}
	var line []byte
	line = t.UTC().AppendFormat(line, time.Stamp)
	line = fmt.Appendf(line, " %s %s[%d]: %s", h.name, program, pid, msg)
	b.add(record{t: t, file: fileAuthLog, source: "syslog/" + h.name, body: line, label: m.label()})
}

// sshLogin adds a successful SSH session of user from ip on h, with the
// sudo commands given, lasting d.
func (b *builder) sshLogin(r rng, t time.Time, h *host, p *person, ip string, d time.Duration, sudo []string, m mal) {
	pid := 1000 + r.IntN(60000)
	port := r.ephemeralPort()
	key := r.word(base62+"+/", 43)
	b.syslogLine(t, h, "sshd", pid, fmt.Sprintf("Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s", p.sam, ip, port, key), m)
	b.syslogLine(t, h, "sshd", pid, fmt.Sprintf("pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", p.sam, p.linuxUID), m)
	at := t
	for _, cmd := range sudo {
		at = at.Add(r.between(20*time.Second, d/time.Duration(len(sudo)+1)))
		sp := 1000 + r.IntN(60000)
		b.syslogLine(at, h, "sudo", sp, fmt.Sprintf("%s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=%s", p.sam, p.sam, cmd), m)
		b.syslogLine(at, h, "sudo", sp, fmt.Sprintf("pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=%d)", p.sam, p.linuxUID), m)
		b.syslogLine(at.Add(r.between(time.Second, 20*time.Second)), h, "sudo", sp, "pam_unix(sudo:session): session closed for user root", m)
	}
	end := t.Add(d)
	if !at.Before(end) {
		end = at.Add(time.Minute)
	}
	b.syslogLine(end, h, "sshd", pid, fmt.Sprintf("Received disconnect from %s port %d:11: disconnected by user", ip, port), m)
	b.syslogLine(end, h, "sshd", pid, fmt.Sprintf("Disconnected from user %s %s port %d", p.sam, ip, port), m)
	b.syslogLine(end, h, "sshd", pid, fmt.Sprintf("pam_unix(sshd:session): session closed for user %s", p.sam), m)
}

// sshFailure adds a failed password attempt on h: for an account that
// does not exist, "Invalid user" first; then "Failed password"; then
// the client gives up.
func (b *builder) sshFailure(r rng, t time.Time, h *host, user string, exists bool, ip string, m mal) {
	pid := 1000 + r.IntN(60000)
	port := r.ephemeralPort()
	who := user
	closed := "authenticating user " + user
	if !exists {
		b.syslogLine(t, h, "sshd", pid, fmt.Sprintf("Invalid user %s from %s port %d", user, ip, port), m)
		who = "invalid user " + user
		closed = who
	}
	start := t
	t = t.Add(r.between(time.Second, 3*time.Second))
	b.syslogLine(t, h, "sshd", pid, fmt.Sprintf("Failed password for %s from %s port %d ssh2", who, ip, port), m)
	end := t.Add(r.between(200*time.Millisecond, 2*time.Second))
	b.syslogLine(end, h, "sshd", pid, fmt.Sprintf("Connection closed by %s %s port %d [preauth]", closed, ip, port), m)
	// Zeek sees the connection reach the bastion.
	if m.stage != "" {
		m.entities.HostName = h.fqdn
	}
	b.conn(start.Add(-300*time.Millisecond), flow{src: netip.MustParseAddr(ip), dst: h.ip, srcPort: port, dstPort: 22, proto: "tcp", service: "ssh",
		duration: end.Sub(start) + 300*time.Millisecond, origBytes: 1400 + r.Int64N(1500), respBytes: 2000 + r.Int64N(1500), uid: r.zeekUID()}, m)
}

// cron adds an hourly cron session on h.
func (b *builder) cron(r rng, t time.Time, h *host) {
	pid := 1000 + r.IntN(60000)
	b.syslogLine(t, h, "CRON", pid, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", mal{})
	b.syslogLine(t.Add(r.between(time.Second, 5*time.Second)), h, "CRON", pid, "pam_unix(cron:session): session closed for user root", mal{})
}
