package respond

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const exampleYAML = `
default_duration: 4h
max_duration: 168h
max_range_bits: {ipv4: 16, ipv6: 48}
allow:
  networks: [203.0.113.0/24]
  accounts: [break-glass]
  hosts: [dc01.court.example]
policies:
  - name: ssh-brute-force-then-success
    enabled: true
    when: {detectors: [successafter]}
    entity: source.ip
    only_external: true
    action: block
    duration: 4h
executors:
  bouncer: {enabled: true}
  webhooks:
    - {name: soar, url: "https://soar.court.example/hook", secret: "0123456789abcdef", timeout: 10s}
  commands:
    - {name: ad-disable, path: /usr/local/bin/ad-disable, args: [--yes], timeout: 30s, actions: [disable]}
`

func decodeStrict(t *testing.T, text string) Config {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewBufferString(text))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigYAML(t *testing.T) {
	c := decodeStrict(t, exampleYAML)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Policy{Name: "ssh-brute-force-then-success", Enabled: true, When: When{Detectors: []string{"successafter"}},
		Entity: "source.ip", OnlyExternal: true, Action: "block", Duration: 4 * time.Hour}
	if diff := cmp.Diff([]Policy{want}, c.Policies); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	if c.Executors.Webhooks[0].Timeout != 10*time.Second || c.Executors.Commands[0].Actions[0] != "disable" || !c.Executors.Bouncer.Enabled {
		t.Errorf("executors %+v", c.Executors)
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(text string, wants ...string) {
		t.Helper()
		err := decodeStrict(t, text).Validate()
		if err == nil {
			t.Fatalf("Validate(%s) = nil, want errors %q", text, wants)
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate error\n%v\ndoes not say %q", err, w)
			}
		}
	}
	f("allow: {networks: [10.0.0.300/8]}", `response.allow.networks[0]: "10.0.0.300/8" is not a CIDR range`)
	f("default_duration: 10h\nmax_duration: 2h", "response.default_duration 10h0m0s is above response.max_duration 2h0m0s")
	f("max_range_bits: {ipv4: 40}", "response.max_range_bits.ipv4 40: want 0 to 32")
	f("policies: [{name: p, entity: source.ip, action: disable, when: {rules: [x]}}]",
		`response.policies[0] (p): action "disable" does not apply to source.ip (want block)`)
	f("policies: [{name: p, entity: source.ip, action: block}]", "response.policies[0] (p): when: name rules or detectors")
	f("policies: [{name: p, entity: process.name, action: block, when: {rules: [x]}}]", `entity "process.name"`)
	f("policies: [{name: p, entity: user.name, action: disable, only_external: true, when: {rules: [x], min_level: severe}}]",
		"only_external needs an address entity", `when.min_level "severe"`)
	f("policies: [{name: p, entity: host.name, action: isolate, when: {rules: [x]}, duration: 1000h}]", "duration 1000h0m0s")
	f("policies: [{name: p, entity: host.name, action: isolate, when: {rules: [x]}}, {name: p, entity: host.name, action: isolate, when: {rules: [x]}}]",
		"response.policies[1] (p): name used twice")
	f("executors: {webhooks: [{name: soar, url: 'ftp://x', secret: short}]}", `webhooks[0]: url "ftp://x"`, "secret must be at least 16")
	f("executors: {commands: [{name: c, path: ad-disable, actions: [ban]}]}", `path "ad-disable" must be absolute`, `action "ban"`)
	f("executors: {bouncer: {enabled: true}, commands: [{name: bouncer, path: /bin/true}]}", `executor name "bouncer" used twice`)
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "::ffff:1.2.3.4", "10.1.2.3/16", "fe80::1%eth0", "2001:DB8::/32",
		"CORT\\jdoe", "WS-01.Court", "", " x ", "a*", "\x00", "::ffff:0.0.0.0/90"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1024 {
			return
		}
		for _, scope := range []string{ScopeIP, ScopeRange, ScopeAccount, ScopeHost} {
			v, err := Canonical(scope, s)
			if err != nil {
				continue
			}
			again, err := Canonical(scope, v)
			if err != nil || again != v {
				t.Fatalf("Canonical(%s, %q) = %q, then %q, %v: not idempotent", scope, s, v, again, err)
			}
			if len(v) > maxAccountLen {
				t.Fatalf("Canonical(%s, %q) = %d bytes", scope, s, len(v))
			}
		}
	})
}
