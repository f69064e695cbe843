package notify

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// Message kinds.
const (
	KindAlert          = "alert"           // an alert outside any incident
	KindIncidentNew    = "incident.new"    // an incident was opened
	KindIncidentUpdate = "incident.update" // an incident gained alerts or entities
	KindIncidentStatus = "incident.status" // an incident changed status or owner
	KindDecision       = "decision"        // a response decision (block, disable, isolate)
)

// Kinds returns the message kinds, in a stable order.
func Kinds() []string {
	return []string{KindAlert, KindIncidentNew, KindIncidentUpdate, KindIncidentStatus, KindDecision}
}

// Limits on one message; longer values are cut, with "…" at the end.
const (
	maxTitle      = 512
	maxText       = 4096
	maxShortValue = 256 // Key, Rule, Incident, Kind, Level, each field name and value
	maxURL        = 2048
	maxFields     = 32
	maxListed     = 20 // changes listed in one notification; the rest are counted
	maxFoldedKeys = 20
)

// Message is one change worth telling someone about. Notify copies what it
// keeps; the caller may reuse the Message afterwards.
type Message struct {
	Kind string    `json:"kind"` // one of the Kind constants
	Key  string    `json:"key"`  // grouping key: "incident/12", "rule/<id>"; derived when empty
	Time time.Time `json:"time"` // when it happened; Now when zero
	// Level is a Sigma level (informational, low, medium, high, critical);
	// "" counts as medium.
	Level    string            `json:"level"`
	Title    string            `json:"title"`
	Text     string            `json:"text,omitempty"`
	Rule     string            `json:"rule,omitempty"`     // rule id
	Incident string            `json:"incident,omitempty"` // incident id
	URL      string            `json:"url,omitempty"`      // where to look, in the console
	Fields   map[string]string `json:"fields,omitempty"`   // ECS name → value (user.name, source.ip…)
}

// Change is one grouped message, as a notification lists it.
type Change struct {
	Time  time.Time `json:"time"`
	Kind  string    `json:"kind"`
	Level string    `json:"level"`
	Title string    `json:"title"`
	Text  string    `json:"text,omitempty"`
}

// Notification is what a target receives: the messages of one key grouped
// together, with what the rate limit held back folded in. It is the JSON
// body a webhook receives.
type Notification struct {
	Key      string            `json:"key"`
	Kind     string            `json:"kind"`  // the first message's kind
	Level    string            `json:"level"` // the highest level of the group
	Title    string            `json:"title"` // the first message's title
	Rule     string            `json:"rule,omitempty"`
	Incident string            `json:"incident,omitempty"`
	URL      string            `json:"url,omitempty"` // the latest message's URL
	Fields   map[string]string `json:"fields,omitempty"`
	First    time.Time         `json:"first"`
	Last     time.Time         `json:"last"`
	Changes  int               `json:"changes"` // messages grouped, listed or not
	Listed   []Change          `json:"listed"`  // the first of them, at most 20
	// Folded counts the changes of other keys that the rate limit held
	// back and that this notification reports; FoldedKeys names some.
	Folded     int      `json:"folded,omitempty"`
	FoldedKeys []string `json:"folded_keys,omitempty"`
}

// normalize returns m bounded and completed: a key, a time, a level.
func normalize(m Message, now time.Time) Message {
	m.Kind = cut(m.Kind, maxShortValue)
	m.Rule = cut(m.Rule, maxShortValue)
	m.Incident = cut(m.Incident, maxShortValue)
	m.Title = cut(m.Title, maxTitle)
	m.Text = cut(m.Text, maxText)
	m.URL = cut(m.URL, maxURL)
	if !detect.ValidLevel(m.Level) {
		m.Level = "medium"
	}
	if m.Time.IsZero() {
		m.Time = now
	}
	switch {
	case m.Key != "":
		m.Key = cut(m.Key, maxShortValue)
	case m.Incident != "":
		m.Key = "incident/" + m.Incident
	case m.Rule != "":
		m.Key = "rule/" + m.Rule
	default:
		m.Key = m.Kind
	}
	if len(m.Fields) > 0 {
		names := sortedKeys(m.Fields)
		fields := make(map[string]string, min(len(names), maxFields))
		for _, name := range names[:min(len(names), maxFields)] {
			fields[cut(name, maxShortValue)] = cut(m.Fields[name], maxShortValue)
		}
		m.Fields = fields
	}
	return m
}

// cut shortens s to at most n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end := n - len("…")
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + "…"
}

// Subject is the notification in one line, as an e-mail subject:
// "[Vigie] HIGH incident 12: Title (+999 changes)".
func (n *Notification) Subject() string {
	var b strings.Builder
	b.WriteString("[Vigie] ")
	b.WriteString(strings.ToUpper(n.Level))
	switch {
	case n.Incident != "":
		b.WriteString(" incident " + n.Incident + ": ")
	case n.Kind == KindDecision:
		b.WriteString(" decision: ")
	default:
		b.WriteString(" alert: ")
	}
	b.WriteString(n.Title)
	if more := n.Changes - 1 + n.Folded; more > 0 {
		fmt.Fprintf(&b, " (+%s)", changes(more))
	}
	return oneLine(b.String())
}

// Text is the notification as plain text: what changed, the changes listed
// with their count, what the rate limit folded in, and the URL.
func (n *Notification) Text() string {
	var b strings.Builder
	b.WriteString(oneLine(n.Title) + "\n\n")
	fmt.Fprintf(&b, "Level: %s\nKind: %s\n", n.Level, oneLine(n.Kind))
	if n.Incident != "" {
		fmt.Fprintf(&b, "Incident: %s\n", oneLine(n.Incident))
	}
	if n.Rule != "" {
		fmt.Fprintf(&b, "Rule: %s\n", oneLine(n.Rule))
	}
	for _, name := range sortedKeys(n.Fields) {
		fmt.Fprintf(&b, "%s: %s\n", oneLine(name), oneLine(n.Fields[name]))
	}
	if n.Changes == 1 {
		fmt.Fprintf(&b, "\n1 change at %s:\n", n.First.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(&b, "\n%s from %s to %s:\n", changes(n.Changes),
			n.First.UTC().Format(time.RFC3339), n.Last.UTC().Format(time.RFC3339))
	}
	for _, c := range n.Listed {
		fmt.Fprintf(&b, "- %s [%s] %s: %s", c.Time.UTC().Format(time.RFC3339), c.Level, oneLine(c.Kind), oneLine(c.Title))
		if c.Text != "" {
			b.WriteString(" — " + oneLine(c.Text))
		}
		b.WriteString("\n")
	}
	if more := n.Changes - len(n.Listed); more > 0 {
		fmt.Fprintf(&b, "- and %d more %s\n", more, plural(more, "change"))
	}
	if n.Folded > 0 {
		fmt.Fprintf(&b, "\n%d more %s held back by the rate limit (%s).\n",
			n.Folded, plural(n.Folded, "change"), oneLine(strings.Join(n.FoldedKeys, ", ")))
	}
	if n.URL != "" {
		fmt.Fprintf(&b, "\n%s\n", oneLine(n.URL))
	}
	return b.String()
}

// changes is "1 change" or "N changes".
func changes(n int) string { return strconv.Itoa(n) + " " + plural(n, "change") }

// plural is word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// oneLine replaces control characters (line breaks among them) by spaces,
// so that a value from a log cannot add lines or headers.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// AlertMessage builds the message for a stored alert event (detect's
// Alert.ToEvent): kind alert, keyed by incident when incident is not ""
// and by rule otherwise, with the rule, level, title, message and entity
// fields of the event. url is where the console shows it.
func AlertMessage(e *event.Event, incident, url string) Message {
	get := func(name string) string { v, _ := e.Get(name); return v }
	m := Message{Kind: KindAlert, Time: e.Time, Level: get("rule.level"), Title: get("rule.name"),
		Rule: get("rule.id"), Incident: incident, URL: url, Fields: map[string]string{}}
	if text := e.Message(); text != m.Title {
		m.Text = text
	}
	if e.ID != 0 {
		m.Fields["vigie.alert.id"] = strconv.FormatInt(int64(e.ID), 10)
	}
	for _, name := range append(event.EntityFields(), "threat.technique.id", "threat.tactic.name", "vigie.detector") {
		var vs []string
		for _, f := range e.Values(name) {
			vs = append(vs, f.Value)
		}
		if len(vs) > 0 {
			sort.Strings(vs)
			m.Fields[name] = strings.Join(vs, ", ")
		}
	}
	return m
}
