package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/evtx"
	"github.com/vigie-sec/vigie/internal/decode/winjson"
	"github.com/vigie-sec/vigie/internal/event"
)

// sigmaFolders are the SigmaHQ rule folders of the shared data (DRL 1.1)
// that make up "the full SigmaHQ rule set".
var sigmaFolders = []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-dfir", "rules-compliance"}

// rulePaths returns the SigmaHQ rule folders under the shared data folder.
func rulePaths(shared string) []string {
	var out []string
	for _, f := range sigmaFolders {
		out = append(out, filepath.Join(shared, "sigma", f))
	}
	return out
}

// sample is one EVTX attack sample, decoded.
type sample struct {
	rel    string // path under evtx/attack-samples, with slashes
	tactic string // its top folder; "(top level)" for the one file outside any
	events []*event.Event
	err    error // from the decoder; errors.Is(err, evtx.ErrCorrupt) for damage
}

// tacticOf returns the ATT&CK tactic folder of an attack sample.
func tacticOf(rel string) string {
	if t, _, ok := strings.Cut(rel, "/"); ok {
		return t
	}
	return "(top level)"
}

// loadAttackSamples decodes every .evtx file under dir (the EVTX attack
// samples, GPL-3.0), in path order. Pipeline-error events are kept; a
// decoder error is recorded in the sample, not returned.
func loadAttackSamples(dir string) ([]sample, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".evtx") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := make([]sample, 0, len(paths))
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		var c decode.Collect
		derr := evtx.Decoder{}.Decode(f, &c)
		f.Close()
		if derr != nil && !errors.Is(derr, evtx.ErrCorrupt) {
			return nil, fmt.Errorf("decoding %s: %w", rel, derr)
		}
		out = append(out, sample{rel: rel, tactic: tacticOf(rel), events: c.Events, err: derr})
	}
	return out, nil
}

// loadOTRF decodes the JSON-lines members (.json) of every zip and tar.gz
// archive under dir (OTRF Security Datasets, atomic Windows, MIT) with the
// winjson decoder, in path order.
func loadOTRF(dir string) ([]*event.Event, error) {
	var c decode.Collect
	dec := winjson.Decoder{}
	wanted := func(name string) bool {
		return strings.HasSuffix(name, ".json") && !strings.Contains(name, "__MACOSX")
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch {
		case strings.HasSuffix(p, ".zip"):
			zr, err := zip.OpenReader(p)
			if err != nil {
				return fmt.Errorf("opening %s: %w", p, err)
			}
			defer zr.Close()
			for _, m := range zr.File {
				if !wanted(m.Name) {
					continue
				}
				r, err := m.Open()
				if err != nil {
					return fmt.Errorf("opening %s in %s: %w", m.Name, p, err)
				}
				err = dec.Decode(r, &c)
				r.Close()
				if err != nil {
					return fmt.Errorf("decoding %s in %s: %w", m.Name, p, err)
				}
			}
		case strings.HasSuffix(p, ".tar.gz"):
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			gz, err := gzip.NewReader(f)
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			tr := tar.NewReader(gz)
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return fmt.Errorf("reading %s: %w", p, err)
				}
				if h.Typeflag == tar.TypeReg && wanted(h.Name) {
					if err := dec.Decode(tr, &c); err != nil {
						return fmt.Errorf("decoding %s in %s: %w", h.Name, p, err)
					}
				}
			}
		}
		return nil
	})
	return c.Events, err
}

// matchable returns the events of kind event (not pipeline errors), the
// only ones either engine is given.
func matchable(events []*event.Event) []*event.Event {
	out := make([]*event.Event, 0, len(events))
	for _, e := range events {
		if e.Kind == event.KindEvent {
			out = append(out, e)
		}
	}
	return out
}
