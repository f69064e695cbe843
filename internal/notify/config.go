package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/detect"
)

// Defaults filled in by Config.withDefaults.
const (
	DefaultGroupWait    = 30 * time.Second
	DefaultRate         = 30 // notifications per minute per target
	DefaultQueueSize    = 1024
	DefaultRetries      = 3
	DefaultRetryBackoff = time.Second
	DefaultTimeout      = 10 * time.Second
)

// Limits on a configuration and on what one notification carries.
const (
	maxConfigBytes = 1 << 20
	maxTargets     = 64
	maxRoutes      = 256
	maxQueueSize   = 1 << 20
	maxRetries     = 10
)

// Target types.
const (
	TypeWebhook = "webhook"
	TypeEmail   = "email"
	TypeSyslog  = "syslog"
)

// TLS modes of an e-mail target.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Config is the "notify" section of Vigie's configuration:
//
//	notify:
//	  group_wait: 30s        # messages with one key within this become one
//	  rate: 30               # notifications per minute per target
//	  queue_size: 1024       # messages waiting per target; more are dropped
//	  retries: 3             # delivery attempts after the first
//	  retry_backoff: 1s      # doubled after each failed attempt
//	  targets:
//	    soc-hook: {type: webhook, url: "https://hooks.example.org/vigie", secret: "…"}
//	    soc-mail:
//	      type: email
//	      host: smtp.example.org
//	      port: 587
//	      tls: starttls      # starttls (default) | tls | none
//	      username: vigie
//	      password: "…"
//	      ca_file: /etc/vigie/smtp-ca.pem
//	      from: vigie@example.org
//	      to: [soc@example.org]
//	    siem: {type: syslog, network: tcp, address: "siem.example.org:6514"}
//	  routes:
//	    - {name: urgent, targets: [soc-mail], min_level: high}
//	    - {name: all-incidents, targets: [soc-hook, siem], kinds: [incident.new, incident.update, incident.status]}
//
// The zero value is valid and notifies nobody. With targets and no routes,
// every target receives every message.
type Config struct {
	Targets      map[string]TargetConfig `yaml:"targets"`
	Routes       []Route                 `yaml:"routes"`
	GroupWait    time.Duration           `yaml:"group_wait"`
	Rate         int                     `yaml:"rate"`
	QueueSize    int                     `yaml:"queue_size"`
	Retries      int                     `yaml:"retries"`
	RetryBackoff time.Duration           `yaml:"retry_backoff"`
}

// TargetConfig is one target; Type says which of the other fields apply.
type TargetConfig struct {
	Type    string        `yaml:"type"`
	Timeout time.Duration `yaml:"timeout"` // one delivery attempt; default 10s

	// webhook
	URL          string `yaml:"url"`
	Secret       string `yaml:"secret"`        // HMAC-SHA256 key of X-Vigie-Signature
	AllowPrivate bool   `yaml:"allow_private"` // allow loopback, private and link-local destinations

	// email
	Host       string   `yaml:"host"`
	Port       int      `yaml:"port"` // default 587 (starttls), 465 (tls), 25 (none)
	TLS        string   `yaml:"tls"`  // starttls (default), tls or none
	ServerName string   `yaml:"server_name"`
	CAFile     string   `yaml:"ca_file"`
	Username   string   `yaml:"username"`
	Password   string   `yaml:"password"`
	From       string   `yaml:"from"`
	To         []string `yaml:"to"`

	// syslog
	Network  string `yaml:"network"` // udp (default) or tcp
	Address  string `yaml:"address"` // host:port
	Facility *int   `yaml:"facility"`
	Hostname string `yaml:"hostname"` // HOSTNAME of the syslog header; default os.Hostname()
	AppName  string `yaml:"app_name"` // APP-NAME; default "vigie"
}

// Route decides who is told what: a message goes to the Targets of every
// route it matches. Empty Kinds or Rules match any.
type Route struct {
	Name     string   `yaml:"name"`
	Targets  []string `yaml:"targets"`
	MinLevel string   `yaml:"min_level"` // Sigma level; "" matches any
	Kinds    []string `yaml:"kinds"`     // message kinds (alert, incident.new…)
	Rules    []string `yaml:"rules"`     // rule ids
}

// ParseConfig decodes a "notify" section on its own, strictly (an unknown
// key is an error naming its line), and validates it.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if len(data) > maxConfigBytes {
		return c, fmt.Errorf("notify: configuration is %d bytes, more than %d", len(data), maxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("notify: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the configuration; each error names the key at fault,
// as it is written in YAML ("notify.targets.soc-mail.tls").
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("notify.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.GroupWait < 0 {
		bad("group_wait", "must not be negative, got %s", c.GroupWait)
	}
	if c.Rate < 0 {
		bad("rate", "must not be negative, got %d", c.Rate)
	}
	if c.QueueSize < 0 || c.QueueSize > maxQueueSize {
		bad("queue_size", "must be between 0 (default %d) and %d, got %d", DefaultQueueSize, maxQueueSize, c.QueueSize)
	}
	if c.Retries < 0 || c.Retries > maxRetries {
		bad("retries", "must be between 0 and %d, got %d", maxRetries, c.Retries)
	}
	if c.RetryBackoff < 0 {
		bad("retry_backoff", "must not be negative, got %s", c.RetryBackoff)
	}
	if len(c.Targets) > maxTargets {
		bad("targets", "%d targets, more than %d", len(c.Targets), maxTargets)
	}
	for _, name := range sortedKeys(c.Targets) {
		if err := c.Targets[name].validate("notify.targets." + name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(c.Routes) > maxRoutes {
		bad("routes", "%d routes, more than %d", len(c.Routes), maxRoutes)
	}
	for i, r := range c.Routes {
		key := fmt.Sprintf("routes[%d]", i)
		if r.Name != "" {
			key = fmt.Sprintf("routes[%d] (%s)", i, r.Name)
		}
		if len(r.Targets) == 0 {
			bad(key+".targets", "a route needs at least one target")
		}
		for _, t := range r.Targets {
			if _, ok := c.Targets[t]; !ok {
				bad(key+".targets", "unknown target %q (known: %s)", t, strings.Join(sortedKeys(c.Targets), ", "))
			}
		}
		if r.MinLevel != "" && !detect.ValidLevel(r.MinLevel) {
			bad(key+".min_level", "%q is not a Sigma level (informational, low, medium, high, critical)", r.MinLevel)
		}
		for _, k := range r.Kinds {
			if !slices.Contains(Kinds(), k) {
				bad(key+".kinds", "unknown kind %q (known: %s)", k, strings.Join(Kinds(), ", "))
			}
		}
	}
	return errors.Join(errs...)
}

// FieldError is a problem with one setting of a target. Key is the
// setting's full key as written in YAML ("notify.targets.soc-mail.tls"),
// Field its last part ("tls", "to[1]").
type FieldError struct {
	Key, Field, Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

func (t TargetConfig) validate(key string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key + "." + field, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	// notFor reports fields set that belong to another type of target.
	notFor := func(fields map[string]bool) {
		for _, f := range sortedKeys(fields) {
			if fields[f] {
				bad(f, "is not a setting of a %s target", t.Type)
			}
		}
	}
	if t.Timeout < 0 {
		bad("timeout", "must not be negative, got %s", t.Timeout)
	}
	webhookSet := map[string]bool{"url": t.URL != "", "secret": t.Secret != "", "allow_private": t.AllowPrivate}
	emailSet := map[string]bool{"host": t.Host != "", "port": t.Port != 0, "tls": t.TLS != "", "server_name": t.ServerName != "",
		"ca_file": t.CAFile != "", "username": t.Username != "", "password": t.Password != "", "from": t.From != "", "to": len(t.To) > 0}
	syslogSet := map[string]bool{"network": t.Network != "", "address": t.Address != "", "facility": t.Facility != nil,
		"hostname": t.Hostname != "", "app_name": t.AppName != ""}
	switch t.Type {
	case TypeWebhook:
		notFor(emailSet)
		notFor(syslogSet)
		u, err := url.Parse(t.URL)
		switch {
		case t.URL == "":
			bad("url", "a webhook target needs a url")
		case err != nil:
			bad("url", "%v", err)
		case u.Scheme != "https" && u.Scheme != "http":
			bad("url", "scheme %q: want https or http", u.Scheme)
		case u.Host == "":
			bad("url", "%q has no host", t.URL)
		case u.User != nil:
			bad("url", "credentials in the url are not allowed; use secret to sign requests")
		}
	case TypeEmail:
		notFor(webhookSet)
		notFor(syslogSet)
		if t.Host == "" {
			bad("host", "an email target needs the SMTP server's host")
		}
		if t.Port < 0 || t.Port > 65535 {
			bad("port", "%d is not a TCP port", t.Port)
		}
		switch t.TLS {
		case "", TLSStartTLS, TLSImplicit:
		case TLSNone:
			if t.Username != "" || t.Password != "" {
				bad("username", "credentials are never sent without TLS; set tls: starttls or tls")
			}
		default:
			bad("tls", "%q: want starttls, tls or none", t.TLS)
		}
		if (t.Username == "") != (t.Password == "") {
			bad("password", "username and password go together")
		}
		if t.CAFile != "" {
			if _, err := os.Stat(t.CAFile); err != nil {
				bad("ca_file", "%v", err)
			}
		}
		if err := checkAddress(t.From); err != nil {
			bad("from", "%v", err)
		}
		if len(t.To) == 0 {
			bad("to", "an email target needs at least one recipient")
		}
		for i, to := range t.To {
			if err := checkAddress(to); err != nil {
				bad(fmt.Sprintf("to[%d]", i), "%v", err)
			}
		}
	case TypeSyslog:
		notFor(webhookSet)
		notFor(emailSet)
		if t.Network != "" && t.Network != "udp" && t.Network != "tcp" {
			bad("network", "%q: want udp or tcp", t.Network)
		}
		if _, port, err := net.SplitHostPort(t.Address); err != nil {
			bad("address", "want host:port: %v", err)
		} else if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
			bad("address", "port %q is not a port number", port)
		}
		if t.Facility != nil && (*t.Facility < 0 || *t.Facility > 23) {
			bad("facility", "%d: want 0 to 23", *t.Facility)
		}
		if strings.ContainsFunc(t.Hostname+t.AppName, func(r rune) bool { return r <= ' ' || r > '~' }) {
			bad("hostname", "hostname and app_name must be printable ASCII without spaces")
		}
	case "":
		bad("type", "missing: want webhook, email or syslog")
	default:
		bad("type", "%q: want webhook, email or syslog", t.Type)
	}
	return errors.Join(errs...)
}

// checkAddress accepts one bare e-mail address ("soc@example.org"), the
// form SMTP's MAIL FROM and RCPT TO take.
func checkAddress(s string) error {
	if s == "" {
		return errors.New("missing address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	if a.Address != s || a.Name != "" {
		return fmt.Errorf("%q: want a bare address such as soc@example.org", s)
	}
	return nil
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.GroupWait == 0 {
		c.GroupWait = DefaultGroupWait
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
