package intel

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseSTIX(t *testing.T) {
	f, err := os.Open("testdata/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ParseSTIX(f, "acme-feed")
	if err != nil {
		t.Fatal(err)
	}
	stix := func(id string, typ Type, value, name string, from string, conf int, labels ...string) Indicator {
		return Indicator{ID: id, Type: typ, Value: value, Name: name, ValidFrom: date(from), Confidence: conf,
			Source: "acme-feed", Format: FormatSTIX, Labels: labels}
	}
	ivy := stix("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", IP, "198.51.100.7", "Poison Ivy Malware C2",
		"2016-01-01T00:00:00Z", 90, "poison-ivy", "malicious-activity", "attack.command-and-control")
	ivy.Description = "This IP address is a Poison Ivy command and control server."
	ivy.ValidUntil = date("2030-01-01T00:00:00Z")
	const dropper = "indicator--e8094b09-7df4-4b13-b207-1e27af3c4bde"
	const phish = "indicator--2f7e4a8c-6d5e-4c3b-8a1f-0e9d8c7b6a51"
	want := []Indicator{
		ivy,
		stix("indicator--a932fcc6-e032-476c-826f-cb970a5a1ade", CIDR, "203.0.113.0/24", "Scanning network", "2014-02-20T09:00:00Z", 40),
		stix("indicator--d81f86b9-975b-4c0b-875e-810c5ad45a4f", Domain, "honestimnotevil.com", "Beacon domain", "2014-06-29T13:49:37.079Z", 50),
		stix("indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1", URL, "http://evil.example/payload.exe", "Payload URL", "2017-01-17T13:49:37.079Z", 60),
		stix(dropper+"#sha256:aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", SHA256,
			"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", "Dropper", "2017-02-01T09:00:00Z", 85),
		stix(dropper+"#md5:3773a88f65a5e780c8dff9cdc3a056f3", MD5, "3773a88f65a5e780c8dff9cdc3a056f3", "Dropper", "2017-02-01T09:00:00Z", 85),
		stix("indicator--c7bd1d9d-3b1a-4e4b-9b39-3c0d4a9c8f10", Account, "o'brien", "Compromised account", "2020-01-01T00:00:00Z", 50),
		stix(phish, Email, "phish@evil.example", "Phishing sender", "2020-01-01T00:00:00Z", 50),
	}
	if diff := cmp.Diff(want, rep.Indicators); diff != "" {
		t.Errorf("indicators (-want +got):\n%s", diff)
	}
	wantSkipped := []Skipped{
		{"objects[8] indicator--3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e0f", "observations joined by FOLLOWEDBY"},
		{"objects[9] indicator--4d3c2b1a-0f9e-4d7c-8b6a-5a4b3c2d1e0f", "comparisons of different values joined by AND"},
		{"objects[10] indicator--5e4d3c2b-1a0f-4e8d-9c7b-6a5b4c3d2e1f", "operator MATCHES"},
		{"objects[11] indicator--6f5e4d3c-2b1a-4f9e-8d7c-7b6a5c4d3e2f", "pattern_type snort"},
		{"objects[12] indicator--7a6f5e4d-3c2b-4a0f-9e8d-8c7b6a5d4e3f", "qualifier WITHIN"},
	}
	if diff := cmp.Diff(wantSkipped, rep.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	for _, ind := range rep.Indicators {
		if err := ind.Validate(); err != nil {
			t.Errorf("imported indicator does not validate: %v", err)
		}
	}
}

// indicatorObject is a valid STIX indicator whose fields tests replace.
const indicatorObject = `{"type": "indicator", "spec_version": "2.1",
 "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
 "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
 "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
 "valid_from": "2016-01-01T00:00:00Z"}`

func bundleOf(objects ...string) string {
	return `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [` +
		strings.Join(objects, ",") + `]}`
}

func TestParseSTIXMalformed(t *testing.T) {
	const where = "feed.json: objects[1] indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: "
	malware := `{"type": "malware", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b", "name": "x", "is_family": true}`
	with := func(old, repl string) string {
		return bundleOf(malware, strings.Replace(indicatorObject, old, repl, 1))
	}
	tests := []struct {
		name, input, want string
	}{
		{"syntax", "{\"type\": \"bundle\",\n \"objects\": [,]}", "feed.json:2:14: not a STIX bundle: invalid character ',' looking for beginning of value"},
		{"not a bundle", `{"type": "indicator", "id": "x"}`, `feed.json: type is "indicator", want "bundle"`},
		{"object not an object", bundleOf(malware, `42`), "feed.json: objects[1]: not a STIX object: json: cannot unmarshal number into Go value of type intel.stixHeader"},
		{"no type", bundleOf(`{"id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`), "feed.json: objects[0] malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b: object has no type"},
		{"bad id", bundleOf(`{"type": "malware", "id": "malware--nope"}`), `feed.json: objects[0] malware--nope: id "malware--nope" is not malware--<uuid>`},
		{"id of another type", bundleOf(strings.Replace(indicatorObject, `"indicator--`, `"malware--`, 1)),
			`feed.json: objects[0] malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: id "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" is not indicator--<uuid>`},
		{"no pattern", with(`"pattern": "[ipv4-addr:value = '198.51.100.7']",`, ""), where + "indicator has no pattern"},
		{"no valid_from", with(`,
 "valid_from": "2016-01-01T00:00:00Z"`, ""), where + "indicator has no valid_from"},
		{"numeric timestamp", with(`"valid_from": "2016-01-01T00:00:00Z"`, `"valid_from": 1`), where + "valid_from: 1 is not a timestamp string"},
		{"bad timestamp", with(`"valid_from": "2016-01-01T00:00:00Z"`, `"valid_from": "yesterday"`), where + `valid_from: "yesterday" is not an RFC 3339 timestamp`},
		{"confidence", with(`"pattern_type": "stix",`, `"pattern_type": "stix", "confidence": 101,`), where + "confidence 101 is outside 0-100"},
		{"reversed validity", with(`"valid_from": "2016-01-01T00:00:00Z"`, `"valid_from": "2016-01-01T00:00:00Z", "valid_until": "2015-01-01T00:00:00Z"`),
			where + "valid_until is not after valid_from"},
		{"pattern syntax", with(`= '198.51.100.7']`, `= '198.51.100.7'`), where + `pattern "[ipv4-addr:value = '198.51.100.7'": pattern offset 33: expected ']', found end of pattern`},
		{"pattern value", with(`'198.51.100.7'`, `'198.51.100.700'`), where + `pattern "[ipv4-addr:value = '198.51.100.700']": pattern offset 19: ipv4-addr:value: "198.51.100.700" is not an IP address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseSTIX(strings.NewReader(tt.input), "feed.json")
			if err == nil {
				t.Fatalf("got %d indicators and no error, want error %q", len(rep.Indicators), tt.want)
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

func TestParseSTIXVersions(t *testing.T) {
	v1 := indicatorObject
	v2 := strings.NewReplacer(`"modified": "2016-04-06T20:03:48.000Z"`, `"modified": "2017-01-01T00:00:00.000Z"`,
		"198.51.100.7", "198.51.100.8").Replace(indicatorObject)
	rep, err := ParseSTIX(strings.NewReader(bundleOf(v2, v1)), "f")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Indicators) != 1 || rep.Indicators[0].Value != "198.51.100.8" {
		t.Errorf("got %+v, want only the later version, 198.51.100.8", rep.Indicators)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "superseded by a later version" || !strings.HasPrefix(rep.Skipped[0].Object, "objects[1] ") {
		t.Errorf("got skipped %+v, want objects[1] superseded", rep.Skipped)
	}
	revoked := strings.Replace(indicatorObject, `"pattern_type"`, `"revoked": true, "pattern_type"`, 1)
	rep, err = ParseSTIX(strings.NewReader(bundleOf(revoked)), "f")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Indicators) != 0 || len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "revoked" {
		t.Errorf("revoked: got %+v, want it skipped", rep)
	}
}

func TestParseSTIXLimits(t *testing.T) {
	_, err := Options{MaxBytes: 100}.ParseSTIX(strings.NewReader(bundleOf(indicatorObject)), "f")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("100-byte limit: got %v, want ErrTooLarge", err)
	}
	_, err = Options{MaxObjects: 1}.ParseSTIX(strings.NewReader(bundleOf(indicatorObject, indicatorObject)), "f")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("1-object limit: got %v, want ErrTooLarge", err)
	}
}
