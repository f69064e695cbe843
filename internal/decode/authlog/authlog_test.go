package authlog

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/event"
)

const (
	success = event.OutcomeSuccess
	failure = event.OutcomeFailure
)

// check parses one message and compares the result with want.
func check(t *testing.T, program, msg string, want Auth) {
	t.Helper()
	got, ok := Parse(program, msg)
	if !ok {
		t.Errorf("Parse(%q, %q) not recognised, want %+v", program, msg, want)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse(%q, %q) mismatch (-want +got):\n%s", program, msg, diff)
	}
}

func TestOpenSSH(t *testing.T) {
	f := func(msg string, want Auth) {
		t.Helper()
		check(t, "sshd", msg, want)
	}
	// Forms from OpenSSH_2k.log.
	f("Failed password for root from 5.36.59.76 port 42393 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceIP: "5.36.59.76", SourcePort: "42393", Method: "password"})
	f("Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure, Reason: "invalid user",
		User: "webmaster", SourceIP: "173.234.31.186", SourcePort: "38926", Method: "password"})
	// A user name the client started with a space.
	f("Failed password for invalid user  0101 from 5.188.10.180 port 36279 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure, Reason: "invalid user",
		User: " 0101", SourceIP: "5.188.10.180", SourcePort: "36279", Method: "password"})
	f("Failed none for invalid user 0 from 5.188.10.180 port 49811 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure, Reason: "invalid user",
		User: "0", SourceIP: "5.188.10.180", SourcePort: "49811", Method: "none"})
	f("Accepted password for fztu from 119.137.62.142 port 49116 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: success,
		User: "fztu", SourceIP: "119.137.62.142", SourcePort: "49116", Method: "password"})
	f("Invalid user webmaster from 173.234.31.186", Auth{
		Action: ActionSSHInvalidUser, Category: "authentication", Type: "info", Outcome: failure, Reason: "invalid user",
		User: "webmaster", SourceIP: "173.234.31.186"})
	f("Invalid user  0101 from 5.188.10.180", Auth{
		Action: ActionSSHInvalidUser, Category: "authentication", Type: "info", Outcome: failure, Reason: "invalid user",
		User: " 0101", SourceIP: "5.188.10.180"})
	f("input_userauth_request: invalid user webmaster [preauth]", Auth{
		Action: ActionSSHInvalidUserRequest, Category: "authentication", Type: "info", Outcome: failure, Reason: "invalid user",
		User: "webmaster"})
	f("Connection closed by 173.234.31.186 [preauth]", Auth{
		Action: ActionSSHConnectionClosed, Category: "authentication", Type: "end", SourceIP: "173.234.31.186"})
	f("Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]", Auth{
		Action: ActionSSHDisconnect, Category: "authentication", Type: "end", Reason: "Bye Bye", SourceIP: "52.80.34.196"})
	f("error: Received disconnect from 103.99.0.122: 14: No more user authentication methods available. [preauth]", Auth{
		Action: ActionSSHDisconnect, Category: "authentication", Type: "end",
		Reason: "No more user authentication methods available.", SourceIP: "103.99.0.122"})
	f("error: Received disconnect from 195.154.37.122: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]", Auth{
		Action: ActionSSHDisconnect, Category: "authentication", Type: "end",
		Reason: "com.jcraft.jsch.JSchException: Auth fail", SourceIP: "195.154.37.122"})
	f("Received disconnect from 119.137.62.142: 11: disconnected by user", Auth{
		Action: ActionSSHDisconnect, Category: "authentication", Type: "end", Reason: "disconnected by user", SourceIP: "119.137.62.142"})
	f("Disconnecting: Too many authentication failures for admin [preauth]", Auth{
		Action: ActionSSHTooManyFailures, Category: "authentication", Type: "end", Outcome: failure,
		Reason: "Too many authentication failures", User: "admin"})
	f("reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!", Auth{
		Action: ActionSSHReverseMapping, Category: "network", Type: "info",
		SourceIP: "173.234.31.186", SourceDomain: "ns.marryaldkfaczcz.com"})
	f("Did not receive identification string from 5.188.10.180", Auth{
		Action: ActionSSHNoIdentification, Category: "network", Type: "info", SourceIP: "5.188.10.180"})

	// Forms of later OpenSSH versions.
	f("Accepted publickey for alice from 2001:db8::7 port 50022 ssh2: ED25519 SHA256:Vw1u0eJ1pYvJ4kq8", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: success,
		User: "alice", SourceIP: "2001:db8::7", SourcePort: "50022", Method: "publickey", Signature: "ED25519 SHA256:Vw1u0eJ1pYvJ4kq8"})
	f("Failed keyboard-interactive/pam for root from 10.0.0.9 port 4242 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceIP: "10.0.0.9", SourcePort: "4242", Method: "keyboard-interactive/pam"})
	// The user name is chosen by the client: the peer is after the last " from ".
	f("Failed password for invalid user admin from x from 10.0.0.9 port 22 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure, Reason: "invalid user",
		User: "admin from x", SourceIP: "10.0.0.9", SourcePort: "22", Method: "password"})
	f("Failed password for root from scanner.example.net port 22 ssh2", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceDomain: "scanner.example.net", SourcePort: "22", Method: "password"})
	f("Invalid user oracle from 10.0.0.9 port 51234", Auth{
		Action: ActionSSHInvalidUser, Category: "authentication", Type: "info", Outcome: failure, Reason: "invalid user",
		User: "oracle", SourceIP: "10.0.0.9", SourcePort: "51234"})
	f("Illegal user test from 10.0.0.9", Auth{
		Action: ActionSSHInvalidUser, Category: "authentication", Type: "info", Outcome: failure, Reason: "invalid user",
		User: "test", SourceIP: "10.0.0.9"})
	f("Connection closed by authenticating user root 10.0.0.9 port 39342 [preauth]", Auth{
		Action: ActionSSHConnectionClosed, Category: "authentication", Type: "end",
		User: "root", SourceIP: "10.0.0.9", SourcePort: "39342"})
	f("Connection closed by invalid user admin 10.0.0.9 port 39342 [preauth]", Auth{
		Action: ActionSSHConnectionClosed, Category: "authentication", Type: "end", Reason: "invalid user",
		User: "admin", SourceIP: "10.0.0.9", SourcePort: "39342"})
	f("Disconnected from user alice 10.0.0.9 port 50022", Auth{
		Action: ActionSSHDisconnect, Category: "authentication", Type: "end",
		User: "alice", SourceIP: "10.0.0.9", SourcePort: "50022"})
	f("Received disconnect from 10.0.0.9 port 50022:11: disconnected by user", Auth{
		Action: ActionSSHDisconnect, Category: "authentication", Type: "end", Reason: "disconnected by user",
		SourceIP: "10.0.0.9", SourcePort: "50022"})
	f("Disconnecting invalid user admin 10.0.0.9 port 41000: Too many authentication failures [preauth]", Auth{
		Action: ActionSSHTooManyFailures, Category: "authentication", Type: "end", Outcome: failure,
		Reason: "Too many authentication failures", User: "admin", SourceIP: "10.0.0.9", SourcePort: "41000"})
	f("error: maximum authentication attempts exceeded for root from 10.0.0.9 port 41000 ssh2 [preauth]", Auth{
		Action: ActionSSHTooManyFailures, Category: "authentication", Type: "end", Outcome: failure,
		Reason: "maximum authentication attempts exceeded", User: "root", SourceIP: "10.0.0.9", SourcePort: "41000"})
	f("Address 10.0.0.9 maps to host.example.net, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!", Auth{
		Action: ActionSSHReverseMapping, Category: "network", Type: "info", SourceIP: "10.0.0.9", SourceDomain: "host.example.net"})
	f("Did not receive identification string from 10.0.0.9 port 60000", Auth{
		Action: ActionSSHNoIdentification, Category: "network", Type: "info", SourceIP: "10.0.0.9", SourcePort: "60000"})
	f("error: PAM: Authentication failure for illegal user bob from 10.0.0.9", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure, Reason: "invalid user",
		User: "bob", SourceIP: "10.0.0.9"})
	f("User root from 10.0.0.9 not allowed because listed in DenyUsers", Auth{
		Action: ActionSSHUserNotAllowed, Category: "authentication", Type: "start", Outcome: failure,
		Reason: "listed in DenyUsers", User: "root", SourceIP: "10.0.0.9"})
	f("ROOT LOGIN REFUSED FROM 10.0.0.9 port 4000", Auth{
		Action: ActionSSHRootLoginRefused, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceIP: "10.0.0.9", SourcePort: "4000"})

	// The same messages under OpenSSH 9.8's per-session binary.
	check(t, "sshd-session", "Accepted publickey for bob from 10.1.2.3 port 1022 ssh2: RSA SHA256:abc", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: success,
		User: "bob", SourceIP: "10.1.2.3", SourcePort: "1022", Method: "publickey", Signature: "RSA SHA256:abc"})
}

func TestPAM(t *testing.T) {
	// OpenSSH_2k.log: the module in the message.
	check(t, "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure, SourceIP: "173.234.31.186"})
	check(t, "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceDomain: "5.36.59.76.dynamic-dsl-ip.omantel.net.om"})
	check(t, "sshd", "pam_unix(sshd:auth): check pass; user unknown", Auth{
		Action: ActionPAMUserUnknown, Category: "authentication", Type: "info", Outcome: failure, Reason: "user unknown"})
	check(t, "sshd", "PAM 4 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.188.10.180 ", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure, SourceIP: "5.188.10.180", Repeat: 4})
	check(t, "sshd", "PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.188.10.180  user=root", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceIP: "5.188.10.180", Repeat: 1})
	check(t, "sshd", "pam_unix(sshd:session): session opened for user fztu by (uid=0)", Auth{
		Action: ActionSessionOpened, Category: "session", Type: "start", Outcome: success, User: "fztu"})
	check(t, "sshd", "pam_unix(sshd:session): session closed for user fztu", Auth{
		Action: ActionSessionClosed, Category: "session", Type: "end", User: "fztu"})

	// Linux_2k.log: the module in the tag.
	check(t, "sshd(pam_unix)", "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure, SourceIP: "218.188.2.4"})
	check(t, "sshd(pam_unix)", "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceDomain: "220-135-151-1.hinet-ip.hinet.net"})
	check(t, "sshd(pam_unix)", "check pass; user unknown", Auth{
		Action: ActionPAMUserUnknown, Category: "authentication", Type: "info", Outcome: failure, Reason: "user unknown"})
	check(t, "su(pam_unix)", "session opened for user cyrus by (uid=0)", Auth{
		Action: ActionSessionOpened, Category: "session", Type: "start", Outcome: success, User: "cyrus"})
	check(t, "su(pam_unix)", "session closed for user news", Auth{
		Action: ActionSessionClosed, Category: "session", Type: "end", User: "news"})
	check(t, "login(pam_unix)", "session opened for user root by LOGIN(uid=0)", Auth{
		Action: ActionSessionOpened, Category: "session", Type: "start", Outcome: success, User: "root"})
	check(t, "gdm(pam_unix)", "authentication failure; logname= uid=0 euid=0 tty=:0 ruser= rhost= ", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure})

	// Current distributions.
	check(t, "CRON", "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", Auth{
		Action: ActionSessionOpened, Category: "session", Type: "start", Outcome: success, User: "root"})
	check(t, "CRON(pam_unix)", "session closed for user root", Auth{
		Action: ActionSessionClosed, Category: "session", Type: "end", User: "root"})
	check(t, "sudo", "pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice", Auth{
		Action: ActionPAMAuthFailure, Category: "authentication", Type: "start", Outcome: failure, User: "alice"})
	check(t, "passwd", "pam_unix(passwd:chauthtok): password changed for bob", Auth{
		Action: ActionPasswordChanged, Category: "iam", Type: "change", Outcome: success, User: "bob"})
}

func TestSudoSu(t *testing.T) {
	check(t, "sudo", "    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -la /root", Auth{
		Action: ActionSudoCommand, Category: "process", Type: "start", Outcome: success,
		User: "alice", EffectiveUser: "root", TTY: "pts/0", PWD: "/home/alice", Command: "/bin/ls -la /root"})
	// COMMAND comes last and is kept whole, " ; " included.
	check(t, "sudo", "bob : TTY=unknown ; PWD=/ ; USER=postgres ; COMMAND=/bin/sh -c echo a ; echo b", Auth{
		Action: ActionSudoCommand, Category: "process", Type: "start", Outcome: success,
		User: "bob", EffectiveUser: "postgres", TTY: "unknown", PWD: "/", Command: "/bin/sh -c echo a ; echo b"})
	check(t, "sudo", "   alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id", Auth{
		Action: ActionSudoCommand, Category: "process", Type: "start", Outcome: failure, Reason: "3 incorrect password attempts",
		User: "alice", EffectiveUser: "root", TTY: "pts/1", PWD: "/tmp", Command: "/usr/bin/id"})
	check(t, "sudo", "mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/ ; USER=root ; COMMAND=/bin/bash", Auth{
		Action: ActionSudoCommand, Category: "process", Type: "start", Outcome: failure, Reason: "user NOT in sudoers",
		User: "mallory", EffectiveUser: "root", TTY: "pts/2", PWD: "/", Command: "/bin/bash"})

	check(t, "su", "Successful su for root by alice", Auth{
		Action: ActionSu, Category: "authentication", Type: "start", Outcome: success, User: "alice", EffectiveUser: "root"})
	check(t, "su", "FAILED su for root by mallory", Auth{
		Action: ActionSu, Category: "authentication", Type: "start", Outcome: failure, User: "mallory", EffectiveUser: "root"})
	check(t, "su", "+ pts/0 alice:root", Auth{
		Action: ActionSu, Category: "authentication", Type: "start", Outcome: success, User: "alice", EffectiveUser: "root"})
	check(t, "su", "- pts/0 mallory:root", Auth{
		Action: ActionSu, Category: "authentication", Type: "start", Outcome: failure, User: "mallory", EffectiveUser: "root"})
	check(t, "su", "(to root) alice on pts/0", Auth{
		Action: ActionSu, Category: "authentication", Type: "start", Outcome: success, User: "alice", EffectiveUser: "root"})
	check(t, "su", "FAILED SU (to root) mallory on pts/0", Auth{
		Action: ActionSu, Category: "authentication", Type: "start", Outcome: failure, User: "mallory", EffectiveUser: "root"})
	check(t, "su", "'su root' failed for lonvick on /dev/pts/8", Auth{
		Action: ActionSu, Category: "authentication", Type: "start", Outcome: failure, User: "lonvick", EffectiveUser: "root"})
}

func TestLoginFTPKerberos(t *testing.T) {
	// Linux_2k.log.
	check(t, "-- root", "ROOT LOGIN ON tty2", Auth{
		Action: ActionLogin, Category: "authentication", Type: "start", Outcome: success, User: "root"})
	check(t, "ftpd", "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 20:55:07 2005 ", Auth{
		Action: ActionFTPConnection, Category: "network", Type: "connection",
		SourceIP: "24.54.76.216", SourceDomain: "24-54-76-216.bflony.adelphia.net"})
	check(t, "ftpd", "connection from 222.33.90.199 () at Sat Jun 18 02:08:10 2005 ", Auth{
		Action: ActionFTPConnection, Category: "network", Type: "connection", SourceIP: "222.33.90.199"})
	check(t, "ftpd", "ANONYMOUS FTP LOGIN FROM 84.102.20.2, (anonymous)", Auth{
		Action: ActionFTPLogin, Category: "authentication", Type: "start", Outcome: success, User: "anonymous", SourceIP: "84.102.20.2"})
	check(t, "klogind", "Authentication failed from 163.27.187.39 (163.27.187.39): Permission denied in replay cache code ", Auth{
		Action: ActionKerberosAuthFailure, Category: "authentication", Type: "start", Outcome: failure,
		Reason: "Permission denied in replay cache code", SourceIP: "163.27.187.39"})
	check(t, "klogind", "Kerberos authentication failed ", Auth{
		Action: ActionKerberosAuthFailure, Category: "authentication", Type: "start", Outcome: failure})
	check(t, "gdm-binary", "Couldn't authenticate user", Auth{
		Action: ActionLogin, Category: "authentication", Type: "start", Outcome: failure})

	// Other versions.
	check(t, "login", "LOGIN ON tty1 BY alice FROM 10.0.0.9", Auth{
		Action: ActionLogin, Category: "authentication", Type: "start", Outcome: success, User: "alice", SourceIP: "10.0.0.9"})
	check(t, "login", "FAILED LOGIN 1 FROM (null) FOR root, Authentication failure", Auth{
		Action: ActionLogin, Category: "authentication", Type: "start", Outcome: failure, Reason: "Authentication failure", User: "root"})
	check(t, "login", "FAILED LOGIN (1) on '/dev/tty1' from 'bastion.example.net' FOR 'admin', Authentication failure", Auth{
		Action: ActionLogin, Category: "authentication", Type: "start", Outcome: failure, Reason: "Authentication failure",
		User: "admin", SourceDomain: "bastion.example.net"})
	check(t, "ftpd", "FTP LOGIN FROM host.example.net [10.0.0.9], alice", Auth{
		Action: ActionFTPLogin, Category: "authentication", Type: "start", Outcome: success,
		User: "alice", SourceIP: "10.0.0.9", SourceDomain: "host.example.net"})
	check(t, "ftpd", "failed login from host.example.net [10.0.0.9]", Auth{
		Action: ActionFTPLogin, Category: "authentication", Type: "start", Outcome: failure,
		SourceIP: "10.0.0.9", SourceDomain: "host.example.net"})
	check(t, "vsftpd", `[pid 4242] [bob] FAIL LOGIN: Client "::ffff:10.0.0.9"`, Auth{
		Action: ActionFTPLogin, Category: "authentication", Type: "start", Outcome: failure, User: "bob", SourceIP: "10.0.0.9"})
	check(t, "vsftpd", `[bob] OK LOGIN: Client "10.0.0.9"`, Auth{
		Action: ActionFTPLogin, Category: "authentication", Type: "start", Outcome: success, User: "bob", SourceIP: "10.0.0.9"})
	check(t, "systemd-logind", "New session 42 of user alice.", Auth{
		Action: ActionSessionOpened, Category: "session", Type: "start", Outcome: success, User: "alice"})
	check(t, "systemd-logind", "Removed session 42.", Auth{
		Action: ActionSessionClosed, Category: "session", Type: "end"})
}

func TestRepeated(t *testing.T) {
	check(t, "sshd", "message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]", Auth{
		Action: ActionSSHLogin, Category: "authentication", Type: "start", Outcome: failure,
		User: "root", SourceIP: "5.36.59.76", SourcePort: "42393", Method: "password", Repeat: 5})
	notRecognised(t, "sshd", "message repeated 5 times: [ Server listening on 0.0.0.0 port 22.]")
	notRecognised(t, "sshd", "message repeated x times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]")
	// Only one level is unwrapped.
	notRecognised(t, "sshd", "message repeated 2 times: [ message repeated 5 times: [ Failed password for root from 1.2.3.4 port 2 ssh2]]")
}

func notRecognised(t *testing.T, program, msg string) {
	t.Helper()
	if got, ok := Parse(program, msg); ok || got != (Auth{}) {
		t.Errorf("Parse(%q, %q) = %+v, %v; want not recognised", program, msg, got, ok)
	}
}

func TestNotRecognised(t *testing.T) {
	f := func(program, msg string) {
		t.Helper()
		notRecognised(t, program, msg)
	}
	f("sshd", "")
	f("sshd", "Server listening on 0.0.0.0 port 22.")
	f("sshd", "PAM service(sshd) ignoring max retries; 6 > 3")
	f("sshd", "fatal: Write failed: Connection reset by peer [preauth]")
	f("sshd", "Failed password")
	f("sshd", "Failed password for root")
	f("sshd", "Failed two words for root from 1.2.3.4 port 22 ssh2")
	f("sshd", "Accepted password for root from 1.2.3.4")
	f("sshd", "Invalid user root")
	f("sshd", "Connection closed by")
	f("sshd", "Connection closed by [preauth]")
	f("sshd", "Received disconnect from : 11: x")
	f("sshd", "reverse mapping checking getaddrinfo for x [not-an-ip] failed")
	f("sshd", "PAM x more authentication failures; rhost=1.2.3.4")
	f("sudo", "alice : TTY=pts/0 ; PWD=/ ; USER=root")
	f("sudo", "unable to resolve host web01")
	f("su", "Successful su for root by ")
	f("su", "(to root")
	f("ftpd", "connection from nobody (x) at Sat")
	f("kernel", "Linux version 2.6.5-1.358")
	f("logrotate", "ALERT exited abnormally with [1]")
	f("systemd-logind", "New session 4.")
	f("vsftpd", "FAIL LOGIN: Client")
	f("", "pam_unix(sshd:auth): something else")
}

// A program name decides which forms apply: sudo's line shape under
// another name is not a sudo command.
func TestProgramMatters(t *testing.T) {
	notRecognised(t, "cron", "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls")
	notRecognised(t, "nginx", "Failed password for root from 1.2.3.4 port 22 ssh2")
	// A PAM prefix is recognised under any program.
	if _, ok := Parse("", "pam_unix(sshd:auth): check pass; user unknown"); !ok {
		t.Error("PAM prefix without program not recognised")
	}
}

func TestAnnotate(t *testing.T) {
	var e event.Event
	if !Annotate(&e, "sshd", "message repeated 5 times: [ Accepted publickey for root from 10.0.0.9 port 22 ssh2: RSA SHA256:k]") {
		t.Fatal("Annotate: not recognised")
	}
	e.Sort()
	want := []event.Field{
		{Name: "event.action", Value: "ssh_login"},
		{Name: "event.category", Value: "authentication"},
		{Name: "event.outcome", Value: "success"},
		{Name: "event.type", Value: "start"},
		{Name: "source.ip", Value: "10.0.0.9"},
		{Name: "source.port", Value: "22", Type: event.Number},
		{Name: "system.auth.repeat_count", Value: "5", Type: event.Number},
		{Name: "system.auth.ssh.method", Value: "publickey"},
		{Name: "system.auth.ssh.signature", Value: "RSA SHA256:k"},
		{Name: "user.name", Value: "root"},
	}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}

	var none event.Event
	if Annotate(&none, "sshd", "Server listening on :: port 22.") || len(none.Fields) != 0 {
		t.Errorf("Annotate on an unknown message added %v", none.Fields)
	}
}

func TestAddToAllFields(t *testing.T) {
	a := Auth{Action: "a", Category: "c", Type: "t", Outcome: "o", Reason: "r", User: "u", EffectiveUser: "eu",
		SourceIP: "1.2.3.4", SourcePort: "5", SourceDomain: "d", Method: "m", Signature: "s",
		TTY: "tty", PWD: "pwd", Command: "cmd", Repeat: 2}
	var e event.Event
	a.AddTo(&e) // sorted without e.Sort
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.Name+"="+f.Value)
	}
	want := []string{
		"event.action=a", "event.category=c", "event.outcome=o", "event.reason=r", "event.type=t",
		"source.domain=d", "source.ip=1.2.3.4", "source.port=5",
		"system.auth.repeat_count=2", "system.auth.ssh.method=m", "system.auth.ssh.signature=s",
		"system.auth.sudo.command=cmd", "system.auth.sudo.pwd=pwd", "system.auth.sudo.tty=tty",
		"user.effective.name=eu", "user.name=u",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("AddTo mismatch (-want +got):\n%s", diff)
	}
}

func TestIsIP(t *testing.T) {
	f := func(s string, want bool) {
		t.Helper()
		if got := isIP(s); got != want {
			t.Errorf("isIP(%q) = %v, want %v", s, got, want)
		}
	}
	f("173.234.31.186", true)
	f("2001:db8::7", true)
	f("::ffff:10.0.0.9", true)
	f("fe80::1%eth0", true)
	f("FE80::A", true)
	f("", false)
	f("5.36.59.76.dynamic-dsl-ip.omantel.net.om", false)
	f("256.1.1.1", false)
	f("cafe", false)
	f("ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn", false)
}
