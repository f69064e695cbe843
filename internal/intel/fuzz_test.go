package intel

import (
	"bytes"
	"os"
	"testing"
)

// maxFuzzInput caps fuzz inputs, as the importers' own limits are far
// above what a fuzzer explores usefully.
const maxFuzzInput = 64 << 10

func seedFile(f *testing.F, name string) {
	data, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

// checkReport checks the invariants of a successful import: every
// indicator valid, none returned with an error.
func checkReport(t *testing.T, rep *ImportReport, err error) {
	if err != nil {
		if rep != nil {
			t.Fatalf("got a report and error %v", err)
		}
		return
	}
	for _, ind := range rep.Indicators {
		if verr := ind.Validate(); verr != nil {
			t.Fatalf("imported indicator is invalid: %v", verr)
		}
	}
	m := Compile(rep.Indicators)
	if m.Len() != len(rep.Indicators) {
		t.Fatalf("Compile kept %d of %d valid indicators", m.Len(), len(rep.Indicators))
	}
}

func FuzzParseSTIX(f *testing.F) {
	seedFile(f, "testdata/bundle.json")
	f.Add([]byte(bundleOf(indicatorObject)))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","valid_from":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		rep, err := ParseSTIX(bytes.NewReader(data), "fuzz")
		checkReport(t, rep, err)
	})
}

func FuzzParseMISP(f *testing.F) {
	seedFile(f, "testdata/misp-event.json")
	f.Add([]byte(`{"response": [{"Event": {"Attribute": [{"type": "domain|ip", "value": "a.example|192.0.2.1", "to_ids": "1"}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		rep, err := ParseMISP(bytes.NewReader(data), "fuzz")
		checkReport(t, rep, err)
	})
}

func FuzzParseCSV(f *testing.F) {
	seedFile(f, "testdata/indicators.csv")
	seedFile(f, "testdata/inferred.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		rep, err := ParseCSV(bytes.NewReader(data), "fuzz")
		checkReport(t, rep, err)
	})
}

func FuzzParsePattern(f *testing.F) {
	for _, p := range []string{
		`[ipv4-addr:value = '198.51.100.7']`,
		`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' OR file:hashes.MD5 = '3773a88f65a5e780c8dff9cdc3a056f3']`,
		`([domain-name:value IN ('a.example', 'b.example')] OR [url:value = 'http://x.example/']) WITHIN 5 SECONDS`,
		`[user-account:account_login = 'o\'brien\\x'] FOLLOWEDBY [EXISTS file:name] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`,
		`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > -7.0e1 AND artifact:payload_bin MATCHES b'aGk=']`,
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		if len(pattern) > maxFuzzInput {
			return
		}
		values, unsupported, err := parsePattern(pattern)
		if err != nil && (values != nil || unsupported != "") {
			t.Fatalf("got values or a reason with error %v", err)
		}
		if err == nil && unsupported == "" && len(values) == 0 {
			t.Fatalf("pattern %q: no values, no reason, no error", pattern)
		}
		for _, v := range values {
			if norm, nerr := Normalise(v.Type, v.Value); nerr != nil || norm != v.Value {
				t.Fatalf("value %v not normalised: %q, %v", v, norm, nerr)
			}
		}
	})
}
