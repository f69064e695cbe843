package web_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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
