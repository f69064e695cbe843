package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/store"
)

// Prefix is where the console is mounted.
const Prefix = "/ui/"

// Auth is what the console needs from package auth's session service.
type Auth interface {
	// Login checks a user's password and opens a session. Its errors
	// include auth.ErrBadCredentials, auth.ErrDisabled and, when too many
	// attempts failed, one matching auth.ErrRateLimited.
	Login(ctx context.Context, name, password, remote string) (*session, error)
	Logout(ctx context.Context, sessionID string) error
	// Session returns the session of the request's cookie, if valid.
	Session(r *http.Request) (*session, bool)
	// ChangePassword sets a user's password; auth.ErrWeakPassword says
	// the new one is refused.
	ChangePassword(ctx context.Context, name, old, new string) error
	// CheckCSRF reports whether the request's form carries the session's
	// CSRF token.
	CheckCSRF(r *http.Request, sess *session) bool
}

// Config holds the console's parts. Auth and Store are required; a nil
// manager leaves its pages out (they answer 404 saying so).
type Config struct {
	Auth      Auth
	Store     store.Searcher
	Incidents api.Incidents
	// OnIncident, when set, is told of each analyst change to an
	// incident, as api.Config.OnIncident is.
	OnIncident func(inc *incident.Incident, change string)
	Scope      scope.Config
	Decisions  api.Decisions
	Sources    api.Sources
	// Rules returns the rule set live detection runs; nil or a nil
	// result shows that no rules are loaded.
	Rules func() *detect.RuleSet
	// RuleSwitches, when set, shows which rules are turned off and lets
	// analysts turn them off and on.
	RuleSwitches RuleSwitches
	// AlertStates, when set, shows the alerts' triage states in the
	// queue, with a state filter, and lets analysts change many at once.
	AlertStates AlertStates
	// Users, when set, gives admins the settings page: users and API
	// tokens.
	Users Users
	// IngestTokens, when set with Users, lists the sources' ingest tokens
	// on the settings page and lets admins make and revoke them.
	IngestTokens api.IngestTokens
	// Settings, when set, gives admins the pages of notification targets
	// and response policies.
	Settings api.Settings
	// Exporter, when set, lets analysts download an incident's case
	// bundle from its page.
	Exporter api.Exporter
	// Audit, when set, gives admins the audit log page.
	Audit store.Auditor
	// Secure marks the session cookie Secure: set it when the server
	// speaks TLS.
	Secure  bool
	Version string
	Logger  *slog.Logger
	Now     func() time.Time
}

// Limits on what a client sends.
const (
	maxForm  = 64 << 10 // bytes of a form body
	maxNote  = 8 << 10  // characters of a note
	maxQuery = 4 << 10  // characters of a search
)

// csp is the Content-Security-Policy of every console response: no
// inline script or style, no framing, forms posting to the console only.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

type server struct {
	cfg   Config
	pages *pages
}

// New returns the console's handler, serving the paths under /ui/.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &server{cfg: cfg, pages: loadPages()}
	mux := http.NewServeMux()
	mux.Handle("GET /ui/static/", staticHandler())
	mux.HandleFunc("GET /ui/login", s.public(s.loginPage))
	mux.HandleFunc("POST /ui/login", s.public(s.login))
	s.route(mux, "POST /ui/logout", auth.RoleViewer, s.logout)
	s.route(mux, "GET /ui/password", auth.RoleViewer, s.passwordPage)
	s.route(mux, "POST /ui/password", auth.RoleViewer, s.changePassword)
	s.route(mux, "GET /ui/{$}", auth.RoleViewer, s.overview)
	s.route(mux, "GET /ui/live", auth.RoleViewer, s.live)
	s.route(mux, "GET /ui/search", auth.RoleViewer, s.search)
	s.route(mux, "GET /ui/alerts", auth.RoleViewer, s.alerts)
	if cfg.AlertStates != nil {
		s.route(mux, "POST /ui/alerts/triage", auth.RoleAnalyst, s.triage)
	}
	s.route(mux, "GET /ui/events/{id}", auth.RoleViewer, s.eventPage)
	s.route(mux, "GET /ui/sources", auth.RoleViewer, s.sources)
	s.route(mux, "GET /ui/rules", auth.RoleViewer, s.rules)
	s.route(mux, "POST /ui/rules/test", auth.RoleAnalyst, s.testRule)
	if cfg.RuleSwitches != nil {
		s.route(mux, "POST /ui/rules/switch", auth.RoleAnalyst, s.switchRule)
	}
	if cfg.Incidents != nil {
		s.route(mux, "GET /ui/incidents", auth.RoleViewer, s.incidents)
		s.route(mux, "GET /ui/incidents/{id}", auth.RoleViewer, s.incidentPage)
		s.route(mux, "POST /ui/incidents/{id}/status", auth.RoleAnalyst, s.setStatus)
		s.route(mux, "POST /ui/incidents/{id}/assign", auth.RoleAnalyst, s.assign)
		s.route(mux, "POST /ui/incidents/{id}/notes", auth.RoleAnalyst, s.addNote)
		s.route(mux, "POST /ui/incidents/{id}/merge", auth.RoleAnalyst, s.merge)
		if cfg.Exporter != nil {
			s.route(mux, "POST /ui/incidents/{id}/export", auth.RoleAnalyst, s.export)
		}
		s.route(mux, "POST /ui/alerts/attach", auth.RoleAnalyst, s.attach)
		s.route(mux, "GET /ui/entity/{field}/{value}", auth.RoleViewer, s.entity)
	}
	if cfg.Users != nil {
		s.route(mux, "GET /ui/settings", auth.RoleAdmin, s.settings)
		s.route(mux, "POST /ui/settings/users", auth.RoleAdmin, s.createUser)
		s.route(mux, "POST /ui/settings/users/{name}", auth.RoleAdmin, s.updateUser)
		s.route(mux, "POST /ui/settings/tokens", auth.RoleAdmin, s.createToken)
		s.route(mux, "POST /ui/settings/tokens/{id}/revoke", auth.RoleAdmin, s.revokeToken)
		if cfg.IngestTokens != nil {
			s.route(mux, "POST /ui/settings/ingest-tokens", auth.RoleAdmin, s.createIngestToken)
			s.route(mux, "POST /ui/settings/ingest-tokens/{id}/revoke", auth.RoleAdmin, s.revokeIngestToken)
		}
	}
	if cfg.Settings != nil {
		s.route(mux, "GET /ui/settings/notify", auth.RoleAdmin, s.notifySettings)
		s.route(mux, "POST /ui/settings/notify", auth.RoleAdmin, s.createTarget)
		s.route(mux, "GET /ui/settings/notify/{name}", auth.RoleAdmin, s.targetPage)
		s.route(mux, "POST /ui/settings/notify/{name}", auth.RoleAdmin, s.updateTarget)
		s.route(mux, "POST /ui/settings/notify/{name}/delete", auth.RoleAdmin, s.deleteTarget)
		s.route(mux, "POST /ui/settings/notify/{name}/test", auth.RoleAdmin, s.testTarget)
		s.route(mux, "GET /ui/settings/policies", auth.RoleAdmin, s.policySettings)
		s.route(mux, "POST /ui/settings/policies", auth.RoleAdmin, s.createPolicy)
		s.route(mux, "GET /ui/settings/policies/{name}", auth.RoleAdmin, s.policyPage)
		s.route(mux, "POST /ui/settings/policies/{name}", auth.RoleAdmin, s.updatePolicy)
		s.route(mux, "POST /ui/settings/policies/{name}/delete", auth.RoleAdmin, s.deletePolicy)
	}
	if cfg.Audit != nil {
		s.route(mux, "GET /ui/audit", auth.RoleAdmin, s.audit)
	}
	if cfg.Decisions != nil {
		s.route(mux, "GET /ui/decisions", auth.RoleViewer, s.decisions)
		s.route(mux, "POST /ui/decisions", auth.RoleResponder, s.createDecision)
		s.route(mux, "POST /ui/decisions/{id}/revoke", auth.RoleResponder, s.revokeDecision)
	}
	// Anything else under /ui/ is unknown, but only a signed-in user
	// learns that.
	s.route(mux, "/ui/", auth.RoleViewer, func(w http.ResponseWriter, r *http.Request, v *view) error {
		return &pageError{Status: http.StatusNotFound, Msg: fmt.Sprintf("There is no page %s %s.", r.Method, r.URL.Path)}
	})
	return headers(mux)
}

// headers sets the security headers of every console response.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// pageError is an error shown to the user as a page with its status.
type pageError struct {
	Status int
	Msg    string
}

func (e *pageError) Error() string { return e.Msg }

func notFound(format string, args ...any) error {
	return &pageError{Status: http.StatusNotFound, Msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &pageError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// view is what every page template receives.
type view struct {
	Title string
	// Nav names the menu entry of the page.
	Nav  string
	Sess *session
	// Live, when set, makes the script poll /ui/live and offer a reload
	// when something changed.
	Live    bool
	Version string
	Now     time.Time
	Data    any
	// Audit says that the audit log page exists.
	Audit bool
}

// Can reports whether the signed-in user has role min (for templates:
// {{if .Can "analyst"}}).
func (v *view) Can(min string) bool {
	if v.Sess == nil {
		return false
	}
	r, err := auth.ParseRole(min)
	return err == nil && v.Sess.Role.Allows(r)
}

// CSRF is the session's token, for the forms' hidden field.
func (v *view) CSRF() string {
	if v.Sess == nil {
		return ""
	}
	return v.Sess.CSRF
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, v *view) error

// route registers h for pattern, for signed-in users whose role allows
// min. Requests without a session go to the login page (GET) or are
// refused (other methods); a user who must change their password is sent
// to that page first; a POST must carry the session's CSRF token.
func (s *server) route(mux *http.ServeMux, pattern string, min auth.Role, h handlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.cfg.Auth.Session(r)
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, &pageError{Status: http.StatusUnauthorized, Msg: "You are not signed in, or your session ended. Sign in again."})
			return
		}
		v := &view{Sess: sess, Version: s.cfg.Version, Now: s.cfg.Now(), Audit: s.cfg.Audit != nil}
		if sess.MustChange && r.URL.Path != "/ui/password" && r.URL.Path != "/ui/logout" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/ui/password", http.StatusSeeOther)
				return
			}
			s.fail(w, r, v, &pageError{Status: http.StatusForbidden, Msg: "You must change your password before anything else."})
			return
		}
		if !sess.Role.Allows(min) {
			s.fail(w, r, v, &pageError{Status: http.StatusForbidden,
				Msg: fmt.Sprintf("This needs the %s role; you (%s) are %s.", min, sess.User, sess.Role)})
			return
		}
		if r.Method == http.MethodPost {
			if err := readForm(w, r); err != nil {
				s.fail(w, r, v, err)
				return
			}
			if !s.cfg.Auth.CheckCSRF(r, sess) {
				s.fail(w, r, v, &pageError{Status: http.StatusForbidden,
					Msg: "The form's security token is missing or out of date, so nothing was changed. Reload the page and try again."})
				return
			}
		}
		if err := h(w, r, v); err != nil {
			s.fail(w, r, v, err)
		}
	})
}

// public wraps the handlers that need no session (the login page).
func (s *server) public(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := &view{Version: s.cfg.Version, Now: s.cfg.Now()}
		if sess, ok := s.cfg.Auth.Session(r); ok {
			v.Sess = sess
		}
		if r.Method == http.MethodPost {
			if err := readForm(w, r); err != nil {
				s.fail(w, r, v, err)
				return
			}
		}
		if err := h(w, r, v); err != nil {
			s.fail(w, r, v, err)
		}
	}
}

// fail shows err as an error page. Errors other than pageError are
// logged and shown as 500 without their details.
func (s *server) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	var pe *pageError
	if !errors.As(err, &pe) {
		s.cfg.Logger.Error("console request", "method", r.Method, "path", r.URL.Path, "err", err)
		pe = &pageError{Status: http.StatusInternalServerError, Msg: "Something went wrong on the server; the log says what."}
	}
	if v == nil {
		v = &view{Version: s.cfg.Version}
	}
	v.Title = http.StatusText(pe.Status)
	v.Data = pe
	s.render(w, pe.Status, "error", v)
}

// readForm checks that a POST comes from the console and parses its
// form, bounded by maxForm.
func readForm(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return errCrossOrigin
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return &pageError{Status: http.StatusRequestEntityTooLarge, Msg: "The form could not be read (over 64 KiB?)."}
	}
	return nil
}

// errCrossOrigin refuses a form posted from another site.
var errCrossOrigin = &pageError{Status: http.StatusForbidden, Msg: "This form was sent from another site, so it was refused."}

// sameOrigin reports whether a POST comes from a page of this server, as
// its Origin header says. Browsers send Origin with every POST; a request
// without one (a script, an old browser) passes, and the CSRF token still
// guards it. This also stops another site from signing a user in to an
// account of its choosing (login CSRF), which the token cannot.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// seeOther answers a successful form with a redirect to path (the
// POST/redirect/GET pattern), so that a reload does not post again.
func seeOther(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
