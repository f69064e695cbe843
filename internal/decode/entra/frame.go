package entra

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

// peekWrapper is how far ahead an object is read to tell a wrapper from a
// record: enough for the first member of a Graph page ("@odata.context"
// and its URL).
const peekWrapper = 4 << 10

// FormatError reports input that stops being JSON records at some point: a
// truncated file, or bytes that are neither a record nor a separator. Every
// record before Offset has been delivered.
type FormatError struct {
	Offset int64 // byte offset of the fault in the input
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("entra: offset %d: %s", e.Offset, e.Msg)
}

// stream frames the records of one input: arrays of records, wrapper
// objects holding them in an array member, and records one per line. It
// is the framing scanner of package cloudtrail with Microsoft's wrappers
// (a Graph page's "value", an Event Hub message's "records"), copied into
// package m365 too: the three should move to one package once cloudtrail's
// owner agrees. See cloudtrail's documentation for why it is not
// json.Decoder. It is used by one Decode call only.
type stream struct {
	br     *bufio.Reader
	off    int64 // offset of the next byte br returns
	max    int
	sink   decode.Sink
	rec    []byte // the value being framed, reused
	decode decode.LineFunc
}

func newStream(r io.Reader, max int, sink decode.Sink, fn decode.LineFunc) *stream {
	if max <= 0 {
		max = decode.DefaultMaxRecord
	}
	return &stream{br: bufio.NewReaderSize(r, 16<<10), max: max, sink: sink, decode: fn}
}

func (s *stream) fail(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
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

// skipBOM consumes a UTF-8 byte order mark at the start of the input, as
// Windows tools write one.
func (s *stream) skipBOM() {
	if b, _ := s.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		s.br.Discard(3)
		s.off += 3
	}
}

// run decodes the whole input.
func (s *stream) run() error {
	s.skipBOM()
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
			return decode.Lines(s.br, s.max, Format, s.sink, s.decode)
		default:
			return s.fail(s.off, "expected '[' or '{', found %q", c)
		}
	}
}

// isWrapperKey reports whether key names the member of a wrapper object
// that holds the records.
func isWrapperKey(key string) bool {
	return key == "value" || key == "records" || key == "Records"
}

// wrapperFirst reports whether the object at the reader wraps an array of
// records, from its first member, looking ahead without consuming: a
// Microsoft Graph collection page starts with "@odata.context" (OData's
// JSON format puts it first), an Event Hub message of Azure Monitor with
// "records". A Graph response for a single entity (context ending in
// "$entity") is a record.
func (s *stream) wrapperFirst() bool {
	buf, _ := s.br.Peek(peekWrapper)
	key, value := firstMember(buf[1:])
	switch {
	case isWrapperKey(key):
		return true
	case key == "@odata.context":
		return !strings.HasSuffix(value, "$entity")
	}
	return false
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

// wrapper reads an object that holds records in its "value" or "records"
// member, decoding the records and skipping the other members (a Graph
// page's "@odata.nextLink", say).
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
			return s.fail(start, "expected a key in the wrapper object")
		}
		if c, err := s.next(); err != nil {
			return s.readErr(err, "after a key")
		} else if c != ':' {
			return s.fail(s.off-1, "expected ':' after a key, found %q", c)
		}
		if name := strings.Trim(string(key), `"`); isWrapperKey(name) {
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
			return s.readErr(err, "inside the wrapper object")
		}
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return s.fail(s.off-1, "expected ',' or '}' in the wrapper object, found %q", c)
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
			if err := decode.Line(rec, Format, s.sink, s.decode); err != nil {
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
