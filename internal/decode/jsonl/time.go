package jsonl

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// timeFields are the fields that give an event its time, best first.
var timeFields = [...]string{"@timestamp", "timestamp", "time", "ts"}

// eventTime returns the time of the first field among names that is
// present in fields and parses, trying names in order.
func eventTime(fields []event.Field, names []string) (time.Time, bool) {
	for _, name := range names {
		for _, f := range fields {
			if f.Name == name {
				if t, ok := ParseTime(f.Value, f.Type); ok {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// Layouts of text timestamps that ParseTime accepts besides RFC 3339.
// A layout without a zone is read as UTC.
var timeLayouts = [...]string{
	"2006-01-02T15:04:05.999999999-0700", // Suricata EVE
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// ParseTime reads a timestamp as JSON logs write them: RFC 3339 text (with
// or without fractional seconds), the same with a space instead of "T" or
// without a zone (then UTC), or a Unix epoch as a number or a string of
// digits. An epoch's unit is told by its magnitude: below 1e11 seconds
// (fractions allowed), below 1e14 milliseconds, below 1e17 microseconds,
// else nanoseconds. The result is in UTC. It reports false when value is
// none of these.
func ParseTime(value string, t event.Type) (time.Time, bool) {
	if value == "" || t == event.Bool || t == event.Null {
		return time.Time{}, false
	}
	if c := value[0]; c == '-' || ('0' <= c && c <= '9') {
		if ts, ok := parseEpoch(value); ok {
			return ts, true
		}
	}
	if t == event.Number {
		return time.Time{}, false
	}
	if ts, err := time.Parse(time.RFC3339Nano, value); err == nil {
		return ts.UTC(), true
	}
	for _, layout := range timeLayouts {
		if ts, err := time.Parse(layout, value); err == nil {
			return ts.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseEpoch reads a Unix time in seconds, milliseconds, microseconds or
// nanoseconds, told apart by magnitude.
func parseEpoch(s string) (time.Time, bool) {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		// An exponent, or out of range for int64.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) >= 9e18 {
			return time.Time{}, false
		}
		return epochFloat(f), true
	}
	if hasFrac {
		if frac == "" || strings.TrimLeft(frac, "0123456789") != "" {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil {
				return time.Time{}, false
			}
			return epochFloat(f), true
		}
	}
	abs := n
	if abs < 0 {
		abs = -abs
	}
	switch {
	case abs < 1e11:
		var nanos int64
		if hasFrac {
			if len(frac) > 9 {
				frac = frac[:9]
			}
			nanos, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
			if n < 0 || intPart == "-0" {
				nanos = -nanos
			}
		}
		return time.Unix(n, nanos).UTC(), true
	case abs < 1e14:
		return time.UnixMilli(n).UTC(), true
	case abs < 1e17:
		return time.UnixMicro(n).UTC(), true
	default:
		return time.Unix(0, n).UTC(), true
	}
}

func epochFloat(f float64) time.Time {
	abs := math.Abs(f)
	switch {
	case abs < 1e11:
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC()
	case abs < 1e14:
		return time.Unix(0, int64(f*1e6)).UTC()
	case abs < 1e17:
		return time.Unix(0, int64(f*1e3)).UTC()
	default:
		return time.Unix(0, int64(f)).UTC()
	}
}
