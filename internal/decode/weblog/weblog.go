package weblog

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// Format is the Event.Format of the events this package produces.
const Format = "weblog"

// ECS names used here that package event does not define.
const (
	sourceDomain = "source.domain"
	urlPath      = "url.path"
	urlQuery     = "url.query"
	httpVersion  = "http.version"
	bodyBytes    = "http.response.body.bytes"
	referrer     = "http.request.referrer"
	// requestLine is not ECS: it keeps a request line that does not parse.
	requestLine = "http.request.line"
)

// Decoder decodes access log lines. The zero value is ready to use. A
// Decoder may be used by several goroutines at once.
type Decoder struct {
	// MaxRecord is the longest line accepted, in bytes; zero means
	// decode.DefaultMaxRecord.
	MaxRecord int
}

var _ decode.Decoder = Decoder{}

// Decode implements decode.Decoder.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	return decode.Lines(r, d.MaxRecord, Format, sink, DecodeLine)
}

// SyntaxError reports a line that is not an access log line. Offset is the
// byte offset of the fault in the line.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("access log line, offset %d: %s", e.Offset, e.Msg)
}

// DecodeLine decodes one access log line into e, appending its fields
// unsorted and setting e.Time; it is a decode.LineFunc. It keeps no
// reference to line.
func DecodeLine(line []byte, e *event.Event) error {
	for i, c := range line {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return &SyntaxError{i, fmt.Sprintf("control character %#02x", c)}
		}
	}
	if !utf8.Valid(line) {
		return &SyntaxError{0, "invalid UTF-8"}
	}
	p := scanner{s: string(line)}

	// The fields before "[time]": [vhost] host ident user.
	var toks [4]string
	n := 0
	for {
		p.spaces()
		if p.eof() {
			return p.fail("no [time] field")
		}
		if p.s[p.pos] == '[' {
			break
		}
		if n == len(toks) {
			return p.fail("too many fields before [time]")
		}
		toks[n] = p.token()
		n++
	}
	var vhost, host, user string
	switch n {
	case 3:
		host, user = toks[0], toks[2]
	case 4:
		vhost, host, user = toks[0], toks[1], toks[3]
	default:
		return p.fail("expected host, ident and user before [time]")
	}

	t, err := p.time()
	if err != nil {
		return err
	}
	request, err := p.quoted()
	if err != nil {
		return err
	}
	status := p.token()
	if len(status) != 3 || !digits(status) {
		return p.failAt(p.pos-len(status), "status is not a 3-digit number")
	}
	size := p.token()
	if size != "-" && !digits(size) {
		return p.failAt(p.pos-len(size), "size is neither a number nor \"-\"")
	}
	var ref, agent string
	if p.spaces(); !p.eof() {
		if ref, err = p.quoted(); err != nil {
			return err
		}
		if agent, err = p.quoted(); err != nil {
			return err
		}
		// Further fields, such as nginx's "$http_x_forwarded_for", are
		// not interpreted.
	}

	e.Time = t
	var ip, domain, path, query string
	if addr, err := netip.ParseAddr(host); err == nil {
		ip = addr.Unmap().String()
	} else {
		domain = host
	}
	if h, port, ok := strings.Cut(vhost, ":"); ok && !strings.Contains(port, ":") {
		vhost = h
	}
	method, target, version, ok := splitRequest(request)
	if ok {
		request = ""
		if strings.HasPrefix(target, "/") {
			path, query, _ = strings.Cut(target, "?")
		}
	}
	outcome := event.OutcomeSuccess
	if status[0] >= '4' {
		outcome = event.OutcomeFailure
	}

	// Added in name order, so that sorting them costs little.
	if cap(e.Fields)-len(e.Fields) < 16 {
		e.Fields = append(make([]event.Field, 0, len(e.Fields)+16), e.Fields...)
	}
	add := func(name, value string, typ event.Type) {
		if value != "" && value != "-" {
			e.Fields = append(e.Fields, event.Field{Name: name, Value: value, Type: typ})
		}
	}
	add(event.EventCategory, "web", event.String)
	add(event.EventOutcome, outcome, event.String)
	add(event.EventType, "access", event.String)
	add(requestLine, request, event.String)
	add(event.HTTPMethod, method, event.String)
	add(referrer, ref, event.String)
	add(bodyBytes, size, event.Number)
	add(event.HTTPStatus, status, event.Number)
	add(httpVersion, version, event.String)
	add(sourceDomain, domain, event.String)
	add(event.SourceIP, ip, event.String)
	add(event.URLDomain, vhost, event.String)
	add(event.URLOriginal, target, event.String)
	add(urlPath, path, event.String)
	add(urlQuery, query, event.String)
	add(event.UserName, user, event.String)
	add(event.UserAgent, agent, event.String)
	return nil
}

// splitRequest splits a request line "METHOD target HTTP/x.y", or the
// HTTP/0.9 form "METHOD target", and returns the version without "HTTP/".
func splitRequest(r string) (method, target, version string, ok bool) {
	method, rest, found := strings.Cut(r, " ")
	if !found || !isMethod(method) || rest == "" {
		return "", "", "", false
	}
	if i := strings.LastIndexByte(rest, ' '); i >= 0 {
		v, isHTTP := strings.CutPrefix(rest[i+1:], "HTTP/")
		if !isHTTP || v == "" {
			return "", "", "", false
		}
		target, version = rest[:i], v
	} else {
		target = rest
	}
	if target == "" {
		return "", "", "", false
	}
	return method, target, version, true
}

// isMethod reports whether s can be an HTTP method: 1 to 20 letters,
// digits, '-' or '_'.
func isMethod(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// scanner walks one line.
type scanner struct {
	s   string
	pos int
}

func (p *scanner) eof() bool { return p.pos >= len(p.s) }

func (p *scanner) fail(msg string) error { return &SyntaxError{p.pos, msg} }

func (p *scanner) failAt(pos int, msg string) error { return &SyntaxError{pos, msg} }

func (p *scanner) spaces() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// token returns the next run of non-blank bytes, after blanks.
func (p *scanner) token() string {
	p.spaces()
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != '\t' {
		p.pos++
	}
	return p.s[start:p.pos]
}

// quoted returns the content of the next double-quoted field, after
// blanks; a backslash escapes the byte after it. The content is returned
// as written, escapes included.
func (p *scanner) quoted() (string, error) {
	p.spaces()
	if p.eof() || p.s[p.pos] != '"' {
		return "", p.fail("expected a quoted field")
	}
	start := p.pos + 1
	for i := start; i < len(p.s); i++ {
		switch p.s[i] {
		case '\\':
			i++
		case '"':
			p.pos = i + 1
			return p.s[start:i], nil
		}
	}
	return "", p.failAt(start-1, "unterminated quoted field")
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// time parses "[02/Jan/2006:15:04:05 -0700]" and returns it in UTC.
func (p *scanner) time() (time.Time, error) {
	const layout = len("[02/Jan/2006:15:04:05 -0700]")
	start := p.pos
	if len(p.s)-start < layout || p.s[start+layout-1] != ']' {
		return time.Time{}, p.fail("expected [dd/Mon/yyyy:hh:mm:ss +zzzz]")
	}
	s := p.s[start+1 : start+layout-1] // 02/Jan/2006:15:04:05 -0700
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	day, year, hour, min, sec := num(0, 2), num(7, 4), num(12, 2), num(15, 2), num(18, 2)
	zh, zm := num(22, 2), num(24, 2)
	month := 0
	for i, m := range months {
		if s[3:6] == m {
			month = i + 1
		}
	}
	if s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
		(s[21] != '+' && s[21] != '-') || month == 0 || day < 1 || day > 31 || year < 0 || hour < 0 || hour > 23 ||
		min < 0 || min > 59 || sec < 0 || sec > 60 || zh < 0 || zh > 23 || zm < 0 || zm > 59 {
		return time.Time{}, p.fail("invalid [time]")
	}
	offset := time.Duration(zh)*time.Hour + time.Duration(zm)*time.Minute
	if s[21] == '-' {
		offset = -offset
	}
	p.pos = start + layout
	return time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC).Add(-offset), nil
}
