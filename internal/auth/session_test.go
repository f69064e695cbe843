package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

func TestSessionTTL(t *testing.T) {
	e := newEnv(t, Config{SessionTTL: 2 * time.Hour, IdleTimeout: time.Hour})
	sess := e.login(t, "alice", e.user(t, "alice", RoleAnalyst))
	if !sess.Expires.Equal(e.clock.Now().Add(2*time.Hour)) || len(sess.ID) != 43 {
		t.Fatalf("session = %+v; want a 43-character ID expiring in 2h", sess)
	}
	// Used every 50 minutes, it never idles out, but ends at 2h.
	for i, want := range []bool{true, true, false} {
		e.clock.Advance(50 * time.Minute)
		if got := e.sessionOK(sess.ID); got != want {
			t.Fatalf("after %d min: valid = %v, want %v", 50*(i+1), got, want)
		}
	}
	// The ended session was removed from the store.
	if _, err := e.st.GetRecord(context.Background(), kindSession, secretID(sess.ID)); !errors.Is(err, store.ErrNoRecord) {
		t.Errorf("ended session's record: %v, want ErrNoRecord", err)
	}
}

func TestSessionIdle(t *testing.T) {
	e := newEnv(t, Config{IdleTimeout: time.Hour})
	sess := e.login(t, "alice", e.user(t, "alice", RoleAnalyst))
	e.clock.Advance(59 * time.Minute)
	got, ok := e.svc.Session(withCookie("GET", sess.ID))
	if !ok || !got.LastSeen.Equal(e.clock.Now()) || got.CSRF != sess.CSRF || got.Role != RoleAnalyst {
		t.Fatalf("after 59 idle minutes: %+v, %v; want the session, seen now, same CSRF", got, ok)
	}
	e.clock.Advance(59 * time.Minute)
	if !e.sessionOK(sess.ID) {
		t.Fatal("59 minutes after the last use: refused")
	}
	e.clock.Advance(time.Hour)
	if e.sessionOK(sess.ID) {
		t.Error("an hour after the last use: still valid")
	}
}

// TestSessionBackground polls a session as the console's live refresh
// does: the polls are answered but do not keep it alive.
func TestSessionBackground(t *testing.T) {
	e := newEnv(t, Config{IdleTimeout: time.Hour})
	sess := e.login(t, "alice", e.user(t, "alice", RoleAnalyst))
	poll := func() bool {
		r := withCookie("GET", sess.ID)
		r.Header.Set(BackgroundHeader, "1")
		_, ok := e.svc.Session(r)
		return ok
	}
	for i := 0; i < 11; i++ {
		e.clock.Advance(5 * time.Minute)
		if !poll() {
			t.Fatalf("poll after %d minutes refused", 5*(i+1))
		}
	}
	e.clock.Advance(6 * time.Minute)
	if poll() || e.sessionOK(sess.ID) {
		t.Error("an hour of polls only kept the session alive")
	}
}

func TestSessionRefusals(t *testing.T) {
	e := newEnv(t, Config{})
	sess := e.login(t, "alice", e.user(t, "alice", RoleAnalyst))
	f := func(what string, r *http.Request) {
		t.Helper()
		if s, ok := e.svc.Session(r); ok {
			t.Errorf("%s: got session %+v", what, s)
		}
	}
	f("no cookie", httptest.NewRequest("GET", "/", nil))
	f("unknown ID", withCookie("GET", strings.Repeat("A", 43)))
	f("ID one character short", withCookie("GET", sess.ID[:42]))
	f("the CSRF token as ID", withCookie("GET", sess.CSRF))
	// Logout ends it, and is audited.
	if err := e.svc.Logout(context.Background(), sess.ID); err != nil {
		t.Fatal(err)
	}
	f("after logout", withCookie("GET", sess.ID))
	if err := e.svc.Logout(context.Background(), sess.ID); err != nil {
		t.Errorf("second logout: %v", err)
	}
	es := e.audit(t, "user/alice")
	if last := es[len(es)-1]; last.Action != "logout" || last.Actor != "alice" {
		t.Errorf("last audit entry %+v, want alice's logout", last)
	}
}

// The store never holds a session's ID, a token, nor a password.
func TestSecretsNotStored(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleAnalyst)
	sess := e.login(t, "alice", pw)
	tok, _, err := e.svc.CreateToken(ctx, "alice", RoleViewer, 0, "ci", adminWho)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{kindUser, kindSession, kindToken} {
		rs, err := e.st.ListRecords(ctx, kind)
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s records: %d, %v; want 1", kind, len(rs), err)
		}
		all := rs[0].ID + string(rs[0].Body)
		for _, secret := range []string{pw, sess.ID, sess.CSRF, tok} {
			if strings.Contains(all, secret) {
				t.Errorf("%s record %s holds a secret: %s", kind, rs[0].ID, rs[0].Body)
			}
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, Config{})
	sess := e.login(t, "alice", e.user(t, "alice", RoleResponder))
	post := func(body url.Values, header string) *http.Request {
		r := httptest.NewRequest("POST", "/decisions?csrf="+url.QueryEscape(sess.CSRF), strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: CookieName, Value: sess.ID})
		if header != "" {
			r.Header.Set(CSRFHeader, header)
		}
		return r
	}
	f := func(what string, r *http.Request, want bool) {
		t.Helper()
		if got := e.svc.CheckCSRF(r, sess); got != want {
			t.Errorf("CheckCSRF(%s) = %v, want %v", what, got, want)
		}
		id, ok := e.svc.Identify(r)
		if ok != want || want && id != (Identity{User: "alice", Role: RoleResponder, Via: "session", Remote: testRemote}) {
			t.Errorf("Identify(%s) = %+v, %v; want identified %v", what, id, ok, want)
		}
	}
	f("form field", post(url.Values{"csrf": {sess.CSRF}}, ""), true)
	f("header", post(nil, sess.CSRF), true)
	f("wrong header", post(nil, sess.CSRF[:42]+"x"), false)
	f("wrong field", post(url.Values{"csrf": {strings.ToUpper(sess.CSRF)}}, ""), false)
	f("only in the URL", post(nil, ""), false)
	f("the session ID instead", post(url.Values{"csrf": {sess.ID}}, ""), false)
	if e.svc.CheckCSRF(post(url.Values{"csrf": {""}}, ""), &Session{}) {
		t.Error("an empty token matched a session without one")
	}
	// Reads need no token.
	if id, ok := e.svc.Identify(withCookie("GET", sess.ID)); !ok || id.Role != RoleResponder {
		t.Errorf("Identify(GET with cookie) = %+v, %v", id, ok)
	}
	// Each session has its own token.
	other := e.login(t, "alice", "alice password!")
	if other.CSRF == sess.CSRF {
		t.Error("two sessions share a CSRF token")
	}
}

func TestCookies(t *testing.T) {
	sess := &Session{ID: "abc", Expires: time.Date(2026, 3, 2, 21, 0, 0, 0, time.UTC)}
	w := httptest.NewRecorder()
	SetCookie(w, sess, true)
	got := w.Header().Get("Set-Cookie")
	want := "vigie_session=abc; Path=/; Expires=Mon, 02 Mar 2026 21:00:00 GMT; HttpOnly; Secure; SameSite=Strict"
	if got != want {
		t.Errorf("SetCookie(secure):\n got %s\nwant %s", got, want)
	}
	w = httptest.NewRecorder()
	SetCookie(w, sess, false)
	if got := w.Header().Get("Set-Cookie"); strings.Contains(got, "Secure") || !strings.Contains(got, "HttpOnly") || !strings.Contains(got, "SameSite=Strict") {
		t.Errorf("SetCookie(plain HTTP) = %s; want HttpOnly, SameSite=Strict, not Secure", got)
	}
	w = httptest.NewRecorder()
	ClearCookie(w, true)
	want = "vigie_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
	if got := w.Header().Get("Set-Cookie"); got != want {
		t.Errorf("ClearCookie:\n got %s\nwant %s", got, want)
	}
}

// Users, sessions and tokens survive a restart.
func TestPersistence(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleAnalyst)
	sess := e.login(t, "alice", pw)
	tok, info, err := e.svc.CreateToken(ctx, "alice", RoleViewer, 0, "grafana", adminWho)
	if err != nil {
		t.Fatal(err)
	}
	e.reopen(t)
	got, ok := e.svc.Session(withCookie("GET", sess.ID))
	if !ok || got.User != "alice" || got.Role != RoleAnalyst || !got.Created.Equal(sess.Created) || got.CSRF != sess.CSRF {
		t.Errorf("session after restart = %+v, %v; want %+v", got, ok, sess)
	}
	id, ok := e.svc.Identify(withAuth("Bearer " + tok))
	if !ok || id != (Identity{User: "alice", Role: RoleViewer, Via: "token", Remote: testRemote}) {
		t.Errorf("token after restart = %+v, %v", id, ok)
	}
	ts, err := e.svc.Tokens(ctx, "alice")
	if err != nil || len(ts) != 1 || ts[0].ID != info.ID || ts[0].Label != "grafana" || !ts[0].Active {
		t.Errorf("Tokens after restart = %+v, %v; want %+v", ts, err, info)
	}
	if _, err := e.svc.Login(ctx, "alice", pw, ""); err != nil {
		t.Errorf("login after restart: %v", err)
	}
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	if _, _, err := e.svc.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.svc.CreateUser(ctx, "bob", "bob's long password", RoleViewer, adminWho))
	must(e.svc.SetRole(ctx, "bob", RoleAnalyst, adminWho))
	must(e.svc.SetDisabled(ctx, "bob", true, adminWho))
	must(e.svc.SetDisabled(ctx, "bob", false, adminWho))
	temp, err := e.svc.ResetPassword(ctx, "bob", adminWho)
	must(err)
	_, err = e.svc.Login(ctx, "bob", "wrong password!!", "198.51.100.7:40000")
	if !errors.Is(err, ErrBadCredentials) {
		t.Fatal(err)
	}
	sess, err := e.svc.Login(ctx, "bob", temp, "198.51.100.7:40001")
	must(err)
	must(e.svc.ChangePassword(ctx, "bob", temp, "bob's new password"))
	_, info, err := e.svc.CreateToken(ctx, "bob", RoleViewer, time.Hour, "", adminWho)
	must(err)
	must(e.svc.RevokeToken(ctx, info.ID, Identity{User: "bob", Role: RoleAnalyst}))
	must(e.svc.Logout(ctx, sess.ID))

	type line struct{ actor, action, target, remote string }
	var got []line
	for _, a := range e.audit(t, "") {
		if !a.Time.Equal(e.clock.Now()) {
			t.Errorf("entry %d at %s, want the injected clock's %s", a.Seq, a.Time, e.clock.Now())
		}
		got = append(got, line{a.Actor, a.Action, a.Target, a.Remote})
	}
	want := []line{
		{"system", "user.create", "user/admin", ""},
		{"root", "user.create", "user/bob", ""},
		{"root", "user.role", "user/bob", ""},
		{"root", "user.disable", "user/bob", ""},
		{"root", "user.disable", "user/bob", ""},
		{"root", "user.reset", "user/bob", ""},
		{"bob", "login.failed", "user/bob", "198.51.100.7:40000"},
		{"bob", "login", "user/bob", "198.51.100.7:40001"},
		{"bob", "user.password", "user/bob", ""},
		{"root", "token.create", "token/" + info.ID, ""},
		{"bob", "token.revoke", "token/" + info.ID, ""},
		{"bob", "logout", "user/bob", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("audit log:\n got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit entry %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}
	role := e.audit(t, "user/bob")[1]
	if string(role.Detail) != `{"from":"viewer","to":"analyst"}` {
		t.Errorf("user.role detail = %s", role.Detail)
	}
	for _, a := range e.audit(t, "") {
		if strings.Contains(string(a.Detail), temp) || strings.Contains(string(a.Detail), "argon2") {
			t.Errorf("audit entry %d holds a password: %s", a.Seq, a.Detail)
		}
	}
}
