package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
	"github.com/vigie-sec/vigie/internal/casefile"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/retro"
	"github.com/vigie-sec/vigie/internal/scope"
)

// serveConfig is the YAML shape of "vigie serve --config FILE". Flags
// given on the command line override it.
type serveConfig struct {
	Data   string `yaml:"data"`
	Listen string `yaml:"listen"`
	HTTP   struct {
		TLSCert string `yaml:"tls_cert"`
		TLSKey  string `yaml:"tls_key"`
		// SelfSigned serves TLS with a certificate made on first start
		// and kept in <data>/tls. It is on by default when the listen
		// address is not a loopback one and no certificate is given.
		SelfSigned *bool `yaml:"tls_self_signed"`
		MaxBody    size  `yaml:"max_body"`
	} `yaml:"http"`
	Syslog struct {
		UDP     string `yaml:"udp"`
		TCP     string `yaml:"tcp"`
		TLS     string `yaml:"tls"` // address of the TLS listener
		TLSCert string `yaml:"tls_cert"`
		TLSKey  string `yaml:"tls_key"`
	} `yaml:"syslog"`
	Ingest struct {
		QueueEvents int  `yaml:"queue_events"`
		BatchEvents int  `yaml:"batch_events"`
		MaxRecord   size `yaml:"max_record"`
	} `yaml:"ingest"`
	Retention struct {
		MaxAge   duration `yaml:"max_age"`
		MaxBytes size     `yaml:"max_bytes"`
		Every    duration `yaml:"every"`
	} `yaml:"retention"`
	Detection detectionConfig `yaml:"detection"`
	// URL is the address analysts reach this server at, for links in
	// notifications.
	URL       string          `yaml:"url"`
	Incidents incident.Config `yaml:"incidents"`
	Scope     scope.Config    `yaml:"scope"`
	Response  respond.Config  `yaml:"response"`
	Notify    notify.Config   `yaml:"notify"`
	Hunts     retro.Config    `yaml:"hunts"`
	// Evidence configures the integrity log: checkpoint interval,
	// origin name and witnesses.
	Evidence evidence.Config `yaml:"evidence"`
	// Export bounds case bundles.
	Export casefile.Config `yaml:"export"`
	// Auth tunes the console's sessions and logins.
	Auth struct {
		SessionTTL  duration `yaml:"session_ttl"`
		IdleTimeout duration `yaml:"idle_timeout"`
		LoginLimit  int      `yaml:"login_limit"`
		LoginWindow duration `yaml:"login_window"`
	} `yaml:"auth"`

	// ready, when set, is given the listening address once the server
	// answers (vigie demo waits on it).
	ready func(addr string) `yaml:"-"`
	// demoUsers are created (or reset) at start by vigie demo.
	demoUsers []demoUser `yaml:"-"`
}

type demoUser struct {
	name, password string
	role           auth.Role
}

// detectionConfig is the "detection" section: Sigma rules and behaviour
// detectors, for serve and hunt.
type detectionConfig struct {
	// Rules are Sigma rule files and folders, run on every stored
	// event; none means no live detection.
	Rules []string `yaml:"rules"`
	// Logsources is a YAML file of log source mappings added to the
	// defaults.
	Logsources string `yaml:"logsources"`
	// Placeholders are the values of expand placeholders (%name%).
	Placeholders map[string][]string `yaml:"placeholders"`
	// ReloadEvery is how often the rule files are checked for
	// changes; default 10s.
	ReloadEvery duration `yaml:"reload_every"`
	// Lateness is how late an event may arrive and still count in
	// correlations; default 1m.
	Lateness duration `yaml:"lateness"`
	// MaxGroups bounds the groups each correlation rule keeps;
	// default 100,000.
	MaxGroups int `yaml:"max_groups"`
	// Detectors are the behaviour detectors to run: names, or "all".
	Detectors []string `yaml:"detectors"`
	// GeoIP is a MaxMind or DB-IP .mmdb city database, for the detectors
	// that locate logins (travel, newplace).
	GeoIP string `yaml:"geoip"`
	// GeoIPASN is an optional ASN database, for logins from new networks.
	GeoIPASN string `yaml:"geoip_asn"`
	// Behaviour holds each detector's parameters, defaults filled in.
	Behaviour catalog.Config `yaml:"behaviour"`
}

// maxConfigSize bounds a config file, as every YAML input is bounded.
const maxConfigSize = 1 << 20

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// loadConfig reads a config file strictly: an unknown key is an error that
// names the file and line.
func loadConfig(path string) (*serveConfig, error) {
	var cfg serveConfig
	cfg.Detection.Behaviour = catalog.DefaultConfig()
	if path == "" {
		return &cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if len(b) > maxConfigSize {
		return nil, fmt.Errorf("%s: config file over %d bytes", path, maxConfigSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var msgs []string
			for _, e := range te.Errors {
				if m := yamlLine.FindStringSubmatch(e); m != nil {
					msg := m[2]
					if f, _, ok := strings.Cut(strings.TrimPrefix(msg, "field "), " not found"); ok && strings.HasPrefix(msg, "field ") {
						msg = fmt.Sprintf("unknown key %q", f)
					}
					msgs = append(msgs, fmt.Sprintf("%s:%s: %s", path, m[1], msg))
				} else {
					msgs = append(msgs, path+": "+e)
				}
			}
			return nil, errors.New(strings.Join(msgs, "\n"))
		}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", path, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &cfg, nil
}

// duration is a time.Duration in YAML that also accepts days ("90d").
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	s := n.Value
	days := strings.HasSuffix(s, "d")
	v := s
	if days {
		v = strings.TrimSuffix(s, "d") + "h"
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur < 0 {
		return fmt.Errorf("line %d: %q is not a duration (examples: 90d, 12h, 30m)", n.Line, s)
	}
	if days {
		dur *= 24
	}
	*d = duration(dur)
	return nil
}

// size is a byte count in YAML with an optional unit: 512KiB, 1MiB, 50GiB,
// 2GB.
type size int64

func (s *size) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = size(v)
	return nil
}

func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (examples: 1MiB, 50GiB, 1048576)", s)
	}
	return n * mult, nil
}
