package m365

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/jsonframe"
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
	max := d.MaxRecord
	if max <= 0 {
		max = decode.DefaultMaxRecord
	}
	rd := new(recordDecoder)
	return jsonframe.Decode(r, sink, &jsonframe.Config{
		Format:       Format,
		MaxRecord:    max,
		Decode:       rd.decode,
		SkipBOM:      true,
		IsWrapper:    jsonframe.MicrosoftWrapper,
		IsRecordsKey: jsonframe.MicrosoftRecordsKey,
		Other: func(br *bufio.Reader, off int64) error {
			s := &csvStream{br: br, off: off, max: max, sink: sink, rd: rd}
			return s.csv()
		},
	})
}

// FormatError reports input that stops being JSON records or CSV at some
// point: a truncated file, or bytes that are neither a record nor a
// separator. Every record before Offset has been delivered.
type FormatError = jsonframe.FormatError

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
