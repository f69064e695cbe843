package simulate

import (
	"path"
	"strings"
	"time"
)

// Microsoft 365 audit record types used here (AuditLogRecordType).
const (
	recordSharePointFileOperation = 6
	recordAzureActiveDirectoryLog = 15
	recordExchangeItemAggregated  = 50
)

// m365Common returns the common schema of the Office 365 Management
// Activity API, in the order the API writes it. An empty objectID is left
// out, as Exchange mailbox records do.
func (o *org) m365Common(r rng, t time.Time, operation string, recordType int, workload, userID, userKey, clientIP, objectID string) obj {
	rec := obj{
		{"CreationTime", t.UTC().Format(m365Time)},
		{"Id", r.uuid()},
		{"Operation", operation},
		{"OrganizationId", o.tenantID},
		{"RecordType", recordType},
		{"UserKey", userKey},
		{"UserType", 0},
		{"Version", 1},
		{"Workload", workload},
		{"ClientIP", clientIP},
	}
	if objectID != "" {
		rec = rec.add("ObjectId", objectID)
	}
	return rec.add("UserId", userID)
}

// m365 adds a Microsoft 365 audit record.
func (b *builder) m365(t time.Time, rec obj, m mal, upn, ip string) {
	if m.stage != "" {
		if m.entities.UserName == "" {
			m.entities.UserName = upn
		}
		if m.entities.SourceIP == "" {
			m.entities.SourceIP = ip
		}
	}
	b.add(record{t: t, file: fileM365, source: "m365", body: rec.bytes(), label: m.label()})
}

// spFile is a document in SharePoint Online.
type spFile struct {
	site   string // "Prosecution"
	folder string // "Shared Documents/Case-2025-014"
	name   string
}

// fileOperation adds a SharePoint file operation: FileAccessed,
// FileDownloaded, FileModified or FileUploaded.
func (b *builder) fileOperation(r rng, t time.Time, p *person, ip, agent, operation string, f spFile, m mal) {
	siteURL := "https://" + b.org.spHost + "/sites/" + f.site + "/"
	objectID := siteURL + f.folder + "/" + f.name
	rec := b.org.m365Common(r, t, operation, recordSharePointFileOperation, "SharePoint", p.upn,
		"i:0h.f|membership|"+strings.ToLower(p.puid)+"@live.com", ip, objectID)
	rec = append(rec,
		kv{"CorrelationId", r.uuid()},
		kv{"EventSource", "SharePoint"},
		kv{"ItemType", "File"},
		kv{"ListId", siteGUID(f.site, "list")},
		kv{"ListItemUniqueId", r.uuid()},
		kv{"Site", siteGUID(f.site, "site")},
		kv{"UserAgent", agent},
		kv{"WebId", siteGUID(f.site, "web")},
		kv{"SourceFileExtension", strings.TrimPrefix(path.Ext(f.name), ".")},
		kv{"SiteUrl", siteURL},
		kv{"SourceFileName", f.name},
		kv{"SourceRelativeUrl", f.folder},
	)
	b.m365(t, rec, m, p.upn, ip)
}

// siteGUID returns a stable GUID for a SharePoint site's site, web or list.
func siteGUID(site, kind string) string {
	h := hash64(kind + "/" + site)
	g := hash64(site + "/" + kind)
	const hex = "0123456789abcdef"
	var b []byte
	for i := range 32 {
		v := h
		if i >= 16 {
			v = g
		}
		b = append(b, hex[(v>>(4*(i%16)))&0xf])
		if i == 7 || i == 11 || i == 15 || i == 19 {
			b = append(b, '-')
		}
	}
	return string(b)
}

// mailAccess adds a MailItemsAccessed record: count messages of p's
// mailbox read by a client at ip, as a sync or one bind per message.
func (b *builder) mailAccess(r rng, t time.Time, p *person, ip, clientInfo, access string, count int, m mal) {
	rec := b.org.m365Common(r, t, "MailItemsAccessed", recordExchangeItemAggregated, "Exchange", p.upn, p.puid, ip, "")
	var items []obj
	for range count {
		items = append(items, obj{{"InternetMessageId", "<" + r.hexWord(24) + "@" + strings.ToUpper(r.word("abcdefghijklmnopqrstuvwxyz", 4)) + "PR02MB" + r.word("0123456789", 4) + ".eurprd02.prod.outlook.com>"}, {"SizeInBytes", 8000 + r.IntN(400000)}})
	}
	folders := obj{{"FolderItems", items}, {"Id", "LgAAAAA" + r.word(base62, 40)}, {"Path", `\Inbox`}}
	if access == "Sync" {
		folders = obj{{"Id", "LgAAAAA" + r.word(base62, 40)}, {"Path", `\Inbox`}}
	}
	rec = append(rec,
		kv{"ResultStatus", "Succeeded"},
		kv{"AppId", "00000002-0000-0ff1-ce00-000000000000"},
		kv{"ClientAppId", ""},
		kv{"ClientIPAddress", ip},
		kv{"ClientInfoString", clientInfo},
		kv{"ExternalAccess", false},
		kv{"InternalLogonType", 0},
		kv{"LogonType", 0},
		kv{"LogonUserSid", p.sid(b.org)},
		kv{"MailboxGuid", siteGUID(p.sam, "mailbox")},
		kv{"MailboxOwnerSid", p.sid(b.org)},
		kv{"MailboxOwnerUPN", p.upn},
		kv{"OperationProperties", []obj{{{"Name", "MailAccessType"}, {"Value", access}}, {{"Name", "IsThrottled"}, {"Value", "False"}}}},
		kv{"OrganizationName", "tribunalexample.onmicrosoft.com"},
		kv{"OriginatingServer", "AM0PR02MB" + r.word("0123456789", 4) + " (15.20.7362.020)"},
		kv{"SessionId", r.uuid()},
		kv{"Folders", []obj{folders}},
		kv{"OperationCount", max(count, 1)},
	)
	b.m365(t, rec, m, p.upn, ip)
}
