package telemetry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// ClearedConfig tunes the Cleared detector. Zero fields take the defaults
// of DefaultClearedConfig.
type ClearedConfig struct {
	// Window: one finding per entity (a host's log or logging service, a
	// trail, an Azure resource) per Window; repeats within it are counted
	// in the next finding. Default 1h.
	Window time.Duration `yaml:"window"`
	// BootWindow is how far apart a logging stop and the host's shutdown
	// record, or a logging start and its boot record, may be for them to
	// count as a normal shutdown or boot; it is also how long after a
	// stopped log comes back a boot record is awaited. Shutdown records
	// (1074, 6006) come within seconds to a minute of the event log
	// service's 1100, boot records (4608, 6005, Kernel-General 12) within
	// a minute or two of its start. Default 10m.
	BootWindow time.Duration `yaml:"boot_window"`
	// CloudTrailActions are the CloudTrail event names (of
	// cloudtrail.amazonaws.com) reported. Default StopLogging,
	// DeleteTrail, UpdateTrail, PutEventSelectors.
	CloudTrailActions []string `yaml:"cloudtrail_actions"`
}

// DefaultClearedConfig returns the defaults.
func DefaultClearedConfig() ClearedConfig {
	return ClearedConfig{
		Window:            time.Hour,
		BootWindow:        10 * time.Minute,
		CloudTrailActions: []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"},
	}
}

// Validate reports settings that cannot work, after defaults.
func (c ClearedConfig) Validate() error {
	for _, a := range c.withDefaults().CloudTrailActions {
		if a == "" {
			return errors.New("cleared: empty name in cloudtrail_actions")
		}
	}
	return nil
}

func (c ClearedConfig) withDefaults() ClearedConfig {
	d := DefaultClearedConfig()
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.BootWindow <= 0 {
		c.BootWindow = d.BootWindow
	}
	if len(c.CloudTrailActions) == 0 {
		c.CloudTrailActions = d.CloudTrailActions
	}
	return c
}

// Cleared reports an audit log cleared, stopped or reduced, from what the
// logs say happened to them:
//
//   - Windows: Security log cleared (1102), a log cleared (104; the
//     channel cleared is the record's UserData Channel), the event logging
//     service shut down (1100), its service stopped, crashed, restarted or
//     disabled (Service Control Manager 7036, 7034, 7031, 7040; WerFault
//     started by the svchost hosting EventLog, "-s EventLog"; Sysmon 17,
//     the \eventlog pipe created anew), Sysmon stopped (Sysmon 4 State
//     "Stopped", 7036 for Sysmon or Sysmon64).
//   - Linux: auditd's DAEMON_END and DAEMON_ABORT, CONFIG_CHANGE with
//     audit_enabled=0, systemd's "Stopped Security Auditing Service" (or
//     auditd.service), and the commands "service auditd stop", "systemctl
//     stop|disable|mask|kill auditd", "auditctl -e 0" in any process
//     event or sudo line.
//   - AWS: CloudTrail StopLogging, DeleteTrail, UpdateTrail,
//     PutEventSelectors (CloudTrailActions).
//   - Azure: a diagnostic setting deleted (Activity log operationName
//     …/diagnosticSettings/delete, as a string or as {value,
//     localizedValue} "Delete diagnostic setting"), Entra ID's
//     (microsoft.aadiam) included.
//
// Clearing, stopping, disabling and crashing are reported at once, at
// level high. A CloudTrail UpdateTrail, or a PutEventSelectors that keeps
// management and write events, is medium; a failed attempt is medium.
//
// Some stops are also written by every normal shutdown (1100, Sysmon
// Stopped, 7036 stopped, auditd's DAEMON_END without a user, systemd's
// Stopped), and the event log service's start by every boot. Cleared
// keeps, per host, the time of its last shutdown record (System 1074 and
// 6006, Security 4609, auditd SYSTEM_SHUTDOWN, systemd's "Reached target
// Shutdown"…) and boot record (Security 4608, System 6005 and 6009,
// Kernel-General 12, auditd SYSTEM_BOOT, the kernel's "Linux version"). A
// stop within BootWindow of a shutdown record, or followed by a boot
// record, is a shutdown: nothing is reported. Otherwise it waits: when the
// host's events come again without a boot record within BootWindow, the
// log was stopped and came back without a restart, and that is reported
// high. A start of the event log service with no boot record within
// BootWindow is a restart after a stop or crash, reported high. A stop
// still undecided at the end of a hunt's input is reported by Flush, low.
// Hosts are matched by the first label of host.name, lower-cased, so that
// "PC01.example.corp" and "pc01" are one host.
//
// Not done: rule deletions (auditctl -D's CONFIG_CHANGE op=remove_rule,
// which every augenrules reload also writes), Sysmon configuration
// changes (Sysmon 16), localised service names in 7036 and 7040 (the
// English display names "Windows Event Log", "Sysmon", "Sysmon64" are
// matched).
type Cleared struct {
	cfg     ClearedConfig
	lim     behave.Limits
	actions map[string]bool // CloudTrailActions
	hosts   *behave.Table[*hostState]
	fired   *behave.Table[*firedState]
	pending int // stops and starts awaiting a decision, over all hosts
}

var (
	_ behave.Detector = (*Cleared)(nil)
	_ behave.Flusher  = (*Cleared)(nil)
)

// NewCleared returns a Cleared detector.
func NewCleared(cfg ClearedConfig, lim behave.Limits) *Cleared {
	lim = lim.WithDefaults()
	cfg = cfg.withDefaults()
	c := &Cleared{
		cfg:     cfg,
		lim:     lim,
		actions: map[string]bool{},
		hosts:   behave.NewTable[*hostState](lim.MaxEntities),
		fired:   behave.NewTable[*firedState](lim.MaxEntities),
	}
	for _, a := range cfg.CloudTrailActions {
		c.actions[a] = true
	}
	return c
}

// Name implements behave.Detector.
func (c *Cleared) Name() string { return "cleared" }

// class says when a signal is reported.
type class uint8

const (
	// now: reported at once.
	now class = iota
	// stop: also written by a normal shutdown; decided later.
	stop
	// start: the event log service starting, also written at boot;
	// decided later.
	start
)

// signal is one thing that happened to a log.
type signal struct {
	// Key is the entity: one finding per Key per Window.
	Key      string          `json:"key"`
	Class    class           `json:"class"`
	Title    string          `json:"title"`
	Level    string          `json:"level"`
	Text     string          `json:"text"` // one sentence: what the record says
	Tags     []string        `json:"tags"`
	Entities []behave.Entity `json:"entities"`
}

// marker is a host's shutdown or boot record.
type marker uint8

const (
	noMarker marker = iota
	shutdownMarker
	bootMarker
)

// hostState is what Cleared keeps per host.
type hostState struct {
	Shutdown time.Time  `json:"shutdown,omitzero"` // last shutdown record
	Boot     time.Time  `json:"boot,omitzero"`     // last boot record
	Pending  []*pending `json:"pending,omitempty"`
}

// pending is a stop or start awaiting a decision.
type pending struct {
	Signal signal    `json:"signal"`
	At     time.Time `json:"at"`
	Ref    string    `json:"ref"`
	// After is the first event of the host after a stop, other than a
	// shutdown or boot record or another stop.
	After    time.Time `json:"after,omitzero"`
	AfterRef string    `json:"after_ref,omitempty"`
}

// maxPending bounds the stops and starts awaiting a decision per host.
const maxPending = 8

// hostMemory is how long a host's records and undecided stops are kept
// without news of the host.
const hostMemory = 7 * 24 * time.Hour

// firedState is the last finding of an entity.
type firedState struct {
	Until      time.Time `json:"until"`
	Suppressed int       `json:"suppressed,omitempty"`
}

// Observe implements behave.Detector.
func (c *Cleared) Observe(ev *event.Event, ref string) []behave.Finding {
	if ev.Kind != event.KindEvent {
		return nil
	}
	sig, ok := c.classify(ev)
	m := markerOf(ev)
	var hs *hostState
	switch {
	case m != noMarker || (ok && sig.Class != now):
		hs = c.hosts.Get(hostKey(ev), ev.Time, func() *hostState { return &hostState{} })
	case c.pending > 0:
		if h, found := c.hosts.Peek(hostKey(ev)); found && len(h.Pending) > 0 {
			hs = h
		}
	}
	var out []behave.Finding
	if hs != nil {
		switch m {
		case shutdownMarker:
			hs.Shutdown = later(hs.Shutdown, ev.Time)
		case bootMarker:
			hs.Boot = later(hs.Boot, ev.Time)
		}
		if len(hs.Pending) > 0 {
			other := m == noMarker && !(ok && sig.Class == stop)
			out = c.settle(hs, ev.Time, other, ref)
		}
	}
	if !ok {
		return out
	}
	switch sig.Class {
	case now:
		out = append(out, c.fire(sig, ev.Time, ev.Time, []string{ref}, 0)...)
	case stop:
		if !near(hs.Shutdown, ev.Time, c.cfg.BootWindow) {
			c.hold(hs, &pending{Signal: sig, At: ev.Time, Ref: ref})
		}
	case start:
		if !near(hs.Boot, ev.Time, c.cfg.BootWindow) {
			c.hold(hs, &pending{Signal: sig, At: ev.Time, Ref: ref})
		}
	}
	return out
}

// hold adds p to the host's undecided signals, unless one of the same
// entity is already waiting.
func (c *Cleared) hold(hs *hostState, p *pending) {
	for _, q := range hs.Pending {
		if q.Signal.Key == p.Signal.Key && q.Signal.Class == p.Signal.Class {
			return
		}
	}
	if len(hs.Pending) >= maxPending {
		hs.Pending = slices.Delete(hs.Pending, 0, 1)
		c.pending--
	}
	hs.Pending = append(hs.Pending, p)
	c.pending++
}

// settle brings the host's undecided signals up to event time t: drops
// those a shutdown or boot record explains, notes the first other event
// after a stop (when other, with reference ref), and reports those due.
func (c *Cleared) settle(hs *hostState, t time.Time, other bool, ref string) []behave.Finding {
	var out []behave.Finding
	hs.Pending = slices.DeleteFunc(hs.Pending, func(p *pending) bool {
		drop := false
		switch {
		case c.explained(hs, p):
			drop = true
		case p.Signal.Class == stop && other && p.After.IsZero() && t.After(p.At):
			p.After, p.AfterRef = t, ref
		}
		if !drop {
			if f, due := c.decide(p, t); due {
				out = append(out, f...)
				drop = true
			}
		}
		if drop {
			c.pending--
		}
		return drop
	})
	return out
}

// explained reports whether the host's shutdown or boot records make p
// part of a normal shutdown or boot.
func (c *Cleared) explained(hs *hostState, p *pending) bool {
	switch p.Signal.Class {
	case stop:
		return near(hs.Shutdown, p.At, c.cfg.BootWindow) || (!hs.Boot.IsZero() && hs.Boot.After(p.At))
	case start:
		return near(hs.Boot, p.At, c.cfg.BootWindow)
	}
	return false
}

// decide returns the finding of p when it is due at t.
func (c *Cleared) decide(p *pending, t time.Time) ([]behave.Finding, bool) {
	switch p.Signal.Class {
	case stop:
		if p.After.IsZero() || t.Before(p.After.Add(c.cfg.BootWindow)) {
			return nil, false
		}
		sig := p.Signal
		sig.Level = "high"
		sig.Text += fmt.Sprintf(" The host's events came again at %s, %s later, with no shutdown or boot record: logging was stopped and restarted while the host ran.",
			p.After.UTC().Format(time.RFC3339), round(p.After.Sub(p.At)))
		return c.fire(sig, p.At, t, []string{p.Ref, p.AfterRef}, p.After.Sub(p.At)), true
	case start:
		if t.Before(p.At.Add(c.cfg.BootWindow)) {
			return nil, false
		}
		sig := p.Signal
		sig.Text += fmt.Sprintf(" No boot record of the host within %s: the service had stopped or crashed.", round(c.cfg.BootWindow))
		return c.fire(sig, p.At, t, []string{p.Ref}, 0), true
	}
	return nil, false
}

// fire returns the finding of sig, which happened at at and is reported
// at t, unless its entity had one within Window. gap, when not zero, is
// how long logging was stopped.
func (c *Cleared) fire(sig signal, at, t time.Time, refs []string, gap time.Duration) []behave.Finding {
	prev, seen := c.fired.Peek(sig.Key)
	if seen && at.Before(prev.Until) {
		prev.Suppressed++
		return nil
	}
	text := sig.Text
	if seen && prev.Suppressed > 0 {
		text += fmt.Sprintf(" %d more like it in the %s after the previous finding were not reported apart.", prev.Suppressed, round(c.cfg.Window))
	}
	st := c.fired.Get(sig.Key, at, func() *firedState { return &firedState{} })
	st.Until, st.Suppressed = at.Add(c.cfg.Window), 0
	why := behave.Why{Observed: 1, Unit: "events", Threshold: 1, Window: c.cfg.Window, Text: text}
	if gap > 0 {
		why.Observed, why.Unit, why.Threshold, why.Window = gap.Minutes(), "minutes", 0, gap
	}
	var evidence []string
	for _, r := range refs {
		if r != "" && len(evidence) < c.lim.MaxEvidence {
			evidence = append(evidence, r)
		}
	}
	return []behave.Finding{{
		Detector: c.Name(),
		Title:    sig.Title,
		Level:    sig.Level,
		Time:     t,
		Entities: sig.Entities,
		Why:      why,
		Evidence: evidence,
		Tags:     sig.Tags,
	}}
}

// Advance implements behave.Detector: it decides the stops and starts due
// at now and forgets hosts not heard from for a week.
func (c *Cleared) Advance(now time.Time) []behave.Finding {
	var out []behave.Finding
	if c.pending > 0 {
		c.hosts.Each(func(_ string, _ time.Time, hs *hostState) {
			if len(hs.Pending) > 0 {
				out = append(out, c.settle(hs, now, false, "")...)
			}
		})
	}
	c.hosts.Expire(now.Add(-hostMemory))
	// An entity's last finding is kept a second Window, so that the next
	// one can count the repeats left out.
	c.fired.Expire(now.Add(-2 * c.cfg.Window))
	c.countPending()
	return out
}

// Flush implements behave.Flusher: at the end of a hunt's input, a start
// of the event log service with no boot record is reported, and so is a
// stop the input ends after: high when the host's events came again, low
// when nothing of the host follows it (a shutdown and a stop cannot then
// be told apart).
func (c *Cleared) Flush() []behave.Finding {
	var out []behave.Finding
	c.hosts.Each(func(_ string, _ time.Time, hs *hostState) {
		for _, p := range hs.Pending {
			sig := p.Signal
			switch {
			case sig.Class == start:
				f, _ := c.decide(p, p.At.Add(c.cfg.BootWindow))
				out = append(out, f...)
			case !p.After.IsZero():
				f, _ := c.decide(p, p.After.Add(c.cfg.BootWindow))
				out = append(out, f...)
			default:
				sig.Level = "low"
				sig.Text += " Nothing of the host follows it in the input, so a shutdown and a stopped log cannot be told apart."
				out = append(out, c.fire(sig, p.At, p.At, []string{p.Ref}, 0)...)
			}
		}
		hs.Pending = nil
	})
	c.pending = 0
	return out
}

func (c *Cleared) countPending() {
	c.pending = 0
	c.hosts.Each(func(_ string, _ time.Time, hs *hostState) { c.pending += len(hs.Pending) })
}

// clearedState is the snapshot form.
type clearedState struct {
	Version int                              `json:"version"`
	Hosts   []behave.SavedEntry[*hostState]  `json:"hosts"`
	Fired   []behave.SavedEntry[*firedState] `json:"fired"`
}

const clearedVersion = 1

// Snapshot implements behave.Detector.
func (c *Cleared) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(clearedState{Version: clearedVersion, Hosts: c.hosts.Save(), Fired: c.fired.Save()})
}

// Restore implements behave.Detector.
func (c *Cleared) Restore(r io.Reader) error {
	var st clearedState
	ok, err := decodeState(r, clearedVersion, &st)
	if err != nil {
		return fmt.Errorf("reading cleared state: %w", err)
	}
	if !ok {
		return nil
	}
	c.hosts.Load(st.Hosts)
	c.fired.Load(st.Fired)
	c.countPending()
	return nil
}

// ATT&CK tags of the signals.
var (
	tagsClearWindows = []string{"attack.defense-evasion", "attack.t1070.001"}
	tagsEventLog     = []string{"attack.defense-evasion", "attack.t1562.002"}
	tagsTool         = []string{"attack.defense-evasion", "attack.t1562.001"}
	tagsAuditd       = []string{"attack.defense-evasion", "attack.t1562.012"}
	tagsCloud        = []string{"attack.defense-evasion", "attack.t1562.008"}
)

// classify returns the signal ev carries, if any.
func (c *Cleared) classify(ev *event.Event) (signal, bool) {
	if id, ok := ev.Get("EventID"); ok {
		// Windows, or Sysmon for Linux: its process events may run the
		// commands that stop auditd.
		if sig, ok := windowsSignal(ev, id); ok {
			return sig, true
		}
		return commandSignal(ev)
	}
	if mod, _ := ev.Get(event.EventModule); mod == "auditd" {
		if sig, ok := auditdSignal(ev); ok {
			return sig, true
		}
		return commandSignal(ev)
	}
	if src, ok := ev.Get("eventSource"); ok {
		if src == "cloudtrail.amazonaws.com" {
			return c.cloudTrailSignal(ev)
		}
		return signal{}, false
	}
	if sig, ok := azureSignal(ev); ok {
		return sig, true
	}
	if sig, ok := commandSignal(ev); ok {
		return sig, true
	}
	if ev.Format == "syslog" {
		return systemdSignal(ev)
	}
	return signal{}, false
}

// windowsSignal reads the Windows events. The record is first matched on
// its id and provider; only a match pays for the strings of its finding.
func windowsSignal(ev *event.Event, id string) (signal, bool) {
	provider := ""
	switch id {
	case "1102", "104", "1100":
		if provider = get(ev, event.EventProvider); !containsFold(provider, "eventlog") {
			return signal{}, false
		}
	case "4", "1", "17":
		if provider = get(ev, event.EventProvider); !containsFold(provider, "sysmon") {
			return signal{}, false
		}
	case "7036", "7034", "7031", "7040":
		if provider = get(ev, event.EventProvider); !strings.EqualFold(provider, "Service Control Manager") {
			return signal{}, false
		}
	default:
		return signal{}, false
	}
	w := winRecord{ev: ev, host: get(ev, event.HostName), user: windowsUser(ev)}
	switch id {
	case "1102":
		return w.signal("|clear|security", now, "Security log cleared on "+w.host+w.by(), tagsClearWindows,
			fmt.Sprintf("Windows wrote 1102: the Security audit log of %s was cleared%s.", w.host, w.by()),
			behave.Entity{Field: "winlog.channel", Value: "Security"})
	case "104":
		ch := clearedChannel(ev)
		return w.signal("|clear|"+strings.ToLower(ch), now, ch+" log cleared on "+w.host+w.by(), tagsClearWindows,
			fmt.Sprintf("Windows wrote 104: the %s log of %s was cleared%s.", ch, w.host, w.by()),
			behave.Entity{Field: "winlog.channel", Value: ch})
	case "1100":
		return w.signal("|eventlog-service", stop, "Event logging service shut down on "+w.host, tagsEventLog,
			fmt.Sprintf("Windows wrote 1100: the event logging service of %s shut down.", w.host))
	case "4":
		if strings.EqualFold(get(ev, "State"), "Stopped") {
			return w.signal("|sysmon", stop, "Sysmon stopped on "+w.host, tagsTool,
				fmt.Sprintf("Sysmon wrote event 4: its service on %s changed state to Stopped.", w.host))
		}
	case "1":
		if hasSuffixFold(get(ev, event.ProcessExecutable), `\werfault.exe`) && containsFold(get(ev, "ParentCommandLine"), "-s eventlog") {
			return w.signal("|eventlog-service", now, "Event log service crashed on "+w.host, tagsEventLog,
				fmt.Sprintf("Windows Error Reporting (%s) was started by the svchost hosting the EventLog service on %s: the service crashed.",
					get(ev, event.ProcessCommandLine), w.host))
		}
	case "17":
		if strings.EqualFold(get(ev, "PipeName"), `\eventlog`) {
			return w.signal("|eventlog-service", start, "Event log service started on "+w.host, tagsEventLog,
				fmt.Sprintf("Sysmon saw the \\eventlog pipe created by %s on %s: the event log service started.", get(ev, event.ProcessExecutable), w.host))
		}
	default: // Service Control Manager
		svc := get(ev, "param1")
		kind := serviceKind(svc)
		if kind == "" {
			break
		}
		key, tags := "|eventlog-service", tagsEventLog
		if kind == "sysmon" {
			key, tags = "|sysmon", tagsTool
		}
		mk := func(cl class, what string) (signal, bool) {
			return w.signal(key, cl, fmt.Sprintf("%s service %s on %s", svc, what, w.host), tags,
				fmt.Sprintf("The Service Control Manager wrote %s: the %s service of %s %s.", id, svc, w.host, what))
		}
		state := get(ev, "param2")
		switch {
		case id == "7036" && strings.EqualFold(state, "stopped"):
			return mk(stop, "stopped")
		case id == "7036" && strings.EqualFold(state, "running") && kind == "eventlog":
			return mk(start, "started")
		case id == "7034" || id == "7031":
			return mk(now, "terminated unexpectedly")
		case id == "7040" && strings.EqualFold(get(ev, "param3"), "disabled"):
			return mk(now, "set to disabled")
		}
	}
	return signal{}, false
}

// winRecord is a Windows record that matched, with what its finding says.
type winRecord struct {
	ev         *event.Event
	host, user string
}

func (w winRecord) by() string {
	if w.user == "" {
		return ""
	}
	return " by " + w.user
}

func (w winRecord) signal(key string, cl class, title string, tags []string, text string, extra ...behave.Entity) (signal, bool) {
	es := []behave.Entity{{Field: event.HostName, Value: w.host}}
	if w.user != "" {
		es = append(es, behave.Entity{Field: event.UserName, Value: w.user})
	}
	return signal{Key: hostKey(w.ev) + key, Class: cl, Title: title, Level: "high", Text: text, Tags: tags, Entities: append(es, extra...)}, true
}

// serviceKind names the logging services whose Service Control Manager
// records Cleared reads, by display name.
func serviceKind(display string) string {
	switch strings.ToLower(display) {
	case "windows event log", "eventlog":
		return "eventlog"
	case "sysmon", "sysmon64":
		return "sysmon"
	}
	return ""
}

// clearedChannel returns the channel a 104 record says was cleared: its
// UserData Channel, which package evtx gives as a second Channel value
// and Winlogbeat under user_data.
func clearedChannel(ev *event.Event) string {
	if vs := ev.Values("Channel"); len(vs) >= 2 {
		return vs[len(vs)-1].Value
	}
	for _, name := range []string{"winlog.user_data.Channel", "user_data.Channel", "Event.UserData.LogFileCleared.Channel"} {
		if v := get(ev, name); v != "" {
			return v
		}
	}
	return "an event"
}

// windowsUser returns DOMAIN\user of the record's account, or "".
func windowsUser(ev *event.Event) string {
	user := get(ev, event.UserName)
	if user == "" {
		return ""
	}
	if d := get(ev, event.UserDomain); d != "" {
		return d + `\` + user
	}
	return user
}

// auditdSignal reads auditd's own records.
func auditdSignal(ev *event.Event) (signal, bool) {
	typ := get(ev, "type")
	host := get(ev, event.HostName)
	where := ""
	if host != "" {
		where = " on " + host
	}
	mk := func(cl class, title, text string, extra ...behave.Entity) (signal, bool) {
		var es []behave.Entity
		if host != "" {
			es = append(es, behave.Entity{Field: event.HostName, Value: host})
		}
		return signal{Key: hostKey(ev) + "|auditd", Class: cl, Title: title + where, Level: "high", Text: text,
			Tags: tagsAuditd, Entities: append(es, extra...)}, true
	}
	auid := get(ev, "auid")
	byUser := auid != "" && auid != "4294967295" && auid != "-1" && auid != "unset"
	switch typ {
	case "DAEMON_END":
		if byUser {
			return mk(now, "auditd stopped by a user",
				fmt.Sprintf("auditd wrote DAEMON_END%s: it was stopped by a process of login uid %s.", where, auid),
				behave.Entity{Field: event.UserID, Value: auid})
		}
		return mk(stop, "auditd stopped", fmt.Sprintf("auditd wrote DAEMON_END%s: the audit daemon stopped.", where))
	case "DAEMON_ABORT":
		return mk(now, "auditd aborted", fmt.Sprintf("auditd wrote DAEMON_ABORT%s: the audit daemon stopped on an error.", where))
	case "CONFIG_CHANGE":
		if get(ev, "audit_enabled") == "0" {
			text := fmt.Sprintf("The kernel wrote CONFIG_CHANGE audit_enabled=0%s: auditing was disabled", where)
			var extra []behave.Entity
			if byUser {
				text += " by login uid " + auid
				extra = append(extra, behave.Entity{Field: event.UserID, Value: auid})
			}
			return mk(now, "Auditing disabled", text+".", extra...)
		}
	}
	return signal{}, false
}

// auditCommand matches the commands that stop or disable auditd.
var auditCommand = regexp.MustCompile(`(?i)(^|[\s/])(service\s+auditd\s+stop|systemctl\s+(stop|disable|mask|kill)\s+auditd(\.service)?\b|auditctl\s+-e\s*0\b)`)

// commandSignal reads a command line that stops or disables auditd, in a
// process event (auditd EXECVE, Sysmon for Linux) or a sudo line.
func commandSignal(ev *event.Event) (signal, bool) {
	for _, name := range []string{event.ProcessCommandLine, "system.auth.sudo.command"} {
		cmd := get(ev, name)
		if cmd == "" || !containsFold(cmd, "audit") || !auditCommand.MatchString(cmd) {
			continue
		}
		host, user := get(ev, event.HostName), get(ev, event.UserName)
		var es []behave.Entity
		where, by := "", ""
		if host != "" {
			es = append(es, behave.Entity{Field: event.HostName, Value: host})
			where = " on " + host
		}
		if user != "" {
			es = append(es, behave.Entity{Field: event.UserName, Value: user})
			by = " by " + user
		}
		return signal{Key: hostKey(ev) + "|auditd", Title: "auditd stopped or disabled" + where + by, Level: "high",
			Text: fmt.Sprintf("The command %q was run%s%s.", cmd, where, by), Tags: tagsAuditd, Entities: es}, true
	}
	return signal{}, false
}

// systemdSignal reads systemd's line for auditd's unit stopping.
func systemdSignal(ev *event.Event) (signal, bool) {
	if get(ev, event.ProcessName) != "systemd" {
		return signal{}, false
	}
	msg := get(ev, event.Message)
	if !strings.HasPrefix(msg, "Stopped ") || !(strings.Contains(msg, "Security Auditing Service") || strings.Contains(msg, "auditd.service")) {
		return signal{}, false
	}
	host := get(ev, event.HostName)
	return signal{Key: hostKey(ev) + "|auditd", Class: stop, Title: "auditd stopped on " + host, Level: "high",
		Text: fmt.Sprintf("systemd on %s wrote %q.", host, msg), Tags: tagsAuditd,
		Entities: []behave.Entity{{Field: event.HostName, Value: host}}}, true
}

// cloudTrailSignal reads CloudTrail's own management events.
func (c *Cleared) cloudTrailSignal(ev *event.Event) (signal, bool) {
	name := get(ev, "eventName")
	if !c.actions[name] {
		return signal{}, false
	}
	trail := firstNonEmpty(get(ev, "requestParameters.name"), get(ev, "requestParameters.trailName"))
	account := get(ev, event.CloudAccountID)
	user := firstNonEmpty(get(ev, "userIdentity.arn"), get(ev, event.UserName))
	level, what := "high", ""
	switch name {
	case "StopLogging":
		what = "stopped logging"
	case "DeleteTrail":
		what = "deleted"
	case "UpdateTrail":
		level, what = "medium", "updated"
	case "PutEventSelectors":
		level, what = "medium", "had its event selectors changed"
		for _, f := range ev.Values("requestParameters.eventSelectors.includeManagementEvents") {
			if f.Value == "false" {
				level, what = "high", "no longer logs management events"
			}
		}
		for _, f := range ev.Values("requestParameters.eventSelectors.readWriteType") {
			if f.Value == "ReadOnly" && level != "high" {
				level, what = "high", "logs read-only events only"
			}
		}
	default:
		what = "changed by " + name
	}
	title := fmt.Sprintf("CloudTrail trail %s %s", trail, what)
	text := fmt.Sprintf("CloudTrail recorded %s on trail %s of account %s by %s.", name, trail, account, user)
	if out, _ := ev.Get(event.EventOutcome); out == event.OutcomeFailure {
		level = "medium"
		title = fmt.Sprintf("Attempt to %s CloudTrail trail %s failed", name, trail)
		text = fmt.Sprintf("CloudTrail recorded a failed %s (%s) on trail %s of account %s by %s.", name, get(ev, "errorCode"), trail, account, user)
	}
	return signal{Key: "aws|" + account + "|" + trail, Title: title, Level: level, Text: text, Tags: tagsCloud,
		Entities: cloudEntities(ev, event.UserName, event.SourceIP, event.CloudAccountID)}, true
}

// azureSignal reads an Azure Activity log record of a diagnostic setting
// deleted, in Microsoft's three shapes: exported to storage or Event Hubs
// (operationName a string, resultType, callerIpAddress, resourceId), from
// the REST API (operationName {value, localizedValue}, status.value,
// caller, httpRequest.clientIpAddress) and Log Analytics' AzureActivity
// rows (OperationNameValue, ActivityStatusValue, Caller, CallerIpAddress,
// _ResourceId).
func azureSignal(ev *event.Event) (signal, bool) {
	op := firstOf(ev, "operationName.value", "operationName", "OperationNameValue")
	localized := get(ev, "operationName.localizedValue")
	if op == "" && localized == "" {
		return signal{}, false
	}
	if !hasSuffixFold(op, "/diagnosticsettings/delete") &&
		!strings.EqualFold(localized, "Delete diagnostic setting") && !strings.EqualFold(op, "Delete diagnostic setting") {
		return signal{}, false
	}
	resource := firstOf(ev, "resourceId", "_ResourceId", "ResourceId")
	caller := firstOf(ev, event.UserName, "caller", "Caller")
	ip := firstOf(ev, event.SourceIP, "callerIpAddress", "httpRequest.clientIpAddress", "CallerIpAddress")
	result := strings.ToLower(firstOf(ev, "resultType", "status.value", "status", "ActivityStatusValue"))
	level, title := "high", "Azure diagnostic setting deleted"
	text := fmt.Sprintf("The Azure Activity log recorded %s on %s by %s: its logs are no longer sent.", firstNonEmpty(op, localized), resource, caller)
	if result == "failure" || result == "failed" {
		level, title = "medium", "Attempt to delete an Azure diagnostic setting failed"
		text = fmt.Sprintf("The Azure Activity log recorded a failed %s on %s by %s.", firstNonEmpty(op, localized), resource, caller)
	}
	var es []behave.Entity
	if caller != "" {
		es = append(es, behave.Entity{Field: event.UserName, Value: caller})
	}
	if ip != "" {
		es = append(es, behave.Entity{Field: event.SourceIP, Value: ip})
	}
	if resource != "" {
		es = append(es, behave.Entity{Field: "azure.resource.id", Value: resource})
	}
	return signal{Key: "azure|" + strings.ToLower(resource), Title: title + " on " + resource, Level: level, Text: text,
		Tags: tagsCloud, Entities: es}, true
}

// firstOf returns the first of the named fields that has a value.
func firstOf(ev *event.Event, names ...string) string {
	for _, n := range names {
		if v := get(ev, n); v != "" {
			return v
		}
	}
	return ""
}

func cloudEntities(ev *event.Event, names ...string) []behave.Entity {
	var es []behave.Entity
	for _, n := range names {
		if v := get(ev, n); v != "" {
			es = append(es, behave.Entity{Field: n, Value: v})
		}
	}
	return es
}

// markerOf returns the shutdown or boot record ev is, if any.
func markerOf(ev *event.Event) marker {
	if id, ok := ev.Get("EventID"); ok {
		switch id {
		case "4608":
			return bootMarker
		case "4609":
			return shutdownMarker
		case "6005", "6009":
			if containsFold(get(ev, event.EventProvider), "eventlog") {
				return bootMarker
			}
		case "6006", "1074":
			if p := get(ev, event.EventProvider); containsFold(p, "eventlog") || containsFold(p, "user32") {
				return shutdownMarker
			}
		case "12":
			if containsFold(get(ev, event.EventProvider), "kernel-general") {
				return bootMarker
			}
		}
		return noMarker
	}
	if mod, _ := ev.Get(event.EventModule); mod == "auditd" {
		switch get(ev, "type") {
		case "SYSTEM_BOOT":
			return bootMarker
		case "SYSTEM_SHUTDOWN":
			return shutdownMarker
		}
		return noMarker
	}
	if ev.Format != "syslog" {
		return noMarker
	}
	msg := get(ev, event.Message)
	switch get(ev, event.ProcessName) {
	case "kernel":
		if strings.Contains(msg, "Linux version ") {
			return bootMarker
		}
	case "systemd-logind":
		if strings.HasPrefix(msg, "System is powering down") || strings.HasPrefix(msg, "System is rebooting") {
			return shutdownMarker
		}
	case "systemd":
		if strings.HasPrefix(msg, "Reached target Shutdown") || strings.HasPrefix(msg, "Reached target System Reboot") ||
			strings.HasPrefix(msg, "Reached target System Power Off") || strings.HasPrefix(msg, "Reached target Power-Off") {
			return shutdownMarker
		}
	case "systemd-shutdown":
		return shutdownMarker
	case "shutdown":
		if strings.Contains(msg, "shutting down for system") {
			return shutdownMarker
		}
	}
	return noMarker
}

// hostKey names the host of ev for its shutdown and boot records: the
// first label of host.name, lower-cased (an address whole), else the
// event's source.
func hostKey(ev *event.Event) string {
	h := get(ev, event.HostName)
	if h == "" {
		return "source:" + string(ev.Source)
	}
	h = strings.ToLower(h)
	if _, err := netip.ParseAddr(h); err == nil {
		return h
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// near reports whether a is set and within d of b.
func near(a, b time.Time, d time.Duration) bool {
	if a.IsZero() {
		return false
	}
	diff := a.Sub(b)
	return diff <= d && diff >= -d
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// get returns the first value of name, "" for the placeholders logs write
// for no value.
func get(ev *event.Event, name string) string {
	v, _ := ev.Get(name)
	switch v {
	case "-", "N/A", "null":
		return ""
	}
	return v
}

// containsFold reports whether s contains sub, ignoring ASCII case; sub
// must be lower-case. It does not allocate.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if hasPrefixFold(s[i:], sub) {
			return true
		}
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && hasPrefixFold(s[len(s)-len(suffix):], suffix)
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
	}
	return true
}
