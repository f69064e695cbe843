package evtx

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"www.velocidex.com/golang/evtx"
)

// sample is a real file of seven chunks and 733 records
// (evtx/attack-samples, GPL-3.0).
const sample = "Other/rdpcorets_148_mst120_bluekeep_rpdscan_full.evtx"

func readSample(t *testing.T) ([]byte, fileCount) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(shareddata.Path(t, "evtx/attack-samples"), sample))
	if err != nil {
		t.Fatal(err)
	}
	c := countRecords(b)
	if len(c.ids) != 733 {
		t.Fatalf("%s has %d records, want 733", sample, len(c.ids))
	}
	return b, c
}

// recordStart returns the file offset where record i starts.
func (c fileCount) recordStart(i int) int64 {
	if i > 0 && c.chunkOf(i-1) == c.chunkOf(i) {
		return c.ends[i-1]
	}
	return fileHeaderSize + int64(c.chunkOf(i))*chunkSize + chunkHeaderSize
}

// chunkOf returns the index of the chunk holding record i.
func (c fileCount) chunkOf(i int) int { return int((c.ends[i] - 1 - fileHeaderSize) / chunkSize) }

// decodeTemp writes b to a file in a temporary folder and decodes it, as
// a caller decoding a folder would.
func decodeTemp(t *testing.T, b []byte) ([]*event.Event, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "damaged.evtx")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return decodeFile(t, path)
}

// corruptErrors returns the CorruptErrors in err.
func corruptErrors(err error) []*CorruptError {
	var out []*CorruptError
	var walk func(error)
	walk = func(err error) {
		var ce *CorruptError
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		} else if errors.As(err, &ce) {
			out = append(out, ce)
		}
	}
	walk(err)
	return out
}

// wantDamage checks that err reports damage at offset with a message
// containing text.
func wantDamage(t *testing.T, err error, offset int64, text string) {
	t.Helper()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Decode error = %v, want one matching ErrCorrupt", err)
	}
	for _, ce := range corruptErrors(err) {
		if ce.Offset == offset && strings.Contains(ce.Msg, text) {
			if !strings.Contains(err.Error(), "offset "+strconv.FormatInt(offset, 10)+" ") {
				t.Errorf("error text %q does not name offset %d", err, offset)
			}
			return
		}
	}
	t.Errorf("Decode error = %v, want damage %q at offset %d", err, text, offset)
}

func countKind(events []*event.Event, k event.Kind) int {
	n := 0
	for _, e := range events {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// TestTruncated cuts the file inside a record of its third chunk: the
// records before the cut are decoded, the error names where the cut record
// starts.
func TestTruncated(t *testing.T) {
	b, c := readSample(t)
	k := 0
	for c.chunkOf(k) < 2 {
		k++
	}
	k += 10 // the eleventh record of the third chunk
	cut := c.ends[k] - 10
	events, err := decodeTemp(t, b[:cut])
	if len(events) != k || countKind(events, event.KindEvent) != k {
		t.Errorf("got %d events, want the %d whole records before the cut", len(events), k)
	}
	wantDamage(t, err, c.recordStart(k), "record truncated")
	wantDamage(t, err, cut, "file truncated")
}

func TestTruncatedInChunkHeader(t *testing.T) {
	b, c := readSample(t)
	k := 0
	for c.chunkOf(k) < 3 {
		k++
	}
	cut := int64(fileHeaderSize + 3*chunkSize + 100)
	events, err := decodeTemp(t, b[:cut])
	if len(events) != k {
		t.Errorf("got %d events, want the %d records of the first three chunks", len(events), k)
	}
	wantDamage(t, err, cut, "file truncated in a chunk header")
}

// TestBrokenRecord overwrites the signature of a record in the second
// chunk: that chunk's records before it are decoded, and every record of
// the other chunks.
func TestBrokenRecord(t *testing.T) {
	b, c := readSample(t)
	b = bytes.Clone(b)
	k := 0
	for c.chunkOf(k) < 1 {
		k++
	}
	k += 20
	lost := 0
	for i := k; c.chunkOf(i) == 1; i++ {
		lost++
	}
	at := c.recordStart(k)
	copy(b[at:], "XXXX")
	events, err := decodeTemp(t, b)
	if want := len(c.ids) - lost; len(events) != want || countKind(events, event.KindEvent) != want {
		t.Errorf("got %d events, want %d: all but the %d records from the broken one to the end of its chunk", len(events), want, lost)
	}
	wantDamage(t, err, at, "no record signature")
	wantDamage(t, err, fileHeaderSize+chunkSize+52, "checksum mismatch")
}

// TestDamagedValue changes one character of a value: every record is
// still decoded, with the damaged value, and the chunk checksum reports
// the damage.
func TestDamagedValue(t *testing.T) {
	b, c := readSample(t)
	b = bytes.Clone(b)
	events, err := decodeTemp(t, b)
	if err != nil {
		t.Fatal(err)
	}
	// Find a value of the sixth record, in UTF-16, in its bytes.
	record := b[c.recordStart(5):c.ends[5]]
	var field event.Field
	at := -1
	for _, f := range events[5].Fields {
		var encoded []byte
		for _, u := range utf16.Encode([]rune(f.Value)) {
			encoded = append(encoded, byte(u), byte(u>>8))
		}
		if f.Type == event.String && len(f.Value) >= 4 {
			if at = bytes.Index(record, encoded); at >= 0 {
				field = f
				break
			}
		}
	}
	if at < 0 {
		t.Fatal("no string value of record 5 found in its bytes")
	}
	record[at] ^= 0x01
	events, err = decodeTemp(t, b)
	if len(events) != len(c.ids) || countKind(events, event.KindEvent) != len(c.ids) {
		t.Errorf("got %d events, want all %d", len(events), len(c.ids))
	}
	if got, _ := events[5].Get(field.Name); got == field.Value {
		t.Errorf("record 5: %s = %q, want the damaged value", field.Name, got)
	}
	wantDamage(t, err, fileHeaderSize+int64(c.chunkOf(5))*chunkSize+52, "checksum mismatch")
}

// TestHugeArgumentCount sets a record's template argument count to
// 0xffffffff, for which the parser would allocate 64 GB: the record is
// delivered as a pipeline error with its bytes, every other record decoded.
func TestHugeArgumentCount(t *testing.T) {
	b, c := readSample(t)
	b = bytes.Clone(b)
	// A record that reuses a template defined earlier in its chunk:
	// fragment header (4 bytes), template instance token 0x0c, 0x01,
	// template id (4), definition offset (4), then the argument count.
	k := -1
	for i := 1; i < len(c.ids); i++ {
		start := c.recordStart(i)
		chunk := fileHeaderSize + int64(c.chunkOf(i))*chunkSize
		payload := start + recordHeader
		if c.chunkOf(i) == 2 && b[payload+4] == 0x0c && int64(le.Uint32(b[payload+10:])) != payload+14-chunk {
			k = i
			break
		}
	}
	if k < 0 {
		t.Fatal("no record with a template defined elsewhere in chunk 2")
	}
	at := c.recordStart(k)
	le.PutUint32(b[at+recordHeader+14:], 0xffffffff)
	original := bytes.Clone(b[at:c.ends[k]])
	events, err := decodeTemp(t, b)
	if len(events) != len(c.ids) {
		t.Fatalf("got %d events, want %d", len(events), len(c.ids))
	}
	if countKind(events, event.KindEvent) != len(c.ids)-1 {
		t.Errorf("%d good events, want %d", countKind(events, event.KindEvent), len(c.ids)-1)
	}
	e := events[k]
	if e.Kind != event.KindPipelineError || !bytes.Equal(e.Raw, original) || !strings.Contains(e.ParseError, fmt.Sprint(at)) {
		t.Errorf("event %d: kind %v, ParseError %q, raw is the record: %v; want a pipeline error naming offset %d with the record's bytes",
			k, e.Kind, e.ParseError, bytes.Equal(e.Raw, original), at)
	}
	wantDamage(t, err, at, "arguments")
}

func TestNotEVTX(t *testing.T) {
	for name, input := range map[string][]byte{
		"empty": nil,
		"text":  []byte("2024-01-01 12:00:00 sshd[1]: Accepted password for root\n"),
		"zeros": make([]byte, 8192),
	} {
		t.Run(name, func(t *testing.T) {
			var c decode.Collect
			err := Decoder{}.Decode(bytes.NewReader(input), &c)
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Offset != 0 || len(c.Events) != 0 {
				t.Errorf("Decode = %v with %d events, want a CorruptError at offset 0 and none", err, len(c.Events))
			}
		})
	}
}

// TestBatch decodes a folder holding a truncated file between intact ones,
// as a caller does: the damage is reported for that file, by name, and
// the other files decode in full.
func TestBatch(t *testing.T) {
	dir := shareddata.Path(t, "evtx/attack-samples")
	b, c := readSample(t)
	tmp := t.TempDir()
	names := []string{"a.evtx", "b-truncated.evtx", "c.evtx"}
	for i, name := range names {
		data := b
		if i == 1 {
			data = b[:c.ends[100]+5]
		}
		if i == 2 {
			var err error
			if data, err = os.ReadFile(filepath.Join(dir, "Command and Control/DE_RDP_Tunnel_5156.evtx")); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var errs []error
	counts := map[string]int{}
	for _, name := range names {
		events, err := decodeFile(t, filepath.Join(tmp, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		counts[name] = len(events)
	}
	want := map[string]int{"a.evtx": 733, "b-truncated.evtx": 101, "c.evtx": 101}
	for name, n := range want {
		if counts[name] != n {
			t.Errorf("%s: %d events, want %d", name, counts[name], n)
		}
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "b-truncated.evtx: offset ") || !errors.Is(errs[0], ErrCorrupt) {
		t.Errorf("errors = %v, want one for b-truncated.evtx naming an offset", errs)
	}
}

// TestParserPanic checks the recovery from a parser panic, which no known
// input causes: with a parser that panics on one record, that record is
// set aside and the others parsed; with one that always panics, the chunk
// is given up after maxParseAttempts.
func TestParserPanic(t *testing.T) {
	b, _ := readSample(t)
	chunk := b[fileHeaderSize : fileHeaderSize+chunkSize]
	n := int(le.Uint64(chunk[16:]) - le.Uint64(chunk[8:]) + 1)
	setup := func() ([]byte, []frame) {
		frames := (&fileDecoder{}).frames(0, chunk, n, false)
		if len(frames) != n || n < 10 {
			t.Fatalf("%d frames of %d records", len(frames), n)
		}
		return bytes.Clone(chunk), frames
	}

	work, frames := setup()
	bad := frames[7]
	panicsOnBad := func(work []byte, n int) ([]*evtx.EventRecord, any) {
		if n > 7 && !allZero(work[bad.off+recordHeader:bad.off+bad.size-4]) {
			return nil, "boom"
		}
		return parsePrefix(work, n)
	}
	records, _ := parseFrames(work, frames, panicsOnBad)
	if len(records) != n {
		t.Fatalf("%d records parsed, want %d", len(records), n)
	}
	for i, f := range frames {
		if (i == 7) != (f.rejected != nil) {
			t.Errorf("record %d: rejected = %v, want only record 7 set aside", i, f.rejected)
		}
	}
	if err := frames[7].rejected; err == nil || !strings.Contains(err.Error(), "record parser failed: boom") {
		t.Errorf("record 7: %v, want the panic named", err)
	}

	work, frames = setup()
	calls := 0
	alwaysPanics := func([]byte, int) ([]*evtx.EventRecord, any) { calls++; return nil, "boom" }
	if records, _ := parseFrames(work, frames, alwaysPanics); records != nil {
		t.Errorf("got %d records from a parser that always panics", len(records))
	}
	for i, f := range frames {
		if f.rejected == nil {
			t.Errorf("record %d not set aside", i)
		}
	}
	if calls > maxParseAttempts*20 {
		t.Errorf("parser called %d times", calls)
	}
}
