package network

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// CrowdSec hub test cases whose logs are plain Apache, nginx or LiteSpeed
// access logs. For each, the source its scenario.assert expects in an
// overflow, or "" when it expects none.
//
// Left out: bunkerweb-http-sensitive-files and bunkerweb-http-path-traversal
// (BunkerWeb's "host ip - reqid -" prefix, not an NCSA access log),
// sympa_ww-http-scan (Sympa's syslog), envoy-* and zoraxy-* (their own
// formats), and the cases whose scenario is not about probing
// (http-dos-switching-ua, http-magento-bf, nginx-http-backdoor,
// nginx-http-malformed, nginx-http-open-proxy, nginx-http-sqli-probing,
// nginx-http-xss-probing, http-cve-probing: one request per known CVE,
// a handful of paths, which Vigie leaves to Sigma rules).
var probeCases = []struct {
	dir, want, title string
	why              string // where Vigie differs from CrowdSec's bucket
}{
	{"apache-http-probing", "172.17.0.1", "HTTP probing from IP", ""},
	{"apache2-http-sensitive-files", "172.17.0.1", "Sensitive file probing", ""},
	{"nginx-http-sensitive-files", "127.0.0.1", "Sensitive file probing", ""},
	{"litespeed-http-sensitive-files", "192.168.9.163", "Sensitive file probing", ""},
	// A trigger on one magic path, CrowdSec's installation test: one
	// request is no probing.
	{"http-generic-test", "", "", "CrowdSec alerts on one request to a test path; one 404 is not probing"},
}

func TestProbeCrowdSec(t *testing.T) {
	for _, c := range probeCases {
		t.Run(c.dir, func(t *testing.T) {
			recs := loadEvents(t, "crowdsec-tests/"+c.dir, "*.log")
			for _, r := range recs {
				if cat, _ := r.ev.Get(event.EventCategory); cat != "web" {
					t.Fatalf("%s: not a web access record: %s", r.ref, r.ev)
				}
			}
			fresh := func() behave.Detector { return NewProbe(ProbeConfig{}, behave.Limits{}) }
			got := run(fresh(), recs)
			t.Logf("%d records, findings:%s", len(recs), summary(got))
			if c.want == "" {
				if len(got) != 0 {
					t.Errorf("want no finding (%s)", c.why)
				}
				return
			}
			n := 0
			for _, f := range got {
				if src := entity(f, event.SourceIP); src != c.want {
					t.Errorf("source %s reported: %s", src, f.Title)
				}
				if f.Title == c.title {
					n++
				}
				if f.Why.Text == "" || len(f.Evidence) == 0 || len(f.Tags) == 0 {
					t.Errorf("%s: no explanation, evidence or tags: %+v", f.Title, f)
				}
			}
			if n != 1 {
				t.Errorf("%d findings %q, want 1 (one per source per quiet period)", n, c.title)
			}
			restarted := runWithRestart(t, fresh(), fresh, recs)
			if diff := cmp.Diff(got, restarted); diff != "" {
				t.Errorf("findings after a restart differ (-uninterrupted +restarted):\n%s", diff)
			}
		})
	}
}

func webEvent(at time.Time, src, path string, status int) *event.Event {
	return ev(at, event.EventCategory, "web", event.SourceIP, src, event.HTTPMethod, "GET",
		event.URLOriginal, path, "url.path", path, event.HTTPStatus, fmt.Sprint(status))
}

func TestProbeThresholds(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := func(name string, n int, spacing time.Duration, status int, path func(i int) string, want int, wantLevel string) {
		t.Helper()
		p := NewProbe(ProbeConfig{}, behave.Limits{})
		var got []behave.Finding
		for i := range n {
			got = append(got, p.Observe(webEvent(t0.Add(time.Duration(i)*spacing), "198.51.100.7", path(i), status), fmt.Sprint(i))...)
		}
		if len(got) != want {
			t.Errorf("%s: %d findings, want %d:%s", name, len(got), want, summary(got))
		}
		if want > 0 && len(got) > 0 && got[0].Level != wantLevel {
			t.Errorf("%s: level %s, want %s", name, got[0].Level, wantLevel)
		}
	}
	pages := func(i int) string { return fmt.Sprintf("/admin%d.php", i) }
	f("9 missing pages", 9, time.Second, 404, pages, 0, "")
	f("10 missing pages", 10, time.Second, 404, pages, 1, "medium")
	f("10 missing pages, slowly", 10, 7*time.Second, 404, pages, 0, "") // 63 s > 1 min
	f("10 pages found", 10, time.Second, 200, pages, 0, "")
	f("one page 10 times", 10, time.Second, 404, func(int) string { return "/x.php" }, 0, "")
	f("10 missing images", 10, time.Second, 404, func(i int) string { return fmt.Sprintf("/img/%d.png", i) }, 0, "")
	f("1000 missing pages: one finding an hour", 1000, time.Second, 404, pages, 1, "medium")
	secrets := []string{"/.env", "/.git/config", "/wp-config.php.bak", "/../../etc/passwd", "/.htpasswd"}
	f("2 sensitive files", 2, time.Second, 404, func(i int) string { return secrets[i] }, 0, "")
	f("3 sensitive files", 3, time.Second, 404, func(i int) string { return secrets[i] }, 1, "medium")
	f("3 sensitive files served", 3, time.Second, 200, func(i int) string { return secrets[i] }, 1, "high")
	f("wp-config.php itself", 3, time.Second, 200, func(int) string { return "/wp-config.php" }, 0, "")
}

func BenchmarkProbe(b *testing.B) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	evs := make([]*event.Event, 1000)
	for i := range evs {
		status := 200
		if i%3 == 0 {
			status = 404
		}
		evs[i] = webEvent(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("198.51.100.%d", i%50), fmt.Sprintf("/page/%d", i%200), status)
	}
	p := NewProbe(ProbeConfig{}, behave.Limits{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Observe(evs[i%len(evs)], "ref")
	}
}
