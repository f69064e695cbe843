package api_test

import (
	"fmt"
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

// TestAlertTriage acknowledges and dismisses alerts in bulk; the alert
// list shows their states and refused changes answer 400.
func TestAlertTriage(t *testing.T) {
	e := newTriageEnv(t)
	storeTriageData(t, e)
	var list api.AlertsResponse
	e.call(t, "GET", "/api/v1/alerts", "", http.StatusOK, &list)
	if len(list.Alerts) < 2 {
		t.Fatalf("%d alerts stored", len(list.Alerts))
	}
	a, b := list.Alerts[0].ID, list.Alerts[1].ID
	if list.Alerts[0].State == nil || list.Alerts[0].State.Status != "new" {
		t.Errorf("untriaged alert state %+v, want new", list.Alerts[0].State)
	}
	body := fmt.Sprintf(`{"ids":[%d,%d],"status":"acknowledged","assignee":"alice"}`, a, b)
	e.call(t, "PATCH", "/api/v1/alerts", body, http.StatusOK, nil)
	e.fail(t, "PATCH", "/api/v1/alerts", fmt.Sprintf(`{"ids":[%d],"status":"false_positive"}`, a), http.StatusBadRequest, "invalid_triage")
	e.call(t, "PATCH", "/api/v1/alerts", fmt.Sprintf(`{"ids":[%d],"status":"false_positive","reason":"test traffic"}`, b), http.StatusOK, nil)
	e.call(t, "GET", "/api/v1/alerts", "", http.StatusOK, &list)
	got := map[int64]string{}
	for _, al := range list.Alerts {
		got[int64(al.ID)] = al.State.Status + "/" + al.State.Assignee
	}
	if got[int64(a)] != "acknowledged/alice" || got[int64(b)] != "false_positive/alice" {
		t.Errorf("states after triage: %v", got)
	}
}
