package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// syslogSender sends each notification as one CEF record in an RFC 5424
// syslog message, over UDP (one datagram each) or TCP (octet counting,
// RFC 6587). The TCP connection is kept between notifications, checked
// before each one and dialled again when the peer has closed it. Send is
// called by one goroutine at a time.
type syslogSender struct {
	network  string
	address  string
	facility int
	hostname string
	appName  string
	procID   string
	version  string
	now      func() time.Time
	conn     net.Conn // nil when not connected
}

// defaultFacility is 13, "log audit", unless the target sets facility.
const defaultFacility = 13

func newSyslog(tc TargetConfig, deps Deps) (*syslogSender, error) {
	s := &syslogSender{network: tc.Network, address: tc.Address, facility: defaultFacility,
		hostname: tc.Hostname, appName: tc.AppName, procID: strconv.Itoa(os.Getpid()),
		version: deps.Version, now: deps.Now}
	if s.network == "" {
		s.network = "udp"
	}
	if tc.Facility != nil {
		s.facility = *tc.Facility
	}
	if s.hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" || strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r > '~' }) {
			h = "-"
		}
		s.hostname = cut(h, 255)
	}
	if s.appName == "" {
		s.appName = "vigie"
	}
	return s, nil
}

// frame returns the RFC 5424 message of n, with its TCP octet count when
// the transport is TCP.
func (s *syslogSender) frame(n *Notification) []byte {
	msg := fmt.Sprintf("<%d>1 %s %s %s %s %s - %s", s.facility*8+syslogSeverity(n.Level),
		s.now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), s.hostname, s.appName, s.procID,
		msgID(n.Kind), CEF(s.version, n))
	if s.network == "tcp" {
		msg = strconv.Itoa(len(msg)) + " " + msg
	}
	return []byte(msg)
}

// msgID is the kind as an RFC 5424 MSGID: 1 to 32 printable ASCII
// characters.
func msgID(kind string) string {
	id := strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return -1
		}
		return r
	}, kind)
	if id == "" {
		return "-"
	}
	return id[:min(len(id), 32)]
}

// syslogSeverity maps a Sigma level to a syslog severity.
func syslogSeverity(level string) int {
	switch level {
	case "critical":
		return 2 // critical
	case "high":
		return 3 // error
	case "low":
		return 5 // notice
	case "informational":
		return 6 // informational
	}
	return 4 // warning
}

func (s *syslogSender) Send(ctx context.Context, n *Notification) error {
	payload := s.frame(n)
	for attempt := 0; ; attempt++ {
		if s.conn != nil && s.network == "tcp" && !alive(s.conn) {
			s.conn.Close()
			s.conn = nil
		}
		if s.conn == nil {
			var d net.Dialer
			c, err := d.DialContext(ctx, s.network, s.address)
			if err != nil {
				return fmt.Errorf("syslog: %w", err)
			}
			s.conn = c
		}
		deadline, _ := ctx.Deadline() // zero, no deadline, when ctx has none
		_ = s.conn.SetWriteDeadline(deadline)
		_, err := s.conn.Write(payload)
		if err == nil {
			return nil
		}
		s.conn.Close()
		s.conn = nil
		if s.network != "tcp" || attempt > 0 || ctx.Err() != nil {
			return fmt.Errorf("syslog: %s %s: %w", s.network, s.address, err)
		}
	}
}

// alive reports whether a TCP connection is still open: the peer of a
// syslog connection never sends, so only a read that times out means the
// connection is idle and usable; EOF or an error means the peer closed it. A write to a closed connection would otherwise succeed and be
// lost.
func alive(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *syslogSender) Close() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
