package simulate

import (
	"crypto/md5"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// zeekHeaders are the #fields and #types lines of each log, as Zeek's
// ASCII writer produces them for conn, dns, http and ssl (with the ja3
// package loaded for ssl).
var zeekHeaders = map[string][2]string{
	"conn": {
		"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
		"time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
	},
	"dns": {
		"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected",
		"time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool",
	},
	"http": {
		"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types",
		"time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]",
	},
	"ssl": {
		"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tcert_chain_fuids\tclient_cert_chain_fuids\tsubject\tissuer\tclient_subject\tclient_issuer\tvalidation_status\tja3\tja3s",
		"time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tbool\tvector[string]\tvector[string]\tstring\tstring\tstring\tstring\tstring\tstring\tstring",
	},
}

// zeekHeader returns the header block of a log, opened at t.
func zeekHeader(path string, t time.Time) []string {
	h := zeekHeaders[path]
	return []string{
		`#separator \x09`,
		"#set_separator\t,",
		"#empty_field\t(empty)",
		"#unset_field\t-",
		"#path\t" + path,
		"#open\t" + t.UTC().Format("2006-01-02-15-04-05"),
		"#fields\t" + h[0],
		"#types\t" + h[1],
	}
}

// zeekTime writes a Zeek timestamp: epoch seconds with microseconds.
func zeekTime(t time.Time) string {
	us := t.UnixMicro()
	return strconv.FormatInt(us/1e6, 10) + "." + pad6(us%1e6)
}

func pad6(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", 6-len(s)) + s
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

// zeekRow adds one record to a Zeek log.
func (b *builder) zeekRow(t time.Time, file fileID, m mal, cols ...string) {
	m.entities.UserName = "" // Zeek records name no account
	b.add(record{t: t, file: file, source: "zeek", body: []byte(strings.Join(cols, "\t")), label: m.label()})
}

// flow is one connection as Zeek sees it.
type flow struct {
	src, dst         netip.Addr
	srcPort, dstPort int
	proto            string // "tcp" or "udp"
	service          string // "ssl", "http", "dns", "krb", "smb", "" …
	duration         time.Duration
	origBytes        int64
	respBytes        int64
	uid              string
}

// isLocal reports whether a is in the organisation's network.
func isLocal(a netip.Addr) bool { return a.Is4() && a.As4()[0] == 10 }

// conn adds the conn.log record of f, which starts at t.
func (b *builder) conn(t time.Time, f flow, m mal) {
	m = netEntities(m, f)
	state, history := "SF", "ShADadFf"
	if f.proto == "udp" {
		state, history = "SF", "Dd"
	}
	origPkts := 2 + f.origBytes/1400
	respPkts := 2 + f.respBytes/1400
	overhead := int64(40)
	if f.proto == "udp" {
		origPkts, respPkts, overhead = 1, 1, 28
	}
	service := f.service
	if service == "" {
		service = "-"
	}
	b.zeekRow(t, fileConn, m,
		zeekTime(t), f.uid, f.src.String(), strconv.Itoa(f.srcPort), f.dst.String(), strconv.Itoa(f.dstPort),
		f.proto, service, seconds(f.duration),
		strconv.FormatInt(f.origBytes, 10), strconv.FormatInt(f.respBytes, 10), state,
		boolT(isLocal(f.src)), boolT(isLocal(f.dst)), "0", history,
		strconv.FormatInt(origPkts, 10), strconv.FormatInt(f.origBytes+origPkts*overhead, 10),
		strconv.FormatInt(respPkts, 10), strconv.FormatInt(f.respBytes+respPkts*overhead, 10), "-")
}

// netEntities fills the network entities of a label from f.
func netEntities(m mal, f flow) mal {
	if m.stage == "" {
		return m
	}
	if m.entities.SourceIP == "" {
		m.entities.SourceIP = f.src.String()
	}
	if m.entities.DestinationIP == "" {
		m.entities.DestinationIP = f.dst.String()
	}
	return m
}

func boolT(v bool) string {
	if v {
		return "T"
	}
	return "F"
}

// dnsLookup adds a DNS query of name by src to resolver, answered with
// addrs, and its conn.log record. A label names the resolver as the
// destination address, as the records do, and name as the domain.
func (b *builder) dnsLookup(r rng, t time.Time, src, resolver netip.Addr, name string, addrs []netip.Addr, ttl int, m mal) {
	f := flow{src: src, dst: resolver, srcPort: r.ephemeralPort(), dstPort: 53, proto: "udp", service: "dns",
		duration: r.between(300*time.Microsecond, 30*time.Millisecond), uid: r.zeekUID()}
	f.origBytes = int64(17 + len(name))
	f.respBytes = f.origBytes + int64(16*len(addrs))
	answers, ttls := "-", "-"
	rcode, rname := "0", "NOERROR"
	if len(addrs) == 0 {
		rcode, rname = "3", "NXDOMAIN"
	} else {
		var a, tl []string
		for _, addr := range addrs {
			a = append(a, addr.String())
			tl = append(tl, strconv.Itoa(ttl)+".000000")
		}
		answers, ttls = strings.Join(a, ","), strings.Join(tl, ",")
	}
	if m.stage != "" && m.entities.DestinationDomain == "" {
		m.entities.DestinationDomain = name
	}
	b.conn(t, f, m)
	b.zeekRow(t, fileDNS, netEntities(m, f),
		zeekTime(t), f.uid, src.String(), strconv.Itoa(f.srcPort), resolver.String(), "53", "udp",
		strconv.Itoa(r.IntN(65536)), seconds(f.duration), name, "1", "C_INTERNET", "1", "A", rcode, rname,
		"F", "F", "T", "T", "0", answers, ttls, "F")
}

// tlsInfo describes the TLS handshake of a flow.
type tlsInfo struct {
	sni     string
	version string // "TLSv13" or "TLSv12"
	ja3     string
	ja3s    string
	resumed bool
	alpn    string
}

// ja3 returns a stable JA3-like fingerprint for a named client.
func ja3(client string) string {
	sum := md5.Sum([]byte("ja3:" + client))
	return hex.EncodeToString(sum[:])
}

// tlsSession adds the conn.log and ssl.log records of a TLS connection.
func (b *builder) tlsSession(t time.Time, f flow, tls tlsInfo, m mal) {
	f.service = "ssl"
	if m.stage != "" && m.entities.DestinationDomain == "" {
		m.entities.DestinationDomain = tls.sni
	}
	b.conn(t, f, m)
	m = netEntities(m, f)
	cipher, curve := "TLS_AES_128_GCM_SHA256", "x25519"
	if tls.version == "" {
		tls.version = "TLSv13"
	}
	if tls.version == "TLSv12" {
		cipher = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
	}
	alpn := tls.alpn
	if alpn == "" {
		alpn = "-"
	}
	ts := t.Add(f.duration / 50)
	b.zeekRow(ts, fileSSL, m,
		zeekTime(ts), f.uid, f.src.String(), strconv.Itoa(f.srcPort), f.dst.String(), strconv.Itoa(f.dstPort),
		tls.version, cipher, curve, tls.sni, boolT(tls.resumed), "-", alpn, "T",
		"-", "-", "-", "-", "-", "-", "-", tls.ja3, tls.ja3s)
}

// httpRequest describes one HTTP transaction.
type httpRequest struct {
	method, host, uri, ua string
	reqLen, respLen       int64
	status                int
	mime                  string
}

var statusText = map[int]string{200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content", 304: "Not Modified", 404: "Not Found"}

// httpSession adds the conn.log and http.log records of a plain HTTP
// connection carrying one request.
func (b *builder) httpSession(r rng, t time.Time, f flow, h httpRequest, m mal) {
	f.service = "http"
	if m.stage != "" && m.entities.DestinationDomain == "" {
		m.entities.DestinationDomain = h.host
	}
	b.conn(t, f, m)
	m = netEntities(m, f)
	mime := "-"
	fuid := "-"
	if h.respLen > 0 && h.mime != "" {
		mime, fuid = h.mime, "F"+r.word(base62, 17)
	}
	ofuid, omime := "-", "-"
	if h.reqLen > 0 {
		ofuid, omime = "F"+r.word(base62, 17), "application/octet-stream"
	}
	ts := t.Add(f.duration / 40)
	b.zeekRow(ts, fileHTTP, m,
		zeekTime(ts), f.uid, f.src.String(), strconv.Itoa(f.srcPort), f.dst.String(), strconv.Itoa(f.dstPort),
		"1", h.method, h.host, h.uri, "-", "1.1", h.ua, "-",
		strconv.FormatInt(h.reqLen, 10), strconv.FormatInt(h.respLen, 10), strconv.Itoa(h.status), statusText[h.status],
		"-", "-", "(empty)", "-", "-", "-", ofuid, "-", omime, fuid, "-", mime)
}
