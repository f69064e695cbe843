package storetest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// base is the time of the first corpus event.
var base = time.Date(2024, 7, 31, 0, 0, 0, 0, time.UTC)

// Values the corpus draws from. They are chosen to catch index shortcuts
// that disagree with the matcher: case variants, the four non-ASCII runes
// that lowercase or fold to ASCII (İ, ı, ſ, the Kelvin sign), combining
// marks, words inside longer words, punctuation inside values, empty
// values, NUL and invalid UTF-8.
var (
	corpusUsers = []string{
		"alice", "Alice", "ALICE", "bob", "carol", "admin", "svc_admin", "administrator",
		"İbrahim", "ibrahim", "\u212Aelvin", "kelvin", "ſam", "sam", "josé", "jose\u0301", "JOSÉ",
		"O'Brien", "john smith", "john smith jr", "", "nul\x00byte", "bad\xffutf8", "DOMAIN\\svc",
	}
	corpusHosts = []string{"web-01", "WEB-01", "db-02.corp", "DB-02.CORP", "mail", "ıdle-host", "x"}
	corpusIPs   = []string{"10.0.0.5", "10.0.0.50", "10.0.0.5.1", "192.168.1.1", "fe80::1", "2001:db8::1", ""}
	corpusTexts = []string{
		"Failed password for invalid user admin from 10.0.0.5 port 22 ssh2",
		"Accepted password for alice from 192.168.1.1 port 50022 ssh2",
		"user=admin, action=login result=ok",
		"svc_admin logged in",
		"administrator account locked out",
		"Café crème served to JOSÉ",
		"cafe\u0301 noir for jose\u0301",
		"Kelvin \u212Aelvin temperature is 300K",
		"İstanbul office: İbrahim signed in",
		"powershell.exe -enc SQBFAFgA -nop",
		`C:\Windows\System32\cmd.exe /c whoami`,
		"GET /admin/index.html HTTP/1.1 200 5120",
		"日本語のログ メッセージ admin",
		"mimikatz sekurlsa::logonpasswords",
		"connection from 10.0.0.50:443 closed by peer",
		"password",
		"pass word",
		"",
		"ADMIN ADMIN admin",
		"x_admin_y admin2 2admin",
		"tab\tseparated\tadmin",
		"nul\x00inside admin",
		"bad\xffutf8 admin",
	}
	corpusOutcomes = []string{event.OutcomeSuccess, event.OutcomeFailure, event.OutcomeUnknown}
	corpusFormats  = []string{"syslog", "evtx", "jsonl"}
)

// corpus returns n varied events, in append order, without IDs. Their
// times mostly increase with their index, but some go back minutes or
// hours (late or replayed events) and some repeat (equal times), so that result order and
// paging cannot rely on ID order.
func corpus(n int, seed uint64) []*event.Event {
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	events := make([]*event.Event, n)
	t := base
	for i := range events {
		switch {
		case i%97 == 50:
			t = t.Add(-20 * time.Minute)
		case i%7 == 3:
			t = t.Add(-time.Duration(1+rng.IntN(600)) * time.Second)
		case i%5 == 0:
			// same time as the previous event
		default:
			t = t.Add(time.Duration(1+rng.IntN(300)) * time.Second)
		}
		e := &event.Event{
			Time:     t,
			Received: t.Add(time.Duration(rng.IntN(3000)) * time.Millisecond),
			Source:   event.SourceID(fmt.Sprintf("syslog-udp/10.1.0.%d", rng.IntN(4))),
			Format:   pick(corpusFormats),
		}
		text := pick(corpusTexts)
		switch rng.IntN(10) {
		case 0: // a malformed record: raw bytes only
			e.Kind = event.KindPipelineError
			e.ParseError = "syntax error at byte " + strconv.Itoa(rng.IntN(100))
			e.Raw = []byte(text + " \xfe\x00 trailing")
			events[i] = e
			continue
		case 1: // no message field: the raw record is the full text
			e.Raw = []byte("<13>1 host app - - " + text)
		case 3: // a message the raw record does not spell out
			e.Raw = []byte(base64.StdEncoding.EncodeToString([]byte(text)))
			e.Add(event.Message, text)
		case 2:
			e.Kind = event.KindAlert
			fallthrough
		default:
			e.Raw = []byte(fmt.Sprintf("<13>1 %s %s sshd - - %s", t.Format(time.RFC3339Nano), pick(corpusHosts), text))
			e.Add(event.Message, text)
		}
		if rng.IntN(8) != 0 {
			e.Add(event.UserName, pick(corpusUsers))
			if rng.IntN(5) == 0 { // multi-valued
				e.Add(event.UserName, pick(corpusUsers))
			}
		}
		if rng.IntN(6) != 0 {
			e.Add(event.HostName, pick(corpusHosts))
		}
		if rng.IntN(3) != 0 {
			e.Add(event.SourceIP, pick(corpusIPs))
		}
		if rng.IntN(3) != 0 {
			e.Add(event.DestinationIP, pick(corpusIPs))
			e.AddTyped(event.DestinationPort, strconv.Itoa([]int{22, 80, 443, 3389, 50022}[rng.IntN(5)]), event.Number)
		}
		e.Add(event.EventOutcome, pick(corpusOutcomes))
		if rng.IntN(4) == 0 {
			e.Add(event.ProcessCommandLine, pick(corpusTexts))
		}
		if rng.IntN(4) == 0 {
			e.AddTyped("network.bytes", strconv.Itoa(rng.IntN(100000)), event.Number)
		}
		e.Sort()
		events[i] = e
	}
	return events
}

// corpusQueries are the queries whose results the suite compares with the
// matcher's verdict on every event.
var corpusQueries = []string{
	"", "*",
	// entity fields: case, multi-valued, folding, wildcards, existence
	"user.name:alice", "user.name:ALICE", "user.name:admin", "user.name:adm*", "user.name:*admin",
	"user.name:*", "_exists_:user.name", "NOT _exists_:user.name", `user.name:"john smith"`,
	"user.name:İbrahim", "user.name:ibrahim", "user.name:kelvin", "user.name:\u212Aelvin", "user.name:sam",
	"user.name:ſam", "user.name:josé", "user.name:JOSÉ", "user.name:jos?", `user.name:DOMAIN\\svc`,
	`user.name:""`, "user.name:o'brien", "user.name:john*", `user.name:"nul` + "\x00" + `byte"`,
	"host.name:web-01", "host.name:WEB-01", "host.name:db-02.corp", "host.name:db-*", "host.name:*.corp",
	"host.name:idle-host", "host.name:ıdle-host",
	"source.ip:10.0.0.5", "source.ip:10.0.0.*", "source.ip:10.0.0.5*", "destination.ip:fe80::1",
	"destination.ip:192.168.1.1", `source.ip:""`,
	// full text: whole words, phrases, wildcards, punctuation, non-ASCII
	"admin", "ADMIN", "administrator", "admin*", "*admin", "adm?n", "*dmi*", "a*n",
	`"password for"`, `"Failed password"`, `"ssword fo"`, `"word"`, "password", "pass", `"pass word"`,
	"10.0.0.5", "10.0.0.*", "10.0.0.50", "café", "cafe", "crème", "kelvin", "300k", "istanbul", "İstanbul",
	"日本語のログ", "sekurlsa", `"sekurlsa::logon"`, "cmd.exe", "*cmd.exe", "whoami", "-enc", `"-enc"`,
	`"C:\\Windows"`, "index.html", "syntax", "trailing", "ssh2", "x_admin_y", "admin2", "separated",
	`"nul` + "\x00" + `inside"`, "utf8",
	// ranges, special fields, booleans
	"destination.port:[1 TO 1024]", "destination.port:>1000", "destination.port:{22 TO 443]",
	"network.bytes:<500", "event.outcome:failure AND user.name:admin",
	"user.name:alice OR host.name:mail", "NOT user.name:alice", "admin AND NOT svc_admin",
	"(alice OR bob) AND password", "(user.name:alice OR user.name:bob) host.name:web-01",
	"event.kind:pipeline_error", "event.kind:alert", "vigie.format:syslog", "vigie.source:syslog-udp*",
	"@timestamp:[2024-07-31T02:00:00Z TO 2024-07-31T05:00:00Z]", "_id:5", "event.original:*password*",
	"process.command_line:*whoami*", "user.name:alice admin", "NOT admin", "password OR NOT _exists_:source.ip",
	"user.name:(alice OR bob OR carol)", "event.ingested:>2024-07-31T04:00:00Z",
}
