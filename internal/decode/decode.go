package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/vigie-sec/vigie/internal/event"
)

// DefaultMaxRecord is the default limit on one record (line, message,
// JSON object): 1 MiB.
const DefaultMaxRecord = 1 << 20

// Sink receives what a decoder produces. Methods are called from the
// decoder's goroutine only, in input order.
type Sink interface {
	// Event takes ownership of e. A non-nil error stops decoding and is
	// returned by Decode.
	Event(e *event.Event) error
	// Reject reports a record that was not turned into an event, with a
	// short stable reason such as "too_large", and its size in bytes.
	Reject(reason string, size int)
}

// Decoder reads records of one format from a stream.
//
// Decode calls sink.Event for every record, in order. A record that cannot
// be decoded is still delivered, as an event of kind KindPipelineError that
// keeps the raw bytes. A record over the size limit is passed to sink.Reject.
// Decode returns nil at the end of input. It returns an error for a read
// error, for damage it cannot decode past (a truncated or corrupt file: the
// message names the offset, and every record before the damage has been
// delivered), or for an error from the sink.
//
// A Decoder holds no per-stream state between calls and may be used by
// several goroutines at once.
type Decoder interface {
	Decode(r io.Reader, sink Sink) error
}

// LineFunc decodes one record into e. e.Raw already holds a private copy of
// line; the function fills Time, Kind and Fields. A returned error marks the
// event malformed. The function must not retain line.
type LineFunc func(line []byte, e *event.Event) error

// Lines splits r into newline-terminated records (a trailing "\r" is
// removed; empty lines are skipped) and decodes each with fn. Lines longer
// than maxRecord bytes are rejected with reason "too_large"; zero means
// DefaultMaxRecord. Every event is given format as its Format.
func Lines(r io.Reader, maxRecord int, format string, sink Sink, fn LineFunc) error {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // accumulates a line longer than the reader's buffer
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) <= maxRecord {
				long = append(long, chunk...)
			}
			continue
		}
		line := chunk
		size := len(chunk)
		if long != nil {
			size += len(long)
			if len(long) <= maxRecord {
				long = append(long, chunk...)
			}
			line = long
		}
		if len(line) > 0 {
			if size > maxRecord+1 || (size == maxRecord+1 && line[len(line)-1] != '\n') {
				sink.Reject("too_large", size)
			} else if serr := Line(line, format, sink, fn); serr != nil {
				return serr
			}
		}
		long = nil
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
	}
}

// Line decodes a single record with fn and delivers it to sink. Trailing
// "\r\n" is removed and blank records are skipped.
func Line(line []byte, format string, sink Sink, fn LineFunc) error {
	line = bytes.TrimRight(line, "\r\n")
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	e := &event.Event{Format: format, Raw: bytes.Clone(line)}
	if err := fn(e.Raw, e); err != nil {
		e.MarkMalformed(err)
	}
	e.Sort()
	return sink.Event(e)
}

// Collect is a Sink that keeps every event and counts rejections, for
// tests and small tools.
type Collect struct {
	Events   []*event.Event
	Rejected map[string]int
}

// Event implements Sink.
func (c *Collect) Event(e *event.Event) error {
	c.Events = append(c.Events, e)
	return nil
}

// Reject implements Sink.
func (c *Collect) Reject(reason string, size int) {
	if c.Rejected == nil {
		c.Rejected = make(map[string]int)
	}
	c.Rejected[reason]++
}

// Func adapts a function to a Decoder.
type Func func(r io.Reader, sink Sink) error

// Decode implements Decoder.
func (f Func) Decode(r io.Reader, sink Sink) error { return f(r, sink) }
