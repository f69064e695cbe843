package intel

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCSV(t *testing.T) {
	f, err := os.Open("testdata/indicators.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ParseCSV(f, "cert.csv")
	if err != nil {
		t.Fatal(err)
	}
	row := func(typ Type, value string, conf int) Indicator {
		return Indicator{ID: string(typ) + ":" + value, Type: typ, Value: value, Confidence: conf, Source: "cert.csv", Format: FormatCSV}
	}
	ip := row(IP, "198.51.100.7", 90)
	ip.ValidFrom, ip.ValidUntil = date("2024-03-01T00:00:00Z"), date("2024-06-01T00:00:00Z")
	ip.Description, ip.Labels = "C2 server", []string{"c2", "apt-x"}
	cidr := row(CIDR, "203.0.113.0/24", 40)
	cidr.Description, cidr.Labels = "scanning range", []string{"scanner"}
	domain := row(Domain, "honestimnotevil.com", 50)
	domain.Description = "beacon domain"
	sha1 := row(SHA1, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", 80)
	sha1.ValidFrom, sha1.Description, sha1.Labels = date("2024-01-01T00:00:00Z"), "tool", []string{"tool", "lateral"}
	email := row(Email, "phish@evil.example", 50)
	email.Description = "sender, spoofed"
	want := []Indicator{ip, cidr, domain, row(URL, "http://evil.example/", 70), sha1, row(Account, `corp\svc_backup`, 50), email}
	if diff := cmp.Diff(want, rep.Indicators); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(rep.Skipped) != 0 {
		t.Errorf("got skipped %v, want none", rep.Skipped)
	}
}

func TestParseCSVInferred(t *testing.T) {
	f, err := os.Open("testdata/inferred.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ParseCSV(f, "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ind := range rep.Indicators {
		got = append(got, ind.ID)
	}
	want := []string{"ip:198.51.100.8", "cidr:2001:db8::/32", "domain:www.honestimnotevil.com", "url:https://evil.example/a",
		"md5:d41d8cd98f00b204e9800998ecf8427e", "sha1:a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
		"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "email:x@evil.example"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseCSVMalformed(t *testing.T) {
	tests := []struct {
		name, csv, want string
	}{
		{"empty", "# only a comment\n", "f.csv: no header row"},
		{"unknown column", "type,value,expiry\n", `f.csv:1:12: unknown column "expiry" (known: id, type, value, name, description, valid_from, valid_until, confidence, labels)`},
		{"repeated column", "value,Value\n", `f.csv:1:7: column "value" repeated`},
		{"no value column", "type,confidence\n", "f.csv:1:1: no value column"},
		{"cell count", "type,value\nip,1.2.3.4\nip,1.2.3.5,x\n", "f.csv:3:1: bad CSV: wrong number of fields"},
		{"quote", "type,value\nip,\"1.2.3.4\n", "f.csv:2:13: bad CSV: extraneous or missing \" in quoted-field"},
		{"bad ip", "# feed\ntype,value\nip,1.2.3.4\nip, 1.2.3.400\n", `f.csv:4:5: value: "1.2.3.400" is not an IP address`},
		{"unknown type", "type,value\nipv4,1.2.3.4\n", `f.csv:2:1: unknown type "ipv4" (known: ip, cidr, domain, url, sha256, sha1, md5, account, email)`},
		{"cannot infer", "value\nsomething\n", `f.csv:2:1: cannot tell the type of "something"`},
		{"empty value", "type,value\nip,\n", "f.csv:2:4: empty value"},
		{"bad date", "value,valid_from\n1.2.3.4,tomorrow\n", `f.csv:2:9: valid_from: "tomorrow" is not an RFC 3339 time or a date`},
		{"reversed", "value,valid_from,valid_until\n1.2.3.4,2024-02-01,2024-01-01\n", "f.csv:2:20: valid_until is not after valid_from"},
		{"confidence", "value,confidence\n1.2.3.4,high\n", `f.csv:2:9: confidence "high" is not a whole number from 0 to 100`},
		{"short hash", "type,value\nsha256,abcd\n", `f.csv:2:8: value: "abcd" is not a sha256 hash (64 hexadecimal digits)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseCSV(strings.NewReader(tt.csv), "f.csv")
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
	_, err := Options{MaxObjects: 2}.ParseCSV(strings.NewReader("value\n1.2.3.4\n1.2.3.5\n1.2.3.6\n"), "f.csv")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("3 rows over a limit of 2: got %v, want ErrTooLarge", err)
	}
}

func TestDetectFormat(t *testing.T) {
	f := func(name, head, want string) {
		t.Helper()
		if got := DetectFormat(name, []byte(head)); got != want {
			t.Errorf("DetectFormat(%q, %q) = %q, want %q", name, head, got, want)
		}
	}
	f("feed.json", `{"type": "bundle", "id": "bundle--…"`, FormatSTIX)
	f("x", "\ufeff  [{\"type\": \"indicator\", \"spec_version\": \"2.1\"", FormatSTIX)
	f("event.json", `{"Event": {"info": "x"`, FormatMISP)
	f("e.json", `{"response": [`, FormatMISP)
	f("ioc.csv", "value\n1.2.3.4\n", FormatCSV)
	f("ioc", "type,value\n", FormatCSV)
	f("misp-export.json", `{"uuid": "x"}`, FormatMISP)
	f("notes", "hello\n", "")
	f("data.json", `{"a": 1}`, "")
	for _, name := range []string{"testdata/bundle.json", "testdata/misp-event.json", "testdata/indicators.csv"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		format := DetectFormat(name, data[:min(len(data), 512)])
		if _, err := Parse(strings.NewReader(string(data)), format, name); err != nil {
			t.Errorf("%s detected as %q: %v", name, format, err)
		}
	}
	if _, err := Parse(strings.NewReader(""), "yaml", "x"); err == nil {
		t.Error("Parse with format yaml: got no error")
	}
}
