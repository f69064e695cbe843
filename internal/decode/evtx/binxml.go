package evtx

import (
	"errors"
	"fmt"
)

// This file walks a record's binary XML exactly as the parser in
// www.velocidex.com/golang/evtx v0.2.0 consumes it (evtx.go: ParseBinXML,
// ParseTemplateInstance, ReadName), without building anything. It runs
// before the parser sees a record, for two reasons:
//
//   - The parser trusts the data. A template instance declares its argument
//     count as a uint32 and the parser appends that many descriptors, so one
//     corrupt word can make it allocate 64 GB; nested BinXml arguments of
//     length 0 make it re-parse the same bytes exponentially often. The walk
//     counts the work the parser would do and rejects a record that exceeds
//     the chunk's budget or nests too deeply.
//   - The parser discards the declared type of substituted values: HexInt32
//     and UInt32 both become uint32, Int32 becomes its raw bytes as a
//     string, FILETIME a float64. The walk records each argument's type and
//     bytes so that values can be rendered the way Windows renders them.
//
// Reads past the end of the buffer return zero and, except for skips, do
// not move the cursor: that is what the parser does, and the walk must stay
// in step with it.

// Limits on the parser's work.
const (
	// maxDepth bounds nesting of templates and BinXml arguments. The
	// records of the attack samples and the Sigma regression files nest
	// two levels (checked by running TestWorkBudget with lower limits).
	maxDepth = 32
	// chunkBudget bounds the parser's work per chunk: tokens, arguments,
	// template nodes expanded, and 16-byte units of strings read (see
	// bytesPerUnit). The busiest chunk of those files costs 43,342
	// (TestWorkBudget); the budget is 48 times that.
	chunkBudget = 1 << 21
)

// errBudget is the reason given when a record would make the parser do
// more work than chunkBudget allows.
var errBudget = errors.New("binary XML too complex for its size (work budget exceeded)")

// Value types of substitution arguments, from the EVTX format.
const (
	typeNull     = 0x00
	typeString   = 0x01
	typeAnsi     = 0x02
	typeInt8     = 0x03
	typeUint8    = 0x04
	typeInt16    = 0x05
	typeUint16   = 0x06
	typeInt32    = 0x07
	typeUint32   = 0x08
	typeInt64    = 0x09
	typeUint64   = 0x0a
	typeReal32   = 0x0b
	typeReal64   = 0x0c
	typeBool     = 0x0d
	typeBinary   = 0x0e
	typeGUID     = 0x0f
	typeSizeT    = 0x10
	typeFileTime = 0x11
	typeSysTime  = 0x12
	typeSID      = 0x13
	typeHex32    = 0x14
	typeHex64    = 0x15
	typeBinXML   = 0x21
	typeArray    = 0x80
)

// arg is one substitution argument as the parser read it: its declared
// type and either the number it decoded or the bytes it took.
type arg struct {
	typ  uint16
	num  uint64 // for uint32, uint64 and FILETIME arguments
	data []byte // for string and default-case arguments; aliases the chunk
	used bool   // matched to a value of the parsed record already
}

// scanner walks the records of one chunk.
type scanner struct {
	buf       []byte
	templates map[uint32]int // template id → its cost to expand
	work      int            // spent in this chunk
	added     []uint32       // templates registered by the current record
	args      []arg          // arguments of the records walked so far
	err       error
}

func newScanner(buf []byte) *scanner {
	return &scanner{buf: buf, templates: make(map[uint32]int)}
}

// record walks the binary XML of the record whose payload starts at off.
// It returns false, and leaves the scanner as it was before the record,
// when the parser must not see the record.
func (s *scanner) record(off int) bool {
	s.added = s.added[:0]
	s.err = nil
	work, args := s.work, len(s.args)
	c := cursor{buf: s.buf, off: off, work: &s.work}
	if s.binXML(&c, 0) {
		return true
	}
	for _, id := range s.added {
		delete(s.templates, id)
	}
	s.work, s.args = work, s.args[:args]
	return false
}

func (s *scanner) fail(err error) bool {
	if s.err == nil {
		s.err = err
	}
	return false
}

func (s *scanner) spend(n int) bool {
	if n < 0 || s.work+n > chunkBudget {
		return s.fail(errBudget)
	}
	s.work += n
	return true
}

// binXML mirrors ParseBinXML. It returns false when the record is rejected.
func (s *scanner) binXML(c *cursor, depth int) bool {
	if depth > maxDepth {
		return s.fail(fmt.Errorf("binary XML nested more than %d levels", maxDepth))
	}
	for {
		if !s.spend(1) {
			return false
		}
		switch c.u8() {
		case 0x00: // end of fragment
			return true
		case 0x01: // open start element
			c.skip(6)
			c.name()
		case 0x41: // open start element with attributes
			c.skip(6)
			c.name()
			c.u32()
		case 0x02, 0x03, 0x04: // close start, close empty, end element
		case 0x05, 0x45: // value text
			c.u8()
			n := int(c.u16())
			c.bytes(n * 2)
		case 0x06, 0x46: // attribute
			c.name()
		case 0x07, 0x47, 0x08, 0x48, 0x09, 0x49, 0x0a, 0x0b:
			// CDATA, character and entity references, processing
			// instructions: the parser consumes nothing for these.
		case 0x0c: // template instance
			more, ok := s.instance(c, depth)
			if !ok {
				return false
			}
			if !more {
				return true
			}
		case 0x0d, 0x0e: // substitutions
			c.u16()
			if c.u8() == 0 {
				c.u8()
			}
		case 0x0f: // fragment header
			c.skip(3)
		default:
			return true
		}
	}
}

// instance mirrors ParseTemplateInstance. more is the parser's "keep
// going"; ok is false when the record is rejected.
func (s *scanner) instance(c *cursor, depth int) (more, ok bool) {
	if c.u8() != 0x01 {
		return false, true
	}
	id := c.u32()
	if id == 0 {
		return false, true
	}
	c.skip(4)
	count := c.u32()
	cost, known := s.templates[id]
	if !known {
		c.skip(16)
		bodyLen := int(c.u32())
		body := *c
		s.templates[id] = 0
		s.added = append(s.added, id)
		before := s.work
		if !s.binXML(&body, depth+1) {
			return false, false
		}
		cost = s.work - before
		s.templates[id] = cost
		c.skip(bodyLen)
		count = c.u32()
	}
	// Each descriptor takes four bytes: a count the rest of the chunk
	// cannot hold is corrupt, and the parser would allocate for it anyway.
	if int64(count)*4 > int64(max(len(c.buf)-c.off, 0)) {
		return false, s.fail(fmt.Errorf("template instance declares %d arguments, more than the chunk can hold", count))
	}
	if !s.spend(int(count) + cost) {
		return false, false
	}
	descs := c.off
	c.skip(int(count) * 4)
	for i := range int(count) {
		d := cursor{buf: c.buf, off: descs + 4*i, work: c.work}
		n := int(d.u16())
		typ := d.u16()
		if !s.value(c, typ, n, depth) {
			return false, false
		}
	}
	return true, true
}

// value mirrors the parser's reading of one argument of type typ and
// declared length n, and records it.
func (s *scanner) value(c *cursor, typ uint16, n, depth int) bool {
	switch typ {
	case typeNull:
		c.skip(n)
	case typeUint8:
		c.u8()
	case typeUint16:
		c.u16()
	case typeUint32, typeHex32:
		s.args = append(s.args, arg{typ: typ, num: uint64(c.u32())})
	case typeUint64, typeHex64, typeFileTime:
		s.args = append(s.args, arg{typ: typ, num: c.u64()})
	case typeBool:
		switch n {
		case 8:
			c.u64()
		case 4:
			c.u32()
		case 2:
			c.u16()
		case 1:
			c.u8()
		}
	case typeBinary, typeGUID, 0x27, 0x28, typeArray | typeString:
		c.bytes(n)
	case typeString:
		s.args = append(s.args, arg{typ: typ, data: c.bytes(n)})
	case typeSID:
		c.u8()
		c.u8()
		c.bytes(6)
		if !s.spend(max(n-8, 0) / 4) {
			return false
		}
		for i := 0; i < n-8; i += 4 {
			c.u32()
		}
	case typeBinXML:
		nested := *c
		if !s.binXML(&nested, depth+1) {
			return false
		}
		c.skip(n)
	default:
		// The parser keeps these as the string of their raw bytes.
		s.args = append(s.args, arg{typ: typ, data: c.bytes(n)})
	}
	return true
}

// cursor reads a chunk the way the parser's ParseContext does. It adds
// the cost of the bytes it reads to *work: the parser decodes or copies
// them, or allocates zeros when they are past the end.
type cursor struct {
	buf  []byte
	off  int
	work *int
}

// bytesPerUnit is how many bytes the parser reads for the cost of a token.
const bytesPerUnit = 16

func (c *cursor) u8() uint8 {
	if len(c.buf) < c.off+1 {
		return 0
	}
	v := c.buf[c.off]
	c.off++
	return v
}

func (c *cursor) u16() uint16 {
	if len(c.buf) < c.off+2 {
		return 0
	}
	v := le.Uint16(c.buf[c.off:])
	c.off += 2
	return v
}

func (c *cursor) u32() uint32 {
	if len(c.buf) < c.off+4 {
		return 0
	}
	v := le.Uint32(c.buf[c.off:])
	c.off += 4
	return v
}

func (c *cursor) u64() uint64 {
	if len(c.buf) < c.off+8 {
		return 0
	}
	v := le.Uint64(c.buf[c.off:])
	c.off += 8
	return v
}

// bytes returns the next n bytes, or nil (read as zeros) without moving
// when they are not all there.
func (c *cursor) bytes(n int) []byte {
	*c.work += n / bytesPerUnit
	if c.off+n > len(c.buf) {
		return nil
	}
	b := c.buf[c.off : c.off+n : c.off+n]
	c.off += n
	return b
}

func (c *cursor) skip(n int) { c.off += n }

// name mirrors ReadName: a name is either stored here, or referenced by
// its chunk offset (and then read without moving this cursor).
func (c *cursor) name() {
	at := int(c.u32())
	if at != c.off {
		ref := cursor{buf: c.buf, off: at + 4 + 2, work: c.work}
		n := int(ref.u16()) + 1
		ref.bytes(n * 2)
		return
	}
	c.skip(4 + 2)
	n := int(c.u16()) + 1
	c.bytes(n * 2)
}
