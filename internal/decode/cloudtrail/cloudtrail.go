package cloudtrail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

// maxKey bounds the keys of a Records object that are read.
const maxKey = 1 << 10

// Format is the Event.Format of the events this package produces.
const Format = "cloudtrail"

// Decoder decodes CloudTrail records. The zero value is ready to use. A
// Decoder may be used by several goroutines at once.
type Decoder struct {
	// MaxRecord is the largest record accepted, in bytes; zero means
	// decode.DefaultMaxRecord. Larger records are rejected ("too_large")
	// and skipped.
	MaxRecord int
}

var _ decode.Decoder = Decoder{}

// FormatError reports input that stops being CloudTrail JSON at some point:
// a truncated file, or bytes that are neither a record nor a separator.
// Every record before Offset has been delivered.
type FormatError struct {
	Offset int64 // byte offset of the fault in the input
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("cloudtrail: offset %d: %s", e.Offset, e.Msg)
}

// Decode implements decode.Decoder.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	max := d.MaxRecord
	if max <= 0 {
		max = decode.DefaultMaxRecord
	}
	s := &stream{br: bufio.NewReaderSize(r, 16<<10), max: max, sink: sink}
	s.decodeRecord = func(rec []byte, e *event.Event) error { return decodeRecord(&s.flattener, rec, e) }
	return s.run()
}

// stream reads one input. It is used by one Decode call only.
type stream struct {
	br   *bufio.Reader
	off  int64 // offset of the next byte br returns
	max  int
	sink decode.Sink
	rec  []byte // the record being framed, reused
	// flattener and decodeRecord decode the records of this stream.
	flattener    jsonl.Flattener
	decodeRecord decode.LineFunc
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

func (s *stream) run() error {
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
		case c == '{' && s.recordsFirst():
			if err := s.wrapper(); err != nil {
				return err
			}
		case c == '{':
			// One record per line from here on.
			return decode.Lines(s.br, s.max, Format, s.sink, s.decodeRecord)
		default:
			return s.fail(s.off, "expected '[' or '{', found %q", c)
		}
	}
}

// recordsFirst reports whether the object at the reader starts with the
// key "Records", looking ahead without consuming.
func (s *stream) recordsFirst() bool {
	buf, _ := s.br.Peek(512)
	buf = bytes.TrimLeft(buf[1:], " \t\r\n") // after '{'
	return bytes.HasPrefix(buf, []byte(`"Records"`))
}

// wrapper reads {"Records":[…], …}, decoding the records and skipping
// the other members.
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
			return s.fail(start, "expected a key in the Records object")
		}
		if c, err := s.next(); err != nil {
			return s.readErr(err, "after a key")
		} else if c != ':' {
			return s.fail(s.off-1, "expected ':' after a key, found %q", c)
		}
		if string(key) == `"Records"` {
			c, err := s.next()
			if err != nil {
				return s.readErr(err, "before the Records array")
			}
			if c != '[' {
				return s.fail(s.off-1, "Records is not an array")
			}
			if err := s.array(); err != nil {
				return err
			}
		} else if _, _, _, err := s.frame(0); err != nil {
			return err
		}
		c, err := s.next()
		if err != nil {
			return s.readErr(err, "inside the Records object")
		}
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return s.fail(s.off-1, "expected ',' or '}' in the Records object, found %q", c)
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
			if err := decode.Line(rec, Format, s.sink, s.decodeRecord); err != nil {
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
