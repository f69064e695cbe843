// Package catalog lists Vigie's behaviour detectors by name, with their
// configuration, and builds the ones a user asks for. It is the one place
// that knows every detector, shared by serve, hunt and retro-hunts.
package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/access"
	"github.com/vigie-sec/vigie/internal/behave/authn"
	"github.com/vigie-sec/vigie/internal/behave/geo"
	"github.com/vigie-sec/vigie/internal/behave/network"
	"github.com/vigie-sec/vigie/internal/behave/telemetry"
	"github.com/vigie-sec/vigie/internal/geoip"
)

// Config holds the parameters of each behaviour detector, under its
// name: the "detection.behaviour" section of Vigie's configuration.
// Missing keys keep the detector's defaults.
type Config struct {
	Limits       behave.Limits            `yaml:"limits"`
	BruteForce   authn.BruteForceConfig   `yaml:"bruteforce"`
	Spray        authn.SprayConfig        `yaml:"spray"`
	SuccessAfter authn.SuccessAfterConfig `yaml:"successafter"`
	Lateral      authn.LateralConfig      `yaml:"lateral"`
	Privilege    authn.PrivilegeConfig    `yaml:"privilege"`
	Travel       geo.TravelConfig         `yaml:"travel"`
	NewPlace     geo.NewPlaceConfig       `yaml:"newplace"`
	Beacon       network.BeaconConfig     `yaml:"beacon"`
	LongConn     network.LongConnConfig   `yaml:"longconn"`
	DNSTunnel    network.DNSTunnelConfig  `yaml:"dnstunnel"`
	Exfil        network.ExfilConfig      `yaml:"exfil"`
	Scan         network.ScanConfig       `yaml:"scan"`
	Probe        network.ProbeConfig      `yaml:"probe"`
	MassAccess   access.MassConfig        `yaml:"mass_access"`
	Silence      telemetry.SilenceConfig  `yaml:"silence"`
	Cleared      telemetry.ClearedConfig  `yaml:"cleared"`
}

// DefaultConfig returns every detector's default parameters.
func DefaultConfig() Config {
	return Config{
		BruteForce:   authn.DefaultBruteForceConfig(),
		Spray:        authn.DefaultSprayConfig(),
		SuccessAfter: authn.DefaultSuccessAfterConfig(),
		Lateral:      authn.DefaultLateralConfig(),
		Privilege:    authn.DefaultPrivilegeConfig(),
		Travel:       geo.DefaultTravelConfig(),
		NewPlace:     geo.DefaultNewPlaceConfig(),
		Beacon:       network.DefaultBeaconConfig(),
		LongConn:     network.DefaultLongConnConfig(),
		DNSTunnel:    network.DefaultDNSTunnelConfig(),
		Exfil:        network.DefaultExfilConfig(),
		Scan:         network.DefaultScanConfig(),
		Probe:        network.DefaultProbeConfig(),
		MassAccess:   access.DefaultMassConfig(),
		Silence:      telemetry.DefaultSilenceConfig(),
		Cleared:      telemetry.DefaultClearedConfig(),
	}
}

// detectorSpec builds one detector after checking its configuration.
type detectorSpec struct {
	name     string
	geoip    bool // needs detection.geoip
	validate func(c *Config) error
	build    func(c *Config, db *geoip.DB, lim behave.Limits) behave.Detector
}

// spec ties a detector's name to its part of the configuration and its
// constructor.
func spec[C interface{ Validate() error }](name string, needsGeoIP bool, part func(*Config) C,
	build func(C, *geoip.DB, behave.Limits) behave.Detector) detectorSpec {
	return detectorSpec{
		name: name, geoip: needsGeoIP,
		validate: func(c *Config) error { return part(c).Validate() },
		build: func(c *Config, db *geoip.DB, l behave.Limits) behave.Detector {
			return build(part(c), db, l)
		},
	}
}

func detectorSpecs() []detectorSpec {
	return []detectorSpec{
		spec("bruteforce", false, func(c *Config) authn.BruteForceConfig { return c.BruteForce },
			func(c authn.BruteForceConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return authn.NewBruteForce(c, l)
			}),
		spec("spray", false, func(c *Config) authn.SprayConfig { return c.Spray },
			func(c authn.SprayConfig, _ *geoip.DB, l behave.Limits) behave.Detector { return authn.NewSpray(c, l) }),
		spec("successafter", false, func(c *Config) authn.SuccessAfterConfig { return c.SuccessAfter },
			func(c authn.SuccessAfterConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return authn.NewSuccessAfter(c, l)
			}),
		spec("lateral", false, func(c *Config) authn.LateralConfig { return c.Lateral },
			func(c authn.LateralConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return authn.NewLateral(c, l)
			}),
		spec("privilege", false, func(c *Config) authn.PrivilegeConfig { return c.Privilege },
			func(c authn.PrivilegeConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return authn.NewPrivilege(c, l)
			}),
		spec("travel", true, func(c *Config) geo.TravelConfig { return c.Travel },
			func(c geo.TravelConfig, db *geoip.DB, l behave.Limits) behave.Detector {
				return geo.NewTravel(c, db, l)
			}),
		spec("newplace", true, func(c *Config) geo.NewPlaceConfig { return c.NewPlace },
			func(c geo.NewPlaceConfig, db *geoip.DB, l behave.Limits) behave.Detector {
				return geo.NewNewPlace(c, db, l)
			}),
		spec("beacon", false, func(c *Config) network.BeaconConfig { return c.Beacon },
			func(c network.BeaconConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return network.NewBeacon(c, l)
			}),
		spec("longconn", false, func(c *Config) network.LongConnConfig { return c.LongConn },
			func(c network.LongConnConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return network.NewLongConn(c, l)
			}),
		spec("dnstunnel", false, func(c *Config) network.DNSTunnelConfig { return c.DNSTunnel },
			func(c network.DNSTunnelConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return network.NewDNSTunnel(c, l)
			}),
		spec("exfil", false, func(c *Config) network.ExfilConfig { return c.Exfil },
			func(c network.ExfilConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return network.NewExfil(c, l)
			}),
		spec("scan", false, func(c *Config) network.ScanConfig { return c.Scan },
			func(c network.ScanConfig, _ *geoip.DB, l behave.Limits) behave.Detector { return network.NewScan(c, l) }),
		spec("probe", false, func(c *Config) network.ProbeConfig { return c.Probe },
			func(c network.ProbeConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return network.NewProbe(c, l)
			}),
		spec("mass_access", false, func(c *Config) access.MassConfig { return c.MassAccess },
			func(c access.MassConfig, _ *geoip.DB, l behave.Limits) behave.Detector { return access.NewMass(c, l) }),
		spec("silence", false, func(c *Config) telemetry.SilenceConfig { return c.Silence },
			func(c telemetry.SilenceConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return telemetry.NewSilence(c, l)
			}),
		spec("cleared", false, func(c *Config) telemetry.ClearedConfig { return c.Cleared },
			func(c telemetry.ClearedConfig, _ *geoip.DB, l behave.Limits) behave.Detector {
				return telemetry.NewCleared(c, l)
			}),
	}
}

// Names lists the behaviour detectors, for help and errors.
func Names() []string {
	var names []string
	for _, s := range detectorSpecs() {
		names = append(names, s.name)
	}
	return names
}

// Build builds the detectors named in names ("all" for every one; with
// "all", those that need a GeoIP database are left out when geoipPath is
// empty, and the returned note says so), each configured from c. It
// returns no detector when names is empty. geoipASN is an optional ASN
// database.
func Build(names []string, geoipPath, geoipASN string, c *Config) (detectors []behave.Detector, note string, err error) {
	if len(names) == 0 {
		return nil, "", nil
	}
	want := map[string]bool{}
	all := false
	for _, n := range names {
		for _, n := range strings.Split(n, ",") {
			n = strings.TrimSpace(n)
			if n == "all" {
				all = true
				continue
			}
			if !slices.Contains(Names(), n) {
				return nil, "", fmt.Errorf("unknown detector %q: use all or some of %s", n, strings.Join(Names(), ", "))
			}
			want[n] = true
		}
	}
	var db *geoip.DB
	if geoipPath != "" {
		if geoipASN != "" {
			db, err = geoip.OpenASN(geoipPath, geoipASN)
		} else {
			db, err = geoip.Open(geoipPath)
		}
		if err != nil {
			return nil, "", err
		}
	}
	var skipped, built []string
	for _, s := range detectorSpecs() {
		if !all && !want[s.name] {
			continue
		}
		if s.geoip && db == nil {
			if want[s.name] {
				return nil, "", fmt.Errorf("detector %s needs a GeoIP database: set detection.geoip (or --geoip) to a MaxMind GeoLite2-City or DB-IP city .mmdb file", s.name)
			}
			skipped = append(skipped, s.name)
			continue
		}
		if err := s.validate(c); err != nil {
			return nil, "", fmt.Errorf("detection.behaviour.%s: %w", s.name, err)
		}
		detectors = append(detectors, s.build(c, db, c.Limits.WithDefaults()))
		built = append(built, s.name)
	}
	note = fmt.Sprintf("%d behaviour detectors: %s", len(detectors), strings.Join(built, ", "))
	if len(skipped) > 0 {
		note += fmt.Sprintf(" (without a GeoIP database: not %s)", strings.Join(skipped, ", "))
	}
	return detectors, note, nil
}
