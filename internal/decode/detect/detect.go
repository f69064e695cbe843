package detect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/auditd"
	"github.com/vigie-sec/vigie/internal/decode/cloudtrail"
	"github.com/vigie-sec/vigie/internal/decode/entra"
	"github.com/vigie-sec/vigie/internal/decode/evtx"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/decode/m365"
	"github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/decode/weblog"
	"github.com/vigie-sec/vigie/internal/decode/winjson"
	"github.com/vigie-sec/vigie/internal/decode/zeek"
	"github.com/vigie-sec/vigie/internal/event"
)

// Format names.
const (
	JSON       = "json"
	WinJSON    = "winjson"
	Syslog     = "syslog"
	EVTX       = "evtx"
	Zeek       = "zeek"
	CloudTrail = "cloudtrail"
	Entra      = "entra"
	M365       = "m365"
	Weblog     = "weblog"
	Auditd     = "auditd"
	Text       = "text"
)

// Config tunes the decoders. The zero value works.
type Config struct {
	// MaxRecord limits one record; zero means decode.DefaultMaxRecord.
	MaxRecord int
}

// Registry maps format names to decoders. It is safe for concurrent use.
type Registry struct {
	decoders map[string]decode.Decoder
}

// New returns a registry of every format.
func New(cfg Config) *Registry {
	max := cfg.MaxRecord
	r := &Registry{decoders: map[string]decode.Decoder{
		JSON:       jsonl.Decoder{MaxRecord: max},
		WinJSON:    winjson.Decoder{MaxRecord: max},
		Syslog:     syslog.New(syslog.Config{MaxRecord: max}),
		EVTX:       evtx.Decoder{},
		Zeek:       zeek.Decoder{MaxRecord: max},
		CloudTrail: cloudtrail.Decoder{MaxRecord: max},
		Entra:      entra.Decoder{MaxRecord: max},
		M365:       m365.Decoder{MaxRecord: max},
		Weblog:     weblog.Decoder{MaxRecord: max},
		Auditd:     auditd.Decoder{MaxRecord: max},
		Text: decode.Func(func(rd io.Reader, s decode.Sink) error {
			return decode.Lines(rd, max, Text, s, func(line []byte, e *event.Event) error {
				e.Add(event.Message, string(line))
				return nil
			})
		}),
	}}
	for name, d := range r.decoders {
		if name != EVTX {
			r.decoders[name] = gunzip(d)
		}
	}
	return r
}

// Names returns the format names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.decoders))
	for n := range r.decoders {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ByName returns the decoder of a format.
func (r *Registry) ByName(name string) (decode.Decoder, bool) {
	d, ok := r.decoders[strings.ToLower(name)]
	return d, ok
}

// gunzip wraps d so that gzip input is decompressed first.
func gunzip(d decode.Decoder) decode.Decoder {
	return decode.Func(func(rd io.Reader, s decode.Sink) error {
		br := bufio.NewReader(rd)
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				return fmt.Errorf("gzip input: %w", err)
			}
			defer zr.Close()
			return d.Decode(zr, s)
		}
		return d.Decode(br, s)
	})
}

// Detect names the format of an input from its first bytes (a few KiB are
// enough; 16 KiB is plenty) and, when the content is not conclusive, its
// file name. It always returns a format: Text when nothing matches.
func (r *Registry) Detect(head []byte, name string) string {
	if bytes.HasPrefix(head, []byte("ElfFile\x00")) {
		return EVTX
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		if zr, err := gzip.NewReader(bytes.NewReader(head)); err == nil {
			inner := make([]byte, 16<<10)
			n, _ := io.ReadFull(zr, inner)
			return r.Detect(inner[:n], strings.TrimSuffix(name, ".gz"))
		}
	}
	if f := sniff(head); f != "" {
		return f
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".evtx":
		return EVTX
	case ".json", ".jsonl", ".ndjson":
		return JSON
	}
	return Text
}

// sniff looks at the first record.
func sniff(head []byte) string {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		head = bytes.TrimLeft(head[3:], " \t\r\n")
	}
	if bytes.HasPrefix(head, []byte("#separator")) || bytes.HasPrefix(head, []byte("#fields")) {
		return Zeek
	}
	if len(head) == 0 {
		return ""
	}
	// Before syslog: audit records forwarded through syslog have its header.
	if auditd.Looks(head) {
		return Auditd
	}
	// Before the other JSON shapes, which would take these as plain JSON;
	// m365 also recognises its CSV export by the header.
	if entra.Looks(head) {
		return Entra
	}
	if m365.Looks(head) {
		return M365
	}
	switch head[0] {
	case '[':
		if has(head, `"eventSource"`) || has(head, `"eventName"`) {
			return CloudTrail
		}
		return JSON
	case '{':
		first := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			first = head[:i]
		}
		switch {
		case has(head[:min(len(head), 64)], `"Records"`):
			return CloudTrail
		case has(first, `"eventVersion"`) && has(first, `"eventSource"`) && has(first, `"eventName"`):
			return CloudTrail
		case has(first, `"winlog"`) || (has(first, `"EventID"`) && (has(first, `"Channel"`) || has(first, `"SourceName"`) || has(first, `"Hostname"`))):
			return WinJSON
		case has(first, `"id.orig_h"`) && has(first, `"uid"`):
			return Zeek
		}
		return JSON
	case '<':
		return Syslog
	}
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
	}
	if bsdTimestamp(line) || isoTimestampHost(line) {
		return Syslog
	}
	if accessLog(line) {
		return Weblog
	}
	return ""
}

func has(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

var months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// bsdTimestamp reports whether line starts "Mmm dd hh:mm:ss ".
func bsdTimestamp(line []byte) bool {
	if len(line) < 16 || !slices.Contains(months, string(line[:3])) || line[3] != ' ' {
		return false
	}
	return line[9] == ':' && line[12] == ':' && line[15] == ' '
}

// isoTimestampHost reports whether line starts with an RFC 3339 time and a
// space, as rsyslog's high-precision format writes it.
func isoTimestampHost(line []byte) bool {
	return len(line) > 20 && line[4] == '-' && line[7] == '-' && line[10] == 'T' &&
		line[13] == ':' && bytes.IndexByte(line[:min(len(line), 40)], ' ') > 18
}

// accessLog reports whether line looks like `host ident user [time] "request"`.
func accessLog(line []byte) bool {
	f := bytes.SplitN(line, []byte(" "), 4)
	if len(f) < 4 {
		return false
	}
	return bytes.HasPrefix(f[3], []byte("[")) && bytes.Contains(f[3], []byte(`] "`))
}
