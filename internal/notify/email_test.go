package notify

import (
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// delivered is one message the test SMTP server accepted.
type delivered struct {
	from string
	to   []string
	data []byte
	tls  bool // TLS was in use when the data arrived
	user string
}

// smtpBackend is a go-smtp backend that accepts mail from one user after
// AUTH PLAIN and passes each message on got.
type smtpBackend struct {
	user, password string
	got            chan delivered
}

func (b *smtpBackend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &smtpSession{b: b, conn: c}, nil
}

type smtpSession struct {
	b    *smtpBackend
	conn *gosmtp.Conn
	mu   sync.Mutex
	d    delivered
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.b.user || password != s.b.password {
			return errors.New("invalid credentials")
		}
		s.d.user = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.b.user != "" && s.d.user == "" {
		return gosmtp.ErrAuthRequired
	}
	s.d.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.d.to = append(s.d.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.d.data = data
	_, s.d.tls = s.conn.TLSConnectionState()
	s.b.got <- s.d
	return nil
}

func (s *smtpSession) Reset()        { s.d.from, s.d.to, s.d.data = "", nil, nil }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs a go-smtp server on 127.0.0.1; tlsCert nil means it
// offers no STARTTLS.
func startSMTP(t *testing.T, tlsCert *tls.Certificate, user, password string) (string, chan delivered) {
	t.Helper()
	be := &smtpBackend{user: user, password: password, got: make(chan delivered, 10)}
	s := gosmtp.NewServer(be)
	s.Domain = "mx.test"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	if tlsCert != nil {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*tlsCert}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), be.got
}

func TestEmailSTARTTLSAuth(t *testing.T) {
	cert, caFile := selfSigned(t)
	addr, got := startSMTP(t, &cert, "vigie", "pa55word")
	host, port, _ := net.SplitHostPort(addr)
	portNum, _ := strconv.Atoi(port)
	n := start(t, Config{GroupWait: 100 * time.Millisecond, Targets: map[string]TargetConfig{
		"mail": {Type: TypeEmail, Host: host, Port: portNum, CAFile: caFile, Username: "vigie", Password: "pa55word",
			From: "vigie@court.example", To: []string{"soc@court.example", "ciso@court.example"}},
	}})
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	n.Notify(Message{Kind: KindIncidentNew, Incident: "12", Level: "high", Time: t0,
		Title: "Connexion échouée pour « admin »", Text: "20 échecs depuis 203.0.113.7",
		URL: "https://vigie.example.org/incidents/12"})
	n.Notify(Message{Kind: KindIncidentUpdate, Incident: "12", Level: "critical", Time: t0.Add(time.Minute),
		Title: "Login succeeded after failures", URL: "https://vigie.example.org/incidents/12"})

	d := next(t, got, 10*time.Second, "e-mail")
	if !d.tls {
		t.Errorf("the message data arrived without TLS")
	}
	if d.user != "vigie" {
		t.Errorf("authenticated as %q, want vigie", d.user)
	}
	if d.from != "vigie@court.example" || strings.Join(d.to, ",") != "soc@court.example,ciso@court.example" {
		t.Errorf("envelope from %q to %q", d.from, d.to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(d.data)))
	if err != nil {
		t.Fatalf("reading message: %v\n%s", err, d.data)
	}
	h := msg.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", h.Get("Subject"), err)
	}
	if want := "[Vigie] CRITICAL incident 12: Connexion échouée pour « admin » (+1 change)"; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	if !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("raw subject %q is not RFC 2047 encoded", h.Get("Subject"))
	}
	if date, err := h.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{24}\.[0-9]+@court\.example>$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	for name, want := range map[string]string{"From": "vigie@court.example", "To": "soc@court.example, ciso@court.example",
		"MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable", "Auto-Submitted": "auto-generated"} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Connexion échouée pour « admin »\r\n",
		"Level: critical\r\n",
		"2 changes from 2025-03-01T10:00:00Z to 2025-03-01T10:01:00Z:\r\n",
		"- 2025-03-01T10:00:00Z [high] incident.new: Connexion échouée pour « admin » — 20 échecs depuis 203.0.113.7\r\n",
		"- 2025-03-01T10:01:00Z [critical] incident.update: Login succeeded after failures\r\n",
		"https://vigie.example.org/incidents/12\r\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	nothing(t, got, 300*time.Millisecond, "second e-mail")
}

// Without STARTTLS on offer, the target refuses to send, and does not
// retry: nothing, credentials least of all, goes out in clear.
func TestEmailRequiresSTARTTLS(t *testing.T) {
	addr, got := startSMTP(t, nil, "", "")
	_, caFile := selfSigned(t)
	host, port, _ := net.SplitHostPort(addr)
	e, err := newEmail("notify.targets.mail", TargetConfig{Host: host, CAFile: caFile,
		From: "vigie@court.example", To: []string{"soc@court.example"}}, Deps{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.addr = net.JoinHostPort(host, port)
	err = e.Send(t.Context(), sampleNotification())
	var perm *permanentError
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS, which notify.targets.mail.tls requires") || !errors.As(err, &perm) {
		t.Errorf("error %v, want a permanent STARTTLS refusal", err)
	}
	nothing(t, got, 100*time.Millisecond, "message sent without TLS")

	// tls: none is the explicit way to send in clear, without credentials.
	e.mode = TLSNone
	if err := e.Send(t.Context(), sampleNotification()); err != nil {
		t.Fatalf("tls none: %v", err)
	}
	if d := next(t, got, 5*time.Second, "clear-text e-mail"); d.tls {
		t.Errorf("tls none delivered over TLS")
	}
}

// A certificate from an unknown CA fails the delivery.
func TestEmailUntrustedCertificate(t *testing.T) {
	cert, _ := selfSigned(t)
	_, otherCA := selfSigned(t)
	addr, got := startSMTP(t, &cert, "", "")
	host, port, _ := net.SplitHostPort(addr)
	e, err := newEmail("notify.targets.mail", TargetConfig{Host: host, CAFile: otherCA,
		From: "vigie@court.example", To: []string{"soc@court.example"}}, Deps{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.addr = net.JoinHostPort(host, port)
	if err := e.Send(t.Context(), sampleNotification()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error %v, want a certificate error", err)
	}
	nothing(t, got, 100*time.Millisecond, "message sent to an untrusted server")
}

func TestEncodeSubjectFolds(t *testing.T) {
	s := encodeSubject(strings.Repeat("é", 300) + "\r\nBcc: victim@example.org")
	for _, line := range strings.Split(s, "\r\n") {
		if len(line) > 78 {
			t.Errorf("subject line of %d bytes: %q", len(line), line)
		}
		if !strings.HasPrefix(line, " ") && line != strings.Split(s, "\r\n")[0] {
			t.Errorf("continuation line %q does not start with a space", line)
		}
	}
	got, err := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(s, "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("é", 300) + "  Bcc: victim@example.org"; got != want {
		t.Errorf("decoded subject %q, want %q", got, want)
	}
}
