package winjson

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/shareddata"
)

// member is one JSON lines file inside an OTRF archive.
type member struct {
	archive, name string
	data          []byte
}

// otrfMembers returns the .json members of every zip and tar.gz archive
// under rel in the shared data (OTRF Security Datasets, MIT licence),
// skipping macOS resource forks.
func otrfMembers(t testing.TB, rel string) []member {
	t.Helper()
	root := shareddata.Path(t, rel)
	var out []member
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var ms []member
		switch {
		case strings.HasSuffix(path, ".zip"):
			ms, err = zipMembers(path)
		case strings.HasSuffix(path, ".tar.gz"):
			ms, err = tarMembers(path)
		}
		if err != nil {
			return err
		}
		out = append(out, ms...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// otrfArchive returns the .json members of one OTRF archive.
func otrfArchive(t testing.TB, rel string) []member {
	t.Helper()
	path := shareddata.Path(t, rel)
	var ms []member
	var err error
	if strings.HasSuffix(path, ".zip") {
		ms, err = zipMembers(path)
	} else {
		ms, err = tarMembers(path)
	}
	if err != nil || len(ms) == 0 {
		t.Fatalf("%s: %d members, %v", rel, len(ms), err)
	}
	return ms
}

func wanted(name string) bool {
	return strings.HasSuffix(name, ".json") && !strings.Contains(name, "__MACOSX")
}

func zipMembers(path string) ([]member, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out []member
	for _, f := range zr.File {
		if !wanted(f.Name) {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, member{filepath.Base(path), f.Name, data})
	}
	return out, nil
}

// tarMembers reads a .tar.gz. The OTRF ones end with a stray byte after
// the gzip member, so only the first gzip member is read.
func tarMembers(path string) ([]member, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	var out []member
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if !wanted(h.Name) {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out = append(out, member{filepath.Base(path), h.Name, data})
	}
}
