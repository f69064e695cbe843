package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/store"
)

// authFunc adapts a function to api.Authenticator.
type authFunc func(r *http.Request) (auth.Identity, bool)

func (f authFunc) Identify(r *http.Request) (auth.Identity, bool) { return f(r) }

// TestIngestTokens makes an ingest token for a source through the API and
// ships with it: its events are named after its source whatever the
// request claims, it can do nothing but send events, and once revoked it
// is refused.
func TestIngestTokens(t *testing.T) {
	var users *auth.Service
	admin := auth.NewAuthenticator(token)
	e := newTriageEnvAuth(t, authFunc(func(r *http.Request) (auth.Identity, bool) {
		if who, ok := admin.Identify(r); ok {
			return who, true
		}
		return users.Identify(r)
	}))
	users = e.users

	var created api.IngestTokenCreated
	e.call(t, "POST", "/api/v1/ingest-tokens", `{"source":"fw-edge","duration":"24h","label":"edge firewall"}`, http.StatusCreated, &created)
	if created.Token == "" || created.Info.Source != "fw-edge" || !created.Info.Active {
		t.Fatalf("created %+v", created)
	}
	e.fail(t, "POST", "/api/v1/ingest-tokens", `{"source":"edge firewall"}`, http.StatusBadRequest, "invalid_input")
	e.fail(t, "POST", "/api/v1/ingest-tokens", `{"source":"fw","duration":"1s"}`, http.StatusBadRequest, "invalid_input")

	send := func(method, path, body string, header ...string) int {
		t.Helper()
		req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+created.Token)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send("POST", "/api/v1/events?source=spoofed", `{"message":"deny tcp 198.51.100.7"}`+"\n", "X-Vigie-Source", "dc01"); code/100 != 2 {
		t.Fatalf("POST /api/v1/events with an ingest token: %d", code)
	}
	bulkBody := `{"index":{"_index":"winlogbeat"}}` + "\n" + `{"message":"bulk line"}` + "\n"
	if code := send("POST", "/_bulk", bulkBody, "Content-Type", "application/x-ndjson"); code != http.StatusOK {
		t.Fatalf("POST /_bulk with an ingest token: %d", code)
	}
	for _, path := range []string{"/api/v1/events", "/api/v1/incidents", "/api/v1/ingest-tokens"} {
		if code := send("GET", path, ""); code != http.StatusForbidden {
			t.Errorf("GET %s with an ingest token: %d, want 403", path, code)
		}
	}
	events, err := e.st.Search(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, ev := range events {
		sources = append(sources, string(ev.Source))
	}
	slices.Sort(sources)
	if want := []string{"bulk/fw-edge", "http/fw-edge"}; !slices.Equal(sources, want) {
		t.Errorf("stored sources %v, want %v: an ingest token's events carry its source", sources, want)
	}

	var list struct {
		IngestTokens []auth.IngestToken `json:"ingest_tokens"`
	}
	body := e.call(t, "GET", "/api/v1/ingest-tokens", "", http.StatusOK, &list)
	if len(list.IngestTokens) != 1 || strings.Contains(body, created.Token) {
		t.Errorf("list: %s", body)
	}
	e.call(t, "DELETE", "/api/v1/ingest-tokens/"+created.Info.ID, "", http.StatusNoContent, nil)
	e.fail(t, "DELETE", "/api/v1/ingest-tokens/nope", "", http.StatusNotFound, "not_found")
	if code := send("POST", "/api/v1/events", `{"message":"after revoke"}`+"\n"); code != http.StatusUnauthorized {
		t.Errorf("POST with a revoked ingest token: %d, want 401", code)
	}
	var created2, revoked bool
	for _, a := range e.audit(t, "ingest-token/"+created.Info.ID) {
		created2 = created2 || a.Action == "ingest-token.create" && a.Remote != ""
		revoked = revoked || a.Action == "ingest-token.revoke"
	}
	if !created2 || !revoked {
		t.Errorf("audit log lacks the creation (with the remote address) or the revocation of the token")
	}
}
