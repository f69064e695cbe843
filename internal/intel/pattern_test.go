package intel

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePattern(t *testing.T) {
	f := func(pattern string, want ...patternValue) {
		t.Helper()
		got, unsupported, err := parsePattern(pattern)
		if err != nil || unsupported != "" {
			t.Errorf("parsePattern(%q): got unsupported %q, error %v; want values", pattern, unsupported, err)
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("parsePattern(%q) (-want +got):\n%s", pattern, diff)
		}
	}
	f(`[ipv4-addr:value = '198.51.100.7']`, patternValue{IP, "198.51.100.7"})
	f(`[ipv6-addr:value = '2001:DB8::1']`, patternValue{IP, "2001:db8::1"})
	f(`[ipv4-addr:value = '203.0.113.9/24']`, patternValue{CIDR, "203.0.113.0/24"})
	f(`[ipv4-addr:value ISSUBSET '203.0.113.0/24']`, patternValue{CIDR, "203.0.113.0/24"})
	f(`[domain-name:value = 'Evil.Example']`, patternValue{Domain, "evil.example"})
	f(`[url:value = 'HTTPS://Evil.Example']`, patternValue{URL, "https://evil.example/"})
	f(`[file:hashes.'SHA-1' = 'A94A8FE5CCB19BA61C4C0873D391E987982FBBD3']`, patternValue{SHA1, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"})
	f(`[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']`, patternValue{MD5, "d41d8cd98f00b204e9800998ecf8427e"})
	f(`[file:hashes.SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']`,
		patternValue{SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})
	f(`[user-account:account_login = 'CORP\\jdoe']`, patternValue{Account, `corp\jdoe`})
	f(`[user-account:account_login = 'it\'s']`, patternValue{Account, `it's`})
	f(`[email-addr:value = 'a@B.example']`, patternValue{Email, "a@b.example"})
	f(`[domain-name:value IN ('a.example', 'b.example', 'a.example')]`, patternValue{Domain, "a.example"}, patternValue{Domain, "b.example"})
	f(`[domain-name:value = 'a.example' OR domain-name:value = 'b.example']`, patternValue{Domain, "a.example"}, patternValue{Domain, "b.example"})
	f(`[domain-name:value = 'a.example'] OR [ipv4-addr:value = '192.0.2.1']`, patternValue{Domain, "a.example"}, patternValue{IP, "192.0.2.1"})
	f(`([domain-name:value = 'a.example'] or ([ipv4-addr:value = '192.0.2.1']))`, patternValue{Domain, "a.example"}, patternValue{IP, "192.0.2.1"})
	f(`[domain-name:value = 'a.example' AND domain-name:value = 'A.example']`, patternValue{Domain, "a.example"})
	f(`[(domain-name:value = 'a.example')]`, patternValue{Domain, "a.example"})

	skip := func(pattern, reason string) {
		t.Helper()
		got, unsupported, err := parsePattern(pattern)
		if err != nil || unsupported != reason {
			t.Errorf("parsePattern(%q): got %v, unsupported %q, error %v; want unsupported %q", pattern, got, unsupported, err, reason)
		}
	}
	skip(`[file:name = 'x.exe']`, "object path file:name")
	skip(`[network-traffic:dst_ref.value = '192.0.2.1']`, "object path network-traffic:dst_ref.value")
	skip(`[file:hashes.'SHA-512' = 'ab']`, "hash algorithm SHA-512")
	skip(`[ipv4-addr:value != '192.0.2.1']`, "operator !=")
	skip(`[domain-name:value LIKE '%.evil.example']`, "operator LIKE")
	skip(`[domain-name:value NOT = 'a.example']`, "negated comparison (NOT)")
	skip(`[domain-name:value ISSUBSET 'a.example']`, "ISSUBSET on domain-name:value")
	skip(`[EXISTS windows-registry-key:values]`, "operator EXISTS")
	skip(`[ipv4-addr:value = 5]`, `ipv4-addr:value compared with "5", not a string`)
	skip(`[ipv4-addr:value = '192.0.2.1'] AND [ipv4-addr:value = '192.0.2.2']`, "observations joined by AND")
	skip(`[ipv4-addr:value = '192.0.2.1'] WITHIN 60 SECONDS`, "qualifier WITHIN")
	skip(`[ipv4-addr:value = '192.0.2.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, "qualifier START/STOP")
	skip(`[ipv4-addr:value = '192.0.2.1' OR file:name = 'a']`, "object path file:name")
	skip(`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`, "object path file:extensions.windows-pebinary-ext.sections.[*].entropy")
	skip(`[artifact:payload_bin MATCHES b'aGVsbG8=']`, "object path artifact:payload_bin")

	bad := func(pattern string, offset int, msg string) {
		t.Helper()
		_, _, err := parsePattern(pattern)
		var pe *PatternError
		if !errors.As(err, &pe) {
			t.Errorf("parsePattern(%q): got error %v, want a PatternError", pattern, err)
			return
		}
		if pe.Offset != offset || pe.Msg != msg {
			t.Errorf("parsePattern(%q): got offset %d %q, want %d %q", pattern, pe.Offset, pe.Msg, offset, msg)
		}
	}
	bad(``, 0, "expected '[' or '(' to open an observation, found end of pattern")
	bad(`ipv4-addr:value = '1.2.3.4'`, 0, `expected '[' or '(' to open an observation, found "ipv4-addr"`)
	bad(`[ipv4-addr:value = '1.2.3.4`, 19, "unterminated string")
	bad(`[ipv4-addr:value = '1\n']`, 21, `invalid escape in string: only \' and \\ are allowed`)
	bad(`[ipv4-addr:value ~ '1']`, 17, `unexpected character '~'`)
	bad(`[ipv4-addr value = '1']`, 11, `expected ':' after the object type, found "value"`)
	bad(`[ipv4-addr:value = '1.2.3.4'] extra`, 30, `unexpected "extra" after the pattern`)
	bad(`[ipv4-addr:value = '1.2.3.4'] WITHIN 5 MINUTES`, 39, `expected SECONDS, found "MINUTES"`)
	bad(`[ipv4-addr:value IN ('1.2.3.4',)]`, 31, `expected a constant, found ")"`)
	bad(`[ipv4-addr:value = '1.2.3.4.5']`, 19, `ipv4-addr:value: "1.2.3.4.5" is not an IP address`)
	deep := ""
	for range 70 {
		deep += "("
	}
	bad(deep, 65, "pattern nested over 64 levels")
}
