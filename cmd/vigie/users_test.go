package main

import (
	"context"
	"encoding/json"
	"net/http"
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

// TestRuleSwitch turns a bundled rule off and on through the API: the
// rule list live detection reports follows, and both changes are
// audited with who made them.
func TestRuleSwitch(t *testing.T) {
	s := startServer(t, t.TempDir(), "--rules", "../../rules")
	const bruteForce = "06288e4b-00b8-4ff9-8c60-688ef44cb6bb"
	status := func() string {
		t.Helper()
		resp, body := s.do(t, "GET", "/api/v1/rules", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("rules: %s %s", resp.Status, body)
		}
		var rules api.RulesResponse
		if err := json.Unmarshal(body, &rules); err != nil {
			t.Fatal(err)
		}
		for _, r := range rules.Rules {
			if r.ID == bruteForce {
				return string(r.Status)
			}
		}
		return "absent"
	}
	if got := status(); got != "ok" {
		t.Fatalf("brute-force rule %s before, want ok", got)
	}
	if resp, body := s.do(t, "POST", "/api/v1/rules/"+bruteForce+"/disable", nil); resp.StatusCode != 204 {
		t.Fatalf("disable: %s %s", resp.Status, body)
	}
	if got := status(); got != "disabled" {
		t.Errorf("after disable: %s", got)
	}
	if resp, _ := s.do(t, "POST", "/api/v1/rules/no-such-rule/disable", nil); resp.StatusCode != 400 {
		t.Errorf("disabling an unknown rule: %s, want 400", resp.Status)
	}
	if resp, body := s.do(t, "POST", "/api/v1/rules/"+bruteForce+"/enable", nil); resp.StatusCode != 204 {
		t.Fatalf("enable: %s %s", resp.Status, body)
	}
	if got := status(); got != "ok" {
		t.Errorf("after enable: %s", got)
	}
	resp, body := s.do(t, "GET", "/api/v1/audit?target=rule/"+bruteForce, nil)
	var audit api.AuditResponse
	if resp.StatusCode != 200 || json.Unmarshal(body, &audit) != nil || len(audit.Entries) != 2 ||
		audit.Entries[0].Action != "rule.disable" || audit.Entries[1].Action != "rule.enable" || audit.Entries[0].Actor != "admin" {
		t.Errorf("audit of the rule: %s", body)
	}
}

// TestIngestTokenCLI makes a source's ingest token with the CLI and ships
// an event with it through vigie serve: the event is stored under the
// token's source, and the token cannot read.
func TestIngestTokenCLI(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := runCLI(t, ctx, "ingest-tokens", "create", "fw-edge", "--label", "edge firewall", "--json", "--server", s.url, "--token", s.token)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var tok api.IngestTokenCreated
	if err := json.Unmarshal([]byte(out), &tok); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, ctx, "ingest-tokens", "create", "edge firewall", "--server", s.url, "--token", s.token); err == nil {
		t.Error("a source name with a space was accepted")
	}
	post := func(method, path, body string) int {
		req, err := http.NewRequestWithContext(ctx, method, s.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("POST", "/api/v1/events?source=dc01", `{"message":"deny tcp from 198.51.100.7"}`+"\n"); code/100 != 2 {
		t.Fatalf("shipping with the ingest token: %d", code)
	}
	if code := post("GET", "/api/v1/events", ""); code != http.StatusForbidden {
		t.Errorf("searching with the ingest token: %d, want 403", code)
	}
	out, err = runCLI(t, ctx, "search", "--server", s.url, "--token", s.token, "--json", "198.51.100.7")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, `http/fw-edge`) || strings.Contains(out, "http/dc01") {
		t.Errorf("search output does not show the event under http/fw-edge:\n%s", out)
	}
}
