package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/vigie-sec/vigie/internal/intel"
	"github.com/vigie-sec/vigie/internal/retro"
)

// HuntRequest is the body of POST /api/v1/hunts: Sigma rules (their YAML
// text, under a file name used in error positions), or the server's own
// rules, and behaviour detectors, run over the stored events of a time
// range.
type HuntRequest struct {
	Name string `json:"name"`
	// Rules are rule files: name and YAML text.
	Rules []RuleFile `json:"rules,omitempty"`
	// ServerRules runs the rules the server's live detection runs.
	ServerRules bool `json:"server_rules,omitempty"`
	// Detectors are behaviour detectors by name, or "all".
	Detectors []string `json:"detectors,omitempty"`
	From      string   `json:"from,omitempty"` // a time as the search API takes it
	To        string   `json:"to,omitempty"`
}

// RuleFile is one Sigma rule file of a hunt.
type RuleFile struct {
	Name string `json:"name"`
	YAML string `json:"yaml"`
}

// Hunts starts and follows retro-hunts.
type Hunts interface {
	Start(ctx context.Context, req HuntRequest, who string) (*retro.Job, error)
	Get(id string) (*retro.Job, error)
	List() []*retro.Job
	Stop(id string) error
}

// HuntsResponse is the body of GET /api/v1/hunts.
type HuntsResponse struct {
	Hunts []*retro.Job `json:"hunts"`
}

// maxHuntBody bounds a hunt request: its rules travel in it.
const maxHuntBody = 16 << 20

func (s *server) startHunt(w http.ResponseWriter, r *http.Request) error {
	var req HuntRequest
	r.Body = http.MaxBytesReader(w, r.Body, maxHuntBody)
	if err := readJSONLimit(r, &req, maxHuntBody); err != nil {
		return err
	}
	now := s.cfg.Now()
	for _, t := range []string{req.From, req.To} {
		if _, err := ParseTime(t, now); err != nil {
			return badRequest("bad_time", "%v", err)
		}
	}
	job, err := s.cfg.Hunts.Start(r.Context(), req, actor(r))
	if err != nil {
		return huntError(err)
	}
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func (s *server) listHunts(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, HuntsResponse{Hunts: s.cfg.Hunts.List()})
	return nil
}

func (s *server) getHunt(w http.ResponseWriter, r *http.Request) error {
	job, err := s.cfg.Hunts.Get(r.PathValue("id"))
	if err != nil {
		return huntError(err)
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

func (s *server) stopHunt(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.cfg.Hunts.Stop(id); err != nil {
		return huntError(err)
	}
	s.audit(r, "hunt.stop", "hunt/"+id, nil)
	job, err := s.cfg.Hunts.Get(id)
	if err != nil {
		return huntError(err)
	}
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func huntError(err error) error {
	switch {
	case errors.Is(err, retro.ErrInvalidSpec), errors.Is(err, ErrBadRules):
		return badRequest("invalid_hunt", "%v", err)
	case errors.Is(err, retro.ErrUnknownJob):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, retro.ErrNotRunning):
		return &Error{Status: http.StatusConflict, Code: "not_running", Message: err.Error()}
	case errors.Is(err, retro.ErrBusy):
		return &Error{Status: http.StatusTooManyRequests, Code: "busy", Message: err.Error() + ": wait for one to end or stop one"}
	}
	return err
}

// ErrBadRules is matched by the errors of a hunt whose rules do not load.
var ErrBadRules = errors.New("rules do not load")

// Intel imports and lists indicators of compromise.
type Intel interface {
	Import(ctx context.Context, rep *intel.ImportReport, who string) (*ImportResult, error)
	List(ctx context.Context) ([]intel.Indicator, error)
	Delete(ctx context.Context, id, who string) error
}

// ImportResult is the answer to POST /api/v1/intel.
type ImportResult struct {
	Added   int             `json:"added"`
	Updated int             `json:"updated"`
	Skipped []intel.Skipped `json:"skipped"`
	// Hunt is the retro-hunt matching the new indicators against the
	// stored history, when there are new ones.
	Hunt *retro.Job `json:"hunt,omitempty"`
}

// maxIntelBody bounds an indicator file.
const maxIntelBody = 64 << 20

// importIntel serves POST /api/v1/intel?format=stix|misp|csv&source=NAME
// with the file as the body. Without format, it is guessed from source's
// extension and the first bytes.
func (s *server) importIntel(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	source := v.Get("source")
	if source == "" {
		return badRequest("bad_parameter", "source is required: the feed or file name, kept on every indicator")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxIntelBody))
	if err != nil {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("indicator file over %d bytes", maxIntelBody)}
	}
	format := v.Get("format")
	switch format {
	case "", intel.FormatSTIX, intel.FormatMISP, intel.FormatCSV:
	default:
		return badRequest("bad_format", "format must be stix, misp or csv, got %q", format)
	}
	if format == "" {
		if format = intel.DetectFormat(source, body[:min(len(body), 4096)]); format == "" {
			return badRequest("bad_format", "cannot tell the format of %s: pass format=stix, misp or csv", source)
		}
	}
	rep, err := intel.Parse(bytes.NewReader(body), format, source)
	if err != nil {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "bad_indicators", Message: err.Error() + " (nothing was imported)"}
	}
	res, err := s.cfg.Intel.Import(r.Context(), rep, actor(r))
	if err != nil {
		return err
	}
	if res.Skipped == nil {
		res.Skipped = []intel.Skipped{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// IndicatorsResponse is the body of GET /api/v1/intel.
type IndicatorsResponse struct {
	Indicators []intel.Indicator `json:"indicators"`
}

func (s *server) listIntel(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Intel.List(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []intel.Indicator{}
	}
	writeJSON(w, http.StatusOK, IndicatorsResponse{Indicators: list})
	return nil
}

func (s *server) deleteIntel(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Intel.Delete(r.Context(), r.PathValue("id"), actor(r)); err != nil {
		if errors.Is(err, intel.ErrNoIndicator) {
			return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
