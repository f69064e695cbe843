package intel

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Case is what an incident tells an outside party (a police force, a
// national CERT) about its indicators, in the plain terms ExportSTIX and
// ExportMISP turn into STIX 2.1 and MISP. It is filled from an incident:
// its entities (source.ip, destination.ip, domains, URLs, file hashes,
// user.name) become Observables, the hosts and accounts on which each was
// seen become Observable.Hosts and Observable.Accounts, and the transfers
// of a scope report become observables of RoleExfiltration whose Context
// states the volume and the verdict.
type Case struct {
	// ID is the incident's id; with Instance it seeds every id of the
	// export, so that exporting the same case again gives the same ids.
	ID          string
	Title       string // the incident's title; ID when empty
	Description string // the summary, free text
	// Created and Modified are when the incident was opened and last
	// changed. Created is required; a zero Modified is Created.
	Created  time.Time
	Modified time.Time
	// Severity is a Sigma level: informational, low, medium, high or
	// critical; "" when unknown.
	Severity string
	// Complete tells that the analysis is finished (the incident is
	// closed); MISP's analysis is then "complete", else "ongoing".
	Complete bool
	// Instance names the Vigie instance that exports the case: the STIX
	// identity every object is created by, the MISP creator organisation.
	Instance string
	// Labels are tags for the whole case, such as "tlp:amber" or
	// "attack.t1110": STIX report labels and MISP event tags.
	Labels []string
	// Observables are the indicators the incident observed, in the order
	// they are exported.
	Observables []Observable
}

// Role is what an observable was in an incident. It chooses the STIX
// indicator_types and the MISP attribute type and category (ip-src for an
// attacker's address, ip-dst for a destination).
type Role string

// The roles.
const (
	RoleAttacker     Role = "attacker"     // where the intruder acted from: a source address, a sender
	RoleC2           Role = "c2"           // command and control: an address, domain or URL called back to
	RoleExfiltration Role = "exfiltration" // where data was sent
	RoleCompromised  Role = "compromised"  // an account or address of the organisation that the intruder used
	RolePayload      Role = "payload"      // a file the intruder brought or ran, or where it was fetched from
	RoleRelated      Role = ""             // seen in the incident; its part is not known
)

// Roles lists every Role.
func Roles() []Role {
	return []Role{RoleAttacker, RoleC2, RoleExfiltration, RoleCompromised, RolePayload, RoleRelated}
}

// Observable is one indicator an incident observed.
type Observable struct {
	Type  Type   // IP (v4 or v6), CIDR, Domain, URL, SHA256, SHA1, MD5, Email or Account
	Value string // normalised on export (see Normalise)
	Role  Role
	// Context says in words what the value was, such as "sent 2.1 GB from
	// fs-02, verdict: exfiltrated"; it becomes the STIX indicator's
	// description and the MISP attribute's comment.
	Context string
	// FirstSeen and LastSeen bound when it was observed; a zero FirstSeen
	// is the case's Created, a zero LastSeen is FirstSeen.
	FirstSeen time.Time
	LastSeen  time.Time
	// Count is how many events observed it; 0 is taken as 1.
	Count int
	// Hosts and Accounts are where it was seen: host.name and user.name
	// values of the events that observed it.
	Hosts    []string
	Accounts []string
	// Techniques are the MITRE ATT&CK technique ids ("T1110.003") of the
	// alerts it took part in.
	Techniques []string
	// Intel are the ids of imported indicators (Indicator.ID) that
	// matched it.
	Intel []string
}

// Limits on a case, which comes from events an intruder may have shaped.
const (
	maxCaseObservables = 100_000
	maxObservableRefs  = 1_000 // hosts, accounts, techniques or intel ids of one observable
	maxCaseText        = 64 << 10
	maxCaseLabels      = 1_000
	maxSTIXCount       = 999_999_999 // the largest number_observed and count STIX allows
)

// vigieNamespace is the UUIDv5 namespace of the ids Vigie derives for
// exported objects.
var vigieNamespace = [16]byte{0xc2, 0x49, 0xfb, 0x47, 0x13, 0x64, 0x43, 0xab,
	0xb7, 0x21, 0xd8, 0x66, 0x73, 0x01, 0x82, 0xba}

// uuidV5 returns the name-based UUID (RFC 9562, version 5) of name in
// namespace ns.
func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

func uuidString(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// namespace is the UUIDv5 namespace of the objects of the case.
func (c *Case) namespace() [16]byte {
	return uuidV5(vigieNamespace, c.Instance+"\x00"+c.ID)
}

// objectUUID is the UUID of an exported object, named by its parts.
func (c *Case) objectUUID(parts ...string) string {
	return uuidString(uuidV5(c.namespace(), strings.Join(parts, "\x00")))
}

// checked returns a copy of the case ready to export: values normalised,
// times and counts filled in. It fails, naming the observable by its
// index, on a value that is not valid for its type (Normalise), invalid
// UTF-8, an unknown role, LastSeen before FirstSeen, a negative count, the
// same type, value and role twice, or a case over the limits.
func (c Case) checked() (Case, error) {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return c, errors.New("case has no id")
	case strings.TrimSpace(c.Instance) == "":
		return c, fmt.Errorf("case %s: no instance name", c.ID)
	case c.Created.IsZero():
		return c, fmt.Errorf("case %s: no created time", c.ID)
	case len(c.Observables) > maxCaseObservables:
		return c, fmt.Errorf("case %s: %d observables, over %d", c.ID, len(c.Observables), maxCaseObservables)
	case len(c.Labels) > maxCaseLabels:
		return c, fmt.Errorf("case %s: %d labels, over %d", c.ID, len(c.Labels), maxCaseLabels)
	}
	for _, s := range []string{c.ID, c.Instance} {
		if len(s) > maxValue || !utf8.ValidString(s) {
			return c, fmt.Errorf("case id or instance %q is not valid UTF-8 of at most %d bytes", shorten(s), maxValue)
		}
	}
	if c.Modified.IsZero() {
		c.Modified = c.Created
	}
	for _, t := range []time.Time{c.Created, c.Modified} {
		if err := exportableTime(t); err != nil {
			return c, fmt.Errorf("case %s: %w", c.ID, err)
		}
	}
	if c.Modified.Before(c.Created) {
		return c, fmt.Errorf("case %s: modified %s is before created %s", c.ID,
			c.Modified.Format(time.RFC3339), c.Created.Format(time.RFC3339))
	}
	if strings.TrimSpace(c.Title) == "" {
		c.Title = c.ID
	}
	c.Title = cleanText(c.Title)
	c.Description = cleanText(c.Description)
	c.Labels = cleanList(c.Labels)
	type key struct {
		t    Type
		v    string
		role Role
	}
	seen := make(map[key]int, len(c.Observables))
	obs := make([]Observable, len(c.Observables))
	for i, o := range c.Observables {
		o, err := c.checkObservable(o)
		if err != nil {
			return c, fmt.Errorf("case %s: observables[%d] %s %s: %w", c.ID, i, o.Type, quoteShort(o.Value), err)
		}
		k := key{o.Type, o.Value, o.Role}
		if j, dup := seen[k]; dup {
			return c, fmt.Errorf("case %s: observables[%d] %s %s: same type, value and role as observables[%d]",
				c.ID, i, o.Type, quoteShort(o.Value), j)
		}
		seen[k] = i
		obs[i] = o
	}
	c.Observables = obs
	return c, nil
}

func (c *Case) checkObservable(o Observable) (Observable, error) {
	if !slices.Contains(Roles(), o.Role) {
		return o, fmt.Errorf("unknown role %q", o.Role)
	}
	if !utf8.ValidString(o.Value) {
		return o, errors.New("value is not valid UTF-8")
	}
	v, err := Normalise(o.Type, o.Value)
	if err != nil {
		return o, err
	}
	if o.Type == IP && strings.Contains(v, "/") {
		return o, errors.New("a network is of type cidr, not ip")
	}
	o.Value = v
	for _, list := range [][]string{o.Hosts, o.Accounts, o.Techniques, o.Intel} {
		if len(list) > maxObservableRefs {
			return o, fmt.Errorf("%d hosts, accounts, techniques or intel ids, over %d", len(list), maxObservableRefs)
		}
	}
	if o.Count < 0 {
		return o, fmt.Errorf("count %d is negative", o.Count)
	}
	o.Count = min(max(o.Count, 1), maxSTIXCount)
	if o.FirstSeen.IsZero() {
		o.FirstSeen = c.Created
	}
	if o.LastSeen.IsZero() {
		o.LastSeen = o.FirstSeen
	}
	for _, t := range []time.Time{o.FirstSeen, o.LastSeen} {
		if err := exportableTime(t); err != nil {
			return o, err
		}
	}
	if o.LastSeen.Before(o.FirstSeen) {
		return o, fmt.Errorf("last seen %s is before first seen %s",
			o.LastSeen.Format(time.RFC3339Nano), o.FirstSeen.Format(time.RFC3339Nano))
	}
	o.Context = cleanText(o.Context)
	o.Hosts = cleanList(o.Hosts)
	o.Accounts = cleanList(o.Accounts)
	o.Techniques = cleanList(o.Techniques)
	o.Intel = cleanList(o.Intel)
	return o, nil
}

// exportableTime checks that t can be written in both formats: RFC 3339
// has four-digit years, MISP's Unix timestamps are unsigned.
func exportableTime(t time.Time) error {
	if t.Before(time.Unix(0, 0)) || t.UTC().Year() > 9999 {
		return fmt.Errorf("time %s is outside 1970 to 9999", t.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// cleanText makes free text safe to export: valid UTF-8, at most
// maxCaseText bytes, without leading or trailing space. Newlines and other
// characters are kept; JSON escapes them.
func cleanText(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > maxCaseText {
		s = strings.ToValidUTF8(s[:maxCaseText], "") + "…"
	}
	return s
}

// cleanList returns the non-blank entries of list, cleaned, without
// repeats, in their order.
func cleanList(list []string) []string {
	var out []string
	for _, s := range list {
		s = cleanText(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// oneLine returns s on one line of at most n runes, as MISP wants its
// event info.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// roleWords names a role for people.
func roleWords(r Role) string {
	switch r {
	case RoleAttacker:
		return "attacker"
	case RoleC2:
		return "command and control"
	case RoleExfiltration:
		return "exfiltration destination"
	case RoleCompromised:
		return "compromised"
	case RolePayload:
		return "payload"
	}
	return "related"
}
