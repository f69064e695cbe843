package zeek

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// errNoHeader is the reason given for a TSV line read before any #fields
// header.
var errNoHeader = errors.New("record line before any #fields header")

// kind is how values of a Zeek type become field values.
type kind uint8

const (
	kindString kind = iota // string, enum, addr, subnet, pattern, …
	kindInt                // count, int, port
	kindReal               // double, interval, time
	kindBool               // bool, written T or F
)

var kindNames = [...]string{kindString: "a string", kindInt: "an integer", kindReal: "a number", kindBool: "a boolean (T or F)"}

// column describes one column of a TSV log, from #fields and #types.
type column struct {
	name      string
	kind      kind
	container bool // set[…] or vector[…]: one value per element
}

// header is the TSV header in force, and the plan compiled from it.
type header struct {
	separator    string
	setSeparator string
	empty        string
	unset        string
	path         string
	columns      []column
	types        []string // from #types, kept in case #fields comes after
	guessed      string   // path inferred from the columns, for a header without #path

	plan     *plan  // compiled for planPath; nil after a directive changes the header
	planPath string // the log path plan was compiled for

	// Scratch space for one record, reused: the values of each column
	// are values[from[i]:to[i]].
	values   []event.Field
	from, to []int
}

// reset sets the defaults that Zeek's ASCII writer uses.
func (h *header) reset() {
	*h = header{separator: "\t", setSeparator: ",", empty: "(empty)", unset: "-"}
}

// directive applies one header line. Unknown directives (#open, #close,
// comments) are ignored.
func (h *header) directive(line []byte) {
	if rest, ok := strings.CutPrefix(string(line), "#separator "); ok {
		// A new header block: Zeek starts each with #separator,
		// written with a space because the separator is not known yet.
		h.reset()
		if sep := unescape(rest); sep != "" {
			h.separator = sep
		}
		return
	}
	keyword, rest, _ := strings.Cut(string(line), h.separator)
	switch keyword {
	case "#set_separator":
		if sep := unescape(rest); sep != "" {
			h.setSeparator = sep
		}
	case "#empty_field":
		h.empty = unescape(rest)
	case "#unset_field":
		h.unset = unescape(rest)
	case "#path":
		h.path = unescape(rest)
	case "#fields":
		names := strings.Split(rest, h.separator)
		h.columns = make([]column, len(names))
		for i, name := range names {
			h.columns[i] = column{name: unescape(name)}
		}
		h.applyTypes()
		h.guessed = guessPath(func(yield func(string) bool) {
			for _, c := range h.columns {
				if !yield(c.name) {
					return
				}
			}
		})
	case "#types":
		h.types = strings.Split(rest, h.separator)
		h.applyTypes()
	default:
		return
	}
	h.plan = nil
}

// applyTypes types the columns from #types, when it names as many.
func (h *header) applyTypes() {
	if len(h.types) != len(h.columns) {
		return
	}
	for i, t := range h.types {
		c := &h.columns[i]
		if elem, ok := strings.CutPrefix(t, "set["); ok {
			c.container, t = true, strings.TrimSuffix(elem, "]")
		} else if elem, ok := strings.CutPrefix(t, "vector["); ok {
			c.container, t = true, strings.TrimSuffix(elem, "]")
		}
		switch t {
		case "count", "int", "port":
			c.kind = kindInt
		case "double", "interval", "time":
			c.kind = kindReal
		case "bool":
			c.kind = kindBool
		default:
			c.kind = kindString
		}
	}
}

// record decodes one TSV record line into e. path names the log when the
// header does not.
func (h *header) record(line []byte, path string, e *event.Event) error {
	if h.columns == nil {
		return errNoHeader
	}
	switch {
	case h.path != "":
		path = h.path
	case path == "":
		path = h.guessed
	}
	if h.plan == nil || h.planPath != path {
		h.plan, h.planPath = compile(h.columns, path), path
	}
	// One copy of the line; field values are substrings of it.
	text := string(line)
	h.values, h.from, h.to = h.values[:0], h.from[:0], h.to[:0]
	rest := text
	for i := range h.columns {
		c := &h.columns[i]
		value, more, found := strings.Cut(rest, h.separator)
		if found == (i == len(h.columns)-1) {
			return fmt.Errorf("%d columns, the #fields header names %d", strings.Count(text, h.separator)+1, len(h.columns))
		}
		rest = more
		h.from = append(h.from, len(h.values))
		switch {
		case value == h.unset:
		case c.container && value == h.empty:
		case c.container:
			for elem := range strings.SplitSeq(value, h.setSeparator) {
				if elem == h.unset {
					continue
				}
				if err := h.add(c, elem); err != nil {
					return err
				}
			}
		case value == h.empty:
			h.values = append(h.values, event.Field{Value: ""})
		default:
			if err := h.add(c, value); err != nil {
				return err
			}
			if c.name == "ts" {
				t, err := parseEpoch(value)
				if err != nil {
					return fmt.Errorf("field ts: %w", err)
				}
				e.Time = t
			}
		}
		h.to = append(h.to, len(h.values))
	}
	h.plan.fill(e, h)
	return nil
}

// add checks one value of column c and keeps it, typed.
func (h *header) add(c *column, value string) error {
	f := event.Field{Value: value}
	switch c.kind {
	case kindInt:
		if !isInteger(value) {
			return badValue(c.name, value, c.kind)
		}
		f.Type = event.Number
	case kindReal:
		if !isDecimal(value) {
			return badValue(c.name, value, c.kind)
		}
		f.Type = event.Number
	case kindBool:
		switch value {
		case "T":
			f.Value = "true"
		case "F":
			f.Value = "false"
		default:
			return badValue(c.name, value, c.kind)
		}
		f.Type = event.Bool
	default:
		f.Value = unescape(value)
	}
	h.values = append(h.values, f)
	return nil
}

func badValue(name, value string, k kind) error {
	return fmt.Errorf("field %s: %q is not %s", name, value, kindNames[k])
}

func isInteger(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	return s != "" && digits(s)
}

// isDecimal accepts what Zeek writes for doubles: digits with an optional
// sign, point and exponent.
func isDecimal(s string) bool {
	mantissa, exponent, hasExp := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mantissa, exponent, hasExp = s[:i], s[i+1:], true
	}
	if len(mantissa) > 0 && (mantissa[0] == '-' || mantissa[0] == '+') {
		mantissa = mantissa[1:]
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	if whole == "" && frac == "" || !digits(whole) || !digits(frac) {
		return false
	}
	return !hasExp || isInteger(exponent)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseEpoch parses seconds since 1970 written in decimal, exactly to the
// nanosecond.
func parseEpoch(s string) (time.Time, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || !digits(whole) || !digits(frac) {
		return time.Time{}, fmt.Errorf("%q is not a time in seconds since 1970", s)
	}
	var sec, nsec int64
	for i := 0; i < len(whole); i++ {
		sec = sec*10 + int64(whole[i]-'0')
	}
	for i := range 9 {
		nsec *= 10
		if i < len(frac) {
			nsec += int64(frac[i] - '0')
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// unescape decodes the \xHH escapes that Zeek's ASCII writer uses for
// separators and non-printable bytes.
func unescape(s string) string {
	i := strings.Index(s, `\x`)
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i >= 0 {
		out = append(out, s[:i]...)
		s = s[i:]
		if len(s) >= 4 && isHex(s[2]) && isHex(s[3]) {
			out = append(out, unhex(s[2])<<4|unhex(s[3]))
			s = s[4:]
		} else {
			out = append(out, s[:2]...)
			s = s[2:]
		}
		i = strings.Index(s, `\x`)
	}
	return string(append(out, s...))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
