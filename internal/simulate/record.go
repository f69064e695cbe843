package simulate

import (
	"time"
)

// fileID names one output file.
type fileID uint8

const (
	fileAuthLog fileID = iota
	fileWindows
	fileConn
	fileDNS
	fileHTTP
	fileSSL
	fileCloudTrail
	fileEntra
	fileM365
	numFiles
)

// File names in the output folder.
const (
	FileAuthLog    = "auth.log"
	FileWindows    = "windows.jsonl"
	FileConn       = "conn.log"
	FileDNS        = "dns.log"
	FileHTTP       = "http.log"
	FileSSL        = "ssl.log"
	FileCloudTrail = "cloudtrail.json"
	FileEntra      = "entra_signins.jsonl"
	FileM365       = "m365_audit.jsonl"
	FileLabels     = "labels.jsonl"
	FileTruth      = "truth.json"
	FileGeo        = "geo.csv"
)

// Format names, as Vigie's decoder registry and the "format" parameter of
// POST /api/v1/events know them.
const (
	FormatSyslog     = "syslog"
	FormatWinJSON    = "winjson"
	FormatZeek       = "zeek"
	FormatCloudTrail = "cloudtrail"
	FormatEntra      = "entra"
	FormatM365       = "m365"
)

// fileSpec describes one event file.
type fileSpec struct {
	name   string
	format string
	zeek   string // the Zeek log path, for Zeek files
}

var fileSpecs = [numFiles]fileSpec{
	fileAuthLog:    {FileAuthLog, FormatSyslog, ""},
	fileWindows:    {FileWindows, FormatWinJSON, ""},
	fileConn:       {FileConn, FormatZeek, "conn"},
	fileDNS:        {FileDNS, FormatZeek, "dns"},
	fileHTTP:       {FileHTTP, FormatZeek, "http"},
	fileSSL:        {FileSSL, FormatZeek, "ssl"},
	fileCloudTrail: {FileCloudTrail, FormatCloudTrail, ""},
	fileEntra:      {FileEntra, FormatEntra, ""},
	fileM365:       {FileM365, FormatM365, ""},
}

// record is one generated event, before the files are laid out.
type record struct {
	t      time.Time
	file   fileID
	source string     // where it came from, for live mode: "windows/FS01", "syslog/gw01", "zeek"
	body   []byte     // the record as written, without the newline; nil when win is set
	win    *winEvent  // Windows events are rendered last, once their record numbers are known
	label  *labelInfo // nil for ordinary activity
}

// labelInfo is what a malicious record is labelled with.
type labelInfo struct {
	stage     string
	technique string
	entities  Entities
}

// builder collects records. It is used by one goroutine.
type builder struct {
	cfg  Config
	org  *org
	recs []record
}

// add keeps one record.
func (b *builder) add(r record) { b.recs = append(b.recs, r) }

// mal says which stage and technique a generated record belongs to, and
// the entities it concerns; the zero value marks ordinary activity.
type mal struct {
	stage     string
	technique string
	entities  Entities
}

// label returns the label of a record of m, nil for ordinary activity.
func (m mal) label() *labelInfo {
	if m.stage == "" {
		return nil
	}
	return &labelInfo{stage: m.stage, technique: m.technique, entities: m.entities}
}
