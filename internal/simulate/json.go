package simulate

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// obj is a JSON object whose keys keep the order they were given in, so
// that records look like the producer's and the output is reproducible.
// Values may be string, int, int64, float64, bool, nil, obj, []string,
// []obj or raw (JSON text written as is).
type obj []kv

type kv struct {
	k string
	v any
}

// raw is JSON text written unchanged.
type raw string

// add returns o with one more key.
func (o obj) add(k string, v any) obj { return append(o, kv{k, v}) }

// bytes returns o as compact JSON.
func (o obj) bytes() []byte { return appendValue(make([]byte, 0, 512), o) }

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	case raw:
		return append(b, v...)
	case obj:
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f.k)
			b = append(b, ':')
			b = appendValue(b, f.v)
		}
		return append(b, '}')
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	case []obj:
		b = append(b, '[')
		for i, o := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, o)
		}
		return append(b, ']')
	}
	panic("BUG: simulate: no JSON encoding for a value of this type")
}

// appendString appends s as a JSON string. s is valid UTF-8: it is
// generated here.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			_, n := utf8.DecodeRuneInString(s[i:])
			b = append(b, s[i:i+n]...)
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}

// Time layouts of the formats written.
const (
	isoMillis = "2006-01-02T15:04:05.000Z07:00" // Winlogbeat @timestamp
	isoSecond = "2006-01-02T15:04:05Z07:00"     // CloudTrail eventTime, Entra createdDateTime
	m365Time  = "2006-01-02T15:04:05"           // O365 CreationTime: UTC, no zone
)

func isoMs(t time.Time) string  { return t.UTC().Format(isoMillis) }
func isoSec(t time.Time) string { return t.UTC().Format(isoSecond) }
