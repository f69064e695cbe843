package syslog

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

type queue struct {
	mu       sync.Mutex
	messages []string
	sources  []event.SourceID
	rejected map[string]int
}

func (q *queue) Enqueue(ctx context.Context, events []*event.Event) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range events {
		q.messages = append(q.messages, string(e.Raw))
		q.sources = append(q.sources, e.Source)
	}
	return nil
}

func (q *queue) Reject(src event.SourceID, reason string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.rejected == nil {
		q.rejected = map[string]int{}
	}
	q.rejected[reason]++
}

func (q *queue) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		q.mu.Lock()
		got := slices.Clone(q.messages)
		q.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func decodeMsg(line []byte, e *event.Event) error {
	if strings.HasPrefix(string(line), "bad") {
		return fmt.Errorf("bad message")
	}
	e.Add(event.Message, string(line))
	return nil
}

func serve(t *testing.T, cfg Config) (*Server, *queue) {
	t.Helper()
	q := &queue{}
	cfg.Queue = q
	cfg.Decode = decodeMsg
	s, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, q
}

func TestTCPFraming(t *testing.T) {
	s, q := serve(t, Config{TCP: "127.0.0.1:0", MaxMessage: 100})
	c, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	m1 := "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - 'su root' failed"
	m2 := "<13>Oct 11 22:14:15 host sshd[1]: line\twith tab"
	big := "<13>" + strings.Repeat("x", 200)
	fmt.Fprintf(c, "%d %s", len(m1), m1)            // octet counting
	fmt.Fprintf(c, "%s\n", m2)                      // newline framing
	fmt.Fprintf(c, "%s\r\n", big)                   // over the limit
	fmt.Fprintf(c, "%d %s", len(big), big)          // over the limit, counted
	fmt.Fprintf(c, "11 multi\nline.")               // counted frame holding a newline
	fmt.Fprintf(c, "bad one\nlast without newline") // kept, not dropped
	c.Close()
	got := q.wait(t, 5)
	want := []string{m1, m2, "multi\nline.", "bad one", "last without newline"}
	if !slices.Equal(got, want) {
		t.Fatalf("messages = %q, want %q", got, want)
	}
	if q.rejected["too_large"] != 2 {
		t.Errorf("rejected = %v, want 2 too_large", q.rejected)
	}
	if q.sources[0] != "syslog-tcp/127.0.0.1" {
		t.Errorf("source = %q, want syslog-tcp/127.0.0.1", q.sources[0])
	}
}

func TestTCPBadFraming(t *testing.T) {
	s, q := serve(t, Config{TCP: "127.0.0.1:0"})
	c, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "5 hello12x junk")
	q.wait(t, 1)
	deadline := time.Now().Add(5 * time.Second)
	for {
		q.mu.Lock()
		n := q.rejected["bad_framing"]
		q.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bad framing not counted: %v", q.rejected)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestUDP(t *testing.T) {
	s, q := serve(t, Config{UDP: "127.0.0.1:0", MaxMessage: 50})
	c, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("<13>Oct 11 22:14:15 host app: one\n"))
	c.Write([]byte(strings.Repeat("y", 60)))
	c.Write([]byte("<13>Oct 11 22:14:15 host app: two"))
	got := q.wait(t, 2)
	want := []string{"<13>Oct 11 22:14:15 host app: one", "<13>Oct 11 22:14:15 host app: two"}
	if !slices.Equal(got, want) {
		t.Fatalf("messages = %q, want %q", got, want)
	}
	if q.rejected["too_large"] != 1 {
		t.Errorf("rejected = %v, want one too_large", q.rejected)
	}
}

func TestTLS(t *testing.T) {
	cert := selfSigned(t)
	s, q := serve(t, Config{TLS: "127.0.0.1:0", TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	c, err := tls.Dial("tcp", s.TLSAddr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	msg := "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - over TLS"
	fmt.Fprintf(c, "%d %s", len(msg), msg)
	c.Close()
	if got := q.wait(t, 1); !slices.Equal(got, []string{msg}) {
		t.Fatalf("messages = %q, want %q", got, []string{msg})
	}
	if q.sources[0] != "syslog-tls/127.0.0.1" {
		t.Errorf("source = %q", q.sources[0])
	}
	if _, err := Listen(Config{TLS: "127.0.0.1:0", Queue: q, Decode: decodeMsg}); err == nil {
		t.Error("Listen with TLS and no certificate succeeded, want an error")
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}
