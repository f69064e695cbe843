package intel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// csvColumns are the columns a CSV indicator file may have.
var csvColumns = []string{"id", "type", "value", "name", "description", "valid_from", "valid_until", "confidence", "labels"}

// ParseCSV reads a CSV indicator list. The first row that is not a
// comment (lines starting with '#' are comments) is a header naming the
// columns, in any order and case: value (required), and type, id, name,
// description, valid_from, valid_until (RFC 3339 or 2006-01-02),
// confidence (0–100) and labels (separated by ';'). When there is no type
// column, or its cell is empty, the type is inferred from the value: an
// IP address, a CIDR network, a hash by its length, a URL (with "://"), an
// e-mail address (with "@"), else a domain name. A row without id gets
// one derived from its type and value. Rows must have as many cells as the
// header.
//
// The file is rejected with the line and column at fault for a row that
// does not parse as CSV, an unknown or repeated column, a value that is not
// valid for its type, or a time or confidence that does not parse.
func (o Options) ParseCSV(r io.Reader, source string) (*ImportReport, error) {
	o = o.withDefaults()
	data, err := readLimited(r, o.MaxBytes, source)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{Source: source, Msg: "no header row"}
		}
		return nil, csvError(source, err)
	}
	col := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		line, column := cr.FieldPos(i)
		switch {
		case !slices.Contains(csvColumns, name):
			return nil, &ParseError{Source: source, Line: line, Col: column,
				Msg: fmt.Sprintf("unknown column %q (known: %s)", name, strings.Join(csvColumns, ", "))}
		case col[name] != 0:
			return nil, &ParseError{Source: source, Line: line, Col: column, Msg: fmt.Sprintf("column %q repeated", name)}
		}
		col[name] = i + 1 // 0 means absent
	}
	if col["value"] == 0 {
		line, _ := cr.FieldPos(0)
		return nil, &ParseError{Source: source, Line: line, Col: 1, Msg: "no value column"}
	}
	rep := &ImportReport{}
	for rows := 0; ; rows++ {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(source, err)
		}
		if rows >= o.MaxObjects {
			return nil, fmt.Errorf("%s: over %d rows: %w", source, o.MaxObjects, ErrTooLarge)
		}
		cell := func(name string) (string, int, int) {
			i := col[name] - 1
			if i < 0 {
				return "", 0, 0
			}
			line, column := cr.FieldPos(i)
			return strings.TrimSpace(record[i]), line, column
		}
		ind, err := csvIndicator(cell, source)
		if err != nil {
			return nil, err
		}
		rep.Indicators = append(rep.Indicators, ind)
	}
	return rep, nil
}

// csvIndicator builds the indicator of one row; cell returns a column's
// text and position.
func csvIndicator(cell func(name string) (string, int, int), source string) (Indicator, error) {
	fail := func(line, column int, msg string, err error) error {
		return &ParseError{Source: source, Line: line, Col: column, Msg: msg, Err: err}
	}
	value, vline, vcol := cell("value")
	if value == "" {
		return Indicator{}, fail(vline, vcol, "empty value", nil)
	}
	typ, tline, tcol := cell("type")
	t := Type(strings.ToLower(typ))
	if t == "" {
		t = inferType(value)
		if t == "" {
			return Indicator{}, fail(vline, vcol, fmt.Sprintf("cannot tell the type of %s", quoteShort(value)), nil)
		}
	} else if !slices.Contains(Types(), t) {
		return Indicator{}, fail(tline, tcol, fmt.Sprintf("unknown type %q (known: %s)", typ, typeList()), nil)
	}
	norm, err := Normalise(t, value)
	if err != nil {
		return Indicator{}, fail(vline, vcol, "value", err)
	}
	ind := Indicator{Type: t, Value: norm, Confidence: DefaultConfidence, Source: source, Format: FormatCSV}
	ind.ID, _, _ = cell("id")
	if ind.ID == "" {
		ind.ID = derivedID(t, norm)
	}
	ind.Name, _, _ = cell("name")
	ind.Description, _, _ = cell("description")
	for _, name := range []string{"valid_from", "valid_until"} {
		s, line, column := cell(name)
		if s == "" {
			continue
		}
		tm, err := parseCSVTime(s)
		if err != nil {
			return Indicator{}, fail(line, column, name, err)
		}
		if name == "valid_from" {
			ind.ValidFrom = tm
		} else {
			ind.ValidUntil = tm
		}
	}
	if !ind.ValidFrom.IsZero() && !ind.ValidUntil.IsZero() && !ind.ValidUntil.After(ind.ValidFrom) {
		_, line, column := cell("valid_until")
		return Indicator{}, fail(line, column, "valid_until is not after valid_from", nil)
	}
	if s, line, column := cell("confidence"); s != "" {
		c, err := strconv.Atoi(s)
		if err != nil || c < 0 || c > 100 {
			return Indicator{}, fail(line, column, fmt.Sprintf("confidence %q is not a whole number from 0 to 100", s), nil)
		}
		ind.Confidence = c
	}
	if s, _, _ := cell("labels"); s != "" {
		for l := range strings.SplitSeq(s, ";") {
			ind.Labels = appendNew(ind.Labels, strings.TrimSpace(l))
		}
	}
	if len(ind.ID) > 512 {
		_, line, column := cell("id")
		return Indicator{}, fail(line, column, "id over 512 bytes", nil)
	}
	return ind, nil
}

// inferType guesses the type of a value written without one, or "".
func inferType(v string) Type {
	if _, err := netip.ParseAddr(v); err == nil {
		return IP
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return CIDR
	}
	if isHex(v) {
		switch len(v) {
		case 32:
			return MD5
		case 40:
			return SHA1
		case 64:
			return SHA256
		}
	}
	switch {
	case strings.Contains(v, "://"):
		return URL
	case strings.Contains(v, "@"):
		return Email
	case strings.Contains(v, ".") && validDomain(lowerASCII(strings.TrimSuffix(v, "."))):
		return Domain
	}
	return ""
}

func parseCSVTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s is not an RFC 3339 time or a date", quoteShort(s))
}

// csvError turns an error of encoding/csv into a ParseError.
func csvError(source string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{Source: source, Line: pe.Line, Col: pe.Column, Msg: "bad CSV", Err: pe.Err}
	}
	return fmt.Errorf("reading %s: %w", source, err)
}

func typeList() string {
	var names []string
	for _, t := range Types() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}
