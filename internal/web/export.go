package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
)

// export answers the incident page's export form with the case bundle, as
// a download (api.SendBundle); a refused export shows its error on the
// page.
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
	err = api.SendBundle(w, r, s.cfg.Exporter, inc.ID, v.Sess.User, format, s.cfg.Now(), s.cfg.Logger)
	if errors.Is(err, bundle.ErrProofMismatch) {
		return s.formFailed(w, r, v, &incidentView{Inc: inc, ExportError: "The export was refused: a stored record of this incident " +
			"no longer matches what the integrity log recorded, so the store was altered. Keep a copy of the data folder and run vigie verify --data."})
	}
	return err
}
