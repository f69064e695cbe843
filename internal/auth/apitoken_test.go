package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func TestTokenForms(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	e.user(t, "alice", RoleAnalyst)
	tok, info, err := e.svc.CreateToken(ctx, "alice", RoleAnalyst, 0, "filebeat", adminWho)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 70 || tok[:6] != "vigie_" || len(info.ID) != 16 || !info.Expires.Equal(e.clock.Now().Add(DefaultTokenTTL)) ||
		info.CreatedBy != "root" || !info.Active {
		t.Fatalf("CreateToken = %q, %+v", tok, info)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	alice := Identity{User: "alice", Role: RoleAnalyst, Via: "token", Remote: testRemote}
	admin := Identity{User: "admin", Role: RoleAdmin, Via: "admin-token", Remote: testRemote}
	f := func(header string, want Identity, wantOK bool) {
		t.Helper()
		got, ok := e.svc.Identify(withAuth(header))
		if ok != wantOK || got != want {
			t.Errorf("Identify(Authorization: %s) = %+v, %v; want %+v, %v", header, got, ok, want, wantOK)
		}
	}
	f("Bearer "+tok, alice, true)
	f("Basic "+b64("filebeat:"+tok), alice, true)
	f("ApiKey "+b64(info.ID+":"+tok), alice, true)
	f("ApiKey "+b64(tok), alice, true)
	f("Bearer "+adminToken, admin, true)
	f("Basic "+b64("x:"+adminToken), admin, true)
	last := "0"
	if tok[69] == '0' {
		last = "1"
	}
	f("Bearer "+tok[:69]+last, Identity{}, false)
	f("Bearer "+info.ID, Identity{}, false)
	f("Bearer ", Identity{}, false)
	f("Token "+tok, Identity{}, false)
}

func TestTokenRoleCapped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	e.user(t, "alice", RoleAnalyst)
	aliceWho := Identity{User: "alice", Role: RoleAnalyst, Via: "session"}
	if _, _, err := e.svc.CreateToken(ctx, "alice", RoleResponder, 0, "", adminWho); !errors.Is(err, ErrForbidden) {
		t.Errorf("a responder token for an analyst: %v, want ErrForbidden", err)
	}
	if _, _, err := e.svc.CreateToken(ctx, "bob", RoleViewer, 0, "", aliceWho); !errors.Is(err, ErrForbidden) {
		t.Errorf("alice making a token for bob: %v, want ErrForbidden", err)
	}
	analystTok, _, err := e.svc.CreateToken(ctx, "alice", RoleAnalyst, 0, "", aliceWho)
	if err != nil {
		t.Fatal(err)
	}
	viewerTok, _, err := e.svc.CreateToken(ctx, "alice", RoleViewer, 0, "", aliceWho)
	if err != nil {
		t.Fatal(err)
	}
	// A viewer token cannot mint an analyst one.
	viewerWho, _ := e.svc.Identify(withAuth("Bearer " + viewerTok))
	if _, _, err := e.svc.CreateToken(ctx, "alice", RoleAnalyst, 0, "", viewerWho); !errors.Is(err, ErrForbidden) {
		t.Errorf("a viewer token making an analyst token: %v, want ErrForbidden", err)
	}
	role := func(tok string) Role {
		t.Helper()
		id, ok := e.svc.Identify(withAuth("Bearer " + tok))
		if !ok {
			return RoleNone
		}
		return id.Role
	}
	f := func(userRole, wantAnalystTok, wantViewerTok Role) {
		t.Helper()
		if err := e.svc.SetRole(ctx, "alice", userRole, adminWho); err != nil {
			t.Fatal(err)
		}
		if a, v := role(analystTok), role(viewerTok); a != wantAnalystTok || v != wantViewerTok {
			t.Errorf("alice %s: analyst token acts as %s, viewer token as %s; want %s and %s", userRole, a, v, wantAnalystTok, wantViewerTok)
		}
	}
	f(RoleViewer, RoleViewer, RoleViewer)
	f(RoleAdmin, RoleAnalyst, RoleViewer)
	f(RoleAnalyst, RoleAnalyst, RoleViewer)
}

func TestTokenEnds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	pw := e.user(t, "alice", RoleAnalyst)
	e.user(t, "bob", RoleAnalyst)
	aliceWho := Identity{User: "alice", Role: RoleAnalyst, Via: "session"}
	works := func(tok string) bool {
		_, ok := e.svc.Identify(withAuth("Bearer " + tok))
		return ok
	}
	short, shortInfo, err := e.svc.CreateToken(ctx, "alice", RoleViewer, time.Hour, "short", aliceWho)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second) // Tokens lists oldest first
	revoked, revokedInfo, err := e.svc.CreateToken(ctx, "alice", RoleViewer, 0, "revoked", aliceWho)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	kept, _, err := e.svc.CreateToken(ctx, "alice", RoleViewer, 0, "kept", aliceWho)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CreateToken(ctx, "bob", RoleViewer, 0, "bob's", adminWho); err != nil {
		t.Fatal(err)
	}
	// Revocation: only the owner or an admin; unknown IDs are errors.
	if err := e.svc.RevokeToken(ctx, revokedInfo.ID, Identity{User: "bob", Role: RoleResponder}); !errors.Is(err, ErrForbidden) {
		t.Errorf("bob revoking alice's token: %v, want ErrForbidden", err)
	}
	if err := e.svc.RevokeToken(ctx, "0000000000000000", adminWho); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("revoking an unknown token: %v, want ErrUnknownToken", err)
	}
	if err := e.svc.RevokeToken(ctx, revokedInfo.ID, aliceWho); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour - 2*time.Second)
	if works(short) || works(revoked) || !works(kept) {
		t.Errorf("after an hour and a revocation: expired works %v, revoked works %v, kept works %v; want false, false, true",
			works(short), works(revoked), works(kept))
	}
	ts, err := e.svc.Tokens(ctx, "alice")
	if err != nil || len(ts) != 3 {
		t.Fatalf("Tokens(alice) = %+v, %v", ts, err)
	}
	if ts[0].ID != shortInfo.ID || ts[0].Active || ts[1].Revoked.IsZero() || ts[1].Active || !ts[2].Active {
		t.Errorf("Tokens(alice) = %+v; want short expired, revoked, kept active", ts)
	}
	if all, err := e.svc.Tokens(ctx, ""); err != nil || len(all) != 4 {
		t.Errorf("Tokens(all) = %d, %v; want 4", len(all), err)
	}
	// A password change ends every token issued before it.
	if err := e.svc.ChangePassword(ctx, "alice", pw, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if works(kept) {
		t.Error("a token issued before the password change still works")
	}
	fresh, _, err := e.svc.CreateToken(ctx, "alice", RoleViewer, 0, "", aliceWho)
	if err != nil || !works(fresh) {
		t.Errorf("a token issued after the change: %v, works %v", err, works(fresh))
	}
	// Bad lifetimes and labels.
	for _, ttl := range []time.Duration{-time.Hour, time.Second, 3 * 365 * 24 * time.Hour} {
		if _, _, err := e.svc.CreateToken(ctx, "alice", RoleViewer, ttl, "", aliceWho); err == nil {
			t.Errorf("CreateToken with ttl %s succeeded", ttl)
		}
	}
	if _, _, err := e.svc.CreateToken(ctx, "alice", RoleViewer, 0, "line\nbreak", aliceWho); err == nil {
		t.Error("CreateToken with a control character in the label succeeded")
	}
}
