package m365

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// csvStream reads a CSV export. It is used by one Decode call only.
type csvStream struct {
	br   *bufio.Reader
	off  int64 // offset of the next byte br returns
	max  int
	sink decode.Sink
	rec  []byte // the record being read, reused
	rd   *recordDecoder
}

func (s *csvStream) fail(off int64, msg string) error {
	return &FormatError{Format: Format, Offset: off, Msg: msg}
}

// csv decodes a CSV export from its header on: every row is a record whose
// AuditData column holds the audit record as JSON. A first line "#TYPE …",
// which Windows PowerShell's Export-Csv writes without -NoTypeInformation,
// is skipped.
func (s *csvStream) csv() error {
	start := s.off
	header, err := s.csvRecord()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if bytes.HasPrefix(header, []byte("#TYPE")) {
		start = s.off
		if header, err = s.csvRecord(); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	columns, perr := splitCSV(strings.TrimRight(string(header), "\r\n"), nil)
	audit := auditDataColumn(columns)
	if perr != nil || audit < 0 {
		return s.fail(start, "expected '[', '{' or a CSV header with an AuditData column")
	}
	for i := range columns {
		columns[i] = strings.TrimSpace(columns[i])
	}
	var cells []string
	fn := func(row []byte, e *event.Event) error {
		var err error
		if cells, err = splitCSV(string(row), cells[:0]); err != nil {
			return err
		}
		return s.rd.decodeRow(columns, audit, cells, e)
	}
	for {
		rowStart := s.off
		row, err := s.csvRecord()
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if row == nil && s.off > rowStart {
			s.sink.Reject("too_large", int(s.off-rowStart))
		} else if serr := decode.Line(row, Format, s.sink, fn); serr != nil {
			return serr
		}
		if err != nil {
			return nil // io.EOF
		}
	}
}

// auditDataColumn returns the index of the AuditData column, or -1.
func auditDataColumn(columns []string) int {
	for i, c := range columns {
		if strings.EqualFold(strings.TrimSpace(c), "AuditData") {
			return i
		}
	}
	return -1
}

// csvRecord reads one CSV record: lines up to one that ends outside quoted
// text, so that a quoted value may span lines. It returns nil for a record
// longer than s.max (not counting its line end), which is consumed all the
// same. At the end of input it returns what it read and io.EOF. The result
// is valid until the next call.
func (s *csvStream) csvRecord() ([]byte, error) {
	s.rec = s.rec[:0]
	quoted, over := false, false
	for {
		chunk, err := s.br.ReadSlice('\n')
		s.off += int64(len(chunk))
		if bytes.Count(chunk, []byte{'"'})%2 == 1 {
			quoted = !quoted
		}
		if !over && len(s.rec)+len(chunk) <= s.max+2 {
			s.rec = append(s.rec, chunk...)
		} else {
			over = true
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return nil, fmt.Errorf("reading input at offset %d: %w", s.off, err)
		case err == nil && quoted:
			continue
		}
		if over || len(bytes.TrimRight(s.rec, "\r\n")) > s.max {
			return nil, err
		}
		return s.rec, err
	}
}

// splitCSV splits one CSV record (RFC 4180: fields separated by commas,
// quoted when they hold commas, quotes or line breaks, a quote doubled
// inside quotes) into dst. A quote inside an unquoted field is taken
// literally; a quoted field must end with its closing quote.
func splitCSV(row string, dst []string) ([]string, error) {
	for {
		if !strings.HasPrefix(row, `"`) {
			field, rest, more := strings.Cut(row, ",")
			dst = append(dst, field)
			if !more {
				return dst, nil
			}
			row = rest
			continue
		}
		row = row[1:]
		var b strings.Builder
		for {
			i := strings.IndexByte(row, '"')
			if i < 0 {
				return dst, errors.New("csv: quoted field without its closing quote")
			}
			if i+1 < len(row) && row[i+1] == '"' {
				b.WriteString(row[:i+1])
				row = row[i+2:]
				continue
			}
			if b.Len() == 0 {
				dst = append(dst, row[:i])
			} else {
				b.WriteString(row[:i])
				dst = append(dst, b.String())
			}
			row = row[i+1:]
			break
		}
		switch {
		case row == "":
			return dst, nil
		case row[0] == ',':
			row = row[1:]
		default:
			return dst, fmt.Errorf("csv: %q after a closing quote", row[0])
		}
	}
}
