package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of a canonicalised JSON value.
const maxDepth = 32

// maxSafeInt is the largest integer JSON readers agree on (2^53).
const maxSafeInt = 1 << 53

// canonical returns the JSON Canonicalization Scheme (RFC 8785) form of
// the JSON object in data, leaving out its member named omit. It accepts
// only what bundles use: valid UTF-8, unique keys, integers within ±2^53,
// nesting up to maxDepth. Errors name the byte offset.
func canonical(data []byte, omit string) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("offset %d: %w", d.InputOffset(), err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out bytes.Buffer
	if err := canonObject(d, &out, omit, 1); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("offset %d: data after the object", d.InputOffset())
	}
	return out.Bytes(), nil
}

type member struct {
	key   string
	value []byte
}

// canonObject writes the object whose "{" d has just read.
func canonObject(d *json.Decoder, out *bytes.Buffer, omit string, depth int) error {
	var members []member
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("offset %d: %w", d.InputOffset(), err)
		}
		key := tok.(string) // the decoder only returns strings as keys
		if seen[key] {
			return fmt.Errorf("offset %d: duplicate key %q", d.InputOffset(), key)
		}
		seen[key] = true
		var v bytes.Buffer
		if err := canonValue(d, &v, depth); err != nil {
			return err
		}
		if key != omit {
			members = append(members, member{key, v.Bytes()})
		}
	}
	if _, err := d.Token(); err != nil { // "}"
		return fmt.Errorf("offset %d: %w", d.InputOffset(), err)
	}
	slices.SortFunc(members, func(a, b member) int {
		return slices.Compare(utf16.Encode([]rune(a.key)), utf16.Encode([]rune(b.key)))
	})
	out.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			out.WriteByte(',')
		}
		canonString(out, m.key)
		out.WriteByte(':')
		out.Write(m.value)
	}
	out.WriteByte('}')
	return nil
}

func canonValue(d *json.Decoder, out *bytes.Buffer, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("offset %d: nested deeper than %d", d.InputOffset(), maxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		return fmt.Errorf("offset %d: %w", d.InputOffset(), err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return canonObject(d, out, "", depth+1)
		}
		out.WriteByte('[')
		for i := 0; d.More(); i++ {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := canonValue(d, out, depth+1); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil { // "]"
			return fmt.Errorf("offset %d: %w", d.InputOffset(), err)
		}
		out.WriteByte(']')
	case string:
		canonString(out, t)
	case json.Number:
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil || n > maxSafeInt || n < -maxSafeInt {
			return fmt.Errorf("offset %d: number %.40s is not an integer within ±2^53", d.InputOffset(), t)
		}
		out.WriteString(strconv.FormatInt(n, 10))
	case bool:
		out.WriteString(strconv.FormatBool(t))
	case nil:
		out.WriteString("null")
	}
	return nil
}

// canonString writes s as RFC 8785 does (ECMAScript's JSON.stringify):
// only '"', '\\' and control characters are escaped.
func canonString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\b':
			out.WriteString(`\b`)
		case '\f':
			out.WriteString(`\f`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(out, `\u%04x`, r)
			} else {
				out.WriteRune(r)
			}
		}
	}
	out.WriteByte('"')
}
