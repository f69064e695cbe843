package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/vigie-sec/vigie/internal/evidence/bundle"
)

// export answers the incident page's export form with the case bundle, as
// a download. The bundle is written to a temporary file first, so that a
// failed export shows its error on the page rather than a truncated file.
func (s *server) export(w http.ResponseWriter, r *http.Request, v *view) error {
	inc, err := s.getIncident(r)
	if err != nil {
		return err
	}
	format := bundle.TarGz
	switch f := r.PostFormValue("format"); f {
	case "", "tar.gz":
	case "zip":
		format = bundle.Zip
	default:
		return s.formFailed(w, r, v, &incidentView{Inc: inc, ExportError: fmt.Sprintf("Unknown format %q: choose .tar.gz or .zip.", f)})
	}
	tmp, err := os.CreateTemp("", "vigie-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	res, err := s.cfg.Exporter.Export(r.Context(), inc.ID, v.Sess.User, r.RemoteAddr, tmp, format)
	if errors.Is(err, bundle.ErrProofMismatch) {
		return s.formFailed(w, r, v, &incidentView{Inc: inc, ExportError: "The export was refused: a stored record of this incident " +
			"no longer matches what the integrity log recorded, so the store was altered. Keep a copy of the data folder and run vigie verify --data."})
	}
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	name := fmt.Sprintf("vigie-incident-%d-%s.%s", inc.ID, s.cfg.Now().UTC().Format("20060102T150405Z"), format)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(res.Bytes, 10))
	w.Header().Set("X-Vigie-Manifest-SHA256", res.Manifest)
	if _, err := io.Copy(w, tmp); err != nil {
		s.cfg.Logger.Warn("sending a case bundle", "incident", inc.ID, "err", err)
	}
	return nil
}
