package syslog

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// Queue is what the server needs from the ingest pipeline.
type Queue interface {
	Enqueue(ctx context.Context, events []*event.Event) error
	Reject(src event.SourceID, reason string)
}

// Config configures a Server. Queue and Decode are required; listeners
// whose address is empty are not started.
type Config struct {
	UDP string // e.g. ":514"
	TCP string // e.g. ":601"
	// TLS is the address of a TLS listener (RFC 5425, usually :6514);
	// TLSConfig must then be set.
	TLS       string
	TLSConfig *tls.Config
	Queue     Queue
	// Decode decodes one message; e.Raw holds the message. An error marks
	// the event malformed and it is stored raw.
	Decode decode.LineFunc
	// MaxMessage limits one message; default decode.DefaultMaxRecord.
	MaxMessage int
	// MaxConns limits concurrent TCP and TLS connections; default 1024.
	MaxConns int
	// Batch is the most messages gathered before they are queued (default
	// 500). A TCP connection queues what it has whenever its next read
	// would wait; UDP queues at least every Flush (default 200 ms).
	Batch  int
	Flush  time.Duration
	Logger *slog.Logger
}

// Server is a syslog receiver. Create it with Listen, then call Serve.
type Server struct {
	cfg   Config
	udp   net.PacketConn
	tcp   net.Listener
	tls   net.Listener
	conns chan struct{} // semaphore of TCP connections

	// mu guards open.
	mu   sync.Mutex
	open map[net.Conn]struct{}
}

// Listen opens the configured listeners.
func Listen(cfg Config) (*Server, error) {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = decode.DefaultMaxRecord
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 1024
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Flush <= 0 {
		cfg.Flush = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, conns: make(chan struct{}, cfg.MaxConns), open: make(map[net.Conn]struct{})}
	var err error
	if cfg.UDP != "" {
		if s.udp, err = net.ListenPacket("udp", cfg.UDP); err != nil {
			return nil, fmt.Errorf("syslog UDP listener: %w", err)
		}
	}
	if cfg.TCP != "" {
		if s.tcp, err = net.Listen("tcp", cfg.TCP); err != nil {
			s.close()
			return nil, fmt.Errorf("syslog TCP listener: %w", err)
		}
	}
	if cfg.TLS != "" {
		if cfg.TLSConfig == nil {
			s.close()
			return nil, errors.New("syslog TLS listener needs a certificate: set syslog.tls_cert and syslog.tls_key")
		}
		if s.tls, err = tls.Listen("tcp", cfg.TLS, cfg.TLSConfig); err != nil {
			s.close()
			return nil, fmt.Errorf("syslog TLS listener: %w", err)
		}
	}
	return s, nil
}

// UDPAddr, TCPAddr and TLSAddr return the bound addresses, or nil.
func (s *Server) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// TCPAddr returns the TCP listener's address, or nil.
func (s *Server) TCPAddr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

// TLSAddr returns the TLS listener's address, or nil.
func (s *Server) TLSAddr() net.Addr {
	if s.tls == nil {
		return nil
	}
	return s.tls.Addr()
}

func (s *Server) close() {
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.tls != nil {
		s.tls.Close()
	}
}

// Serve receives until ctx ends, then closes the listeners and the open
// connections, queues what it has read, and returns.
func (s *Server) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	if s.udp != nil {
		wg.Go(func() { s.serveUDP(ctx) })
	}
	for _, l := range []net.Listener{s.tcp, s.tls} {
		if l != nil {
			wg.Go(func() { s.accept(ctx, l) })
		}
	}
	<-ctx.Done()
	s.close()
	s.mu.Lock()
	for c := range s.open {
		c.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	wg.Wait()
	return nil
}

// batcher gathers events of one source and queues them.
type batcher struct {
	s      *Server
	src    event.SourceID
	events []*event.Event
}

func (b *batcher) add(ctx context.Context, msg []byte) {
	e := &event.Event{Source: b.src, Format: "syslog", Raw: bytes.Clone(msg), Received: time.Now()}
	if err := b.s.cfg.Decode(e.Raw, e); err != nil {
		e.MarkMalformed(err)
	}
	e.Sort()
	b.events = append(b.events, e)
	if len(b.events) >= b.s.cfg.Batch {
		b.flush(ctx)
	}
}

// flush queues the gathered events. It blocks while the queue is full; it
// uses a context that outlives shutdown so that read events are not lost.
func (b *batcher) flush(ctx context.Context) {
	if len(b.events) == 0 {
		return
	}
	if err := b.s.cfg.Queue.Enqueue(context.WithoutCancel(ctx), b.events); err != nil {
		b.s.cfg.Logger.Error("queueing syslog messages", "source", b.src, "events", len(b.events), "err", err)
	}
	b.events = nil
}

func (s *Server) serveUDP(ctx context.Context) {
	buf := make([]byte, 64<<10)
	batches := make(map[string]*batcher)
	flushAll := func() {
		for k, b := range batches {
			b.flush(ctx)
			delete(batches, k)
		}
	}
	defer flushAll()
	for {
		s.udp.SetReadDeadline(time.Now().Add(s.cfg.Flush))
		n, addr, err := s.udp.ReadFrom(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				if ctx.Err() != nil {
					return
				}
				flushAll()
				continue
			}
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.cfg.Logger.Warn("syslog UDP read", "err", err)
			continue
		}
		host := hostOf(addr)
		b := batches[host]
		if b == nil {
			if len(batches) >= 256 {
				flushAll()
			}
			b = &batcher{s: s, src: event.SourceID("syslog-udp/" + host)}
			batches[host] = b
		}
		msg := bytes.TrimRight(buf[:n], "\r\n\x00")
		if len(msg) == 0 {
			continue
		}
		if len(msg) > s.cfg.MaxMessage {
			s.cfg.Queue.Reject(b.src, "too_large")
			continue
		}
		b.add(ctx, msg)
	}
}

func (s *Server) accept(ctx context.Context, l net.Listener) {
	var wg sync.WaitGroup
	defer wg.Wait()
	transport := "syslog-tcp"
	if l == s.tls {
		transport = "syslog-tls"
	}
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.cfg.Logger.Warn("syslog accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		src := event.SourceID(transport + "/" + hostOf(c.RemoteAddr()))
		select {
		case s.conns <- struct{}{}:
		default:
			s.cfg.Queue.Reject(src, "too_many_connections")
			c.Close()
			continue
		}
		s.mu.Lock()
		s.open[c] = struct{}{}
		s.mu.Unlock()
		wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.open, c)
				s.mu.Unlock()
				c.Close()
				<-s.conns
			}()
			s.serveConn(ctx, c, src)
		})
	}
}

// serveConn reads framed messages from one stream connection.
func (s *Server) serveConn(ctx context.Context, c net.Conn, src event.SourceID) {
	b := &batcher{s: s, src: src}
	defer b.flush(ctx)
	r := &framer{br: bufio.NewReaderSize(c, 64<<10), max: s.cfg.MaxMessage}
	for {
		msg, err := r.next()
		switch {
		case err == nil:
			if len(msg) > 0 {
				b.add(ctx, msg)
			}
		case errors.Is(err, errTooLarge):
			s.cfg.Queue.Reject(src, "too_large")
		case errors.Is(err, errBadFraming):
			s.cfg.Queue.Reject(src, "bad_framing")
			s.cfg.Logger.Warn("closing syslog connection", "source", src, "err", err)
			return
		default:
			if err == io.EOF && len(r.partial) > 0 {
				b.add(ctx, bytes.TrimRight(r.partial, "\r\n\x00")) // last line without a newline
			}
			return
		}
		// Queue what we have whenever the next read would wait, so a quiet
		// sender's messages are not held back.
		if r.br.Buffered() == 0 {
			b.flush(ctx)
		}
	}
}

func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

var (
	errTooLarge   = errors.New("syslog message too large")
	errBadFraming = errors.New("bad octet-counting frame")
)

// framer splits a stream into messages, RFC 6587: a message that starts
// with a digit is octet-counted ("LEN SP MSG"); otherwise it ends at a
// newline (or NUL). Since RFC 5424 and 3164 messages start with "<", the
// two cannot be confused.
type framer struct {
	br      *bufio.Reader
	max     int
	partial []byte // unterminated bytes read before an error
}

func (f *framer) next() ([]byte, error) {
	f.partial = f.partial[:0]
	c, err := f.br.Peek(1)
	if err != nil {
		return nil, err
	}
	if c[0] >= '0' && c[0] <= '9' {
		return f.counted()
	}
	return f.line()
}

func (f *framer) counted() ([]byte, error) {
	lenText, err := f.br.ReadSlice(' ')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) || err == io.EOF {
			return nil, fmt.Errorf("%w: no space after length", errBadFraming)
		}
		return nil, err
	}
	n, perr := strconv.Atoi(string(lenText[:len(lenText)-1]))
	if perr != nil || n < 0 {
		return nil, fmt.Errorf("%w: length %q", errBadFraming, lenText)
	}
	if n > f.max {
		if _, err := f.br.Discard(n); err != nil {
			return nil, err
		}
		return nil, errTooLarge
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(f.br, msg); err != nil {
		return nil, err
	}
	return bytes.TrimRight(msg, "\r\n"), nil
}

func (f *framer) line() ([]byte, error) {
	tooLarge := false
	for {
		chunk, err := f.br.ReadSlice('\n')
		if !tooLarge {
			f.partial = append(f.partial, chunk...)
			if len(f.partial) > f.max+2 {
				tooLarge = true
				f.partial = f.partial[:0]
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if tooLarge {
				f.partial = f.partial[:0]
			}
			return nil, err
		}
		if tooLarge {
			return nil, errTooLarge
		}
		msg := bytes.TrimRight(f.partial, "\r\n\x00")
		if len(msg) > f.max {
			return nil, errTooLarge
		}
		out := bytes.Clone(msg)
		f.partial = f.partial[:0]
		return out, nil
	}
}
