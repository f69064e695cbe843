package m365

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
)

// Format is the Event.Format of the events this package produces.
const Format = "m365"

// Decoder decodes Microsoft 365 unified audit log records. The zero value
// is ready to use. A Decoder may be used by several goroutines at once.
type Decoder struct {
	// MaxRecord is the largest record (JSON record or CSV row) accepted, in
	// bytes; zero means decode.DefaultMaxRecord. Larger records are
	// rejected ("too_large") and skipped.
	MaxRecord int
}

var _ decode.Decoder = Decoder{}

// Decode implements decode.Decoder.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	return newStream(r, d.MaxRecord, sink).run()
}

// run decodes the whole input: JSON arrays, wrappers and lines, or a CSV
// export when the input starts with its header.
func (s *stream) run() error {
	s.skipBOM()
	if c, err := s.peek(); err == nil && c != '[' && c != '{' {
		return s.csv()
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
			return decode.Lines(s.br, s.max, Format, s.sink, s.decode)
		default:
			return s.fail(s.off, "expected '[' or '{', found %q", c)
		}
	}
}

// Looks reports whether head, the first bytes of a stream, holds unified
// audit log records: JSON records of the Management Activity API's common
// schema (CreationTime, Operation, and RecordType or Workload), records
// that carry them in AuditData as Search-UnifiedAuditLog returns them, or
// a CSV export whose header has an AuditData column.
func Looks(head []byte) bool {
	head = bytes.TrimLeft(bytes.TrimPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte(bom)), " \t\r\n")
	if len(head) == 0 {
		return false
	}
	has := func(s string) bool { return bytes.Contains(head, []byte(s)) }
	if head[0] == '{' || head[0] == '[' {
		return (has(`"CreationTime"`) && has(`"Operation"`) && (has(`"RecordType"`) || has(`"Workload"`))) ||
			(has(`"AuditData"`) && (has(`"CreationDate"`) || has(`"Operations"`)))
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if bytes.HasPrefix(line, []byte("#TYPE")) {
		_, rest, _ := bytes.Cut(head, []byte("\n"))
		line, _, _ = bytes.Cut(rest, []byte("\n"))
	}
	cells, err := splitCSV(strings.TrimRight(string(line), "\r"), nil)
	return err == nil && auditDataColumn(cells) >= 0
}

const bom = "\xef\xbb\xbf"
