package zeek

import (
	"iter"
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

// idAliases are the ECS fields of the connection id that most logs carry.
var idAliases = map[string]string{
	"id.orig_h": event.SourceIP,
	"id.orig_p": event.SourcePort,
	"id.resp_h": event.DestinationIP,
	"id.resp_p": event.DestinationPort,
}

// aliases maps, per log path, Zeek field names to the ECS field they also
// fill, with the same value unless ecsValues says otherwise. The mapping
// follows Elastic's Zeek integration where ECS has a field.
var aliases = map[string]map[string]string{
	"conn": {
		"proto":      event.NetworkTransport,
		"service":    event.NetworkProtocol,
		"orig_bytes": event.SourceBytes,
		"resp_bytes": event.DestinationBytes,
		"orig_pkts":  sourcePackets,
		"resp_pkts":  destinationPackets,
		"duration":   eventDuration,
	},
	"dns": {
		"proto":       event.NetworkTransport,
		"query":       event.DNSQuestionName,
		"qtype_name":  "dns.question.type",
		"qclass_name": "dns.question.class",
		"rcode_name":  "dns.response_code",
		"trans_id":    "dns.id",
		"answers":     "dns.answers.data",
	},
	"http": {
		"host":              event.URLDomain,
		"uri":               event.URLOriginal,
		"method":            event.HTTPMethod,
		"status_code":       event.HTTPStatus,
		"user_agent":        event.UserAgent,
		"referrer":          "http.request.referrer",
		"version":           "http.version",
		"request_body_len":  "http.request.body.bytes",
		"response_body_len": "http.response.body.bytes",
		"username":          event.UserName,
	},
	"ssl": {
		"server_name": "tls.client.server_name",
		"version":     tlsVersion,
		"cipher":      "tls.cipher",
		"curve":       "tls.curve",
		"established": "tls.established",
		"resumed":     "tls.resumed",
		"ja3":         "tls.client.ja3",
		"ja3s":        "tls.server.ja3s",
		"subject":     "tls.server.subject",
		"issuer":      "tls.server.issuer",
	},
	"ssh": {
		"auth_success": "event.outcome",
	},
	"files": {
		"mime_type":   "file.mime_type",
		"filename":    "file.name",
		"md5":         "file.hash.md5",
		"sha1":        "file.hash.sha1",
		"sha256":      "file.hash.sha256",
		"total_bytes": "file.size",
	},
	"notice": {
		"msg":  event.Message,
		"note": "rule.name",
	},
}

// protocols is network.protocol for logs of one application protocol, and
// the ECS name of Zeek's service names where it differs.
var protocols = map[string]string{
	"dns":  "dns",
	"http": "http",
	"ssl":  "tls",
	"ssh":  "ssh",
}

// addECS adds the ECS fields derived from the Zeek fields of e, a record
// of the log path (empty when unknown).
func addECS(e *event.Event, path string) {
	e.Add(event.EventModule, "zeek")
	if path != "" {
		e.Add(event.EventDataset, "zeek."+path)
	}
	if p, ok := protocols[path]; ok {
		e.Add(event.NetworkProtocol, p)
	}
	byName := aliases[path]
	var origBytes, respBytes string
	for i, n := 0, len(e.Fields); i < n; i++ {
		f := e.Fields[i]
		target, ok := idAliases[f.Name]
		if !ok {
			if target, ok = byName[f.Name]; !ok {
				continue
			}
		}
		switch target {
		case event.NetworkProtocol: // conn's service: "http,ssl"
			for p := range strings.SplitSeq(f.Value, ",") {
				if ecs, ok := protocols[p]; ok {
					p = ecs
				}
				e.Add(target, strings.ToLower(p))
			}
		case eventDuration: // seconds; ECS counts nanoseconds
			if ns, ok := nanoseconds(f.Value); ok {
				e.AddTyped(target, ns, event.Number)
			}
		case tlsVersion: // "TLSv12"
			if protocol, version, ok := splitTLSVersion(f.Value); ok {
				e.Add(tlsVersionProtocol, protocol)
				e.Add(target, version)
			}
		case "event.outcome": // ssh's auth_success
			outcome := event.OutcomeFailure
			if f.Value == "true" {
				outcome = event.OutcomeSuccess
			}
			e.Add(target, outcome)
		default:
			e.AddTyped(target, f.Value, f.Type)
		}
		switch {
		case path != "conn":
		case f.Name == "orig_bytes":
			origBytes = f.Value
		case f.Name == "resp_bytes":
			respBytes = f.Value
		}
	}
	if origBytes != "" && respBytes != "" {
		o, err1 := strconv.ParseUint(origBytes, 10, 64)
		r, err2 := strconv.ParseUint(respBytes, 10, 64)
		if err1 == nil && err2 == nil {
			e.AddTyped(event.NetworkBytes, strconv.FormatUint(o+r, 10), event.Number)
		}
	}
}

// nanoseconds converts decimal seconds ("0.084044") to nanoseconds.
func nanoseconds(seconds string) (string, bool) {
	whole, frac, _ := strings.Cut(seconds, ".")
	if whole == "" || len(whole) > 9 || !digits([]byte(whole)) || !digits([]byte(frac)) {
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
	if !ok || len(number) < 1 || !digits([]byte(number)) {
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
