package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/vigie-sec/vigie/internal/decode"
)

// Layout of an EVTX file, from Microsoft's and libyal's descriptions of
// the format: a 4 KiB file header, then 64 KiB chunks, each with a 512-byte
// header followed by event records.
const (
	fileHeaderSize  = 4096
	chunkSize       = 64 << 10
	chunkHeaderSize = 512
	recordHeader    = 24 // magic, size, record id, write time
	minRecordSize   = recordHeader + 4
	// maxRecords is the most records a chunk can hold.
	maxRecords = (chunkSize - chunkHeaderSize) / minRecordSize
	// maxErrors is the most damage reports one Decode returns.
	maxErrors = 20
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte("**\x00\x00")
	le          = binary.LittleEndian
)

// ErrCorrupt is matched, with errors.Is, by every error about damaged EVTX
// data. Decode still delivered every record it could read.
var ErrCorrupt = errors.New("corrupt evtx data")

// CorruptError reports damaged data at a position in the file.
type CorruptError struct {
	Offset int64 // bytes from the start of the file
	Msg    string
}

// Error returns "offset N (0xN): message".
func (e *CorruptError) Error() string {
	return fmt.Sprintf("offset %d (%#x): %s", e.Offset, e.Offset, e.Msg)
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Decoder decodes EVTX files. The zero value is ready to use; it holds no
// state and may be used by several goroutines at once.
type Decoder struct{}

var _ decode.Decoder = Decoder{}

// Decode reads one EVTX file from r and delivers an event for every record
// to sink, in file order. It returns nil when the whole file was read
// intact. When parts of the file are damaged it still delivers every record
// it can read and returns, after the last one, the damage found, as
// *CorruptError values (joined) that match ErrCorrupt. It returns at once,
// with that error unchanged, when the sink returns an error, and with an
// error naming the offset when r fails or the data is not an EVTX file.
func (Decoder) Decode(r io.Reader, sink decode.Sink) error {
	d := fileDecoder{r: r, sink: sink}
	return d.run()
}

// fileDecoder holds the state of one Decode call.
type fileDecoder struct {
	r      io.Reader
	sink   decode.Sink
	offset int64 // of the next byte to read
	damage []error
	more   int    // damage reports beyond maxErrors
	buf    []byte // the chunk being read
	work   []byte // the chunk as the parser sees it (see chunk)
}

func (d *fileDecoder) corrupt(offset int64, format string, args ...any) {
	if len(d.damage) == maxErrors {
		d.more++
		return
	}
	d.damage = append(d.damage, &CorruptError{Offset: offset, Msg: fmt.Sprintf(format, args...)})
}

func (d *fileDecoder) result() error {
	if d.more > 0 {
		d.damage = append(d.damage, &CorruptError{Offset: d.offset, Msg: fmt.Sprintf("%d more damaged places not listed", d.more)})
	}
	return errors.Join(d.damage...)
}

// read fills b from the input. It returns the number of bytes read, which
// is short only at the end of the input.
func (d *fileDecoder) read(b []byte) (int, error) {
	n, err := io.ReadFull(d.r, b)
	d.offset += int64(n)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return n, nil
	}
	if err != nil {
		return n, fmt.Errorf("reading evtx at offset %d: %w", d.offset, err)
	}
	return n, nil
}

func (d *fileDecoder) run() error {
	d.buf = make([]byte, chunkSize)
	d.work = make([]byte, chunkSize)
	header := d.buf[:fileHeaderSize]
	n, err := d.read(header)
	if err != nil {
		return err
	}
	if n < 128 || !bytes.Equal(header[:8], fileMagic) {
		return &CorruptError{Offset: 0, Msg: "not an EVTX file: no ElfFile signature"}
	}
	if major := le.Uint16(header[38:]); major != 3 {
		return &CorruptError{Offset: 38, Msg: fmt.Sprintf("unsupported EVTX major version %d", major)}
	}
	if sum := crc32.ChecksumIEEE(header[:120]); sum != le.Uint32(header[124:]) {
		d.corrupt(124, "file header checksum mismatch")
	}
	if n < fileHeaderSize {
		d.corrupt(int64(n), "file truncated in its header")
		return d.result()
	}
	if size := le.Uint16(header[40:]); size != fileHeaderSize {
		d.corrupt(40, "file header block size is %d, not %d; reading chunks from %d", size, fileHeaderSize, fileHeaderSize)
	}
	for {
		start := d.offset
		n, err := d.read(d.buf)
		if err != nil {
			return errors.Join(d.result(), err)
		}
		if n == 0 {
			return d.result()
		}
		if err := d.chunk(start, d.buf[:n]); err != nil {
			return err
		}
		if n < chunkSize {
			return d.result()
		}
	}
}
