package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/auth"
)

func TestRulesPage(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	_, body := c.get("/ui/rules")
	// ssh-brute is loaded and has one stored alert; odd-rule is not
	// evaluated, with the reason.
	if !strings.Contains(body, `<a href="/ui/alerts?rule=ssh-brute">1</a>`) {
		t.Errorf("the rules page does not count ssh-brute's one alert:\n%s", body)
	}
	i := strings.Index(body, "odd-rule")
	if i < 0 {
		t.Fatal("the unsupported rule is not listed")
	}
	row := body[i:min(len(body), i+400)]
	if !strings.Contains(row, "<td>unsupported</td><td>search &#34;selection&#34;: field &#34;message&#34;: regular expression uses a lookbehind") {
		t.Errorf("odd-rule's row does not say it is not evaluated: %s", row)
	}
}

func TestAlertsQueue(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	for _, tc := range []struct {
		query      string
		want, not  []string
		wantStatus int
	}{
		{"", []string{"rule ssh-brute", "rule sudo-root", "rule odd-login"}, nil, http.StatusOK},
		{"level=medium", []string{"rule ssh-brute", "rule sudo-root"}, []string{"rule odd-login"}, http.StatusOK},
		{"rule=odd-login", []string{"rule odd-login"}, []string{"rule ssh-brute"}, http.StatusOK},
		{"field=user.name&value=bob", []string{"rule odd-login"}, []string{"rule sudo-root"}, http.StatusOK},
		{"field=host.name&value=WEB01", []string{"rule ssh-brute", "rule sudo-root"}, []string{"rule odd-login"}, http.StatusOK},
		{"level=severe", []string{"Unknown level"}, nil, http.StatusBadRequest},
		{"field=file.path&value=x", []string{"Entities are searched by"}, nil, http.StatusBadRequest},
	} {
		resp, body := c.get("/ui/alerts?" + tc.query)
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("alerts?%s: %s, want %d", tc.query, resp.Status, tc.wantStatus)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("alerts?%s lacks %q", tc.query, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(body, n) {
				t.Errorf("alerts?%s has %q", tc.query, n)
			}
		}
	}
	_, body := c.get("/ui/alerts?rule=odd-login")
	if !strings.Contains(body, fmt.Sprintf(`<a href="/ui/incidents/%d">%d</a>`, e.incB, e.incB)) {
		t.Errorf("the alert does not link to its incident %d", e.incB)
	}
}

func TestEntityPage(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleViewer)
	resp, body := c.get("/ui/entity/user.name/alice")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("entity page: %s", resp.Status)
	}
	for _, want := range []string{fmt.Sprintf(`href="/ui/incidents/%d"`, e.incA), "rule ssh-brute", "<dd>2</dd>", "198.51.100.5"} {
		if !strings.Contains(body, want) {
			t.Errorf("alice's page lacks %q", want)
		}
	}
	resp, _ = c.get("/ui/entity/file.path/x")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("entity page of a field that is not an entity: %s, want 404", resp.Status)
	}
	// A value with a slash is one path segment, escaped.
	resp, _ = c.get("/ui/entity/user.name/" + url.PathEscape(`CORP/alice`))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("entity with a slash: %s", resp.Status)
	}
}

func TestLive(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, auth.RoleAnalyst)
	read := func() map[string]any {
		t.Helper()
		resp, body := c.get("/ui/live")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("live: %s %s", resp.Status, resp.Header.Get("Content-Type"))
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := read()
	if before["open_incidents"] != 2.0 || before["alerts"] != 3.0 {
		t.Errorf("live %v, want 2 open incidents and 3 alerts", before)
	}
	c.postCSRF(fmt.Sprintf("/ui/incidents/%d/notes", e.incA), url.Values{"text": {"changes the version"}})
	after := read()
	if after["version"] == before["version"] {
		t.Errorf("the live version did not change with a note: %v", after["version"])
	}
}
