package authlog

import (
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// pamMessage recognises what PAM modules (pam_unix above all) log, after
// the "pam_unix(sshd:auth): " prefix or under a "sshd(pam_unix)" tag.
func pamMessage(a *Auth, msg string) bool {
	switch {
	case strings.HasPrefix(msg, "authentication failure; "):
		*a = Auth{Action: ActionPAMAuthFailure, Category: categoryAuthentication, Type: typeStart, Outcome: event.OutcomeFailure}
		a.pamItems(msg[len("authentication failure; "):])
		return true
	case strings.HasPrefix(msg, "PAM "):
		// "PAM 4 more authentication failures; logname= … rhost=1.2.3.4"
		n, rest, ok := strings.Cut(msg[len("PAM "):], " more authentication failure")
		count, isNum := atoi(n)
		if !ok || !isNum {
			return false
		}
		_, items, _ := strings.Cut(rest, "; ")
		*a = Auth{Action: ActionPAMAuthFailure, Category: categoryAuthentication, Type: typeStart,
			Outcome: event.OutcomeFailure, Repeat: count}
		a.pamItems(items)
		return true
	case strings.HasPrefix(msg, "check pass; user unknown"):
		*a = Auth{Action: ActionPAMUserUnknown, Category: categoryAuthentication, Type: typeInfo,
			Outcome: event.OutcomeFailure, Reason: "user unknown"}
		return true
	case strings.HasPrefix(msg, "session opened for user "):
		// "session opened for user news by (uid=0)"; Linux-PAM 1.5 adds
		// the uid: "session opened for user root(uid=0) by (uid=0)".
		user, _, _ := strings.Cut(msg[len("session opened for user "):], " by ")
		*a = Auth{Action: ActionSessionOpened, Category: categorySession, Type: typeStart, Outcome: event.OutcomeSuccess}
		a.setUser(trimUID(user))
		return a.User != ""
	case strings.HasPrefix(msg, "session closed for user "):
		*a = Auth{Action: ActionSessionClosed, Category: categorySession, Type: typeEnd}
		a.setUser(trimUID(strings.TrimSpace(msg[len("session closed for user "):])))
		return a.User != ""
	case strings.HasPrefix(msg, "password changed for "):
		*a = Auth{Action: ActionPasswordChanged, Category: categoryIAM, Type: typeChange, Outcome: event.OutcomeSuccess}
		a.setUser(strings.TrimSpace(msg[len("password changed for "):]))
		return a.User != ""
	}
	return false
}

// pamItems reads pam_unix's "logname= uid=0 euid=0 tty=ssh ruser=
// rhost=1.2.3.4  user=root": rhost is the peer, user the account.
func (a *Auth) pamItems(s string) {
	for s != "" {
		var item string
		item, s = cutWord(s)
		key, value, _ := strings.Cut(item, "=")
		switch key {
		case "rhost":
			a.setSource(value)
		case "user":
			a.setUser(value)
		}
	}
}

// trimUID removes the "(uid=0)" Linux-PAM 1.5 appends to user names.
func trimUID(user string) string {
	if i := strings.Index(user, "(uid="); i >= 0 {
		return user[:i]
	}
	return user
}
