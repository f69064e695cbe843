package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigie.yaml")
	os.WriteFile(path, []byte("data: /tmp/x\nsyslog:\n  udp: \":514\"\n  tpc: \":601\"\nretention:\n  max_age: 90d\n  max_bytes: 2GiB\n"), 0o600)
	_, err := loadConfig(path)
	if err == nil || !strings.Contains(err.Error(), path+`:4: unknown key "tpc"`) {
		t.Fatalf("loadConfig with a typo = %v, want %s:4: unknown key \"tpc\"", err, path)
	}
	os.WriteFile(path, []byte("data: /tmp/x\nretention:\n  max_age: 90d\n  max_bytes: 2GiB\ningest:\n  max_record: 512KiB\n"), 0o600)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(cfg.Retention.MaxAge) != 90*24*time.Hour || cfg.Retention.MaxBytes != 2<<30 || cfg.Ingest.MaxRecord != 512<<10 {
		t.Fatalf("config = %+v", cfg)
	}
	os.WriteFile(path, []byte("retention:\n  max_age: soon\n"), 0o600)
	if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Fatalf("bad duration error = %v, want it to name %s:2", err, path)
	}
	os.WriteFile(path, nil, 0o600)
	if _, err := loadConfig(path); err != nil {
		t.Fatalf("empty config file: %v", err)
	}
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestSyslogToSearch sends the real OpenSSH log over syslog TCP to a
// server process and finds the brute force by searching.
func TestSyslogToSearch(t *testing.T) {
	path := shareddata.Path(t, "linux/OpenSSH_2k.log")
	tcp := freePort(t)
	s := startServer(t, t.TempDir(), "--syslog-tcp", tcp)
	c, err := net.Dial("tcp", tcp)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(c)
	if _, err := w.ReadFrom(f); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	c.Close()
	// Syslog has no acknowledgement: wait until all 2,000 lines are stored.
	deadline := time.Now().Add(30 * time.Second)
	for s.count(t, "*") < 2000 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2000 syslog lines stored", s.count(t, "*"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Ground truth (shared/data/README.md): 520 "Failed password" lines;
	// 183.62.140.253 has 582 failed or invalid-user lines.
	if n := s.count(t, `"Failed password"`); n != 520 {
		t.Errorf(`"Failed password" matched %d events, want 520`, n)
	}
	if n := s.count(t, `event.outcome:failure AND event.category:authentication AND source.ip:183.62.140.253 AND ("Failed password" OR "Invalid user" OR "authentication failure")`); n != 582 {
		t.Errorf("failures from 183.62.140.253 = %d, want 582", n)
	}
	if n := s.count(t, "vigie.source:syslog-tcp/127.0.0.1"); n != 2000 {
		t.Errorf("events from source syslog-tcp/127.0.0.1 = %d, want 2000", n)
	}
	s.stop(t)
}

// TestIngestCommand sends real files of several formats with "vigie
// ingest" and checks what the server stored.
func TestIngestCommand(t *testing.T) {
	files := []string{
		shareddata.Path(t, "linux/Linux_2k.log"),
		shareddata.Path(t, "zeek/rita-proxy/dns.log"),
		shareddata.Path(t, "cloudtrail/stratus/aws.defense-evasion.cloudtrail-stop.json"),
		shareddata.Path(t, "evtx/attack-samples/Persistence/Network_Service_Guest_added_to_admins_4732.evtx"),
		"testdata/sample/auth.log",
	}
	// A truncated EVTX file: its readable records are sent, the error names
	// the file and offset, and the other files still go through.
	evtx, err := os.ReadFile(shareddata.Path(t, "evtx/attack-samples/Credential Access/CA_DCSync_4662.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.evtx")
	os.WriteFile(broken, evtx[:len(evtx)-len(evtx)/3], 0o600)
	files = append([]string{broken}, files...)

	s := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"ingest", "--server", s.url, "--token", s.token, "--json"}, files...)
	out, err := runCLI(t, ctx, args...)
	if err == nil || !strings.Contains(err.Error(), "1 of 6 files") {
		t.Fatalf("ingest with one broken file: err = %v, want 1 of 6 files not fully ingested\n%s", err, out)
	}
	results := map[string]fileResult{}
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r fileResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("decoding %q: %v", out, err)
		}
		results[filepath.Base(r.File)] = r
	}
	want := map[string]string{"broken.evtx": "evtx", "Linux_2k.log": "syslog", "dns.log": "zeek",
		"aws.defense-evasion.cloudtrail-stop.json": "cloudtrail", "Network_Service_Guest_added_to_admins_4732.evtx": "evtx", "auth.log": "syslog"}
	for name, format := range want {
		r := results[name]
		if r.Format != format || r.Events == 0 {
			t.Errorf("%s: %+v, want format %s and events", name, r, format)
		}
		if name != "broken.evtx" && (r.Error != "" || r.Malformed != 0) {
			t.Errorf("%s: %+v, want no error and nothing malformed", name, r)
		}
	}
	if r := results["broken.evtx"]; !strings.Contains(r.Error, "offset") {
		t.Errorf("broken.evtx error %q does not name the offset", r.Error)
	}
	if r := results["Linux_2k.log"]; r.Events != 2000 {
		t.Errorf("Linux_2k.log: %d events, want 2000", r.Events)
	}
	if r := results["auth.log"]; r.Events != 43 {
		t.Errorf("auth.log: %d events, want its 43 lines", r.Events)
	}
	var total int
	for _, r := range results {
		total += r.Events
	}
	if n := s.count(t, "*"); n != int64(total) {
		t.Errorf("server stored %d events, the command sent %d", n, total)
	}
	// The bundled sample: 13 "Failed password" lines, 10 from 203.0.113.45.
	if n := s.count(t, `"Failed password" AND source.ip:203.0.113.45`); n != 10 {
		t.Errorf("sample failures from 203.0.113.45 = %d, want 10", n)
	}
	if n := s.count(t, "eventName:StopLogging"); n != 1 {
		t.Errorf("CloudTrail StopLogging events = %d, want 1", n)
	}
	// "vigie search" prints them.
	out, err = runCLI(t, ctx, "search", "--server", s.url, "--token", s.token, "user.name:alice AND event.outcome:success")
	if err != nil || !strings.Contains(out, "Accepted publickey for alice") {
		t.Fatalf("vigie search = %v\n%s", err, out)
	}
	out, err = runCLI(t, ctx, "search", "--server", s.url, "--token", s.token, "--count", "--json", "source.ip:203.0.113.45")
	if err != nil || strings.TrimSpace(out) != `{"count":27}` {
		t.Fatalf("vigie search --count --json = %v %q, want {\"count\":29}", err, out)
	}
	_, err = runCLI(t, ctx, "search", "--server", s.url, "--token", s.token, "user.name:(alice OR")
	if err == nil || !strings.Contains(err.Error(), "^") {
		t.Fatalf("bad query error = %v, want a caret under the position", err)
	}
	s.stop(t)
}

// TestReadmeConfig loads the configuration example of the README, so
// that it stays true: every section parses, with no unknown key, and
// validates.
func TestReadmeConfig(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "unknown keys are errors that name the line:\n\n```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README has no configuration example")
	}
	path := filepath.Join(t.TempDir(), "vigie.yaml")
	if err := os.WriteFile(path, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatalf("README's configuration: %v", err)
	}
	if err := cfg.Response.Validate(); err != nil {
		t.Errorf("response: %v", err)
	}
	if _, err := notify.New(cfg.Notify, notify.Deps{}); err != nil {
		t.Errorf("notify: %v", err)
	}
	if err := cfg.Scope.Validate(); err != nil {
		t.Errorf("scope: %v", err)
	}
	if len(cfg.Response.Policies) != 1 || !cfg.Response.Policies[0].DryRun || cfg.Incidents.Grouping.Window != 72*time.Hour {
		t.Errorf("README's configuration read as %+v / %+v", cfg.Response.Policies, cfg.Incidents.Grouping)
	}
}

// TestServeSelfSignedTLS asks for the self-signed certificate: the
// server answers over TLS with the certificate it wrote to its data
// folder, with the security headers, and keeps that certificate across
// restarts.
func TestServeSelfSignedTLS(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(t.TempDir(), "vigie.yaml")
	os.WriteFile(config, []byte("http:\n  tls_self_signed: true\n"), 0o600)
	get := func() (*http.Response, []byte) {
		t.Helper()
		s := startServer(t, dir, "--config", config)
		defer s.stop(t)
		pem, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatal("cert.pem holds no certificate")
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
		resp, err := client.Get(strings.Replace(s.url, "http://", "https://", 1) + "/healthz")
		if err != nil {
			t.Fatalf("TLS with the data folder's certificate: %v", err)
		}
		defer resp.Body.Close()
		return resp, pem
	}
	resp, first := get()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("healthz over TLS: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Strict-Transport-Security": "max-age=31536000"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if _, again := get(); string(again) != string(first) {
		t.Error("a restart made a new certificate")
	}
}

// TestBrowserRoot sends a browser at the server's address to the console,
// while an Elasticsearch client probing "/" still reaches the API.
func TestBrowserRoot(t *testing.T) {
	s := startServer(t, t.TempDir())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", s.url+"/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
		t.Errorf("browser at /: %s to %q, want 302 to /ui/", resp.Status, resp.Header.Get("Location"))
	}
	if r, _ := s.do(t, "GET", "/", nil); r.StatusCode != http.StatusOK {
		t.Errorf("Elasticsearch probe of /: %s, want 200", r.Status)
	}
}
