package api

import (
	"context"
	"net/http"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
)

// IngestTokens manages the sources' ingest tokens: each lets a shipper
// send events, and nothing else, under its source's name.
type IngestTokens interface {
	CreateIngestToken(ctx context.Context, source string, ttl time.Duration, label string, who auth.Identity) (string, auth.IngestToken, error)
	RevokeIngestToken(ctx context.Context, id string, who auth.Identity) error
	IngestTokens(ctx context.Context) ([]auth.IngestToken, error)
}

// IngestTokenRequest is the body of POST /api/v1/ingest-tokens.
type IngestTokenRequest struct {
	Source   string `json:"source"`
	Duration string `json:"duration,omitempty"` // Go duration; default 90 days
	Label    string `json:"label,omitempty"`
}

// IngestTokenCreated answers POST /api/v1/ingest-tokens: the token, shown
// this once.
type IngestTokenCreated struct {
	Token string           `json:"token"`
	Info  auth.IngestToken `json:"info"`
}

// ingest lets through the requests that may send events: an ingest token,
// which only may, or an identity whose role allows analyst. An ingest
// token's events are named after its source: the request's own
// X-Vigie-Source header and source parameter are replaced.
func (s *server) ingest(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.cfg.Auth.Identify(r)
		if !ok || who.Source == "" {
			s.authorize(w, r, who, ok, auth.RoleAnalyst, h)
			return
		}
		r = r.Clone(r.Context())
		q := r.URL.Query()
		if q.Has("source") {
			q.Del("source")
			r.URL.RawQuery = q.Encode()
		}
		r.Header.Set("X-Vigie-Source", who.Source)
		h.ServeHTTP(w, r)
	})
}

func (s *server) createIngestToken(w http.ResponseWriter, r *http.Request) error {
	var req IngestTokenRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	var ttl time.Duration
	if req.Duration != "" {
		var err error
		if ttl, err = time.ParseDuration(req.Duration); err != nil || ttl <= 0 {
			return badRequest("bad_duration", "duration %q: use a positive Go duration such as 720h", req.Duration)
		}
	}
	tok, info, err := s.cfg.IngestTokens.CreateIngestToken(r.Context(), req.Source, ttl, req.Label, identity(r))
	if err != nil {
		return authError(err)
	}
	writeJSON(w, http.StatusCreated, IngestTokenCreated{Token: tok, Info: info})
	return nil
}

func (s *server) listIngestTokens(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.IngestTokens.IngestTokens(r.Context())
	if err != nil {
		return authError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ingest_tokens": list})
	return nil
}

func (s *server) revokeIngestToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.IngestTokens.RevokeIngestToken(r.Context(), r.PathValue("id"), identity(r)); err != nil {
		return authError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
