package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/authlog"
	"github.com/vigie-sec/vigie/internal/event"
)

// Format is the Event.Format of the events this package produces.
const Format = "syslog"

// Field names this package fills beyond those of package event, from ECS
// (log.syslog.*, tags) and for RFC 5424 structured data.
const (
	FieldPriority     = "log.syslog.priority"
	FieldFacilityCode = "log.syslog.facility.code"
	FieldFacilityName = "log.syslog.facility.name"
	FieldSeverityCode = "log.syslog.severity.code"
	FieldSeverityName = "log.syslog.severity.name"
	FieldAppName      = "log.syslog.appname" // the tag as written: "sshd(pam_unix)"; process.name is "sshd"
	FieldProcID       = "log.syslog.procid"  // a PROCID that is not a number; a number goes to process.pid
	FieldMsgID        = "log.syslog.msgid"
	FieldVersion      = "log.syslog.version"
	FieldTags         = "tags"
	// FieldSDPrefix starts the name of each structured data parameter:
	// "syslog.sd.exampleSDID@32473.iut".
	FieldSDPrefix = "syslog.sd."
)

// TagInvalidUTF8 is the FieldTags value of an event whose message was not
// valid UTF-8.
const TagInvalidUTF8 = "invalid_utf8"

// futureSlack is how far after Config.Now a BSD timestamp may fall and
// still be given the current year: enough for clock skew and for a sender
// up to 14 hours east of Config.Location.
const futureSlack = 24 * time.Hour

// ErrMalformed is matched, with errors.Is, by every error DecodeMessage
// returns for a message that is not syslog.
var ErrMalformed = errors.New("malformed syslog message")

// ErrTooLarge is returned by DecodeMessage for a message longer than
// Config.MaxRecord; the caller should reject it rather than store it.
var ErrTooLarge = errors.New("syslog message too large")

// ParseError describes a message that could not be decoded.
type ParseError struct {
	Format string // "rfc3164" or "rfc5424"
	Offset int    // byte offset in the message where decoding stopped
	Msg    string
	Err    error // the rfc5424 parser's error, when it found the problem
}

// Error returns "rfc3164: col 0: expecting …".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: col %d: %s", e.Format, e.Offset, e.Msg)
}

// Is reports whether target is ErrMalformed.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the parser library's error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// Config configures a Decoder. The zero Config is ready to use.
type Config struct {
	// Now returns the current time. BSD timestamps have no year; each is
	// given the latest year that puts it no more than a day after Now.
	// Nil means time.Now.
	Now func() time.Time
	// Location is the time zone of timestamps that carry none (BSD ones).
	// Nil means UTC.
	Location *time.Location
	// MaxRecord is the longest message accepted, in bytes; longer lines
	// are rejected as "too_large". Zero means decode.DefaultMaxRecord.
	MaxRecord int
}

// Decoder decodes syslog. It is safe for concurrent use; the zero Decoder
// works as one built from the zero Config.
type Decoder struct {
	cfg Config
	// parsers holds rfc5424 machines, which keep state while parsing and
	// so serve one message at a time.
	parsers sync.Pool
}

var _ decode.Decoder = (*Decoder)(nil)

// New returns a Decoder for cfg.
func New(cfg Config) *Decoder {
	return &Decoder{cfg: cfg}
}

// Decode reads one message per line from r and delivers an event for each
// to sink, as decode.Decoder requires.
func (d *Decoder) Decode(r io.Reader, sink decode.Sink) error {
	return decode.Lines(r, d.cfg.MaxRecord, Format, sink, d.decode)
}

// DecodeMessage decodes one message, such as a UDP datagram's payload,
// into e, whose Raw the caller has already set; msg may be e.Raw. Trailing
// "\n", "\r" and NUL bytes are ignored. DecodeMessage sets e.Format and
// e.Time, adds its fields to e.Fields keeping them sorted, and does not
// retain msg. It may be called from several goroutines at once.
//
// It returns ErrTooLarge for a message over Config.MaxRecord, and an
// error matching ErrMalformed for one that is not syslog: the caller then
// marks e malformed (e.MarkMalformed) so that it is kept, not dropped.
func (d *Decoder) DecodeMessage(msg []byte, e *event.Event) error {
	e.Format = Format
	max := d.cfg.MaxRecord
	if max <= 0 {
		max = decode.DefaultMaxRecord
	}
	if len(msg) > max {
		return ErrTooLarge
	}
	return d.decode(bytes.TrimRight(msg, "\r\n\x00"), e)
}

// decode is the decode.LineFunc behind Decode and DecodeMessage.
//
// The fields are collected in an array on the stack, sorted there, and
// merged with authlog's (already sorted) into the event in one pass.
// Sorting in Event.Fields itself moves each field on the heap with a GC
// write barrier: that took 60% of BenchmarkDecodeMessage/format=bsd.
func (d *Decoder) decode(line []byte, e *event.Event) error {
	if len(line) == 0 {
		return &ParseError{Format: "rfc3164", Msg: "empty message"}
	}
	// Every field value is a sub-string of this one copy of the line.
	s := string(line)
	invalid := !utf8.ValidString(s)
	if invalid {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// Enough for any BSD line and most RFC 5424 ones; more structured
	// data spills to the heap.
	var own [24]event.Field
	fields := own[:0]
	var h header
	var err error
	if isRFC5424(s) {
		if invalid {
			line = []byte(s)
		}
		fields, h, err = d.decode5424(line, s, fields)
	} else {
		fields, h, err = d.decodeBSD(s, fields)
	}
	if err != nil {
		return err
	}
	if invalid {
		fields = append(fields, event.Field{Name: FieldTags, Value: TagInvalidUTF8})
	}
	slices.SortStableFunc(fields, func(a, b event.Field) int { return strings.Compare(a.Name, b.Name) })

	var authArray [16]event.Field
	var auth []event.Field // authlog's or Sysmon's fields, sorted
	switch {
	case isSysmonXML(h.message):
		var t time.Time
		if auth, t = sysmonFields(h.message); !t.IsZero() {
			h.time = t
		}
	case h.message != "":
		if a, ok := authlog.Parse(h.appname, h.message); ok {
			auth = a.AppendFields(authArray[:0])
		}
	}
	e.Time = h.time
	e.Fields = merge(e.Fields, fields, auth)
	return nil
}

// header is what the parsers of both formats return besides fields.
type header struct {
	time    time.Time // zero when the message has none
	appname string
	message string
}

// merge appends the sorted lists a and b to dst, keeping it sorted.
func merge(dst, a, b []event.Field) []event.Field {
	if len(dst) > 0 {
		// The caller added fields of its own: sort them all.
		dst = append(append(dst, a...), b...)
		slices.SortStableFunc(dst, func(x, y event.Field) int { return strings.Compare(x.Name, y.Name) })
		return dst
	}
	dst = make([]event.Field, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0].Name < a[0].Name {
			dst, b = append(dst, b[0]), b[1:]
		} else {
			dst, a = append(dst, a[0]), a[1:]
		}
	}
	return append(append(dst, a...), b...)
}

// addProgram appends the program and message fields both formats share.
func addProgram(fields []event.Field, appname, procid, msg string) []event.Field {
	if appname != "" {
		name := appname
		if i := strings.IndexByte(name, '('); i > 0 {
			name = name[:i] // "sshd(pam_unix)": the process is sshd
		}
		fields = append(fields,
			event.Field{Name: FieldAppName, Value: appname},
			event.Field{Name: event.ProcessName, Value: name})
	}
	if procid != "" {
		if isDigits(procid) {
			fields = append(fields, event.Field{Name: event.ProcessPID, Value: procid, Type: event.Number})
		} else {
			fields = append(fields, event.Field{Name: FieldProcID, Value: procid})
		}
	}
	if msg != "" {
		fields = append(fields, event.Field{Name: event.Message, Value: msg})
	}
	return fields
}

// addPriority appends the fields of a PRI value, 0 to 191. pri is its text.
func addPriority(fields []event.Field, pri string) []event.Field {
	n, _ := strconv.Atoi(pri)
	facility, severity := n/8, n%8
	return append(fields,
		event.Field{Name: FieldPriority, Value: pri, Type: event.Number},
		event.Field{Name: FieldFacilityCode, Value: strconv.Itoa(facility), Type: event.Number},
		event.Field{Name: FieldFacilityName, Value: facilityNames[facility]},
		event.Field{Name: FieldSeverityCode, Value: strconv.Itoa(severity), Type: event.Number},
		event.Field{Name: FieldSeverityName, Value: severityNames[severity]})
}

// facilityNames are the keywords of syslog.conf(5) and RFC 5424's table 1.
var facilityNames = [24]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// severityNames are the keywords of syslog.conf(5) for RFC 5424's table 2.
var severityNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// cutPriority reads "<PRI>" at the start of s. It returns the digits and
// the rest of s, or ok false when s does not start with a valid one.
func cutPriority(s string) (pri, rest string, ok bool) {
	if len(s) < 3 || s[0] != '<' {
		return "", s, false
	}
	end := strings.IndexByte(s[:min(len(s), 5)], '>')
	if end < 2 || !isDigits(s[1:end]) {
		return "", s, false
	}
	pri = s[1:end]
	if n, _ := strconv.Atoi(pri); n > 191 || (len(pri) > 1 && pri[0] == '0') {
		return "", s, false
	}
	return pri, s[end+1:], true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
