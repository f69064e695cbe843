package winjson

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

// ECS names used here that package event does not define.
const (
	userTargetName    = "user.target.name"
	groupName         = "group.name"
	parentExecutable  = "process.parent.executable"
	parentCommandLine = "process.parent.command_line"
	parentPID         = "process.parent.pid"
)

// timeNames are the fields that give a record its time, best first.
var timeNames = []string{
	"@timestamp",
	"Event.System.TimeCreated.#attributes.SystemTime",
	"TimeCreated",
	"EventTime",
}

func recordTime(fields []event.Field) (time.Time, bool) {
	for _, name := range timeNames {
		for _, f := range fields {
			if f.Name == name {
				if t, ok := jsonl.ParseTime(f.Value, f.Type); ok {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// Normalise adds ECS fields to e, a Windows event, from the Sigma names of
// its System and EventData fields. It is the contract between this package
// and package evtx: a decoder that has put these names at top level gets
// the same ECS fields from either.
//
// Normalise reads the first value of each of: EventID, Channel, Computer,
// Provider_Name, and the EventData fields SubjectUserName,
// SubjectDomainName, SubjectUserSid, TargetUserName, TargetDomainName,
// TargetUserSid, User, IpAddress, IpPort, SourceIp, SourcePort,
// DestinationIp, DestinationPort, Image, NewProcessName, ProcessName,
// CommandLine, ProcessId, NewProcessId, ParentProcessId, ParentImage,
// ParentProcessName, ParentCommandLine, TargetFilename, QueryName and
// Status.
//
// It sets event.code (EventID), event.provider (Provider_Name), host.name
// (Computer); user.name, user.domain and user.id: the target account for
// logons and Kerberos events (4624, 4625, 4634, 4768, 4771, 4776…), the
// subject for account and group management (4720, 4726, 4732…, where the
// account changed is user.target.name and the group group.name), otherwise
// the subject, else the target, else Sysmon's "DOMAIN\name" User;
// source.ip and source.port (IpAddress and IpPort, or Sysmon's SourceIp and
// SourcePort; IPv4-mapped addresses are unmapped), destination.ip and
// destination.port; process.executable (NewProcessName, else Image, else
// ProcessName), process.name, process.pid (hexadecimal Security ids are
// converted), process.command_line, process.parent.executable,
// process.parent.command_line, process.parent.pid; file.path
// (TargetFilename), dns.question.name (QueryName); and for known Security,
// Sysmon and System events event.action, event.category, event.type and
// event.outcome (4624: authentication, start, success; 4625: the same with
// failure; 4688: process, start; 4720: iam, user and creation; Kerberos
// events take their outcome from Status).
//
// A value that is empty or "-" counts as absent, and so does the null SID
// S-1-0-0. A field Normalise derives replaces any value the record had
// under that ECS name (Winlogbeat's host.name names the shipper, not the
// computer); when it derives nothing, the record's own value stays. Other
// fields are not touched. e.Fields may be in any order on entry; they are
// sorted on return.
func Normalise(e *event.Event) {
	normalise(e)
	e.Sort()
}

// winFields holds the values Normalise reads, found in one pass.
type winFields struct {
	eventID, channel, computer, provider              string
	subjectUser, subjectDomain, subjectSID            string
	targetUser, targetDomain, targetSID, sysmonUser   string
	ipAddress, ipPort, sourceIP, sourcePort           string
	destIP, destPort                                  string
	image, newProcessName, processName, commandLine   string
	processID, newProcessID, parentPID                string
	parentImage, parentProcessName, parentCommandLine string
	targetFilename, queryName, status                 string
	hasDotted                                         bool // some field name has a dot: it may be an ECS name
}

// collect fills w from fields, keeping the first meaningful value of each.
func (w *winFields) collect(fields []event.Field) {
	for i := range fields {
		f := &fields[i]
		if !w.hasDotted && strings.IndexByte(f.Name, '.') >= 0 {
			w.hasDotted = true
		}
		v := f.Value
		if v == "" || v == "-" {
			continue
		}
		var dst *string
		switch f.Name {
		case "EventID":
			dst = &w.eventID
		case "Channel":
			dst = &w.channel
		case "Computer":
			dst = &w.computer
		case "Provider_Name":
			dst = &w.provider
		case "SubjectUserName":
			dst = &w.subjectUser
		case "SubjectDomainName":
			dst = &w.subjectDomain
		case "SubjectUserSid":
			dst = &w.subjectSID
		case "TargetUserName":
			dst = &w.targetUser
		case "TargetDomainName":
			dst = &w.targetDomain
		case "TargetUserSid":
			dst = &w.targetSID
		case "User":
			dst = &w.sysmonUser
		case "IpAddress":
			dst = &w.ipAddress
		case "IpPort":
			dst = &w.ipPort
		case "SourceIp":
			dst = &w.sourceIP
		case "SourcePort":
			dst = &w.sourcePort
		case "DestinationIp":
			dst = &w.destIP
		case "DestinationPort":
			dst = &w.destPort
		case "Image":
			dst = &w.image
		case "NewProcessName":
			dst = &w.newProcessName
		case "ProcessName":
			dst = &w.processName
		case "CommandLine":
			dst = &w.commandLine
		case "ProcessId":
			dst = &w.processID
		case "NewProcessId":
			dst = &w.newProcessID
		case "ParentProcessId":
			dst = &w.parentPID
		case "ParentImage":
			dst = &w.parentImage
		case "ParentProcessName":
			dst = &w.parentProcessName
		case "ParentCommandLine":
			dst = &w.parentCommandLine
		case "TargetFilename":
			dst = &w.targetFilename
		case "QueryName":
			dst = &w.queryName
		case "Status":
			dst = &w.status
		default:
			continue
		}
		if *dst == "" {
			*dst = v
		}
	}
}

// role says whose account an event is about.
type role uint8

const (
	roleSubject      role = iota // the subject, else the target
	roleTarget                   // the target: logons, Kerberos
	roleManagesUser              // the subject; the target is user.target.name
	roleManagesGroup             // the subject; the target is group.name
)

// outcomeFromStatus marks events whose outcome is told by their Status.
const outcomeFromStatus = "status"

// kind describes a known event id: its ECS action, category, types and
// outcome, and whose account it is about.
type kind struct {
	action   string
	category string
	types    []string
	outcome  string
	role     role
}

var (
	start    = []string{"start"}
	end      = []string{"end"}
	change   = []string{"change"}
	creation = []string{"creation"}
	deletion = []string{"deletion"}
	access   = []string{"access"}
	userMod  = []string{"user", "change"}
	groupMod = []string{"group", "change"}
)

// securityKinds are events of the Security channel, after Winlogbeat's
// security module and Microsoft's audit event reference.
var securityKinds = map[int]kind{
	1100: {"logging-service-shutdown", "configuration", change, "success", roleSubject},
	1102: {"audit-log-cleared", "configuration", deletion, "success", roleSubject},
	4624: {"logged-in", "authentication", start, "success", roleTarget},
	4625: {"logon-failed", "authentication", start, "failure", roleTarget},
	4634: {"logged-out", "authentication", end, "success", roleTarget},
	4647: {"logged-out", "authentication", end, "success", roleTarget},
	4648: {"logged-in-explicit", "authentication", start, "success", roleSubject},
	4672: {"logged-in-special", "iam", []string{"admin"}, "success", roleSubject},
	4688: {"created-process", "process", start, "success", roleSubject},
	4689: {"exited-process", "process", end, "success", roleSubject},
	4697: {"service-installed", "configuration", creation, "success", roleSubject},
	4698: {"scheduled-task-created", "configuration", creation, "success", roleSubject},
	4699: {"scheduled-task-deleted", "configuration", deletion, "success", roleSubject},
	4719: {"changed-audit-config", "configuration", change, "success", roleSubject},
	4720: {"added-user-account", "iam", []string{"user", "creation"}, "success", roleManagesUser},
	4722: {"enabled-user-account", "iam", userMod, "success", roleManagesUser},
	4723: {"changed-password", "iam", userMod, "success", roleManagesUser},
	4724: {"reset-password", "iam", userMod, "success", roleManagesUser},
	4725: {"disabled-user-account", "iam", userMod, "success", roleManagesUser},
	4726: {"deleted-user-account", "iam", []string{"user", "deletion"}, "success", roleManagesUser},
	4728: {"added-member-to-group", "iam", groupMod, "success", roleManagesGroup},
	4729: {"removed-member-from-group", "iam", groupMod, "success", roleManagesGroup},
	4732: {"added-member-to-group", "iam", groupMod, "success", roleManagesGroup},
	4733: {"removed-member-from-group", "iam", groupMod, "success", roleManagesGroup},
	4738: {"modified-user-account", "iam", userMod, "success", roleManagesUser},
	4740: {"locked-out-user-account", "iam", userMod, "success", roleManagesUser},
	4756: {"added-member-to-group", "iam", groupMod, "success", roleManagesGroup},
	4757: {"removed-member-from-group", "iam", groupMod, "success", roleManagesGroup},
	4767: {"unlocked-user-account", "iam", userMod, "success", roleManagesUser},
	4768: {"kerberos-authentication-ticket-requested", "authentication", start, outcomeFromStatus, roleTarget},
	4769: {"kerberos-service-ticket-requested", "authentication", start, outcomeFromStatus, roleTarget},
	4771: {"kerberos-preauth-failed", "authentication", start, "failure", roleTarget},
	4776: {"credential-validated", "authentication", start, outcomeFromStatus, roleTarget},
}

// sysmonKinds are Sysmon events, by Sysmon's own event names.
var sysmonKinds = map[int]kind{
	1:  {"process-created", "process", start, "", roleSubject},
	2:  {"file-creation-time-changed", "file", change, "", roleSubject},
	3:  {"network-connection", "network", []string{"connection", "start"}, "", roleSubject},
	5:  {"process-terminated", "process", end, "", roleSubject},
	6:  {"driver-loaded", "driver", start, "", roleSubject},
	7:  {"image-loaded", "library", start, "", roleSubject},
	8:  {"remote-thread-created", "process", change, "", roleSubject},
	9:  {"raw-access-read", "file", access, "", roleSubject},
	10: {"process-accessed", "process", access, "", roleSubject},
	11: {"file-created", "file", creation, "", roleSubject},
	12: {"registry-key-created-or-deleted", "registry", change, "", roleSubject},
	13: {"registry-value-set", "registry", change, "", roleSubject},
	14: {"registry-key-renamed", "registry", change, "", roleSubject},
	15: {"file-stream-created", "file", creation, "", roleSubject},
	17: {"pipe-created", "file", creation, "", roleSubject},
	18: {"pipe-connected", "file", access, "", roleSubject},
	22: {"dns-query", "network", []string{"protocol"}, "", roleSubject},
	23: {"file-deleted", "file", deletion, "", roleSubject},
	26: {"file-delete-logged", "file", deletion, "", roleSubject},
}

// systemKinds are events of the System channel.
var systemKinds = map[int]kind{
	104:  {"log-cleared", "configuration", deletion, "success", roleSubject},
	7045: {"service-installed", "configuration", creation, "success", roleSubject},
}

// lookupKind returns what is known of the event, by channel, else by
// provider (some shippers drop the channel).
func lookupKind(w *winFields) (kind, bool) {
	id, err := strconv.Atoi(w.eventID)
	if err != nil {
		return kind{}, false
	}
	var table map[int]kind
	switch {
	case strings.EqualFold(w.channel, "Security"),
		w.channel == "" && w.provider == "Microsoft-Windows-Security-Auditing":
		table = securityKinds
	case strings.EqualFold(w.channel, "Microsoft-Windows-Sysmon/Operational"),
		w.channel == "" && w.provider == "Microsoft-Windows-Sysmon":
		table = sysmonKinds
	case strings.EqualFold(w.channel, "System"):
		table = systemKinds
	}
	k, ok := table[id]
	return k, ok
}

// normalise is Normalise without the final sort. It appends the fields it
// derives and returns how many fields it removed from e.Fields (the
// record's own values of the ECS names it derives); the others keep their
// order.
func normalise(e *event.Event) (removed int) {
	var w winFields
	w.collect(e.Fields)

	var buf [24]event.Field
	out := buf[:0]
	set := func(name, value string, t event.Type) {
		if value != "" {
			out = append(out, event.Field{Name: name, Value: value, Type: t})
		}
	}
	set(event.EventCode, w.eventID, event.String)
	set(event.EventProvider, w.provider, event.String)
	set(event.HostName, w.computer, event.String)

	k, known := lookupKind(&w)
	if known {
		set(event.EventAction, k.action, event.String)
		set(event.EventCategory, k.category, event.String)
		for _, t := range k.types {
			set(event.EventType, t, event.String)
		}
		outcome := k.outcome
		if outcome == outcomeFromStatus {
			outcome = statusOutcome(w.status)
		}
		set(event.EventOutcome, outcome, event.String)
	}

	// The account.
	name, domain, sid := w.subjectUser, w.subjectDomain, w.subjectSID
	switch {
	case k.role == roleTarget && w.targetUser != "":
		name, domain, sid = w.targetUser, w.targetDomain, w.targetSID
	case k.role == roleManagesUser:
		set(userTargetName, w.targetUser, event.String)
	case k.role == roleManagesGroup:
		set(groupName, w.targetUser, event.String)
	case name == "" && k.role == roleSubject:
		name, domain, sid = w.targetUser, w.targetDomain, w.targetSID
	}
	if name == "" && w.sysmonUser != "" {
		domain, name, _ = strings.Cut(w.sysmonUser, `\`)
		if name == "" {
			name, domain = domain, ""
		}
		sid = ""
	}
	if name != "" {
		set(event.UserName, name, event.String)
		set(event.UserDomain, domain, event.String)
		if sid != "S-1-0-0" {
			set(event.UserID, sid, event.String)
		}
	}

	// The network.
	if ip, ok := parseIP(w.ipAddress); ok {
		set(event.SourceIP, ip, event.String)
		setPort(set, event.SourcePort, w.ipPort)
	} else if ip, ok := parseIP(w.sourceIP); ok {
		set(event.SourceIP, ip, event.String)
		setPort(set, event.SourcePort, w.sourcePort)
	}
	if ip, ok := parseIP(w.destIP); ok {
		set(event.DestinationIP, ip, event.String)
		setPort(set, event.DestinationPort, w.destPort)
	}

	// The process.
	exe := firstOf(w.newProcessName, w.image, w.processName)
	set(event.ProcessExecutable, exe, event.String)
	set(event.ProcessName, baseName(exe), event.String)
	set(event.ProcessCommandLine, w.commandLine, event.String)
	if w.newProcessName != "" {
		set(event.ProcessPID, pid(w.newProcessID), event.Number)
		set(parentPID, pid(w.processID), event.Number)
	} else {
		set(event.ProcessPID, pid(w.processID), event.Number)
		set(parentPID, pid(w.parentPID), event.Number)
	}
	set(parentExecutable, firstOf(w.parentImage, w.parentProcessName), event.String)
	set(parentCommandLine, w.parentCommandLine, event.String)
	set(event.FilePath, w.targetFilename, event.String)
	set(event.DNSQuestionName, w.queryName, event.String)

	if w.hasDotted {
		n := len(e.Fields)
		e.Fields = dropNames(e.Fields, out)
		removed = n - len(e.Fields)
	}
	e.Fields = append(e.Fields, out...)
	return removed
}

// dropNames removes from fields every field named like one of out.
func dropNames(fields, out []event.Field) []event.Field {
	kept := fields[:0]
	for _, f := range fields {
		drop := false
		if strings.IndexByte(f.Name, '.') >= 0 {
			for _, o := range out {
				if o.Name == f.Name {
					drop = true
					break
				}
			}
		}
		if !drop {
			kept = append(kept, f)
		}
	}
	clear(fields[len(kept):])
	return kept
}

// statusOutcome reads an NTSTATUS or Kerberos result code: zero is success.
func statusOutcome(status string) string {
	switch status {
	case "":
		return ""
	case "0x0", "0", "0x00000000":
		return event.OutcomeSuccess
	}
	return event.OutcomeFailure
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// baseName returns the file name of a Windows or POSIX path.
func baseName(path string) string {
	if i := strings.LastIndexAny(path, `\/`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// parseIP returns the canonical text of an IP address, unmapping
// IPv4-mapped IPv6 addresses such as Kerberos events' "::ffff:10.0.0.5".
func parseIP(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return addr.Unmap().String(), true
}

// setPort sets a port number, ignoring 0 and what is not a port.
func setPort(set func(name, value string, t event.Type), name, port string) {
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return
	}
	set(name, strconv.FormatUint(n, 10), event.Number)
}

// pid reads a process id in decimal (Sysmon) or "0x" hexadecimal
// (Security), and returns it in decimal, or "" when it is neither.
func pid(s string) string {
	var n uint64
	var err error
	if hex, ok := strings.CutPrefix(s, "0x"); ok {
		n, err = strconv.ParseUint(hex, 16, 32)
	} else {
		n, err = strconv.ParseUint(s, 10, 32)
	}
	if err != nil {
		return ""
	}
	return strconv.FormatUint(n, 10)
}
