package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// CookieName is the session cookie's name.
const CookieName = "vigie_session"

// CSRFField and CSRFHeader carry a session's CSRF token in a form and in
// a request's headers.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// sessionIDLen is the length of a session ID: 32 random bytes in
// unpadded base64url.
const sessionIDLen = 43

// Session is a logged-in user's session. ID is the secret the cookie
// carries; the store keeps only its SHA-256. Role and MustChange are the
// user's current ones.
type Session struct {
	ID         string
	User       string
	Role       Role
	CSRF       string // the token forms and scripts send back, derived from ID
	Created    time.Time
	Expires    time.Time // Created + SessionTTL
	LastSeen   time.Time // to within a minute: see touchInterval
	MustChange bool      // the user must change the password before anything else
}

// sessionRecord is a session's stored record (kind auth.session, ID the
// SHA-256 of the session ID).
type sessionRecord struct {
	User     string    `json:"user"`
	Gen      uint64    `json:"gen"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	LastSeen time.Time `json:"last_seen"`
}

// csrfToken derives a session's CSRF token from its ID: whoever can
// compute it holds the session already, and the store cannot.
func csrfToken(sessionID string) string {
	sum := sha256.Sum256([]byte("vigie csrf\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// touchInterval is how stale LastSeen may get before a request writes
// it: the idle timeout is enforced to within this.
func (s *Service) touchInterval() time.Duration {
	return min(time.Minute, s.cfg.IdleTimeout/10)
}

// Login checks a user's password and opens a session. Failed attempts
// count per user and per remote address (a "host:port" or an address;
// IPv6 by /64); past Config.LoginLimit within LoginWindow, attempts are
// refused with a *RateLimitError, even with the right password, until
// the oldest counted failure leaves the window. An unknown user and a
// wrong password give the same ErrBadCredentials after the same work;
// ErrDisabled is said only to someone who gave the right password. Each
// outcome is audited ("login", "login.failed"), except attempts refused
// by the limit: the failure that reaches it is audited with
// "limited": true.
func (s *Service) Login(ctx context.Context, name, password, remote string) (*Session, error) {
	now := s.now()
	folded, nameErr := NormalizeName(name)
	key := folded
	if nameErr != nil {
		key = limiterName(name)
	}
	rkey := remoteKey(remote)
	if wait, ok := s.limit.begin(key, rkey, now); !ok {
		return nil, &RateLimitError{RetryAfter: wait}
	}
	var u *user
	if nameErr == nil {
		var err error
		if u, err = s.getUser(ctx, folded); err != nil && !errors.Is(err, ErrUnknownUser) {
			return nil, err
		}
	}
	reason := ""
	var used Argon2Params
	switch {
	case len(password) > MaxPasswordLen:
		reason = "password too long"
	case u == nil:
		if _, _, err := s.verify(ctx, password, s.dummyHash); err != nil {
			return nil, err
		}
		reason = "unknown user"
	default:
		ok, params, err := s.verify(ctx, password, u.Hash)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", folded, err)
		}
		if !ok {
			reason = "wrong password"
		}
		used = params
	}
	if reason != "" {
		target := ""
		if nameErr == nil {
			target = "user/" + folded
		}
		return nil, s.loginFailed(ctx, key, rkey, target, remote, reason, now)
	}
	s.limit.succeed(key, rkey, now)
	if u.Disabled {
		if err := s.auditEntry(ctx, folded, "login.failed", "user/"+folded, remote, map[string]any{"reason": "disabled"}); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("user %q: %w", folded, ErrDisabled)
	}
	sess, err := s.openSession(ctx, u, password, used != s.cfg.Argon2, now)
	if err != nil {
		return nil, err
	}
	if err := s.auditEntry(ctx, folded, "login", "user/"+folded, remote, nil); err != nil {
		return nil, err
	}
	if err := s.pruneSessions(ctx, now); err != nil {
		return nil, err
	}
	return sess, nil
}

// limiterName is the key an invalid user name is limited under.
func limiterName(name string) string {
	if len(name) > MaxNameLen {
		name = name[:MaxNameLen]
	}
	return "invalid:" + name
}

// loginFailed audits a failed login and returns ErrBadCredentials.
func (s *Service) loginFailed(ctx context.Context, key, rkey, target, remote, reason string, now time.Time) error {
	detail := map[string]any{"reason": reason}
	if _, ok := s.limit.check(key, rkey, now); !ok {
		detail["limited"] = true
	}
	actorName := key
	if len(actorName) > MaxNameLen {
		actorName = actorName[:MaxNameLen]
	}
	if err := s.auditEntry(ctx, actorName, "login.failed", target, remote, detail); err != nil {
		return err
	}
	return ErrBadCredentials
}

// openSession stores a new session for u, with the user's last login
// and, when rehash is set, the password hashed at the configured cost.
func (s *Service) openSession(ctx context.Context, u *user, password string, rehash bool, now time.Time) (*Session, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("generating session: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	newHash := ""
	if rehash {
		h, err := s.hash(ctx, password)
		if err != nil {
			return nil, err
		}
		newHash = h
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.getUser(ctx, u.Name)
	if err != nil {
		return nil, err
	}
	if cur.Gen != u.Gen || cur.Disabled {
		return nil, fmt.Errorf("user %q changed during login: %w", u.Name, ErrBadCredentials)
	}
	cur.LastLogin = now
	if newHash != "" {
		cur.Hash = newHash
	}
	rec := sessionRecord{User: u.Name, Gen: cur.Gen, Created: now, Expires: now.Add(s.cfg.SessionTTL), LastSeen: now}
	ur, err := record(kindUser, cur.Name, cur)
	if err != nil {
		return nil, err
	}
	sr, err := record(kindSession, secretID(id), rec)
	if err != nil {
		return nil, err
	}
	if err := s.records.PutRecords(ctx, []store.Record{ur, sr}); err != nil {
		return nil, fmt.Errorf("opening session for %q: %w", u.Name, err)
	}
	return &Session{
		ID: id, User: u.Name, Role: cur.Role, CSRF: csrfToken(id),
		Created: rec.Created, Expires: rec.Expires, LastSeen: rec.LastSeen, MustChange: cur.MustChange,
	}, nil
}

// pruneSessions deletes ended sessions, at most once a minute.
func (s *Service) pruneSessions(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	due := now.Sub(s.lastPrune) >= time.Minute
	if due {
		s.lastPrune = now
	}
	s.mu.Unlock()
	if !due {
		return nil
	}
	rs, err := s.records.ListRecords(ctx, kindSession)
	if err != nil {
		return fmt.Errorf("pruning sessions: %w", err)
	}
	for _, r := range rs {
		var rec sessionRecord
		if err := decode(r, &rec); err != nil {
			return err
		}
		if s.ended(rec, now) {
			if err := s.records.DeleteRecord(ctx, kindSession, r.ID); err != nil {
				return fmt.Errorf("pruning sessions: %w", err)
			}
		}
	}
	return nil
}

func (s *Service) ended(rec sessionRecord, now time.Time) bool {
	return !now.Before(rec.Expires) || now.Sub(rec.LastSeen) >= s.cfg.IdleTimeout
}

// Logout ends a session; ending an unknown or ended one is not an
// error.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	if sessionID == "" || len(sessionID) > sessionIDLen {
		return nil
	}
	id := secretID(sessionID)
	var rec sessionRecord
	if err := s.get(ctx, kindSession, id, &rec); err != nil {
		if errors.Is(err, store.ErrNoRecord) {
			return nil
		}
		return fmt.Errorf("logging out: %w", err)
	}
	if err := s.records.DeleteRecord(ctx, kindSession, id); err != nil {
		return fmt.Errorf("logging out: %w", err)
	}
	return s.auditEntry(ctx, rec.User, "logout", "user/"+rec.User, "", nil)
}

// Session returns the session of r's cookie, if it is valid: not past
// its expiry nor idle for IdleTimeout, its user existing and enabled,
// and the user's password unchanged since it was opened. A read of the
// store that fails counts as no session. It records the use, writing
// at most once per touchInterval.
// BackgroundHeader marks a request a page makes on its own (the
// console's live refresh): it is answered, but is not use of the
// session, so an open page left alone still reaches the idle timeout.
const BackgroundHeader = "X-Vigie-Background"

func (s *Service) Session(r *http.Request) (*Session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || len(c.Value) != sessionIDLen {
		return nil, false
	}
	ctx := r.Context()
	id := secretID(c.Value)
	var rec sessionRecord
	if err := s.get(ctx, kindSession, id, &rec); err != nil {
		return nil, false
	}
	now := s.now()
	u, err := s.getUser(ctx, rec.User)
	if s.ended(rec, now) || errors.Is(err, ErrUnknownUser) || err == nil && u.Gen != rec.Gen {
		// The session can never be valid again: a failed delete is
		// retried by the next request or prune.
		_ = s.records.DeleteRecord(ctx, kindSession, id)
		return nil, false
	}
	if err != nil || u.Disabled {
		return nil, false
	}
	if now.Sub(rec.LastSeen) >= s.touchInterval() && r.Header.Get(BackgroundHeader) == "" {
		rec.LastSeen = now
		if s.put(ctx, kindSession, id, rec) != nil {
			return nil, false
		}
	}
	return &Session{
		ID: c.Value, User: u.Name, Role: u.Role, CSRF: csrfToken(c.Value),
		Created: rec.Created, Expires: rec.Expires, LastSeen: rec.LastSeen, MustChange: u.MustChange,
	}, true
}

// Identify says who sent r: the user of a valid session cookie (Via
// "session"), else the Authorization header's token as Check reads it:
// the admin token (RoleAdmin, Via "admin-token") or a user's API token
// (Via "token", with the token's role capped by the user's current
// one).
//
// Deny by default: a session whose user must change the password has
// RoleNone (it may only change it), and a session is not used for a
// state-changing request (any method but GET, HEAD and OPTIONS) that
// lacks its CSRF token (see CheckCSRF); such a request is identified by
// its Authorization header or not at all.
func (s *Service) Identify(r *http.Request) (Identity, bool) {
	who, ok := s.identify(r)
	if ok {
		who.Remote = r.RemoteAddr
	}
	return who, ok
}

func (s *Service) identify(r *http.Request) (Identity, bool) {
	if sess, ok := s.Session(r); ok && (safeMethod(r.Method) || s.CheckCSRF(r, sess)) {
		role := sess.Role
		if sess.MustChange {
			role = RoleNone
		}
		return Identity{User: sess.User, Role: role, Via: "session"}, true
	}
	creds := credentials(r)
	for _, c := range creds {
		if s.admin != nil && s.admin.known(c) {
			return Identity{User: AdminUser, Role: RoleAdmin, Via: "admin-token"}, true
		}
	}
	for _, c := range creds {
		if id, ok := s.identifyToken(r.Context(), c); ok {
			return id, true
		}
		if id, ok := s.identifyIngest(r.Context(), c); ok {
			return id, true
		}
	}
	return Identity{}, false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// CheckCSRF reports whether r carries sess's CSRF token, in the header
// X-CSRF-Token or the form field "csrf" of a POST body (never the URL,
// where it would leak into logs), comparing in constant time. Reading
// the form parses the body: bound it (http.MaxBytesReader) first.
func (s *Service) CheckCSRF(r *http.Request, sess *Session) bool {
	if sess == nil || sess.CSRF == "" {
		return false
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// SetCookie sets the session cookie: HttpOnly, SameSite=Strict, Path=/,
// expiring with the session, and Secure when secure (served over TLS).
func SetCookie(w http.ResponseWriter, sess *Session, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: sess.ID, Path: "/", Expires: sess.Expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	})
}

// ClearCookie tells the browser to drop the session cookie.
func ClearCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	})
}
