package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/casefile"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
)

// Exporter writes an incident's case bundle.
type Exporter interface {
	Export(ctx context.Context, incidentID int64, who, remote string, w io.Writer, format bundle.Format) (casefile.Result, error)
}

// exportIncident answers GET /api/v1/incidents/{id}/export?format=tar.gz|zip
// with the case bundle. The bundle is written to a temporary file first,
// so that a failed export answers an error rather than a truncated
// download; the manifest's SHA-256 is in the X-Vigie-Manifest-SHA256
// header, and the export is in the audit log.
func (s *server) exportIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	format := bundle.TarGz
	switch f := r.URL.Query().Get("format"); f {
	case "", "tar.gz", "tgz":
	case "zip":
		format = bundle.Zip
	default:
		return badRequest("bad_format", "format %q: want tar.gz or zip", f)
	}
	if _, err := s.cfg.Incidents.Get(id); err != nil {
		return incidentError(err)
	}
	tmp, err := os.CreateTemp("", "vigie-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	who := identity(r)
	res, err := s.cfg.Exporter.Export(r.Context(), id, who.User, r.RemoteAddr, tmp, format)
	if errors.Is(err, bundle.ErrProofMismatch) {
		msg := err.Error()
		if i := strings.Index(msg, ": it leads to root"); i > 0 {
			msg = msg[:i]
		}
		return &Error{Status: http.StatusConflict, Code: "evidence_mismatch", Message: fmt.Sprintf(
			"incident %d cannot be exported: %s. A stored record no longer matches what the integrity log recorded: the store was altered. Keep a copy of the data folder and run vigie verify --data to see what changed", id, msg)}
	}
	if err != nil {
		return fmt.Errorf("exporting incident %d: %w", id, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	name := fmt.Sprintf("vigie-incident-%d-%s.%s", id, s.cfg.Now().UTC().Format("20060102T150405Z"), format)
	ctype := "application/gzip"
	if format == bundle.Zip {
		ctype = "application/zip"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(res.Bytes, 10))
	w.Header().Set("X-Vigie-Manifest-SHA256", res.Manifest)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, tmp); err != nil {
		s.cfg.Logger.Warn("sending a case bundle", "incident", id, "err", err)
	}
	return nil
}
