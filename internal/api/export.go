package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/casefile"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
)

// Exporter writes an incident's case bundle.
type Exporter interface {
	Export(ctx context.Context, incidentID int64, who, remote string, w io.Writer, format bundle.Format) (casefile.Result, error)
}

// exportIncident answers GET /api/v1/incidents/{id}/export?format=tar.gz|zip
// with the case bundle (SendBundle); the export is in the audit log.
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
	err = SendBundle(w, r, s.cfg.Exporter, id, identity(r).User, format, s.cfg.Now(), s.cfg.Logger)
	if errors.Is(err, bundle.ErrProofMismatch) {
		msg := err.Error()
		if i := strings.Index(msg, ": it leads to root"); i > 0 {
			msg = msg[:i]
		}
		return &Error{Status: http.StatusConflict, Code: "evidence_mismatch", Message: fmt.Sprintf(
			"incident %d cannot be exported: %s. A stored record no longer matches what the integrity log recorded: the store was altered. Keep a copy of the data folder and run vigie verify --data to see what changed", id, msg)}
	}
	return err
}

// SendBundle exports incident id's case bundle as who, from r's client,
// and sends it as a download once complete: it is written to a temporary
// file first, so that a failed export returns its error before anything
// is sent rather than a truncated file. The manifest's SHA-256 is in the
// X-Vigie-Manifest-SHA256 header. The console's export uses it too.
func SendBundle(w http.ResponseWriter, r *http.Request, x Exporter, id int64, who string, format bundle.Format, now time.Time, log *slog.Logger) error {
	tmp, err := os.CreateTemp("", "vigie-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	res, err := x.Export(r.Context(), id, who, r.RemoteAddr, tmp, format)
	if err != nil {
		return fmt.Errorf("exporting incident %d: %w", id, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	name := fmt.Sprintf("vigie-incident-%d-%s.%s", id, now.UTC().Format("20060102T150405Z"), format)
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
		log.Warn("sending a case bundle", "incident", id, "err", err)
	}
	return nil
}
