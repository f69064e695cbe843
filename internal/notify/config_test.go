package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig([]byte(`
group_wait: 45s
rate: 10
queue_size: 100
retries: 2
retry_backoff: 500ms
targets:
  soc-hook: {type: webhook, url: "https://hooks.example.org/vigie", secret: "k", timeout: 5s}
  soc-mail:
    type: email
    host: smtp.example.org
    port: 587
    tls: starttls
    username: vigie
    password: pw
    ca_file: ` + ca + `
    from: vigie@example.org
    to: [soc@example.org, ciso@example.org]
  siem: {type: syslog, network: tcp, address: "siem.example.org:6514", facility: 4}
routes:
  - {name: urgent, targets: [soc-mail], min_level: high}
  - {name: cases, targets: [soc-hook, siem], kinds: [incident.new, incident.update], rules: [abc]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.GroupWait != 45*time.Second || c.Rate != 10 || c.QueueSize != 100 || c.Retries != 2 || c.RetryBackoff != 500*time.Millisecond {
		t.Errorf("globals %+v", c)
	}
	if h := c.Targets["soc-hook"]; h.URL != "https://hooks.example.org/vigie" || h.Timeout != 5*time.Second {
		t.Errorf("soc-hook %+v", h)
	}
	if m := c.Targets["soc-mail"]; len(m.To) != 2 || m.Port != 587 || m.CAFile != ca {
		t.Errorf("soc-mail %+v", m)
	}
	if s := c.Targets["siem"]; s.Facility == nil || *s.Facility != 4 {
		t.Errorf("siem %+v", s)
	}
	if len(c.Routes) != 2 || c.Routes[1].Kinds[1] != KindIncidentUpdate || c.Routes[0].MinLevel != "high" {
		t.Errorf("routes %+v", c.Routes)
	}

	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}

// Each mistake is reported with the key at fault.
func TestConfigErrors(t *testing.T) {
	f := func(yaml, want string) {
		t.Helper()
		_, err := ParseConfig([]byte(yaml))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%q) = %v, want an error containing %q", yaml, err, want)
		}
	}
	f("rate: -1", "notify.rate: must not be negative")
	f("group_wait: -5s", "notify.group_wait")
	f("queue_size: 9999999999", "notify.queue_size")
	f("retries: 11", "notify.retries")
	f("grup_wait: 5s", "line 1: field grup_wait not found")
	f("targets: {x: {}}", "notify.targets.x.type: missing")
	f("targets: {x: {type: pager}}", `notify.targets.x.type: "pager"`)
	f("targets: {x: {type: webhook}}", "notify.targets.x.url: a webhook target needs a url")
	f("targets: {x: {type: webhook, url: 'ftp://h/'}}", `notify.targets.x.url: scheme "ftp"`)
	f("targets: {x: {type: webhook, url: 'https://u:p@h/'}}", "notify.targets.x.url: credentials in the url")
	f("targets: {x: {type: webhook, url: 'https://h/', to: [a@b.c]}}", "notify.targets.x.to: is not a setting of a webhook target")
	f("targets: {x: {type: webhook, url: 'https://h/', unknown: 1}}", "field unknown not found")
	mail := "targets: {m: {type: email, host: h, from: a@b.c, to: [s@b.c]"
	f(mail+", tls: none, username: u, password: p}}", "notify.targets.m.username: credentials are never sent without TLS; set tls: starttls or tls")
	f(mail+", tls: ssl}}", `notify.targets.m.tls: "ssl"`)
	f(mail+", username: u}}", "notify.targets.m.password: username and password go together")
	f(mail+", ca_file: /nonexistent/ca.pem}}", "notify.targets.m.ca_file")
	f(mail+", port: 70000}}", "notify.targets.m.port")
	f("targets: {m: {type: email, host: h, from: 'Vigie <a@b.c>', to: [s@b.c]}}", "notify.targets.m.from")
	f("targets: {m: {type: email, host: h, from: a@b.c, to: ['x@y.z', 'bad']}}", "notify.targets.m.to[1]")
	f("targets: {m: {type: email, host: h, from: a@b.c}}", "notify.targets.m.to: an email target needs at least one recipient")
	f("targets: {m: {type: email, from: a@b.c, to: [s@b.c]}}", "notify.targets.m.host")
	f("targets: {s: {type: syslog, address: 'h'}}", "notify.targets.s.address: want host:port")
	f("targets: {s: {type: syslog, address: 'h:0'}}", "notify.targets.s.address")
	f("targets: {s: {type: syslog, address: 'h:514', network: quic}}", "notify.targets.s.network")
	f("targets: {s: {type: syslog, address: 'h:514', facility: 24}}", "notify.targets.s.facility")
	f("targets: {s: {type: syslog, address: 'h:514', hostname: 'a b'}}", "notify.targets.s.hostname")
	routes := "targets: {h: {type: webhook, url: 'https://h/'}}\nroutes: "
	f(routes+"[{name: r, targets: [nope]}]", `notify.routes[0] (r).targets: unknown target "nope" (known: h)`)
	f(routes+"[{targets: []}]", "notify.routes[0].targets: a route needs at least one target")
	f(routes+"[{targets: [h], min_level: severe}]", `notify.routes[0].min_level: "severe" is not a Sigma level`)
	f(routes+"[{targets: [h], kinds: [incident.closed]}]", `notify.routes[0].kinds: unknown kind "incident.closed"`)
	f(strings.Repeat(" ", maxConfigBytes+1), "more than")
}

func TestNewValidates(t *testing.T) {
	_, err := New(Config{Targets: map[string]TargetConfig{"x": {Type: TypeWebhook}}}, Deps{})
	if err == nil || !strings.Contains(err.Error(), "notify.targets.x.url") {
		t.Errorf("New with a bad target: %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("targets: {h: {type: webhook, url: 'https://h/'}}\nroutes: [{targets: [h], min_level: high}]"))
	f.Add([]byte("targets: {s: {type: syslog, address: 'h:514', facility: 3}}\ngroup_wait: 1s"))
	f.Add([]byte("targets: {m: {type: email, host: h, from: a@b.c, to: [s@b.c], tls: none}}"))
	f.Add([]byte("rate: [1, 2]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 10240 {
			return
		}
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		// A configuration that parses builds a Notifier.
		if _, err := New(c, Deps{}); err != nil {
			t.Errorf("ParseConfig accepted %q but New failed: %v", data, err)
		}
	})
}
