package notify

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// readOctetCounted accepts connections on ln one after the other and
// passes each RFC 6587 octet-counted message on got.
func readOctetCounted(t *testing.T, ln net.Listener, got chan<- string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r := bufio.NewReader(c)
		for {
			count, err := r.ReadString(' ')
			if err != nil {
				break
			}
			size, err := strconv.Atoi(strings.TrimSuffix(count, " "))
			if err != nil || size <= 0 || size > 1<<20 {
				t.Errorf("bad octet count %q", count)
				break
			}
			msg := make([]byte, size)
			if _, err := io.ReadFull(r, msg); err != nil {
				t.Errorf("reading %d octets: %v", size, err)
				break
			}
			got <- string(msg)
		}
		c.Close()
	}
}

func sampleNotification() *Notification {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	return &Notification{Key: "incident/12", Kind: KindIncidentUpdate, Level: "high",
		Title: "Brute force | admin\\ops", Rule: "5f1a-b", Incident: "12",
		URL: "https://vigie.example.org/incidents/12?a=b", First: t0, Last: t0.Add(1500 * time.Millisecond),
		Changes: 2, Listed: []Change{{Time: t0, Kind: KindIncidentUpdate, Level: "high", Title: "x",
			Text: "user=root\nfailed 20 times"}},
		Fields: map[string]string{"source.ip": "203.0.113.7", "user.name": "root", "host.name": "web-1"}}
}

func TestCEF(t *testing.T) {
	got := CEF("1.2|3", sampleNotification())
	want := `CEF:0|Vigie|Vigie|1.2\|3|5f1a-b|Brute force \| admin\\ops|8|` +
		`rt=1740823201500 cnt=2 msg=user\=root\nfailed 20 times request=https://vigie.example.org/incidents/12?a\=b ` +
		`cs1Label=vigieKey cs1=incident/12 cs2Label=vigieKind cs2=incident.update cs3Label=vigieIncident cs3=12 ` +
		`cs4Label=vigieLevel cs4=high src=203.0.113.7 suser=root dhost=web-1`
	if got != want {
		t.Errorf("CEF:\ngot  %s\nwant %s", got, want)
	}
}

func TestCEFEscaping(t *testing.T) {
	header := func(in, want string) {
		t.Helper()
		if got := escapeHeader(in); got != want {
			t.Errorf("escapeHeader(%q) = %q, want %q", in, got, want)
		}
	}
	header("plain", "plain")
	header("a|b", `a\|b`)
	header(`C:\Windows`, `C:\\Windows`)
	header(`\|`, `\\\|`)
	header("a=b", "a=b") // = needs no escape in the header
	header("two\nlines\r", "two lines ")
	header("été|🙂", `été\|🙂`)

	ext := func(in, want string) {
		t.Helper()
		if got := escapeExtension(in); got != want {
			t.Errorf("escapeExtension(%q) = %q, want %q", in, got, want)
		}
	}
	ext("plain text", "plain text")
	ext("a=b", `a\=b`)
	ext(`C:\Windows`, `C:\\Windows`)
	ext("a|b", "a|b") // | needs no escape in the extension
	ext("l1\nl2", `l1\nl2`)
	ext("l1\r\nl2", `l1\r\nl2`)
	ext(`\=`, `\\\=`)

	sev := func(level string, want int) {
		t.Helper()
		if got := cefSeverity(level); got != want {
			t.Errorf("cefSeverity(%q) = %d, want %d", level, got, want)
		}
	}
	sev("informational", 1)
	sev("low", 3)
	sev("medium", 5)
	sev("high", 8)
	sev("critical", 10)
}

// parseCEF splits a CEF record into its header fields (unescaped) and its
// extension (unescaped values by key), failing on any malformed escape.
func parseCEF(t *testing.T, s string) ([]string, map[string]string) {
	t.Helper()
	var header []string
	var b strings.Builder
	i := 0
	for ; i < len(s) && len(header) < 7; i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '|'):
			b.WriteByte(s[i+1])
			i++
		case c == '\\':
			t.Fatalf("bad header escape at %d in %q", i, s)
		case c == '|':
			header = append(header, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	if len(header) != 7 {
		t.Fatalf("%d header fields in %q, want 7", len(header), s)
	}
	ext := s[i:]
	// Each unescaped "=" ends a key: the word before it.
	var keys []int // index of the '=' of each key
	for j := 0; j < len(ext); j++ {
		switch ext[j] {
		case '\\':
			j++
		case '=':
			keys = append(keys, j)
		}
	}
	fields := map[string]string{}
	start := 0
	for k, eq := range keys {
		key := ext[start:eq]
		end := len(ext)
		if k+1 < len(keys) {
			end = strings.LastIndexByte(ext[:keys[k+1]], ' ')
		}
		raw := ext[eq+1 : end]
		var v strings.Builder
		for j := 0; j < len(raw); j++ {
			if raw[j] != '\\' {
				v.WriteByte(raw[j])
				continue
			}
			if j+1 == len(raw) {
				t.Fatalf("dangling escape in %q", raw)
			}
			j++
			switch raw[j] {
			case '\\', '=':
				v.WriteByte(raw[j])
			case 'n':
				v.WriteByte('\n')
			case 'r':
				v.WriteByte('\r')
			default:
				t.Fatalf("bad extension escape \\%c in %q", raw[j], raw)
			}
		}
		fields[key] = v.String()
		start = end + 1
	}
	return header, fields
}

func FuzzCEF(f *testing.F) {
	f.Add("Brute force | admin", "user=root\nfailed", "incident/12", "v1")
	f.Add(`\|\\=`, `a\=b\\ c=d`, `k\`, `|`)
	f.Add("", "", "", "")
	f.Add("été 🙂", "x = y\r\n z", "rule/a b", "1.0")
	f.Fuzz(func(t *testing.T, title, text, key, version string) {
		if len(title)+len(text)+len(key)+len(version) > 4096 {
			return
		}
		n := &Notification{Key: key, Kind: KindAlert, Level: "low", Title: title, Changes: 1,
			Listed: []Change{{Text: text}}}
		s := CEF(version, n)
		if strings.ContainsAny(s, "\r\n") {
			t.Fatalf("record has a raw line break: %q", s)
		}
		header, fields := parseCEF(t, s)
		if !utf8.ValidString(s) {
			t.Fatalf("record is not UTF-8: %q", s)
		}
		clean := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
		oneLineHeader := strings.NewReplacer("\r", " ", "\n", " ")
		if header[3] != oneLineHeader.Replace(clean(version)) || header[5] != oneLineHeader.Replace(clean(title)) {
			t.Errorf("header %q does not give back version %q and title %q", header, version, title)
		}
		if text != "" && len(text) < 1000 && fields["msg"] != clean(text) {
			t.Errorf("msg = %q, want %q", fields["msg"], text)
		}
		if key != "" && fields["cs1"] != clean(key) {
			t.Errorf("cs1 = %q, want %q", fields["cs1"], key)
		}
	})
}

func TestSyslogUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	facility := 4
	n := start(t, Config{GroupWait: 20 * time.Millisecond, Targets: map[string]TargetConfig{
		"siem": {Type: TypeSyslog, Address: pc.LocalAddr().String(), Facility: &facility, Hostname: "vigie-1"},
	}})
	n.Notify(Message{Kind: KindDecision, Key: "decision/7", Level: "critical", Title: "Block 203.0.113.7",
		Fields: map[string]string{"source.ip": "203.0.113.7"}})
	buf := make([]byte, 65536)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	size, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:size])
	// PRI = 4*8 + 2 (critical); version 1; our hostname, app name, kind.
	fields := strings.SplitN(msg, " ", 8)
	if len(fields) != 8 || fields[0] != "<34>1" || fields[2] != "vigie-1" || fields[3] != "vigie" ||
		fields[5] != "decision" || fields[6] != "-" {
		t.Fatalf("not the RFC 5424 header expected: %q", msg)
	}
	if _, err := time.Parse(time.RFC3339Nano, fields[1]); err != nil {
		t.Errorf("timestamp %q: %v", fields[1], err)
	}
	if want := "CEF:0|Vigie|Vigie|1.2.3|decision|Block 203.0.113.7|10|"; !strings.HasPrefix(fields[7], want) {
		t.Errorf("CEF %q, want prefix %q", fields[7], want)
	}
	if !strings.Contains(fields[7], " src=203.0.113.7") {
		t.Errorf("CEF %q lacks src", fields[7])
	}
}

// The TCP sender frames by octet counting and dials again when the
// collector closed the connection.
func TestSyslogTCPReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s, err := newSyslog(TargetConfig{Network: "tcp", Address: ln.Addr().String(), Hostname: "h"},
		Deps{Now: time.Now, Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	read := func(c net.Conn) string {
		t.Helper()
		got := make(chan string, 1)
		go func() {
			r := bufio.NewReader(c)
			count, _ := r.ReadString(' ')
			size, _ := strconv.Atoi(strings.TrimSpace(count))
			msg := make([]byte, size)
			if _, err := io.ReadFull(r, msg); err != nil {
				got <- "error: " + err.Error()
				return
			}
			got <- string(msg)
		}()
		return next(t, got, 5*time.Second, "syslog message")
	}
	ctx := context.Background()
	first := sampleNotification()
	if err := s.Send(ctx, first); err != nil {
		t.Fatalf("first send: %v", err)
	}
	c1 := next(t, accepted, 5*time.Second, "first connection")
	if msg := read(c1); !strings.Contains(msg, "|Brute force \\| admin\\\\ops|8|") {
		t.Fatalf("first message: %q", msg)
	}
	c1.Close() // the collector restarts

	second := sampleNotification()
	second.Title = "after restart"
	if err := s.Send(ctx, second); err != nil {
		t.Fatalf("second send: %v", err)
	}
	c2 := next(t, accepted, 5*time.Second, "second connection")
	if msg := read(c2); !strings.Contains(msg, "|after restart|") {
		t.Fatalf("second message: %q", msg)
	}
	c2.Close()
}
