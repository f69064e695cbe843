package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
)

// TestUsersAndRoles makes an analyst and an API token for her through the
// CLI, then acts with that token: the analyst may list incidents but not
// block an address, and a revoked token no longer works.
func TestUsersAndRoles(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	as := func(token string, args ...string) (string, error) {
		return runCLI(t, ctx, append(args, "--server", s.url, "--token", token)...)
	}
	if out, err := as(s.token, "users", "add", "alice", "--role", "analyst", "--password", "a long first password"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := as(s.token, "tokens", "create", "--owner", "alice", "--role", "analyst", "--label", "scripts", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var tok api.TokenCreated
	if err := json.Unmarshal([]byte(out), &tok); err != nil {
		t.Fatal(err)
	}
	if _, err := as(tok.Token, "incidents"); err != nil {
		t.Errorf("the analyst's token cannot list incidents: %v", err)
	}
	_, err = as(tok.Token, "decide", "block", "ip", "203.0.113.9")
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "responder") {
		t.Errorf("an analyst blocking an address: %v, want 403 naming the responder role", err)
	}
	if _, err := as(tok.Token, "users", "list"); err == nil {
		t.Error("an analyst listed the users")
	}
	if out, err := as(s.token, "tokens", "revoke", tok.Info.ID); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := as(tok.Token, "incidents"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a revoked token: %v, want 401", err)
	}
}
