// Package detect knows every decoder by name and picks one for an input from
// its first bytes: the magic of EVTX and gzip, Zeek's "#separator" header,
// the shape of the first JSON object (CloudTrail, Entra ID sign-in and audit
// records, Microsoft 365 audit records, Windows events, Zeek JSON, any other
// JSON), a CSV export of the Microsoft 365 audit log (its AuditData column),
// Linux audit records ("type=SYSCALL msg=audit(…)", alone or after a syslog
// header on every line), a syslog priority or timestamp, the Apache/nginx
// access log layout. The file name is used only when the content says
// nothing.
//
// Every decoder it hands out reads gzip-compressed input transparently.
package detect
