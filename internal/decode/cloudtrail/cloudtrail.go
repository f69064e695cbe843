package cloudtrail

import (
	"io"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/jsonframe"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

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
type FormatError = jsonframe.FormatError

// Decode implements decode.Decoder. A log file's object is told from a
// record by its first key, "Records", as CloudTrail writes it.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	var f jsonl.Flattener
	return jsonframe.Decode(r, sink, &jsonframe.Config{
		Format:    Format,
		MaxRecord: d.MaxRecord,
		Decode: func(rec []byte, e *event.Event) error {
			return decodeRecord(&f, rec, e)
		},
		IsWrapper:    func(key, _ string) bool { return key == "Records" },
		IsRecordsKey: func(key string) bool { return key == "Records" },
		WrapperName:  "Records object",
		Lookahead:    512,
	})
}
