package jsonl

import (
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// shapeCache sorts the fields of a record by name in linear time when a
// record with the same sequence of names was seen before, which is the
// common case: a stream holds a few kinds of records, each always written
// with its keys in the same order. Sorting 50 fields with sort.SliceStable
// costs about 3.7 µs; applying a cached order costs a fraction of that, and
// leaves decode.Line's own sort (event.Event.Sort) almost nothing to do
// (BenchmarkDecode, OTRF schtask_create: 30% less CPU time per pass).
type shapeCache struct {
	byHash  map[uint64]*shape
	scratch []event.Field
}

// shape is one sequence of field names, as interned name numbers, and the
// permutation that sorts it: order[i] is the index of the i-th field by
// name.
type shape struct {
	ids   []uint32
	order []uint16
}

// maxShapes bounds the cache; it is cleared when full. Records of more
// than maxShapeFields fields are sorted without it, which bounds its memory
// to about 1,024 × 256 × 6 bytes.
const (
	maxShapes      = 1024
	maxShapeFields = 256
)

func (c *shapeCache) reset() { clear(c.byHash) }

// sort sorts fields stably by name. ids holds the name number of each
// field; a zero (a name too long to intern) bypasses the cache.
func (c *shapeCache) sort(fields []event.Field, ids []uint32) {
	if len(fields) < 2 {
		return
	}
	if len(fields) > maxShapeFields || slices.Contains(ids, 0) {
		slices.SortStableFunc(fields, compareNames)
		return
	}
	h := uint64(14695981039346656037) // FNV-1a over the name numbers
	for _, id := range ids {
		h ^= uint64(id)
		h *= 1099511628211
	}
	s, ok := c.byHash[h]
	if !ok || !slices.Equal(s.ids, ids) {
		s = newShape(fields, ids)
		if c.byHash == nil || len(c.byHash) >= maxShapes {
			c.byHash = make(map[uint64]*shape)
		}
		c.byHash[h] = s
	}
	c.scratch = append(c.scratch[:0], fields...)
	for i, j := range s.order {
		fields[i] = c.scratch[j]
	}
	clear(c.scratch)
}

func newShape(fields []event.Field, ids []uint32) *shape {
	order := make([]uint16, len(fields))
	for i := range order {
		order[i] = uint16(i)
	}
	slices.SortStableFunc(order, func(a, b uint16) int { return compareNames(fields[a], fields[b]) })
	return &shape{ids: slices.Clone(ids), order: order}
}

func compareNames(a, b event.Field) int { return strings.Compare(a.Name, b.Name) }
