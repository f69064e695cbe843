package intel

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMISP(t *testing.T) {
	data, err := os.ReadFile("testdata/misp-event.json")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseMISP(strings.NewReader(string(data)), "cert-misp")
	if err != nil {
		t.Fatal(err)
	}
	const info = "Phishing campaign against the registry"
	misp := func(id string, typ Type, value string, conf int) Indicator {
		return Indicator{ID: id, Type: typ, Value: value, Name: info, Confidence: conf,
			Source: "cert-misp", Format: FormatMISP, Labels: []string{"tlp:amber"}}
	}
	c2 := misp("a1000000-0000-4000-8000-000000000001", IP, "198.51.100.23", 85)
	c2.Description = "C2 server"
	c2.ValidFrom, c2.ValidUntil = date("2024-03-01T00:00:00Z"), date("2024-04-01T00:00:00Z")
	login := misp("a1000000-0000-4000-8000-000000000003", Domain, "login-registry.example", 75)
	login.Labels = append(login.Labels, `misp:confidence-level="usually-confident"`)
	want := []Indicator{
		c2,
		misp("a1000000-0000-4000-8000-000000000002", IP, "2001:db8::7", 85),
		login,
		misp("a1000000-0000-4000-8000-000000000004", Domain, "cdn.bad.example", 85),
		misp("a1000000-0000-4000-8000-000000000004#ip:192.0.2.44", IP, "192.0.2.44", 85),
		misp("a1000000-0000-4000-8000-000000000005", URL, "https://login-registry.example/owa/auth.php?x=1", 85),
		misp("a1000000-0000-4000-8000-000000000007", MD5, "d41d8cd98f00b204e9800998ecf8427e", 85),
		misp("a1000000-0000-4000-8000-000000000008", SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 85),
		misp("a1000000-0000-4000-8000-000000000009", Email, "billing@bad.example", 85),
		misp("a1000000-0000-4000-8000-00000000000a", Account, `registry\jdoe`, 85),
		misp("b2000000-0000-4000-8000-000000000002", CIDR, "203.0.113.0/25", 85),
	}
	if diff := cmp.Diff(want, rep.Indicators); diff != "" {
		t.Errorf("indicators (-want +got):\n%s", diff)
	}
	wantSkipped := []Skipped{
		{"Event.Attribute[5] a1000000-0000-4000-8000-000000000006", "uri is a path without a host: Vigie matches absolute URLs"},
		{"Event.Attribute[10] a1000000-0000-4000-8000-00000000000b", "to_ids is false"},
		{"Event.Attribute[11] a1000000-0000-4000-8000-00000000000c", "deleted"},
		{"Event.Attribute[12] a1000000-0000-4000-8000-00000000000d", "attribute type regkey is not matched"},
		{"Event.Object[0].Attribute[1] b2000000-0000-4000-8000-000000000003", "attribute type port is not matched"},
	}
	if diff := cmp.Diff(wantSkipped, rep.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}

	all, err := Options{MISPAllAttributes: true}.ParseMISP(strings.NewReader(string(data)), "cert-misp")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(all.Indicators); got != len(want)+1 {
		t.Errorf("with MISPAllAttributes: got %d indicators, want %d (the to_ids=false one too)", got, len(want)+1)
	}
}

func TestParseMISPShapes(t *testing.T) {
	attr := `{"uuid": "a1000000-0000-4000-8000-000000000001", "type": "ip-dst", "value": "198.51.100.23", "to_ids": true}`
	tests := []struct {
		name, doc, where string
		conf             int
	}{
		{"bare event", `{"info": "x", "threat_level_id": 3, "Attribute": [` + attr + `]}`, "", 30},
		{"response list", `{"response": [{"Event": {"info": "x", "threat_level_id": "2"}}, {"Event": {"info": "y", "Attribute": [` + attr + `]}}]}`, "", 50},
		{"attribute search", `{"response": {"Attribute": [` + attr + `]}}`, "", 50},
		{"event tag", `{"Event": {"info": "x", "threat_level_id": "1", "Tag": [{"name": "estimative-language:confidence-in-analytic-judgment=\"low\""}], "Attribute": [` + attr + `]}}`, "", 30},
		{"admiralty", `{"Event": {"Attribute": [{"uuid": "u", "type": "ip-dst", "value": "198.51.100.23", "to_ids": true, "Tag": [{"name": "admiralty-scale:information-credibility=\"2\""}]}]}}`, "", 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseMISP(strings.NewReader(tt.doc), "m")
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Indicators) != 1 || rep.Indicators[0].Value != "198.51.100.23" {
				t.Fatalf("got %+v, want the one ip-dst", rep.Indicators)
			}
			if got := rep.Indicators[0].Confidence; got != tt.conf {
				t.Errorf("got confidence %d, want %d", got, tt.conf)
			}
		})
	}
}

func TestParseMISPMalformed(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"syntax", "{\"Event\": {\n\"Attribute\": [}}", "m.json:2:15: not a MISP event: invalid character '}' looking for beginning of value"},
		{"wrong type", "{\"Event\": {\n\"Attribute\": {}}}", "m.json:2:14: not a MISP event: json: cannot unmarshal object into Go struct field mispEvent.Event.Attribute of type []intel.mispAttribute"},
		{"wrong literal", "{\"Event\": {\n\"info\": 42}}", "m.json:2:10: not a MISP event: json: cannot unmarshal number into Go struct field mispEvent.Event.info of type string"},
		{"not an event", `{"foo": 1}`, `m.json: no MISP event: want {"Event": …}, {"response": …} or an event`},
		{"bad value", `{"Event": {"Attribute": [{"uuid": "a1", "type": "ip-dst", "value": "1.2.3.4"}, {"uuid": "a2", "type": "ip-dst", "value": "300.1.1.1", "to_ids": true}]}}`,
			`m.json: Event.Attribute[1] a2: value of type ip-dst: "300.1.1.1" is not an IP address`},
		{"bad composite", `{"Event": {"Object": [{"Attribute": [{"uuid": "a3", "type": "domain|ip", "value": "evil.example", "to_ids": true}]}]}}`,
			`m.json: Event.Object[0].Attribute[0] a3: value "evil.example" of type domain|ip has no '|'`},
		{"no type", `{"Event": {"Attribute": [{"uuid": "a4", "value": "x"}]}}`, "m.json: Event.Attribute[0] a4: attribute has no type"},
		{"no value", `{"Event": {"Attribute": [{"type": "url", "value": " "}]}}`, "m.json: Event.Attribute[0]: attribute has no value"},
		{"bad first_seen", `{"Event": {"Attribute": [{"uuid": "a5", "type": "domain", "value": "evil.example", "to_ids": true, "first_seen": "March"}]}}`,
			`m.json: Event.Attribute[0] a5: first_seen: "March" is not an RFC 3339 time`},
		{"bad to_ids", `{"Event": {"Attribute": [{"uuid": "a6", "type": "domain", "value": "evil.example", "to_ids": "yes"}]}}`,
			`m.json: not a MISP event: "yes" is not a boolean`},
		{"response item", `{"response": [{"Event": {"info": "x"}}, {}]}`, "m.json: response[1]: no Event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseMISP(strings.NewReader(tt.doc), "m.json")
			if err == nil {
				t.Fatalf("got %+v and no error, want %q", rep, tt.want)
			}
			if rep != nil {
				t.Errorf("got a report with the error, want nil")
			}
			if err.Error() != tt.want {
				t.Errorf("got error\n%s\nwant\n%s", err, tt.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error does not match ErrMalformed")
			}
		})
	}
}
