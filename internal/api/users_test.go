package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
)

// TestUsersAPI manages users and tokens as an admin through the API, with
// the real user service: each refusal has its code, and a token made for
// an analyst is capped at the analyst's role.
func TestUsersAPI(t *testing.T) {
	e := newTriageEnv(t) // the admin token
	e.call(t, "POST", "/api/v1/users", `{"name":"bob","password":"correct horse battery","role":"analyst"}`, http.StatusCreated, nil)
	e.fail(t, "POST", "/api/v1/users", `{"name":"bob","password":"correct horse battery","role":"viewer"}`, http.StatusConflict, "exists")
	e.fail(t, "POST", "/api/v1/users", `{"name":"carol","password":"short","role":"viewer"}`, http.StatusBadRequest, "invalid_input")
	e.fail(t, "POST", "/api/v1/users", `{"name":"carol","password":"correct horse battery","role":"root"}`, http.StatusBadRequest, "bad_json")
	e.fail(t, "PATCH", "/api/v1/users/nobody", `{"role":"viewer"}`, http.StatusNotFound, "not_found")
	e.call(t, "PATCH", "/api/v1/users/bob", `{"role":"responder"}`, http.StatusNoContent, nil)
	var list struct{ Users []auth.UserInfo }
	e.call(t, "GET", "/api/v1/users", "", http.StatusOK, &list)
	found := false
	for _, u := range list.Users {
		if u.Name == "bob" {
			found = true
			if u.Role != auth.RoleResponder || !u.MustChange {
				t.Errorf("bob: %+v, want responder who must change the password", u)
			}
		}
	}
	if !found {
		t.Fatalf("bob not listed: %+v", list.Users)
	}
	var reset struct {
		Temporary string `json:"temporary_password"`
	}
	e.call(t, "POST", "/api/v1/users/bob/reset", "", http.StatusOK, &reset)
	if len(reset.Temporary) < auth.MinPasswordLen {
		t.Errorf("temporary password %q", reset.Temporary)
	}

	// A token for bob as analyst, shown once, listed without its secret,
	// then revoked.
	var tok api.TokenCreated
	e.call(t, "POST", "/api/v1/tokens", `{"owner":"bob","role":"analyst","duration":"1h","label":"script"}`, http.StatusCreated, &tok)
	if !strings.HasPrefix(tok.Token, "vigie_") || tok.Info.Owner != "bob" || tok.Info.Role != auth.RoleAnalyst || !tok.Info.Active {
		t.Errorf("token %+v", tok)
	}
	e.fail(t, "POST", "/api/v1/tokens", `{"owner":"bob","role":"analyst","duration":"forever"}`, http.StatusBadRequest, "bad_duration")
	e.call(t, "DELETE", "/api/v1/tokens/"+tok.Info.ID, "", http.StatusNoContent, nil)
	e.fail(t, "DELETE", "/api/v1/tokens/nope", "", http.StatusNotFound, "not_found")
	var tokens struct{ Tokens []auth.TokenInfo }
	body := e.call(t, "GET", "/api/v1/tokens?owner=bob", "", http.StatusOK, &tokens)
	if len(tokens.Tokens) != 1 || tokens.Tokens[0].Active || strings.Contains(body, tok.Token) {
		t.Errorf("bob's tokens after the revocation: %s", body)
	}
}
