package bundle

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Format is the archive format of a bundle.
type Format int

// The formats.
const (
	TarGz Format = iota + 1 // a gzip-compressed tar (.tar.gz)
	Zip                     // a zip file (.zip)
)

func (f Format) String() string {
	switch f {
	case TarGz:
		return "tar.gz"
	case Zip:
		return "zip"
	}
	return fmt.Sprintf("format(%d)", int(f))
}

// FormatOf returns the format a bundle file name asks for by its
// extension: ".tar.gz" or ".tgz" for TarGz, ".zip" for Zip.
func FormatOf(name string) (Format, error) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		return TarGz, nil
	case strings.HasSuffix(lower, ".zip"):
		return Zip, nil
	}
	return 0, fmt.Errorf("bundle name %q: want a .tar.gz or .zip extension", name)
}

// ErrRefused is matched (errors.Is) by the errors of a bundle that Verify
// and Read refuse to read at all: truncated, too large or hostile.
var ErrRefused = errors.New("bundle refused")

// RefusedError says why a bundle was refused, naming the archive entry
// when the problem is in one.
type RefusedError struct {
	Entry string // the entry's name; "" for the archive as a whole
	Msg   string
	Err   error // the underlying error, if any
}

func (e *RefusedError) Error() string {
	s := "bundle refused: "
	if e.Entry != "" {
		s += fmt.Sprintf("entry %q: ", e.Entry)
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes RefusedError match ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

func (e *RefusedError) Unwrap() error { return e.Err }

func refuse(entry string, err error, format string, args ...any) error {
	return &RefusedError{Entry: entry, Msg: fmt.Sprintf(format, args...), Err: err}
}

// maxName bounds the length of an entry name.
const maxName = 255

// checkName says why name cannot be the name of a bundle file, or nil.
// Names are relative, slash-separated, without "." or ".." elements,
// backslashes, colons or control characters.
func checkName(name string) error {
	switch {
	case name == "", name == ".":
		return errors.New("empty name")
	case len(name) > maxName:
		return fmt.Errorf("name longer than %d bytes", maxName)
	case !utf8.ValidString(name):
		return errors.New("name is not UTF-8")
	case strings.HasPrefix(name, "/"):
		return errors.New("absolute path")
	case strings.ContainsRune(name, '\\'):
		return errors.New("backslash in name")
	case strings.ContainsRune(name, ':'):
		return errors.New("colon in name (a drive letter or stream)")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("control character in name")
	case slices.Contains(strings.Split(name, "/"), ".."):
		return errors.New("\"..\" in path")
	case !fs.ValidPath(name):
		return errors.New("not a clean relative path (empty, \".\" or trailing \"/\" element)")
	}
	return nil
}

// entry is one regular file of an archive, as the first pass found it.
type entry struct {
	name string
	size int64
	sum  [sha256.Size]byte
}

// archive is an open bundle file. It reads entries straight from the
// archive, never extracting them: the first pass (index) checks every
// header and hashes every entry; open streams one entry again.
type archive struct {
	file    *os.File
	size    int64
	format  Format
	lim     Limits
	entries []entry        // regular files, in archive order
	byName  map[string]int // index in entries
	zipped  map[string]*zip.File
}

// openArchive opens and indexes the bundle at path. Its errors match
// ErrRefused, except failing to open the file.
func openArchive(path string, lim Limits) (*archive, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	a := &archive{file: f, lim: lim, byName: map[string]int{}}
	if err := a.index(); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

func (a *archive) close() error { return a.file.Close() }

func (a *archive) index() error {
	fi, err := a.file.Stat()
	if err != nil {
		return fmt.Errorf("opening bundle: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return refuse("", nil, "%s is not a regular file", fi.Name())
	}
	a.size = fi.Size()
	if a.size > a.lim.MaxArchive {
		return refuse("", nil, "archive is %d bytes, over the limit of %d", a.size, a.lim.MaxArchive)
	}
	var magic [4]byte
	if n, _ := a.file.ReadAt(magic[:], 0); n < 2 {
		return refuse("", nil, "archive is empty or truncated (%d bytes)", a.size)
	}
	switch {
	case magic[0] == 0x1f && magic[1] == 0x8b:
		a.format = TarGz
		return a.indexTar()
	case bytes.HasPrefix(magic[:], []byte("PK\x03\x04")), bytes.HasPrefix(magic[:], []byte("PK\x05\x06")):
		a.format = Zip
		return a.indexZip()
	}
	return refuse("", nil, "not a gzip-compressed tar nor a zip file (starts with % x)", magic[:])
}

// add records a regular file, refusing duplicates (also those differing
// only in case, which collide when extracted on some systems).
func (a *archive) add(e entry, seen map[string]bool) error {
	key := strings.ToLower(e.name)
	if seen[key] {
		return refuse(e.name, nil, "duplicate name")
	}
	seen[key] = true
	if e.size >= 0 {
		a.byName[e.name] = len(a.entries)
		a.entries = append(a.entries, e)
	}
	return nil
}

// errTooLarge is returned by a capped reader past its cap.
var errTooLarge = errors.New("uncompressed data exceeds the limit")

// capped reads at most n bytes from r, then fails with errTooLarge.
type capped struct {
	r io.Reader
	n int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n <= 0 {
		// Read one byte more to tell the end from the cap.
		var b [1]byte
		if n, err := c.r.Read(b[:]); n > 0 {
			return 0, errTooLarge
		} else {
			return 0, err
		}
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// tarSlack is what tar headers may add to MaxTotal.
const tarSlack = 1 << 20

func (a *archive) tarReader() (*tar.Reader, *capped, error) {
	zr, err := gzip.NewReader(bufio.NewReader(io.NewSectionReader(a.file, 0, a.size)))
	if err != nil {
		return nil, nil, refuse("", err, "reading gzip header")
	}
	c := &capped{r: zr, n: a.lim.MaxTotal + tarSlack + int64(a.lim.MaxFiles)*2048}
	return tar.NewReader(c), c, nil
}

// tarError explains an error of reading a tar.gz.
func tarError(name string, err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return refuse(name, nil, "uncompressed archive is over the limit (a decompression bomb?)")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return refuse(name, err, "archive is truncated")
	}
	return refuse(name, err, "archive is corrupt")
}

func (a *archive) indexTar() error {
	tr, rest, err := a.tarReader()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var total int64
	count := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return tarError("", err)
		}
		if count++; count > a.lim.MaxFiles {
			return refuse("", nil, "more than %d entries", a.lim.MaxFiles)
		}
		e, err := a.tarEntry(h)
		if err != nil {
			return err
		}
		if e.size >= 0 {
			if total += e.size; total > a.lim.MaxTotal {
				return refuse(e.name, nil, "entries total more than %d bytes uncompressed", a.lim.MaxTotal)
			}
			hw := sha256.New()
			if n, err := io.Copy(hw, tr); err != nil || n != e.size {
				return tarError(e.name, err)
			}
			hw.Sum(e.sum[:0])
		}
		if err := a.add(e, seen); err != nil {
			return err
		}
	}
	// After the end of the archive only zero padding may follow; reading
	// it also bounds a stream of zeros that tar took for its end.
	buf := make([]byte, 32<<10)
	for {
		n, err := rest.Read(buf)
		if slices.ContainsFunc(buf[:n], func(b byte) bool { return b != 0 }) {
			return refuse("", nil, "data after the end of the tar archive")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return tarError("", err)
		}
	}
}

// tarEntry checks a tar header; a directory gets size -1.
func (a *archive) tarEntry(h *tar.Header) (entry, error) {
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
	case tar.TypeDir:
		name := strings.TrimSuffix(h.Name, "/")
		if err := checkName(name); err != nil {
			return entry{}, refuse(h.Name, nil, "%s", err)
		}
		return entry{name: name + "/", size: -1}, nil
	default:
		return entry{}, refuse(h.Name, nil, "%s: only regular files are allowed", tarType(h.Typeflag))
	}
	if err := checkName(h.Name); err != nil {
		return entry{}, refuse(h.Name, nil, "%s", err)
	}
	if h.Size < 0 || h.Size > a.lim.MaxFile {
		return entry{}, refuse(h.Name, nil, "size %d is over the limit of %d bytes", h.Size, a.lim.MaxFile)
	}
	return entry{name: h.Name, size: h.Size}, nil
}

func modeType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "irregular file " + m.Type().String()
}

func tarType(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe"
	case tar.TypeXGlobalHeader:
		return "global header"
	case tar.TypeGNUSparse:
		return "sparse file"
	}
	return fmt.Sprintf("entry type %q", t)
}

func (a *archive) indexZip() error {
	zr, err := zip.NewReader(io.NewSectionReader(a.file, 0, a.size), a.size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return refuse("", err, "not a readable zip file (truncated?)")
	}
	if len(zr.File) > a.lim.MaxFiles {
		return refuse("", nil, "more than %d entries", a.lim.MaxFiles)
	}
	if err := a.checkOverlap(zr.File); err != nil {
		return err
	}
	a.zipped = map[string]*zip.File{}
	seen := map[string]bool{}
	var total int64
	for _, f := range zr.File {
		e, err := a.zipEntry(f)
		if err != nil {
			return err
		}
		if e.size >= 0 {
			if total += e.size; total > a.lim.MaxTotal {
				return refuse(e.name, nil, "entries total more than %d bytes uncompressed", a.lim.MaxTotal)
			}
			if e.sum, err = hashZip(f); err != nil {
				return err
			}
			a.zipped[e.name] = f
		}
		if err := a.add(e, seen); err != nil {
			return err
		}
	}
	return nil
}

func (a *archive) zipEntry(f *zip.File) (entry, error) {
	mode := f.Mode()
	if strings.HasSuffix(f.Name, "/") && (mode.IsDir() || mode.Type() == 0) {
		name := strings.TrimSuffix(f.Name, "/")
		if err := checkName(name); err != nil {
			return entry{}, refuse(f.Name, nil, "%s", err)
		}
		return entry{name: f.Name, size: -1}, nil
	}
	if !mode.IsRegular() {
		return entry{}, refuse(f.Name, nil, "%s: only regular files are allowed", modeType(mode))
	}
	if err := checkName(f.Name); err != nil {
		return entry{}, refuse(f.Name, nil, "%s", err)
	}
	if f.UncompressedSize64 > uint64(a.lim.MaxFile) {
		return entry{}, refuse(f.Name, nil, "size %d is over the limit of %d bytes", f.UncompressedSize64, a.lim.MaxFile)
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return entry{}, refuse(f.Name, nil, "compression method %d: want stored (0) or deflate (8)", f.Method)
	}
	return entry{name: f.Name, size: int64(f.UncompressedSize64)}, nil
}

// zipLocalHeader is the fixed size of a zip local file header.
const zipLocalHeader = 30

// checkOverlap refuses entries whose data overlap another's or lie
// outside the archive: the trick of zip bombs that reuse one compressed
// stream for many entries.
func (a *archive) checkOverlap(files []*zip.File) error {
	type span struct {
		name       string
		start, end int64
	}
	spans := make([]span, 0, len(files))
	for _, f := range files {
		off, err := f.DataOffset()
		if err != nil {
			return refuse(f.Name, err, "bad local header")
		}
		end := off + int64(f.CompressedSize64)
		if f.CompressedSize64 > uint64(a.size) || end > a.size {
			return refuse(f.Name, nil, "data runs past the end of the archive")
		}
		spans = append(spans, span{f.Name, off, end})
	}
	slices.SortFunc(spans, func(x, y span) int { return int(min(max(x.start-y.start, -1), 1)) })
	for i := 1; i < len(spans); i++ {
		if spans[i-1].end > spans[i].start-zipLocalHeader {
			return refuse(spans[i].name, nil, "data overlaps entry %q", spans[i-1].name)
		}
	}
	return nil
}

func hashZip(f *zip.File) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	rc, err := f.Open()
	if err != nil {
		return sum, refuse(f.Name, err, "cannot read entry")
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, &capped{r: rc, n: int64(f.UncompressedSize64)})
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return sum, refuse(f.Name, nil, "bad CRC-32: the entry is corrupt")
	case errors.Is(err, errTooLarge):
		return sum, refuse(f.Name, nil, "more data than the %d bytes its header declares", f.UncompressedSize64)
	case err != nil:
		return sum, refuse(f.Name, err, "entry is truncated or corrupt")
	case n != int64(f.UncompressedSize64):
		return sum, refuse(f.Name, nil, "has %d bytes, its header declares %d", n, f.UncompressedSize64)
	}
	h.Sum(sum[:0])
	return sum, nil
}

// open streams the regular file name. The reader fails if the bytes
// differ from those the first pass hashed (the file changed meanwhile).
func (a *archive) open(name string) (io.ReadCloser, error) {
	i, ok := a.byName[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	e := a.entries[i]
	if a.format == Zip {
		rc, err := a.zipped[name].Open()
		if err != nil {
			return nil, refuse(name, err, "cannot read entry")
		}
		return &checked{r: rc, c: rc, e: e, h: sha256.New()}, nil
	}
	tr, _, err := a.tarReader()
	if err != nil {
		return nil, err
	}
	for {
		h, err := tr.Next()
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return nil, tarError(name, err)
		}
		if h.Name == name && (h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA) {
			return &checked{r: tr, c: io.NopCloser(nil), e: e, h: sha256.New()}, nil
		}
	}
}

// checked reads an entry a second time and checks its hash at the end.
type checked struct {
	r io.Reader
	c io.Closer
	e entry
	h hash.Hash
	n int64
}

func (c *checked) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.n > c.e.size {
		return n, refuse(c.e.name, nil, "entry changed while it was being read")
	}
	if err == io.EOF {
		var sum [sha256.Size]byte
		if c.n != c.e.size || !bytes.Equal(c.h.Sum(sum[:0]), c.e.sum[:]) {
			return n, refuse(c.e.name, nil, "entry changed while it was being read")
		}
	}
	return n, err
}

func (c *checked) Close() error { return c.c.Close() }
