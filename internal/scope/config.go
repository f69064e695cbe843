package scope

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrConfig is matched by every error Config.Validate returns.
var ErrConfig = errors.New("invalid scope config")

// Config bounds and tunes Build. The zero value works: every zero field
// takes the default written beside it. In YAML:
//
//	scope:
//	  max_events: 2000000        # events read from the store, in all
//	  max_accounts: 100          # accounts discovered beyond the subject's
//	  max_hosts: 100             # hosts discovered beyond the subject's
//	  max_edges: 1000            # movement edges listed
//	  max_containers: 200        # data containers listed
//	  max_objects: 1000          # objects listed per container
//	  max_distinct: 200000       # distinct objects counted, in all
//	  max_destinations: 50000    # destinations remembered (history and window)
//	  max_transfers: 100         # transfers listed, largest first
//	  baseline: 168h             # history read before the window
//	  min_gap: 1h                # a silence shorter than this is never a gap
//	  gap_factor: 10             # ... nor one under gap_factor × the median gap
//	  unusual_factor: 10         # bytes over this × the daily median are unusual
//	  unusual_bytes: 1000000     # transfers under this are normal
//	  exfil_bytes: 100000000     # likely exfiltration from this many bytes
//	  exfil_downloads: 50        # ... or this many cloud downloads
//	  internal_networks: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
type Config struct {
	MaxEvents       int           `yaml:"max_events"`
	MaxAccounts     int           `yaml:"max_accounts"`
	MaxHosts        int           `yaml:"max_hosts"`
	MaxEdges        int           `yaml:"max_edges"`
	MaxContainers   int           `yaml:"max_containers"`
	MaxObjects      int           `yaml:"max_objects"`
	MaxDistinct     int           `yaml:"max_distinct"`
	MaxDestinations int           `yaml:"max_destinations"`
	MaxTransfers    int           `yaml:"max_transfers"`
	Baseline        time.Duration `yaml:"baseline"`
	MinGap          time.Duration `yaml:"min_gap"`
	GapFactor       float64       `yaml:"gap_factor"`
	UnusualFactor   float64       `yaml:"unusual_factor"`
	UnusualBytes    int64         `yaml:"unusual_bytes"`
	ExfilBytes      int64         `yaml:"exfil_bytes"`
	ExfilDownloads  int           `yaml:"exfil_downloads"`
	// InternalNetworks are the organisation's own address ranges, in CIDR
	// notation. The default is the private, shared, loopback and
	// link-local ranges (RFC 1918, RFC 6598, RFC 4193...).
	InternalNetworks []string `yaml:"internal_networks"`
	// Now gives the end of an open window (Subject.To zero); default
	// time.Now. Not part of the YAML shape.
	Now func() time.Time `yaml:"-"`
}

// defaultInternal are the ranges that never leave an organisation.
var defaultInternal = []string{
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128",
}

// Validate reports a negative bound or a malformed network.
func (c Config) Validate() error {
	for _, b := range []struct {
		name string
		v    int64
	}{
		{"max_events", int64(c.MaxEvents)}, {"max_accounts", int64(c.MaxAccounts)}, {"max_hosts", int64(c.MaxHosts)},
		{"max_edges", int64(c.MaxEdges)}, {"max_containers", int64(c.MaxContainers)}, {"max_objects", int64(c.MaxObjects)},
		{"max_distinct", int64(c.MaxDistinct)}, {"max_destinations", int64(c.MaxDestinations)},
		{"max_transfers", int64(c.MaxTransfers)}, {"baseline", int64(c.Baseline)}, {"min_gap", int64(c.MinGap)},
		{"unusual_bytes", c.UnusualBytes}, {"exfil_bytes", c.ExfilBytes}, {"exfil_downloads", int64(c.ExfilDownloads)},
	} {
		if b.v < 0 {
			return fmt.Errorf("%w: %s is negative", ErrConfig, b.name)
		}
	}
	if c.GapFactor < 0 || c.UnusualFactor < 0 {
		return fmt.Errorf("%w: gap_factor and unusual_factor must not be negative", ErrConfig)
	}
	for i, n := range c.InternalNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			return fmt.Errorf("%w: internal_networks[%d] %q: %w", ErrConfig, i, n, err)
		}
	}
	return nil
}

// withDefaults returns c with its zero fields set.
func (c Config) withDefaults() Config {
	setInt := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	setInt(&c.MaxEvents, 2_000_000)
	setInt(&c.MaxAccounts, 100)
	setInt(&c.MaxHosts, 100)
	setInt(&c.MaxEdges, 1000)
	setInt(&c.MaxContainers, 200)
	setInt(&c.MaxObjects, 1000)
	setInt(&c.MaxDistinct, 200_000)
	setInt(&c.MaxDestinations, 50_000)
	setInt(&c.MaxTransfers, 100)
	setInt(&c.ExfilDownloads, 50)
	if c.Baseline == 0 {
		c.Baseline = 7 * 24 * time.Hour
	}
	if c.MinGap == 0 {
		c.MinGap = time.Hour
	}
	if c.GapFactor == 0 {
		c.GapFactor = 10
	}
	if c.UnusualFactor == 0 {
		c.UnusualFactor = 10
	}
	if c.UnusualBytes == 0 {
		c.UnusualBytes = 1_000_000
	}
	if c.ExfilBytes == 0 {
		c.ExfilBytes = 100_000_000
	}
	if len(c.InternalNetworks) == 0 {
		c.InternalNetworks = defaultInternal
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// networks parses InternalNetworks; Validate has checked them.
func (c Config) networks() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range c.InternalNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}
