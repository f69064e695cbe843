// Package auditd decodes the Linux audit log, /var/log/audit/audit.log, into
// one event per audit event.
//
// Input is one record per line:
//
//	type=SYSCALL msg=audit(1684329817.579:2995): arch=c000003e syscall=59 success=yes … comm="perl" exe="/usr/bin/perl" key=(null)
//
// optionally after "node=NAME " (auditd's name_format), after a syslog
// header (audisp-syslog, or auditd's af_unix plugin relayed by a syslog
// daemon: "May 17 13:23:37 web01 audispd: type=… msg=audit(…): …"), or as
// the kernel writes it when no auditd runs ("kernel: audit: type=1300
// audit(…): …", with numeric types, which are given their names). The
// ENRICHED log format's second part, after the 0x1d separator
// (`UID="root" AUID="alice" SYSCALL=execve`), is read as more pairs.
//
// # Events
//
// The records of one audit event share the id in msg=audit(TIME:SERIAL)
// and are written next to each other: SYSCALL, EXECVE, CWD, PATH…,
// PROCTITLE, EOE. They become one event.Event, delivered at EOE, when a
// record of another event comes, after a user-space record (USER_LOGIN,
// USER_CMD…: an event by itself), or at the end of input. One event
// gathers at most Decoder.MaxRecords records and Decoder.MaxRecord bytes;
// past that, the records left start another event with the same serial.
// Records of two events interleaved in the log (rare: a user-space record
// written between the records of a syscall) give several events.
//
// Raw is the event's lines joined with "\n", unmodified (syslog header
// included). Time is the audit time, in UTC, to the millisecond.
//
// Fields are, for every record, every key=value under its auditd name, as
// Sigma's auditd rules use them: type (once per record type), key, exe,
// comm, syscall, a0…, name (one value per PATH record), uid, auid,
// success… A key given by several records has several values; exact
// duplicates are dropped. The SYSCALL record's a0 to a3 (register values)
// and EXECVE's a0, a1… (the arguments) therefore share their names. Values
// are decoded: quotes are removed; the values auditd hex-encodes when they
// hold a space, a quote or a control character (proctitle, EXECVE's
// arguments, name, cwd, exe, comm, cmd, data, acct…) are decoded to text,
// and PROCTITLE's NUL separators become spaces; a long EXECVE argument
// written in chunks (a1[0]=…, a1[1]=…) is joined; a hex key holding
// several keys gives one value each; invalid UTF-8 is replaced by U+FFFD.
// A user-space record's msg='…' is read as the pairs inside it. Words that
// are not key=value (SELinux's "avc:  denied  { read }") are left in Raw.
//
// Derived fields: SYSCALL, the syscall's name, as the ENRICHED format
// writes it and Sigma rules test it (from the number, for x86_64 and
// i386, when the log is raw); event.module "auditd", event.sequence (the
// serial), host.name (node, else the syslog header's host), event.outcome
// (success or res), event.category "process" and event.type "start" for
// an execve (an EXECVE record, or SYSCALL execve or execveat),
// "authentication" for USER_LOGIN and USER_AUTH (with user.name from acct
// and source.ip from addr); process.executable (exe), process.name (comm),
// process.pid, process.parent.pid (ppid), process.command_line (EXECVE's
// arguments joined by spaces, else the decoded proctitle), process.title
// (proctitle), process.working_directory (cwd), user.id (uid), user.name
// (the ENRICHED UID). Beside them, the names Sysmon for Linux gives the
// same facts, which Sigma's process_creation rules for Linux use: Image,
// CommandLine, CurrentDirectory, ProcessId, ParentProcessId and User. User
// is the ENRICHED UID's name when the log has it, else the uid number:
// Sysmon writes a name, and a raw log has none.
//
// A line that is not an audit record becomes a pipeline-error event that
// keeps it, delivered after the event gathered before it.
//
// Not done: ParentImage (auditd names only the parent's pid), user names
// from the uid without the ENRICHED format, syscall names of other
// architectures (aarch64…), the interpreted output of ausearch -i (its
// times are local dates), and file_event or network_connection events
// from PATH or SOCKADDR records (left to Sysmon for Linux: a PATH name may
// be relative to a CWD, and what the syscall did to it depends on the
// syscall).
package auditd
