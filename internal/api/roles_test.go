package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/auth"
)

// roleAuth accepts the bearer tokens "viewer", "analyst", "responder"
// and "admin", each as a user of that role.
type roleAuth struct{}

func (roleAuth) Identify(r *http.Request) (auth.Identity, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return auth.Identity{}, false
	}
	role, err := auth.ParseRole(tok)
	if err != nil {
		return auth.Identity{}, false
	}
	return auth.Identity{User: "u-" + tok, Role: role, Via: "token"}, true
}

// TestRouteRoles walks every API route with every role: below the
// route's role the answer is 403 and nothing is done, at or above it the
// request gets past the role check. The table is the access policy; a
// route added to the API without a line here fails the last check.
func TestRouteRoles(t *testing.T) {
	e := newTriageEnvAuth(t, roleAuth{})
	viewer, analyst, responder, admin := auth.RoleViewer, auth.RoleAnalyst, auth.RoleResponder, auth.RoleAdmin
	table := []struct {
		method, path string
		min          auth.Role
	}{
		{"GET", "/api/v1/events", viewer},
		{"GET", "/api/v1/events/1", viewer},
		{"POST", "/api/v1/events", analyst},
		{"GET", "/api/v1/alerts", viewer},
		{"GET", "/api/v1/sources", viewer},
		{"GET", "/metrics", viewer},
		{"GET", "/api/v1/incidents", viewer},
		{"GET", "/api/v1/incidents/1", viewer},
		{"PATCH", "/api/v1/incidents/1", analyst},
		{"POST", "/api/v1/incidents/1/notes", analyst},
		{"POST", "/api/v1/incidents/1/merge", analyst},
		{"POST", "/api/v1/incidents/1/split", analyst},
		{"POST", "/api/v1/incidents/1/alerts", analyst},
		{"GET", "/api/v1/incidents/1/timeline", viewer},
		{"GET", "/api/v1/incidents/1/scope", viewer},
		{"GET", "/api/v1/entities/user.name/alice", viewer},
		{"GET", "/api/v1/audit", admin},
		{"POST", "/api/v1/hunts", analyst},
		{"GET", "/api/v1/hunts", viewer},
		{"GET", "/api/v1/hunts/1", viewer},
		{"DELETE", "/api/v1/hunts/1", analyst},
		{"POST", "/api/v1/intel?source=x.csv", analyst},
		{"GET", "/api/v1/intel", viewer},
		{"DELETE", "/api/v1/intel/x", analyst},
		{"POST", "/api/v1/decisions", responder},
		{"GET", "/api/v1/decisions", viewer},
		{"GET", "/api/v1/decisions/1", viewer},
		{"DELETE", "/api/v1/decisions/1", responder},
		{"POST", "/api/v1/bouncers", admin},
		{"GET", "/api/v1/bouncers", admin},
		{"DELETE", "/api/v1/bouncers/x", admin},
		{"PATCH", "/api/v1/alerts", analyst},
		{"GET", "/api/v1/rules", viewer},
		{"GET", "/api/v1/users", admin},
		{"POST", "/api/v1/users", admin},
		{"PATCH", "/api/v1/users/bob", admin},
		{"POST", "/api/v1/users/bob/reset", admin},
		{"GET", "/api/v1/tokens", viewer},
		{"POST", "/api/v1/tokens", viewer},
		{"DELETE", "/api/v1/tokens/x", viewer},
		{"GET", "/api/v1/incidents/1/export", analyst},
		{"GET", "/api/v1/checkpoints", viewer},
		{"POST", "/api/v1/checkpoints", analyst},
		{"GET", "/api/v1/proofs/inclusion?leaf=0", viewer},
		{"GET", "/api/v1/proofs/consistency?from=1&to=1", viewer},
		{"GET", "/api/v1/ingest-tokens", admin},
		{"POST", "/api/v1/ingest-tokens", admin},
		{"DELETE", "/api/v1/ingest-tokens/x", admin},
		{"GET", "/api/v1/settings/notify/targets", admin},
		{"POST", "/api/v1/settings/notify/targets", admin},
		{"GET", "/api/v1/settings/notify/targets/x", admin},
		{"PUT", "/api/v1/settings/notify/targets/x", admin},
		{"DELETE", "/api/v1/settings/notify/targets/x", admin},
		{"POST", "/api/v1/settings/notify/targets/x/test", admin},
		{"GET", "/api/v1/settings/respond/policies", admin},
		{"POST", "/api/v1/settings/respond/policies", admin},
		{"GET", "/api/v1/settings/respond/policies/x", admin},
		{"PUT", "/api/v1/settings/respond/policies/x", admin},
		{"DELETE", "/api/v1/settings/respond/policies/x", admin},
		{"POST", "/_bulk", analyst},
		{"GET", "/api/v1/nothing-here", viewer},
	}
	for _, rt := range table {
		for _, role := range []auth.Role{viewer, analyst, responder, admin} {
			t.Run(fmt.Sprintf("%s %s as %s", rt.method, rt.path, role), func(t *testing.T) {
				req, err := http.NewRequest(rt.method, e.srv.URL+rt.path, strings.NewReader("{}"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+role.String())
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				switch {
				case !role.Allows(rt.min) && resp.StatusCode != http.StatusForbidden:
					t.Errorf("answered %d, want 403: the route needs %s", resp.StatusCode, rt.min)
				case role.Allows(rt.min) && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized):
					t.Errorf("answered %d to a %s; the route needs only %s", resp.StatusCode, role, rt.min)
				}
			})
		}
	}
	// Nothing a refused request asked for was done: the audit log holds
	// only the actions of roles that were allowed them.
	entries, err := e.st.AuditLog(context.Background(), 0, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Actor == "u-viewer" {
			t.Errorf("a viewer's request was done: %s %s", en.Action, en.Target)
		}
	}
}
