// Package authlog recognises authentication messages in the text of syslog
// records — OpenSSH, PAM, sudo, su, login, ftpd, klogind, gdm and
// systemd-logind — and describes them with ECS fields: event.action,
// event.category, event.type, event.outcome, user.name, source.ip,
// source.port and a few more.
//
// The input is a program name (the syslog APP-NAME or TAG, such as "sshd",
// "sshd(pam_unix)", "sudo" or "CRON") and the message that program wrote.
// Parse reports what one message says as an Auth value; Annotate adds it to
// an event. Both are pure functions: no I/O, no state, safe to call from any
// goroutine. They scan with the strings package, not regular expressions,
// because they run on every syslog line (see BenchmarkParse).
//
// The package knows the message forms of the programs above as they appear
// in real logs (the loghub OpenSSH and Linux samples among them). It does
// not decode syslog framing (package syslog does, and calls this one), and it
// does not decide whether a sequence of failures is an attack: detectors do.
//
// # Who is user.name
//
// user.name is the account the message is about: the account a login was
// attempted for (sshd, PAM "user=", login, ftp), the owner of a PAM session,
// and the user who ran sudo or su. For sudo and su the account the command
// runs as goes to user.effective.name, as in ECS.
package authlog
