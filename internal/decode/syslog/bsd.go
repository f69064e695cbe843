package syslog

import (
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// maxTag bounds the tag with its "[pid]" when the tag contains a space
// ("-- root[2421]:", login's process title in Linux_2k.log). RFC 3164
// allows 32 characters for the tag alone.
const maxTag = 64

// decodeBSD decodes an RFC 3164 message, "<PRI>TIMESTAMP HOST TAG[PID]: MSG",
// where <PRI> and HOST may be missing. It appends to fields.
func (d *Decoder) decodeBSD(s string, fields []event.Field) ([]event.Field, header, error) {
	var h header
	pri, rest, hasPri := cutPriority(s)
	if hasPri {
		fields = addPriority(fields, pri)
	} else if s[0] == '<' {
		return fields, h, &ParseError{Format: "rfc3164", Msg: "expecting a priority value within angle brackets, 0 to 191"}
	}
	t, rest, ok := d.cutTimestamp(rest)
	if !ok {
		if !hasPri {
			return fields, h, &ParseError{Format: "rfc3164", Msg: `expecting a timestamp such as "Dec 10 06:55:46"`}
		}
		// RFC 3164 section 4.3.3: a message with a valid PRI and no
		// header is kept whole as the message.
		h.message = strings.Trim(rest, " \t")
		return addProgram(fields, "", "", h.message), h, nil
	}
	h.time = t
	if rest != "" && rest[0] != ' ' {
		return fields, h, &ParseError{Format: "rfc3164", Offset: len(s) - len(rest), Msg: "expecting a space after the timestamp"}
	}
	rest = strings.TrimLeft(rest, " ")

	// HOSTNAME. A relay may leave it out: a first word ending in ':' or
	// holding a '[' is the tag.
	host, after, _ := strings.Cut(rest, " ")
	if host != "" && host[len(host)-1] != ':' && strings.IndexByte(host, '[') < 0 {
		if host != "-" {
			fields = append(fields, event.Field{Name: event.HostName, Value: host})
		}
		rest = strings.TrimLeft(after, " ")
	}

	app, pid, msg := cutTag(rest)
	h.appname, h.message = app, strings.Trim(msg, " \t")
	return addProgram(fields, app, pid, h.message), h, nil
}

// cutTag splits "sshd[24200]: msg" into "sshd", "24200" and " msg". The
// tag ends at ':' or '[', or else at the first space: "syslogd 1.4.1:
// restart." is tag "syslogd" and message "1.4.1: restart.", as RFC 3164
// section 5.3 reads it.
func cutTag(s string) (app, pid, msg string) {
	i := strings.IndexAny(s, ":[ ")
	if i < 0 {
		return "", "", s // one word: a message without a tag
	}
	switch s[i] {
	case ':':
		return s[:i], "", s[i+1:]
	case '[':
		if app, pid, msg, ok := cutPID(s, i); ok {
			return app, pid, msg
		}
		return "", "", s
	}
	// A space. login(1) logs under its process title, "-- root": accept a
	// tag with spaces when a "[pid]:" closes it.
	if j := strings.IndexByte(s[:min(len(s), maxTag)], ':'); j > 0 && s[j-1] == ']' {
		if lb := strings.LastIndexByte(s[:j], '['); lb > 0 {
			if app, pid, msg, ok := cutPID(s, lb); ok {
				return app, pid, msg
			}
		}
	}
	return s[:i], "", s[i+1:]
}

// cutPID reads "[pid]" at s[lb] and the ':' after it (some programs
// leave it out).
func cutPID(s string, lb int) (app, pid, msg string, ok bool) {
	rb := strings.IndexByte(s[lb:], ']')
	if rb < 2 {
		return "", "", "", false
	}
	rb += lb
	pid, msg = s[lb+1:rb], s[rb+1:]
	if strings.IndexByte(pid, ' ') >= 0 {
		return "", "", "", false
	}
	msg = strings.TrimPrefix(msg, ":")
	return s[:lb], pid, msg, true
}

// cutTimestamp reads a BSD timestamp ("Dec 10 06:55:46", "Jul  3
// 04:08:03", optionally with a fraction of a second) or an RFC 3339 one
// ("2024-01-02T03:04:05.123456+01:00") at the start of s.
func (d *Decoder) cutTimestamp(s string) (t time.Time, rest string, ok bool) {
	if len(s) >= 19 && isDigits(s[:4]) && s[4] == '-' {
		return d.cutRFC3339(s)
	}
	// "Mmm dd hh:mm:ss": the day is space-padded, zero-padded or bare.
	if len(s) < 14 {
		return time.Time{}, s, false
	}
	month := monthOf(s[:3])
	if month == 0 || s[3] != ' ' {
		return time.Time{}, s, false
	}
	i := 4
	if s[i] == ' ' {
		i++
	}
	day, n := digits(s[i:], 2)
	i += n
	if n == 0 || day < 1 || day > daysIn(month) || i >= len(s) || s[i] != ' ' {
		return time.Time{}, s, false
	}
	i++
	if len(s) < i+8 || s[i+2] != ':' || s[i+5] != ':' {
		return time.Time{}, s, false
	}
	hour, n1 := digits(s[i:], 2)
	minute, n2 := digits(s[i+3:], 2)
	sec, n3 := digits(s[i+6:], 2)
	if n1 != 2 || n2 != 2 || n3 != 2 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, s, false
	}
	i += 8
	nsec := 0
	if i < len(s) && s[i] == '.' {
		frac, n := digits(s[i+1:], 9)
		if n == 0 {
			return time.Time{}, s, false
		}
		for k := n; k < 9; k++ {
			frac *= 10
		}
		nsec = frac
		i += 1 + n
	}
	return d.withYear(month, day, hour, minute, sec, nsec), s[i:], true
}

// withYear places a BSD timestamp in the latest year that puts it at most
// futureSlack after Now, and where the date exists (February 29).
func (d *Decoder) withYear(month time.Month, day, hour, minute, sec, nsec int) time.Time {
	loc := d.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	now := time.Now
	if d.cfg.Now != nil {
		now = d.cfg.Now
	}
	limit := now().Add(futureSlack)
	year := limit.In(loc).Year()
	var t time.Time
	// A leap year comes at least every 8 years.
	for range 9 {
		t = time.Date(year, month, day, hour, minute, sec, nsec, loc)
		if t.Day() == day && !t.After(limit) {
			break
		}
		year--
	}
	return t
}

// cutRFC3339 reads the timestamp rsyslog writes with its high-precision
// template, up to the next space. One without an offset is in
// Config.Location.
func (d *Decoder) cutRFC3339(s string) (time.Time, string, bool) {
	word, _, _ := strings.Cut(s, " ")
	if t, err := time.Parse(time.RFC3339Nano, word); err == nil {
		return t, s[len(word):], true
	}
	loc := d.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", word, loc); err == nil {
		return t, s[len(word):], true
	}
	return time.Time{}, s, false
}

// digits reads up to max decimal digits at the start of s.
func digits(s string, max int) (value, n int) {
	for n < len(s) && n < max && s[n] >= '0' && s[n] <= '9' {
		value = value*10 + int(s[n]-'0')
		n++
	}
	return value, n
}

func monthOf(s string) time.Month {
	switch s {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}

// daysIn returns the most days month can have.
func daysIn(month time.Month) int {
	switch month {
	case time.February:
		return 29
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
