package zeek

import (
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// ECS names that package event does not define.
const (
	sourcePackets      = "source.packets"
	destinationPackets = "destination.packets"
	eventDuration      = "event.duration"
	tlsVersion         = "tls.version"
	tlsVersionProtocol = "tls.version_protocol"
)

// derivation says how an ECS value is made from a Zeek value.
type derivation uint8

const (
	same         derivation = iota
	protocolList            // conn's service "http,ssl": one network.protocol each, ECS names
	nanoseconds             // seconds → nanoseconds (event.duration)
	tlsNumber               // "TLSv12" → "1.2"
	tlsName                 // "TLSv12" → "tls"
	outcome                 // ssh's auth_success: true → "success"
)

// alias says that a Zeek field also fills an ECS field.
type alias struct {
	from, to string
	how      derivation
}

// idAliases are the ECS fields of the connection id that most logs carry.
var idAliases = []alias{
	{"id.orig_h", event.SourceIP, same},
	{"id.orig_p", event.SourcePort, same},
	{"id.resp_h", event.DestinationIP, same},
	{"id.resp_p", event.DestinationPort, same},
}

// aliases lists, per log path, the Zeek fields that also fill an ECS
// field. The mapping follows Elastic's Zeek integration where ECS has a
// field.
var aliases = map[string][]alias{
	"conn": {
		{"proto", event.NetworkTransport, same},
		{"service", event.NetworkProtocol, protocolList},
		{"orig_bytes", event.SourceBytes, same},
		{"resp_bytes", event.DestinationBytes, same},
		{"orig_pkts", sourcePackets, same},
		{"resp_pkts", destinationPackets, same},
		{"duration", eventDuration, nanoseconds},
	},
	"dns": {
		{"proto", event.NetworkTransport, same},
		{"query", event.DNSQuestionName, same},
		{"qtype_name", "dns.question.type", same},
		{"qclass_name", "dns.question.class", same},
		{"rcode_name", "dns.response_code", same},
		{"trans_id", "dns.id", same},
		{"answers", "dns.answers.data", same},
	},
	"http": {
		{"host", event.URLDomain, same},
		{"uri", event.URLOriginal, same},
		{"method", event.HTTPMethod, same},
		{"status_code", event.HTTPStatus, same},
		{"user_agent", event.UserAgent, same},
		{"referrer", "http.request.referrer", same},
		{"version", "http.version", same},
		{"request_body_len", "http.request.body.bytes", same},
		{"response_body_len", "http.response.body.bytes", same},
		{"username", event.UserName, same},
	},
	"ssl": {
		{"server_name", "tls.client.server_name", same},
		{"version", tlsVersion, tlsNumber},
		{"version", tlsVersionProtocol, tlsName},
		{"cipher", "tls.cipher", same},
		{"curve", "tls.curve", same},
		{"established", "tls.established", same},
		{"resumed", "tls.resumed", same},
		{"ja3", "tls.client.ja3", same},
		{"ja3s", "tls.server.ja3s", same},
		{"subject", "tls.server.subject", same},
		{"issuer", "tls.server.issuer", same},
	},
	"ssh": {
		{"auth_success", event.EventOutcome, outcome},
	},
	"files": {
		{"mime_type", "file.mime_type", same},
		{"filename", "file.name", same},
		{"md5", "file.hash.md5", same},
		{"sha1", "file.hash.sha1", same},
		{"sha256", "file.hash.sha256", same},
		{"total_bytes", "file.size", same},
	},
	"notice": {
		{"msg", event.Message, same},
		{"note", "rule.name", same},
	},
}

// protocols is network.protocol for the logs of one application protocol,
// and the ECS name of Zeek's service names where it differs.
var protocols = map[string]string{
	"dns":  "dns",
	"http": "http",
	"ssl":  "tls",
	"ssh":  "ssh",
}

// aliasesOf returns the aliases that apply to the fields of a log.
func aliasesOf(path string) []alias {
	return append(slices.Clip(idAliases), aliases[path]...)
}

// constants returns the ECS fields that every record of a log has.
func constants(path string) []event.Field {
	fields := []event.Field{{Name: event.EventModule, Value: "zeek"}}
	if path != "" {
		fields = append(fields, event.Field{Name: event.EventDataset, Value: "zeek." + path})
	}
	if p, ok := protocols[path]; ok {
		fields = append(fields, event.Field{Name: event.NetworkProtocol, Value: p})
	}
	return fields
}

// derive calls add for each ECS value made from a Zeek value of type t.
func derive(how derivation, value string, t event.Type, add func(value string, t event.Type)) {
	switch how {
	case same:
		add(value, t)
	case protocolList:
		for p := range strings.SplitSeq(value, ",") {
			if ecs, ok := protocols[p]; ok {
				p = ecs
			}
			add(strings.ToLower(p), event.String)
		}
	case nanoseconds:
		if ns, ok := secondsToNanos(value); ok {
			add(ns, event.Number)
		}
	case tlsNumber, tlsName:
		if protocol, version, ok := splitTLSVersion(value); ok && how == tlsName {
			add(protocol, event.String)
		} else if ok {
			add(version, event.String)
		}
	case outcome:
		if value == "true" {
			add(event.OutcomeSuccess, event.String)
		} else {
			add(event.OutcomeFailure, event.String)
		}
	}
}

// networkBytes is ECS network.bytes: both directions' payload bytes.
func networkBytes(orig, resp string) (string, bool) {
	o, err1 := strconv.ParseUint(orig, 10, 64)
	r, err2 := strconv.ParseUint(resp, 10, 64)
	if err1 != nil || err2 != nil {
		return "", false
	}
	return strconv.FormatUint(o+r, 10), true
}

// addECS adds to e, whose fields are the Zeek fields of a record of the
// log path, the ECS fields derived from them. Compiled TSV headers do the
// same through their plan (see plan.go).
func addECS(e *event.Event, path string) {
	e.Fields = append(e.Fields, constants(path)...)
	var orig, resp []string
	n := len(e.Fields)
	for _, a := range aliasesOf(path) {
		for i := range n {
			f := e.Fields[i]
			if f.Name != a.from {
				continue
			}
			derive(a.how, f.Value, f.Type, func(v string, t event.Type) { e.AddTyped(a.to, v, t) })
			switch {
			case path != "conn":
			case a.from == "orig_bytes":
				orig = append(orig, f.Value)
			case a.from == "resp_bytes":
				resp = append(resp, f.Value)
			}
		}
	}
	if len(orig) == 1 && len(resp) == 1 {
		if total, ok := networkBytes(orig[0], resp[0]); ok {
			e.AddTyped(event.NetworkBytes, total, event.Number)
		}
	}
}

// secondsToNanos converts decimal seconds ("0.084044") to nanoseconds.
func secondsToNanos(seconds string) (string, bool) {
	whole, frac, _ := strings.Cut(seconds, ".")
	if whole == "" || len(whole) > 9 || !digits(whole) || !digits(frac) {
		return "", false
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	ns, err := strconv.ParseInt(whole+frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatInt(ns, 10), true
}

// splitTLSVersion turns Zeek's "TLSv12" into ECS's "tls" and "1.2".
func splitTLSVersion(v string) (protocol, version string, ok bool) {
	name, number, ok := strings.Cut(v, "v")
	if !ok || number == "" || !digits(number) {
		return "", "", false
	}
	switch name {
	case "TLS", "SSL", "DTLS":
	default:
		return "", "", false
	}
	if len(number) == 1 { // SSLv3
		return strings.ToLower(name), number + ".0", true
	}
	return strings.ToLower(name), number[:1] + "." + number[1:], true
}

// guessPath recognises a log without a #path header or "_path" field by
// the names of its fields.
func guessPath(names iter.Seq[string]) string {
	has := map[string]bool{}
	for n := range names {
		switch n {
		case "conn_state", "qtype_name", "rcode", "method", "uri", "cipher",
			"server_name", "auth_attempts", "auth_success", "fuid", "mime_type",
			"certificate.subject", "note", "addl":
			has[n] = true
		}
	}
	switch {
	case has["conn_state"]:
		return "conn"
	case has["qtype_name"] || has["rcode"]:
		return "dns"
	case has["method"] && has["uri"]:
		return "http"
	case has["cipher"] || has["server_name"]:
		return "ssl"
	case has["auth_attempts"] || has["auth_success"]:
		return "ssh"
	case has["certificate.subject"]:
		return "x509"
	case has["fuid"] && has["mime_type"]:
		return "files"
	case has["note"]:
		return "notice"
	case has["addl"]:
		return "weird"
	}
	return ""
}
