package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/store"
)

// auditSeqRE finds the seq column of the audit page's rows.
var auditSeqRE = regexp.MustCompile(`<tr>\s*<td>(\d+)</td>`)

// auditSeqs returns the seqs a page shows, in page order, and the
// cursor of its "older" link (0 without one).
func auditSeqs(t *testing.T, body string) ([]int64, int64) {
	t.Helper()
	var seqs []int64
	for _, m := range auditSeqRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		seqs = append(seqs, n)
	}
	var older int64
	if m := regexp.MustCompile(`before=(\d+)">Older entries`).FindStringSubmatch(body); m != nil {
		older, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return seqs, older
}

// TestAuditPage appends 1,234 entries (on top of what setting up the
// test wrote) and reads them back through the page: newest first, 50 a
// page, every entry exactly once across pages; filters by actor and by
// target; links and escaping.
func TestAuditPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 1234
	t0 := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	var zed, inc7 []int64
	for i := range n {
		en := &store.AuditEntry{Time: t0.Add(time.Duration(i) * time.Second), Actor: "anna", Action: "incident.note",
			Target: fmt.Sprintf("incident/%d", e.incA), Remote: "192.0.2.1"}
		switch {
		case i%100 == 3: // sparse: 13 entries, one window of 500 apart at most
			en.Actor, en.Action, en.Target = "zed"+xss, "decision.create", "decision/9"
			en.Detail = []byte(`{"reason":"` + strings.ReplaceAll(xss, `"`, `\"`) + `","n":1}`)
		case i%7 == 0:
			en.Target = "incident/7"
		}
		if err := e.st.AppendAudit(ctx, en); err != nil {
			t.Fatal(err)
		}
		switch en.Target {
		case "decision/9":
			zed = append(zed, en.Seq)
		case "incident/7":
			inc7 = append(inc7, en.Seq)
		}
	}
	slices.Reverse(zed)
	slices.Reverse(inc7)

	c := e.login(t, auth.RoleAdmin)
	// Every entry, the logins of setting up and of c included.
	all, err := e.st.AuditLog(ctx, 0, store.MaxLimit, "")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, a := range all {
		seqs = append(seqs, a.Seq)
	}
	slices.Reverse(seqs)
	if len(seqs) < n {
		t.Fatalf("%d entries in the log, want at least %d", len(seqs), n)
	}
	// readAll follows the "older" links from path and returns every seq
	// shown, in order, and the number of pages.
	readAll := func(path string) ([]int64, int) {
		t.Helper()
		var got []int64
		pages := 0
		for next := path; next != ""; pages++ {
			if pages > 100 {
				t.Fatalf("%s: over 100 pages", path)
			}
			resp, body := c.get(next)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s", next, resp.Status)
			}
			s, older := auditSeqs(t, body)
			if len(s) > 50 {
				t.Errorf("GET %s: %d entries, want at most 50", next, len(s))
			}
			got = append(got, s...)
			next = ""
			if older != 0 {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				next = path + sep + "before=" + strconv.FormatInt(older, 10)
			}
		}
		return got, pages
	}
	got, pages := readAll("/ui/audit")
	if !slices.Equal(got, seqs) {
		t.Errorf("all pages: %d entries %v…, want %d newest first %v…", len(got), got[:min(5, len(got))], len(seqs), seqs[:5])
	}
	if want := (len(seqs) + 49) / 50; pages != want {
		t.Errorf("%d entries in %d pages, want %d", len(seqs), pages, want)
	}
	got, _ = readAll("/ui/audit?actor=" + strings.ReplaceAll("zed"+xss, "<", "%3C"))
	if !slices.Equal(got, zed) || len(zed) != 13 {
		t.Errorf("actor filter: %v, want %v", got, zed)
	}
	got, _ = readAll("/ui/audit?target=incident/7")
	if !slices.Equal(got, inc7) || len(inc7) != 175 /* i%7 == 0 but not i%100 == 3 */ {
		t.Errorf("target filter: %d entries, want %d (%v)", len(got), len(inc7), got)
	}
	got, _ = readAll("/ui/audit?target=incident/7&actor=zed")
	if len(got) != 0 {
		t.Errorf("target incident/7 and actor zed: %v, want none", got)
	}

	_, body := c.get("/ui/audit?target=decision/9")
	for _, want := range []string{
		`<a href="/ui/decisions?all=1#decision-9">decision/9</a>`,
		`zed&lt;script&gt;alert(1)&lt;/script&gt;`,
		"<details><summary>detail</summary><pre>{\n  &#34;reason&#34;: &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;,\n  &#34;n&#34;: 1\n}</pre></details>",
		"2026-04-01 08:20:03.000Z", // the newest zed entry, i=1203
	} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page of decision/9 lacks %q", want)
		}
	}
	if strings.Contains(body, xss) {
		t.Error("the audit page shows a stored script unescaped")
	}
	_, body = c.get(fmt.Sprintf("/ui/audit?target=incident/%d", e.incA))
	if !strings.Contains(body, fmt.Sprintf(`<a href="/ui/incidents/%d">incident/%d</a>`, e.incA, e.incA)) {
		t.Errorf("the incident target is not linked to its page")
	}
	for q, want := range map[string]int{"before=x": 400, "before=-3": 400, "target=" + strings.Repeat("a", 300): 400} {
		if resp, _ := c.get("/ui/audit?" + q); resp.StatusCode != want {
			t.Errorf("audit?%s: %s, want %d", q, resp.Status, want)
		}
	}
	// The menu offers the page to admins only.
	_, body = e.login(t, auth.RoleResponder).get("/ui/")
	if strings.Contains(body, `href="/ui/audit"`) {
		t.Error("a responder's menu links to the audit log")
	}
	if _, body = c.get("/ui/"); !strings.Contains(body, `href="/ui/audit"`) {
		t.Error("an admin's menu has no audit log")
	}
}
