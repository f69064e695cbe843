package authlog

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// Field names this package fills beyond those of package event. The
// system.auth.* names are the ones Filebeat's system module uses, so that
// queries written for it keep working.
const (
	EffectiveUserName = "user.effective.name" // ECS: the account sudo or su ran as
	SourceDomain      = "source.domain"       // ECS: peer host name when the log gives a name, not an address
	EventReason       = "event.reason"        // ECS: why it happened, in the program's words
	SSHMethod         = "system.auth.ssh.method"
	SSHSignature      = "system.auth.ssh.signature"
	SudoTTY           = "system.auth.sudo.tty"
	SudoPWD           = "system.auth.sudo.pwd"
	SudoCommand       = "system.auth.sudo.command"
	// RepeatCount is how many times the message occurred, when the log
	// folded repetitions into one line ("message repeated 5 times",
	// "PAM 4 more authentication failures").
	RepeatCount = "system.auth.repeat_count"
)

// Values of event.action.
const (
	ActionSSHLogin = "ssh_login" // "Accepted …" and "Failed …": one authentication attempt
	// ActionSSHInvalidUser is sshd's "Invalid user X from IP": a login
	// attempt for an account that does not exist.
	ActionSSHInvalidUser = "ssh_invalid_user"
	// ActionSSHInvalidUserRequest is sshd's "input_userauth_request:
	// invalid user X", logged next to ActionSSHInvalidUser for the same
	// attempt, without the peer address. It has its own action so that
	// counting invalid users does not count each attempt twice.
	ActionSSHInvalidUserRequest = "ssh_invalid_user_request"
	ActionSSHDisconnect         = "ssh_disconnect"        // "Received disconnect", "Disconnected from"
	ActionSSHConnectionClosed   = "ssh_connection_closed" // "Connection closed by"
	ActionSSHTooManyFailures    = "ssh_too_many_auth_failures"
	ActionSSHReverseMapping     = "ssh_reverse_mapping_failed" // "POSSIBLE BREAK-IN ATTEMPT!"
	ActionSSHNoIdentification   = "ssh_no_identification"      // a connection that never spoke SSH
	ActionSSHUserNotAllowed     = "ssh_user_not_allowed"       // AllowUsers, DenyUsers, AllowGroups
	ActionSSHRootLoginRefused   = "ssh_root_login_refused"
	ActionPAMAuthFailure        = "pam_auth_failure"
	ActionPAMUserUnknown        = "pam_user_unknown" // "check pass; user unknown"
	ActionPasswordChanged       = "password_changed"
	ActionSessionOpened         = "session_opened"
	ActionSessionClosed         = "session_closed"
	ActionSudoCommand           = "sudo_command"
	ActionSu                    = "su"
	ActionLogin                 = "login" // console login(1) and gdm
	ActionFTPConnection         = "ftp_connection"
	ActionFTPLogin              = "ftp_login"
	ActionKerberosAuthFailure   = "kerberos_auth_failure" // klogind
)

// Values of event.category and event.type used here, from the ECS lists.
const (
	categoryAuthentication = "authentication"
	categorySession        = "session"
	categoryProcess        = "process"
	categoryNetwork        = "network"
	categoryIAM            = "iam"

	typeStart      = "start"
	typeEnd        = "end"
	typeInfo       = "info"
	typeConnection = "connection"
	typeChange     = "change"
)

// Auth is what one authentication message says. Empty strings are absent
// fields. Values read from the message are sub-strings of it; the others
// are constants ("root" for "ROOT LOGIN ON tty1", "invalid user").
type Auth struct {
	Action   string // event.action, one of the Action constants
	Category string // event.category
	Type     string // event.type
	Outcome  string // event.outcome: event.OutcomeSuccess, event.OutcomeFailure or ""
	Reason   string // event.reason

	User          string // user.name
	EffectiveUser string // user.effective.name

	SourceIP     string // source.ip: always a valid IPv4 or IPv6 address
	SourcePort   string // source.port: decimal digits
	SourceDomain string // source.domain: a peer given by name

	Method    string // system.auth.ssh.method: "password", "publickey", "none", "keyboard-interactive/pam"…
	Signature string // system.auth.ssh.signature: the key of a publickey login, "RSA SHA256:…"

	TTY     string // system.auth.sudo.tty
	PWD     string // system.auth.sudo.pwd
	Command string // system.auth.sudo.command

	Repeat int // system.auth.repeat_count; 0 when the line stands for one occurrence
}

// Parse recognises the message msg written by program. It reports false,
// and a zero Auth, for a message it does not know.
//
// program is the syslog tag as logged: "sshd", "sshd-session",
// "sshd(pam_unix)", "su(pam_unix)", "sudo", "login", "CRON"…; a PAM module
// in parentheses and a "[pid]" suffix are allowed. PAM messages are also
// recognised by their "pam_unix(service:type): " prefix whatever the
// program, and rsyslog's "message repeated N times: [ … ]" is unwrapped.
func Parse(program, msg string) (Auth, bool) {
	var a Auth
	if rest, ok := strings.CutPrefix(msg, "message repeated "); ok {
		n, inner, ok := cutRepeated(rest)
		if !ok || !parse(&a, program, inner) {
			return Auth{}, false
		}
		a.Repeat = n
		return a, true
	}
	if !parse(&a, program, msg) {
		return Auth{}, false
	}
	return a, true
}

// Annotate adds to e the fields of the authentication message msg written
// by program, and reports whether it recognised one. The fields are
// appended: call e.Sort afterwards.
func Annotate(e *event.Event, program, msg string) bool {
	a, ok := Parse(program, msg)
	if ok {
		a.AddTo(e)
	}
	return ok
}

// AddTo appends a's non-empty fields to e. Call e.Sort afterwards.
func (a *Auth) AddTo(e *event.Event) {
	e.Fields = a.AppendFields(e.Fields)
}

// AppendFields appends a's non-empty fields to dst, sorted by name, and
// returns the extended slice. A decoder can merge them with its own sorted
// fields instead of sorting the whole event.
func (a *Auth) AppendFields(dst []event.Field) []event.Field {
	add := func(name, value string) {
		if value != "" {
			dst = append(dst, event.Field{Name: name, Value: value})
		}
	}
	// In the order of their names.
	add(event.EventAction, a.Action)
	add(event.EventCategory, a.Category)
	add(event.EventOutcome, a.Outcome)
	add(EventReason, a.Reason)
	add(event.EventType, a.Type)
	add(SourceDomain, a.SourceDomain)
	add(event.SourceIP, a.SourceIP)
	if a.SourcePort != "" {
		dst = append(dst, event.Field{Name: event.SourcePort, Value: a.SourcePort, Type: event.Number})
	}
	if a.Repeat > 0 {
		dst = append(dst, event.Field{Name: RepeatCount, Value: strconv.Itoa(a.Repeat), Type: event.Number})
	}
	add(SSHMethod, a.Method)
	add(SSHSignature, a.Signature)
	add(SudoCommand, a.Command)
	add(SudoPWD, a.PWD)
	add(SudoTTY, a.TTY)
	add(EffectiveUserName, a.EffectiveUser)
	add(event.UserName, a.User)
	return dst
}

// parse dispatches on the program name, then tries the forms any program
// may write.
func parse(a *Auth, program, msg string) bool {
	name, module := splitProgram(program)
	if strings.HasPrefix(module, "pam") {
		return pamMessage(a, msg)
	}
	if rest, ok := cutPAMPrefix(msg); ok {
		return pamMessage(a, rest)
	}
	switch name {
	case "sshd", "sshd-session", "sshd-auth":
		if sshMessage(a, msg) {
			return true
		}
		// sshd also writes PAM's own summaries ("PAM 2 more
		// authentication failures") without a module prefix.
		return pamMessage(a, msg)
	case "sudo":
		return sudoMessage(a, msg)
	case "su":
		return suMessage(a, msg)
	case "ftpd", "in.ftpd", "wu-ftpd":
		return ftpdMessage(a, msg)
	case "vsftpd":
		return vsftpdMessage(a, msg)
	case "klogind", "kshd":
		return kerberosMessage(a, msg)
	case "gdm", "gdm-binary", "gdm-password":
		return gdmMessage(a, msg)
	case "systemd-logind":
		return logindMessage(a, msg)
	}
	// login(1) can log under its process title ("-- root[2421]: ROOT LOGIN
	// ON tty2" in Linux_2k.log), so its forms are tried for any program.
	return loginMessage(a, msg)
}

// splitProgram splits "sshd(pam_unix)[123]" into "sshd" and "pam_unix".
func splitProgram(program string) (name, module string) {
	if i := strings.IndexByte(program, '['); i >= 0 {
		program = program[:i]
	}
	name, module, ok := strings.Cut(program, "(")
	if ok {
		module = strings.TrimSuffix(module, ")")
	}
	return name, module
}

// cutPAMPrefix removes a PAM module prefix such as "pam_unix(sshd:auth): ".
func cutPAMPrefix(msg string) (rest string, ok bool) {
	if !strings.HasPrefix(msg, "pam_") {
		return "", false
	}
	open := strings.IndexByte(msg, '(')
	end := strings.Index(msg, "): ")
	if open < 0 || end < open {
		return "", false
	}
	return msg[end+3:], true
}

// cutRepeated splits rsyslog's "5 times: [ inner]" (after "message
// repeated ") into 5 and "inner".
func cutRepeated(s string) (n int, inner string, ok bool) {
	count, rest, ok := strings.Cut(s, " times: [")
	if !ok || !strings.HasSuffix(rest, "]") {
		return 0, "", false
	}
	n, ok = atoi(count)
	if !ok {
		return 0, "", false
	}
	return n, strings.TrimSpace(rest[:len(rest)-1]), true
}

// setSource records a peer: an address goes to SourceIP, anything else
// that looks like a host name to SourceDomain.
func (a *Auth) setSource(host string) {
	switch {
	case host == "" || host == "UNKNOWN" || host == "(null)":
	case isIP(host):
		a.SourceIP = host
	case isHostName(host):
		a.SourceDomain = host
	}
}

// setPort sets SourcePort when port is a valid port number.
func (a *Auth) setPort(port string) {
	if n, ok := atoi(port); ok && n <= 65535 {
		a.SourcePort = port
	}
}

// isIP reports whether s is an IPv4 or IPv6 address.
func isIP(s string) bool {
	// Only hex digits, '.' and ':' before an IPv6 zone: host names such as
	// "5.36.59.76.dynamic-dsl-ip.omantel.net.om" (OpenSSH_2k.log) stop
	// here, because ParseAddr allocates its error (the only allocation of
	// BenchmarkParse).
	if s == "" {
		return false
	}
	for i := 0; i < len(s) && s[i] != '%'; i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// isHostName reports whether s is made only of the bytes of DNS names, so
// that a peer given as free text is not taken for a name.
func isHostName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// atoi parses a short non-negative decimal number.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// cutWord splits s at its first space.
func cutWord(s string) (word, rest string) {
	word, rest, _ = strings.Cut(s, " ")
	return word, rest
}
