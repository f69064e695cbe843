package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// ScanConfig configures the scan detector. The zero value gives the
// defaults.
type ScanConfig struct {
	// Window is the span in which distinct targets are counted, from a
	// target's first probe. Default 5m.
	Window time.Duration `yaml:"window"`
	// Ports is the number of distinct ports probed on one host that
	// makes a vertical scan. Default 50.
	Ports int `yaml:"ports"`
	// Hosts is the number of distinct hosts probed on one port that
	// makes a horizontal scan. Default 50.
	Hosts int `yaml:"hosts"`
	// Quiet is how long a source stays unreported for the same kind of
	// scan after a finding, so that one scan of many hosts is one
	// finding, not one per host. Default 1h.
	Quiet time.Duration `yaml:"quiet"`
	// InternalNetworks are added to the private ranges as internal: a
	// scan from an internal source is discovery (level high), one from
	// outside reconnaissance (level low, the internet's background).
	InternalNetworks []string `yaml:"internal_networks"`
}

// DefaultScanConfig returns the defaults.
func DefaultScanConfig() ScanConfig {
	return ScanConfig{Window: 5 * time.Minute, Ports: 50, Hosts: 50, Quiet: time.Hour}
}

func (c ScanConfig) withDefaults() ScanConfig {
	d := DefaultScanConfig()
	setDuration(&c.Window, d.Window)
	setDuration(&c.Quiet, d.Quiet)
	setInt(&c.Ports, d.Ports)
	setInt(&c.Hosts, d.Hosts)
	return c
}

// Validate checks the configuration.
func (c ScanConfig) Validate() error {
	var errs []error
	if c.Window < 0 || c.Quiet < 0 || c.Ports < 0 || c.Hosts < 0 {
		errs = append(errs, errors.New("scan window, quiet, ports and hosts must not be negative"))
	}
	errs = append(errs, validNetworks("internal_networks", c.InternalNetworks))
	return errors.Join(errs...)
}

// Scan finds port scans: one source probing many ports of one host
// (vertical) or one port of many hosts (horizontal) within a Window.
//
// A probe is a connection record that failed or carried nothing: Zeek
// states S0 (no answer), REJ (refused), RSTO, RSTOS0, RSTR, RSTRH, SH,
// SHR and OTH, or a connection with no payload either way; a record
// without a state or byte counts (a firewall's drop log, Sysmon's
// network connection) counts too. ICMP counts by type and code, so a
// ping sweep is a horizontal scan of "icmp/0". Successful connections
// that carried data are not probes.
//
// Memory: per source and target, at most Ports (or Hosts) values are
// kept, and targets are capped by Limits.MaxEntities.
type Scan struct {
	cfg      ScanConfig
	lim      behave.Limits
	internal networks
	targets  *behave.Table[*scanTarget]
	now      time.Time
}

var _ behave.Detector = (*Scan)(nil)

// scanTarget is what one source probed on one host (vertical: Ports)
// or on one port (horizontal: Hosts) since Start; or, for a quiet key,
// until when the source stays unreported.
type scanTarget struct {
	Start    time.Time       `json:"start"`
	Ports    []uint16        `json:"ports,omitempty"`
	Hosts    []string        `json:"hosts,omitempty"`
	Until    time.Time       `json:"until,omitzero"`
	Evidence behave.Evidence `json:"evidence"`
}

// probeStates are the Zeek conn_state values of a failed or aborted
// connection.
var probeStates = map[string]bool{
	"S0": true, "REJ": true, "RSTO": true, "RSTOS0": true, "RSTR": true,
	"RSTRH": true, "SH": true, "SHR": true, "OTH": true,
}

// NewScan returns a scan detector.
func NewScan(cfg ScanConfig, lim behave.Limits) *Scan {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	return &Scan{cfg: cfg, lim: lim, internal: mustNetworks(cfg.InternalNetworks), targets: behave.NewTable[*scanTarget](lim.MaxEntities)}
}

// Name implements behave.Detector.
func (s *Scan) Name() string { return "scan" }

// Observe implements behave.Detector.
func (s *Scan) Observe(ev *event.Event, ref string) []behave.Finding {
	f, ok := FlowOf(ev)
	if !ok || !f.isConn() || !f.Dest.IsValid() || !probe(&f) {
		return nil
	}
	if ev.Time.After(s.now) {
		s.now = ev.Time
	}
	src := f.Source.String()
	dst := f.Dest.String()
	proto := f.Transport
	if proto == "" {
		proto = "ip"
	}
	var out []behave.Finding
	// Vertical: ports of one host.
	v := s.target("v|"+src+"|"+dst, f.Time)
	if !slices.Contains(v.Ports, f.Port) && len(v.Ports) < s.cfg.Ports {
		v.Ports = append(v.Ports, f.Port)
	}
	v.Evidence.Add(ref, s.lim.MaxEvidence)
	if len(v.Ports) == s.cfg.Ports && s.quiet("v|"+src, f.Time) {
		out = append(out, s.finding(&f, v, true))
		v.Ports = v.Ports[:0]
	}
	// Horizontal: hosts on one port.
	service := fmt.Sprintf("%s/%d", proto, f.Port)
	h := s.target("h|"+src+"|"+service, f.Time)
	if !slices.Contains(h.Hosts, dst) && len(h.Hosts) < s.cfg.Hosts {
		h.Hosts = append(h.Hosts, dst)
	}
	h.Evidence.Add(ref, s.lim.MaxEvidence)
	if len(h.Hosts) == s.cfg.Hosts && s.quiet("h|"+src, f.Time) {
		out = append(out, s.finding(&f, h, false))
		h.Hosts = h.Hosts[:0]
	}
	return out
}

// probe reports whether f is a failed or empty connection attempt.
func probe(f *Flow) bool {
	if f.State != "" {
		return probeStates[f.State] || (f.BytesOut == 0 && f.BytesIn == 0)
	}
	return f.BytesOut <= 0 && f.BytesIn <= 0
}

// target returns the state of a key, starting it afresh when its window
// has passed.
func (s *Scan) target(key string, at time.Time) *scanTarget {
	t := s.targets.Get(key, at, func() *scanTarget { return &scanTarget{Start: at} })
	if at.Sub(t.Start) >= s.cfg.Window {
		*t = scanTarget{Start: at}
	}
	return t
}

// quiet reports whether a source may be reported for a kind of scan at
// at, and if so starts its quiet period.
func (s *Scan) quiet(key string, at time.Time) bool {
	q := s.targets.Get("q|"+key, at, func() *scanTarget { return &scanTarget{} })
	if at.Before(q.Until) {
		return false
	}
	q.Until = at.Add(s.cfg.Quiet)
	return true
}

func (s *Scan) finding(f *Flow, t *scanTarget, vertical bool) behave.Finding {
	src := f.Source.String()
	ents := []behave.Entity{{Field: event.SourceIP, Value: src}}
	var title, text, unit string
	var n, threshold int
	if vertical {
		n, threshold, unit = len(t.Ports), s.cfg.Ports, "ports"
		ents = append(ents, behave.Entity{Field: event.DestinationIP, Value: f.Dest.String()})
		title = fmt.Sprintf("Port scan of %s from %s", f.Dest, src)
		text = fmt.Sprintf("%s probed %d distinct ports of %s within %s (at least %d make a vertical scan).",
			src, n, f.Dest, s.cfg.Window, threshold)
	} else {
		n, threshold, unit = len(t.Hosts), s.cfg.Hosts, "hosts"
		ents = append(ents, behave.Entity{Field: event.DestinationPort, Value: fmt.Sprint(f.Port)})
		if f.Transport != "" {
			ents = append(ents, behave.Entity{Field: event.NetworkTransport, Value: f.Transport})
		}
		title = fmt.Sprintf("Sweep of %s/%d from %s", f.Transport, f.Port, src)
		text = fmt.Sprintf("%s probed %s/%d on %d distinct hosts within %s (at least %d make a horizontal scan): %s.",
			src, f.Transport, f.Port, n, s.cfg.Window, threshold, joinNames(t.Hosts, 5))
	}
	level, tags := "low", []string{"attack.reconnaissance", "attack.t1595.001"}
	if s.internal.internal(f.Source) {
		level, tags = "high", []string{"attack.discovery", "attack.t1046"}
	}
	return behave.Finding{
		Detector:  s.Name(),
		Title:     title,
		Level:     level,
		Time:      f.Time,
		Entities:  ents,
		Why:       behave.Why{Observed: float64(n), Unit: unit, Threshold: float64(threshold), Window: s.cfg.Window, Text: text},
		Evidence:  slices.Clone(t.Evidence.Refs),
		Truncated: t.Evidence.Truncated,
		Tags:      tags,
	}
}

// Advance implements behave.Detector.
func (s *Scan) Advance(now time.Time) []behave.Finding {
	if now.After(s.now) {
		s.now = now
	}
	s.targets.Expire(s.now.Add(-max(s.cfg.Window, s.cfg.Quiet)))
	return nil
}

type scanState struct {
	Version int                              `json:"version"`
	Now     time.Time                        `json:"now"`
	Targets []behave.SavedEntry[*scanTarget] `json:"targets"`
}

// Snapshot implements behave.Detector.
func (s *Scan) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(scanState{Version: 1, Now: s.now, Targets: s.targets.Save()})
}

// Restore implements behave.Detector.
func (s *Scan) Restore(r io.Reader) error {
	var st scanState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("reading scan state: %w", err)
	}
	if st.Version != 1 {
		return nil
	}
	s.now = st.Now
	s.targets.Load(st.Targets)
	return nil
}
