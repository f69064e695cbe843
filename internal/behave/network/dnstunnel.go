package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// DNSTunnelConfig configures the DNS tunnelling detector. The zero value
// gives the defaults.
type DNSTunnelConfig struct {
	// Window is the span over which one source's names under one domain
	// are counted, from the first. Default 1h.
	Window time.Duration `yaml:"window"`
	// UniqueNames is the number of distinct names under one registered
	// domain, from one source within Window, that is reported. Default
	// 100 (RITA reports 100 subdomains in 24 h; a tunnel moves data at
	// hundreds or thousands of names an hour).
	UniqueNames int `yaml:"unique_names"`
	// LongNames is the number of distinct long, high-entropy names (see
	// MinLength and MinEntropy) that is reported. Default 10.
	LongNames int `yaml:"long_names"`
	// MinLength is the length of the part of a name before its
	// registered domain, dots left out, from which it is long. Default 30
	// (dnscat2 and iodine fill labels up to 63 characters).
	MinLength int `yaml:"min_length"`
	// MinEntropy is the Shannon entropy, in bits per character, of that
	// part from which a long name is random-looking. Default 3.5
	// (hexadecimal text approaches 4, base32 5, English words about 3).
	MinEntropy float64 `yaml:"min_entropy"`
	// IgnoreDomains are registered domains (or suffixes) never reported:
	// reverse lookups and local names by default. Add the zones of
	// antivirus and DNS blocklist lookups, which look like tunnels.
	IgnoreDomains []string `yaml:"ignore_domains"`
	// IgnoreSources are addresses or CIDRs whose queries are not counted:
	// resolvers forwarding every client's queries.
	IgnoreSources []string `yaml:"ignore_sources"`
}

// DefaultDNSTunnelConfig returns the defaults.
func DefaultDNSTunnelConfig() DNSTunnelConfig {
	return DNSTunnelConfig{
		Window: time.Hour, UniqueNames: 100, LongNames: 10, MinLength: 30, MinEntropy: 3.5,
		IgnoreDomains: []string{"arpa", "local", "localdomain", "internal", "home.arpa"},
	}
}

func (c DNSTunnelConfig) withDefaults() DNSTunnelConfig {
	d := DefaultDNSTunnelConfig()
	setDuration(&c.Window, d.Window)
	setInt(&c.UniqueNames, d.UniqueNames)
	setInt(&c.LongNames, d.LongNames)
	setInt(&c.MinLength, d.MinLength)
	setFloat(&c.MinEntropy, d.MinEntropy)
	if c.IgnoreDomains == nil {
		c.IgnoreDomains = d.IgnoreDomains
	}
	return c
}

// Validate checks the configuration.
func (c DNSTunnelConfig) Validate() error {
	var errs []error
	if c.Window < 0 || c.UniqueNames < 0 || c.LongNames < 0 || c.MinLength < 0 || c.MinEntropy < 0 {
		errs = append(errs, errors.New("dnstunnel settings must not be negative"))
	}
	errs = append(errs, validNetworks("ignore_sources", c.IgnoreSources))
	return errors.Join(errs...)
}

// DNSTunnel finds DNS tunnels and DNS command and control: one source
// asking for many distinct names under one registered domain, or for
// long random-looking ones, as data encoded into names does. It reads
// dns.question.name (Zeek's dns log, Sysmon DNS queries…) and names the
// source by source.ip, else host.name. A source and domain are reported
// once per Window.
//
// The registered domain is a heuristic, not the Public Suffix List: the
// last two labels, or three when the last two are a common second-level
// public suffix (co.uk, com.au, co.jp… see twoLevelSuffixes). Names under
// other multi-label suffixes (a.b.github.io, s3 buckets, dynamic DNS
// zones) are grouped one level too high, which can sum distinct tenants
// into one domain: list such zones in IgnoreDomains if they cause
// findings.
type DNSTunnel struct {
	cfg     DNSTunnelConfig
	lim     behave.Limits
	ignored networks
	pairs   *behave.Table[*dnsPair]
	now     time.Time
}

var _ behave.Detector = (*DNSTunnel)(nil)

// dnsPair is what one source asked under one domain since Start.
type dnsPair struct {
	Start time.Time `json:"start"`
	// Names are the hashes of the distinct names, sorted, at most
	// UniqueNames of them.
	Names    []uint64        `json:"names"`
	Long     int             `json:"long"`
	Example  string          `json:"example,omitempty"` // the longest long name
	Reported bool            `json:"reported,omitempty"`
	Evidence behave.Evidence `json:"evidence"`
}

// NewDNSTunnel returns a DNS tunnelling detector.
func NewDNSTunnel(cfg DNSTunnelConfig, lim behave.Limits) *DNSTunnel {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	return &DNSTunnel{cfg: cfg, lim: lim, ignored: mustNetworks(cfg.IgnoreSources), pairs: behave.NewTable[*dnsPair](lim.MaxEntities)}
}

// Name implements behave.Detector.
func (d *DNSTunnel) Name() string { return "dnstunnel" }

// Observe implements behave.Detector.
func (d *DNSTunnel) Observe(ev *event.Event, ref string) []behave.Finding {
	name, ok := ev.Get(event.DNSQuestionName)
	if !ok || name == "" || ev.Kind == event.KindPipelineError {
		return nil
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	field, src := event.SourceIP, get(ev, event.SourceIP)
	if a, ok := addr(ev, event.SourceIP); ok && d.ignored.contains(a) {
		return nil
	}
	if src == "" {
		field, src = event.HostName, strings.ToLower(get(ev, event.HostName))
	}
	if src == "" {
		return nil
	}
	domain := RegisteredDomain(name)
	if domain == "" || d.ignore(domain) {
		return nil
	}
	if ev.Time.After(d.now) {
		d.now = ev.Time
	}
	p := d.pairs.Get(src+"|"+domain, ev.Time, func() *dnsPair { return &dnsPair{Start: ev.Time} })
	if ev.Time.Sub(p.Start) >= d.cfg.Window {
		*p = dnsPair{Start: ev.Time}
	}
	h := hashName(name)
	i, seen := slices.BinarySearch(p.Names, h)
	if seen {
		return nil
	}
	if len(p.Names) < d.cfg.UniqueNames {
		p.Names = slices.Insert(p.Names, i, h)
	}
	sub := strings.TrimSuffix(strings.TrimSuffix(name, domain), ".")
	if long(sub, d.cfg.MinLength, d.cfg.MinEntropy) {
		p.Long++
		if len(name) > len(p.Example) {
			p.Example = name
		}
	}
	p.Evidence.Add(ref, d.lim.MaxEvidence)
	if p.Reported || (len(p.Names) < d.cfg.UniqueNames && p.Long < d.cfg.LongNames) {
		return nil
	}
	p.Reported = true
	return []behave.Finding{d.finding(field, src, domain, p, ev.Time)}
}

func (d *DNSTunnel) ignore(domain string) bool {
	for _, s := range d.cfg.IgnoreDomains {
		if domain == s || strings.HasSuffix(domain, "."+s) {
			return true
		}
	}
	return false
}

func (d *DNSTunnel) finding(field, src, domain string, p *dnsPair, at time.Time) behave.Finding {
	level := "medium"
	if len(p.Names) >= d.cfg.UniqueNames && p.Long >= d.cfg.LongNames {
		level = "high"
	}
	observed, threshold, unit := float64(len(p.Names)), float64(d.cfg.UniqueNames), "names"
	if len(p.Names) < d.cfg.UniqueNames {
		observed, threshold, unit = float64(p.Long), float64(d.cfg.LongNames), "long names"
	}
	text := fmt.Sprintf("%s asked for %d distinct names under %s within %s, %d of them long and random-looking (at least %d characters, %.1f bits per character)",
		src, len(p.Names), domain, at.Sub(p.Start).Round(time.Second), p.Long, d.cfg.MinLength, d.cfg.MinEntropy)
	if p.Example != "" {
		text += ", such as " + p.Example
	}
	return behave.Finding{
		Detector: d.Name(),
		Title:    fmt.Sprintf("DNS tunnelling from %s to %s", src, domain),
		Level:    level,
		Time:     at,
		Entities: []behave.Entity{{Field: field, Value: src}, {Field: "destination.domain", Value: domain}},
		Why: behave.Why{Observed: observed, Unit: unit, Threshold: threshold, Window: d.cfg.Window,
			Text: text + fmt.Sprintf("; reported from %d distinct or %d long names.", d.cfg.UniqueNames, d.cfg.LongNames)},
		Evidence:  slices.Clone(p.Evidence.Refs),
		Truncated: p.Evidence.Truncated,
		Tags:      []string{"attack.command-and-control", "attack.t1071.004", "attack.exfiltration", "attack.t1048"},
	}
}

// Advance implements behave.Detector.
func (d *DNSTunnel) Advance(now time.Time) []behave.Finding {
	if now.After(d.now) {
		d.now = now
	}
	d.pairs.Expire(d.now.Add(-d.cfg.Window))
	return nil
}

type dnsTunnelState struct {
	Version int                           `json:"version"`
	Now     time.Time                     `json:"now"`
	Pairs   []behave.SavedEntry[*dnsPair] `json:"pairs"`
}

// Snapshot implements behave.Detector.
func (d *DNSTunnel) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(dnsTunnelState{Version: 1, Now: d.now, Pairs: d.pairs.Save()})
}

// Restore implements behave.Detector.
func (d *DNSTunnel) Restore(r io.Reader) error {
	var st dnsTunnelState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("reading dnstunnel state: %w", err)
	}
	if st.Version != 1 {
		return nil
	}
	d.now = st.Now
	d.pairs.Load(st.Pairs)
	return nil
}

func hashName(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// long reports whether the subdomain part of a name, dots left out, is
// at least minLen characters with an entropy of at least minEntropy
// bits per character.
func long(sub string, minLen int, minEntropy float64) bool {
	var counts [256]int
	n := 0
	for i := range len(sub) {
		if c := sub[i]; c != '.' {
			counts[c]++
			n++
		}
	}
	if n < minLen {
		return false
	}
	return entropy(counts[:], n) >= minEntropy
}

// entropy is the Shannon entropy, in bits per symbol, of n symbols
// counted in counts.
func entropy(counts []int, n int) float64 {
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

// twoLevelSuffixes are common public suffixes of two labels, under which
// a registered domain has three.
var twoLevelSuffixes = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`
		co.uk org.uk ac.uk gov.uk ltd.uk plc.uk me.uk net.uk nhs.uk police.uk sch.uk
		com.au net.au org.au edu.au gov.au asn.au id.au
		co.nz org.nz net.nz govt.nz ac.nz
		co.jp ne.jp or.jp ac.jp go.jp ad.jp ed.jp gr.jp lg.jp
		co.kr or.kr ne.kr go.kr ac.kr re.kr
		com.cn net.cn org.cn gov.cn edu.cn ac.cn
		com.hk org.hk net.hk edu.hk gov.hk com.tw org.tw net.tw edu.tw gov.tw
		com.sg org.sg net.sg edu.sg gov.sg com.my org.my net.my gov.my
		co.in net.in org.in gov.in ac.in firm.in gen.in ind.in
		co.id or.id ac.id go.id web.id com.ph org.ph net.ph gov.ph com.vn net.vn org.vn gov.vn
		co.th or.th ac.th go.th in.th com.pk org.pk net.pk gov.pk com.bd
		com.br net.br org.br gov.br edu.br com.ar org.ar net.ar gob.ar com.mx org.mx net.mx gob.mx
		com.co org.co net.co gov.co com.pe org.pe gob.pe com.ve com.uy com.ec com.bo com.py cl.cl
		co.za org.za net.za gov.za ac.za web.za co.ke or.ke ac.ke go.ke com.ng org.ng gov.ng com.eg gov.eg
		co.il org.il net.il ac.il gov.il com.tr org.tr net.tr gov.tr edu.tr com.sa org.sa gov.sa
		com.ua org.ua net.ua gov.ua com.ru org.ru net.ru com.pl org.pl net.pl gov.pl
		gouv.fr asso.fr com.fr com.es org.es gob.es co.at or.at gv.at ac.at com.gr gov.gr com.pt gov.pt
		com.cy ac.cy com.mt gov.mt co.hu com.ro org.ro
	`) {
		twoLevelSuffixes[s] = true
	}
}

// RegisteredDomain returns the registered domain of a host name, lower
// case: its last two labels, or three under a common two-label public
// suffix ("www.bbc.co.uk" gives "bbc.co.uk"). A name of one label is
// returned as it is; "" for an empty name.
func RegisteredDomain(name string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return ""
	}
	last := strings.LastIndexByte(name, '.')
	if last < 0 {
		return name
	}
	second := strings.LastIndexByte(name[:last], '.')
	if second < 0 {
		return name
	}
	if !twoLevelSuffixes[name[second+1:]] {
		return name[second+1:]
	}
	third := strings.LastIndexByte(name[:second], '.')
	return name[third+1:]
}
