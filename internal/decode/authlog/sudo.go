package authlog

import (
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
)

// sudoMessage recognises sudo's log line, "alice : TTY=pts/0 ; PWD=/home/alice
// ; USER=root ; COMMAND=/bin/ls -l". A denied command has a reason before
// the items: "alice : 3 incorrect password attempts ; TTY=… ; COMMAND=…".
func sudoMessage(a *Auth, msg string) bool {
	user, rest, ok := strings.Cut(strings.TrimLeft(msg, " "), " : ")
	if !ok || user == "" || strings.IndexByte(user, ' ') >= 0 {
		return false
	}
	*a = Auth{Action: ActionSudoCommand, Category: categoryProcess, Type: typeStart, Outcome: event.OutcomeSuccess, User: user}
	for rest != "" {
		// COMMAND comes last and may itself contain " ; ".
		if cmd, ok := strings.CutPrefix(rest, "COMMAND="); ok {
			a.Command = cmd
			break
		}
		var item string
		item, rest, _ = strings.Cut(rest, " ; ")
		key, value, ok := strings.Cut(item, "=")
		if !ok || !isUpperWord(key) {
			a.Outcome = event.OutcomeFailure
			a.Reason = item
			continue
		}
		switch key {
		case "TTY":
			a.TTY = value
		case "PWD":
			a.PWD = value
		case "USER":
			a.EffectiveUser = value
		}
	}
	if a.Command == "" {
		*a = Auth{}
		return false
	}
	return true
}

func isUpperWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// suMessage recognises su's own lines (its PAM lines are handled as PAM):
//
//	Successful su for root by alice     (shadow-utils)
//	FAILED su for root by alice
//	+ pts/0 alice:root                  (shadow-utils, older)
//	- pts/0 alice:root
//	(to root) alice on pts/0            (util-linux)
//	FAILED SU (to root) alice on pts/0
//	'su root' failed for lonvick on /dev/pts/8   (the RFC 3164 example)
func suMessage(a *Auth, msg string) bool {
	var from, to, outcome string
	switch {
	case strings.HasPrefix(msg, "Successful su for "):
		to, from, _ = strings.Cut(msg[len("Successful su for "):], " by ")
		outcome = event.OutcomeSuccess
	case strings.HasPrefix(msg, "FAILED su for "):
		to, from, _ = strings.Cut(msg[len("FAILED su for "):], " by ")
		outcome = event.OutcomeFailure
	case strings.HasPrefix(msg, "+ ") || strings.HasPrefix(msg, "- "):
		_, pair := cutWord(msg[2:])
		from, to, _ = strings.Cut(pair, ":")
		outcome = event.OutcomeSuccess
		if msg[0] == '-' {
			outcome = event.OutcomeFailure
		}
	case strings.HasPrefix(msg, "(to "):
		to, from = cutSuTo(msg)
		outcome = event.OutcomeSuccess
	case strings.HasPrefix(msg, "FAILED SU (to "):
		to, from = cutSuTo(msg[len("FAILED SU "):])
		outcome = event.OutcomeFailure
	case strings.HasPrefix(msg, "'su "):
		target, rest, ok := strings.Cut(msg[len("'su "):], "' failed for ")
		if !ok {
			return false
		}
		to = target
		from, _, _ = strings.Cut(rest, " on ")
		outcome = event.OutcomeFailure
	default:
		return false
	}
	if from == "" || to == "" {
		return false
	}
	*a = Auth{Action: ActionSu, Category: categoryAuthentication, Type: typeStart, Outcome: outcome,
		User: from, EffectiveUser: to}
	return true
}

// cutSuTo splits util-linux's "(to root) alice on pts/0".
func cutSuTo(s string) (to, from string) {
	to, rest, ok := strings.Cut(s[len("(to "):], ") ")
	if !ok {
		return "", ""
	}
	from, _, _ = strings.Cut(rest, " on ")
	return to, from
}
