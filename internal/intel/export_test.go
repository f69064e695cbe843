package intel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/TcM1911/stix2"
	"github.com/google/go-cmp/cmp"
)

// breachCase is an incident as the integrator fills it: the attacker's
// address, a C2 domain and URL, an exfiltration destination, the dropped
// file's hashes, the phishing sender and the compromised account. Values
// are written as logs give them (upper case, an IPv4-mapped address); the
// exports normalise them.
func breachCase() Case {
	t0 := date("2026-03-02T08:14:03.250Z")
	return Case{
		ID:          "inc-42",
		Title:       "Password spraying, VPN login and exfiltration from fs-02",
		Description: "An attacker sprayed passwords at the VPN, logged in as jdoe and sent 2.1 GB out.",
		Created:     t0,
		Modified:    date("2026-03-03T17:00:00Z"),
		Severity:    "high",
		Instance:    "vigie.court.example",
		Labels:      []string{"tlp:amber", "attack.credential-access"},
		Observables: []Observable{
			{Type: IP, Value: "::ffff:203.0.113.9", Role: RoleAttacker, Context: "source of 1,204 failed VPN logins",
				FirstSeen: t0, LastSeen: date("2026-03-02T09:01:00Z"), Count: 1204,
				Hosts: []string{"vpn-gw"}, Accounts: []string{"jdoe", "asmith"}, Techniques: []string{"T1110.003"},
				Intel: []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "ip:203.0.113.9"}},
			{Type: CIDR, Value: "198.51.100.77/24", Role: RoleAttacker, Context: "scanning network"},
			{Type: IP, Value: "2001:DB8::7", Role: RoleExfiltration, Context: "2.1 GB from fs-02, verdict: exfiltrated",
				FirstSeen: date("2026-03-02T10:00:00Z"), LastSeen: date("2026-03-02T10:40:00Z"), Count: 3,
				Hosts: []string{"fs-02"}, Techniques: []string{"T1048"}},
			{Type: Domain, Value: "Update-Check.Example.", Role: RoleC2, Count: 96, Hosts: []string{"ws-17"},
				Techniques: []string{"T1071.001"}},
			{Type: URL, Value: "HTTPS://Update-Check.Example/gate.php?id=7", Role: RoleC2, Hosts: []string{"ws-17"}},
			{Type: SHA256, Value: "AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F", Role: RolePayload,
				Hosts: []string{"ws-17"}},
			{Type: SHA1, Value: "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed", Role: RolePayload},
			{Type: MD5, Value: "3773a88f65a5e780c8dff9cdc3a056f3", Role: RolePayload},
			{Type: Email, Value: "Phish@Evil.Example", Role: RoleAttacker, Accounts: []string{"jdoe"}},
			{Type: Account, Value: `CORP\JDoe`, Role: RoleCompromised, Context: "logged in from 203.0.113.9",
				Hosts: []string{"vpn-gw", "fs-02"}},
		},
	}
}

// breachValues are the indicators every export of breachCase must give
// back, in order, normalised.
var breachValues = []typeValue{
	{IP, "203.0.113.9"},
	{CIDR, "198.51.100.0/24"},
	{IP, "2001:db8::7"},
	{Domain, "update-check.example"},
	{URL, "https://update-check.example/gate.php?id=7"},
	{SHA256, "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},
	{SHA1, "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"},
	{MD5, "3773a88f65a5e780c8dff9cdc3a056f3"},
	{Email, "phish@evil.example"},
	{Account, `corp\jdoe`},
}

type typeValue struct {
	Type  Type
	Value string
}

func typeValues(inds []Indicator) []typeValue {
	var out []typeValue
	for _, ind := range inds {
		out = append(out, typeValue{ind.Type, ind.Value})
	}
	return out
}

func exportSTIX(t *testing.T, c Case) []byte {
	t.Helper()
	data, err := ExportSTIX(c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestExportSTIXReimports(t *testing.T) {
	rep, err := ParseSTIX(bytes.NewReader(exportSTIX(t, breachCase())), "inc-42.stix.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(breachValues, typeValues(rep.Indicators)); diff != "" {
		t.Errorf("re-imported indicators (-want +got):\n%s", diff)
	}
	if len(rep.Skipped) != 0 {
		t.Errorf("skipped: %v", rep.Skipped)
	}
	first := rep.Indicators[0]
	if first.Name != "attacker 203.0.113.9" || first.Description != "source of 1,204 failed VPN logins" {
		t.Errorf("first indicator: name %q, description %q", first.Name, first.Description)
	}
	if !first.ValidFrom.Equal(date("2026-03-02T08:14:03.250Z")) {
		t.Errorf("valid_from %v, want the first sighting", first.ValidFrom)
	}
	if !slices.Contains(first.Labels, "malicious-activity") {
		t.Errorf("labels %v lack the indicator type malicious-activity", first.Labels)
	}
	if last := rep.Indicators[len(rep.Indicators)-1]; !slices.Contains(last.Labels, "compromised") {
		t.Errorf("compromised account labels %v lack indicator type compromised", last.Labels)
	}
}

// stixRequired lists, per object type, the properties STIX 2.1 (sections
// 4, 5 and 6 of the specification) requires besides type and id.
var stixRequired = map[string][]string{
	"identity":       {"spec_version", "created", "modified", "name"},
	"report":         {"spec_version", "created", "modified", "name", "published", "object_refs"},
	"indicator":      {"spec_version", "created", "modified", "pattern", "pattern_type", "valid_from"},
	"observed-data":  {"spec_version", "created", "modified", "first_observed", "last_observed", "number_observed", "object_refs"},
	"attack-pattern": {"spec_version", "created", "modified", "name"},
	"relationship":   {"spec_version", "created", "modified", "relationship_type", "source_ref", "target_ref"},
	"sighting":       {"spec_version", "created", "modified", "sighting_of_ref"},
	"ipv4-addr":      {"value"},
	"ipv6-addr":      {"value"},
	"domain-name":    {"value"},
	"url":            {"value"},
	"email-addr":     {"value"},
	"file":           {"hashes"},
	"user-account":   {"account_login"},
}

var (
	stixIDPattern   = regexp.MustCompile(`^([a-z0-9-]+)--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	stixTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
)

func TestExportSTIXValidates(t *testing.T) {
	data := exportSTIX(t, breachCase())
	var bundle struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.Type != "bundle" || !stixIDPattern.MatchString(bundle.ID) || !strings.HasPrefix(bundle.ID, "bundle--") {
		t.Fatalf("bundle type %q id %q", bundle.Type, bundle.ID)
	}
	byID := map[string]map[string]any{}
	count := map[string]int{}
	for i, o := range bundle.Objects {
		typ, _ := o["type"].(string)
		id, _ := o["id"].(string)
		m := stixIDPattern.FindStringSubmatch(id)
		if m == nil || m[1] != typ {
			t.Fatalf("objects[%d]: id %q is not %s--<uuid>", i, id, typ)
		}
		if byID[id] != nil {
			t.Fatalf("objects[%d]: id %s twice", i, id)
		}
		byID[id] = o
		count[typ]++
		req, known := stixRequired[typ]
		if !known {
			t.Fatalf("objects[%d]: unexpected type %q", i, typ)
		}
		for _, p := range req {
			if o[p] == nil {
				t.Errorf("objects[%d] %s: no %s", i, id, p)
			}
		}
		if o["spec_version"] != nil && o["spec_version"] != "2.1" {
			t.Errorf("objects[%d] %s: spec_version %v", i, id, o["spec_version"])
		}
		for _, p := range []string{"created", "modified", "valid_from", "published", "first_observed", "last_observed", "first_seen", "last_seen"} {
			if v, ok := o[p]; ok && !stixTimePattern.MatchString(fmt.Sprint(v)) {
				t.Errorf("objects[%d] %s: %s %v is not a STIX timestamp", i, id, p, v)
			}
		}
		if c, m := fmt.Sprint(o["created"]), fmt.Sprint(o["modified"]); o["created"] != nil && m < c {
			t.Errorf("objects[%d] %s: modified %s before created %s", i, id, m, c)
		}
		if n, ok := o["number_observed"].(float64); ok && (n < 1 || n > 999999999) {
			t.Errorf("objects[%d] %s: number_observed %v", i, id, n)
		}
	}
	want := map[string]int{"identity": 1 + 3 + 2, // the instance, hosts vpn-gw, fs-02, ws-17, accounts jdoe, asmith
		"report": 1, "indicator": 10, "observed-data": 10, "sighting": 10,
		"relationship": 10 + 3 + 1, "attack-pattern": 3, "ipv4-addr": 2, "ipv6-addr": 1, "domain-name": 1, "url": 1,
		"file": 3, "email-addr": 1, "user-account": 1}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("objects per type (-want +got):\n%s", diff)
	}
	// References point into the bundle and at objects of the right type;
	// the related-to relationship's target is the imported indicator,
	// outside it.
	const outside = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	refType := func(where, ref string, types ...string) {
		t.Helper()
		o := byID[ref]
		if o == nil {
			if ref != outside {
				t.Errorf("%s: reference %s is not in the bundle", where, ref)
			}
			return
		}
		if !slices.Contains(types, o["type"].(string)) {
			t.Errorf("%s: reference %s is a %s, want %v", where, ref, o["type"], types)
		}
	}
	var instance, report string
	for id, o := range byID {
		switch o["type"] {
		case "report":
			report = id
		case "identity":
			if o["created_by_ref"] == nil {
				instance = id
			}
		}
	}
	if byID[instance]["name"] != "vigie.court.example" {
		t.Fatalf("the identity created by nobody is %v, want the instance", byID[instance])
	}
	refs := byID[report]["object_refs"].([]any)
	if len(refs) != len(bundle.Objects)-1 {
		t.Errorf("report names %d objects, want the %d others", len(refs), len(bundle.Objects)-1)
	}
	for id, o := range byID {
		if cb, ok := o["created_by_ref"]; ok && cb != instance {
			t.Errorf("%s: created_by_ref %v, want the instance %s", id, cb, instance)
		}
		if _, sdo := o["created"]; sdo && id != instance && o["created_by_ref"] == nil {
			t.Errorf("%s: no created_by_ref", id)
		}
		switch o["type"] {
		case "sighting":
			refType(id+" sighting_of_ref", o["sighting_of_ref"].(string), "indicator")
			for _, r := range o["observed_data_refs"].([]any) {
				refType(id+" observed_data_refs", r.(string), "observed-data")
			}
			for _, r := range o["where_sighted_refs"].([]any) {
				refType(id+" where_sighted_refs", r.(string), "identity", "location")
			}
		case "observed-data":
			for _, r := range o["object_refs"].([]any) {
				refType(id+" object_refs", r.(string), "ipv4-addr", "ipv6-addr", "domain-name", "url", "file", "email-addr", "user-account")
			}
		case "relationship":
			refType(id+" source_ref", o["source_ref"].(string), "indicator")
			switch o["relationship_type"] {
			case "based-on":
				refType(id+" target_ref", o["target_ref"].(string), "observed-data")
			case "indicates":
				refType(id+" target_ref", o["target_ref"].(string), "attack-pattern")
			case "related-to":
				if o["target_ref"] != outside {
					t.Errorf("%s: related-to %v, want the matched STIX indicator", id, o["target_ref"])
				}
			default:
				t.Errorf("%s: relationship_type %v", id, o["relationship_type"])
			}
		case "report":
			for _, r := range o["object_refs"].([]any) {
				refType(id+" object_refs", r.(string), slices.Collect(func(yield func(string) bool) {
					for typ := range stixRequired {
						if !yield(typ) {
							return
						}
					}
				})...)
			}
		}
	}

	// Package stix2 parses the bundle back, and its constructors accept
	// every object's properties again.
	col, err := stix2.FromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(col.AllObjects()); n != len(bundle.Objects) {
		t.Fatalf("stix2.FromJSON read %d objects, want %d", n, len(bundle.Objects))
	}
	for _, ind := range col.Indicators() {
		if _, err := stix2.NewIndicator(ind.Pattern, ind.PatternType, ind.ValidFrom); err != nil {
			t.Errorf("%s: %v", ind.ID, err)
		}
		if _, unsupported, err := parsePattern(ind.Pattern); err != nil || unsupported != "" {
			t.Errorf("%s: pattern %s: %v %s", ind.ID, ind.Pattern, err, unsupported)
		}
	}
	for _, s := range col.Sightings() {
		if _, err := stix2.NewSighting(s.SightingOf); err != nil {
			t.Errorf("%s: %v", s.ID, err)
		}
		if s.Count < 1 || s.FirstSeen == nil || s.LastSeen.Before(s.FirstSeen.Time) {
			t.Errorf("%s: count %d, first_seen %v, last_seen %v", s.ID, s.Count, s.FirstSeen, s.LastSeen)
		}
	}
	for _, r := range col.Relationships() {
		if _, err := stix2.NewRelationship(r.RelationshipType, r.Source, r.Target); err != nil {
			t.Errorf("%s: %v", r.ID, err)
		}
	}
	for _, r := range col.Reports() {
		if _, err := stix2.NewReport(r.Name, r.Published, r.Objects); err != nil {
			t.Errorf("%s: %v", r.ID, err)
		}
	}
	for _, o := range col.AllObjects() {
		if !stix2.HasValidIdentifier(o) {
			t.Errorf("%s: invalid identifier", o.GetID())
		}
	}
}

func TestExportSTIXObjects(t *testing.T) {
	data := string(exportSTIX(t, breachCase()))
	// Patterns, written literally.
	for _, want := range []string{
		`"pattern": "[ipv4-addr:value = '203.0.113.9']"`,
		`"pattern": "[ipv4-addr:value = '198.51.100.0/24']"`,
		`"pattern": "[ipv6-addr:value = '2001:db8::7']"`,
		`"pattern": "[domain-name:value = 'update-check.example']"`,
		`"pattern": "[url:value = 'https://update-check.example/gate.php?id=7']"`,
		`"pattern": "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"`,
		`"pattern": "[file:hashes.'SHA-1' = '2aae6c35c94fcfb415dbe95f408b9ce91ee846ed']"`,
		`"pattern": "[file:hashes.'MD5' = '3773a88f65a5e780c8dff9cdc3a056f3']"`,
		`"pattern": "[email-addr:value = 'phish@evil.example']"`,
		`"pattern": "[user-account:account_login = 'corp\\\\jdoe']"`,
		`"number_observed": 1204`,
		`"count": 1204`,
		`"first_observed": "2026-03-02T08:14:03.250Z"`,
		`"last_observed": "2026-03-02T09:01:00.000Z"`,
		`"external_id": "T1110.003"`,
		`"url": "https://attack.mitre.org/techniques/T1110/003/"`,
		`"source_name": "vigie-intel"`,
		`"external_id": "ip:203.0.113.9"`,
		`"identity_class": "system"`,
		`"identity_class": "individual"`,
		`"severity:high"`,
		`"tlp:amber"`,
		// The STIX 2.1 id of an SCO is the UUIDv5 of its canonical
		// id-contributing properties; these were computed with Python's
		// uuid.uuid5 over '{"value":"203.0.113.9"}' and
		// '{"account_login":"corp\\jdoe"}'.
		`"id": "ipv4-addr--` + stixSCOIDs[0],
		`"id": "user-account--` + stixSCOIDs[1],
	} {
		if !strings.Contains(data, want) {
			t.Errorf("bundle lacks %s", want)
		}
	}
}

// stixSCOIDs are the UUIDs STIX 2.1 gives ipv4-addr 203.0.113.9 and
// user-account corp\jdoe, from a tool other than the exporter.
var stixSCOIDs = []string{"39090fdc-366e-571f-ab5b-d05e2918f88f", "3292f4b0-8c7f-58b5-8135-ba466c13bd3b"}

func TestExportSTIXStable(t *testing.T) {
	c := breachCase()
	a, b := exportSTIX(t, c), exportSTIX(t, c)
	if !bytes.Equal(a, b) {
		t.Fatal("two exports of the same case differ")
	}
	ids := func(data []byte) map[string]string {
		var bundle struct{ Objects []map[string]any }
		if err := json.Unmarshal(data, &bundle); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range bundle.Objects {
			if o["type"] == "indicator" {
				out[o["pattern"].(string)] = o["id"].(string) + " " + fmt.Sprint(o["modified"])
			}
		}
		return out
	}
	before := ids(a)
	c.Modified = c.Modified.Add(time.Hour)
	after := ids(exportSTIX(t, c))
	for p, v := range before {
		id, mod, _ := strings.Cut(v, " ")
		id2, mod2, _ := strings.Cut(after[p], " ")
		if id != id2 || mod == mod2 {
			t.Errorf("%s: %s %s then %s %s; want the same id, a new modified", p, id, mod, id2, mod2)
		}
	}
	c.ID = "inc-43"
	other := ids(exportSTIX(t, c))
	for p, v := range before {
		if strings.Fields(v)[0] == strings.Fields(other[p])[0] {
			t.Errorf("%s: two cases share indicator id %s", p, v)
		}
	}
}

// hostileCase has values with quotes, backslashes and non-ASCII letters,
// and text with newlines, quotes and markup.
func hostileCase() Case {
	return Case{
		ID:          "inc-'7\"\\",
		Title:       "Line one\nline two \"quoted\" </script>",
		Description: "it's a \\ back'slash\r\nand \u2028 separator, 攻撃",
		Created:     date("2026-01-01T00:00:00Z"),
		Instance:    "vigie'\\\"",
		Labels:      []string{"tag with 'quote'", "tag\\backslash"},
		Observables: []Observable{
			{Type: URL, Value: `http://evil.example/a'b\c?q=' OR 1=1 --`, Role: RoleC2,
				Context: "quote ' backslash \\ newline \n end", Hosts: []string{"host'\n\\"}},
			{Type: Account, Value: `CORP\o'Brien\`, Role: RoleCompromised, Accounts: []string{"o'brien"}},
			{Type: Account, Value: `\\'`, Role: RoleAttacker},
			{Type: Domain, Value: "bücher.example", Role: RoleC2},
			{Type: Email, Value: "o'hara+x@evil.example", Role: RoleAttacker},
			{Type: Account, Value: "josé.müller@court.example", Role: RoleCompromised},
			{Type: URL, Value: "https://evil.example/ünïcode/'];DROP", Role: RolePayload},
		},
	}
}

var hostileValues = []typeValue{
	{URL, `http://evil.example/a'b\c?q=' OR 1=1 --`},
	{Account, `corp\o'brien\`},
	{Account, `\\'`},
	{Domain, "bücher.example"},
	{Email, "o'hara+x@evil.example"},
	{Account, "josé.müller@court.example"},
	{URL, "https://evil.example/ünïcode/'];DROP"},
}

func TestExportHostileValues(t *testing.T) {
	c := hostileCase()
	data := exportSTIX(t, c)
	for _, want := range []string{
		`"pattern": "[url:value = 'http://evil.example/a\\'b\\\\c?q=\\' OR 1=1 --']"`,
		`"pattern": "[user-account:account_login = '\\\\\\\\\\'']"`,
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("bundle lacks %s", want)
		}
	}
	rep, err := ParseSTIX(bytes.NewReader(data), "hostile.stix.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hostileValues, typeValues(rep.Indicators)); diff != "" {
		t.Errorf("STIX re-import (-want +got):\n%s", diff)
	}
	if got := rep.Indicators[0].Description; got != "quote ' backslash \\ newline \n end" {
		t.Errorf("description %q", got)
	}
	if _, err := stix2.FromJSON(data); err != nil {
		t.Errorf("stix2.FromJSON: %v", err)
	}

	data, err = ExportMISP(c)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = ParseMISP(bytes.NewReader(data), "hostile.misp.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hostileValues, typeValues(rep.Indicators)); diff != "" {
		t.Errorf("MISP re-import (-want +got):\n%s", diff)
	}
	var ev struct{ Event struct{ Info string } }
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event.Info != `Line one line two "quoted" </script>` {
		t.Errorf("info %q, want the title on one line", ev.Event.Info)
	}
}

func TestExportRejects(t *testing.T) {
	ok := breachCase()
	for _, tc := range []struct {
		name string
		edit func(c *Case)
		want string
	}{
		{"no id", func(c *Case) { c.ID = " " }, "case has no id"},
		{"no instance", func(c *Case) { c.Instance = "" }, "case inc-42: no instance name"},
		{"no created", func(c *Case) { c.Created = time.Time{} }, "case inc-42: no created time"},
		{"modified before created", func(c *Case) { c.Modified = c.Created.Add(-time.Second) }, "modified 2026-03-02T08:14:02Z is before created"},
		{"newline in value", func(c *Case) { c.Observables[3].Value = "evil\n.example" }, `observables[3] domain "evil\n.example": value "evil\n.example" holds a control character`},
		{"not an address", func(c *Case) { c.Observables[0].Value = "203.0.113.999" }, `observables[0] ip "203.0.113.999": "203.0.113.999" is not an IP address`},
		{"network as ip", func(c *Case) { c.Observables[0].Value = "203.0.113.0/24" }, "observables[0]"},
		{"invalid utf-8", func(c *Case) { c.Observables[9].Value = "jdoe\xff" }, "observables[9] account \"jdoe\\xff\": value is not valid UTF-8"},
		{"unknown type", func(c *Case) { c.Observables[1].Type = "mutex" }, `observables[1] mutex "198.51.100.77/24": unknown indicator type "mutex"`},
		{"unknown role", func(c *Case) { c.Observables[2].Role = "victim" }, `observables[2] ip "2001:DB8::7": unknown role "victim"`},
		{"last before first", func(c *Case) { c.Observables[2].LastSeen = c.Observables[2].FirstSeen.Add(-time.Minute) }, "observables[2] ip \"2001:db8::7\": last seen 2026-03-02T09:59:00Z is before first seen 2026-03-02T10:00:00Z"},
		{"negative count", func(c *Case) { c.Observables[2].Count = -1 }, "count -1 is negative"},
		{"duplicate", func(c *Case) {
			c.Observables = append(c.Observables, Observable{Type: Domain, Value: "update-check.EXAMPLE", Role: RoleC2})
		}, `observables[10] domain "update-check.example": same type, value and role as observables[3]`},
		{"too many observables", func(c *Case) { c.Observables = make([]Observable, maxCaseObservables+1) }, "100001 observables, over 100000"},
		{"too many hosts", func(c *Case) { c.Observables[0].Hosts = make([]string, maxObservableRefs+1) }, "1001 hosts, accounts, techniques or intel ids, over 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Observables = slices.Clone(ok.Observables)
			tc.edit(&c)
			for name, export := range map[string]func(Case) ([]byte, error){"stix": ExportSTIX, "misp": ExportMISP} {
				data, err := export(c)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
				}
				if data != nil {
					t.Errorf("%s: output with an error", name)
				}
			}
		})
	}
}

func TestExportEmptyCase(t *testing.T) {
	c := Case{ID: "inc-1", Instance: "vigie", Created: date("2026-01-01T00:00:00Z")}
	data := exportSTIX(t, c)
	rep, err := ParseSTIX(bytes.NewReader(data), "empty")
	if err != nil || len(rep.Indicators) != 0 {
		t.Fatalf("re-import: %v, %v", rep, err)
	}
	if _, err := stix2.FromJSON(data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"name": "inc-1"`)) {
		t.Errorf("report not named after the case id:\n%s", data)
	}
	m, err := ExportMISP(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m, []byte(`"Attribute": []`)) || !bytes.Contains(m, []byte(`"Tag": []`)) {
		t.Errorf("empty event lacks empty Attribute and Tag lists:\n%s", m)
	}
}

func TestExportMISPReimports(t *testing.T) {
	data, err := ExportMISP(breachCase())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseMISP(bytes.NewReader(data), "inc-42.misp.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(breachValues, typeValues(rep.Indicators)); diff != "" {
		t.Errorf("re-imported indicators (-want +got):\n%s", diff)
	}
	if len(rep.Skipped) != 1 || !strings.HasPrefix(rep.Skipped[0].Object, "Event.Attribute[10] ") ||
		rep.Skipped[0].Reason != "attribute type text is not matched" {
		t.Errorf("skipped %v, want only the summary (Event.Attribute[10], type text)", rep.Skipped)
	}
	first := rep.Indicators[0]
	if first.Name != "Password spraying, VPN login and exfiltration from fs-02" {
		t.Errorf("name %q, want the event info", first.Name)
	}
	wantComment := "attacker; source of 1,204 failed VPN logins; seen 1204 times; hosts: vpn-gw; accounts: jdoe, asmith; " +
		"ATT&CK: T1110.003; matched intel: indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f, ip:203.0.113.9"
	if first.Description != wantComment {
		t.Errorf("description %q, want %q", first.Description, wantComment)
	}
	if !first.ValidFrom.Equal(date("2026-03-02T08:14:03.250Z")) || !first.ValidUntil.Equal(date("2026-03-02T09:01:00Z")) {
		t.Errorf("first_seen/last_seen read back as %v / %v", first.ValidFrom, first.ValidUntil)
	}
	if first.Confidence != 85 || !slices.Equal(first.Labels, []string{"tlp:amber", "attack.credential-access"}) {
		t.Errorf("confidence %d (want 85, from threat level high), labels %v", first.Confidence, first.Labels)
	}
}

// mispRequired lists the fields the MISP core format draft
// (draft-dulaunoy-misp-core-format, sections 2.2 to 2.5 and Tag) says
// MUST or SHALL be present, with their JSON types.
var mispRequired = map[string]map[string]string{
	"Event": {
		"uuid": "string", "id": "string", "published": "bool", "info": "string", "threat_level_id": "string",
		"analysis": "string", "date": "string", "timestamp": "string", "publish_timestamp": "string",
		"org_id": "string", "orgc_id": "string", "attribute_count": "string", "distribution": "string",
		"Org": "object", "Orgc": "object", "Attribute": "array",
	},
	"Org":       {"uuid": "string", "name": "string", "id": "string"},
	"Attribute": {"uuid": "string", "id": "string", "type": "string", "category": "string", "to_ids": "bool", "event_id": "string", "distribution": "string", "timestamp": "string", "deleted": "bool", "value": "string"},
	"Tag":       {"name": "string", "colour": "string", "id": "string", "exportable": "bool"},
}

// mispCategoryTypes are the category-type pairs of the draft's table for
// the types the exporter writes.
var mispCategoryTypes = map[string][]string{
	"Network activity": {"ip-src", "ip-dst", "domain", "url", "email-src", "email-dst"},
	"Payload delivery": {"md5", "sha1", "sha256", "email-src", "ip-src", "ip-dst", "domain", "url"},
	"Targeting data":   {"target-user", "target-email"},
	"Other":            {"text"},
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func checkFields(t *testing.T, where string, obj map[string]any, want map[string]string) {
	t.Helper()
	for k, kind := range want {
		v, ok := obj[k]
		if !ok {
			t.Errorf("%s: no %s", where, k)
		} else if jsonKind(v) != kind {
			t.Errorf("%s: %s is a JSON %s, want %s", where, k, jsonKind(v), kind)
		}
	}
}

var (
	uuidPattern    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	unsignedPatten = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
)

func TestExportMISPStructure(t *testing.T) {
	data, err := ExportMISP(breachCase())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	ev, ok := doc["Event"].(map[string]any)
	if !ok || len(doc) != 1 {
		t.Fatalf("document is not {\"Event\": {…}}: %s", data)
	}
	checkFields(t, "Event", ev, mispRequired["Event"])
	checkFields(t, "Event.Org", ev["Org"].(map[string]any), mispRequired["Org"])
	checkFields(t, "Event.Orgc", ev["Orgc"].(map[string]any), mispRequired["Org"])
	for _, k := range []string{"id", "org_id", "orgc_id", "attribute_count", "timestamp", "publish_timestamp"} {
		if !unsignedPatten.MatchString(ev[k].(string)) {
			t.Errorf("Event.%s %q is not an unsigned integer", k, ev[k])
		}
	}
	want := map[string]any{"published": false, "threat_level_id": "1", "analysis": "1", "distribution": "0",
		"sharing_group_id": "0", "date": "2026-03-02", "timestamp": "1772557200", "publish_timestamp": "0",
		"attribute_count": "11", "info": "Password spraying, VPN login and exfiltration from fs-02"}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("Event.%s = %#v, want %#v", k, ev[k], v)
		}
	}
	if !uuidPattern.MatchString(ev["uuid"].(string)) || !uuidPattern.MatchString(ev["Orgc"].(map[string]any)["uuid"].(string)) {
		t.Errorf("event uuid %v or Orgc uuid is not a UUID", ev["uuid"])
	}
	if ev["Orgc"].(map[string]any)["name"] != "vigie.court.example" {
		t.Errorf("Orgc %v, want the instance", ev["Orgc"])
	}
	attrs := ev["Attribute"].([]any)
	type typeCat struct{ Type, Category string }
	var got []typeCat
	uuids := map[string]bool{}
	for i, a := range attrs {
		attr := a.(map[string]any)
		where := fmt.Sprintf("Event.Attribute[%d]", i)
		checkFields(t, where, attr, mispRequired["Attribute"])
		typ, cat := attr["type"].(string), attr["category"].(string)
		if !slices.Contains(mispCategoryTypes[cat], typ) {
			t.Errorf("%s: type %s is not valid in category %s", where, typ, cat)
		}
		if attr["event_id"] != ev["id"] || attr["deleted"] != false || attr["distribution"] != "5" {
			t.Errorf("%s: event_id %v, deleted %v, distribution %v", where, attr["event_id"], attr["deleted"], attr["distribution"])
		}
		if u := attr["uuid"].(string); !uuidPattern.MatchString(u) || uuids[u] {
			t.Errorf("%s: uuid %q not a UUID or repeated", where, u)
		} else {
			uuids[u] = true
		}
		for _, k := range []string{"first_seen", "last_seen"} {
			if v, ok := attr[k]; ok {
				if _, err := time.Parse(time.RFC3339Nano, v.(string)); err != nil {
					t.Errorf("%s: %s %v: %v", where, k, v, err)
				}
			}
		}
		got = append(got, typeCat{typ, cat})
	}
	wantTypes := []typeCat{
		{"ip-src", "Network activity"}, {"ip-src", "Network activity"}, {"ip-dst", "Network activity"},
		{"domain", "Network activity"}, {"url", "Network activity"}, {"sha256", "Payload delivery"},
		{"sha1", "Payload delivery"}, {"md5", "Payload delivery"}, {"email-src", "Payload delivery"},
		{"target-user", "Targeting data"}, {"text", "Other"},
	}
	if diff := cmp.Diff(wantTypes, got); diff != "" {
		t.Errorf("attribute types (-want +got):\n%s", diff)
	}
	tags := ev["Tag"].([]any)
	if len(tags) != 2 {
		t.Fatalf("%d tags, want 2", len(tags))
	}
	for i, tag := range tags {
		checkFields(t, fmt.Sprintf("Event.Tag[%d]", i), tag.(map[string]any), mispRequired["Tag"])
	}
	again, err := ExportMISP(breachCase())
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("a second export differs (%v)", err)
	}
}

func TestExportSameValueTwoRoles(t *testing.T) {
	c := Case{ID: "inc-2", Instance: "vigie", Created: date("2026-01-01T00:00:00Z"), Observables: []Observable{
		{Type: IP, Value: "203.0.113.9", Role: RoleAttacker},
		{Type: IP, Value: "203.0.113.9", Role: RoleExfiltration},
	}}
	data := exportSTIX(t, c)
	if n := bytes.Count(data, []byte(`"type": "ipv4-addr"`)); n != 1 {
		t.Errorf("%d ipv4-addr objects, want 1 shared by both indicators", n)
	}
	rep, err := ParseSTIX(bytes.NewReader(data), "two-roles")
	if err != nil {
		t.Fatal(err)
	}
	want := []typeValue{{IP, "203.0.113.9"}, {IP, "203.0.113.9"}}
	if diff := cmp.Diff(want, typeValues(rep.Indicators)); diff != "" {
		t.Errorf("STIX re-import (-want +got):\n%s", diff)
	}
	if rep.Indicators[0].ID == rep.Indicators[1].ID {
		t.Errorf("both roles share indicator id %s", rep.Indicators[0].ID)
	}
	m, err := ExportMISP(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m, []byte(`"type": "ip-src"`)) || !bytes.Contains(m, []byte(`"type": "ip-dst"`)) {
		t.Errorf("want an ip-src and an ip-dst attribute:\n%s", m)
	}
}
