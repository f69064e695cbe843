package zeek

import (
	"bytes"
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

// header is the TSV header in force. Its byte slices are private copies.
type header struct {
	separator    []byte
	setSeparator []byte
	empty        []byte
	unset        []byte
	path         string
	columns      []column
	types        []string // from #types, kept in case #fields comes after
	guessed      string   // path inferred from columns, when the header has none
}

// reset sets the defaults that Zeek's ASCII writer uses.
func (h *header) reset() {
	*h = header{
		separator:    []byte{'\t'},
		setSeparator: []byte{','},
		empty:        []byte("(empty)"),
		unset:        []byte{'-'},
	}
}

// directive applies one header line. Unknown directives (#open, #close,
// comments) are ignored.
func (h *header) directive(line []byte) {
	if rest, ok := bytes.CutPrefix(line, []byte("#separator ")); ok {
		// A new header block: Zeek starts each with #separator,
		// written with a space because the separator is not known yet.
		h.reset()
		if sep := unescape(rest); len(sep) > 0 {
			h.separator = []byte(sep)
		}
		return
	}
	keyword, rest, _ := bytes.Cut(line, h.separator)
	switch string(keyword) {
	case "#set_separator":
		if sep := unescape(rest); len(sep) > 0 {
			h.setSeparator = []byte(sep)
		}
	case "#empty_field":
		h.empty = []byte(unescape(rest))
	case "#unset_field":
		h.unset = []byte(unescape(rest))
	case "#path":
		h.path = unescape(rest)
	case "#fields":
		names := bytes.Split(rest, h.separator)
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
		h.types = strings.Split(string(rest), string(h.separator))
		h.applyTypes()
	}
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

// record decodes one TSV record line into e.
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
	e.Fields = make([]event.Field, 0, len(h.columns)+12)
	rest := line
	for i := range h.columns {
		c := &h.columns[i]
		var value []byte
		var found bool
		if i == len(h.columns)-1 {
			value, found = rest, !bytes.Contains(rest, h.separator)
		} else {
			value, rest, found = cut(rest, h.separator)
		}
		if !found {
			return fmt.Errorf("%d columns, the #fields header names %d", bytes.Count(line, h.separator)+1, len(h.columns))
		}
		if bytes.Equal(value, h.unset) {
			continue
		}
		if c.container {
			if bytes.Equal(value, h.empty) {
				continue
			}
			for len(value) > 0 {
				elem, more, _ := cut(value, h.setSeparator)
				if !bytes.Equal(elem, h.unset) {
					if err := addValue(e, c.name, c.kind, elem); err != nil {
						return err
					}
				}
				value = more
			}
			continue
		}
		if bytes.Equal(value, h.empty) {
			e.Add(c.name, "")
			continue
		}
		if err := addValue(e, c.name, c.kind, value); err != nil {
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
	addECS(e, path)
	return nil
}

// cut is bytes.Cut with a fast path for one-byte separators.
func cut(s, sep []byte) (before, after []byte, found bool) {
	if len(sep) == 1 {
		if i := bytes.IndexByte(s, sep[0]); i >= 0 {
			return s[:i], s[i+1:], true
		}
		return s, nil, false
	}
	return bytes.Cut(s, sep)
}

// addValue adds a field for one TSV value of the given kind, checking it.
func addValue(e *event.Event, name string, k kind, value []byte) error {
	switch k {
	case kindInt:
		if !isInteger(value) {
			return badValue(name, value, k)
		}
		e.AddTyped(name, string(value), event.Number)
	case kindReal:
		if !isDecimal(value) {
			return badValue(name, value, k)
		}
		e.AddTyped(name, string(value), event.Number)
	case kindBool:
		switch string(value) {
		case "T":
			e.AddTyped(name, "true", event.Bool)
		case "F":
			e.AddTyped(name, "false", event.Bool)
		default:
			return badValue(name, value, k)
		}
	default:
		e.Add(name, unescape(value))
	}
	return nil
}

func badValue(name string, value []byte, k kind) error {
	return fmt.Errorf("field %s: %q is not %s", name, value, kindNames[k])
}

func isInteger(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isDecimal accepts what Zeek writes for doubles: digits with an optional
// sign, point and exponent.
func isDecimal(b []byte) bool {
	mantissa, exponent, hasExp := b, []byte(nil), false
	if i := bytes.IndexAny(b, "eE"); i >= 0 {
		mantissa, exponent, hasExp = b[:i], b[i+1:], true
	}
	if len(mantissa) > 0 && (mantissa[0] == '-' || mantissa[0] == '+') {
		mantissa = mantissa[1:]
	}
	whole, frac, _ := bytes.Cut(mantissa, []byte{'.'})
	if len(whole)+len(frac) == 0 || !digits(whole) || !digits(frac) {
		return false
	}
	return !hasExp || isInteger(exponent)
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseEpoch parses seconds since 1970 written in decimal, exactly to the
// nanosecond.
func parseEpoch(b []byte) (time.Time, error) {
	whole, frac, _ := bytes.Cut(b, []byte{'.'})
	if len(whole) == 0 || len(whole) > 12 || !digits(whole) || !digits(frac) {
		return time.Time{}, fmt.Errorf("%q is not a time in seconds since 1970", b)
	}
	var sec, nsec int64
	for _, c := range whole {
		sec = sec*10 + int64(c-'0')
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
func unescape(b []byte) string {
	i := bytes.Index(b, []byte(`\x`))
	if i < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i >= 0 {
		out = append(out, b[:i]...)
		b = b[i:]
		if len(b) >= 4 && isHex(b[2]) && isHex(b[3]) {
			out = append(out, unhex(b[2])<<4|unhex(b[3]))
			b = b[4:]
		} else {
			out = append(out, b[:2]...)
			b = b[2:]
		}
		i = bytes.Index(b, []byte(`\x`))
	}
	return string(append(out, b...))
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
