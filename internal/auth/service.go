package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// Errors callers branch on. Errors about a user or a password wrap one of
// these with the reason.
var (
	// ErrBadCredentials is a wrong user name or password: Login does not
	// say which.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrDisabled is a disabled account, reported only to someone who
	// gave its right password.
	ErrDisabled = errors.New("account disabled")
	// ErrUnknownUser is an administrative action on a user that does not
	// exist.
	ErrUnknownUser = errors.New("no such user")
	// ErrWeakPassword is a new password the policy refuses; the error
	// says why.
	ErrWeakPassword = errors.New("password too weak")
	// ErrExists is a user that already exists.
	ErrExists = errors.New("user already exists")
	// ErrRateLimited is matched by a *RateLimitError.
	ErrRateLimited = errors.New("too many failed logins")
	// ErrBadName is a user name outside the allowed form.
	ErrBadName = errors.New("invalid user name")
	// ErrForbidden is an action the acting identity may not take.
	ErrForbidden = errors.New("not allowed")
	// ErrUnknownToken is a token ID that does not exist.
	ErrUnknownToken = errors.New("no such token")
	// ErrInvalid is wrapped by the errors of a token request that is not
	// valid: its lifetime, label or source name.
	ErrInvalid = errors.New("invalid request")
)

// RateLimitError refuses a login attempt made while the user or the
// address is over the limit of failed logins. Login returns it as a
// *RateLimitError; errors.Is(err, ErrRateLimited) matches it.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %s", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// Config is the Service's settings; its zero value works. In YAML:
//
//	session_ttl: 12h
//	idle_timeout: 1h
//	login_limit: 5
//	login_window: 15m
//	argon2: {time: 2, memory_kib: 19456, threads: 1}
type Config struct {
	SessionTTL  time.Duration `yaml:"session_ttl"`  // default 12h: a session ends this long after login
	IdleTimeout time.Duration `yaml:"idle_timeout"` // default 1h: a session unused this long ends
	// LoginLimit is how many failed logins are allowed per user and per
	// remote address within LoginWindow; default 5.
	LoginLimit  int           `yaml:"login_limit"`
	LoginWindow time.Duration `yaml:"login_window"` // default 15m
	// AdminToken is the data folder's admin token (token.go), accepted
	// by Identify as the admin. Empty: none.
	AdminToken string       `yaml:"-"`
	Argon2     Argon2Params `yaml:"argon2"` // zero: DefaultArgon2()
}

func (c *Config) setDefaults() {
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = time.Hour
	}
	if c.LoginLimit == 0 {
		c.LoginLimit = 5
	}
	if c.LoginWindow == 0 {
		c.LoginWindow = 15 * time.Minute
	}
	c.Argon2 = c.Argon2.orDefault()
}

// Validate checks a Config whose defaults are set.
func (c *Config) Validate() error {
	switch {
	case c.SessionTTL < time.Minute:
		return fmt.Errorf("auth: session_ttl %s: want at least 1m", c.SessionTTL)
	case c.IdleTimeout < time.Minute:
		return fmt.Errorf("auth: idle_timeout %s: want at least 1m", c.IdleTimeout)
	case c.LoginLimit < 1:
		return fmt.Errorf("auth: login_limit %d: want at least 1", c.LoginLimit)
	case c.LoginWindow < time.Second:
		return fmt.Errorf("auth: login_window %s: want at least 1s", c.LoginWindow)
	}
	if err := c.Argon2.validate(); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// Deps are the Service's parts. Records and Audit are required; Now
// defaults to time.Now.
type Deps struct {
	Records store.Records
	Audit   store.Auditor
	Now     func() time.Time
}

// Record kinds the Service keeps in store.Records. Sessions and tokens
// are stored under the SHA-256 of their secret, never the secret.
const (
	kindUser    = "auth.user"
	kindSession = "auth.session"
	kindToken   = "auth.token"
)

// maxConcurrentHashes bounds the argon2 hashes computed at once, so a
// burst of logins uses at most this many times the hash's memory.
const maxConcurrentHashes = 4

// Service keeps users, passwords, sessions and API tokens in
// store.Records and writes every change and login to the audit log.
// Its methods are safe for concurrent use within one process; two
// processes sharing a store may lose one of two concurrent changes to
// the same user.
type Service struct {
	cfg     Config
	records store.Records
	audit   store.Auditor
	now     func() time.Time
	admin   *Authenticator // nil without an admin token
	limit   *limiter
	hashes  chan struct{} // a slot per hash being computed
	// dummyHash is verified against for unknown users, so that they take
	// as long as a wrong password.
	dummyHash string

	// mu serializes the read-modify-write of user and token records,
	// and guards lastPrune.
	mu        sync.Mutex
	lastPrune time.Time
}

// NewService checks cfg and returns a Service over deps.
func NewService(cfg Config, deps Deps) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Records == nil || deps.Audit == nil {
		return nil, errors.New("auth: Deps.Records and Deps.Audit are required")
	}
	s := &Service{
		cfg:     cfg,
		records: deps.Records,
		audit:   deps.Audit,
		now:     deps.Now,
		limit:   newLimiter(cfg.LoginLimit, cfg.LoginWindow),
		hashes:  make(chan struct{}, maxConcurrentHashes),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.AdminToken != "" {
		s.admin = NewAuthenticator(cfg.AdminToken)
	}
	pw, err := randomPassword()
	if err != nil {
		return nil, err
	}
	if s.dummyHash, err = hashPassword(pw, cfg.Argon2); err != nil {
		return nil, err
	}
	return s, nil
}

// hash and verify compute argon2 within the concurrency bound.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	return hashPassword(password, s.cfg.Argon2)
}

func (s *Service) verify(ctx context.Context, password, encoded string) (bool, Argon2Params, error) {
	if err := s.acquire(ctx); err != nil {
		return false, Argon2Params{}, err
	}
	defer s.release()
	return verifyPassword(password, encoded)
}

func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.hashes <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to hash a password: %w", ctx.Err())
	}
}

func (s *Service) release() { <-s.hashes }

// record helpers: JSON bodies under a kind and ID.

func (s *Service) get(ctx context.Context, kind, id string, v any) error {
	r, err := s.records.GetRecord(ctx, kind, id)
	if err != nil {
		return err
	}
	return decode(r, v)
}

func decode(r store.Record, v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decoding %s/%s: %w", r.Kind, r.ID, err)
	}
	return nil
}

func record(kind, id string, v any) (store.Record, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return store.Record{}, fmt.Errorf("encoding %s/%s: %w", kind, id, err)
	}
	return store.Record{Kind: kind, ID: id, Body: b}, nil
}

func (s *Service) put(ctx context.Context, kind, id string, v any) error {
	r, err := record(kind, id, v)
	if err != nil {
		return err
	}
	return s.records.PutRecord(ctx, r)
}

// auditEntry appends an audit entry; detail, when not nil, is encoded
// as JSON.
func (s *Service) auditEntry(ctx context.Context, actor, action, target, remote string, detail any) error {
	e := &store.AuditEntry{Time: s.now(), Actor: actor, Action: action, Target: target, Remote: remote}
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("encoding audit detail: %w", err)
		}
		e.Detail = b
	}
	if err := s.audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("auditing %s: %w", action, err)
	}
	return nil
}

// secretID is the ID a session or token is stored under: the hex SHA-256
// of the secret.
func secretID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// requireAdmin refuses who unless it is an admin.
func requireAdmin(who Identity, action string) error {
	if !who.Role.Allows(RoleAdmin) {
		return fmt.Errorf("%s by %q (%s): %w: needs admin", action, who.User, who.Role, ErrForbidden)
	}
	return nil
}

// actor names who in the audit log.
func actor(who Identity) string {
	if who.User == "" {
		return "system"
	}
	return who.User
}
