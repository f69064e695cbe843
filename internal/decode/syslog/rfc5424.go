package syslog

import (
	"strconv"
	"strings"

	gosyslog "github.com/influxdata/go-syslog/v3"
	"github.com/influxdata/go-syslog/v3/rfc5424"

	"github.com/vigie-sec/vigie/internal/event"
)

// isRFC5424 reports whether s starts like an RFC 5424 message: "<PRI>" and
// a version number followed by a space ("<34>1 ").
func isRFC5424(s string) bool {
	_, rest, ok := cutPriority(s)
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && i < 3 && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 0 && rest[0] != '0' && i < len(rest) && rest[i] == ' '
}

// decode5424 decodes an RFC 5424 message, line, with go-syslog; s is the
// same text as a string. It appends to fields. Best-effort mode is not
// used: a partial result would be discarded anyway, because an event marked
// malformed keeps only its raw bytes.
func (d *Decoder) decode5424(line []byte, s string, fields []event.Field) ([]event.Field, header, error) {
	var h header
	p, _ := d.parsers.Get().(gosyslog.Machine)
	if p == nil {
		p = rfc5424.NewMachine()
	}
	m, err := p.Parse(line)
	d.parsers.Put(p)
	if err != nil {
		return fields, h, libraryError("rfc5424", err)
	}
	msg, ok := m.(*rfc5424.SyslogMessage)
	if !ok || msg.Priority == nil {
		return fields, h, &ParseError{Format: "rfc5424", Msg: "parser returned no message"}
	}

	if msg.Timestamp != nil {
		h.time = *msg.Timestamp
	}
	pri, _, _ := cutPriority(s)
	fields = addPriority(fields, pri)
	fields = append(fields, event.Field{Name: FieldVersion, Value: strconv.Itoa(int(msg.Version)), Type: event.Number})
	if msg.Hostname != nil {
		fields = append(fields, event.Field{Name: event.HostName, Value: *msg.Hostname})
	}
	if msg.MsgID != nil {
		fields = append(fields, event.Field{Name: FieldMsgID, Value: *msg.MsgID})
	}
	if msg.StructuredData != nil {
		for id, params := range *msg.StructuredData {
			for name, value := range params {
				fields = append(fields, event.Field{Name: FieldSDPrefix + id + "." + name, Value: value})
			}
		}
	}
	if msg.Message != nil {
		// RFC 5424 section 6.4: a UTF-8 message starts with a byte order mark.
		h.message = strings.TrimSpace(strings.TrimPrefix(*msg.Message, "\uFEFF"))
	}
	h.appname = deref(msg.Appname)
	return addProgram(fields, h.appname, deref(msg.ProcID), h.message), h, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// libraryError turns go-syslog's "expecting … [col 12]" into a ParseError
// at offset 12.
func libraryError(format string, err error) *ParseError {
	pe := &ParseError{Format: format, Msg: err.Error(), Err: err}
	if i := strings.LastIndex(pe.Msg, " [col "); i >= 0 && strings.HasSuffix(pe.Msg, "]") {
		if n, convErr := strconv.Atoi(pe.Msg[i+len(" [col ") : len(pe.Msg)-1]); convErr == nil {
			pe.Offset, pe.Msg = n, pe.Msg[:i]
		}
	}
	return pe
}
