// Package weblog decodes web server access logs in the NCSA common and
// combined formats that Apache httpd, nginx, LiteSpeed and most proxies
// write by default:
//
//	%h %l %u %t "%r" %>s %b                                  common
//	%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"   combined
//
// A virtual host before the client address (Apache's vhost_combined, or
// nginx's "$host $remote_addr …") is accepted, and so are further quoted
// fields after the user agent (such as nginx's "$http_x_forwarded_for"),
// which are ignored.
//
// Fields: source.ip (or source.domain when %h is a name), user.name (when
// not "-"), url.domain (the virtual host, without its port),
// http.request.method, url.original, url.path, url.query, http.version
// ("1.1"), http.response.status_code, http.response.body.bytes (when not
// "-"), http.request.referrer and user_agent.original (when not "-"),
// event.category "web", event.type "access", and event.outcome: "success"
// below status 400, "failure" from 400 on. Quoted values are kept as the
// server wrote them, escapes included ("\x16\x03", "\""): that is the
// evidence, and what detection rules for probes match. A request line that
// is not "METHOD target [HTTP/x.y]" (a TLS handshake sent to a plain HTTP
// port, a scanner's garbage) is kept whole as http.request.line, and the
// line is still an event: such requests are what probing detectors look
// for.
//
// The event time is %t ("10/Oct/2000:13:55:36 -0700"), in UTC.
//
// A line that does not have this shape, or holds invalid UTF-8 or control
// characters, becomes a pipeline-error event that keeps the line. The
// scanner is hand-written, with no regular expression; BenchmarkDecode
// compares it with splitting the same bytes into lines.
//
// Non-goals: custom LogFormat strings, the W3C extended format of IIS, and
// error logs.
package weblog
