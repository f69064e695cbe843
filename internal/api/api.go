package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/ingest"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/store"
)

// Authenticator checks a request's credentials and says who sent it, with
// their role.
type Authenticator interface {
	Identify(r *http.Request) (auth.Identity, bool)
}

// Sources reports per-source counters.
type Sources interface {
	Sources() []ingest.SourceStats
}

// Config holds the API's parts. All are required except Logger and Now.
type Config struct {
	Auth    Authenticator
	Store   store.Searcher
	Sources Sources
	// Health returns nil when ingestion works, or why it does not.
	Health  func() error
	Ingest  http.Handler // POST /api/v1/events
	Bulk    http.Handler // Elasticsearch subset
	Metrics http.Handler // GET /metrics
	Version string
	// Audit receives the audit entries of the actions the API performs
	// itself; the incident and response managers write their own.
	Audit store.Auditor
	// The parts of issue 5; a nil one leaves its routes out (they answer
	// 404 saying what is not configured).
	Incidents Incidents
	// OnIncident, when set, is told of each analyst change to an
	// incident ("status", "assign", "note", "merge"…), for notifications.
	OnIncident func(inc *incident.Incident, change string)
	Scope      scope.Config
	Decisions  Decisions
	Bouncers   Bouncers
	Hunts      Hunts
	Intel      Intel
	Users      Users
	// Evidence and Ledger serve the integrity log's checkpoints and
	// proofs.
	Evidence Evidence
	Ledger   store.Ledger
	// Exporter writes incidents' case bundles.
	Exporter Exporter
	// IngestTokens serves the sources' ingest tokens (admin only).
	IngestTokens IngestTokens
	// Settings, when set, lets admins manage notification targets and
	// response policies.
	Settings Settings
	// AlertStates, Rules and RuleSwitches serve alert triage and the
	// rules' list and switches.
	AlertStates  AlertStates
	Rules        func() *detect.RuleSet
	RuleSwitches RuleSwitches
	// BouncerAPI serves the CrowdSec Local API bouncer routes
	// (/v1/decisions…), authenticated by bouncer keys, not API tokens.
	BouncerAPI http.Handler
	Logger     *slog.Logger
	Now        func() time.Time
}

// Error is an API error with its HTTP status and a stable code that
// clients can branch on.
type Error struct {
	Status   int    `json:"-"`
	Code     string `json:"code"`
	Message  string `json:"error"`
	Position *int   `json:"position,omitempty"` // byte offset in the query, for query_syntax
}

func (e *Error) Error() string { return e.Message }

func badRequest(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

type server struct {
	cfg Config
}

// New returns the API handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handle(s.health))
	mux.Handle("GET /api/v1/events", s.auth(auth.RoleViewer, s.handle(s.search)))
	mux.Handle("GET /api/v1/events/{id}", s.auth(auth.RoleViewer, s.handle(s.get)))
	mux.Handle("POST /api/v1/events", s.ingest(cfg.Ingest))
	mux.Handle("GET /api/v1/alerts", s.auth(auth.RoleViewer, s.handle(s.alerts)))
	mux.Handle("GET /api/v1/sources", s.auth(auth.RoleViewer, s.handle(s.sources)))
	mux.Handle("GET /metrics", s.auth(auth.RoleViewer, cfg.Metrics))
	if cfg.Incidents != nil {
		mux.Handle("GET /api/v1/incidents", s.auth(auth.RoleViewer, s.handle(s.listIncidents)))
		mux.Handle("GET /api/v1/incidents/{id}", s.auth(auth.RoleViewer, s.handle(s.getIncident)))
		mux.Handle("PATCH /api/v1/incidents/{id}", s.auth(auth.RoleAnalyst, s.handle(s.updateIncident)))
		mux.Handle("POST /api/v1/incidents/{id}/notes", s.auth(auth.RoleAnalyst, s.handle(s.addNote)))
		mux.Handle("POST /api/v1/incidents/{id}/merge", s.auth(auth.RoleAnalyst, s.handle(s.mergeIncident(false))))
		mux.Handle("POST /api/v1/incidents/{id}/split", s.auth(auth.RoleAnalyst, s.handle(s.mergeIncident(true))))
		mux.Handle("POST /api/v1/incidents/{id}/alerts", s.auth(auth.RoleAnalyst, s.handle(s.attachAlerts)))
		mux.Handle("GET /api/v1/incidents/{id}/timeline", s.auth(auth.RoleViewer, s.handle(s.timeline)))
		mux.Handle("GET /api/v1/incidents/{id}/scope", s.auth(auth.RoleViewer, s.handle(s.incidentScope)))
		mux.Handle("GET /api/v1/entities/{field}/{value}", s.auth(auth.RoleViewer, s.handle(s.entity)))
	}
	if cfg.Audit != nil {
		mux.Handle("GET /api/v1/audit", s.auth(auth.RoleAdmin, s.handle(s.auditLog)))
	}
	if cfg.Hunts != nil {
		mux.Handle("POST /api/v1/hunts", s.auth(auth.RoleAnalyst, s.handle(s.startHunt)))
		mux.Handle("GET /api/v1/hunts", s.auth(auth.RoleViewer, s.handle(s.listHunts)))
		mux.Handle("GET /api/v1/hunts/{id}", s.auth(auth.RoleViewer, s.handle(s.getHunt)))
		mux.Handle("DELETE /api/v1/hunts/{id}", s.auth(auth.RoleAnalyst, s.handle(s.stopHunt)))
	}
	if cfg.Intel != nil {
		mux.Handle("POST /api/v1/intel", s.auth(auth.RoleAnalyst, s.handle(s.importIntel)))
		mux.Handle("GET /api/v1/intel", s.auth(auth.RoleViewer, s.handle(s.listIntel)))
		mux.Handle("DELETE /api/v1/intel/{id}", s.auth(auth.RoleAnalyst, s.handle(s.deleteIntel)))
	}
	if cfg.Decisions != nil {
		mux.Handle("POST /api/v1/decisions", s.auth(auth.RoleResponder, s.handle(s.createDecision)))
		mux.Handle("GET /api/v1/decisions", s.auth(auth.RoleViewer, s.handle(s.listDecisions)))
		mux.Handle("GET /api/v1/decisions/{id}", s.auth(auth.RoleViewer, s.handle(s.getDecision)))
		mux.Handle("DELETE /api/v1/decisions/{id}", s.auth(auth.RoleResponder, s.handle(s.revokeDecision)))
	}
	if cfg.Bouncers != nil {
		mux.Handle("POST /api/v1/bouncers", s.auth(auth.RoleAdmin, s.handle(s.addBouncer)))
		mux.Handle("GET /api/v1/bouncers", s.auth(auth.RoleAdmin, s.handle(s.listBouncers)))
		mux.Handle("DELETE /api/v1/bouncers/{name}", s.auth(auth.RoleAdmin, s.handle(s.removeBouncer)))
	}
	if cfg.AlertStates != nil {
		mux.Handle("PATCH /api/v1/alerts", s.auth(auth.RoleAnalyst, s.handle(s.triageAlerts)))
	}
	if cfg.Rules != nil {
		mux.Handle("GET /api/v1/rules", s.auth(auth.RoleViewer, s.handle(s.listRules)))
	}
	if cfg.RuleSwitches != nil {
		mux.Handle("POST /api/v1/rules/{id}/disable", s.auth(auth.RoleAnalyst, s.handle(s.switchRule(true))))
		mux.Handle("POST /api/v1/rules/{id}/enable", s.auth(auth.RoleAnalyst, s.handle(s.switchRule(false))))
	}
	if cfg.Users != nil {
		mux.Handle("GET /api/v1/users", s.auth(auth.RoleAdmin, s.handle(s.listUsers)))
		mux.Handle("POST /api/v1/users", s.auth(auth.RoleAdmin, s.handle(s.createUser)))
		mux.Handle("PATCH /api/v1/users/{name}", s.auth(auth.RoleAdmin, s.handle(s.updateUser)))
		mux.Handle("POST /api/v1/users/{name}/reset", s.auth(auth.RoleAdmin, s.handle(s.resetPassword)))
		mux.Handle("GET /api/v1/tokens", s.auth(auth.RoleViewer, s.handle(s.listTokens)))
		mux.Handle("POST /api/v1/tokens", s.auth(auth.RoleViewer, s.handle(s.createToken)))
		mux.Handle("DELETE /api/v1/tokens/{id}", s.auth(auth.RoleViewer, s.handle(s.revokeToken)))
	}
	if cfg.Exporter != nil && cfg.Incidents != nil {
		mux.Handle("GET /api/v1/incidents/{id}/export", s.auth(auth.RoleAnalyst, s.handle(s.exportIncident)))
	}
	if cfg.Evidence != nil && cfg.Ledger != nil {
		mux.Handle("GET /api/v1/checkpoints", s.auth(auth.RoleViewer, s.handle(s.listCheckpoints)))
		mux.Handle("POST /api/v1/checkpoints", s.auth(auth.RoleAnalyst, s.handle(s.signCheckpoint)))
		mux.Handle("GET /api/v1/proofs/inclusion", s.auth(auth.RoleViewer, s.handle(s.inclusionProof)))
		mux.Handle("GET /api/v1/proofs/consistency", s.auth(auth.RoleViewer, s.handle(s.consistencyProof)))
	}
	if cfg.IngestTokens != nil {
		mux.Handle("GET /api/v1/ingest-tokens", s.auth(auth.RoleAdmin, s.handle(s.listIngestTokens)))
		mux.Handle("POST /api/v1/ingest-tokens", s.auth(auth.RoleAdmin, s.handle(s.createIngestToken)))
		mux.Handle("DELETE /api/v1/ingest-tokens/{id}", s.auth(auth.RoleAdmin, s.handle(s.revokeIngestToken)))
	}
	if cfg.Settings != nil {
		mux.Handle("GET /api/v1/settings/notify/targets", s.auth(auth.RoleAdmin, s.handle(s.listTargets)))
		mux.Handle("POST /api/v1/settings/notify/targets", s.auth(auth.RoleAdmin, s.handle(s.createTarget)))
		mux.Handle("GET /api/v1/settings/notify/targets/{name}", s.auth(auth.RoleAdmin, s.handle(s.getTarget)))
		mux.Handle("PUT /api/v1/settings/notify/targets/{name}", s.auth(auth.RoleAdmin, s.handle(s.updateTarget)))
		mux.Handle("DELETE /api/v1/settings/notify/targets/{name}", s.auth(auth.RoleAdmin, s.handle(s.deleteTarget)))
		mux.Handle("POST /api/v1/settings/notify/targets/{name}/test", s.auth(auth.RoleAdmin, s.handle(s.testTarget)))
		mux.Handle("GET /api/v1/settings/respond/policies", s.auth(auth.RoleAdmin, s.handle(s.listPolicies)))
		mux.Handle("POST /api/v1/settings/respond/policies", s.auth(auth.RoleAdmin, s.handle(s.createPolicy)))
		mux.Handle("GET /api/v1/settings/respond/policies/{name}", s.auth(auth.RoleAdmin, s.handle(s.getPolicy)))
		mux.Handle("PUT /api/v1/settings/respond/policies/{name}", s.auth(auth.RoleAdmin, s.handle(s.updatePolicy)))
		mux.Handle("DELETE /api/v1/settings/respond/policies/{name}", s.auth(auth.RoleAdmin, s.handle(s.deletePolicy)))
	}
	if cfg.BouncerAPI != nil {
		mux.Handle("/v1/decisions", cfg.BouncerAPI)
		mux.Handle("/v1/decisions/", cfg.BouncerAPI)
	}
	mux.Handle("/api/", s.auth(auth.RoleViewer, s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)}
	})))
	mux.Handle("/", s.ingest(cfg.Bulk))
	return mux
}

// auth lets through the requests of an identity whose role allows min,
// answering 401 to unknown credentials and 403 to a role too low. Every
// route goes through it: deny by default.
func (s *server) auth(min auth.Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.cfg.Auth.Identify(r)
		s.authorize(w, r, who, ok, min, h)
	})
}

// authorize passes r to h when who (identified: ok) has a role that
// allows min, else answers 401 or 403.
func (s *server) authorize(w http.ResponseWriter, r *http.Request, who auth.Identity, ok bool, min auth.Role, h http.Handler) {
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigie"`)
		writeJSON(w, http.StatusUnauthorized, &Error{Code: "unauthorized",
			Message: "missing or wrong API token: send Authorization: Bearer <token> (see <data>/admin.token)"})
		return
	}
	if !who.Role.Allows(min) {
		writeJSON(w, http.StatusForbidden, &Error{Code: "forbidden",
			Message: fmt.Sprintf("%s %s needs the %s role; %s is %s", r.Method, r.URL.Path, min, who.User, who.Role)})
		return
	}
	h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, who)))
}

type actorKey struct{}

// actor returns who sent r, as the authenticator named them.
func actor(r *http.Request) string {
	who, _ := r.Context().Value(actorKey{}).(auth.Identity)
	return who.User
}

func (s *server) handle(f func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		var ae *Error
		if !errors.As(err, &ae) {
			s.cfg.Logger.Error("api request", "method", r.Method, "path", r.URL.Path, "err", err)
			ae = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
		}
		writeJSON(w, ae.Status, ae)
	}
}

func (s *server) health(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Health(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "degraded", "error": err.Error()})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
	return nil
}

// SearchResponse is the body of GET /api/v1/events.
type SearchResponse struct {
	Events []*event.Event `json:"events"`
	// Next is the "before" value that fetches the next page, or 0 when the
	// page was not full.
	Next event.ID `json:"next,omitempty"`
}

// CountResponse is the body of GET /api/v1/events?count=true.
type CountResponse struct {
	Count int64 `json:"count"`
}

func (s *server) search(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parseQuery(r)
	if err != nil {
		return err
	}
	if c := r.URL.Query().Get("count"); c == "true" || c == "1" {
		n, err := s.cfg.Store.Count(r.Context(), q)
		if err != nil {
			return fmt.Errorf("counting events: %w", err)
		}
		writeJSON(w, http.StatusOK, CountResponse{Count: n})
		return nil
	}
	events, err := s.cfg.Store.Search(r.Context(), q)
	if err != nil {
		return fmt.Errorf("searching events: %w", err)
	}
	resp := SearchResponse{Events: events}
	if resp.Events == nil {
		resp.Events = []*event.Event{}
	}
	resp.Next = nextCursor(events, q.Limit)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *server) parseQuery(r *http.Request) (store.Query, error) {
	v := r.URL.Query()
	var q store.Query
	expr, err := query.Parse(v.Get("q"))
	if err != nil {
		ae := badRequest("query_syntax", "query: %v", err)
		var se *query.SyntaxError
		if errors.As(err, &se) {
			pos := se.Pos
			ae.Position = &pos
		}
		return q, ae
	}
	q.Expr = expr
	now := s.cfg.Now()
	if q.From, err = ParseTime(v.Get("from"), now); err != nil {
		return q, badRequest("bad_time", "from: %v", err)
	}
	if q.To, err = ParseTime(v.Get("to"), now); err != nil {
		return q, badRequest("bad_time", "to: %v", err)
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > store.MaxLimit {
			return q, badRequest("bad_limit", "limit must be a number from 0 to %d, got %q", store.MaxLimit, l)
		}
		q.Limit = n
	}
	if b := v.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return q, badRequest("bad_cursor", "before must be an event id, got %q", b)
		}
		q.Before = event.ID(n)
	}
	return q, nil
}

// ParseTime reads a time bound: RFC 3339 ("2024-07-31T13:06:24Z"), a date
// ("2024-07-31"), "now", or a duration back from now ("15m", "24h", "7d",
// also written "now-15m"). An empty string is the zero time (open bound).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, nil
	case s == "now":
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	d := strings.TrimPrefix(strings.TrimPrefix(s, "now"), "-")
	days := strings.HasSuffix(d, "d")
	if days {
		d = strings.TrimSuffix(d, "d") + "h"
	}
	dur, err := time.ParseDuration(d)
	if err != nil || dur < 0 {
		return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2024-07-31T13:06:24Z), a date, now, or a duration back from now (15m, 24h, 7d)", s)
	}
	if days {
		dur *= 24
	}
	return now.Add(-dur), nil
}

func (s *server) get(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return badRequest("bad_id", "event id must be a positive number, got %q", r.PathValue("id"))
	}
	e, err := s.cfg.Store.Get(r.Context(), event.ID(id))
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no event %d", id)}
	}
	if err != nil {
		return fmt.Errorf("reading event %d: %w", id, err)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// SourcesResponse is the body of GET /api/v1/sources.
type SourcesResponse struct {
	Sources []ingest.SourceStats `json:"sources"`
}

func (s *server) sources(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, SourcesResponse{Sources: s.cfg.Sources.Sources()})
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// nextCursor returns the paging cursor after a page of events: the last
// event's ID when the page is full, else zero (no more pages).
func nextCursor(events []*event.Event, limit int) event.ID {
	if limit == 0 {
		limit = store.DefaultLimit
	}
	if len(events) > 0 && len(events) == min(limit, store.MaxLimit) {
		return events[len(events)-1].ID
	}
	return 0
}

func jsonDecoder(r io.Reader) *json.Decoder {
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	return d
}
