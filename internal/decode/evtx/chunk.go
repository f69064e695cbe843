package evtx

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/vigie-sec/vigie/internal/event"
	"www.velocidex.com/golang/evtx"
)

// maxParseAttempts bounds how often a chunk is re-parsed after the parser
// panicked on one of its records (each attempt sets one more record aside).
const maxParseAttempts = 8

// frame is the position of one record in its chunk.
type frame struct {
	off, size int
	// The record's arguments are args[argsFrom:argsTo] of the arguments
	// that parseFrames returns.
	argsFrom, argsTo int
	// rejected says why the parser must not see the record; nil when it
	// may.
	rejected error
	raw      []byte // the record's original bytes, kept when rejected
}

// chunk decodes the records of one chunk. data holds the chunk's bytes,
// read from file offset start: 64 KiB, or fewer at the end of a truncated
// file. It returns only errors from the sink.
func (d *fileDecoder) chunk(start int64, data []byte) error {
	truncated := len(data) < chunkSize
	if len(data) < len(chunkMagic) || !bytes.Equal(data[:len(chunkMagic)], chunkMagic) {
		switch {
		case allZero(data) && truncated:
			d.corrupt(start+int64(len(data)), "file truncated: last chunk has %d of %d bytes", len(data), chunkSize)
		case allZero(data):
			// An unused chunk.
		default:
			d.corrupt(start, "no chunk signature")
		}
		return nil
	}
	if len(data) < chunkHeaderSize {
		d.corrupt(start+int64(len(data)), "file truncated in a chunk header")
		return nil
	}
	if sum := crc32.Update(crc32.ChecksumIEEE(data[:120]), crc32.IEEETable, data[128:chunkHeaderSize]); sum != le.Uint32(data[124:]) {
		d.corrupt(start+124, "chunk header checksum mismatch")
	}
	first, last := le.Uint64(data[8:]), le.Uint64(data[16:])
	if le.Uint64(data[32:]) == ^uint64(0) {
		return nil // initialised but never written
	}
	declared := maxRecords
	lenient := false // stop quietly at the first bad frame
	if last < first || last-first >= maxRecords {
		d.corrupt(start+8, "chunk header declares records %d to %d; reading what the chunk holds", first, last)
		lenient = true
	} else {
		declared = int(last-first) + 1
	}
	free := int(le.Uint32(data[48:]))
	switch {
	case free < chunkHeaderSize || free > chunkSize:
		d.corrupt(start+48, "chunk free-space offset %d out of range", free)
	case truncated:
		d.corrupt(start+int64(len(data)), "file truncated: last chunk has %d of %d bytes", len(data), chunkSize)
	case crc32.ChecksumIEEE(data[chunkHeaderSize:free]) != le.Uint32(data[52:]):
		d.corrupt(start+52, "event records checksum mismatch: records of this chunk may hold damaged values")
	}

	// work is the chunk as the parser will see it: zero-padded to its full
	// size, and with the payload of rejected records zeroed.
	work := d.work
	copy(work, data)
	clear(work[len(data):])
	frames := d.frames(start, data, declared, lenient)
	if len(frames) == 0 {
		return nil
	}
	records, args := parseFrames(work, frames, parsePrefix)
	for i := range frames {
		f := &frames[i]
		var e *event.Event
		if f.rejected == nil && i < len(records) {
			e = buildEvent(records[i], args[f.argsFrom:f.argsTo])
			if e.Kind == event.KindPipelineError {
				f.rejected = errors.New(e.ParseError)
				e = nil
			}
		}
		if e == nil {
			if f.rejected == nil {
				f.rejected = errors.New("the record parser returned no event for it")
			}
			raw := f.raw
			if raw == nil {
				raw = bytes.Clone(data[f.off : f.off+f.size])
			}
			err := &CorruptError{Offset: start + int64(f.off), Msg: "record: " + f.rejected.Error()}
			d.corrupt(err.Offset, "%s", err.Msg)
			e = &event.Event{Format: "evtx", Raw: raw, Time: fileTime(le.Uint64(raw[16:]))}
			e.MarkMalformed(err)
		}
		if err := d.sink.Event(e); err != nil {
			return err
		}
	}
	return nil
}

// frames checks the framing of the chunk's first n records and returns the
// records that are whole. It stops at the first bad one.
func (d *fileDecoder) frames(start int64, data []byte, n int, lenient bool) []frame {
	var frames []frame
	off := chunkHeaderSize
	for range n {
		var problem string
		var size int
		switch {
		case off+recordHeader > len(data):
			problem = "record truncated: file ends in its header"
		case !bytes.Equal(data[off:off+4], recordMagic):
			problem = "no record signature where a record should start"
		default:
			size = int(le.Uint32(data[off+4:]))
			switch {
			case size < minRecordSize || off+size > chunkSize:
				problem = fmt.Sprintf("record size %d out of range", size)
			case off+size > len(data):
				problem = fmt.Sprintf("record truncated: file ends %d bytes into its %d", len(data)-off, size)
			case int(le.Uint32(data[off+size-4:])) != size:
				problem = "record size and its trailing copy differ"
			}
		}
		if problem != "" {
			if !lenient {
				d.corrupt(start+int64(off), "%s; the %d records after it in this chunk are lost", problem, n-len(frames)-1)
			}
			break
		}
		frames = append(frames, frame{off: off, size: size})
		off += size
	}
	return frames
}

// parseFunc parses the first n records of the chunk in work, returning
// the parser's panic value instead of panicking.
type parseFunc func(work []byte, n int) (records []*evtx.EventRecord, panicked any)

// parseFrames scans and parses the framed records of the chunk in work.
// When the parser panics on a record, that record is set aside and the
// chunk parsed again; after maxParseAttempts the rest of the chunk is set
// aside. It returns the parsed records, one per frame (nil for those set
// aside), and the arguments that frames index.
func parseFrames(work []byte, frames []frame, parse parseFunc) ([]*evtx.EventRecord, []arg) {
	for attempt := 1; ; attempt++ {
		args := scanChunk(work, frames)
		records, stuck, panicked := parseChunk(work, len(frames), parse)
		if panicked == nil {
			return records, args
		}
		frames[stuck].rejected = fmt.Errorf("record parser failed: %v", panicked)
		if attempt == maxParseAttempts {
			for i := range frames {
				if frames[i].rejected == nil {
					frames[i].rejected = fmt.Errorf("not parsed: the record parser failed %d times in this chunk", attempt)
				}
			}
			return nil, scanChunk(work, frames)
		}
	}
}

// scanChunk walks every record the parser will see and rejects those it
// must not; work is changed so that the parser sees nothing of a rejected
// record. It returns the arguments of all records, which frames index.
func scanChunk(work []byte, frames []frame) []arg {
	s := newScanner(work)
	for i := range frames {
		f := &frames[i]
		f.argsFrom = len(s.args)
		if f.rejected == nil && !s.record(f.off+recordHeader) {
			f.rejected = s.err
		}
		if f.rejected != nil && f.raw == nil {
			f.raw = bytes.Clone(work[f.off : f.off+f.size])
			clear(work[f.off+recordHeader : f.off+f.size-4])
		}
		f.argsTo = len(s.args)
	}
	return s.args
}

// parseChunk runs the parser over the first n records of work. When the
// parser panics it returns the panic value and the index of the record
// that causes it.
func parseChunk(work []byte, n int, parse parseFunc) (records []*evtx.EventRecord, stuck int, panicked any) {
	records, panicked = parse(work, n)
	if panicked == nil {
		return records, 0, nil
	}
	// Parsing a prefix of the records is deterministic, so the parser
	// panics for every prefix that includes the bad record: search for it.
	lo, hi := 0, n // lo records parse, hi records panic
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if _, p := parse(work, mid); p != nil {
			hi, panicked = mid, p
		} else {
			lo = mid
		}
	}
	return nil, hi - 1, panicked
}

// parsePrefix parses the first n (at least 1) records of the chunk in work
// with the parser library, recovering from its panics.
func parsePrefix(work []byte, n int) (records []*evtx.EventRecord, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			records, panicked = nil, p
		}
	}()
	c := &evtx.Chunk{
		Header: evtx.ChunkHeader{FirstEventRecNumber: 1, LastEventRecNumber: uint64(n)},
		Offset: 0,
		Fd:     bytes.NewReader(work),
	}
	records, err := c.Parse(0)
	if err != nil {
		// Parse fails only when it cannot read the chunk from Fd,
		// which holds it in full; report it like a panic.
		return nil, err
	}
	return records, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
