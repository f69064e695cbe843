package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/respond/bouncer"
	"github.com/vigie-sec/vigie/internal/store"
)

// Decisions is what the API needs from the response manager.
type Decisions interface {
	Decide(ctx context.Context, req respond.Request, who respond.Actor) (*respond.Decision, error)
	Revoke(ctx context.Context, id string, who respond.Actor, reason string) (*respond.Decision, error)
	Get(ctx context.Context, id string) (*respond.Decision, error)
	List(ctx context.Context, f respond.Filter) ([]*respond.Decision, error)
}

// Bouncers manages the API keys of CrowdSec bouncers.
type Bouncers interface {
	AddBouncer(ctx context.Context, name string) (string, error)
	RemoveBouncer(ctx context.Context, name string) error
	Bouncers(ctx context.Context) ([]bouncer.Info, error)
}

// DecisionRequest is the body of POST /api/v1/decisions.
type DecisionRequest struct {
	Action   string `json:"action"` // block, disable or isolate
	Scope    string `json:"scope"`  // ip, range, account or host
	Value    string `json:"value"`
	Duration string `json:"duration"` // Go duration ("4h", "30m"); empty means the default
	Reason   string `json:"reason"`
	Incident string `json:"incident,omitempty"`
	Alert    string `json:"alert,omitempty"`
	DryRun   bool   `json:"dry_run,omitempty"`
}

// DecisionsResponse is the body of GET /api/v1/decisions.
type DecisionsResponse struct {
	Decisions []*respond.Decision `json:"decisions"`
}

func (s *server) respondActor(r *http.Request) respond.Actor {
	return respond.Actor{Name: actor(r), Origin: respond.OriginAnalyst, Remote: r.RemoteAddr}
}

func (s *server) createDecision(w http.ResponseWriter, r *http.Request) error {
	var req DecisionRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	var d time.Duration
	if req.Duration != "" {
		var err error
		if d, err = time.ParseDuration(req.Duration); err != nil || d <= 0 {
			return badRequest("bad_duration", "duration %q: use a positive Go duration such as 30m, 4h or 168h", req.Duration)
		}
	}
	dec, err := s.cfg.Decisions.Decide(r.Context(), respond.Request{Action: req.Action, Scope: req.Scope, Value: req.Value,
		Duration: d, Reason: req.Reason, Incident: req.Incident, Alert: req.Alert, DryRun: req.DryRun}, s.respondActor(r))
	if err != nil {
		return respondError(err)
	}
	writeJSON(w, http.StatusCreated, dec)
	return nil
}

func (s *server) listDecisions(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	f := respond.Filter{Scope: v.Get("scope"), Value: v.Get("value")}
	switch v.Get("active") {
	case "", "true", "1":
		f.Active = true
	case "false", "0", "all":
	default:
		return badRequest("bad_parameter", "active must be true or false, got %q", v.Get("active"))
	}
	if f.Value != "" && f.Scope != "" {
		c, err := respond.Canonical(f.Scope, f.Value)
		if err != nil {
			return badRequest("bad_parameter", "value: %v", err)
		}
		f.Value = c
	}
	list, err := s.cfg.Decisions.List(r.Context(), f)
	if err != nil {
		return respondError(err)
	}
	if list == nil {
		list = []*respond.Decision{}
	}
	writeJSON(w, http.StatusOK, DecisionsResponse{Decisions: list})
	return nil
}

func (s *server) getDecision(w http.ResponseWriter, r *http.Request) error {
	d, err := s.cfg.Decisions.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return respondError(err)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// RevokeRequest is the optional body of DELETE /api/v1/decisions/{id}.
type RevokeRequest struct {
	Reason string `json:"reason"`
}

func (s *server) revokeDecision(w http.ResponseWriter, r *http.Request) error {
	var req RevokeRequest
	if r.ContentLength != 0 {
		if err := readJSON(r, &req); err != nil {
			return err
		}
	}
	d, err := s.cfg.Decisions.Revoke(r.Context(), r.PathValue("id"), s.respondActor(r), req.Reason)
	if err != nil {
		return respondError(err)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// respondError maps the response manager's errors to API errors.
func respondError(err error) error {
	switch {
	case errors.Is(err, respond.ErrInvalid):
		return badRequest("invalid_decision", "%v", err)
	case errors.Is(err, respond.ErrAllowListed):
		return &Error{Status: http.StatusConflict, Code: "allow_listed", Message: err.Error()}
	case errors.Is(err, respond.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, respond.ErrEnded):
		return &Error{Status: http.StatusConflict, Code: "ended", Message: err.Error()}
	case errors.Is(err, respond.ErrTooMany):
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many", Message: err.Error()}
	}
	return err
}

// BouncerRequest is the body of POST /api/v1/bouncers.
type BouncerRequest struct {
	Name string `json:"name"`
}

// BouncerKey is the answer to POST /api/v1/bouncers: the key is shown
// once.
type BouncerKey struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

func (s *server) addBouncer(w http.ResponseWriter, r *http.Request) error {
	var req BouncerRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	key, err := s.cfg.Bouncers.AddBouncer(r.Context(), req.Name)
	if err != nil {
		return badRequest("bad_bouncer", "%v", err)
	}
	s.audit(r, "bouncer.add", "bouncer/"+req.Name, nil)
	writeJSON(w, http.StatusCreated, BouncerKey{Name: req.Name, Key: key})
	return nil
}

func (s *server) listBouncers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Bouncers.Bouncers(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []bouncer.Info{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"bouncers": list})
	return nil
}

func (s *server) removeBouncer(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.cfg.Bouncers.RemoveBouncer(r.Context(), name); err != nil {
		if errors.Is(err, bouncer.ErrUnknownBouncer) {
			return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
		}
		return err
	}
	s.audit(r, "bouncer.remove", "bouncer/"+name, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// audit writes an audit entry for an action the API performs itself (the
// managers audit their own).
func (s *server) audit(r *http.Request, action, target string, detail []byte) {
	if s.cfg.Audit == nil {
		return
	}
	e := &store.AuditEntry{Time: s.cfg.Now(), Actor: actor(r), Action: action, Target: target, Remote: r.RemoteAddr, Detail: detail}
	if err := s.cfg.Audit.AppendAudit(r.Context(), e); err != nil {
		s.cfg.Logger.Error("audit log", "action", action, "err", err)
	}
}

// maxJSONBody bounds the JSON bodies of the API's own routes.
const maxJSONBody = 1 << 20

// readJSON decodes r's body into dst, refusing unknown fields, trailing
// data and bodies over maxJSONBody.
func readJSON(r *http.Request, dst any) error { return readJSONLimit(r, dst, maxJSONBody) }

// readJSONLimit is readJSON with another bound.
func readJSONLimit(r *http.Request, dst any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "bad_content_type", Message: fmt.Sprintf("send JSON (Content-Type: application/json), not %s", ct)}
	}
	dec := jsonDecoder(http.MaxBytesReader(nil, r.Body, limit))
	if err := dec.Decode(dst); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("body over %d bytes", limit)}
		}
		return badRequest("bad_json", "request body: %v", err)
	}
	if dec.More() {
		return badRequest("bad_json", "request body: more than one JSON value")
	}
	return nil
}
