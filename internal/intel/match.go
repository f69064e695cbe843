package intel

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// fieldKind says what an event field holds, for matching.
type fieldKind uint8

const (
	kindIP       fieldKind = iota + 1
	kindDomain             // a host name: its parent domains match too
	kindURL                // a URL, or a request target with the host elsewhere
	kindHash               // one hash in hexadecimal
	kindHashList           // Sysmon's "SHA256=…,MD5=…,IMPHASH=…"
	kindAccount            // an account login; e-mail indicators match too
	kindEmail
)

// fieldRule is how a field is matched. ecs marks ECS names, preferred
// over the original names when both hold the same value.
type fieldRule struct {
	kind fieldKind
	ecs  bool
}

// matchFields lists the event fields the Matcher looks at: the ECS fields
// Vigie's decoders fill and the original names that hold the same kind of
// value (Zeek, Windows and Sysmon, CloudTrail, Entra ID, Microsoft 365).
// It is read only.
var matchFields = map[string]fieldRule{
	// Addresses.
	"source.ip": {kindIP, true}, "destination.ip": {kindIP, true}, "client.ip": {kindIP, true},
	"server.ip": {kindIP, true}, "related.ip": {kindIP, true}, "host.ip": {kindIP, true},
	"source.nat.ip": {kindIP, true}, "destination.nat.ip": {kindIP, true},
	"id.orig_h": {kindIP, false}, "id.resp_h": {kindIP, false}, "IpAddress": {kindIP, false},
	"SourceIp": {kindIP, false}, "DestinationIp": {kindIP, false}, "SourceAddress": {kindIP, false},
	"DestAddress": {kindIP, false}, "ClientIP": {kindIP, false}, "ClientIPAddress": {kindIP, false},
	"ActorIpAddress": {kindIP, false}, "sourceIPAddress": {kindIP, false}, "ipAddress": {kindIP, false},
	"callerIpAddress": {kindIP, false}, "src_ip": {kindIP, false}, "dst_ip": {kindIP, false},
	// Domain names.
	"dns.question.name": {kindDomain, true}, "destination.domain": {kindDomain, true},
	"source.domain": {kindDomain, true}, "url.domain": {kindDomain, true}, "server.domain": {kindDomain, true},
	"client.domain": {kindDomain, true}, "tls.client.server_name": {kindDomain, true},
	"related.hosts": {kindDomain, true},
	"query":         {kindDomain, false}, "host": {kindDomain, false}, "server_name": {kindDomain, false},
	"QueryName": {kindDomain, false}, "DestinationHostname": {kindDomain, false},
	// URLs.
	"url.original": {kindURL, true}, "url.full": {kindURL, true},
	// Hashes.
	"file.hash.md5": {kindHash, true}, "file.hash.sha1": {kindHash, true}, "file.hash.sha256": {kindHash, true},
	"process.hash.md5": {kindHash, true}, "process.hash.sha1": {kindHash, true},
	"process.hash.sha256": {kindHash, true}, "related.hash": {kindHash, true},
	"md5": {kindHash, false}, "sha1": {kindHash, false}, "sha256": {kindHash, false},
	"Hashes": {kindHashList, false}, "Hash": {kindHashList, false},
	// Accounts.
	"user.name": {kindAccount, true}, "user.target.name": {kindAccount, true},
	"source.user.name": {kindAccount, true}, "destination.user.name": {kindAccount, true},
	"user.effective.name": {kindAccount, true}, "related.user": {kindAccount, true},
	"TargetUserName": {kindAccount, false}, "SubjectUserName": {kindAccount, false},
	"userPrincipalName": {kindAccount, false}, "UserId": {kindAccount, false}, "username": {kindAccount, false},
	// E-mail addresses.
	"user.email": {kindEmail, true}, "email.from.address": {kindEmail, true},
	"email.to.address": {kindEmail, true}, "email.sender.address": {kindEmail, true},
	"email.reply_to.address": {kindEmail, true}, "email.cc.address": {kindEmail, true},
	"email.bcc.address": {kindEmail, true},
	"SenderAddress":     {kindEmail, false}, "RecipientAddress": {kindEmail, false},
}

// fieldNames are the keys of matchFields, sorted, and fieldRules their
// rules, for Match to walk beside an event's sorted fields. Both are read
// only.
var fieldNames, fieldRules = sortedFields()

func sortedFields() ([]string, []fieldRule) {
	names := make([]string, 0, len(matchFields))
	for name := range matchFields {
		names = append(names, name)
	}
	slices.Sort(names)
	rules := make([]fieldRule, len(names))
	for i, name := range names {
		rules[i] = matchFields[name]
	}
	return names, rules
}

// MatchFields returns the names of the event fields a Matcher looks at,
// sorted.
func MatchFields() []string { return slices.Clone(fieldNames) }

// Hit is one indicator found in one field of an event.
type Hit struct {
	Indicator *Indicator
	Field     string // the event field
	Value     string // its value; for a request target, the URL made of it and the host
}

// Addresses are keyed by integers rather than netip.Addr: maps with
// 4-byte keys hash several times faster than with netip's 24-byte struct,
// which halved the cost of BenchmarkMatch.

// prefixTable4 holds the IPv4 networks of one prefix length, keyed by
// their address.
type prefixTable4 struct {
	bits int
	mask uint32
	nets map[uint32][]int32
}

// prefixTable6 holds the IPv6 networks of one prefix length.
type prefixTable6 struct {
	bits int
	nets map[[16]byte][]int32
}

// Matcher finds indicators in events. It is built once by Compile and is
// then read only: Match may be called from any number of goroutines.
type Matcher struct {
	indicators []Indicator
	ips4       map[uint32][]int32
	ips6       map[[16]byte][]int32
	nets4      []prefixTable4 // by decreasing prefix length
	nets6      []prefixTable6
	domains    map[string][]int32
	urls       map[string][]int32
	hashes     map[string][]int32 // md5, sha1 and sha256 together: their lengths differ
	accounts   map[string][]int32
	emails     map[string][]int32
}

// Compile builds a Matcher of the given indicators, which it copies. An
// indicator whose value is not valid for its type is left out (Len does
// not count it); Indicator.Validate tells why. Values are normalised, so
// hand-written indicators need not be.
func Compile(indicators []Indicator) *Matcher {
	m := &Matcher{
		ips4:     map[uint32][]int32{},
		ips6:     map[[16]byte][]int32{},
		domains:  map[string][]int32{},
		urls:     map[string][]int32{},
		hashes:   map[string][]int32{},
		accounts: map[string][]int32{},
		emails:   map[string][]int32{},
	}
	nets4 := map[int]map[uint32][]int32{} // by prefix length
	nets6 := map[int]map[[16]byte][]int32{}
	for _, ind := range indicators {
		v, err := Normalise(ind.Type, ind.Value)
		if err != nil {
			continue
		}
		ind.Value = v
		ind.Labels = slices.Clone(ind.Labels)
		i := int32(len(m.indicators))
		m.indicators = append(m.indicators, ind)
		switch ind.Type {
		case IP:
			a := netip.MustParseAddr(v)
			if a.Is4() {
				k := addr4(a)
				m.ips4[k] = append(m.ips4[k], i)
			} else {
				k := a.As16()
				m.ips6[k] = append(m.ips6[k], i)
			}
		case CIDR:
			p := netip.MustParsePrefix(v)
			if a := p.Addr(); a.Is4() {
				if nets4[p.Bits()] == nil {
					nets4[p.Bits()] = map[uint32][]int32{}
				}
				nets4[p.Bits()][addr4(a)] = append(nets4[p.Bits()][addr4(a)], i)
			} else {
				if nets6[p.Bits()] == nil {
					nets6[p.Bits()] = map[[16]byte][]int32{}
				}
				nets6[p.Bits()][a.As16()] = append(nets6[p.Bits()][a.As16()], i)
			}
		case Domain:
			m.domains[v] = append(m.domains[v], i)
		case URL:
			m.urls[v] = append(m.urls[v], i)
		case SHA256, SHA1, MD5:
			m.hashes[v] = append(m.hashes[v], i)
		case Account:
			m.accounts[v] = append(m.accounts[v], i)
		case Email:
			m.emails[v] = append(m.emails[v], i)
		}
	}
	for bits, table := range nets4 {
		m.nets4 = append(m.nets4, prefixTable4{bits: bits, mask: ^uint32(0) << (32 - bits), nets: table})
	}
	for bits, table := range nets6 {
		m.nets6 = append(m.nets6, prefixTable6{bits: bits, nets: table})
	}
	slices.SortFunc(m.nets4, func(a, b prefixTable4) int { return b.bits - a.bits })
	slices.SortFunc(m.nets6, func(a, b prefixTable6) int { return b.bits - a.bits })
	return m
}

// addr4 returns an IPv4 address as an integer.
func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Len returns the number of indicators compiled.
func (m *Matcher) Len() int { return len(m.indicators) }

// Indicators returns the compiled indicators. The caller must not modify
// them.
func (m *Matcher) Indicators() []Indicator { return m.indicators }

// maxScratch is the size of Match's stack buffer for lower-casing values;
// longer values (long URLs) are copied to the heap.
const maxScratch = 512

// Match appends to dst the indicators found in ev that are active at
// ev.Time, and returns the extended slice. ev.Fields must be sorted, as
// the event package requires. An indicator is reported once
// per event even when several fields hold its value: the first such field,
// an ECS field rather than an original one.
//
// Addresses are matched exactly or within a network; a domain matches
// itself and its subdomains (evil.example matches a.b.evil.example, not
// notevil.example); URLs are compared with their scheme and host in lower
// case, and a request target ("/path", as web and Zeek http logs have it)
// is made into "http://" + url.domain + target; hashes and e-mail
// addresses are compared in lower case, Sysmon's Hashes lists split into
// their MD5, SHA1 and SHA256 parts; accounts are compared in lower case
// (ASCII), and an unqualified indicator ("jdoe") also matches the
// qualified forms `CORP\jdoe` and "jdoe@corp.example", while a qualified
// one matches only its own form, or user.name "jdoe" with user.domain
// "CORP". An e-mail indicator also matches an account field holding that
// address (an Entra ID or Microsoft 365 user principal name).
//
// When nothing matches, Match does not allocate (BenchmarkMatch).
func (m *Matcher) Match(ev *event.Event, dst []Hit) []Hit {
	if ev == nil || len(m.indicators) == 0 {
		return dst
	}
	start := len(dst)
	var scratch [maxScratch]byte
	// ev.Fields and fieldNames are both sorted: walk them together, which
	// costs less than a map lookup per field (BenchmarkMatch).
	next := 0
	for fi := range ev.Fields {
		f := &ev.Fields[fi]
		for next < len(fieldNames) && fieldNames[next] < f.Name {
			next++
		}
		if next == len(fieldNames) {
			break
		}
		if fieldNames[next] != f.Name || f.Value == "" {
			continue
		}
		rule := fieldRules[next]
		add := func(ids []int32, value string) {
			dst = m.add(dst, start, ids, ev, f.Name, value, rule.ecs)
		}
		switch rule.kind {
		case kindIP:
			m.matchIP(f.Value, add)
		case kindDomain:
			if len(m.domains) > 0 {
				m.matchDomain(scratch[:0], f.Value, add)
			}
		case kindURL:
			if len(m.urls) > 0 {
				m.matchURL(scratch[:0], ev, f.Value, add)
			}
		case kindHash:
			if len(m.hashes) > 0 {
				m.matchHash(scratch[:0], f.Value, add)
			}
		case kindHashList:
			if len(m.hashes) > 0 {
				for part := range strings.SplitSeq(f.Value, ",") {
					alg, h, ok := strings.Cut(part, "=")
					switch {
					case !ok:
						m.matchHash(scratch[:0], strings.TrimSpace(part), add)
					case strings.EqualFold(alg, "MD5"), strings.EqualFold(alg, "SHA1"), strings.EqualFold(alg, "SHA256"):
						m.matchHash(scratch[:0], strings.TrimSpace(h), add)
					}
				}
			}
		case kindAccount:
			if len(m.accounts) > 0 || len(m.emails) > 0 {
				m.matchAccount(scratch[:0], ev, f.Name, f.Value, add)
			}
		case kindEmail:
			if len(m.emails) > 0 {
				b := appendLower(scratch[:0], strings.TrimSpace(f.Value))
				if ids, ok := m.emails[string(b)]; ok {
					add(ids, f.Value)
				}
			}
		}
	}
	return dst
}

// add appends a hit for each of ids active at the event's time, unless
// the indicator was already found in this event (dst[start:]); a hit in an
// ECS field replaces one in an original field.
func (m *Matcher) add(dst []Hit, start int, ids []int32, ev *event.Event, field, value string, ecs bool) []Hit {
next:
	for _, id := range ids {
		ind := &m.indicators[id]
		if !ind.Active(ev.Time) {
			continue
		}
		for i := start; i < len(dst); i++ {
			if dst[i].Indicator == ind {
				if ecs && !isECS(dst[i].Field) {
					dst[i].Field, dst[i].Value = field, value
				}
				continue next
			}
		}
		dst = append(dst, Hit{Indicator: ind, Field: field, Value: value})
	}
	return dst
}

func isECS(field string) bool { return matchFields[field].ecs }

func (m *Matcher) matchIP(v string, add func([]int32, string)) {
	s := v
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i] // an IPv6 zone
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return
	}
	a = a.Unmap()
	if a.Is4() {
		k := addr4(a)
		if ids, ok := m.ips4[k]; ok {
			add(ids, v)
		}
		for _, t := range m.nets4 {
			if ids, ok := t.nets[k&t.mask]; ok {
				add(ids, v)
			}
		}
		return
	}
	if ids, ok := m.ips6[a.As16()]; ok {
		add(ids, v)
	}
	for _, t := range m.nets6 {
		p, err := a.Prefix(t.bits)
		if err != nil {
			continue
		}
		if ids, ok := t.nets[p.Addr().As16()]; ok {
			add(ids, v)
		}
	}
}

// matchDomain looks up v and each of its parent domains.
func (m *Matcher) matchDomain(buf []byte, v string, add func([]int32, string)) {
	b := appendLower(buf, strings.TrimSuffix(v, "."))
	for i := 0; i < len(b); {
		if ids, ok := m.domains[string(b[i:])]; ok {
			add(ids, v)
		}
		dot := bytes.IndexByte(b[i:], '.')
		if dot < 0 {
			break
		}
		i += dot + 1
	}
}

func (m *Matcher) matchURL(buf []byte, ev *event.Event, v string, add func([]int32, string)) {
	var b []byte
	switch {
	case strings.HasPrefix(v, "/"):
		host, ok := ev.Get(event.URLDomain)
		if !ok || host == "" {
			return
		}
		b = append(buf, "http://"...)
		b = appendLower(b, host)
		b = append(b, v...)
	case strings.Contains(v, "://"):
		b = normURL(buf, v)
	default:
		return
	}
	if ids, ok := m.urls[string(b)]; ok {
		value := v
		if v[0] == '/' {
			value = string(b)
		}
		add(ids, value)
	}
}

func (m *Matcher) matchHash(buf []byte, v string, add func([]int32, string)) {
	if n := len(v); n != 32 && n != 40 && n != 64 {
		return
	}
	b := appendLower(buf, v)
	if ids, ok := m.hashes[string(b)]; ok {
		add(ids, v)
	}
}

// matchAccount looks up an account value in full, unqualified, and
// qualified with the event's user.domain.
func (m *Matcher) matchAccount(buf []byte, ev *event.Event, field, v string, add func([]int32, string)) {
	b := appendLower(buf, strings.TrimSpace(v))
	if ids, ok := m.accounts[string(b)]; ok {
		add(ids, v)
	}
	if i := bytes.LastIndexByte(b, '\\'); i >= 0 {
		if ids, ok := m.accounts[string(b[i+1:])]; ok {
			add(ids, v)
		}
		return
	}
	if i := bytes.IndexByte(b, '@'); i >= 0 {
		if ids, ok := m.accounts[string(b[:i])]; ok {
			add(ids, v)
		}
		if ids, ok := m.emails[string(b)]; ok {
			add(ids, v)
		}
		return
	}
	if field != event.UserName || len(m.accounts) == 0 {
		return
	}
	domain, ok := ev.Get(event.UserDomain)
	if !ok || domain == "" {
		return
	}
	n := len(b)
	b = appendLower(b, domain)
	b = append(b, '\\')
	b = append(b, b[:n]...)
	if ids, ok := m.accounts[string(b[n:])]; ok {
		add(ids, v)
	}
}
