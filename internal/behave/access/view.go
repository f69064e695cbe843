package access

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// Kind is what an access did with an object.
type Kind uint8

// The kinds of access.
const (
	// Read is an object opened for reading: a file read, a mail item
	// opened.
	Read Kind = iota + 1
	// Download is an object copied out whole: a file downloaded or
	// synced, an S3 object fetched, a mail folder synced.
	Download
	// List is a listing of objects: an S3 bucket listed.
	List
)

var kindNames = [...]string{Read: "read", Download: "download", List: "list"}

// String returns "read", "download" or "list".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Access is one access to stored data as the detectors see it, whatever
// reported it.
type Access struct {
	Time time.Time
	// Account names who accessed: DOMAIN\user for Windows, the user id
	// (UPN) for Microsoft 365, the principal's ARN for AWS; lower-cased
	// except ARNs. "" when the record has none.
	Account string
	// User is user.name as the decoder gave it, for findings.
	User string
	// Host is the machine that logged the access, where the object is:
	// the file server of a 4663 or 5145. "" for cloud services.
	Host string
	// SourceIP is the client's address: 5145's IpAddress, Microsoft 365's
	// ClientIP, CloudTrail's sourceIPAddress. "" for local access.
	SourceIP string
	// Object identifies what was accessed: a file path, SHARE\path, an
	// M365 ObjectId (the file's URL) or message id, bucket/key.
	Object string
	Kind   Kind
	// Bytes is the size transferred, -1 when the record does not say.
	Bytes int64
	// Count is how many items the record stands for, at least 1: a
	// MailItemsAccessed record that names no message gives its
	// OperationCount.
	Count int
	// Service names the record: "windows/4663", "windows/5145",
	// "m365/FileDownloaded", "aws/s3/GetObject"…
	Service string
}

// Client returns who accessed, as a place: the client's address, else the
// host for a local access.
func (a *Access) Client() string {
	if a.SourceIP != "" {
		return a.SourceIP
	}
	return a.Host
}

// From appends to dst the accesses ev records, and returns it. It
// recognises:
//
//   - Windows 4663 (an attempt to access an object) on a file, with
//     ReadData (0x1) in its AccessMask: a Read of ObjectName by
//     SubjectDomainName\SubjectUserName. Registry keys, processes and
//     other object types are not data.
//   - Windows 5145 (a network share object checked for access) with
//     ReadData in its AccessMask: a Read of ShareName\RelativeTargetName
//     from IpAddress. IPC$, the share of named pipes, is not data; nor are
//     masks without ReadData (ReadAttributes alone, 0x80, is a directory
//     walk's stat).
//   - Microsoft 365 unified audit log records (native names, which the
//     m365 decoder keeps): FileAccessed (Read), FileDownloaded and
//     FileSyncDownloadedFull (Download) of ObjectId, else
//     SourceRelativeUrl/SourceFileName, by UserId from ClientIP; and
//     MailItemsAccessed, one access per message it names
//     (Folders.FolderItems.InternetMessageId, with SizeInBytes), else one
//     access standing for OperationCount items; a Sync (OperationProperties
//     MailAccessType) is a Download, a Bind a Read.
//   - CloudTrail S3 data events of s3.amazonaws.com that succeeded:
//     GetObject (Download of requestParameters.bucketName/key, with
//     additionalEventData.bytesTransferredOut), ListObjects, ListObjectsV2
//     and ListObjectVersions (List of bucketName/prefix), by
//     userIdentity.arn from sourceIPAddress.
//
// From keeps no reference to ev; the strings of the accesses share ev's
// memory.
func From(dst []Access, ev *event.Event) []Access {
	if ev.Kind != event.KindEvent {
		return dst
	}
	if id, ok := ev.Get("EventID"); ok {
		switch id {
		case "4663":
			return windowsObject(dst, ev)
		case "5145":
			return windowsShare(dst, ev)
		}
		return dst
	}
	if op, ok := ev.Get("Operation"); ok {
		return m365(dst, ev, op)
	}
	if src, ok := ev.Get("eventSource"); ok && src == "s3.amazonaws.com" {
		return s3(dst, ev)
	}
	return dst
}

// readData is the ReadData (file) / ListDirectory (directory) access
// right: FILE_READ_DATA, 0x1.
const readData = 0x1

func hasReadData(mask string) bool {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(mask, "0x"), "0X"), 16, 64)
	return err == nil && v&readData != 0
}

func windowsObject(dst []Access, ev *event.Event) []Access {
	if get(ev, "ObjectType") != "File" || !hasReadData(get(ev, "AccessMask")) {
		return dst
	}
	obj := get(ev, "ObjectName")
	if obj == "" {
		return dst
	}
	return append(dst, Access{
		Time: ev.Time, Account: windowsAccount(ev), User: get(ev, event.UserName), Host: get(ev, event.HostName),
		Object: obj, Kind: Read, Bytes: -1, Count: 1, Service: "windows/4663",
	})
}

func windowsShare(dst []Access, ev *event.Event) []Access {
	share := get(ev, "ShareName")
	// \\*\C$ → C$
	if i := strings.LastIndexByte(share, '\\'); i >= 0 {
		share = share[i+1:]
	}
	if share == "" || strings.EqualFold(share, "IPC$") || !hasReadData(get(ev, "AccessMask")) {
		return dst
	}
	return append(dst, Access{
		Time: ev.Time, Account: windowsAccount(ev), User: get(ev, event.UserName), Host: get(ev, event.HostName),
		SourceIP: firstOf(ev, event.SourceIP, "IpAddress"),
		Object:   share + `\` + strings.TrimPrefix(get(ev, "RelativeTargetName"), `\`),
		Kind:     Read, Bytes: -1, Count: 1, Service: "windows/5145",
	})
}

// windowsAccount returns domain\user of the subject, lower-cased.
func windowsAccount(ev *event.Event) string {
	user := firstOf(ev, "SubjectUserName", event.UserName)
	if user == "" {
		return ""
	}
	if d := firstOf(ev, "SubjectDomainName", event.UserDomain); d != "" {
		return strings.ToLower(d + `\` + user)
	}
	return strings.ToLower(user)
}

func m365(dst []Access, ev *event.Event, op string) []Access {
	var kind Kind
	switch op {
	case "FileAccessed":
		kind = Read
	case "FileDownloaded", "FileSyncDownloadedFull":
		kind = Download
	case "MailItemsAccessed":
		return mailItems(dst, ev)
	default:
		return dst
	}
	obj := get(ev, "ObjectId")
	if obj == "" {
		obj = get(ev, "SourceRelativeUrl") + "/" + get(ev, "SourceFileName")
	}
	a := m365Access(ev, "m365/"+op)
	a.Object, a.Kind = obj, kind
	return append(dst, a)
}

func m365Access(ev *event.Event, service string) Access {
	return Access{
		Time: ev.Time, Account: strings.ToLower(firstOf(ev, "UserId", event.UserName)), User: firstOf(ev, event.UserName, "UserId"),
		SourceIP: clientIP(firstOf(ev, event.SourceIP, "ClientIP", "ClientIPAddress")),
		Bytes:    -1, Count: 1, Service: service,
	}
}

// mailItems reads a MailItemsAccessed record.
func mailItems(dst []Access, ev *event.Event) []Access {
	a := m365Access(ev, "m365/MailItemsAccessed")
	a.Kind = Read
	names, values := ev.Values("OperationProperties.Name"), ev.Values("OperationProperties.Value")
	for i := range min(len(names), len(values)) {
		if names[i].Value == "MailAccessType" && values[i].Value == "Sync" {
			a.Kind = Download
		}
	}
	ids, sizes := ev.Values("Folders.FolderItems.InternetMessageId"), ev.Values("Folders.FolderItems.SizeInBytes")
	if len(ids) == 0 {
		a.Object = firstOf(ev, "Folders.Path", "ObjectId")
		if owner := get(ev, "MailboxOwnerUPN"); owner != "" {
			a.Object = strings.ToLower(owner) + ":" + a.Object
		}
		if n, err := strconv.Atoi(get(ev, "OperationCount")); err == nil && n > 1 {
			a.Count = n
		}
		return append(dst, a)
	}
	for i, id := range ids {
		a.Object = id.Value
		a.Bytes = -1
		if len(sizes) == len(ids) {
			if n, err := strconv.ParseInt(sizes[i].Value, 10, 64); err == nil {
				a.Bytes = n
			}
		}
		dst = append(dst, a)
	}
	return dst
}

// clientIP returns the address of Microsoft 365's ClientIP, which may carry
// a port ("203.0.113.5:51234", "[2001:db8::1]:443").
func clientIP(s string) string {
	if s == "" {
		return ""
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}

func s3(dst []Access, ev *event.Event) []Access {
	if out, _ := ev.Get(event.EventOutcome); out == event.OutcomeFailure || get(ev, "errorCode") != "" {
		return dst
	}
	name := get(ev, "eventName")
	bucket := get(ev, "requestParameters.bucketName")
	a := Access{
		Time: ev.Time, Account: firstOf(ev, "userIdentity.arn", event.UserName), User: get(ev, event.UserName),
		SourceIP: get(ev, event.SourceIP), Bytes: -1, Count: 1, Service: "aws/s3/" + name,
	}
	switch name {
	case "GetObject":
		a.Kind, a.Object = Download, bucket+"/"+get(ev, "requestParameters.key")
		if f, err := strconv.ParseFloat(get(ev, "additionalEventData.bytesTransferredOut"), 64); err == nil && f >= 0 {
			a.Bytes = int64(f)
		}
	case "ListObjects", "ListObjectsV2", "ListObjectVersions":
		a.Kind, a.Object = List, bucket+"/"+get(ev, "requestParameters.prefix")
	default:
		return dst
	}
	if bucket == "" {
		return dst
	}
	return append(dst, a)
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

// firstOf returns the first of the named fields that has a value.
func firstOf(ev *event.Event, names ...string) string {
	for _, n := range names {
		if v := get(ev, n); v != "" {
			return v
		}
	}
	return ""
}
