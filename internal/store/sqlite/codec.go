package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vigie-sec/vigie/internal/event"
)

// The fields column holds an event's fields in this binary form, field
// after field in the event's order:
//
//	uvarint(len(name)<<3 | type)  name bytes
//	uvarint(len(value))           value bytes
//
// For the sixteen fields of BenchmarkFieldCodec it takes 396 bytes against
// 453 for the same fields in Vigie's event JSON, and decodes 30 times
// faster (0.7 µs against 22 µs), which matters to searches that match
// every candidate. Field names take about half the bytes; a dictionary of
// names would save them, at the cost of keeping it consistent across
// failed transactions.

// errCorrupt is wrapped by decoding errors of stored data.
var errCorrupt = errors.New("corrupt fields column")

// maxType is the largest event.Type the encoding holds.
const maxType = 7

// appendFields appends the encoding of fields to dst.
func appendFields(dst []byte, fields []event.Field) ([]byte, error) {
	for _, f := range fields {
		if f.Type > maxType {
			return dst, fmt.Errorf("field %q has type %d, which the store cannot encode", f.Name, f.Type)
		}
		dst = binary.AppendUvarint(dst, uint64(len(f.Name))<<3|uint64(f.Type))
		dst = append(dst, f.Name...)
		dst = binary.AppendUvarint(dst, uint64(len(f.Value)))
		dst = append(dst, f.Value...)
	}
	return dst, nil
}

// names interns field names while decoding, so that the many events of one
// search share their name strings. The zero value is ready to use; it is
// not safe for concurrent use.
type names struct {
	m map[string]string
}

// maxInterned bounds how many names one names table keeps; past it, names
// are allocated per event.
const maxInterned = 4096

func (n *names) get(b []byte) string {
	if s, ok := n.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if n.m == nil {
		n.m = make(map[string]string)
	}
	if len(n.m) < maxInterned {
		n.m[s] = s
	}
	return s
}

// decodeFields decodes a fields column.
func decodeFields(b []byte, nt *names) ([]event.Field, error) {
	if len(b) == 0 {
		return nil, nil
	}
	fields := make([]event.Field, 0, 16)
	for len(b) > 0 {
		head, n := binary.Uvarint(b)
		if n <= 0 || head>>3 > uint64(len(b)-n) {
			return nil, fmt.Errorf("%w: bad name at field %d", errCorrupt, len(fields))
		}
		b = b[n:]
		name := nt.get(b[:head>>3])
		b = b[head>>3:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, fmt.Errorf("%w: bad value of field %q", errCorrupt, name)
		}
		b = b[n:]
		fields = append(fields, event.Field{Name: name, Value: string(b[:size]), Type: event.Type(head & maxType)})
		b = b[size:]
	}
	return fields, nil
}
