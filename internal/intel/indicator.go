package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Type is the kind of value an indicator names.
type Type string

// The indicator types.
const (
	IP      Type = "ip"      // one IPv4 or IPv6 address
	CIDR    Type = "cidr"    // a network, such as 203.0.113.0/24
	Domain  Type = "domain"  // a domain name; its subdomains match too
	URL     Type = "url"     // an absolute URL
	SHA256  Type = "sha256"  // a file hash, hexadecimal
	SHA1    Type = "sha1"    //
	MD5     Type = "md5"     //
	Account Type = "account" // an account login: "jdoe", `CORP\jdoe`, "jdoe@corp.example"
	Email   Type = "email"   // an e-mail address
)

// Types lists every Type, in the order above.
func Types() []Type {
	return []Type{IP, CIDR, Domain, URL, SHA256, SHA1, MD5, Account, Email}
}

// Formats an indicator can come from.
const (
	FormatSTIX = "stix"
	FormatMISP = "misp"
	FormatCSV  = "csv"
)

// DefaultConfidence is the confidence given to an indicator whose source
// does not state one: it gives findings of level medium.
const DefaultConfidence = 50

// maxValue is the longest indicator value accepted, in bytes.
const maxValue = 4096

// Indicator is one indicator of compromise. Its JSON form is how the Store
// keeps it.
type Indicator struct {
	// ID is stable across imports of the same feed: the STIX indicator id,
	// the MISP attribute uuid, else derived from Type and Value
	// ("ip:198.51.100.7"). A STIX pattern or MISP attribute naming several
	// values gives one indicator per value, whose IDs add a suffix.
	ID    string `json:"id"`
	Type  Type   `json:"type"`
	Value string `json:"value"` // normalised: see Normalise
	// Name and Description are the feed's words: the STIX indicator name,
	// the MISP event info and attribute comment.
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// ValidFrom and ValidUntil bound when the indicator applies:
	// ValidFrom <= t < ValidUntil. A zero time leaves that side open.
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Confidence is 0 to 100; DefaultConfidence when the feed says
	// nothing.
	Confidence int      `json:"confidence"`
	Source     string   `json:"source"` // the feed or file name
	Format     string   `json:"format"` // FormatSTIX, FormatMISP or FormatCSV
	Labels     []string `json:"labels,omitempty"`
	// Added is when the indicator was first stored; zero until then.
	Added time.Time `json:"added,omitzero"`
}

// Active reports whether the indicator applies at time at.
func (ind *Indicator) Active(at time.Time) bool {
	if !ind.ValidFrom.IsZero() && at.Before(ind.ValidFrom) {
		return false
	}
	return ind.ValidUntil.IsZero() || at.Before(ind.ValidUntil)
}

// Validate checks that the indicator can be stored and matched: a known
// type, a value already in normal form, an ID, a confidence within 0–100
// and a validity window that is not reversed.
func (ind *Indicator) Validate() error {
	if ind.ID == "" {
		return errors.New("indicator has no id")
	}
	if len(ind.ID) > 512 {
		return fmt.Errorf("indicator id is %d bytes long, over 512", len(ind.ID))
	}
	norm, err := Normalise(ind.Type, ind.Value)
	if err != nil {
		return fmt.Errorf("indicator %s: %w", ind.ID, err)
	}
	if norm != ind.Value {
		return fmt.Errorf("indicator %s: value %q is not in normal form (%q)", ind.ID, ind.Value, norm)
	}
	if ind.Confidence < 0 || ind.Confidence > 100 {
		return fmt.Errorf("indicator %s: confidence %d is outside 0-100", ind.ID, ind.Confidence)
	}
	if !ind.ValidFrom.IsZero() && !ind.ValidUntil.IsZero() && !ind.ValidUntil.After(ind.ValidFrom) {
		return fmt.Errorf("indicator %s: valid_until %s is not after valid_from %s", ind.ID,
			ind.ValidUntil.Format(time.RFC3339), ind.ValidFrom.Format(time.RFC3339))
	}
	return nil
}

// derivedID is the ID of an indicator whose source gives it none.
func derivedID(t Type, value string) string { return string(t) + ":" + value }

// Normalise returns value in the normal form of its type, the form the
// Matcher compares: an address or network in canonical text (IPv4-mapped
// addresses unmapped, host bits of a network cleared), a domain in lower
// case without its final dot, a URL with its scheme and host in lower case
// and "/" as an empty path, a hash in lower-case hexadecimal, an account or
// e-mail address in lower case (ASCII letters only; other letters are
// compared as written).
func Normalise(t Type, value string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", errors.New("empty value")
	}
	if len(value) > maxValue {
		return "", fmt.Errorf("value is %d bytes long, over %d", len(value), maxValue)
	}
	for i := 0; i < len(value); i++ {
		if value[i] < 0x20 || value[i] == 0x7f {
			return "", fmt.Errorf("value %q holds a control character", value)
		}
	}
	switch t {
	case IP:
		a, err := netip.ParseAddr(value)
		if err != nil || a.Zone() != "" {
			return "", fmt.Errorf("%q is not an IP address", value)
		}
		return a.Unmap().String(), nil
	case CIDR:
		p, err := netip.ParsePrefix(value)
		if err != nil {
			return "", fmt.Errorf("%q is not a network in CIDR notation", value)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked().String(), nil
	case Domain:
		d := lowerASCII(strings.TrimSuffix(value, "."))
		if !validDomain(d) {
			return "", fmt.Errorf("%q is not a domain name", value)
		}
		return d, nil
	case URL:
		u, err := url.Parse(value)
		if err != nil {
			return "", fmt.Errorf("%q is not a URL: %w", value, err)
		}
		if u.Scheme == "" || u.Host == "" {
			return "", fmt.Errorf("%q is not an absolute URL with a host", value)
		}
		return string(normURL(nil, value)), nil
	case SHA256, SHA1, MD5:
		want := hashLen(t)
		if len(value) != want || !isHex(value) {
			return "", fmt.Errorf("%q is not a %s hash (%d hexadecimal digits)", value, t, want)
		}
		return lowerASCII(value), nil
	case Account:
		if strings.ContainsAny(value, " \t") && !strings.Contains(value, `\`) {
			return "", fmt.Errorf("%q is not an account login", value)
		}
		return lowerASCII(value), nil
	case Email:
		local, domain, ok := strings.Cut(value, "@")
		if !ok || local == "" || strings.ContainsAny(value, " \t<>") || !validDomain(lowerASCII(domain)) {
			return "", fmt.Errorf("%q is not an e-mail address", value)
		}
		return lowerASCII(value), nil
	}
	return "", fmt.Errorf("unknown indicator type %q", t)
}

// validDomain reports whether d, in lower case, is a host name: labels of
// letters, digits, hyphens and underscores (non-ASCII letters are
// allowed), 1 to 63 bytes each, 253 in all, not an IP address.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	if _, err := netip.ParseAddr(d); err == nil {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c >= 0x80:
			default:
				return false
			}
		}
	}
	return true
}

// hashLen is the number of hexadecimal digits of a hash type.
func hashLen(t Type) int {
	switch t {
	case SHA256:
		return 64
	case SHA1:
		return 40
	case MD5:
		return 32
	}
	return 0
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases the ASCII letters of s, allocating only when it
// has upper-case ones.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return string(appendLower(nil, s))
		}
	}
	return s
}

// appendLower appends s to dst with its ASCII letters in lower case.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// normURL appends u to dst in the form URLs are compared in: the scheme
// and authority in lower case, "/" for an empty path, the rest unchanged.
// It does not allocate beyond dst's growth.
func normURL(dst []byte, u string) []byte {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return append(dst, u...)
	}
	dst = appendLower(dst, scheme)
	dst = append(dst, "://"...)
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	dst = appendLower(dst, rest[:end])
	if end == len(rest) || rest[end] != '/' {
		dst = append(dst, '/')
	}
	return append(dst, rest[end:]...)
}
