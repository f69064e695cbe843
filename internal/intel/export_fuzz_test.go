package intel

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/TcM1911/stix2"
)

// FuzzExport exports a case holding one observable of random type, role,
// value, times and text: the exporters must not panic, must accept every
// value Normalise accepts, and what they write must re-import through
// ParseSTIX and ParseMISP with the same values.
func FuzzExport(f *testing.F) {
	f.Add(uint8(0), uint8(0), "203.0.113.9", "attacker address", int64(0), int64(60), 3)
	f.Add(uint8(3), uint8(1), `http://evil.example/a'b\c`, "quote ' back \\ newline \n", int64(-5), int64(0), 0)
	f.Add(uint8(7), uint8(3), `CORP\o'Brien\`, "\xff\xfe invalid", int64(1<<40), int64(1), 1<<31)
	f.Add(uint8(2), uint8(2), "bücher.example", "攻撃 </script>", int64(10), int64(-1), -1)
	f.Add(uint8(1), uint8(4), "2001:db8::/32", "T1110.003", int64(0), int64(0), 1)
	f.Fuzz(func(t *testing.T, typ, role uint8, value, text string, first, span int64, count int) {
		if len(value) > maxFuzzInput || len(text) > maxFuzzInput {
			return
		}
		types, roles := Types(), Roles()
		created := date("2026-01-01T00:00:00Z")
		obs := Observable{
			Type: types[int(typ)%len(types)], Value: value, Role: roles[int(role)%len(roles)], Context: text,
			FirstSeen: created.Add(time.Duration(first) * time.Second), Count: count,
			Hosts: []string{text}, Accounts: []string{text}, Techniques: []string{text}, Intel: []string{text},
		}
		obs.LastSeen = obs.FirstSeen.Add(time.Duration(span) * time.Second)
		fixed := Observable{Type: Domain, Value: "fixed.example", Role: RolePayload, Hosts: []string{"ws-1"}}
		c := Case{ID: "inc-fuzz", Title: text, Description: text, Created: created, Instance: "vigie",
			Labels: []string{text}, Observables: []Observable{fixed, obs}}

		norm, nerr := Normalise(obs.Type, value)
		valid := nerr == nil && utf8.ValidString(value) && count >= 0 && span >= 0 &&
			!(obs.Type == IP && strings.Contains(norm, "/")) &&
			exportableTime(obs.FirstSeen) == nil && exportableTime(obs.LastSeen) == nil &&
			!(obs.Type == Domain && norm == "fixed.example" && obs.Role == RolePayload)
		want := []typeValue{{Domain, "fixed.example"}, {obs.Type, norm}}
		if obs.Type == IP && strings.Contains(norm, "/") {
			want[1].Type = CIDR
		}

		stixData, err := ExportSTIX(c)
		if (err == nil) != valid {
			t.Fatalf("ExportSTIX error %v, want an error %v", err, !valid)
		}
		mispData, merr := ExportMISP(c)
		if (merr == nil) != valid {
			t.Fatalf("ExportMISP error %v, want an error %v", merr, !valid)
		}
		if !valid {
			return
		}
		rep, err := ParseSTIX(bytes.NewReader(stixData), "fuzz.stix.json")
		if err != nil {
			t.Fatalf("STIX re-import: %v\n%s", err, stixData)
		}
		if got := typeValues(rep.Indicators); !slices.Equal(got, want) {
			t.Fatalf("STIX re-import gives %v, want %v", got, want)
		}
		if _, err := stix2.FromJSON(stixData); err != nil {
			t.Fatalf("stix2.FromJSON: %v", err)
		}
		rep, err = ParseMISP(bytes.NewReader(mispData), "fuzz.misp.json")
		if err != nil {
			t.Fatalf("MISP re-import: %v\n%s", err, mispData)
		}
		if got := typeValues(rep.Indicators); !slices.Equal(got, want) {
			t.Fatalf("MISP re-import gives %v, want %v", got, want)
		}
	})
}
