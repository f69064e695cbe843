package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

// TestIngestToken checks that only admins make ingest tokens, that a
// token identifies as its source with no role, and that it stops working
// when revoked or past its expiry.
func TestIngestToken(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	analyst := Identity{User: "ann", Role: RoleAnalyst}
	if _, _, err := e.svc.CreateIngestToken(ctx, "dc01", 0, "", analyst); !errors.Is(err, ErrForbidden) {
		t.Errorf("an analyst made an ingest token: %v, want ErrForbidden", err)
	}
	for _, bad := range []string{"", "dc 01", "dc/01", "é", string(make([]byte, 65))} {
		if _, _, err := e.svc.CreateIngestToken(ctx, bad, 0, "", adminWho); !errors.Is(err, ErrInvalid) {
			t.Errorf("source name %q: %v, want ErrInvalid", bad, err)
		}
	}
	tok, info, err := e.svc.CreateIngestToken(ctx, "dc01", time.Hour, "domain controller", adminWho)
	if err != nil {
		t.Fatal(err)
	}
	identify := func() (Identity, bool) {
		r := httptest.NewRequest("POST", "/api/v1/events", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return e.svc.Identify(r)
	}
	who, ok := identify()
	if !ok || who.Source != "dc01" || who.Role != RoleNone || who.User != "ingest:dc01" || who.Via != "ingest-token" {
		t.Fatalf("Identify = %+v, %v; want the source dc01 with no role", who, ok)
	}
	e.clock.Advance(time.Hour)
	if _, ok := identify(); ok {
		t.Error("an expired ingest token still identifies")
	}
	tok2, info2, err := e.svc.CreateIngestToken(ctx, "dc01", time.Hour, "", adminWho)
	if err != nil {
		t.Fatal(err)
	}
	tok = tok2
	if _, ok := identify(); !ok {
		t.Fatal("a new ingest token does not identify")
	}
	if err := e.svc.RevokeIngestToken(ctx, info2.ID, adminWho); err != nil {
		t.Fatal(err)
	}
	if _, ok := identify(); ok {
		t.Error("a revoked ingest token still identifies")
	}
	list, err := e.svc.IngestTokens(ctx)
	if err != nil || len(list) != 2 || list[0].ID != info.ID || list[0].Active || list[1].Active {
		t.Errorf("IngestTokens = %+v, %v; want both, inactive", list, err)
	}
}
