package respond

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// Config is the "response" section of the configuration. Its zero value
// works: no policy, no allow-list, the defaults below.
//
//	response:
//	  default_duration: 4h
//	  max_duration: 168h
//	  max_range_bits: {ipv4: 16, ipv6: 48}
//	  allow:
//	    networks: [203.0.113.0/24]
//	    accounts: [break-glass]
//	    hosts: [dc01.court.example]
//	  internal: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
//	  policies:
//	    - name: ssh-brute-force-then-success
//	      enabled: true
//	      when: {detectors: [successafter]}
//	      entity: source.ip
//	      only_external: true
//	      action: block
//	      duration: 4h
//	  executors:
//	    bouncer: {enabled: true}
//	    webhooks:
//	      - {name: soar, url: "https://soar.court.example/hook", secret: "…", timeout: 10s}
//	    commands:
//	      - {name: ad-disable, path: /usr/local/bin/ad-disable, args: [--yes], timeout: 30s, actions: [disable]}
type Config struct {
	// DefaultDuration is how long a decision lasts when the request names
	// no duration (default 4h); MaxDuration the longest allowed (default
	// 7 days).
	DefaultDuration time.Duration `yaml:"default_duration"`
	MaxDuration     time.Duration `yaml:"max_duration"`
	// MaxRangeBits refuses ranges wider than /IPv4 (default 16) or /IPv6
	// (default 48).
	MaxRangeBits RangeLimit `yaml:"max_range_bits"`
	// MaxActive bounds the decisions in force at once (default 10,000), so
	// that a policy fed by an attacker's many addresses cannot exhaust
	// memory.
	MaxActive int `yaml:"max_active"`
	// Allow lists what is never acted on.
	Allow Allow `yaml:"allow"`
	// Internal lists the organisation's own networks, for policies that
	// act only on external addresses. Default: RFC 1918, RFC 6598 shared,
	// ULA, loopback and link-local.
	Internal []string `yaml:"internal"`
	// Policies respond to alerts; none by default.
	Policies []Policy `yaml:"policies"`
	// Executors enforce decisions.
	Executors Executors `yaml:"executors"`
	// ExecutionTimeout bounds one call to an executor (default 30s);
	// Retry bounds the wait between failed attempts.
	ExecutionTimeout time.Duration `yaml:"execution_timeout"`
	Retry            Backoff       `yaml:"retry"`
	// Interval is how often Run looks for expired decisions and due
	// retries (default 1s).
	Interval time.Duration `yaml:"interval"`
}

// RangeLimit is the widest prefix length allowed, per address family.
type RangeLimit struct {
	IPv4 int `yaml:"ipv4"`
	IPv6 int `yaml:"ipv6"`
}

// Allow lists networks, accounts and hosts that no decision may touch.
// Accounts and hosts compare without regard to case.
type Allow struct {
	Networks []string `yaml:"networks"` // addresses or CIDR ranges
	Accounts []string `yaml:"accounts"`
	Hosts    []string `yaml:"hosts"`
}

// Backoff is the wait after a failed attempt: Min (default 10s), doubled
// at each failure up to Max (default 10m).
type Backoff struct {
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// Executors configures the enforcement points.
type Executors struct {
	Webhooks []WebhookConfig `yaml:"webhooks"`
	Commands []CommandConfig `yaml:"commands"`
	Bouncer  BouncerConfig   `yaml:"bouncer"`
}

// WebhookConfig is one webhook executor (package webhook).
type WebhookConfig struct {
	Name    string        `yaml:"name"`
	URL     string        `yaml:"url"`
	Secret  string        `yaml:"secret"`
	Timeout time.Duration `yaml:"timeout"` // default 10s
	// Actions limits the webhook to these actions; empty means all.
	Actions []string `yaml:"actions"`
	// AllowLoopback permits a URL that resolves to a loopback, link-local
	// or unspecified address, refused by default (no SSRF to the host's
	// own services or a cloud metadata endpoint).
	AllowLoopback bool `yaml:"allow_loopback"`
}

// CommandConfig is one command executor (package command).
type CommandConfig struct {
	Name    string        `yaml:"name"`
	Path    string        `yaml:"path"` // absolute; run without a shell
	Args    []string      `yaml:"args"`
	Timeout time.Duration `yaml:"timeout"` // default 30s
	// Actions limits the command to these actions; empty means all.
	Actions []string `yaml:"actions"`
}

// BouncerConfig turns on the CrowdSec Local API bouncer stream (package
// bouncer).
type BouncerConfig struct {
	Enabled bool `yaml:"enabled"`
}

// Policy is an automatic response to alerts.
type Policy struct {
	Name    string `yaml:"name"`
	Enabled bool   `yaml:"enabled"`
	// DryRun stores what the policy would do, never executing it.
	DryRun bool `yaml:"dry_run"`
	When   When `yaml:"when"`
	// Entity is the alert field whose values the decision acts on:
	// source.ip, destination.ip, user.name or host.name.
	Entity string `yaml:"entity"`
	// OnlyExternal acts only on addresses outside Config.Internal.
	OnlyExternal bool          `yaml:"only_external"`
	Action       string        `yaml:"action"`
	Duration     time.Duration `yaml:"duration"` // default Config.DefaultDuration
}

// When selects alerts. Every non-empty condition must hold; within a
// list, any entry may match.
type When struct {
	Rules     []string `yaml:"rules"`     // rule.id or rule.name, without regard to case
	Detectors []string `yaml:"detectors"` // vigie.detector
	MinLevel  string   `yaml:"min_level"` // a Sigma level
}

// Defaults.
const (
	DefaultDuration  = 4 * time.Hour
	DefaultMaxActive = 10000
)

// DefaultInternal are the networks Config.Internal defaults to.
var defaultInternal = []string{
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128",
}

// withDefaults returns c with every zero setting given its default.
func (c Config) withDefaults() Config {
	if c.DefaultDuration == 0 {
		c.DefaultDuration = DefaultDuration
	}
	if c.MaxDuration == 0 {
		c.MaxDuration = 7 * 24 * time.Hour
	}
	if c.MaxRangeBits.IPv4 == 0 {
		c.MaxRangeBits.IPv4 = 16
	}
	if c.MaxRangeBits.IPv6 == 0 {
		c.MaxRangeBits.IPv6 = 48
	}
	if c.MaxActive == 0 {
		c.MaxActive = DefaultMaxActive
	}
	if c.Internal == nil {
		c.Internal = defaultInternal
	}
	if c.ExecutionTimeout == 0 {
		c.ExecutionTimeout = 30 * time.Second
	}
	if c.Retry.Min == 0 {
		c.Retry.Min = 10 * time.Second
	}
	if c.Retry.Max == 0 {
		c.Retry.Max = 10 * time.Minute
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	return c
}

// Validate checks the configuration, naming the setting at fault.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// compiled is a validated configuration, with its networks parsed.
type compiled struct {
	Config
	allowNets []netip.Prefix
	internal  []netip.Prefix
}

func (c Config) compile() (*compiled, error) {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.DefaultDuration < 0 || c.MaxDuration < 0 || c.ExecutionTimeout < 0 || c.Retry.Min < 0 || c.Retry.Max < 0 || c.Interval < 0 {
		bad("response: durations must not be negative")
	}
	if c.DefaultDuration > c.MaxDuration {
		bad("response.default_duration %s is above response.max_duration %s", c.DefaultDuration, c.MaxDuration)
	}
	if c.Retry.Min > c.Retry.Max {
		bad("response.retry.min %s is above response.retry.max %s", c.Retry.Min, c.Retry.Max)
	}
	if c.MaxRangeBits.IPv4 < 0 || c.MaxRangeBits.IPv4 > 32 {
		bad("response.max_range_bits.ipv4 %d: want 0 to 32", c.MaxRangeBits.IPv4)
	}
	if c.MaxRangeBits.IPv6 < 0 || c.MaxRangeBits.IPv6 > 128 {
		bad("response.max_range_bits.ipv6 %d: want 0 to 128", c.MaxRangeBits.IPv6)
	}
	if c.MaxActive < 0 {
		bad("response.max_active %d must not be negative", c.MaxActive)
	}
	out := &compiled{Config: c}
	for i, s := range c.Allow.Networks {
		p, err := parseNetwork(s)
		if err != nil {
			bad("response.allow.networks[%d]: %w", i, err)
		}
		out.allowNets = append(out.allowNets, p)
	}
	for i, s := range c.Internal {
		p, err := parseNetwork(s)
		if err != nil {
			bad("response.internal[%d]: %w", i, err)
		}
		out.internal = append(out.internal, p)
	}
	names := map[string]bool{}
	for i, p := range c.Policies {
		where := fmt.Sprintf("response.policies[%d]", i)
		if p.Name != "" {
			where += " (" + p.Name + ")"
		}
		if err := p.validate(c); err != nil {
			bad("%s: %w", where, err)
		}
		if names[p.Name] {
			bad("%s: name used twice", where)
		}
		names[p.Name] = true
	}
	errs = append(errs, c.Executors.validate()...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// parseNetwork reads an address or a CIDR range as a masked prefix.
func parseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a CIDR range", s)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// entityScopes maps the alert fields a policy may act on to a scope.
var entityScopes = map[string]string{
	event.SourceIP: ScopeIP, event.DestinationIP: ScopeIP,
	event.UserName: ScopeAccount, event.HostName: ScopeHost,
}

// FieldError is a problem with one setting of a policy: Field is its
// YAML key within the policy ("entity", "when.min_level").
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Msg }

func (p Policy) validate(c Config) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if p.Name == "" {
		bad("name", "name is required")
	}
	if len(p.When.Rules) == 0 && len(p.When.Detectors) == 0 {
		bad("when", "when: name rules or detectors (a policy must not answer every alert)")
	}
	if p.When.MinLevel != "" && !detect.ValidLevel(p.When.MinLevel) {
		bad("when.min_level", "when.min_level %q: want informational, low, medium, high or critical", p.When.MinLevel)
	}
	scope, ok := entityScopes[p.Entity]
	if !ok {
		bad("entity", "entity %q: want source.ip, destination.ip, user.name or host.name", p.Entity)
	} else if p.Action != actionFor(scope) {
		bad("action", "action %q does not apply to %s (want %s)", p.Action, p.Entity, actionFor(scope))
	}
	if p.OnlyExternal && scope != ScopeIP {
		bad("only_external", "only_external needs an address entity, not %s", p.Entity)
	}
	if p.Duration < 0 || p.Duration > c.MaxDuration {
		bad("duration", "duration %s: want 0 (default) up to response.max_duration %s", p.Duration, c.MaxDuration)
	}
	return errors.Join(errs...)
}

var actions = []string{ActionBlock, ActionDisable, ActionIsolate}

func (e Executors) validate() []error {
	var errs []error
	names := map[string]bool{}
	if e.Bouncer.Enabled {
		names["bouncer"] = true
	}
	name := func(where, n string) {
		switch {
		case n == "":
			errs = append(errs, fmt.Errorf("%s: name is required", where))
		case names[n]:
			errs = append(errs, fmt.Errorf("%s: executor name %q used twice", where, n))
		}
		names[n] = true
	}
	checkActions := func(where string, as []string) {
		for _, a := range as {
			if !slices.Contains(actions, a) {
				errs = append(errs, fmt.Errorf("%s: action %q: want block, disable or isolate", where, a))
			}
		}
	}
	for i, w := range e.Webhooks {
		where := fmt.Sprintf("response.executors.webhooks[%d]", i)
		name(where, w.Name)
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: url %q: want an http or https URL", where, w.URL))
		}
		if len(w.Secret) < 16 {
			errs = append(errs, fmt.Errorf("%s: secret must be at least 16 characters", where))
		}
		if w.Timeout < 0 {
			errs = append(errs, fmt.Errorf("%s: timeout must not be negative", where))
		}
		checkActions(where, w.Actions)
	}
	for i, c := range e.Commands {
		where := fmt.Sprintf("response.executors.commands[%d]", i)
		name(where, c.Name)
		if !filepath.IsAbs(c.Path) {
			errs = append(errs, fmt.Errorf("%s: path %q must be absolute (commands run without a shell or PATH search)", where, c.Path))
		}
		if c.Timeout < 0 {
			errs = append(errs, fmt.Errorf("%s: timeout must not be negative", where))
		}
		checkActions(where, c.Actions)
	}
	return errs
}
