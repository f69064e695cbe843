package main

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/access"
	"github.com/vigie-sec/vigie/internal/behave/authn"
	"github.com/vigie-sec/vigie/internal/behave/geo"
	"github.com/vigie-sec/vigie/internal/behave/network"
	"github.com/vigie-sec/vigie/internal/behave/telemetry"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/geoip"
)

// detectors builds every behaviour detector with its default
// configuration and limits, as "vigie hunt --detectors all --geoip" does
// (cmd/vigie/detectors.go, detectorSpecs).
func detectors(db *geoip.DB) []behave.Detector {
	l := behave.Limits{}.WithDefaults()
	return []behave.Detector{
		authn.NewBruteForce(authn.DefaultBruteForceConfig(), l),
		authn.NewSpray(authn.DefaultSprayConfig(), l),
		authn.NewSuccessAfter(authn.DefaultSuccessAfterConfig(), l),
		authn.NewLateral(authn.DefaultLateralConfig(), l),
		authn.NewPrivilege(authn.DefaultPrivilegeConfig(), l),
		geo.NewTravel(geo.DefaultTravelConfig(), db, l),
		geo.NewNewPlace(geo.DefaultNewPlaceConfig(), db, l),
		network.NewBeacon(network.DefaultBeaconConfig(), l),
		network.NewLongConn(network.DefaultLongConnConfig(), l),
		network.NewDNSTunnel(network.DefaultDNSTunnelConfig(), l),
		network.NewExfil(network.DefaultExfilConfig(), l),
		network.NewScan(network.DefaultScanConfig(), l),
		access.NewMass(access.DefaultMassConfig(), l),
		telemetry.NewSilence(telemetry.DefaultSilenceConfig(), l),
		telemetry.NewCleared(telemetry.DefaultClearedConfig(), l),
	}
}

// detectorNames lists the detectors in the order detectors builds them.
var detectorNames = []string{
	"bruteforce", "spray", "successafter", "lateral", "privilege", "travel", "newplace",
	"beacon", "longconn", "dnstunnel", "exfil", "scan", "mass_access", "silence", "cleared",
}

// alert is a finding of a detector or a rule, reduced to what scoring
// reads.
type alert struct {
	source   string   // detector name, or "rule: " and the rule's title
	title    string   // the finding's or the rule's title
	evidence []string // references of the events behind it
	entities []behave.Entity
}

// runDetectors feeds the events to the detectors on one goroutine, in
// event time order, advancing time every minute of event time as hunt's
// merged pass does, and flushes them at the end.
func runDetectors(events []item, set *behave.Set) []behave.Finding {
	var out []behave.Finding
	var last time.Time
	for _, it := range events {
		if it.ev.Time.Sub(last) >= time.Minute {
			out = append(out, set.Advance(it.ev.Time)...)
			last = it.ev.Time
		}
		out = append(out, set.Observe(it.ev, it.ref)...)
	}
	return append(out, set.Flush()...)
}

// findingAlerts converts findings.
func findingAlerts(fs []behave.Finding) []alert {
	out := make([]alert, 0, len(fs))
	for _, f := range fs {
		out = append(out, alert{source: f.Detector, title: f.Title, evidence: f.Evidence, entities: f.Entities})
	}
	return out
}

// runRules matches the rule set over the events in time order, with its
// correlations, and returns its alerts.
func runRules(events []item, rs *detect.RuleSet) []alert {
	eng := rs.NewEngine()
	var out []alert
	add := func(as []detect.Alert) {
		for i := range as {
			a := &as[i]
			al := alert{source: "rule: " + a.Rule.Title, title: a.Title(), evidence: a.Evidence()}
			if a.Event != nil {
				for _, name := range []string{event.UserName, event.SourceIP, event.HostName, event.DestinationIP, "destination.domain"} {
					if v, ok := a.Event.Get(name); ok {
						al.entities = append(al.entities, behave.Entity{Field: name, Value: v})
					}
				}
			}
			for _, kv := range a.Group {
				al.entities = append(al.entities, behave.Entity{Field: kv.Name, Value: kv.Value})
			}
			out = append(out, al)
		}
	}
	var last time.Time
	for _, it := range events {
		if it.ev.Time.Sub(last) >= time.Minute {
			add(eng.Advance(it.ev.Time))
			last = it.ev.Time
		}
		add(eng.Process(it.ev, it.ref))
	}
	add(eng.Flush())
	return out
}

// score is how one detector or rule did on one dataset.
type score struct {
	findings, truePositives int
	stages                  map[string]bool // stages of the labelled records its evidence names
	records                 map[string]bool // labelled records its evidence names
	// falsePositives counts the findings without labelled evidence by the
	// look-alike they concern (see lookAlike).
	falsePositives map[string]int
	examples       map[string]string // one false positive's title per look-alike
}

func (s *score) precision() float64 {
	if s.findings == 0 {
		return 1
	}
	return float64(s.truePositives) / float64(s.findings)
}

// scoreAlerts scores alerts against the labels, per source.
func scoreAlerts(d *dataset, alerts []alert) map[string]*score {
	out := map[string]*score{}
	for _, a := range alerts {
		s := out[a.source]
		if s == nil {
			s = &score{stages: map[string]bool{}, records: map[string]bool{}, falsePositives: map[string]int{}, examples: map[string]string{}}
			out[a.source] = s
		}
		s.findings++
		hit := false
		for _, ref := range a.evidence {
			if l, ok := d.labels[ref]; ok {
				hit = true
				s.stages[l.Stage] = true
				s.records[ref] = true
			}
		}
		if hit {
			s.truePositives++
			continue
		}
		kind := lookAlike(d, a)
		s.falsePositives[kind]++
		if _, ok := s.examples[kind]; !ok {
			s.examples[kind] = a.title
		}
	}
	return out
}

// cidrIn finds the network a benign entry's description names
// ("from 198.51.100.0/24").
var cidrIn = regexp.MustCompile(`\b\d+\.\d+\.\d+\.\d+/\d+\b`)

// lookAlike names what an unlabelled finding concerns: one of the
// simulator's benign look-alikes (truth.json "benign"), the breach itself
// (the attacker's address, the stolen account, the C2 and exfiltration
// destinations, though not their labelled records), or "other".
func lookAlike(d *dataset, a alert) string {
	has := func(v string) bool {
		if v == "" {
			return false
		}
		for _, e := range a.entities {
			if strings.EqualFold(e.Value, v) || strings.HasPrefix(strings.ToLower(e.Value), strings.ToLower(v)+".") {
				return true
			}
		}
		return false
	}
	for _, b := range d.truth.Benign {
		switch {
		case b.Kind == "travel" && has(b.UserName):
			return "traveller"
		case b.Kind == "periodic" && b.UserName != "" && has(b.UserName):
			return "svc-monitor fan-out"
		case b.Kind == "periodic" && b.Destination != "" && has(b.Destination):
			if b.SourceIP != "" {
				return "heartbeat (MON01)"
			}
			return "Defender checks"
		case b.Kind == "internet-noise":
			if m := cidrIn.FindString(b.Description); m != "" {
				p := netip.MustParsePrefix(m)
				for _, e := range a.entities {
					if ip, err := netip.ParseAddr(e.Value); err == nil && p.Contains(ip) {
						return "internet SSH scanners"
					}
				}
			}
		}
	}
	for _, b := range d.truth.Benign {
		if b.Kind == "periodic" && b.UserName == "" && b.Destination == "" && has(b.SourceIP) {
			return "nightly backup (BKP01)"
		}
	}
	br := d.truth.Breach
	// The servers the attacker reached are left out: every account that
	// logs on to them would count.
	breach := []string{br.AttackerIP, br.Account.UserName, br.Account.UPN, br.VPNAddress,
		br.C2.Domain, br.C2.IP, br.Exfiltration.DestinationIP, br.Exfiltration.DestinationDomain}
	if slices.ContainsFunc(breach, has) {
		return "breach, unlabelled evidence"
	}
	return "other"
}
