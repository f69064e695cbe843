package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"
)

// email sends each notification as a plain-text message over SMTP. With
// tls: starttls (the default) a server that does not offer STARTTLS is a
// failure, never a reason to send in clear; credentials are only ever sent
// over TLS (AUTH PLAIN).
type email struct {
	key        string
	addr       string // host:port
	serverName string
	mode       string
	tlsConfig  *tls.Config
	username   string
	password   string
	from       string
	to         []string
	helloName  string
	now        func() time.Time
}

func newEmail(key string, tc TargetConfig, deps Deps) (*email, error) {
	mode := tc.TLS
	if mode == "" {
		mode = TLSStartTLS
	}
	port := tc.Port
	if port == 0 {
		port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[mode]
	}
	serverName := tc.ServerName
	if serverName == "" {
		serverName = tc.Host
	}
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if tc.CAFile != "" {
		pem, err := os.ReadFile(tc.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s.ca_file: %w", key, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s.ca_file: no PEM certificate in %s", key, tc.CAFile)
		}
		cfg.RootCAs = pool
	}
	hello, err := os.Hostname()
	if err != nil || hello == "" || strings.ContainsAny(hello, " \r\n") {
		hello = "localhost"
	}
	return &email{key: key, addr: net.JoinHostPort(tc.Host, strconv.Itoa(port)), serverName: serverName,
		mode: mode, tlsConfig: cfg, username: tc.Username, password: tc.Password, from: tc.From,
		to: tc.To, helloName: hello, now: deps.Now}, nil
}

func (e *email) Send(ctx context.Context, n *Notification) error {
	msg, err := e.compose(n)
	if err != nil {
		return &permanentError{err}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	// Closing the connection when ctx ends interrupts any exchange.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if e.mode == TLSImplicit {
		tc := tls.Client(conn, e.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("email: TLS with %s: %w", e.addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.serverName)
	if err != nil {
		conn.Close()
		return fmt.Errorf("email: %s: %w", e.addr, err)
	}
	defer c.Close()
	if err := e.exchange(c, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("email: %s: %w (%w)", e.addr, ctx.Err(), err)
		}
		return fmt.Errorf("email: %s: %w", e.addr, err)
	}
	return nil
}

// exchange runs the SMTP conversation after the greeting.
func (e *email) exchange(c *smtp.Client, msg []byte) error {
	if err := c.Hello(e.helloName); err != nil {
		return err
	}
	if e.mode == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &permanentError{fmt.Errorf("the server does not offer STARTTLS, which %s.tls requires", e.key)}
		}
		if err := c.StartTLS(e.tlsConfig); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if e.username != "" {
		if _, ok := c.TLSConnectionState(); !ok {
			return &permanentError{errors.New("BUG: credentials about to be sent without TLS")}
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return &permanentError{fmt.Errorf("the server does not offer AUTH but %s.username is set", e.key)}
		}
		if err := c.Auth(smtp.PlainAuth("", e.username, e.password, e.serverName)); err != nil {
			return fmt.Errorf("AUTH PLAIN as %s: %w", e.username, err)
		}
	}
	if err := c.Mail(e.from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}

// compose renders the notification as an RFC 5322 message: UTF-8 text,
// quoted-printable, with an encoded subject.
func (e *email) compose(n *Notification) ([]byte, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("email: Message-ID: %w", err)
	}
	domain := e.from[strings.LastIndexByte(e.from, '@')+1:]
	now := e.now()
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", e.from)
	header("To", strings.Join(e.to, ", "))
	header("Subject", encodeSubject(n.Subject()))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"."+strconv.FormatInt(now.Unix(), 10)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	header("X-Vigie-Key", mime.QEncoding.Encode("utf-8", oneLine(n.Key)))
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(n.Text())); err != nil {
		return nil, fmt.Errorf("email: body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("email: body: %w", err)
	}
	return b.Bytes(), nil
}

// encodeSubject encodes s as RFC 2047 words when it is not plain ASCII,
// folding between the words so that no line exceeds the limit.
func encodeSubject(s string) string {
	s = oneLine(s)
	enc := mime.QEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

func (e *email) Close() error { return nil }
