package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testEnv is a Service over a real SQLite store in a temporary folder.
type testEnv struct {
	svc   *Service
	st    *sqlite.Store
	clock *testClock
	cfg   Config
	path  string
}

var adminWho = Identity{User: "root", Role: RoleAdmin, Via: "session"}

const adminToken = "vigie_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = cheap
	}
	cfg.AdminToken = adminToken
	e := &testEnv{
		clock: &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		cfg:   cfg,
		path:  filepath.Join(t.TempDir(), "events.db"),
	}
	e.open(t)
	return e
}

func (e *testEnv) open(t *testing.T) {
	t.Helper()
	st, err := sqlite.Open(e.path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := NewService(e.cfg, Deps{Records: st, Audit: st, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.st, e.svc = st, svc
}

// reopen closes the store and opens it again with a new Service, as a
// restart does.
func (e *testEnv) reopen(t *testing.T) {
	t.Helper()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e.open(t)
}

// user creates a user with password "<name> password!" and no need to
// change it.
func (e *testEnv) user(t *testing.T, name string, role Role) string {
	t.Helper()
	pw := name + " password!"
	if err := e.svc.EnsureUser(context.Background(), name, pw, role); err != nil {
		t.Fatal(err)
	}
	return pw
}

func (e *testEnv) login(t *testing.T, name, password string) *Session {
	t.Helper()
	sess, err := e.svc.Login(context.Background(), name, password, "192.0.2.10:50000")
	if err != nil {
		t.Fatalf("Login(%q) = %v", name, err)
	}
	return sess
}

// audit returns the audit log's entries about target ("" for all).
func (e *testEnv) audit(t *testing.T, target string) []store.AuditEntry {
	t.Helper()
	es, err := e.st.AuditLog(context.Background(), 0, 0, target)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// withCookie is a request carrying sessionID in the session cookie.
func withCookie(method, sessionID string) *http.Request {
	r := httptest.NewRequest(method, "/", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: sessionID})
	return r
}

func withAuth(header string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", header)
	return r
}

// sessionOK reports whether sessionID is a valid session now.
func (e *testEnv) sessionOK(sessionID string) bool {
	_, ok := e.svc.Session(withCookie("GET", sessionID))
	return ok
}

// testRemote is the client address of httptest's requests, which
// Identify copies into the identity.
const testRemote = "192.0.2.1:1234"
