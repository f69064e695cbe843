package authlog

import (
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// sshMessage recognises the messages of OpenSSH's sshd. The forms and their
// wording are those of OpenSSH 5 to 9 (auth.c, auth2.c, sshd.c, packet.c);
// "illegal user" is the pre-4.0 spelling of "invalid user".
func sshMessage(a *Auth, msg string) bool {
	msg = strings.TrimPrefix(msg, "error: ")
	msg = strings.TrimSuffix(msg, " [preauth]")
	switch msg[:min(len(msg), 4)] {
	case "Acce":
		if rest, ok := strings.CutPrefix(msg, "Accepted "); ok {
			return sshAttempt(a, rest, event.OutcomeSuccess)
		}
	case "Fail":
		if rest, ok := strings.CutPrefix(msg, "Failed "); ok {
			return sshAttempt(a, rest, event.OutcomeFailure)
		}
	case "Inva", "Ille":
		if rest, ok := cutInvalidUser(msg); ok {
			return sshInvalidUser(a, rest)
		}
	case "inpu":
		if rest, ok := strings.CutPrefix(msg, "input_userauth_request: "); ok {
			user, ok := cutInvalidUser(rest)
			if !ok {
				return false
			}
			*a = Auth{Action: ActionSSHInvalidUserRequest, Category: categoryAuthentication, Type: typeInfo,
				Outcome: event.OutcomeFailure, Reason: "invalid user", User: user}
			return true
		}
	case "Conn":
		if rest, ok := strings.CutPrefix(msg, "Connection closed by "); ok {
			return sshPeerEnd(a, ActionSSHConnectionClosed, rest)
		}
	case "Disc":
		if rest, ok := strings.CutPrefix(msg, "Disconnected from "); ok {
			return sshPeerEnd(a, ActionSSHDisconnect, rest)
		}
		if rest, ok := strings.CutPrefix(msg, "Disconnecting"); ok {
			return sshTooManyFailures(a, rest)
		}
	case "Rece":
		if rest, ok := strings.CutPrefix(msg, "Received disconnect from "); ok {
			return sshReceivedDisconnect(a, rest)
		}
	case "maxi":
		if rest, ok := strings.CutPrefix(msg, "maximum authentication attempts exceeded for "); ok {
			return sshMaxAttempts(a, rest)
		}
	case "reve":
		if rest, ok := strings.CutPrefix(msg, "reverse mapping checking getaddrinfo for "); ok {
			return sshReverseMapping(a, rest)
		}
	case "Addr":
		if rest, ok := strings.CutPrefix(msg, "Address "); ok && strings.HasSuffix(rest, "POSSIBLE BREAK-IN ATTEMPT!") {
			ip, rest, ok := strings.Cut(rest, " maps to ")
			name, _, _ := strings.Cut(rest, ", ")
			if !ok || !isIP(ip) {
				return false
			}
			*a = Auth{Action: ActionSSHReverseMapping, Category: categoryNetwork, Type: typeInfo, SourceIP: ip}
			if isHostName(name) {
				a.SourceDomain = name
			}
			return true
		}
	case "Did ":
		if rest, ok := strings.CutPrefix(msg, "Did not receive identification string from "); ok {
			*a = Auth{Action: ActionSSHNoIdentification, Category: categoryNetwork, Type: typeInfo}
			a.setPeer(rest)
			return a.SourceIP != "" || a.SourceDomain != ""
		}
	case "PAM:":
		if rest, ok := strings.CutPrefix(msg, "PAM: Authentication failure for "); ok {
			i := strings.LastIndex(rest, " from ")
			if i < 0 {
				return false
			}
			*a = Auth{Action: ActionPAMAuthFailure, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeFailure}
			user := rest[:i]
			if u, ok := cutInvalidUser(user); ok {
				user = u
				a.Reason = "invalid user"
			}
			a.setUser(user)
			a.setSource(rest[i+len(" from "):])
			return true
		}
	case "User":
		if rest, ok := strings.CutPrefix(msg, "User "); ok {
			return sshUserNotAllowed(a, rest)
		}
	case "ROOT":
		if rest, ok := strings.CutPrefix(msg, "ROOT LOGIN REFUSED FROM "); ok {
			*a = Auth{Action: ActionSSHRootLoginRefused, Category: categoryAuthentication, Type: typeStart,
				Outcome: event.OutcomeFailure, User: "root"}
			a.setPeer(rest)
			return true
		}
	}
	return false
}

// sshAttempt parses what follows "Accepted " or "Failed ":
// "password for [invalid user ]root from 1.2.3.4 port 22 ssh2[: RSA SHA256:…]".
func sshAttempt(a *Auth, rest, outcome string) bool {
	method, rest, ok := strings.Cut(rest, " for ")
	if !ok || method == "" || strings.IndexByte(method, ' ') >= 0 {
		return false
	}
	// The user name is attacker-chosen and may contain " from ": the
	// peer is after the last one.
	i := strings.LastIndex(rest, " from ")
	if i < 0 {
		return false
	}
	user, peer := rest[:i], rest[i+len(" from "):]
	host, rest, ok := strings.Cut(peer, " port ")
	if !ok {
		return false
	}
	port, proto := cutWord(rest)
	*a = Auth{Action: ActionSSHLogin, Category: categoryAuthentication, Type: typeStart, Outcome: outcome, Method: method}
	if u, ok := cutInvalidUser(user); ok {
		user = u
		a.Reason = "invalid user"
	}
	a.setUser(user)
	a.setSource(host)
	a.setPort(port)
	if _, sig, ok := strings.Cut(proto, ": "); ok {
		a.Signature = sig
	}
	return true
}

// sshInvalidUser parses what follows "Invalid user ": "admin from 1.2.3.4[ port 22]".
func sshInvalidUser(a *Auth, rest string) bool {
	i := strings.LastIndex(rest, " from ")
	if i < 0 {
		return false
	}
	*a = Auth{Action: ActionSSHInvalidUser, Category: categoryAuthentication, Type: typeInfo,
		Outcome: event.OutcomeFailure, Reason: "invalid user"}
	a.setUser(rest[:i])
	a.setPeer(rest[i+len(" from "):])
	return true
}

// sshPeerEnd parses the end of a connection: "1.2.3.4 port 22",
// "authenticating user root 1.2.3.4 port 22", "invalid user admin 1.2.3.4
// port 22" or "user root 1.2.3.4 port 22".
func sshPeerEnd(a *Auth, action, rest string) bool {
	*a = Auth{Action: action, Category: categoryAuthentication, Type: typeEnd}
	user, peer := cutUserPeer(rest)
	if u, ok := cutInvalidUser(user); ok {
		user = u
		a.Reason = "invalid user"
	}
	a.setUser(user)
	a.setPeer(peer)
	return a.SourceIP != "" || a.SourceDomain != ""
}

// sshReceivedDisconnect parses what follows "Received disconnect from ":
// "1.2.3.4: 11: Bye Bye" (OpenSSH 6) or "1.2.3.4 port 22:11: Bye Bye" (7+).
func sshReceivedDisconnect(a *Auth, rest string) bool {
	*a = Auth{Action: ActionSSHDisconnect, Category: categoryAuthentication, Type: typeEnd}
	if host, after, ok := strings.Cut(rest, " port "); ok {
		var port string
		port, rest, _ = strings.Cut(after, ":")
		a.setSource(host)
		a.setPort(port)
	} else {
		// An IPv6 address has colons but never ": ".
		var host string
		host, rest, _ = strings.Cut(rest, ": ")
		a.setSource(host)
	}
	if a.SourceIP == "" && a.SourceDomain == "" {
		return false
	}
	// "11: Bye Bye": keep the text, not the protocol's reason code.
	code, text, ok := strings.Cut(strings.TrimSpace(rest), ": ")
	if _, isCode := atoi(code); ok && isCode {
		rest = text
	}
	a.Reason = strings.TrimSpace(rest)
	return true
}

// sshTooManyFailures parses what follows "Disconnecting": ": Too many
// authentication failures for root" (OpenSSH 6) or " authenticating user
// root 1.2.3.4 port 22: Too many authentication failures" (7+).
func sshTooManyFailures(a *Auth, rest string) bool {
	const tooMany = "Too many authentication failures"
	*a = Auth{Action: ActionSSHTooManyFailures, Category: categoryAuthentication, Type: typeEnd,
		Outcome: event.OutcomeFailure, Reason: tooMany}
	if r, ok := strings.CutPrefix(rest, ": "+tooMany); ok {
		if user, ok := strings.CutPrefix(r, " for "); ok {
			if u, ok := cutInvalidUser(user); ok {
				user = u
			}
			a.setUser(user)
		}
		return true
	}
	who, ok := strings.CutSuffix(rest, ": "+tooMany)
	if !ok || !strings.HasPrefix(who, " ") {
		return false
	}
	user, peer := cutUserPeer(who[1:])
	if u, ok := cutInvalidUser(user); ok {
		user = u
	}
	a.setUser(user)
	a.setPeer(peer)
	return true
}

// sshMaxAttempts parses what follows "maximum authentication attempts
// exceeded for ": "[invalid user ]root from 1.2.3.4 port 22 ssh2".
func sshMaxAttempts(a *Auth, rest string) bool {
	i := strings.LastIndex(rest, " from ")
	if i < 0 {
		return false
	}
	*a = Auth{Action: ActionSSHTooManyFailures, Category: categoryAuthentication, Type: typeEnd,
		Outcome: event.OutcomeFailure, Reason: "maximum authentication attempts exceeded"}
	user := rest[:i]
	if u, ok := cutInvalidUser(user); ok {
		user = u
	}
	a.setUser(user)
	a.setPeer(strings.TrimSuffix(rest[i+len(" from "):], " ssh2"))
	return true
}

// sshReverseMapping parses what follows "reverse mapping checking
// getaddrinfo for ": "ns.example.com [1.2.3.4] failed - POSSIBLE BREAK-IN ATTEMPT!".
func sshReverseMapping(a *Auth, rest string) bool {
	name, rest, ok := strings.Cut(rest, " [")
	if !ok {
		return false
	}
	ip, _, ok := strings.Cut(rest, "]")
	if !ok || !isIP(ip) {
		return false
	}
	*a = Auth{Action: ActionSSHReverseMapping, Category: categoryNetwork, Type: typeInfo, SourceIP: ip}
	if isHostName(name) {
		a.SourceDomain = name
	}
	return true
}

// sshUserNotAllowed parses what follows "User ": "root from 1.2.3.4 not
// allowed because listed in DenyUsers".
func sshUserNotAllowed(a *Auth, rest string) bool {
	who, why, ok := strings.Cut(rest, " not allowed because ")
	if !ok {
		return false
	}
	i := strings.LastIndex(who, " from ")
	if i < 0 {
		return false
	}
	*a = Auth{Action: ActionSSHUserNotAllowed, Category: categoryAuthentication, Type: typeStart,
		Outcome: event.OutcomeFailure, Reason: why}
	a.setUser(who[:i])
	a.setSource(who[i+len(" from "):])
	return true
}

// cutInvalidUser removes the "invalid user " (or older "illegal user ")
// prefix, in either case.
func cutInvalidUser(s string) (string, bool) {
	if len(s) < len("invalid user ") {
		return s, false
	}
	switch s[:len("invalid user ")] {
	case "invalid user ", "Invalid user ", "illegal user ", "Illegal user ":
		return s[len("invalid user "):], true
	}
	return s, false
}

// cutUserPeer splits "[authenticating ]user NAME HOST[ port N]" into the
// user part ("NAME", or "invalid user NAME") and the peer "HOST[ port N]".
// Without a user part, the whole of s is the peer.
func cutUserPeer(s string) (user, peer string) {
	rest := s
	for _, p := range [...]string{"authenticating user ", "user "} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			rest = r
			break
		}
	}
	if rest == s && !strings.HasPrefix(s, "invalid user ") {
		return "", s
	}
	// The name may contain spaces; the peer is the last word, or the
	// last three with " port N".
	host := rest
	if i := strings.LastIndex(rest, " port "); i >= 0 {
		host = rest[:i]
	}
	j := strings.LastIndexByte(host, ' ')
	if j < 0 {
		return "", s
	}
	return rest[:j], rest[j+1:]
}

// setPeer parses "HOST" or "HOST port N".
func (a *Auth) setPeer(s string) {
	host, port, ok := strings.Cut(s, " port ")
	a.setSource(host)
	if ok {
		a.setPort(port)
	}
}

// setUser sets User unless the name is empty.
func (a *Auth) setUser(name string) {
	if name != "" {
		a.User = name
	}
}
