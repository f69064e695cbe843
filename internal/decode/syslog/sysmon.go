package syslog

import (
	"encoding/xml"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// Sysmon for Linux (github.com/Sysinternals/SysmonForLinux) logs through
// syslog, under the program name "sysmon", one event per message, as the
// XML of a Windows event:
//
//	<Event><System><Provider Name="Linux-Sysmon" Guid="{…}"/><EventID>1</EventID>…
//	<Channel>Linux-Sysmon/Operational</Channel><Computer>host</Computer>…</System>
//	<EventData><Data Name="Image">/usr/bin/curl</Data>…</EventData></Event>
//
// Such a message gets the fields the Windows decoders give the same XML
// (see package evtx): the System elements joined with "_" (EventID,
// Channel, Computer, Provider_Name, EventRecordID, Execution_ProcessID,
// Security_UserID…) and each Data element under its Name (Image,
// CommandLine, ParentImage, TargetFilename, DestinationIp…), as Sigma's
// rules for Linux name them. Event.Time becomes System/TimeCreated, to the
// nanosecond, in place of the header's second without a year.
//
// The syslog fields stay as they are: process.name and process.pid are
// the sysmon daemon's, as the header says; the process the event is about
// is Image and ProcessId. Beside them: event.code, event.provider,
// event.action, event.category and event.type for the events Sysmon for
// Linux writes (1, 3, 5, 11, 23…), user.name (User), file.path
// (TargetFilename), source.ip and .port, destination.ip and .port.
//
// The XML is read with encoding/xml: about 100 µs per message
// (BenchmarkDecodeSysmon), 25 times the cost of the syslog header.
//
// A message that starts like such an event but is not well-formed XML
// (syslog daemons truncate messages over their size limit, often 8 KiB)
// keeps only its syslog fields and is tagged TagInvalidSysmonXML.

// SysmonChannel is the Channel of Sysmon for Linux events.
const SysmonChannel = "Linux-Sysmon/Operational"

// TagInvalidSysmonXML is the FieldTags value of a message that starts like
// a Sysmon for Linux event but is not well-formed XML.
const TagInvalidSysmonXML = "invalid_sysmon_xml"

// sysmonEvent is the XML of one Sysmon for Linux event.
type sysmonEvent struct {
	XMLName xml.Name `xml:"Event"`
	System  struct {
		Provider struct {
			Name string `xml:"Name,attr"`
			GUID string `xml:"Guid,attr"`
		}
		EventID     string
		Version     string
		Level       string
		Task        string
		Opcode      string
		Keywords    string
		TimeCreated struct {
			SystemTime string `xml:"SystemTime,attr"`
		}
		EventRecordID string
		Execution     struct {
			ProcessID string `xml:"ProcessID,attr"`
			ThreadID  string `xml:"ThreadID,attr"`
		}
		Channel  string
		Computer string
		Security struct {
			UserID string `xml:"UserId,attr"`
		}
	}
	EventData struct {
		Data []struct {
			Name  string `xml:"Name,attr"`
			Value string `xml:",chardata"`
		}
	}
}

// isSysmonXML reports whether msg starts like an XML event.
func isSysmonXML(msg string) bool {
	if strings.HasPrefix(msg, "<?xml") {
		_, msg, _ = strings.Cut(msg, "?>")
		msg = strings.TrimLeft(msg, " \t\r\n")
	}
	return strings.HasPrefix(msg, "<Event>") || strings.HasPrefix(msg, "<Event ")
}

// sysmonKind is what a Sysmon event id says in ECS terms.
type sysmonKind struct {
	action, category string
	types            []string
}

// sysmonKinds are the events Sysmon for Linux writes, by Sysmon's names
// (the Windows decoders use the same; see package winjson).
var sysmonKinds = map[string]sysmonKind{
	"1":  {"process-created", "process", []string{"start"}},
	"3":  {"network-connection", "network", []string{"connection", "start"}},
	"4":  {"sysmon-service-state-changed", "configuration", []string{"change"}},
	"5":  {"process-terminated", "process", []string{"end"}},
	"9":  {"raw-access-read", "file", []string{"access"}},
	"11": {"file-created", "file", []string{"creation"}},
	"16": {"sysmon-config-state-changed", "configuration", []string{"change"}},
	"23": {"file-deleted", "file", []string{"deletion"}},
}

// sysmonFields returns the fields of msg, a Sysmon for Linux event, sorted
// by name, and the event's time (zero when it has none). When msg is not
// well-formed XML it returns only the TagInvalidSysmonXML tag.
func sysmonFields(msg string) ([]event.Field, time.Time) {
	var ev sysmonEvent
	if err := xml.Unmarshal([]byte(msg), &ev); err != nil {
		return []event.Field{{Name: FieldTags, Value: TagInvalidSysmonXML}}, time.Time{}
	}
	sys := &ev.System
	fields := make([]event.Field, 0, 24+len(ev.EventData.Data))
	add := func(name, value string, t event.Type) {
		if value != "" {
			fields = append(fields, event.Field{Name: name, Value: value, Type: t})
		}
	}
	number := func(name, value string) {
		if isDigits(value) {
			add(name, value, event.Number)
		} else {
			add(name, value, event.String)
		}
	}
	channel := sys.Channel
	if channel == "" && sys.Provider.Name == "Linux-Sysmon" {
		channel = SysmonChannel
	}
	add("Provider_Name", sys.Provider.Name, event.String)
	add("Provider_Guid", sys.Provider.GUID, event.String)
	number("EventID", sys.EventID)
	number("Version", sys.Version)
	number("Level", sys.Level)
	number("Task", sys.Task)
	number("Opcode", sys.Opcode)
	add("Keywords", sys.Keywords, event.String)
	add("TimeCreated_SystemTime", sys.TimeCreated.SystemTime, event.String)
	number("EventRecordID", sys.EventRecordID)
	number("Execution_ProcessID", sys.Execution.ProcessID)
	number("Execution_ThreadID", sys.Execution.ThreadID)
	add("Channel", channel, event.String)
	add("Computer", sys.Computer, event.String)
	add("Security_UserID", sys.Security.UserID, event.String)

	var user, target, srcIP, srcPort, dstIP, dstPort string
	for _, d := range ev.EventData.Data {
		name := d.Name
		if name == "" {
			name = "Data"
		}
		fields = append(fields, event.Field{Name: name, Value: d.Value})
		switch name {
		case "User":
			user = d.Value
		case "TargetFilename":
			target = d.Value
		case "SourceIp":
			srcIP = d.Value
		case "SourcePort":
			srcPort = d.Value
		case "DestinationIp":
			dstIP = d.Value
		case "DestinationPort":
			dstPort = d.Value
		}
	}

	add(event.EventCode, sys.EventID, event.String)
	add(event.EventProvider, sys.Provider.Name, event.String)
	if k, ok := sysmonKinds[sys.EventID]; ok && strings.EqualFold(channel, SysmonChannel) {
		add(event.EventAction, k.action, event.String)
		add(event.EventCategory, k.category, event.String)
		for _, t := range k.types {
			add(event.EventType, t, event.String)
		}
	}
	if user != "-" {
		add(event.UserName, user, event.String)
	}
	if target != "-" {
		add(event.FilePath, target, event.String)
	}
	addAddress(add, event.SourceIP, event.SourcePort, srcIP, srcPort)
	addAddress(add, event.DestinationIP, event.DestinationPort, dstIP, dstPort)

	slices.SortStableFunc(fields, func(a, b event.Field) int { return strings.Compare(a.Name, b.Name) })
	t, err := time.Parse(time.RFC3339Nano, sys.TimeCreated.SystemTime)
	if err != nil {
		t = time.Time{}
	}
	return fields, t
}

// addAddress adds an IP address and its port, when they are ones.
func addAddress(add func(name, value string, t event.Type), ipName, portName, ip, port string) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return
	}
	add(ipName, addr.Unmap().String(), event.String)
	if n, err := strconv.ParseUint(port, 10, 16); err == nil && n != 0 {
		add(portName, strconv.FormatUint(n, 10), event.Number)
	}
}
