package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// ErrMalformed is matched (errors.Is) by every error about the content of
// an imported file.
var ErrMalformed = errors.New("malformed indicator file")

// ErrTooLarge is matched by the error for a file over Options.MaxBytes or
// holding more than Options.MaxObjects objects.
var ErrTooLarge = errors.New("indicator file too large")

// ParseError is an error in an imported file. It names the file (Source),
// and the line and column (CSV, JSON syntax) or the object (STIX object id
// or index, MISP attribute uuid or path) at fault.
type ParseError struct {
	Source    string
	Line, Col int    // 1-based; zero when the error is about an object
	Object    string // "objects[3] indicator--…", "Event.Attribute[2] 5f1c…"
	Msg       string
	Err       error // the underlying error, if any
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	if e.Object != "" {
		b.WriteString(": " + e.Object)
	}
	b.WriteString(": " + e.Msg)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

func (e *ParseError) Unwrap() error { return e.Err }

// ImportReport is the result of reading one file.
type ImportReport struct {
	// Indicators are the matchable indicators, normalised and valid, in
	// file order.
	Indicators []Indicator
	// Skipped are the well-formed indicators that Vigie cannot match, or
	// that the options leave out, with the reason.
	Skipped []Skipped
}

// Skipped is one indicator left out of an import.
type Skipped struct {
	Object string `json:"object"` // the STIX id, MISP attribute uuid or CSV line
	Reason string `json:"reason"`
}

// Options tune the importers. The zero value gives the defaults. In the
// configuration file:
//
//	intel:
//	  max_bytes: 67108864       # largest file read, default 64 MiB
//	  max_objects: 1000000      # most objects, attributes or rows per file
//	  misp_all_attributes: false
type Options struct {
	// MaxBytes is the largest file read; a larger one is rejected with
	// ErrTooLarge. Default 64 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxObjects is the most STIX objects, MISP attributes or CSV rows a
	// file may hold. Default 1,000,000.
	MaxObjects int `yaml:"max_objects"`
	// MISPAllAttributes imports MISP attributes whose to_ids flag is
	// false too; by default they are skipped, as MISP itself does not
	// export them for detection.
	MISPAllAttributes bool `yaml:"misp_all_attributes"`
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxObjects <= 0 {
		o.MaxObjects = 1_000_000
	}
	return o
}

// Parse reads a file of the named format: FormatSTIX, FormatMISP or
// FormatCSV.
func (o Options) Parse(r io.Reader, format, source string) (*ImportReport, error) {
	switch format {
	case FormatSTIX:
		return o.ParseSTIX(r, source)
	case FormatMISP:
		return o.ParseMISP(r, source)
	case FormatCSV:
		return o.ParseCSV(r, source)
	}
	return nil, fmt.Errorf("unknown indicator format %q (want stix, misp or csv)", format)
}

// Parse reads a file of the named format with the default Options.
func Parse(r io.Reader, format, source string) (*ImportReport, error) {
	return Options{}.Parse(r, format, source)
}

// ParseSTIX reads a STIX 2.1 bundle with the default Options.
func ParseSTIX(r io.Reader, source string) (*ImportReport, error) {
	return Options{}.ParseSTIX(r, source)
}

// ParseMISP reads a MISP event with the default Options.
func ParseMISP(r io.Reader, source string) (*ImportReport, error) {
	return Options{}.ParseMISP(r, source)
}

// ParseCSV reads a CSV indicator list with the default Options.
func ParseCSV(r io.Reader, source string) (*ImportReport, error) {
	return Options{}.ParseCSV(r, source)
}

// DetectFormat names the format of a file from its name and its first
// bytes: a JSON document with a "type": "bundle" or STIX objects is STIX,
// one with "Event", "Attribute" or "response" is MISP, and anything else
// with a .csv or .txt extension, or a first line with a comma, is CSV. It
// returns "" when it cannot tell.
func DetectFormat(name string, head []byte) string {
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		switch {
		case bytes.Contains(head, []byte(`"bundle"`)), bytes.Contains(head, []byte(`"spec_version"`)),
			bytes.Contains(head, []byte(`"pattern"`)):
			return FormatSTIX
		case bytes.Contains(head, []byte(`"Event"`)), bytes.Contains(head, []byte(`"Attribute"`)),
			bytes.Contains(head, []byte(`"response"`)):
			return FormatMISP
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".stix", ".stix2":
			return FormatSTIX
		}
		if strings.Contains(strings.ToLower(filepath.Base(name)), "misp") {
			return FormatMISP
		}
		return ""
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return FormatCSV
	}
	first, _, _ := bytes.Cut(trimmed, []byte("\n"))
	if bytes.Contains(first, []byte(",")) {
		return FormatCSV
	}
	return ""
}

// readLimited reads all of r, up to max bytes.
func readLimited(r io.Reader, max int64, source string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", source, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: over %d bytes: %w", source, max, ErrTooLarge)
	}
	return data, nil
}

// jsonError turns an error of encoding/json about data into a ParseError
// with the line and column of its offset, when it has one: the byte at
// fault for a syntax error, the first byte of an object or array, or the
// last byte of a literal, of the wrong type.
func jsonError(source string, data []byte, err error, what string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64 = -1
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 {
		return &ParseError{Source: source, Msg: what, Err: err}
	}
	// Offset counts the bytes read, the one at fault included.
	line, col := position(data, off-1)
	return &ParseError{Source: source, Line: line, Col: col, Msg: what, Err: err}
}

// position returns the 1-based line and column (in bytes) of offset off in
// data.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
