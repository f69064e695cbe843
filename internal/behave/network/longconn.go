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

// LongConnConfig configures the long-connection detector. The zero value
// gives the defaults.
type LongConnConfig struct {
	// Single is the duration from which one connection is reported.
	// Default 1h, RITA's long_connection_minimum_duration.
	Single time.Duration `yaml:"single"`
	// Cumulative is the total duration of a pair's connections within
	// Window from which the pair is reported. Default 1h.
	Cumulative time.Duration `yaml:"cumulative"`
	// Window bounds the cumulative total and the reporting: one finding
	// per pair and window. Default 24h.
	Window time.Duration `yaml:"window"`
	// InternalNetworks and Proxies are as for BeaconConfig.
	InternalNetworks []string `yaml:"internal_networks"`
	Proxies          []string `yaml:"proxies"`
	// IncludeInternal counts connections between internal hosts too.
	// Default false: as RITA, only internal to external (or through a
	// proxy) connections.
	IncludeInternal bool `yaml:"include_internal"`
	// JoinDelay is as for BeaconConfig. Default 2m.
	JoinDelay time.Duration `yaml:"join_delay"`
}

// DefaultLongConnConfig returns the defaults.
func DefaultLongConnConfig() LongConnConfig {
	return LongConnConfig{Single: time.Hour, Cumulative: time.Hour, Window: 24 * time.Hour, JoinDelay: 2 * time.Minute}
}

func (c LongConnConfig) withDefaults() LongConnConfig {
	d := DefaultLongConnConfig()
	setDuration(&c.Single, d.Single)
	setDuration(&c.Cumulative, d.Cumulative)
	setDuration(&c.Window, d.Window)
	setDuration(&c.JoinDelay, d.JoinDelay)
	return c
}

// Validate checks the configuration.
func (c LongConnConfig) Validate() error {
	var errs []error
	if c.Single < 0 || c.Cumulative < 0 || c.Window < 0 || c.JoinDelay < 0 {
		errs = append(errs, errors.New("longconn durations must not be negative"))
	}
	errs = append(errs, validNetworks("internal_networks", c.InternalNetworks), validNetworks("proxies", c.Proxies))
	return errors.Join(errs...)
}

// LongConn finds long-lived connections: one connection of at least
// Single, or connections of one pair adding up to Cumulative within a
// Window, as a remote shell, a tunnel or a C2 channel kept open does. A
// pair is an internal source and a destination name or address (see
// Beacon); it is reported once per Window. Durations are those Zeek
// writes when a connection ends, so a connection is seen when it closes.
type LongConn struct {
	cfg    LongConnConfig
	lim    behave.Limits
	policy flowPolicy
	join   *joiner
	pairs  *behave.Table[*longPair]
	now    time.Time
	found  []behave.Finding
}

var (
	_ behave.Detector = (*LongConn)(nil)
	_ behave.Flusher  = (*LongConn)(nil)
)

// longPair is the state of one source and destination in one window.
type longPair struct {
	Source   string          `json:"src"`
	Dest     string          `json:"dst"`
	Host     string          `json:"host,omitempty"`
	Port     uint16          `json:"port,omitempty"`
	Start    time.Time       `json:"start"` // the window's start
	Total    time.Duration   `json:"total"`
	Longest  time.Duration   `json:"longest"`
	Count    int             `json:"count"`
	Reported bool            `json:"reported,omitempty"`
	Evidence behave.Evidence `json:"evidence"`
}

// NewLongConn returns a long-connection detector.
func NewLongConn(cfg LongConnConfig, lim behave.Limits) *LongConn {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	return &LongConn{
		cfg:    cfg,
		lim:    lim,
		policy: flowPolicy{internal: mustNetworks(cfg.InternalNetworks), proxies: mustNetworks(cfg.Proxies)},
		join:   newJoiner(cfg.JoinDelay, lim.MaxEntities),
		pairs:  behave.NewTable[*longPair](lim.MaxEntities),
	}
}

// Name implements behave.Detector.
func (l *LongConn) Name() string { return "longconn" }

// Observe implements behave.Detector.
func (l *LongConn) Observe(ev *event.Event, ref string) []behave.Finding {
	f, ok := FlowOf(ev)
	if !ok {
		return nil
	}
	l.advance(ev.Time)
	l.join.add(f, ref, l.count)
	return l.take()
}

// Advance implements behave.Detector.
func (l *LongConn) Advance(now time.Time) []behave.Finding {
	l.advance(now)
	l.pairs.Expire(l.now.Add(-l.cfg.Window))
	return l.take()
}

// Flush emits the connections still waiting for their other records.
func (l *LongConn) Flush() []behave.Finding {
	l.join.flush(l.count)
	return l.take()
}

func (l *LongConn) take() []behave.Finding {
	out := l.found
	l.found = nil
	return out
}

func (l *LongConn) advance(now time.Time) {
	if now.After(l.now) {
		l.now = now
	}
	l.join.expire(l.now, l.count)
}

func (l *LongConn) count(f Flow, refs []string) {
	if f.Duration <= 0 {
		return
	}
	if !l.policy.outbound(&f) && !(l.cfg.IncludeInternal && l.policy.internal.internal(f.Source) && f.Dest.IsValid()) {
		return
	}
	key := f.Source.String() + "|" + f.DestKey()
	p := l.pairs.Get(key, f.Time, func() *longPair {
		return &longPair{Source: f.Source.String(), Dest: f.Dest.String(), Host: f.Host, Port: f.Port, Start: f.Time}
	})
	if f.Time.Sub(p.Start) >= l.cfg.Window {
		*p = longPair{Source: p.Source, Dest: f.Dest.String(), Host: p.Host, Port: f.Port, Start: f.Time}
	}
	p.Total += f.Duration
	p.Longest = max(p.Longest, f.Duration)
	p.Count++
	for _, r := range refs {
		p.Evidence.Add(r, l.lim.MaxEvidence)
	}
	if p.Reported || (f.Duration < l.cfg.Single && p.Total < l.cfg.Cumulative) {
		return
	}
	p.Reported = true
	l.found = append(l.found, l.finding(p, f))
}

func (l *LongConn) finding(p *longPair, f Flow) behave.Finding {
	dest := p.Host
	ents := []behave.Entity{{Field: event.SourceIP, Value: p.Source}}
	if p.Host != "" {
		ents = append(ents, behave.Entity{Field: "destination.domain", Value: p.Host})
	}
	if !f.Proxied && f.Dest.IsValid() {
		ents = append(ents, behave.Entity{Field: event.DestinationIP, Value: f.Dest.String()})
		if dest == "" {
			dest = f.Dest.String()
		}
	}
	if p.Port != 0 {
		ents = append(ents, behave.Entity{Field: event.DestinationPort, Value: fmt.Sprint(p.Port)})
	}
	observed, threshold, what := p.Longest, l.cfg.Single, "one connection lasted"
	if p.Longest < l.cfg.Single {
		observed, threshold, what = p.Total, l.cfg.Cumulative, fmt.Sprintf("%d connections lasted", p.Count)
	}
	return behave.Finding{
		Detector: l.Name(),
		Title:    fmt.Sprintf("Long connection from %s to %s", p.Source, dest),
		Level:    longLevel(observed),
		Time:     f.Time,
		Entities: ents,
		Why: behave.Why{
			Observed:  observed.Minutes(),
			Unit:      "minutes",
			Threshold: threshold.Minutes(),
			Window:    l.cfg.Window,
			Text: fmt.Sprintf("Between %s and %s, %s %s in all, at least %s.",
				p.Source, dest, what, observed.Round(time.Second), threshold),
		},
		Evidence:  slices.Clone(p.Evidence.Refs),
		Truncated: p.Evidence.Truncated,
		Tags:      []string{"attack.command-and-control", "attack.t1071", "attack.t1572"},
	}
}

// longLevel follows RITA's long-connection buckets: 4 h, 8 h and more.
func longLevel(d time.Duration) string {
	switch {
	case d >= 8*time.Hour:
		return "high"
	case d >= 4*time.Hour:
		return "medium"
	}
	return "low"
}

type longConnState struct {
	Version int                            `json:"version"`
	Now     time.Time                      `json:"now"`
	Held    []*pending                     `json:"held"`
	Pairs   []behave.SavedEntry[*longPair] `json:"pairs"`
}

// Snapshot implements behave.Detector.
func (l *LongConn) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(longConnState{Version: 1, Now: l.now, Held: l.join.save(), Pairs: l.pairs.Save()})
}

// Restore implements behave.Detector.
func (l *LongConn) Restore(r io.Reader) error {
	var st longConnState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("reading longconn state: %w", err)
	}
	if st.Version != 1 {
		return nil
	}
	l.now = st.Now
	l.join.load(st.Held)
	l.pairs.Load(st.Pairs)
	return nil
}
