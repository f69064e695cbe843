package zeek

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// Decoder decodes Zeek logs. The zero value is ready to use. A Decoder
// holds no per-stream state and may be used by several goroutines at once.
type Decoder struct {
	// Path names the log ("conn", "dns", …) for records that do not say
	// which they are: JSON lines without "_path", read without a #path
	// header. When empty, the log is recognised by its fields.
	Path string
	// MaxRecord limits the length of one line; zero means
	// decode.DefaultMaxRecord.
	MaxRecord int
}

var _ decode.Decoder = Decoder{}

var gzipMagic = []byte{0x1f, 0x8b}

// Decode reads a Zeek log from r, TSV or JSON lines, gzip-compressed or
// not, and delivers one event per record to sink.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); bytes.Equal(magic, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("reading gzip header: %w", err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	s := stream{path: d.Path}
	s.header.reset()
	return decode.Lines(r, d.MaxRecord, "zeek", headerFilter{sink}, s.line)
}

// headerFilter drops the events that decode.Lines makes of header lines:
// their Raw starts with '#', which no record line does (a TSV record
// starts with its first field, a JSON one with '{').
type headerFilter struct{ decode.Sink }

func (h headerFilter) Event(e *event.Event) error {
	if len(e.Raw) > 0 && e.Raw[0] == '#' {
		return nil
	}
	return h.Sink.Event(e)
}

// stream is the state of one Decode call: the header in force.
type stream struct {
	path   string // Decoder.Path
	header header
}

// line decodes one line: a header line changes the header, a record line
// fills e.
func (s *stream) line(line []byte, e *event.Event) error {
	switch line[0] {
	case '#':
		s.header.directive(line)
		return nil
	case '{':
		return decodeJSON(line, s.path, e)
	}
	return s.header.record(line, s.path, e)
}

// Looks reports whether head, the first bytes of a stream, looks like a
// Zeek log: a TSV header starting with "#separator" (or, without the
// lines before it, "#fields" and a tab), or a JSON object
// with "uid" and "id.orig_h" keys (or "_path" and "ts"). Gzip-compressed
// input is looked into.
func Looks(head []byte) bool {
	if bytes.HasPrefix(head, gzipMagic) {
		zr, err := gzip.NewReader(bytes.NewReader(head))
		if err != nil {
			return false
		}
		plain := make([]byte, 4096)
		n, _ := io.ReadFull(zr, plain)
		head = plain[:n]
	}
	if bytes.HasPrefix(head, []byte("#separator ")) || bytes.HasPrefix(head, []byte("#fields\t")) {
		return true
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	has := func(key string) bool { return bytes.Contains(head, []byte(`"`+key+`":`)) }
	return (has("uid") && has("id.orig_h")) || (has("_path") && has("ts"))
}
