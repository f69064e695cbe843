package authlog

import (
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// loginMessage recognises login(1)'s lines:
//
//	ROOT LOGIN ON tty2 [FROM host]                       (util-linux)
//	LOGIN ON tty1 BY alice [FROM host]
//	FAILED LOGIN 1 FROM host FOR root, Authentication failure
//	ROOT LOGIN  on '/dev/tty1' [from 'host']             (shadow-utils)
//	FAILED LOGIN (1) on '/dev/tty1' [from 'host'] FOR 'root', Authentication failure
func loginMessage(a *Auth, msg string) bool {
	switch {
	case strings.HasPrefix(msg, "ROOT LOGIN "):
		*a = Auth{Action: ActionLogin, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeSuccess, User: "root"}
		a.loginPeer(msg)
		return true
	case strings.HasPrefix(msg, "LOGIN ON "):
		_, rest, ok := strings.Cut(msg, " BY ")
		if !ok {
			return false
		}
		user, _, _ := strings.Cut(rest, " FROM ")
		*a = Auth{Action: ActionLogin, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeSuccess}
		a.setUser(user)
		a.loginPeer(msg)
		return a.User != ""
	case strings.HasPrefix(msg, "FAILED LOGIN "):
		_, rest, ok := strings.Cut(msg, " FOR ")
		if !ok {
			return false
		}
		user, reason, _ := strings.Cut(rest, ", ")
		*a = Auth{Action: ActionLogin, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeFailure, Reason: reason}
		a.setUser(strings.Trim(user, "'"))
		a.loginPeer(msg[:len(msg)-len(rest)])
		return true
	}
	return false
}

// loginPeer finds the remote host of a login line, after " FROM " or
// " from ", quoted or not.
func (a *Auth) loginPeer(s string) {
	i := strings.Index(s, " FROM ")
	if i < 0 {
		i = strings.Index(s, " from ")
	}
	if i < 0 {
		return
	}
	host, _ := cutWord(s[i+len(" from "):])
	a.setSource(strings.Trim(host, "',"))
}

// ftpdMessage recognises the lines of the classic ftpd and wu-ftpd:
//
//	connection from 1.2.3.4 (host.example.com) at Sun Jul 10 03:55:15 2005
//	ANONYMOUS FTP LOGIN FROM 1.2.3.4, (anonymous)
//	ANONYMOUS FTP LOGIN FROM host.example.com [1.2.3.4], guest@
//	FTP LOGIN FROM host.example.com [1.2.3.4], alice
//	failed login from host.example.com [1.2.3.4]
//
// What follows the comma of an anonymous login is the password the client
// gave (by custom an e-mail address): it is not kept.
func ftpdMessage(a *Auth, msg string) bool {
	switch {
	case strings.HasPrefix(msg, "connection from "):
		ip, rest := cutWord(msg[len("connection from "):])
		if !isIP(ip) {
			return false
		}
		*a = Auth{Action: ActionFTPConnection, Category: categoryNetwork, Type: typeConnection, SourceIP: ip}
		if name, ok := strings.CutPrefix(rest, "("); ok {
			name, _, _ = strings.Cut(name, ")")
			if isHostName(name) {
				a.SourceDomain = name
			}
		}
		return true
	case strings.HasPrefix(msg, "ANONYMOUS FTP LOGIN FROM "):
		peer, _, _ := strings.Cut(msg[len("ANONYMOUS FTP LOGIN FROM "):], ",")
		*a = Auth{Action: ActionFTPLogin, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeSuccess, User: "anonymous"}
		a.ftpPeer(peer)
		return true
	case strings.HasPrefix(msg, "FTP LOGIN FROM "):
		peer, user, _ := strings.Cut(msg[len("FTP LOGIN FROM "):], ", ")
		*a = Auth{Action: ActionFTPLogin, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeSuccess}
		a.setUser(strings.TrimSpace(user))
		a.ftpPeer(peer)
		return true
	case strings.HasPrefix(msg, "failed login from "):
		*a = Auth{Action: ActionFTPLogin, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeFailure}
		a.ftpPeer(msg[len("failed login from "):])
		return true
	}
	return false
}

// ftpPeer parses "1.2.3.4" or "host.example.com [1.2.3.4]".
func (a *Auth) ftpPeer(s string) {
	name, rest, ok := strings.Cut(s, " [")
	if !ok {
		a.setSource(strings.TrimSpace(s))
		return
	}
	ip, _, _ := strings.Cut(rest, "]")
	a.setSource(ip)
	if isHostName(name) && name != ip {
		a.SourceDomain = name
	}
}

// vsftpdMessage recognises `[alice] OK LOGIN: Client "1.2.3.4"` and
// `[alice] FAIL LOGIN: Client "::ffff:1.2.3.4"`, with an optional
// "[pid 42] " in front.
func vsftpdMessage(a *Auth, msg string) bool {
	if strings.HasPrefix(msg, "[pid ") {
		_, msg, _ = strings.Cut(msg, "] ")
	}
	user, rest, ok := strings.Cut(strings.TrimPrefix(msg, "["), "] ")
	if !ok || !strings.HasPrefix(msg, "[") {
		return false
	}
	var outcome string
	switch {
	case strings.HasPrefix(rest, "OK LOGIN: "):
		outcome = event.OutcomeSuccess
	case strings.HasPrefix(rest, "FAIL LOGIN: "):
		outcome = event.OutcomeFailure
	default:
		return false
	}
	*a = Auth{Action: ActionFTPLogin, Category: categoryAuthentication, Type: typeStart, Outcome: outcome}
	a.setUser(user)
	if _, client, ok := strings.Cut(rest, `Client "`); ok {
		ip, _, _ := strings.Cut(client, `"`)
		if v4, ok := strings.CutPrefix(ip, "::ffff:"); ok && strings.IndexByte(v4, '.') > 0 {
			ip = v4
		}
		a.setSource(ip)
	}
	return true
}

// kerberosMessage recognises klogind's failures:
//
//	Authentication failed from 1.2.3.4 (host): Permission denied in replay cache code
//	Kerberos authentication failed
func kerberosMessage(a *Auth, msg string) bool {
	msg = strings.TrimSpace(msg)
	switch {
	case strings.HasPrefix(msg, "Authentication failed from "):
		peer, reason, _ := strings.Cut(msg[len("Authentication failed from "):], ": ")
		host, name, _ := strings.Cut(peer, " (")
		*a = Auth{Action: ActionKerberosAuthFailure, Category: categoryAuthentication, Type: typeStart,
			Outcome: event.OutcomeFailure, Reason: reason}
		a.setSource(host)
		if name = strings.TrimSuffix(name, ")"); name != host && isHostName(name) && !isIP(name) {
			a.SourceDomain = name
		}
		return true
	case msg == "Kerberos authentication failed":
		*a = Auth{Action: ActionKerberosAuthFailure, Category: categoryAuthentication, Type: typeStart,
			Outcome: event.OutcomeFailure}
		return true
	}
	return false
}

// gdmMessage recognises gdm's "Couldn't authenticate user".
func gdmMessage(a *Auth, msg string) bool {
	if !strings.HasPrefix(msg, "Couldn't authenticate user") {
		return false
	}
	*a = Auth{Action: ActionLogin, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeFailure}
	return true
}

// logindMessage recognises systemd-logind's "New session 12 of user
// alice." and "Removed session 12.".
func logindMessage(a *Auth, msg string) bool {
	switch {
	case strings.HasPrefix(msg, "New session "):
		_, user, ok := strings.Cut(msg, " of user ")
		if !ok {
			return false
		}
		*a = Auth{Action: ActionSessionOpened, Category: categorySession, Type: typeStart, Outcome: event.OutcomeSuccess}
		a.setUser(strings.TrimSuffix(user, "."))
		return a.User != ""
	case strings.HasPrefix(msg, "Removed session "):
		*a = Auth{Action: ActionSessionClosed, Category: categorySession, Type: typeEnd}
		return true
	}
	return false
}
