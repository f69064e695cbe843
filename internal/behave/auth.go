package behave

import (
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// Auth is an authentication attempt as the detectors see it, whatever
// reported it: sshd, Windows (4624, 4625, 4648, 4768, 4771, 4776), Entra
// ID sign-ins, CloudTrail ConsoleLogin, a VPN or web login. It is read
// from the ECS fields the decoders fill.
type Auth struct {
	Time    time.Time
	User    string // user.name, lower-cased; "" when unknown
	Domain  string // user.domain
	Source  string // source.ip; "" when the record has none ("-", local)
	Host    string // host.name: where the login happened
	Success bool
	// Service says what was logged into: the event's format and code
	// ("syslog/sshd", "evtx/4625", "cloudtrail/ConsoleLogin"…).
	Service string
	Country string // source.geo.country_iso_code, when the decoder knows it
}

// AuthOf returns the authentication attempt ev records: an event of
// category authentication whose outcome is success or failure. Logoffs
// (event.type end) are not attempts.
func AuthOf(ev *event.Event) (Auth, bool) {
	if !hasValue(ev, event.EventCategory, "authentication") || hasValue(ev, event.EventType, "end") {
		return Auth{}, false
	}
	outcome, _ := ev.Get(event.EventOutcome)
	if outcome != event.OutcomeSuccess && outcome != event.OutcomeFailure {
		return Auth{}, false
	}
	a := Auth{Time: ev.Time, Success: outcome == event.OutcomeSuccess}
	a.User = strings.ToLower(clean(first(ev, event.UserName)))
	a.Domain = clean(first(ev, event.UserDomain))
	a.Source = clean(first(ev, event.SourceIP))
	if a.Source == "127.0.0.1" || a.Source == "::1" {
		a.Source = ""
	}
	a.Host = strings.ToLower(clean(first(ev, event.HostName)))
	a.Country = first(ev, "source.geo.country_iso_code")
	a.Service = ev.Format
	if code := first(ev, event.EventCode); code != "" {
		a.Service += "/" + code
	} else if p := first(ev, event.ProcessName); p != "" {
		a.Service += "/" + p
	} else if act := first(ev, event.EventAction); act != "" {
		a.Service += "/" + act
	}
	if a.User == "" && a.Source == "" {
		return Auth{}, false
	}
	return a, true
}

func first(ev *event.Event, name string) string {
	v, _ := ev.Get(name)
	return v
}

func hasValue(ev *event.Event, name, want string) bool {
	for _, f := range ev.Values(name) {
		if f.Value == want {
			return true
		}
	}
	return false
}

// clean returns "" for the placeholders logs write for "no value".
func clean(s string) string {
	switch s {
	case "-", "", "N/A", "null":
		return ""
	}
	return s
}
