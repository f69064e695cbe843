package cloudtrail

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

// dataset is the event.dataset of CloudTrail events, as Filebeat names it.
const dataset = "aws.cloudtrail"

// DecodeRecord decodes one CloudTrail record, a JSON object, into e: the
// flattened record and the ECS fields listed in the package documentation,
// with e.Time from eventTime. Fields are sorted. It does not set Raw,
// Format or Kind; on error e.Fields is left as it was and the caller marks
// the event malformed. It keeps no reference to rec and is safe for
// concurrent use.
func DecodeRecord(rec []byte, e *event.Event) error {
	if err := decodeRecord(nil, rec, e); err != nil {
		return err
	}
	e.Sort()
	return nil
}

// decodeRecord is DecodeRecord without the final sort, for Decode
// (decode.Line sorts). It flattens with f, or jsonl.Flatten when f is nil.
func decodeRecord(f *jsonl.Flattener, rec []byte, e *event.Event) error {
	n := len(e.Fields)
	object := jsonl.FlattenObject
	if f != nil {
		object = f.Object
	}
	if err := object(rec, e); err != nil {
		return err
	}
	sorted := len(e.Fields) // Flatten sorts what it adds
	var r recordFields
	r.collect(e.Fields[n:])
	if t, ok := jsonl.ParseTime(r.eventTime, event.String); ok {
		e.Time = t
	}
	add := func(name, value string) {
		if value != "" {
			e.Fields = append(e.Fields, event.Field{Name: name, Value: value})
		}
	}
	outcome := event.OutcomeSuccess
	if r.errorCode != "" || r.consoleLogin == "Failure" {
		outcome = event.OutcomeFailure
	}
	ip, _ := parseIP(r.sourceIP)
	// Added in name order, so that event.SortTail need not sort them.
	add(event.CloudAccountID, firstOf(r.recipientAccount, r.identityAccount))
	add(event.CloudProvider, "aws")
	add(event.CloudRegion, r.region)
	add(event.EventAction, r.eventName)
	if r.eventName == "ConsoleLogin" {
		// A console sign-in is a login like any other, for the
		// behaviour detectors (brute force, travel…).
		add(event.EventCategory, "authentication")
	}
	add(event.EventDataset, dataset)
	add(event.EventOutcome, outcome)
	add(event.EventProvider, r.eventSource)
	add(event.SourceIP, ip)
	add(event.UserID, r.principalID)
	add(event.UserName, firstOf(r.userName, arnName(r.arn)))
	add(event.UserAgent, r.userAgent)
	event.SortTail(e.Fields[n:], sorted-n)
	return nil
}

// recordFields holds the values the ECS mapping reads.
type recordFields struct {
	eventTime, eventName, eventSource, errorCode, consoleLogin string
	region, recipientAccount, identityAccount, sourceIP        string
	userName, arn, principalID, userAgent                      string
}

// collect fills r from the record's top-level fields, first value first.
func (r *recordFields) collect(fields []event.Field) {
	for i := range fields {
		f := &fields[i]
		if f.Type != event.String || f.Value == "" {
			continue
		}
		var dst *string
		switch f.Name {
		case "eventTime":
			dst = &r.eventTime
		case "eventName":
			dst = &r.eventName
		case "eventSource":
			dst = &r.eventSource
		case "errorCode":
			dst = &r.errorCode
		case "responseElements.ConsoleLogin":
			dst = &r.consoleLogin
		case "awsRegion":
			dst = &r.region
		case "recipientAccountId":
			dst = &r.recipientAccount
		case "userIdentity.accountId":
			dst = &r.identityAccount
		case "sourceIPAddress":
			dst = &r.sourceIP
		case "userIdentity.userName":
			dst = &r.userName
		case "userIdentity.arn":
			dst = &r.arn
		case "userIdentity.principalId":
			dst = &r.principalID
		case "userAgent":
			dst = &r.userAgent
		default:
			continue
		}
		if *dst == "" {
			*dst = f.Value
		}
	}
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// arnName returns the last part of an ARN's resource: "alice" for
// arn:aws:iam::123456789012:user/alice, the session name for an assumed
// role, "root" for arn:aws:iam::123456789012:root.
func arnName(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	if i := strings.LastIndexAny(arn, "/:"); i >= 0 {
		return arn[i+1:]
	}
	return ""
}

// parseIP returns the canonical text of an IP address, or false for
// anything else, such as the service names CloudTrail writes for calls
// made by AWS itself ("ec2.amazonaws.com", "AWS Internal"). Dotted IPv4
// octets with leading zeros, which netip rejects as possibly octal, are
// read as decimal: anonymised CloudTrail datasets write them so.
func parseIP(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if addr, err := netip.ParseAddr(s); err == nil {
		return addr.Unmap().String(), true
	}
	var b [4]byte
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return "", false
	}
	for i, p := range parts {
		if len(p) == 0 || len(p) > 3 {
			return "", false
		}
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return "", false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b).String(), true
}
