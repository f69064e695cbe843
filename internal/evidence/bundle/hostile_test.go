package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// entryOf is one entry of a hand-built tar.
type entryOf struct {
	h    tar.Header
	data string
}

func reg(name, data string) entryOf {
	return entryOf{tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o644}, data}
}

func tarGz(t *testing.T, entries ...entryOf) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := tw.WriteHeader(&e.h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, headers []zip.FileHeader, data []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range headers {
		w, err := zw.CreateHeader(&headers[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(data[i])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// verifyBytes writes data into an empty folder of its own, verifies it,
// and checks that nothing else appeared in that folder.
func verifyBytes(t testing.TB, data []byte, lim Limits) (*Report, error) {
	t.Helper()
	return verifyIn(t, t.TempDir(), data, lim)
}

// verifyIn is verifyBytes in the empty folder dir.
func verifyIn(t testing.TB, dir string, data []byte, lim Limits) (*Report, error) {
	t.Helper()
	path := filepath.Join(dir, "bundle")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Verify(path, nil, lim)
	if _, rerr := Read(path, lim); errors.Is(err, ErrRefused) && !errors.Is(rerr, ErrRefused) {
		t.Errorf("Verify refused (%v) but Read did not (%v)", err, rerr)
	}
	if r == nil && err == nil {
		t.Fatal("Verify returned neither a report nor an error")
	}
	list, rerr := os.ReadDir(dir)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if len(list) != 1 {
		t.Errorf("Verify left %d entries in the bundle's folder, want 1", len(list))
	}
	return r, err
}

func TestHostileTar(t *testing.T) {
	sym := tar.Header{Typeflag: tar.TypeSymlink, Name: "report.html", Linkname: "/etc/passwd"}
	hard := tar.Header{Typeflag: tar.TypeLink, Name: "report.html", Linkname: "manifest.json"}
	dev := tar.Header{Typeflag: tar.TypeChar, Name: "tty", Devmajor: 5, Devminor: 0}
	fifo := tar.Header{Typeflag: tar.TypeFifo, Name: "pipe"}
	huge := tar.Header{Typeflag: tar.TypeReg, Name: "events.ndjson", Size: 1 << 40, Mode: 0o644}
	valid := tarGz(t, reg("manifest.json", "{}"), reg("events.ndjson", strings.Repeat("x", 5000)))
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"parent path", tarGz(t, reg("manifest.json", "{}"), reg("../x", "planted")), `entry "../x": ".." in path`},
		{"deep parent path", tarGz(t, reg("a/../../x", "planted")), `entry "a/../../x": ".." in path`},
		{"absolute path", tarGz(t, reg("/etc/cron.d/x", "planted")), `entry "/etc/cron.d/x": absolute path`},
		{"backslash", tarGz(t, reg(`..\x`, "planted")), "backslash in name"},
		{"drive letter", tarGz(t, reg(`C:x`, "planted")), "colon in name"},
		{"dot element", tarGz(t, reg("./manifest.json", "{}")), "not a clean relative path"},
		{"duplicate", tarGz(t, reg("manifest.json", "{}"), reg("manifest.json", "{}")), `entry "manifest.json": duplicate name`},
		{"duplicate but for case", tarGz(t, reg("report.html", "a"), reg("Report.html", "b")), `entry "Report.html": duplicate name`},
		{"symlink", tarGz(t, reg("manifest.json", "{}"), entryOf{h: sym}), `entry "report.html": symbolic link: only regular files are allowed`},
		{"hard link", tarGz(t, entryOf{h: hard}), "hard link: only regular files"},
		{"device", tarGz(t, entryOf{h: dev}), "character device: only regular files"},
		{"fifo", tarGz(t, entryOf{h: fifo}), "named pipe: only regular files"},
		{"entry larger than the limit", headerOnly(t, huge), `entry "events.ndjson": size 1099511627776 is over the limit`},
		{"truncated in an entry", valid[:len(valid)/2], "archive is truncated"},
		{"truncated gzip trailer", valid[:len(valid)-4], "archive is truncated"},
		{"cut to its header", valid[:10], "archive is truncated"},
		{"trailing data", append(append([]byte{}, valid...), gzipOf(t, []byte("junk after the end"))...), "data after the end of the tar archive"},
		{"not an archive", []byte("hello, world"), "not a gzip-compressed tar nor a zip file"},
		{"empty", nil, "archive is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifyBytes(t, tt.data, Limits{MaxFile: 1 << 20})
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// headerOnly is a tar.gz of one header without its data.
func headerOnly(t *testing.T, h tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&h); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

func gzipOf(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// TestBomb feeds gzip streams that inflate far beyond the limits: they
// must be refused at the limit, without holding what they inflate to.
func TestBomb(t *testing.T) {
	zeros := make([]byte, 1<<20)
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	for range 256 { // 256 MiB of zeros
		zw.Write(zeros)
	}
	zw.Close()
	// The same zeros as the content of one entry, whose header declares
	// a size within MaxFile but the total is over MaxTotal.
	var entryBomb bytes.Buffer
	zw, _ = gzip.NewWriterLevel(&entryBomb, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	for i := range 4 {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "f" + string(rune('a'+i)), Size: 64 << 20, Mode: 0o644})
		for range 64 {
			tw.Write(zeros)
		}
	}
	tw.Close()
	zw.Close()
	lim := Limits{MaxTotal: 100 << 20, MaxFile: 64 << 20, MaxFiles: 100}
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"zeros", bomb.Bytes(), "uncompressed archive is over the limit (a decompression bomb?)"},
		{"entries", entryBomb.Bytes(), `entry "fb": entries total more than 104857600 bytes uncompressed`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := verifyBytes(t, tt.data, lim)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
				t.Errorf("allocated %d bytes reading a %d-byte bomb", got, len(tt.data))
			}
		})
	}
}

func TestHostileZip(t *testing.T) {
	symlink := zip.FileHeader{Name: "report.html", Method: zip.Store}
	symlink.SetMode(fs.ModeSymlink | 0o777)
	device := zip.FileHeader{Name: "tty", Method: zip.Store}
	device.SetMode(fs.ModeDevice | fs.ModeCharDevice | 0o600)
	stored := func(names ...string) []zip.FileHeader {
		var hs []zip.FileHeader
		for _, n := range names {
			hs = append(hs, zip.FileHeader{Name: n, Method: zip.Store})
		}
		return hs
	}
	valid := zipOf(t, stored("manifest.json", "events.ndjson"), []string{"{}", "line one\nline two\n"})

	badCRC := bytes.Clone(valid)
	i := bytes.Index(badCRC, []byte("line one"))
	badCRC[i] ^= 1

	// Point the second central directory entry at the first entry's
	// local header: two names for one stream, as zip bombs do.
	overlap := zipOf(t, stored("a.txt", "b.txt"), []string{"same size", "same size"})
	cd := bytes.LastIndex(overlap, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(overlap[cd+42:], 0)

	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"parent path", zipOf(t, stored("../x"), []string{"planted"}), `entry "../x": ".." in path`},
		{"absolute path", zipOf(t, stored("/tmp/x"), []string{"planted"}), "absolute path"},
		{"backslash", zipOf(t, stored(`a\..\..\x`), []string{"planted"}), "backslash in name"},
		{"duplicate", zipOf(t, stored("a.txt", "a.txt"), []string{"1", "2"}), `entry "a.txt": duplicate name`},
		{"symlink", zipOf(t, []zip.FileHeader{symlink}, []string{"/etc/passwd"}), `entry "report.html": symbolic link: only regular files`},
		{"device", zipOf(t, []zip.FileHeader{device}, []string{""}), "only regular files"},
		{"bad CRC", badCRC, `entry "events.ndjson": bad CRC-32`},
		{"overlapping entries", overlap, `data overlaps entry "a.txt"`},
		{"truncated", valid[:len(valid)-30], "not a readable zip file"},
		{"truncated to a local header", valid[:40], "not a readable zip file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifyBytes(t, tt.data, Limits{})
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestTruncatedBundles cuts real bundles at many lengths: each cut is
// refused, never verified and never a panic.
func TestTruncatedBundles(t *testing.T) {
	f := newFixture(t)
	for _, format := range formats {
		data, err := os.ReadFile(f.write(t, format))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n += max(1, len(data)/200) {
			r, err := verifyBytes(t, data[:n], Limits{})
			if err == nil && r.OK() {
				t.Fatalf("%s cut to %d of %d bytes verifies", format, n, len(data))
			}
			if err != nil && !errors.Is(err, ErrRefused) {
				t.Fatalf("%s cut to %d: error %v is not a refusal", format, n, err)
			}
		}
	}
}

// TestCheckName pins the names a bundle may hold.
func TestCheckName(t *testing.T) {
	for _, ok := range []string{"manifest.json", "indicators.stix.json", "attachments/pcap-1.txt", "rapport-été.html"} {
		if err := checkName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../a", "a/..", "a/../b", "/a", "a\\b", "a//b", "a/", "./a", "c:a", "a\x00b", "a\nb", "\xff", strings.Repeat("a", 256)} {
		if err := checkName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
