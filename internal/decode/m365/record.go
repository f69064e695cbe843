package m365

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/vigie-sec/vigie/internal/decode/jsonframe"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

// ECS names this package fills besides those of package event.
const (
	fieldFileName      = "file.name"
	fieldFileExtension = "file.extension"
	fieldErrorCode     = "error.code"
	fieldErrorMessage  = "error.message"
)

// dataset is the event.dataset of these events, as Filebeat's o365 module
// names it.
const dataset = "o365.audit"

// maxECS bounds the ECS fields added to a record: room for them is made
// once.
const maxECS = 14

// The record types the mapping reads (AuditLogRecordType in the Management
// Activity API schema). Records give the number; CSV exports and
// PowerShell give the name.
var (
	typeExchangeItem          = recordType{2, "ExchangeItem"}
	typeExchangeItemGroup     = recordType{3, "ExchangeItemGroup"}
	typeSharePointFileOp      = recordType{6, "SharePointFileOperation"}
	typeAzureActiveDirectory  = recordType{8, "AzureActiveDirectory"}
	typeAzureADAccountLogon   = recordType{9, "AzureActiveDirectoryAccountLogon"}
	typeAzureADStsLogon       = recordType{15, "AzureActiveDirectoryStsLogon"}
	typeExchangeItemAggregate = recordType{50, "ExchangeItemAggregated"}
)

type recordType struct {
	number int
	name   string
}

// is reports whether the RecordType value v is t, as its number or name.
func (t recordType) is(v string) bool {
	if n, err := strconv.Atoi(v); err == nil {
		return n == t.number
	}
	return strings.EqualFold(v, t.name)
}

// recordDecoder decodes the records of one stream.
type recordDecoder struct {
	flattener jsonl.Flattener
	// outer holds the wrapper fields of a record that carries the audit
	// record in AuditData, reused.
	outer event.Event
}

// DecodeRecord decodes one record, a JSON object (a Management Activity API
// record, or one that carries it in AuditData), into e: the flattened
// record and its ECS fields, with e.Time from CreationTime. Fields are
// sorted. It does not set Raw, Format or Kind; on error e.Fields is left as
// it was and the caller marks the event malformed. It keeps no reference
// to rec and is safe for concurrent use.
func DecodeRecord(rec []byte, e *event.Event) error {
	var d recordDecoder
	if err := d.decode(rec, e); err != nil {
		return err
	}
	e.Sort()
	return nil
}

// decode is DecodeRecord without the final sort, for decode.Line, which
// sorts.
func (d *recordDecoder) decode(rec []byte, e *event.Event) error {
	grow(e, rec)
	n := len(e.Fields)
	if !bytes.Contains(rec, []byte(`uditData"`)) {
		if err := d.flattener.Object(rec, e); err != nil {
			return err
		}
		d.finish(e, n)
		return nil
	}
	d.outer.Fields = d.outer.Fields[:0]
	if err := d.flattener.Object(rec, &d.outer); err != nil {
		return err
	}
	inner := auditData(rec)
	if inner == nil {
		e.Fields = append(e.Fields, d.outer.Fields...)
	} else if err := d.merge(inner, d.outer.Fields, e); err != nil {
		return err
	}
	d.finish(e, n)
	return nil
}

// decodeRow decodes the cells of a CSV row whose column audit holds the
// audit record.
func (d *recordDecoder) decodeRow(columns []string, audit int, cells []string, e *event.Event) error {
	if len(cells) <= audit {
		return fmt.Errorf("row has %d fields, AuditData is field %d", len(cells), audit+1)
	}
	if strings.TrimSpace(cells[audit]) == "" {
		return errors.New("empty AuditData")
	}
	grow(e, []byte(cells[audit]))
	n := len(e.Fields)
	d.outer.Fields = d.outer.Fields[:0]
	for i, c := range cells {
		if i != audit && i < len(columns) && c != "" {
			d.outer.Fields = append(d.outer.Fields, event.Field{Name: columns[i], Value: c})
		}
	}
	if err := d.merge([]byte(cells[audit]), d.outer.Fields, e); err != nil {
		return err
	}
	d.finish(e, n)
	return nil
}

// grow makes room in e.Fields for the fields of rec and the ECS fields, so
// that they take one allocation: a record has at most about one scalar per
// colon. Without it, the ECS fields appended after flattening cost a
// second allocation and copy, a third of the bytes allocated
// (BenchmarkDecode).
func grow(e *event.Event, rec []byte) {
	e.Fields = slices.Grow(e.Fields, bytes.Count(rec, []byte{':'})+maxECS)
}

// merge flattens the audit record inner into e and adds the wrapper's
// fields that it lacks, but for AuditData itself: the columns of a CSV
// export (RecordId, CreationDate, AssociatedAdminUnits…) or the members of
// a Search-UnifiedAuditLog object. Where both name a field (Operation,
// RecordType), the audit record's value is kept.
func (d *recordDecoder) merge(inner []byte, outer []event.Field, e *event.Event) error {
	n := len(e.Fields)
	if err := d.flattener.Object(inner, e); err != nil {
		return fmt.Errorf("AuditData: %w", err)
	}
	sorted := len(e.Fields)
	own := e.Fields[n:sorted]
	for _, f := range outer {
		if strings.EqualFold(f.Name, "AuditData") || (len(f.Name) > 10 && strings.EqualFold(f.Name[:10], "AuditData.")) {
			continue
		}
		i := sort.Search(len(own), func(i int) bool { return own[i].Name >= f.Name })
		if i < len(own) && own[i].Name == f.Name {
			continue
		}
		e.Fields = append(e.Fields, f)
	}
	event.SortTail(e.Fields[n:], sorted-n)
	return nil
}

// auditData returns the audit record a wrapper carries in its AuditData
// member, as a JSON string (Search-UnifiedAuditLog) or an object, or nil.
// rec must be valid JSON.
func auditData(rec []byte) []byte {
	raw := jsonframe.Member(rec, "AuditData")
	switch {
	case len(raw) > 0 && raw[0] == '{':
		return raw
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil && strings.HasPrefix(strings.TrimSpace(s), "{") {
			return []byte(s)
		}
	}
	return nil
}

// finish adds the ECS fields to the record flattened in e.Fields[n:], which
// are sorted, and sets e.Time.
func (d *recordDecoder) finish(e *event.Event, n int) {
	sorted := len(e.Fields)
	var r record
	r.collect(e.Fields[n:])
	if t, ok := parseTime(r.creationTime); ok {
		e.Time = t
	} else if t, ok := parseTime(r.creationDate); ok {
		e.Time = t
	}
	e.Fields = slices.Grow(e.Fields, maxECS) // a no-op but for arrays of scalars
	add := func(name, value string) {
		if value != "" {
			e.Fields = append(e.Fields, event.Field{Name: name, Value: value})
		}
	}
	outcome := r.outcome()
	add(event.EventAction, r.operation)
	add(event.EventCategory, r.category())
	add(event.EventDataset, dataset)
	add(event.EventOutcome, outcome)
	add(event.EventProvider, r.workload)
	if r.login() && outcome == event.OutcomeFailure {
		if r.errorCode != "0" {
			add(fieldErrorCode, r.errorCode)
		}
		add(fieldErrorMessage, r.logonError)
	}
	add(fieldFileExtension, r.fileExtension)
	add(fieldFileName, r.fileName)
	add(event.SourceIP, firstOf(parseIP(r.clientIP), parseIP(r.clientIPAddress), parseIP(r.actorIP)))
	if u := r.objectID; hasPrefixFold(u, "https://") || hasPrefixFold(u, "http://") {
		add(event.URLOriginal, u)
	}
	add(event.UserAgent, firstOf(r.userAgent, r.extendedUserAgent))
	add(event.UserID, r.userKey)
	add(event.UserName, r.userID)
	event.SortTail(e.Fields[n:], sorted-n)
}

// record holds the values the ECS mapping reads, from the top-level
// fields. Names are matched without regard to case.
type record struct {
	creationTime, creationDate, operation, recordType, resultStatus string
	userID, userKey, workload, objectID                             string
	clientIP, clientIPAddress, actorIP                              string
	fileName, fileExtension, userAgent                              string
	errorCode, logonError                                           string
	// extendedUserAgent is the ExtendedProperties value named UserAgent,
	// of Azure AD logons; extendedAgent is its index among the names and
	// extendedValues counts the values seen.
	extendedUserAgent             string
	extendedAgent, extendedValues int
}

// collect fills r from the record's fields, first value first. Fields are
// sorted by name, so the ExtendedProperties names come before their values.
func (r *record) collect(fields []event.Field) {
	r.extendedAgent = -1
	names := 0
	var buf [64]byte
	for i := range fields {
		f := &fields[i]
		if len(f.Name) > len(buf) {
			continue
		}
		var dst *string
		switch string(lowerASCII(buf[:0], f.Name)) {
		case "creationtime":
			dst = &r.creationTime
		case "creationdate":
			dst = &r.creationDate
		case "operation":
			dst = &r.operation
		case "recordtype":
			dst = &r.recordType
		case "resultstatus":
			dst = &r.resultStatus
		case "userid":
			dst = &r.userID
		case "userkey":
			dst = &r.userKey
		case "workload":
			dst = &r.workload
		case "objectid":
			dst = &r.objectID
		case "clientip":
			dst = &r.clientIP
		case "clientipaddress":
			dst = &r.clientIPAddress
		case "actoripaddress":
			dst = &r.actorIP
		case "sourcefilename":
			dst = &r.fileName
		case "sourcefileextension":
			dst = &r.fileExtension
		case "useragent":
			dst = &r.userAgent
		case "errorcode", "errornumber":
			dst = &r.errorCode
		case "logonerror":
			dst = &r.logonError
		case "extendedproperties.name":
			if r.extendedAgent < 0 && strings.EqualFold(f.Value, "UserAgent") {
				r.extendedAgent = names
			}
			names++
			continue
		case "extendedproperties.value":
			if r.extendedValues == r.extendedAgent {
				r.extendedUserAgent = f.Value
			}
			r.extendedValues++
			continue
		default:
			continue
		}
		if *dst == "" {
			*dst = f.Value
		}
	}
}

// login reports whether the record is an Azure AD logon (UserLoggedIn,
// UserLoginFailed).
func (r *record) login() bool {
	return strings.EqualFold(r.operation, "UserLoggedIn") || strings.EqualFold(r.operation, "UserLoginFailed") ||
		typeAzureADStsLogon.is(r.recordType) || typeAzureADAccountLogon.is(r.recordType)
}

// category is the ECS event.category: authentication for logons (and
// Exchange's MailboxLogin), file for SharePoint and OneDrive file
// operations, email for Exchange mailbox items, iam for other Azure AD
// records; "" otherwise.
func (r *record) category() string {
	switch {
	case r.login() || strings.EqualFold(r.operation, "MailboxLogin"):
		return "authentication"
	case typeSharePointFileOp.is(r.recordType),
		(strings.EqualFold(r.workload, "SharePoint") || strings.EqualFold(r.workload, "OneDrive")) && strings.HasPrefix(r.operation, "File"):
		return "file"
	case typeExchangeItem.is(r.recordType), typeExchangeItemGroup.is(r.recordType), typeExchangeItemAggregate.is(r.recordType),
		strings.EqualFold(r.operation, "MailItemsAccessed"):
		return "email"
	case typeAzureActiveDirectory.is(r.recordType):
		return "iam"
	}
	return ""
}

// outcome is the ECS event.outcome. For Azure AD logons ResultStatus only
// says that the HTTP exchange succeeded (schema, "Common schema"): a
// UserLoginFailed operation, a non-zero ErrorCode or a LogonError is a
// failure. Otherwise ResultStatus decides: Succeeded (True for Exchange
// admin cmdlets) is a success, Failed (False) a failure,
// PartiallySucceeded unknown.
func (r *record) outcome() string {
	if r.login() {
		if strings.EqualFold(r.operation, "UserLoginFailed") || (r.errorCode != "" && r.errorCode != "0") || r.logonError != "" {
			return event.OutcomeFailure
		}
		return event.OutcomeSuccess
	}
	switch strings.ToLower(r.resultStatus) {
	case "succeeded", "success", "true":
		return event.OutcomeSuccess
	case "failed", "failure", "false":
		return event.OutcomeFailure
	case "partiallysucceeded":
		return event.OutcomeUnknown
	}
	return ""
}

// lowerASCII appends s to dst with ASCII letters lowered.
func lowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// parseIP returns the canonical text of the address in s, which may carry
// a port ("192.0.2.1:51234", "[2001:db8::1]:443") or brackets, or "" when
// s holds no address or the unspecified one.
func parseIP(s string) string {
	s = strings.TrimSpace(s)
	addr, err := netip.ParseAddr(s)
	if err != nil {
		if ap, perr := netip.ParseAddrPort(s); perr == nil {
			addr, err = ap.Addr(), nil
		} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			addr, err = netip.ParseAddr(s[1 : len(s)-1])
		}
	}
	if err != nil || addr.IsUnspecified() {
		return ""
	}
	return addr.Unmap().WithZone("").String()
}

// usLayouts are the month-first layouts that CSV exports of the audit log
// write CreationDate in, depending on the exporting machine's locale.
var usLayouts = [...]string{
	"1/2/2006 3:04:05 PM",
	"1/2/2006 15:04:05",
}

// parseTime reads a record's time: RFC 3339, the forms jsonl.ParseTime
// knows (CreationTime has no zone: UTC, as the schema says), or a
// month-first US layout.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	// The common layouts first, each only where it can apply: a failed
	// time.Parse, and jsonl.ParseTime's attempt at an epoch, allocate an
	// error.
	layout := "2006-01-02T15:04:05.999999999" // CreationTime
	if len(s) > 19 && (s[len(s)-1] == 'Z' || strings.ContainsAny(s[19:], "+-")) {
		layout = time.RFC3339Nano
	}
	if t, err := time.Parse(layout, s); err == nil {
		return t.UTC(), true
	}
	if t, ok := jsonl.ParseTime(s, event.String); ok {
		return t, true
	}
	for _, layout := range usLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
