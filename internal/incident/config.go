package incident

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults of Config.
const (
	DefaultWindow      = 72 * time.Hour
	DefaultCommonAfter = 8
	DefaultMaxAlerts   = 10_000
	DefaultMaxTracked  = 100_000
	DefaultFanOut      = 3
)

// Limits on what one alert may bring, whatever the configuration.
const (
	maxEntitiesPerAlert = 64  // entity values read from one alert
	maxValueLen         = 512 // bytes of one entity value
	maxSpellings        = 8   // spellings kept per entity
	maxConfigBytes      = 1 << 20
)

// DefaultFields are the entity fields alerts are grouped on.
func DefaultFields() []string {
	return []string{"user.name", "host.name", "source.ip", "destination.ip", "destination.domain", "file.path"}
}

// DefaultIgnore are the values never joined on, in any field: built-in
// accounts, loopback and unspecified addresses, placeholders.
func DefaultIgnore() []string {
	return []string{"-", "SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE", "ANONYMOUS LOGON",
		"127.0.0.1", "::1", "0.0.0.0", "::", ""}
}

// Config is the "incidents" section of Vigie's configuration. Its zero
// value works: every zero field takes its default.
//
//	incidents:
//	  grouping:
//	    window: 72h
//	    fields: [user.name, host.name, source.ip, destination.ip, destination.domain, file.path]
//	    ignore: ["-", SYSTEM, "LOCAL SERVICE", …]   # every field; replaces the defaults
//	    ignore_fields:                                # per field, added to ignore
//	      user.name: [svc_backup]
//	    common_after: 8
//	    fan_out: 3
//	    auto_merge: true
//	  max_alerts: 10000
type Config struct {
	Grouping Grouping `yaml:"grouping"`
	// MaxAlerts is the most alerts one incident holds; when an incident
	// is full, the next alert opens a new incident Related to it.
	MaxAlerts int `yaml:"max_alerts"`
}

// Grouping says when an alert joins an incident.
type Grouping struct {
	// Window is how far from an incident's activity (before its First or
	// after its Last) an alert may be and still join.
	Window time.Duration `yaml:"window"`
	// Fields are the entity fields compared. Nil means DefaultFields.
	Fields []string `yaml:"fields"`
	// Ignore lists values never joined on, in every field, compared after
	// normalisation. Nil means DefaultIgnore; an empty list ignores only
	// the empty value.
	Ignore []string `yaml:"ignore"`
	// IgnoreFields lists more values never joined on, per field.
	IgnoreFields map[string][]string `yaml:"ignore_fields"`
	// CommonAfter stops a value from joining once it behaves like a hub:
	// when, within Window of an alert, it has been met in alerts with more
	// than CommonAfter distinct other values (its partners: the users,
	// hosts and addresses named with it, except those an alert lists
	// more than FanOut of).
	//
	// A user's workstation, addresses and the hosts they reach are a
	// handful of partners, met again and again; a domain controller, an
	// update server or an internet-facing SSH gateway meets a new user or
	// a new address in alert after alert. The measure counts distinct
	// partners, not alerts nor distinct rules, because the entities of a
	// real breach are exactly those that trip the most rules. A hub is
	// still listed among an incident's entities; it only stops gluing
	// incidents together.
	//
	// The same measure is kept for each rule and value: when one rule
	// meets one value with more than CommonAfter partners (a beacon
	// detector seeing fifty workstations reach the update server), its
	// alerts on that value are crowd behaviour (see the package documentation).
	//
	// 0 means DefaultCommonAfter (8: on the simulated breach, 5 to 8
	// keep the internet's SSH scanners apart from the attacker who came
	// through the same gateway, 10 and above glue them); a negative value
	// turns the cut-off off.
	CommonAfter int `yaml:"common_after"`
	// FanOut: when one alert names more than FanOut values of one kind
	// (users, hosts, addresses…), those values do not join: such an alert
	// lists the targets of one actor (the accounts a password spray
	// tried, the servers a monitoring account logs on to), and joining on
	// each would glue together whatever else happened to those targets.
	// The alert still joins on its other values (the spraying address)
	// and lists every value among the incident's entities. 0 means
	// DefaultFanOut; a negative value turns the rule off.
	FanOut int `yaml:"fan_out"`
	// AutoMerge merges the incidents an alert links. Nil means true.
	AutoMerge *bool `yaml:"auto_merge"`
	// MaxTracked bounds the entity values whose usage is tracked for
	// CommonAfter; the least recently seen are forgotten first.
	MaxTracked int `yaml:"max_tracked"`
}

// ParseConfig decodes an "incidents" section strictly (an unknown key is
// an error naming its line) and validates it.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if len(data) > maxConfigBytes {
		return c, fmt.Errorf("incidents: configuration is %d bytes, more than %d", len(data), maxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("incidents: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the configuration; each error names the key at fault.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("incidents.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	g := c.Grouping
	if g.Window < 0 {
		bad("grouping.window", "must not be negative, got %s", g.Window)
	}
	if c.MaxAlerts < 0 {
		bad("max_alerts", "must not be negative, got %d", c.MaxAlerts)
	}
	if g.MaxTracked < 0 {
		bad("grouping.max_tracked", "must not be negative, got %d", g.MaxTracked)
	}
	for i, f := range g.Fields {
		if f == "" {
			bad(fmt.Sprintf("grouping.fields[%d]", i), "empty field name")
		}
	}
	fields := g.Fields
	if fields == nil {
		fields = DefaultFields()
	}
	for f := range g.IgnoreFields {
		if !slices.Contains(fields, f) {
			bad("grouping.ignore_fields."+f, "%q is not one of the grouping fields %v", f, fields)
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	g := &c.Grouping
	if g.Window == 0 {
		g.Window = DefaultWindow
	}
	if g.Fields == nil {
		g.Fields = DefaultFields()
	}
	if g.Ignore == nil {
		g.Ignore = DefaultIgnore()
	}
	if g.CommonAfter == 0 {
		g.CommonAfter = DefaultCommonAfter
	}
	if g.FanOut == 0 {
		g.FanOut = DefaultFanOut
	}
	if g.AutoMerge == nil {
		t := true
		g.AutoMerge = &t
	}
	if g.MaxTracked == 0 {
		g.MaxTracked = DefaultMaxTracked
	}
	if c.MaxAlerts == 0 {
		c.MaxAlerts = DefaultMaxAlerts
	}
	return c
}
