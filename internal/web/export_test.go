package web_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
)

// TestExportFromIncidentPage downloads alice's incident as a case bundle
// from its page as an analyst: the file verifies offline with the
// instance's key and holds the incident's two alerts. A viewer sees no
// export form and is refused; a post without CSRF is refused; an unknown
// format is shown next to the form.
func TestExportFromIncidentPage(t *testing.T) {
	e := newEnv(t)
	page := "/ui/incidents/" + strconv.FormatInt(e.incA, 10)
	analyst := e.login(t, auth.RoleAnalyst)
	if _, body := analyst.get(page); !strings.Contains(body, `id="export-form"`) {
		t.Fatal("the analyst's incident page has no export form")
	}
	for _, format := range []string{"tar.gz", "zip"} {
		resp, body := analyst.postCSRF(page+"/export", url.Values{"format": {format}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export as %s: %s %.300s", format, resp.Status, body)
		}
		path := filepath.Join(t.TempDir(), "case."+format)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := bundle.Verify(path, e.key.Public(), bundle.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || !rep.Trusted || rep.Alerts != 2 {
			t.Errorf("bundle as %s: OK %v, trusted %v, %d alerts (want 2):\n%s", format, rep.OK(), rep.Trusted, rep.Alerts, rep)
		}
	}
	resp, body := analyst.postCSRF(page+"/export", url.Values{"format": {"<b>rar</b>"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="export-error"`) || strings.Contains(body, "<b>rar") {
		t.Errorf("unknown format: %s, want 400 with the escaped error next to the form", resp.Status)
	}
	if resp, _ := analyst.post(page+"/export", url.Values{"format": {"zip"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("export without CSRF: %s, want 403", resp.Status)
	}
	viewer := e.login(t, auth.RoleViewer)
	if _, body := viewer.get(page); strings.Contains(body, `id="export-form"`) {
		t.Error("a viewer sees the export form")
	}
	if resp, _ := viewer.postCSRF(page+"/export", url.Values{"format": {"zip"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("export by a viewer: %s, want 403", resp.Status)
	}
}

// TestIngestTokensPage makes a source's ingest token on the settings page
// as an admin: it is shown once, listed without its secret, refused with
// a message for a bad source name, revoked, and audited with the admin's
// address.
func TestIngestTokensPage(t *testing.T) {
	e := newEnv(t)
	admin := e.login(t, auth.RoleAdmin)
	if _, body := admin.get("/ui/settings"); !strings.Contains(body, `id="ingest-form"`) {
		t.Fatal("no ingest token form on the settings page")
	}
	resp, body := admin.postCSRF("/ui/settings/ingest-tokens", url.Values{"source": {"dc01"}, "ttl": {"24h"}, "label": {"<i>DC01</i>"}})
	m := regexp.MustCompile(`vigie_[0-9a-f]{64}`).FindString(body)
	if resp.StatusCode != http.StatusOK || m == "" || strings.Contains(body, "<i>DC01") {
		t.Fatalf("create: %s; token shown %q; label escaped: %v", resp.Status, m, !strings.Contains(body, "<i>DC01"))
	}
	if _, body := admin.get("/ui/settings"); strings.Contains(body, m) || !strings.Contains(body, "dc01") {
		t.Error("the settings page shows the token again, or not its source")
	}
	resp, body = admin.postCSRF("/ui/settings/ingest-tokens", url.Values{"source": {"dc 01"}, "ttl": {"24h"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="ingest-error"`) {
		t.Errorf("a bad source name: %s, want 400 with the error on the page", resp.Status)
	}
	list, err := e.auth.IngestTokens(t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("IngestTokens = %v, %v", list, err)
	}
	if resp, _ := admin.postCSRF("/ui/settings/ingest-tokens/"+list[0].ID+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: %s", resp.Status)
	}
	if list, _ = e.auth.IngestTokens(t.Context()); list[0].Active {
		t.Error("the token is still active after its revocation")
	}
	entries, err := e.st.AuditLog(t.Context(), 0, 0, "ingest-token/"+list[0].ID)
	if err != nil || len(entries) != 2 || entries[0].Actor != users[auth.RoleAdmin] || entries[0].Remote == "" {
		t.Errorf("audit of the token: %+v, %v; want creation and revocation by the admin with an address", entries, err)
	}
	analyst := e.login(t, auth.RoleAnalyst)
	if resp, _ := analyst.postCSRF("/ui/settings/ingest-tokens", url.Values{"source": {"x"}, "ttl": {"1h"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst making an ingest token: %s, want 403", resp.Status)
	}
}
