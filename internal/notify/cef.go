package notify

import (
	"strconv"
	"strings"
)

// CEF renders a notification as an ArcSight Common Event Format record:
//
//	CEF:0|Vigie|Vigie|<version>|<signature id>|<name>|<severity 0-10>|<extension>
//
// The signature id is the rule id, or the message kind when there is no
// rule; the name is the title. Header fields escape "\" and "|"; extension
// values escape "\", "=" and line breaks (as \n and \r), as the CEF
// specification requires. The extension carries rt (milliseconds since the
// epoch of the last change), cnt (the number of changes), msg (the first
// change's text, or the title), request (the URL), the key, kind and
// incident as custom strings, and the entity fields under their CEF names
// (src, dst, suser, dhost, dpt, spt).
func CEF(version string, n *Notification) string {
	var b strings.Builder
	b.WriteString("CEF:0|Vigie|Vigie|")
	b.WriteString(escapeHeader(version))
	b.WriteByte('|')
	sig := n.Rule
	if sig == "" {
		sig = n.Kind
	}
	b.WriteString(escapeHeader(sig))
	b.WriteByte('|')
	b.WriteString(escapeHeader(n.Title))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(cefSeverity(n.Level)))
	b.WriteByte('|')

	first := true
	ext := func(key, value string) {
		if value == "" {
			return
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(escapeExtension(value))
	}
	ext("rt", strconv.FormatInt(n.Last.UnixMilli(), 10))
	ext("cnt", strconv.Itoa(n.Changes+n.Folded))
	msg := n.Title
	if len(n.Listed) > 0 && n.Listed[0].Text != "" {
		msg = n.Listed[0].Text
	}
	ext("msg", cut(msg, 1023))
	ext("request", n.URL)
	ext("cs1Label", "vigieKey")
	ext("cs1", n.Key)
	ext("cs2Label", "vigieKind")
	ext("cs2", n.Kind)
	if n.Incident != "" {
		ext("cs3Label", "vigieIncident")
		ext("cs3", n.Incident)
	}
	ext("cs4Label", "vigieLevel")
	ext("cs4", n.Level)
	for _, f := range cefFields {
		ext(f.key, n.Fields[f.field])
	}
	return b.String()
}

// cefFields maps ECS entity fields to CEF extension keys, in output order.
var cefFields = [...]struct{ field, key string }{
	{"source.ip", "src"},
	{"source.port", "spt"},
	{"destination.ip", "dst"},
	{"destination.port", "dpt"},
	{"user.name", "suser"},
	{"host.name", "dhost"},
}

// cefSeverity maps a Sigma level to CEF's 0-10 scale: 0-3 low, 4-6 medium,
// 7-8 high, 9-10 very high.
func cefSeverity(level string) int {
	switch level {
	case "informational":
		return 1
	case "low":
		return 3
	case "high":
		return 8
	case "critical":
		return 10
	}
	return 5
}

// escapeHeader escapes a CEF header field: "\" as "\\" and "|" as "\|".
// Line breaks, which the header may not contain, become spaces, and
// invalid UTF-8 becomes U+FFFD.
func escapeHeader(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsAny(s, "\\|\r\n") {
		return s
	}
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '|':
			b.WriteString(`\|`)
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeExtension escapes a CEF extension value: "\" as "\\", "=" as
// "\=", a line feed as "\n" and a carriage return as "\r"; invalid UTF-8
// becomes U+FFFD.
func escapeExtension(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsAny(s, "\\=\r\n") {
		return s
	}
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '=':
			b.WriteString(`\=`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
