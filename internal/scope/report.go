package scope

import (
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// Subject is what an incident knows of itself: the entities its alerts
// name, its time window and the alerts.
type Subject struct {
	Accounts  []string
	Hosts     []string
	Addresses []string
	// From and To bound the window: From <= t < To. A zero To means now.
	From, To time.Time
	// Alerts are the incident's alert events (event.KindAlert), as
	// detect.Alert.ToEvent stores them.
	Alerts []*event.Event
}

// Report is the scope of an incident. It is plain data, ready for JSON.
type Report struct {
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	Accounts  []Account  `json:"accounts"`
	Hosts     []Host     `json:"hosts"`
	Movement  Movement   `json:"movement"`
	Data      []Data     `json:"data"`
	Transfers []Transfer `json:"transfers"`
	Gaps      []Gap      `json:"gaps"`
	// EventsRead counts the events read from the store.
	EventsRead int       `json:"events_read"`
	Truncated  Truncated `json:"truncated"`
}

// Why an entity is in the report.
const (
	ViaSubject   = "subject"   // named by the incident
	ViaLogon     = "logon"     // an involved account logged on to it, or it logged on from an involved address
	ViaAttempted = "attempted" // an involved address tried and failed to log on to it
	ViaExposed   = "exposed"   // it logged on interactively to a compromised host
)

// Account is an involved account, spelled as the logs spell it.
type Account struct {
	Name   string `json:"name"`
	Via    string `json:"via"`
	Reason string `json:"reason"`
	// First and Last are its first and last event in the window; Events
	// counts them. Zero when it left no event there.
	First  time.Time `json:"first,omitzero"`
	Last   time.Time `json:"last,omitzero"`
	Events int       `json:"events"`
}

// Host is an involved host. Name is its longest spelling in the logs (a
// fully qualified name when one was seen); Aliases are the others.
type Host struct {
	Name      string    `json:"name"`
	Aliases   []string  `json:"aliases,omitempty"`
	Addresses []string  `json:"addresses,omitempty"`
	Via       string    `json:"via"`
	Reason    string    `json:"reason"`
	First     time.Time `json:"first,omitzero"`
	Last      time.Time `json:"last,omitzero"`
	Events    int       `json:"events"`
}

// Movement is the authentication graph of the involved entities.
type Movement struct {
	// FirstCompromised is the entity the intrusion began with, when the
	// logs tell.
	FirstCompromised *Foothold `json:"first_compromised,omitempty"`
	Edges            []Edge    `json:"edges"` // by First, then Last
	// EdgesTotal counts every edge, listed or not.
	EdgesTotal int `json:"edges_total"`
}

// Foothold names the first compromised entity.
type Foothold struct {
	Kind   string    `json:"kind"` // "account", "host" or "address"
	Name   string    `json:"name"`
	Time   time.Time `json:"time"`
	Reason string    `json:"reason"`
}

// Edge is a set of authentications with the same source, target, account,
// method and outcome.
type Edge struct {
	From     string `json:"from"`                // source address, or host
	FromName string `json:"from_name,omitempty"` // the workstation name the logon gave
	To       string `json:"to"`                  // host, or cloud service
	Account  string `json:"account"`
	// Method is the logon type, protocol or application.
	Method  string    `json:"method"`
	Outcome string    `json:"outcome"` // success, failure or unknown
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	Count   int       `json:"count"`
}

// Kinds of data containers.
const (
	KindShare     = "share"     // a Windows file share, \\HOST\Share
	KindFiles     = "files"     // files on a host (local paths)
	KindBucket    = "bucket"    // an S3 bucket
	KindSecrets   = "secrets"   // AWS Secrets Manager, SSM parameters, KMS keys, instance passwords
	KindMailbox   = "mailbox"   // an Exchange Online mailbox
	KindSite      = "site"      // a SharePoint site or OneDrive
	KindSnapshots = "snapshots" // EC2 and RDS snapshots and images shared
)

// Data is one container of data the involved accounts or addresses
// accessed in the window.
type Data struct {
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	Accounts []string `json:"accounts,omitempty"`
	// Objects are the first MaxObjects distinct objects accessed, by
	// first access; ObjectsTotal counts every distinct object. When the
	// MaxDistinct budget runs out (Truncated), the objects counted are
	// the most recent: the store is read newest first.
	Objects      []Object  `json:"objects"`
	ObjectsTotal int       `json:"objects_total"`
	Accesses     int       `json:"accesses"`
	Denied       int       `json:"denied,omitempty"` // accesses that failed
	First        time.Time `json:"first"`
	Last         time.Time `json:"last"`
	// Truncated says that ObjectsTotal is a lower bound: the report's
	// MaxDistinct budget ran out.
	Truncated bool `json:"truncated,omitempty"`
}

// Object is one file, object, secret, message or item.
type Object struct {
	Name    string   `json:"name"`
	Actions []string `json:"actions"` // e.g. "5145", "GetObject", "FileDownloaded"
	// Accounts are the first few accounts that accessed it.
	Accounts []string  `json:"accounts,omitempty"`
	Count    int       `json:"count"`
	Denied   int       `json:"denied,omitempty"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// Verdicts on a transfer.
const (
	Normal             = "normal"
	Unusual            = "unusual"
	LikelyExfiltration = "likely_exfiltration"
)

// Kinds of transfers.
const (
	TransferNetwork = "network" // flows (Zeek conn, firewall) and proxy requests
	TransferS3      = "s3"      // S3 objects read from an outside address
	TransferCloud   = "cloud"   // Microsoft 365 downloads from an outside address
	TransferShare   = "share"   // AWS snapshots or images shared with another account
)

// Transfer is what went to one destination in the window.
type Transfer struct {
	Kind        string `json:"kind"`
	Destination string `json:"destination"` // an address, or "aws-account:ID"
	Domain      string `json:"domain,omitempty"`
	// Sources are the involved addresses or accounts it came from.
	Sources     []string  `json:"sources"`
	Bytes       int64     `json:"bytes"`
	Connections int       `json:"connections"` // flows, requests or downloads
	Objects     int       `json:"objects,omitempty"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
	// BaselineDailyBytes is the median daily bytes the main source sent
	// outside on the BaselineDays before the window with traffic.
	BaselineDailyBytes int64 `json:"baseline_daily_bytes"`
	BaselineDays       int   `json:"baseline_days"`
	// NeverContacted: no stored event names the destination before the
	// window.
	NeverContacted bool   `json:"never_contacted"`
	Verdict        string `json:"verdict"`
	Reason         string `json:"reason"`
}

// Causes of a gap.
const (
	CauseSilence = "silence"         // no event for far longer than usual
	CauseCleared = "log_cleared"     // a log was cleared
	CauseStopped = "logging_stopped" // logging was stopped or deleted
)

// Gap is a stretch of the window about which the logs of one entity or
// source say nothing. What happened then is unknown.
type Gap struct {
	Entity string    `json:"entity"`
	Kind   string    `json:"kind"` // "host", "account" or "source"
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Causes []string  `json:"causes"`
	// Text says it in words, beginning "unknown: no logs from".
	Text string `json:"text"`
}

// Truncated says which bounds of Config were hit; the report is then a
// lower bound in that respect.
type Truncated struct {
	Events       bool `json:"events,omitempty"`
	Accounts     bool `json:"accounts,omitempty"`
	Hosts        bool `json:"hosts,omitempty"`
	Edges        bool `json:"edges,omitempty"`
	Containers   bool `json:"containers,omitempty"`
	Objects      bool `json:"objects,omitempty"`
	Destinations bool `json:"destinations,omitempty"`
	Transfers    bool `json:"transfers,omitempty"`
}

// Any reports whether some bound was hit.
func (t Truncated) Any() bool { return t != Truncated{} }
