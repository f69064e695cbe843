// Package network holds Vigie's network behaviour detectors: beaconing
// (beacon.go), long-lived connections (longconn.go), DNS tunnelling
// (dnstunnel.go), exfiltration volume (exfil.go) and scanning (scan.go).
// Each implements behave.Detector over the ECS fields that the Zeek,
// web/proxy access log and Sysmon decoders fill.
//
// The detectors share one view of a connection, Flow (flow.go), read
// from a Zeek conn, http or ssl record, a proxy's access log line
// (CONNECT or an absolute-form request) or any event of category
// network. Zeek writes one connection into several logs; a joiner pairs
// its conn record (addresses, bytes, duration) with its http or ssl
// record (the host name, the proxy's target) by Zeek uid, so that a
// beacon or an upload through a web proxy is attributed to the host
// name behind the proxy and not to the proxy.
//
// "Internal" addresses are RFC 1918, ULA, loopback and link-local ones
// plus the networks a configuration adds; "external" destinations are
// unicast addresses that are not internal. Time is event time.
//
// Non-goals: decoding (firewall syslog lines such as iptables, pf or
// MikroTik drops are read only when a decoder has filled source.ip,
// destination.ip and destination.port), payload inspection, and scoring
// modifiers that need data outside the stream (threat intelligence,
// prevalence across the network, first-seen history kept elsewhere).
package network
