package query

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// newEvent returns an event with the given name, value pairs as fields.
func newEvent(pairs ...string) *event.Event {
	ev := &event.Event{
		ID:       42,
		Time:     time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC),
		Received: time.Date(2024, 5, 1, 10, 30, 2, 500, time.UTC),
		Source:   "syslog-udp/10.0.0.5",
		Format:   "syslog",
		Raw:      []byte("<38>May  1 10:30:00 web-01 sshd[1234]: raw record"),
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		ev.Add(pairs[i], pairs[i+1])
	}
	ev.Sort()
	return ev
}

// checkMatch checks Match and a compiled Matcher against each other and
// against want.
func checkMatch(t *testing.T, query string, ev *event.Event, want bool) {
	t.Helper()
	e, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	m, err := Compile(e)
	if err != nil {
		t.Fatalf("Compile(%s): %v", e, err)
	}
	if got := m.Match(ev); got != want {
		t.Fatalf("%q (plan %s) matched %v = %v, want %v", query, m, ev, got, want)
	}
	if got := Match(e, ev); got != want {
		t.Fatalf("Match(%q, %v) = %v, want %v", query, ev, got, want)
	}
}

func TestMatchFields(t *testing.T) {
	ev := newEvent(
		"user.name", "Admin",
		"source.ip", "10.0.0.17",
		"tags", "first",
		"tags", "Second Tag",
		"process.command_line", `C:\Tools\MIMIKATZ.exe "privilege::debug" exit`,
		"process.executable", `C:\Windows\System32\cmd.exe`,
		"empty", "",
		"city", "Zürich",
		"unit", "5 \u212a",
	)
	f := func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, ev, want)
	}

	// Equality ignores case, and is on the whole value.
	f("user.name:admin", true)
	f("user.name:ADMIN", true)
	f("user.name:adm", false)
	f("user.name:admins", false)
	f(`user.name:"admin"`, true)
	f(`city:ZÜRICH`, true)
	f(`unit:"5 k"`, true) // the Kelvin sign lowercases to k
	f(`tags:"second tag"`, true)
	f(`tags:second`, false)
	f(`empty:""`, true)
	f(`user.name:""`, false)

	// Any value of a multi-valued field.
	f("tags:first", true)
	f(`tags:"Second Tag"`, true)
	f("tags:third", false)
	f("tags:(third OR first)", true)
	f("tags:(first AND second*)", true)

	// Missing fields.
	f("nope:x", false)
	f("NOT nope:x", true)
	f("_exists_:nope", false)
	f("_exists_:tags", true)
	f("_exists_:empty", true)
	f("nope:*", false)

	// Wildcards match the whole value.
	f("source.ip:10.0.0.*", true)
	f("source.ip:10.0.1.*", false)
	f("source.ip:*.17", true)
	f("source.ip:*.1", false)
	f("source.ip:*0.0*", true)
	f("source.ip:10.*.17", true)
	f("source.ip:10.*.18", false)
	f("source.ip:10.0.0.1?", true)
	f("source.ip:10.0.0.?", false)
	f("source.ip:1?.*.?7", true)
	f("process.command_line:*mimikatz*", true)
	f("process.command_line:*mimikatz", false)
	f(`process.command_line:*privilege\:\:debug*`, true)
	f(`process.command_line:*mimikatz.exe\ \"privilege*`, true)
	f(`process.command_line:c*tools*exit`, true)
	f(`process.command_line:c*exit*tools`, false)
	f(`process.executable:*\cmd.exe`, true)
	f(`process.executable:*\\cmd.exe`, true)
	f(`process.executable:*\\CMD.EXE`, true)
	f(`process.executable:*\\powershell.exe`, false)
	f(`process.executable:"C:\Windows\System32\cmd.exe"`, true)
	f(`process.executable:C\:\\Windows\\System32\\cmd.exe`, true)
	f(`process.executable:C:\\Windows\\System32\\cmd.exe`, true)
	f("city:z?rich", true)
	f("city:z??rich", false)
	f("unit:5?k", true)
	f(`user.name:a\*`, false)
	f(`"admin"`, false) // bare phrases do not search fields
}

func TestMatchLiteralWildcard(t *testing.T) {
	ev := newEvent("f", "a*b", "g", "a?b", "h", `a\b`)
	f := func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, ev, want)
	}
	f(`f:a\*b`, true)
	f(`f:a\*?`, true)
	f(`f:a\**`, true)
	f(`g:a\*b`, false)
	f(`g:a\?b`, true)
	f(`f:a\?b`, false)
	f(`h:a\\b`, true)
	f(`h:a\\*`, true)
	f(`h:*\\b`, true)
}

func TestMatchFullText(t *testing.T) {
	msg := newEvent("message", "Failed password for invalid user admin from 203.0.113.9 port 22 ssh2; svc_backup user=root, ADMINISTRATOR -enc ZQBj")
	f := func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, msg, want)
	}

	// Whole words, ignoring case.
	f("failed", true)
	f("FAILED", true)
	f("fail", false)
	f("password", true)
	f("admin", true)
	f("administrator", true)
	f("administ", false)
	f("root", true)
	f("backup", true) // '_' separates words
	f("svc_backup", true)
	f("203.0.113.9", true)
	f("203.0.113", true)
	f("03.0.113.9", false)
	f("ssh", false)
	f("ssh2", true)
	f("user=root,", true)
	f("-enc", false) // '-' is NOT
	f(`\-enc`, true)
	f(`enc`, true)
	f(`invalid\ user`, true)
	f(`invalid\ use`, false)
	f("failed password", true) // AND of two words
	f("failed nope", false)
	f("failed OR nope", true)
	f("NOT nope", true)

	// Phrases match anywhere.
	f(`"Failed password"`, true)
	f(`"failed PASSWORD for"`, true)
	f(`"ailed pass"`, true)
	f(`"password failed"`, false)
	f(`""`, true)

	// Wildcards.
	f("pass*", true)
	f("*word", true)
	f("*sswor*", true)
	f("adm*", true)
	f("*ministrator", true)
	f("*backup", true)
	f("fail*word", false) // wildcards do not cross white space
	f("f?iled", true)
	f("f?led", false)
	f("203.0.113.*", true)
	f("203.*.9", true)
	f("203.?.113.9", true)
	f("*.113.*", true)
	f("ssh?", true)
	f("ss?", false)
	f("?", true) // ';' in "ssh2;"
	f("zz*", false)
	f("*zz", false)
	f("*zz*", false)
	f("p*d f*r", true) // two words
	f(`p*d\ f*r`, true)
	f(`p*d\ x*`, false)
	f(`i*d\ u*r`, true)
	f(`i*d\ u*r\ z*`, false)

	// The full text is the message, not the raw record or other fields.
	f("sshd", false)
	f("raw", false)

	raw := newEvent("user.name", "bob")
	f = func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, raw, want)
	}
	f("sshd", true)
	f("sshd*", true)
	f("web-01", true)
	f("web", true)
	f(`"raw record"`, true)
	f("bob", false)

	empty := &event.Event{}
	f = func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, empty, want)
	}
	f("a", false)
	f(`"a"`, false)
	f(`""`, true)
	f("a*", false)
	f("a?", false)
	f("*", true)

	short := newEvent("message", "ab cd e")
	checkMatch(t, "?", short, true)
	checkMatch(t, "???", short, false)
	checkMatch(t, "?b", short, true)
	checkMatch(t, "?d", short, true)
	checkMatch(t, "a?", short, true)
	checkMatch(t, "b?", short, false)
}

func TestMatchRange(t *testing.T) {
	ev := newEvent(
		"port", "443",
		"bytes", "1.5e3",
		"neg", "-7",
		"name", "mallory",
		"code", "404",
		"code", "abc",
		"seen", "2024-04-30T23:00:00-02:00",
		"day", "2024-05-01",
	)
	f := func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, ev, want)
	}
	f("port:[1 TO 1024]", true)
	f("port:[443 TO 1024]", true)
	f("port:{443 TO 1024]", false)
	f("port:[1 TO 443]", true)
	f("port:[1 TO 443}", false)
	f("port:[1000 TO 5000]", false)
	f("port:[80 TO 1000]", true) // as numbers: "443" > "1000" as strings
	f("port:>442", true)
	f("port:>443", false)
	f("port:>=443", true)
	f("port:<443", false)
	f("port:<=443", true)
	f("port:<1e3", true)
	f("port:[* TO *]", true)
	f("nope:[* TO *]", false)
	f("bytes:[1000 TO 2000]", true)
	f("bytes:>1500", false)
	f("bytes:>=1500.0", true)
	f("neg:<0", true)
	f("neg:[-10 TO -5]", true)

	// Strings compare bytewise, case-sensitively.
	f("name:[m TO n]", true)
	f("name:[a TO m]", false)
	f("name:[M TO N]", false)
	f("name:>mallorz", false)
	f("name:>mallor", true)

	// Any value of a multi-valued field: "abc" > "500" as strings.
	f("code:[400 TO 499]", true)
	f("code:>=500", true)
	f("code:[500 TO 599]", false)

	// Times compare as instants, whatever their zone.
	f("seen:[2024-05-01T00:00:00Z TO 2024-05-01T02:00:00Z]", true)
	f("seen:>2024-05-01T01:00:00Z", false)
	f("seen:>=2024-05-01T01:00:00Z", true)
	f("seen:>=2024-05-01", true)
	f("day:[2024-04-30T12:00:00Z TO 2024-05-01T00:00:00Z]", true)
	f("day:<2024-05-01T00:00:00Z", false)
}

func TestMatchSpecialFields(t *testing.T) {
	ev := newEvent("message", "hello", "event.kind", "ignored", "@timestamp", "ignored")
	ev.Kind = event.KindAlert
	f := func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, ev, want)
	}

	// @timestamp is Event.Time, 2024-05-01T10:30:00Z.
	f("@timestamp:[2024-05-01T10:00:00Z TO 2024-05-01T11:00:00Z]", true)
	f("@timestamp:[2024-05-01 TO 2024-05-02]", true)
	f("@timestamp:<2024-05-01T10:30:00Z", false)
	f("@timestamp:<=2024-05-01T10:30:00Z", true)
	f("@timestamp:>=2024-05-01T12:30:00+02:00", true)
	f("@timestamp:>2024-05-01T12:30:00+02:00", false)
	f("@timestamp:2024-05-01", true) // the whole day
	f("@timestamp:2024-05-02", false)
	f("@timestamp:2024-05-01T10:30:00Z", true)
	f("@timestamp:2024-05-01T12:30:00+02:00", true)
	f("@timestamp:2024-05-01T10:30:00.000000001Z", false)
	f("@timestamp:2024-05-01T10*", true)
	f("@timestamp:ignored", false)
	f("_exists_:@timestamp", true)

	// event.ingested is Event.Received, 2024-05-01T10:30:02.0000005Z.
	f("event.ingested:>2024-05-01T10:30:02Z", true)
	f("event.ingested:2024-05-01T10:30:02.0000005Z", true)
	f("event.ingested:*02.0000005Z", true)

	f("event.kind:alert", true)
	f("event.kind:ALERT", true)
	f("event.kind:event", false)
	f("event.kind:ignored", false)
	f("event.kind:al*", true)
	f("_id:42", true)
	f("_id:43", false)
	f("_id:4*", true)
	f("_id:[40 TO 50]", true)
	f("_id:>100", false)
	f("_id:[4 TO 5]", false)
	f("vigie.source:syslog-udp/10.0.0.5", true)
	f("vigie.source:syslog-udp*", true)
	f("vigie.format:SYSLOG", true)
	f("event.original:*sshd\\[1234\\]*", true)
	f(`event.original:"<38>May  1 10:30:00 web-01 sshd[1234]: raw record"`, true)
	f("event.original:sshd", false)

	zero := &event.Event{}
	f = func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, zero, want)
	}
	f("_exists_:@timestamp", false)
	f("_exists_:event.ingested", false)
	f("_exists_:_id", false)
	f("_exists_:vigie.source", false)
	f("_exists_:vigie.format", false)
	f("_exists_:event.original", false)
	f("_exists_:event.kind", true)
	f("event.kind:event", true)
	f("@timestamp:<2024-05-01", false)
	f("@timestamp:0001*", false)
	f("_id:0", false)
	f("_id:<100", false)
}

func TestMatchBoolean(t *testing.T) {
	ev := newEvent("a", "1", "b", "2")
	f := func(query string, want bool) {
		t.Helper()
		checkMatch(t, query, ev, want)
	}
	f("*", true)
	f("", true)
	f("NOT *", false)
	f("a:1 AND b:2", true)
	f("a:1 AND b:3", false)
	f("a:1 b:3", false)
	f("a:2 OR b:2", true)
	f("a:2 OR b:3", false)
	f("NOT a:2", true)
	f("-a:1", false)
	f("a:1 AND NOT (b:3 OR b:4)", true)
	f("a:1 AND NOT (b:2 OR b:4)", false)
	f("a:9 OR b:2 AND a:1", true)
	f("(a:9 OR b:2) AND a:9", false)
	f("a:(1 OR 9) b:(2 OR 9)", true)
	f("a:(1 AND 9)", false)
}

func TestMatchNilAndHandBuilt(t *testing.T) {
	ev := newEvent("f", "x")
	f := func(e Expr, want bool) {
		t.Helper()
		if got := Match(e, ev); got != want {
			t.Fatalf("Match(%v) = %v, want %v", e, got, want)
		}
	}
	f(nil, true)
	f(&And{}, true)
	f(&Or{}, false)
	f(&Not{}, false)
	f(&And{Operands: []Expr{nil, &Term{Field: "f", Value: "x"}}}, true)
	f(&Or{Operands: []Expr{&Term{Field: "f", Value: "y"}}}, false)
	f(&Term{Value: "", Wildcard: false}, true)
	f(&Range{Field: "f", Lo: "x", IncLo: true}, true)
	f(&Range{Field: "f", Lo: "x"}, false)
}

func TestCompileErrors(t *testing.T) {
	f := func(e Expr, msg string) {
		t.Helper()
		_, err := Compile(e)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Fatalf("Compile(%v) error %v, want one containing %q", e, err, msg)
		}
	}
	f(&Range{Lo: "1"}, "range without a field")
	f(&Term{Field: "f", Value: `a\`, Wildcard: true, Pattern: `a\`}, `unpaired '\'`)
	f(&Term{Field: "f", Value: "a*", Wildcard: true}, "has no pattern")
	f(&Not{Operand: (*Term)(nil)}, "nil *Term")
	f(&Term{Field: "f", Wildcard: true, Pattern: strings.Repeat("?", MaxPatternLen+1)}, "longer than 1024 bytes")
	f(&And{Operands: []Expr{&Term{Value: "a"}, (*Or)(nil)}}, "nil *Or")
}

func TestMatchPanicsOnInvalidTree(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "BUG: ") {
			t.Fatalf("recover() = %v, want a BUG panic", r)
		}
	}()
	Match(&Range{}, newEvent())
}

// TestPlan checks that Compile chooses the cheap checks it should, and
// orders And and Or operands cheapest first.
func TestPlan(t *testing.T) {
	f := func(query, want string) {
		t.Helper()
		e, err := Parse(query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", query, err)
		}
		m, err := Compile(e)
		if err != nil {
			t.Fatalf("Compile(%s): %v", e, err)
		}
		if got := m.String(); got != want {
			t.Fatalf("plan of %q = %s, want %s", query, got, want)
		}
	}
	f("*", "all")
	f("f:ABC", `eq(f, "abc")`)
	f("f:*", "exists(f)")
	f("f:ab*", `prefix(f, "ab*")`)
	f("f:*ab", `suffix(f, "*ab")`)
	f("f:*ab*", `contains(f, "*ab*")`)
	f("f:a*b", `stars(f, "a*b")`)
	f("f:*a*b*", `stars(f, "*a*b*")`)
	f("f:a?b", `glob(f, "a?b")`)
	f("f:[1 TO 2}", "range(f, [1 TO 2})")
	f("@timestamp:2024-05-01", "time(@timestamp, 2024-05-01T00:00:00Z, 2024-05-02T00:00:00Z)")
	f("_id:7", "id(_id, 7)")
	f("Word", `word("word")`)
	f(`"Two Words"`, `substring("two words")`)
	f("ab*", `word-prefix("ab")`)
	f("*ab", `word-suffix("ab")`)
	f("*ab*", `substring("ab")`)
	f("a*b", `text-glob("a*b")`)
	f(`""`, "all")
	f(`word f:a*b f:x* f:x f:*`, `and(exists(f), eq(f, "x"), prefix(f, "x*"), stars(f, "a*b"), word("word"))`)
	f(`word OR NOT f:x`, `or(not(eq(f, "x")), word("word"))`)
}
