package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// ParseNumber reports whether s is a decimal number, as range matching
// reads one: an optional sign, digits with an optional fraction, and an
// optional exponent ("-1.5e3"). Hexadecimal, "Inf", "NaN", digit
// separators and values out of the float64 range are not numbers. Store
// backends translating Range should use it so that their results agree
// with Match.
func ParseNumber(s string) (float64, bool) {
	if !isDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && isDigit(s[i]); i++ {
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// ParseTime reports whether s is a time, as range matching reads one: RFC
// 3339 with an optional fraction of a second ("2024-05-01T10:00:00Z",
// "2024-05-01T12:00:00.5+02:00"), or a date alone ("2024-05-01"), which
// means midnight UTC. Store backends translating Range should use it.
func ParseTime(s string) (time.Time, bool) {
	// Check the shape first: time.Parse allocates its error.
	if len(s) < 10 || !isDigit(s[0]) || !isDigit(s[3]) || s[4] != '-' || s[7] != '-' || !isDigit(s[9]) {
		return time.Time{}, false
	}
	layout := time.RFC3339Nano
	switch {
	case len(s) == 10:
		layout = time.DateOnly
	case len(s) < 20 || s[10] != 'T':
		return time.Time{}, false
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// bound is one compiled end of a Range.
type bound struct {
	text      string
	open      bool
	inclusive bool
	num       float64
	isNum     bool
	time      time.Time
	isTime    bool
}

func newBound(text string, inclusive bool) bound {
	b := bound{text: text, open: text == "", inclusive: inclusive}
	b.num, b.isNum = ParseNumber(text)
	b.time, b.isTime = ParseTime(text)
	return b
}

// parsedValue is a field value with its number and time forms, parsed
// when first needed.
type parsedValue struct {
	s                    string
	num                  float64
	t                    time.Time
	isNum, isTime        bool
	numParsed, timParsed bool
}

// compare returns the sign of v - b: numerically when both are numbers, by
// instant when both are times, and bytewise otherwise.
func (b *bound) compare(v *parsedValue) int {
	if b.isNum {
		if !v.numParsed {
			v.num, v.isNum = ParseNumber(v.s)
			v.numParsed = true
		}
		if v.isNum {
			switch {
			case v.num < b.num:
				return -1
			case v.num > b.num:
				return 1
			}
			return 0
		}
	}
	if b.isTime {
		if !v.timParsed {
			v.t, v.isTime = ParseTime(v.s)
			v.timParsed = true
		}
		if v.isTime {
			return v.t.Compare(b.time)
		}
	}
	return strings.Compare(v.s, b.text)
}

// rangeTest holds the two bounds of a Range.
type rangeTest struct{ lo, hi bound }

func newRangeTest(r *Range) rangeTest {
	return rangeTest{lo: newBound(r.Lo, r.IncLo), hi: newBound(r.Hi, r.IncHi)}
}

// matchString reports whether the value s lies within the bounds.
func (rt *rangeTest) matchString(s string) bool {
	v := parsedValue{s: s}
	return rt.matchValue(&v)
}

func (rt *rangeTest) matchValue(v *parsedValue) bool {
	if !rt.lo.open {
		if c := rt.lo.compare(v); c < 0 || c == 0 && !rt.lo.inclusive {
			return false
		}
	}
	if !rt.hi.open {
		if c := rt.hi.compare(v); c > 0 || c == 0 && !rt.hi.inclusive {
			return false
		}
	}
	return true
}

// timesOnly reports whether every closed bound is a time, so that a time
// field can be compared without formatting it.
func (rt *rangeTest) timesOnly() bool {
	return (rt.lo.open || rt.lo.isTime) && (rt.hi.open || rt.hi.isTime)
}

// matchTime reports whether t lies within bounds for which timesOnly holds.
func (rt *rangeTest) matchTime(t time.Time) bool {
	if !rt.lo.open {
		if c := t.Compare(rt.lo.time); c < 0 || c == 0 && !rt.lo.inclusive {
			return false
		}
	}
	if !rt.hi.open {
		if c := t.Compare(rt.hi.time); c > 0 || c == 0 && !rt.hi.inclusive {
			return false
		}
	}
	return true
}

// numbersOnly reports whether every closed bound is a number.
func (rt *rangeTest) numbersOnly() bool {
	return (rt.lo.open || rt.lo.isNum) && (rt.hi.open || rt.hi.isNum)
}

// matchNumber reports whether x lies within bounds for which numbersOnly
// holds.
func (rt *rangeTest) matchNumber(x float64) bool {
	v := parsedValue{num: x, isNum: true, numParsed: true}
	return rt.matchValue(&v)
}

// rangePred is a Range.
type rangePred struct {
	name    string
	special special
	test    rangeTest
}

func (r *rangePred) match(ev *event.Event) bool {
	switch {
	case r.special == plain:
		for _, f := range ev.Values(r.name) {
			if r.test.matchString(f.Value) {
				return true
			}
		}
		return false
	case r.special.isTime() && r.test.timesOnly():
		tm := r.special.eventTime(ev)
		return !tm.IsZero() && r.test.matchTime(tm)
	case r.special == specialID && r.test.numbersOnly():
		return ev.ID != 0 && r.test.matchNumber(float64(ev.ID))
	}
	s, ok := r.special.value(ev)
	return ok && r.test.matchString(s)
}

func (r *rangePred) cost() int { return 15 }

func (r *rangePred) describe(b *strings.Builder) {
	fmt.Fprintf(b, "range(%s, %s)", r.name, strings.TrimPrefix((&Range{
		Lo: r.test.lo.text, Hi: r.test.hi.text, IncLo: r.test.lo.inclusive, IncHi: r.test.hi.inclusive,
	}).String(), ":"))
}
