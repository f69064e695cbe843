package evtx

import (
	"encoding/binary"
)

// fileCount describes an EVTX file as its own headers do, read without the
// decoder or the parser library: the test's independent expectation.
type fileCount struct {
	// ids are the record ids of the records the chunk headers declare,
	// read from each record's own header, in file order.
	ids []uint64
	// ends are the file offsets where those records end.
	ends []int64
	// slack counts well-framed records after a chunk's free-space offset:
	// left-overs from an earlier log that the headers do not count.
	slack int
}

// countRecords reads the chunk headers of an EVTX file: a chunk starts at
// 4096 + 65536*i with "ElfChnk\x00", and its header gives the first and
// last event record numbers (at 8 and 16) and the free-space offset (at 48).
// Records follow the 512-byte chunk header, each starting with "**\x00\x00"
// and its size, then its record id.
func countRecords(b []byte) fileCount {
	le := binary.LittleEndian
	var c fileCount
	for start := 4096; start+512 <= len(b); start += 65536 {
		chunk := b[start:min(start+65536, len(b))]
		if string(chunk[:8]) != "ElfChnk\x00" || le.Uint64(chunk[32:]) == ^uint64(0) {
			continue
		}
		first, last := le.Uint64(chunk[8:]), le.Uint64(chunk[16:])
		off := 512
		for range last - first + 1 {
			if off+24 > len(chunk) || string(chunk[off:off+4]) != "**\x00\x00" {
				break
			}
			size := int(le.Uint32(chunk[off+4:]))
			if size < 28 || off+size > len(chunk) {
				break
			}
			c.ids = append(c.ids, le.Uint64(chunk[off+8:]))
			c.ends = append(c.ends, int64(start+off+size))
			off += size
		}
		for off = int(le.Uint32(chunk[48:])); off+24 <= len(chunk) && string(chunk[off:off+4]) == "**\x00\x00"; {
			size := int(le.Uint32(chunk[off+4:]))
			if size < 28 || off+size > len(chunk) {
				break
			}
			c.slack++
			off += size
		}
	}
	return c
}
