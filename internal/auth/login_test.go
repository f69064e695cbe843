package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEnsureAdminFirstRun(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw, created, err := e.svc.EnsureAdmin(ctx)
	if err != nil || !created || len(pw) != 24 {
		t.Fatalf("first EnsureAdmin = %q, %v, %v; want a new 24-character password", pw, created, err)
	}
	again, created, err := e.svc.EnsureAdmin(ctx)
	if err != nil || created || again != "" {
		t.Fatalf("second EnsureAdmin = %q, %v, %v; want nothing created", again, created, err)
	}
	sess := e.login(t, "Admin", pw)
	if !sess.MustChange || sess.Role != RoleAdmin || sess.User != "admin" {
		t.Fatalf("admin's first session = %+v; want user admin, role admin, MustChange", sess)
	}
	// Until the password is changed, the session may do nothing else.
	id, ok := e.svc.Identify(withCookie("GET", sess.ID))
	if !ok || id.Role != RoleNone || id.Via != "session" {
		t.Errorf("Identify(must-change session) = %+v, %v; want role none via session", id, ok)
	}
	if err := e.svc.ChangePassword(ctx, "admin", pw, "a much better passphrase"); err != nil {
		t.Fatal(err)
	}
	if e.sessionOK(sess.ID) {
		t.Error("the session opened before the password change still works")
	}
	sess = e.login(t, "admin", "a much better passphrase")
	id, ok = e.svc.Identify(withCookie("GET", sess.ID))
	if sess.MustChange || !ok || id != (Identity{User: "admin", Role: RoleAdmin, Via: "session", Remote: testRemote}) {
		t.Errorf("after the change: session %+v, Identify = %+v, %v; want an admin session", sess, id, ok)
	}
	if _, err := e.svc.Login(ctx, "admin", pw, ""); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("login with the first-run password after the change = %v, want ErrBadCredentials", err)
	}
}

func TestLoginWrongPasswordAndUnknownUser(t *testing.T) {
	ctx := context.Background()
	// The default cost, so that the timing comparison is meaningful.
	e := newEnv(t, Config{Argon2: DefaultArgon2(), LoginLimit: 100})
	e.user(t, "alice", RoleAnalyst)
	wrongErr := func() (error, time.Duration) {
		start := time.Now()
		_, err := e.svc.Login(ctx, "alice", "not her password", "198.51.100.1")
		return err, time.Since(start)
	}
	unknownErr := func() (error, time.Duration) {
		start := time.Now()
		_, err := e.svc.Login(ctx, "mallory", "not her password", "198.51.100.1")
		return err, time.Since(start)
	}
	var fastWrong, fastUnknown time.Duration
	for i := range 5 {
		ew, dw := wrongErr()
		eu, du := unknownErr()
		if !errors.Is(ew, ErrBadCredentials) || !errors.Is(eu, ErrBadCredentials) || ew.Error() != eu.Error() {
			t.Fatalf("wrong password: %v; unknown user: %v; want the same ErrBadCredentials", ew, eu)
		}
		if i == 0 || dw < fastWrong {
			fastWrong = dw
		}
		if i == 0 || du < fastUnknown {
			fastUnknown = du
		}
	}
	ratio := float64(fastUnknown) / float64(fastWrong)
	t.Logf("fastest of 5: wrong password %s, unknown user %s (ratio %.2f)", fastWrong, fastUnknown, ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Errorf("unknown user takes %s, wrong password %s: an attacker can tell them apart", fastUnknown, fastWrong)
	}
	if _, err := e.svc.Login(ctx, "alice", "alice password!", ""); err != nil {
		t.Errorf("right password: %v", err)
	}
}

func TestLoginRateLimitPerUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleAnalyst)
	bobPW := e.user(t, "bob", RoleAnalyst)
	for i := range 5 {
		remote := fmt.Sprintf("203.0.113.%d:4000", i+1) // a new address each time
		if _, err := e.svc.Login(ctx, "alice", "guess number "+fmt.Sprint(i), remote); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d = %v, want ErrBadCredentials", i+1, err)
		}
		e.clock.Advance(time.Minute)
	}
	// Five failures at 0..4 min; the 6th attempt at 5 min, from yet
	// another address and with the right password, waits until the
	// first failure leaves the 15-minute window: 10 minutes.
	_, err := e.svc.Login(ctx, "ALICE", pw, "203.0.113.99")
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) || rl.RetryAfter != 10*time.Minute {
		t.Fatalf("6th attempt = %v, want a RateLimitError with RetryAfter 10m", err)
	}
	// Another user is not affected.
	if _, err := e.svc.Login(ctx, "bob", bobPW, "203.0.113.99"); err != nil {
		t.Errorf("bob's login while alice is limited: %v", err)
	}
	e.clock.Advance(10*time.Minute - time.Second)
	if _, err := e.svc.Login(ctx, "alice", pw, "203.0.113.99"); !errors.Is(err, ErrRateLimited) {
		t.Errorf("a second before the window ends: %v, want ErrRateLimited", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.svc.Login(ctx, "alice", pw, "203.0.113.99"); err != nil {
		t.Errorf("once the first failure left the window: %v, want a session", err)
	}
	// The failure that reached the limit is audited as such; refused
	// attempts are not audited one by one.
	var failed, limited int
	for _, a := range e.audit(t, "user/alice") {
		if a.Action == "login.failed" {
			failed++
			if strings.Contains(string(a.Detail), `"limited":true`) {
				limited++
			}
		}
	}
	if failed != 5 || limited != 1 {
		t.Errorf("audit: %d login.failed, %d marked limited; want 5 and 1", failed, limited)
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	for _, n := range []string{"u1", "u2", "u3"} {
		e.user(t, n, RoleViewer)
	}
	carolPW := e.user(t, "carol", RoleViewer)
	// Five failures for five names (two unknown) from one IPv6 /64,
	// through different addresses and ports.
	for i, name := range []string{"u1", "u2", "u3", "nobody", "ghost"} {
		remote := fmt.Sprintf("[2001:db8:1:2::%x]:%d", i+1, 5000+i)
		if _, err := e.svc.Login(ctx, name, "wrong password here", remote); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d = %v", i+1, err)
		}
	}
	_, err := e.svc.Login(ctx, "carol", carolPW, "2001:db8:1:2::ffff")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("carol from the same /64 = %v, want ErrRateLimited", err)
	}
	if _, err := e.svc.Login(ctx, "carol", carolPW, "[2001:db8:1:3::1]:443"); err != nil {
		t.Errorf("carol from another /64 = %v, want a session", err)
	}
	if _, err := e.svc.Login(ctx, "u1", "u1 password!", "192.0.2.7:1"); err != nil {
		t.Errorf("u1 (one failure) from another address = %v, want a session", err)
	}
}

// A successful login starts the user's count afresh.
func TestLoginSuccessResetsUserCount(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleViewer)
	for round := range 2 {
		for i := range 4 {
			remote := fmt.Sprintf("192.0.2.%d", 10*round+i)
			if _, err := e.svc.Login(ctx, "alice", "typo typo typo", remote); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("round %d failure %d = %v", round, i, err)
			}
		}
		if _, err := e.svc.Login(ctx, "alice", pw, "192.0.2.200"); err != nil {
			t.Fatalf("round %d: right password after 4 failures = %v", round, err)
		}
	}
}

// Guesses sent at once cannot all pass the check before any fails.
func TestLoginConcurrentGuessesBounded(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	e.user(t, "alice", RoleViewer)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for i := range 40 {
		wg.Go(func() {
			_, err := e.svc.Login(ctx, "alice", fmt.Sprintf("guess %d guess", i), fmt.Sprintf("192.0.2.%d", i))
			kind := "other: " + fmt.Sprint(err)
			switch {
			case errors.Is(err, ErrRateLimited):
				kind = "limited"
			case errors.Is(err, ErrBadCredentials):
				kind = "checked"
			}
			mu.Lock()
			counts[kind]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts["checked"] != 5 || counts["limited"] != 35 || len(counts) != 2 {
		t.Errorf("40 concurrent guesses: %v; want 5 checked and 35 limited", counts)
	}
}

func TestLimiterBounded(t *testing.T) {
	l := newLimiter(5, time.Minute)
	now := time.Unix(1e9, 0)
	for i := range maxLimiterKeys + 50 {
		if _, ok := l.begin(fmt.Sprint("user", i), fmt.Sprint("addr", i), now.Add(time.Duration(i))); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if len(l.users) > maxLimiterKeys || len(l.remotes) > maxLimiterKeys {
		t.Errorf("limiter holds %d users and %d addresses, want at most %d each", len(l.users), len(l.remotes), maxLimiterKeys)
	}
	if _, ok := l.users["user0"]; ok {
		t.Error("the oldest key was kept, want it evicted")
	}
	if _, ok := l.users[fmt.Sprint("user", maxLimiterKeys+49)]; !ok {
		t.Error("the newest key was evicted")
	}
}

func TestRemoteKey(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := remoteKey(in); got != want {
			t.Errorf("remoteKey(%q) = %q, want %q", in, got, want)
		}
	}
	f("192.0.2.1:5555", "192.0.2.1")
	f("192.0.2.1", "192.0.2.1")
	f("[::ffff:192.0.2.1]:80", "192.0.2.1")
	f("[2001:db8::1]:80", "2001:db8::/64")
	f("2001:db8::abcd:1", "2001:db8::/64")
	f("[fe80::1%eth0]:22", "fe80::/64")
	f("", "")
	f("not-an-address", "not-an-address")
}

func TestDisabledUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleAnalyst)
	sess := e.login(t, "alice", pw)
	tok, _, err := e.svc.CreateToken(ctx, "alice", RoleAnalyst, 0, "", Identity{User: "alice", Role: RoleAnalyst})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetDisabled(ctx, "alice", true, adminWho); err != nil {
		t.Fatal(err)
	}
	if e.sessionOK(sess.ID) {
		t.Error("a disabled user's session works")
	}
	if _, ok := e.svc.Identify(withAuth("Bearer " + tok)); ok {
		t.Error("a disabled user's token works")
	}
	if _, err := e.svc.Login(ctx, "alice", pw, ""); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled, right password: %v, want ErrDisabled", err)
	}
	if _, err := e.svc.Login(ctx, "alice", "not the password", ""); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("disabled, wrong password: %v, want ErrBadCredentials (no hint the account exists)", err)
	}
	if err := e.svc.SetDisabled(ctx, "alice", false, adminWho); err != nil {
		t.Fatal(err)
	}
	if !e.sessionOK(sess.ID) {
		t.Error("re-enabled user's session still refused")
	}
}

func TestAdministrationRules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	analyst := Identity{User: "bob", Role: RoleAnalyst, Via: "session"}
	f := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s = %v, want %v", what, err, want)
		}
	}
	f("CreateUser by an analyst", e.svc.CreateUser(ctx, "eve", "long enough pw", RoleViewer, analyst), ErrForbidden)
	f("CreateUser weak", e.svc.CreateUser(ctx, "eve", "short", RoleViewer, adminWho), ErrWeakPassword)
	f("CreateUser bad name", e.svc.CreateUser(ctx, "eve smith", "long enough pw", RoleViewer, adminWho), ErrBadName)
	if err := e.svc.CreateUser(ctx, "Eve", "long enough pw", RoleViewer, adminWho); err != nil {
		t.Fatal(err)
	}
	f("CreateUser again", e.svc.CreateUser(ctx, "eve", "long enough pw", RoleViewer, adminWho), ErrExists)
	f("SetRole by an analyst", e.svc.SetRole(ctx, "eve", RoleAdmin, analyst), ErrForbidden)
	f("SetRole unknown", e.svc.SetRole(ctx, "zed", RoleAdmin, adminWho), ErrUnknownUser)
	f("SetDisabled unknown", e.svc.SetDisabled(ctx, "zed", true, adminWho), ErrUnknownUser)
	_, err := e.svc.ResetPassword(ctx, "eve", analyst)
	f("ResetPassword by an analyst", err, ErrForbidden)
	if err := e.svc.CreateUser(ctx, "none", "long enough pw", RoleNone, adminWho); err == nil {
		t.Error("CreateUser with role none succeeded")
	}
	// A user an admin created must change the password the admin chose.
	sess := e.login(t, "eve", "long enough pw")
	if !sess.MustChange {
		t.Error("a new user's first session does not require a password change")
	}
	f("ChangePassword wrong old", e.svc.ChangePassword(ctx, "eve", "wrong old password", "new long password"), ErrBadCredentials)
	f("ChangePassword same", e.svc.ChangePassword(ctx, "eve", "long enough pw", "long enough pw"), ErrWeakPassword)
	f("ChangePassword weak", e.svc.ChangePassword(ctx, "eve", "long enough pw", "tiny"), ErrWeakPassword)

	users, err := e.svc.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Name != "eve" || users[0].Role != RoleViewer || !users[0].MustChange || users[0].LastLogin.IsZero() {
		t.Errorf("Users = %+v, want eve, viewer, must change, logged in", users)
	}
	b, _ := json.Marshal(users)
	if strings.Contains(string(b), "argon2") {
		t.Errorf("Users exposes a hash: %s", b)
	}
}

func TestResetPassword(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleAnalyst)
	sess := e.login(t, "alice", pw)
	temp, err := e.svc.ResetPassword(ctx, "alice", adminWho)
	if err != nil || len(temp) != 24 {
		t.Fatalf("ResetPassword = %q, %v", temp, err)
	}
	if e.sessionOK(sess.ID) {
		t.Error("the session from before the reset still works")
	}
	if _, err := e.svc.Login(ctx, "alice", pw, ""); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password after reset: %v", err)
	}
	if s := e.login(t, "alice", temp); !s.MustChange {
		t.Error("after a reset, the session does not require a change")
	}
}

// EnsureUser leaves a user that already has its password and role alone,
// and resets one that does not.
func TestEnsureUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "demo", RoleAnalyst)
	sess := e.login(t, "demo", pw)
	if sess.MustChange {
		t.Error("EnsureUser's user must change the password")
	}
	e.user(t, "demo", RoleAnalyst)
	if !e.sessionOK(sess.ID) {
		t.Error("EnsureUser with the same password and role ended the session")
	}
	if err := e.svc.EnsureUser(ctx, "demo", "another password", RoleAnalyst); err != nil {
		t.Fatal(err)
	}
	if e.sessionOK(sess.ID) {
		t.Error("EnsureUser with another password left the old session working")
	}
	e.login(t, "demo", "another password")
}

// A hash at an older cost is rehashed at the configured one on login.
func TestLoginRehashes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleViewer)
	e.cfg.Argon2 = Argon2Params{Time: 2, MemoryKiB: 128, Threads: 1}
	e.reopen(t)
	e.login(t, "alice", pw)
	r, err := e.st.GetRecord(ctx, kindUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.Body), "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Errorf("stored user after login: %s; want the hash at m=128,t=2,p=1", r.Body)
	}
	e.login(t, "alice", pw)
}

func TestConfig(t *testing.T) {
	st := newEnv(t, Config{}).st
	if _, err := NewService(Config{LoginLimit: -1}, Deps{Records: st, Audit: st}); err == nil {
		t.Error("NewService accepted login_limit -1")
	}
	if _, err := NewService(Config{Argon2: Argon2Params{Time: 1, MemoryKiB: 4, Threads: 1}}, Deps{Records: st, Audit: st}); err == nil {
		t.Error("NewService accepted 4 KiB of argon2 memory")
	}
	if _, err := NewService(Config{}, Deps{Records: st}); err == nil {
		t.Error("NewService accepted no auditor")
	}
	var c Config
	c.setDefaults()
	if c.SessionTTL != 12*time.Hour || c.IdleTimeout != time.Hour || c.LoginLimit != 5 || c.LoginWindow != 15*time.Minute ||
		c.Argon2 != (Argon2Params{Time: 2, MemoryKiB: 19456, Threads: 1}) {
		t.Errorf("defaults = %+v", c)
	}
}

// Guessing the old password through ChangePassword is limited too.
func TestChangePasswordLimited(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleViewer)
	for i := range 5 {
		if err := e.svc.ChangePassword(ctx, "alice", fmt.Sprintf("guess %d of old", i), "the new password"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d = %v, want ErrBadCredentials", i, err)
		}
	}
	if err := e.svc.ChangePassword(ctx, "alice", pw, "the new password"); !errors.Is(err, ErrRateLimited) {
		t.Errorf("6th attempt = %v, want ErrRateLimited", err)
	}
	e.clock.Advance(15 * time.Minute)
	if err := e.svc.ChangePassword(ctx, "alice", pw, "the new password"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}
