package jsonframe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
)

// maxKey bounds the keys of a wrapper object that are read.
const maxKey = 1 << 10

// defaultLookahead is how far ahead an object is read, by default, to find
// its first member: enough for a Graph page's "@odata.context" and its URL.
const defaultLookahead = 4 << 10

// Config describes the framing of one format. Decode only reads it.
type Config struct {
	// Format is the Event.Format of the records and prefixes errors.
	Format string
	// MaxRecord is the largest record accepted, in bytes; zero means
	// decode.DefaultMaxRecord.
	MaxRecord int
	// Decode decodes one framed record.
	Decode decode.LineFunc
	// SkipBOM makes Decode skip a UTF-8 byte order mark at the start of
	// the input, as Windows tools write one.
	SkipBOM bool
	// IsWrapper reports whether an object is a wrapper from its first
	// member: key, and value when that is a string without escapes (else
	// ""). Nil means no object is a wrapper.
	IsWrapper func(key, value string) bool
	// IsRecordsKey reports whether the member key of a wrapper holds the
	// array of records. Other members are skipped.
	IsRecordsKey func(key string) bool
	// WrapperName names the wrapper object in errors; "" means "wrapper
	// object".
	WrapperName string
	// Lookahead is how many bytes are read ahead to find an object's
	// first member; zero means 4 KiB.
	Lookahead int
	// Other, when set, decodes an input whose first byte (after the byte
	// order mark and white space) is neither '[' nor '{'. It gets the
	// reader positioned at that byte and the byte's offset in the input.
	Other func(br *bufio.Reader, off int64) error
}

// FormatError reports input that stops being JSON records at some point:
// a truncated file, or bytes that are neither a record nor a separator.
// Every record before Offset has been delivered.
type FormatError struct {
	Format string // Config.Format of the input
	Offset int64  // byte offset of the fault in the input
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: offset %d: %s", e.Format, e.Offset, e.Msg)
}

// Decode frames the records of r and decodes each with c.Decode into
// sink, as described in the package documentation. It returns nil at the
// end of input, a *FormatError where the framing breaks, or the first
// error of reading r or of sink.
func Decode(r io.Reader, sink decode.Sink, c *Config) error {
	s := &stream{br: bufio.NewReaderSize(r, 16<<10), max: c.MaxRecord, sink: sink, c: c}
	if s.max <= 0 {
		s.max = decode.DefaultMaxRecord
	}
	s.wrapperName = c.WrapperName
	if s.wrapperName == "" {
		s.wrapperName = "wrapper object"
	}
	return s.run()
}

// stream reads one input. It is used by one Decode call only.
type stream struct {
	br          *bufio.Reader
	off         int64 // offset of the next byte br returns
	max         int
	sink        decode.Sink
	c           *Config
	wrapperName string
	rec         []byte // the value being framed, reused
}

func (s *stream) fail(off int64, format string, args ...any) error {
	return &FormatError{Format: s.c.Format, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// readErr turns a read error into what Decode returns: a truncated input
// is a FormatError at the end of input, anything else a read error.
func (s *stream) readErr(err error, what string) error {
	if errors.Is(err, io.EOF) {
		return s.fail(s.off, "input ends %s", what)
	}
	return fmt.Errorf("reading input at offset %d: %w", s.off, err)
}

// peek skips white space and returns the next byte without consuming it.
func (s *stream) peek() (byte, error) {
	for {
		buf, err := s.br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch buf[0] {
		case ' ', '\t', '\r', '\n':
			s.br.Discard(1)
			s.off++
		default:
			return buf[0], nil
		}
	}
}

// next skips white space and consumes the next byte.
func (s *stream) next() (byte, error) {
	c, err := s.peek()
	if err == nil {
		s.br.Discard(1)
		s.off++
	}
	return c, err
}

// skipBOM consumes a UTF-8 byte order mark at the start of the input.
func (s *stream) skipBOM() {
	if b, _ := s.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		s.br.Discard(3)
		s.off += 3
	}
}

// run decodes the whole input.
func (s *stream) run() error {
	if s.c.SkipBOM {
		s.skipBOM()
	}
	if s.c.Other != nil {
		if c, err := s.peek(); err == nil && c != '[' && c != '{' {
			return s.c.Other(s.br, s.off)
		}
	}
	for {
		c, err := s.peek()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.readErr(err, "")
		}
		switch {
		case c == '[':
			s.next()
			if err := s.array(); err != nil {
				return err
			}
		case c == '{' && s.wrapperFirst():
			if err := s.wrapper(); err != nil {
				return err
			}
		case c == '{':
			// One record per line from here on.
			return decode.Lines(s.br, s.max, s.c.Format, s.sink, s.c.Decode)
		default:
			return s.fail(s.off, "expected '[' or '{', found %q", c)
		}
	}
}

// wrapperFirst reports whether the object at the reader is a wrapper, from
// its first member, looking ahead without consuming.
func (s *stream) wrapperFirst() bool {
	if s.c.IsWrapper == nil {
		return false
	}
	n := s.c.Lookahead
	if n <= 0 {
		n = defaultLookahead
	}
	buf, _ := s.br.Peek(n)
	return s.c.IsWrapper(firstMember(buf[1:]))
}

// firstMember returns the first key of the object whose '{' precedes b, and
// its value when that is a string without escapes.
func firstMember(b []byte) (key, value string) {
	str := func() (string, bool) {
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 || b[0] != '"' {
			return "", false
		}
		end := bytes.IndexAny(b[1:], `"\`)
		if end < 0 || b[1+end] != '"' {
			return "", false
		}
		v := string(b[1 : 1+end])
		b = b[end+2:]
		return v, true
	}
	key, ok := str()
	if !ok {
		return "", ""
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != ':' {
		return key, ""
	}
	b = b[1:]
	value, _ = str()
	return key, value
}

// wrapper reads a wrapper object, decoding the records of its records
// member and skipping the other members.
func (s *stream) wrapper() error {
	s.next() // '{'
	if c, err := s.peek(); err == nil && c == '}' {
		s.next()
		return nil
	}
	for {
		key, start, _, err := s.frame(maxKey)
		if err != nil {
			return err
		}
		if len(key) == 0 || key[0] != '"' {
			return s.fail(start, "expected a key in the %s", s.wrapperName)
		}
		if c, err := s.next(); err != nil {
			return s.readErr(err, "after a key")
		} else if c != ':' {
			return s.fail(s.off-1, "expected ':' after a key, found %q", c)
		}
		if name := string(key[1 : len(key)-1]); s.c.IsRecordsKey != nil && s.c.IsRecordsKey(name) {
			c, err := s.next()
			if err != nil {
				return s.readErr(err, "before the array of records")
			}
			if c != '[' {
				return s.fail(s.off-1, "%q is not an array", name)
			}
			if err := s.array(); err != nil {
				return err
			}
		} else if _, _, _, err := s.frame(0); err != nil {
			return err
		}
		c, err := s.next()
		if err != nil {
			return s.readErr(err, "inside the "+s.wrapperName)
		}
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return s.fail(s.off-1, "expected ',' or '}' in the %s, found %q", s.wrapperName, c)
		}
	}
}

// array decodes the records of an array whose '[' has been consumed, up
// to and including its ']'.
func (s *stream) array() error {
	c, err := s.peek()
	if err != nil {
		return s.readErr(err, "inside an array")
	}
	if c == ']' {
		s.next()
		return nil
	}
	for {
		rec, start, over, err := s.frame(s.max)
		if err != nil {
			return err
		}
		switch {
		case over:
			s.sink.Reject("too_large", int(s.off-start))
		case len(rec) == 0:
			return s.fail(start, "expected a record")
		default:
			if err := decode.Line(rec, s.c.Format, s.sink, s.c.Decode); err != nil {
				return err
			}
		}
		c, err := s.next()
		if err != nil {
			return s.readErr(err, "inside an array")
		}
		switch c {
		case ',':
		case ']':
			return nil
		default:
			return s.fail(s.off-1, "expected ',' or ']' between records, found %q", c)
		}
	}
}

// frame consumes one JSON value, after skipping white space, and returns
// its bytes and its offset: an object or array up to its matching bracket,
// a string up to its closing quote, or any other token up to the next
// delimiter. Only strings and nesting are tracked; the value's own validity
// is checked later, by the record decoder. At most limit bytes are kept:
// over reports a longer value, of which nothing is returned. The result is
// valid until the next call.
func (s *stream) frame(limit int) (value []byte, start int64, over bool, err error) {
	if _, err := s.peek(); err != nil {
		return nil, s.off, false, s.readErr(err, "where a value was expected")
	}
	start = s.off
	s.rec = s.rec[:0]
	depth := 0
	inString, escaped := false, false
	for {
		if s.br.Buffered() == 0 {
			if _, err := s.br.Peek(1); err != nil {
				if errors.Is(err, io.EOF) && depth == 0 && !inString {
					break // a bare token at the very end
				}
				return nil, start, false, s.readErr(err, fmt.Sprintf("inside the value that starts at offset %d", start))
			}
		}
		buf, _ := s.br.Peek(s.br.Buffered())
		i, done := 0, false
	scan:
		for ; i < len(buf); i++ {
			c := buf[i]
			if inString {
				if escaped {
					escaped = false
					continue
				}
				// Jump to the closing quote, or to the backslash before it.
				q := bytes.IndexByte(buf[i:], '"')
				if q < 0 {
					q = len(buf) - i
				}
				if b := bytes.IndexByte(buf[i:i+q], '\\'); b >= 0 {
					i += b
					escaped = true
					continue
				}
				i += q
				if i == len(buf) {
					break scan
				}
				inString = false
				if depth == 0 {
					i++
					done = true
					break scan
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 {
					done = true // ends a bare token
					break scan
				}
				depth--
				if depth == 0 {
					i++
					done = true
					break scan
				}
			case ',', ':', ' ', '\t', '\r', '\n':
				if depth == 0 {
					done = true
					break scan
				}
			}
		}
		if !over && len(s.rec)+i <= limit {
			s.rec = append(s.rec, buf[:i]...)
		} else {
			over = true
		}
		s.br.Discard(i)
		s.off += int64(i)
		if done {
			break
		}
	}
	if over {
		return nil, start, true, nil
	}
	return s.rec, start, false, nil
}

// MicrosoftWrapper is Config.IsWrapper for Microsoft's wrappers: a
// Microsoft Graph collection page starts with "@odata.context" (OData's
// JSON format puts it first), an Event Hub message of Azure Monitor with
// "records". A Graph response for a single entity (a context ending in
// "$entity") is a record.
func MicrosoftWrapper(key, value string) bool {
	if key == "@odata.context" {
		return !strings.HasSuffix(value, "$entity")
	}
	return MicrosoftRecordsKey(key)
}

// MicrosoftRecordsKey is Config.IsRecordsKey for Microsoft's wrappers: a
// Graph page's "value", an Event Hub message's "records" (or "Records").
func MicrosoftRecordsKey(key string) bool {
	return key == "value" || key == "records" || key == "Records"
}
