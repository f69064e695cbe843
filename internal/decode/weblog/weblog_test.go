package weblog

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// fields returns the event's fields as name=value strings, in order.
func fields(e *event.Event) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name+"="+f.Value)
	}
	return out
}

func TestDecodeLine(t *testing.T) {
	f := func(line string, wantTime time.Time, want ...string) {
		t.Helper()
		e := event.Event{}
		if err := DecodeLine([]byte(line), &e); err != nil {
			t.Fatalf("DecodeLine(%q): %v", line, err)
		}
		e.Sort()
		if diff := cmp.Diff(want, fields(&e)); diff != "" {
			t.Errorf("DecodeLine(%q) fields (-want +got):\n%s", line, diff)
		}
		if !e.Time.Equal(wantTime) {
			t.Errorf("DecodeLine(%q).Time = %v, want %v", line, e.Time, wantTime)
		}
	}
	ts := time.Date(2021, 9, 30, 9, 11, 54, 0, time.UTC)

	// Combined format, as nginx writes it by default.
	f(`127.0.0.1 - - [30/Sep/2021:11:11:54 +0200] "GET /foo?a=information_schema.tables HTTP/1.1" 404 162 "-" "curl/7.68.0"`, ts,
		"event.category=web", "event.outcome=failure", "event.type=access", "http.request.method=GET",
		"http.response.body.bytes=162", "http.response.status_code=404", "http.version=1.1", "source.ip=127.0.0.1",
		"url.original=/foo?a=information_schema.tables", "url.path=/foo", "url.query=a=information_schema.tables",
		"user_agent.original=curl/7.68.0")
	// Common format, a user, a referrer-free success, a negative zone.
	f(`172.17.0.1 - alice [30/Sep/2021:02:11:54 -0700] "POST /login HTTP/1.0" 302 -`, ts,
		"event.category=web", "event.outcome=success", "event.type=access", "http.request.method=POST",
		"http.response.status_code=302", "http.version=1.0", "source.ip=172.17.0.1", "url.original=/login", "url.path=/login",
		"user.name=alice")
	// A virtual host first and an extra X-Forwarded-For field last.
	f(`mydomain.com:443 1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET /path/?class.module.classLoader.URLs%5B0%5D=0 HTTP/1.1" 404 162 "https://ref.example/" "curl/7.58.0" "-"`, ts,
		"event.category=web", "event.outcome=failure", "event.type=access", "http.request.method=GET",
		"http.request.referrer=https://ref.example/", "http.response.body.bytes=162", "http.response.status_code=404", "http.version=1.1",
		"source.ip=1.2.3.4", "url.domain=mydomain.com", "url.original=/path/?class.module.classLoader.URLs%5B0%5D=0", "url.path=/path/",
		"url.query=class.module.classLoader.URLs%5B0%5D=0", "user_agent.original=curl/7.58.0")
	// IPv6 client, a host name client, escapes kept as written.
	f(`2001:0db8:85a3:0000:0000:8a2e:0370:7334 - - [30/Sep/2021:09:11:54 +0000] "HEAD / HTTP/1.1" 200 0 "-" "a \"quoted\" agent"`, ts,
		"event.category=web", "event.outcome=success", "event.type=access", "http.request.method=HEAD",
		"http.response.body.bytes=0", "http.response.status_code=200", "http.version=1.1", "source.ip=2001:db8:85a3::8a2e:370:7334",
		"url.original=/", "url.path=/", `user_agent.original=a \"quoted\" agent`)
	f(`crawler.example.net - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1" 200 5`, ts,
		"event.category=web", "event.outcome=success", "event.type=access", "http.request.method=GET",
		"http.response.body.bytes=5", "http.response.status_code=200", "http.version=1.1", "source.domain=crawler.example.net",
		"url.original=/", "url.path=/")
	// Requests that are not "METHOD target HTTP/x": kept whole.
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "\x16\x03\x01\x01 \x02" 400 226 "-" "-"`, ts,
		"event.category=web", "event.outcome=failure", "event.type=access", `http.request.line=\x16\x03\x01\x01 \x02`,
		"http.response.body.bytes=226", "http.response.status_code=400", "source.ip=1.2.3.4")
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "HELP" 400 157 "-" "-"`, ts,
		"event.category=web", "event.outcome=failure", "event.type=access", "http.request.line=HELP",
		"http.response.body.bytes=157", "http.response.status_code=400", "source.ip=1.2.3.4")
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "-" 400 0 "-" "-"`, ts,
		"event.category=web", "event.outcome=failure", "event.type=access",
		"http.response.body.bytes=0", "http.response.status_code=400", "source.ip=1.2.3.4")
	// CONNECT and the HTTP/0.9 form.
	f(`127.0.0.1 - - [30/Sep/2021:09:11:54 +0000] "CONNECT foo.com:25 HTTP/1.1" 400 166 "-" "-"`, ts,
		"event.category=web", "event.outcome=failure", "event.type=access", "http.request.method=CONNECT",
		"http.response.body.bytes=166", "http.response.status_code=400", "http.version=1.1", "source.ip=127.0.0.1", "url.original=foo.com:25")
	f(`127.0.0.1 - - [30/Sep/2021:09:11:54 +0000] "GET /old" 200 10`, ts,
		"event.category=web", "event.outcome=success", "event.type=access", "http.request.method=GET",
		"http.response.body.bytes=10", "http.response.status_code=200", "source.ip=127.0.0.1", "url.original=/old", "url.path=/old")
}

func TestDecodeLineTypes(t *testing.T) {
	var e event.Event
	if err := DecodeLine([]byte(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1" 200 10 "-" "-"`), &e); err != nil {
		t.Fatal(err)
	}
	e.Sort()
	for _, name := range []string{event.HTTPStatus, "http.response.body.bytes"} {
		if vs := e.Values(name); len(vs) != 1 || vs[0].Type != event.Number {
			t.Errorf("%s = %v, want one number", name, vs)
		}
	}
}

func TestMalformed(t *testing.T) {
	f := func(line string, offset int) {
		t.Helper()
		e := event.Event{}
		err := DecodeLine([]byte(line), &e)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("DecodeLine(%q) = %v, want a *SyntaxError", line, err)
			return
		}
		if se.Offset != offset {
			t.Errorf("DecodeLine(%q): offset %d (%s), want %d", line, se.Offset, se.Msg, offset)
		}
	}
	const req = ` "GET / HTTP/1.1" 200 10 "-" "-"`
	f(`hello world`, 11)
	f(`[Fri Oct 08 17:08:41.203277 2021] [core:error] [client 88.168.206.87:14532] AH00126`, 0)
	f(`1.2.3.4 - [30/Sep/2021:09:11:54 +0000]`+req, 10)
	f(`example.com 1.2.3.4 - id - [30/Sep/2021:09:11:54 +0000]`+req, 25)
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54]`+req, 12)
	f(`1.2.3.4 - - [30/Foo/2021:09:11:54 +0000]`+req, 12)
	f(`1.2.3.4 - - [30/Sep/2021:25:11:54 +0000]`+req, 12)
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] GET / 200 10`, 41)
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1 200 10`, 41)
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1" OK 10`, 58)
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1" 200 ten`, 62)
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1" 200 10 "-" curl`, 69)
	f(`1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1" 200 10 "-"`, 68)
	f("1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] \"GET /\x00 HTTP/1.1\" 200 10", 47)
	f("1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] \"GET /\xff HTTP/1.1\" 200 10", 0)
}

func TestDecodeKeepsMalformedLines(t *testing.T) {
	good := `1.2.3.4 - - [30/Sep/2021:09:11:54 +0000] "GET / HTTP/1.1" 200 10 "-" "-"`
	lines := []string{good, "garbage", "\x16\x03\x01\x02\x00", good}
	in := strings.Join(lines, "\n") + "\n\n" + strings.Repeat("x", 300) + "\n" + good
	var c decode.Collect
	if err := (Decoder{MaxRecord: 200}).Decode(strings.NewReader(in), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 5 || c.Rejected["too_large"] != 1 {
		t.Fatalf("got %d events and %v, want 5 events and one too_large", len(c.Events), c.Rejected)
	}
	for i, want := range []event.Kind{event.KindEvent, event.KindPipelineError, event.KindPipelineError, event.KindEvent, event.KindEvent} {
		e := c.Events[i]
		if e.Kind != want {
			t.Errorf("event %d: kind %v, want %v", i, e.Kind, want)
		}
		if e.Format != Format {
			t.Errorf("event %d: format %q", i, e.Format)
		}
	}
	if string(c.Events[2].Raw) != lines[2] {
		t.Errorf("binary line not kept: %q", c.Events[2].Raw)
	}
}

// accessLogCases are the CrowdSec hub test cases (MIT) whose log is an
// nginx, Apache, LiteSpeed or Nginx Proxy Manager access log.
func accessLogCases(t testing.TB) map[string][]byte {
	t.Helper()
	root := shareddata.Path(t, "crowdsec-tests")
	configs, err := filepath.Glob(filepath.Join(root, "*", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	logType := regexp.MustCompile(`(?m)^log_type: (nginx|apache2|litespeed|nginx-proxy-manager)\s*$`)
	logFile := regexp.MustCompile(`(?m)^log_file: (\S+)\s*$`)
	cases := map[string][]byte{}
	for _, cfg := range configs {
		text, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m := logFile.FindSubmatch(text)
		if !logType.Match(text) || m == nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), string(m[1])))
		if err != nil {
			t.Fatal(err)
		}
		cases[filepath.Base(filepath.Dir(cfg))] = data
	}
	return cases
}

// TestCrowdSecAccessLogs decodes the access logs of the CrowdSec hub tests.
// Every line must decode, except those of an Apache error log among them,
// and the address each case's scenario.assert expects an alert for must be
// a decoded source.ip.
func TestCrowdSecAccessLogs(t *testing.T) {
	cases := accessLogCases(t)
	// Not access log lines: Apache, nginx and LiteSpeed error logs.
	notAccess := regexp.MustCompile(`^(\[\w{3} \w{3} |\d{4}[/-]\d\d[/-]\d\d )`)
	wantSource := regexp.MustCompile(`"([0-9a-fA-F.:]+)" in results\[0\]\.Overflow\.GetSources\(\)`)
	checked, skipped, events := 0, 0, 0
	for name, data := range cases {
		var c decode.Collect
		if err := (Decoder{}).Decode(bytes.NewReader(data), &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sources := map[string]bool{}
		for i, e := range c.Events {
			access := !notAccess.Match(e.Raw)
			if (e.Kind == event.KindEvent) != access {
				t.Errorf("%s line %d: kind %v (%s), want an event only for access log lines: %q", name, i+1, e.Kind, e.ParseError, e.Raw)
			}
			if ip, ok := e.Get(event.SourceIP); ok {
				sources[ip] = true
			}
		}
		events += len(c.Events)
		assert, err := os.ReadFile(filepath.Join(shareddata.Path(t, "crowdsec-tests/"+name), "scenario.assert"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range wantSource.FindAllSubmatch(assert, -1) {
			ip := string(m[1])
			if addr, err := netip.ParseAddr(ip); err == nil {
				ip = addr.String() // as source.ip is written
			}
			if notAccess.Match(data) {
				skipped++ // the alert comes from the error log lines
				continue
			}
			if !sources[ip] {
				t.Errorf("%s: scenario expects an alert for %s, not a decoded source.ip (%v)", name, ip, sources)
			}
			checked++
		}
	}
	if len(cases) < 40 || checked < 30 {
		t.Errorf("only %d cases and %d expected sources checked", len(cases), checked)
	}
	t.Logf("%d cases, %d lines, %d expected alert sources found among source.ip (%d in error logs, not checked)", len(cases), events, checked, skipped)
}

// TestFieldsInOrder checks that DecodeLine adds its fields sorted by name,
// which keeps decode.Line's sort cheap (BenchmarkDecode).
func TestFieldsInOrder(t *testing.T) {
	var e event.Event
	line := `example.com:8080 ::ffff:1.2.3.4 - bob [30/Sep/2021:09:11:54 +0000] "GET /a?b HTTP/1.1" 200 10 "http://r/" "ua"`
	if err := DecodeLine([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(e.Fields); i++ {
		if e.Fields[i-1].Name >= e.Fields[i].Name {
			t.Errorf("field %q comes before %q", e.Fields[i-1].Name, e.Fields[i].Name)
		}
	}
	if got, want := len(e.Fields), 15; got != want {
		t.Errorf("got %d fields, want %d: %v", got, want, fields(&e))
	}
}
