package authn

import (
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
)

// FuzzAccountChange feeds arbitrary shadow-utils messages and Windows
// member names to the parsers of account.go: they must not panic, and a
// well-formed message must give back the names it was made of.
func FuzzAccountChange(f *testing.F) {
	for _, s := range []string{
		"new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0",
		"add 'bob' to group 'sudo'",
		"add `bob' to shadow group `sudo'",
		"user bob added by root to group wheel in /etc/gshadow",
		`CN=Smith\, John,OU=Staff,DC=corp,DC=example`,
		"add '' to group ''",
		"add 'a",
		"user  added by  to group ",
	} {
		f.Add(s, "usermod")
	}
	f.Fuzz(func(t *testing.T, msg, prog string) {
		if len(msg) > 4096 {
			return
		}
		for _, p := range []string{prog, "useradd", "usermod", "gpasswd"} {
			e := mk(t0, "syslog", event.ProcessName, p, event.Message, msg, event.HostName, "h")
			syslogChange(e)
		}
		commonName(msg)
		if strings.ContainsAny(msg, "'`") {
			return
		}
		c, ok := syslogChange(mk(t0, "syslog", event.ProcessName, "usermod", event.Message, "add '"+msg+"' to group 'sudo'"))
		if msg == "" {
			if ok {
				t.Errorf("an empty member was accepted: %+v", c)
			}
			return
		}
		if !ok || c.Member != msg || c.Group != "sudo" {
			t.Errorf("add %q to sudo: got %+v, %v", msg, c, ok)
		}
	})
}
