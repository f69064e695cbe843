package auditd

import (
	"bytes"
	"io"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/event"
)

// Format is the Event.Format of the events this package produces.
const Format = "auditd"

// DefaultMaxRecords is the default limit on the records of one event. An
// execve of a long argument list is the largest event auditd writes: the
// kernel splits the arguments over EXECVE records of about 8 KiB each.
const DefaultMaxRecords = 256

// Decoder decodes audit logs. The zero value is ready to use. A Decoder
// holds no per-stream state and may be used by several goroutines at once.
type Decoder struct {
	// MaxRecord is the longest line accepted, in bytes, and the most raw
	// bytes one event may gather; zero means decode.DefaultMaxRecord.
	MaxRecord int
	// MaxRecords is the most records one event may gather; zero means
	// DefaultMaxRecords.
	MaxRecords int
}

var _ decode.Decoder = Decoder{}

// Decode reads audit records, one per line, and delivers one event per
// audit event to sink, as decode.Decoder requires. An event is delivered
// when its EOE record is read, when a record of another event follows,
// after a user-space record (which is an event by itself), and at the end
// of input. The last event of a stream that is still being written is
// therefore held until the next record or the end of input.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	s := &stream{sink: sink, maxBytes: d.MaxRecord, maxRecords: d.MaxRecords}
	if s.maxBytes <= 0 {
		s.maxBytes = decode.DefaultMaxRecord
	}
	if s.maxRecords <= 0 {
		s.maxRecords = DefaultMaxRecords
	}
	err := decode.Lines(r, d.MaxRecord, Format, s, s.parse)
	if s.sinkFailed {
		return err
	}
	// At the end of input, or at a read error, deliver the event gathered
	// so far.
	if ferr := s.flush(); ferr != nil {
		return ferr
	}
	return err
}

// stream groups the records of one Decode call into events. decode.Lines
// calls parse for a line and then Event with the line's event; parse leaves
// the record in last for Event to take.
type stream struct {
	sink       decode.Sink
	maxBytes   int
	maxRecords int
	sinkFailed bool // the sink returned an error: stop delivering

	last    record // the record parse just read
	pending group  // the event being gathered
	headers syslog.Decoder

	// Scratch space of build, reused from one event to the next.
	fields []event.Field
	order  []int32
}

// group is the records of one event, gathered so far.
type group struct {
	id      string // record.id of its records
	records []record
	raw     []byte // their lines, joined with "\n"
}

// parse is the decode.LineFunc: it reads the record and leaves the event
// to Event.
func (s *stream) parse(line []byte, _ *event.Event) error {
	r, err := parseRecord(string(line))
	s.last = r
	return err
}

// Event receives the event decode.Lines made of one line. A malformed line
// is delivered as it is, after the event gathered so far, so that events
// keep the order of their lines.
func (s *stream) Event(e *event.Event) error {
	if e.Kind == event.KindPipelineError {
		if err := s.flush(); err != nil {
			return err
		}
		return s.deliver(e)
	}
	r := s.last
	s.last = record{}
	g := &s.pending
	if len(g.records) > 0 && (r.id() != g.id || len(g.records) >= s.maxRecords || len(g.raw)+1+len(e.Raw) > s.maxBytes) {
		if err := s.flush(); err != nil {
			return err
		}
	}
	if len(g.records) == 0 {
		g.id = r.id()
	} else {
		g.raw = append(g.raw, '\n')
	}
	g.records = append(g.records, r)
	g.raw = append(g.raw, e.Raw...)
	if r.typ == "EOE" || standalone(r.typ) {
		return s.flush()
	}
	return nil
}

// Reject passes a line over the size limit on to the sink.
func (s *stream) Reject(reason string, size int) { s.sink.Reject(reason, size) }

// flush delivers the pending event, if any.
func (s *stream) flush() error {
	g := &s.pending
	if len(g.records) == 0 {
		return nil
	}
	e := &event.Event{Format: Format, Raw: bytes.Clone(g.raw)}
	s.build(g.records, e)
	clear(g.records)
	g.records, g.raw, g.id = g.records[:0], g.raw[:0], ""
	return s.deliver(e)
}

func (s *stream) deliver(e *event.Event) error {
	if err := s.sink.Event(e); err != nil {
		s.sinkFailed = true
		return err
	}
	return nil
}

// hostOf returns the host name in the syslog header before a forwarded
// record, or "".
func (s *stream) hostOf(prefix string) string {
	if prefix == "" {
		return ""
	}
	var h event.Event
	if s.headers.DecodeMessage([]byte(prefix), &h) != nil {
		return ""
	}
	host, _ := h.Get(event.HostName)
	return host
}

// Looks reports whether head, the first bytes of a stream, holds audit
// records: its first line is one ("type=SYSCALL msg=audit(…): …", maybe
// after "node=NAME "), or every complete line among the first eight is
// one after a syslog header (audisp-syslog or the kernel forwarding to
// syslog). A syslog file in which only some lines are audit records is
// syslog.
func Looks(head []byte) bool {
	lines := 0
	for len(head) > 0 && lines < 8 {
		line, rest, complete := bytes.Cut(head, []byte{'\n'})
		head = rest
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !complete && lines > 0 {
			break // a partial last line says nothing
		}
		start, ok := findRecord(string(line))
		if !ok {
			return false
		}
		if lines == 0 && (start == 0 || bytes.HasPrefix(line, []byte("node="))) {
			return true
		}
		lines++
	}
	return lines > 0
}

// firstTime returns the time of the first record that has one.
func firstTime(records []record) time.Time {
	for _, r := range records {
		if !r.time.IsZero() {
			return r.time
		}
	}
	return time.Time{}
}

// firstPrefix returns the syslog header of the first record that came
// with one.
func firstPrefix(records []record) string {
	for _, r := range records {
		if r.prefix != "" {
			return r.prefix
		}
	}
	return ""
}
