package jsonl

import (
	"io"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// Format is the Event.Format of the events this package produces.
const Format = "jsonl"

// Decoder decodes JSON lines. The zero value is ready to use. A Decoder may
// be used by several goroutines at once.
type Decoder struct {
	// MaxRecord is the longest line accepted, in bytes; zero means
	// decode.DefaultMaxRecord.
	MaxRecord int
}

var _ decode.Decoder = Decoder{}

// Decode implements decode.Decoder.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	p := getParser()
	defer putParser(p)
	return decode.Lines(r, d.MaxRecord, Format, sink, func(line []byte, e *event.Event) error {
		return p.decodeObject(line, e)
	})
}

// DecodeObject decodes one JSON object into e: it appends the flattened
// fields, sorts e.Fields, and sets e.Time from the time fields (see the
// package documentation) when one parses. It does not set Raw, Format or
// Kind. It returns ErrNotObject for JSON that is not an object and a
// *SyntaxError for invalid JSON; on error e is left as it was, and the
// caller marks it malformed (event.Event.MarkMalformed).
//
// DecodeObject keeps no reference to obj. It is safe for concurrent use.
func DecodeObject(obj []byte, e *event.Event) error {
	p := getParser()
	defer putParser(p)
	if err := p.decodeObject(obj, e); err != nil {
		return err
	}
	e.Sort()
	return nil
}

// decodeObject is DecodeObject without the final sort, for decode.Line,
// which sorts.
func (p *parser) decodeObject(obj []byte, e *event.Event) error {
	n := len(e.Fields)
	if err := p.object(obj, e); err != nil {
		return err
	}
	if t, ok := eventTime(e.Fields[n:], timeFields[:]); ok {
		e.Time = t
	}
	return nil
}
