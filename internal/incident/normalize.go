package incident

import (
	"net/netip"
	"strings"
)

// Entity classes: values of fields of the same class are compared with
// each other.
const (
	classUser   = "user"
	classHost   = "host"
	classIP     = "ip"
	classDomain = "domain"
	classFile   = "file"
)

// classOf returns the class of an entity field: source.ip and
// destination.ip are both addresses; an unknown field is its own class.
func classOf(field string) string {
	switch field {
	case "user.name", "user.target.name", "destination.user.name", "source.user.name":
		return classUser
	case "host.name", "host.hostname", "source.domain":
		return classHost
	case "source.ip", "destination.ip", "host.ip", "client.ip", "server.ip":
		return classIP
	case "destination.domain", "url.domain", "dns.question.name":
		return classDomain
	case "file.path":
		return classFile
	}
	return "field:" + field
}

// Normalize returns the form of an entity value that grouping compares:
//
//   - users: lower case, without a DOMAIN\ prefix or an @domain suffix,
//     so CORP\Alice, alice@corp.example and alice are one user (users of
//     different domains who share a name are taken as one);
//   - hosts: lower case, the first label of a fully qualified name
//     (ws-07.corp.example is ws-07), an address in canonical form;
//   - addresses: canonical (an IPv4-mapped IPv6 address is IPv4);
//   - domains: lower case, without the final dot;
//   - Windows paths (with a backslash or a drive letter): lower case.
//
// Other fields are trimmed of surrounding white space only.
func Normalize(field, value string) string {
	v := strings.TrimSpace(strings.ToValidUTF8(value, "\uFFFD"))
	switch classOf(field) {
	case classUser:
		v = strings.ToLower(v)
		if i := strings.LastIndexByte(v, '\\'); i >= 0 && i < len(v)-1 {
			v = v[i+1:]
		}
		if i := strings.IndexByte(v, '@'); i > 0 {
			v = v[:i]
		}
		v = strings.TrimSpace(v)
	case classHost:
		v = strings.TrimSuffix(strings.ToLower(v), ".")
		if a, ok := canonicalIP(v); ok {
			return a
		}
		if i := strings.IndexByte(v, '.'); i > 0 {
			v = strings.TrimSpace(v[:i])
			if a, ok := canonicalIP(v); ok {
				return a
			}
		}
	case classIP:
		if a, ok := canonicalIP(v); ok {
			return a
		}
		v = strings.ToLower(v)
	case classDomain:
		v = strings.TrimSuffix(strings.ToLower(v), ".")
	case classFile:
		if strings.ContainsRune(v, '\\') || (len(v) > 1 && v[1] == ':') {
			v = strings.ToLower(v)
		}
	}
	return v
}

func canonicalIP(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return a.Unmap().WithZone("").String(), true
}

// entityKey is what grouping compares: the class and the normalised value.
func entityKey(field, normalised string) string {
	return classOf(field) + "\x00" + normalised
}
