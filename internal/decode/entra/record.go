package entra

import (
	"bytes"
	"encoding/json"
	"github.com/vigie-sec/vigie/internal/decode/jsonframe"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

// ECS names this package fills besides those of package event.
const (
	fieldUserFullName      = "user.full_name"
	fieldTargetName        = "user.target.name"
	fieldTargetID          = "user.target.id"
	fieldTargetGroupName   = "user.target.group.name"
	fieldTargetGroupID     = "user.target.group.id"
	fieldGeoCountry        = "source.geo.country_iso_code"
	fieldGeoCity           = "source.geo.city_name"
	fieldGeoRegion         = "source.geo.region_name"
	fieldGeoLat            = "source.geo.location.lat"
	fieldGeoLon            = "source.geo.location.lon"
	fieldErrorCode         = "error.code"
	fieldErrorMessage      = "error.message"
	categoryAuthentication = "authentication"
	categoryIAM            = "iam"
)

// The ECS datasets of the two logs, as Filebeat's azure module names them.
const (
	datasetSignIn = "azure.signinlogs"
	datasetAudit  = "azure.auditlogs"
)

// maxECS bounds the ECS fields added to a record, but for repeated
// targets: room for them is made once.
const maxECS = 20

// actionSignIn is the operationName of every sign-in record of the
// diagnostic export, used as event.action for Graph sign-ins too.
const actionSignIn = "Sign-in activity"

// DecodeRecord decodes one record, a JSON object in any of the shapes of
// the package documentation, into e: the flattened record and its ECS
// fields, with e.Time from the record. Fields are sorted. It does not set
// Raw, Format or Kind; on error e.Fields is left as it was and the caller
// marks the event malformed. It keeps no reference to rec and is safe for
// concurrent use.
func DecodeRecord(rec []byte, e *event.Event) error {
	if err := decodeRecord(nil, rec, e); err != nil {
		return err
	}
	e.Sort()
	return nil
}

// decodeRecord is DecodeRecord without the final sort, for Decode
// (decode.Line sorts). It flattens with f, or jsonl.FlattenObject when f
// is nil.
func decodeRecord(f *jsonl.Flattener, rec []byte, e *event.Event) error {
	// Room for the record's fields and the ECS fields, so that they take
	// one allocation: a record has at most about one scalar per colon.
	// Without it, the ECS fields appended after flattening cost a second
	// allocation and copy, about 4,000 of the 11,000 allocations per 1,000
	// sign-ins (BenchmarkDecode).
	e.Fields = slices.Grow(e.Fields, bytes.Count(rec, []byte{':'})+maxECS)
	n := len(e.Fields)
	object := jsonl.FlattenObject
	if f != nil {
		object = f.Object
	}
	if err := object(rec, e); err != nil {
		return err
	}
	sorted := len(e.Fields) // Flatten sorts what it adds
	var r record
	r.collect(e.Fields[n:])
	diagnostic := r.diagnostic()
	res := &r.top
	if diagnostic {
		res = &r.props
	}
	log := r.kind()
	if t, ok := parseTime(r.env.time); diagnostic && ok {
		e.Time = t
	} else if t, ok := parseTime(firstOf(res.created, res.activityTime)); ok {
		e.Time = t
	}
	e.Fields = slices.Grow(e.Fields, maxECS) // a no-op but for arrays of scalars
	add := func(name, value string) {
		if value != "" {
			e.Fields = append(e.Fields, event.Field{Name: name, Value: value})
		}
	}
	if log != kindOther || diagnostic {
		add(event.CloudAccountID, firstOf(r.env.tenantID, res.resourceTenantID))
		add(event.CloudProvider, "azure")
	}
	switch log {
	case kindSignIn:
		code := firstOf(res.errorCode, r.env.resultType)
		outcome := signInOutcome(code)
		add(event.EventAction, firstOf(r.env.operationName, actionSignIn))
		add(event.EventCategory, categoryAuthentication)
		add(event.EventDataset, datasetSignIn)
		add(event.EventOutcome, outcome)
		if outcome == event.OutcomeFailure {
			if isDigits(code) {
				add(fieldErrorCode, code)
			}
			add(fieldErrorMessage, firstOf(res.failureReason, r.env.resultDescription))
		}
		add(event.SourceIP, firstOf(parseIP(res.ipAddress), parseIP(r.env.callerIP)))
		add(fieldGeoCity, res.city)
		add(fieldGeoCountry, res.country)
		if res.lat.Value != "" && res.lon.Value != "" {
			e.Fields = append(e.Fields, res.lat, res.lon)
		}
		add(fieldGeoRegion, res.state)
		add(event.UserAgent, res.userAgent)
		add(fieldUserFullName, res.userDisplayName)
		add(event.UserID, res.userID)
		add(event.UserName, res.upn)
	case kindAudit:
		add(event.EventAction, firstOf(res.activityName, r.env.operationName))
		add(event.EventCategory, categoryIAM)
		add(event.EventDataset, datasetAudit)
		add(event.EventOutcome, auditOutcome(firstOf(res.result, r.env.resultType)))
		add(event.SourceIP, firstOf(parseIP(res.initiatorIP), parseIP(r.env.callerIP)))
		add(event.UserID, res.initiatorID)
		add(event.UserName, res.initiatorUPN)
		for _, t := range targets(rec, diagnostic) {
			switch {
			case strings.EqualFold(t.Type, "User"):
				add(fieldTargetName, firstOf(t.UserPrincipalName, t.DisplayName))
				add(fieldTargetID, t.ID)
			case strings.EqualFold(t.Type, "Group"):
				add(fieldTargetGroupName, t.DisplayName)
				add(fieldTargetGroupID, t.ID)
			}
		}
	default:
		add(event.EventAction, r.env.operationName)
	}
	event.SortTail(e.Fields[n:], sorted-n)
	return nil
}

// kind is the log a record belongs to.
type kind uint8

const (
	kindOther kind = iota
	kindSignIn
	kindAudit
)

// record holds the values the ECS mapping reads. Field names are matched
// without regard to case: Microsoft writes camelCase, but a few of its own
// examples capitalise some ("Type" in targetResources), and PowerShell
// exports of the same objects are in PascalCase.
type record struct {
	env envelope
	// top holds the resource fields found at the top level (Graph), props
	// those under "properties." (the diagnostic export).
	top, props resource
	hasProps   bool
}

// envelope holds the top-level fields of Azure Monitor's diagnostic
// export.
type envelope struct {
	time, category, operationName, resultType, resultDescription string
	callerIP, tenantID                                           string
}

// resource holds the fields of a signIn or directoryAudit resource.
type resource struct {
	created, activityTime                     string
	upn, userID, userDisplayName, ipAddress   string
	errorCode, failureReason, userAgent       string
	city, state, country                      string
	lat, lon                                  event.Field
	resourceTenantID, conditionalAccessStatus string
	activityName, result                      string
	initiatorUPN, initiatorID, initiatorIP    string
}

const propertiesPrefix = "properties."

// collect fills r from the record's fields, first value first.
func (r *record) collect(fields []event.Field) {
	var buf [96]byte
	for i := range fields {
		f := &fields[i]
		if f.Value == "" || len(f.Name) > len(buf) {
			continue
		}
		name := lowerASCII(buf[:0], f.Name)
		if len(name) > len(propertiesPrefix) && string(name[:len(propertiesPrefix)]) == propertiesPrefix {
			r.hasProps = true
			r.props.set(name[len(propertiesPrefix):], f)
			continue
		}
		r.env.set(name, f)
		r.top.set(name, f)
	}
}

// diagnostic reports whether the record is in Azure Monitor's envelope,
// with the resource under "properties.".
func (r *record) diagnostic() bool { return r.hasProps || r.env.operationName != "" }

// kind tells sign-ins from audit records: by category in the diagnostic
// export, by the resource's own properties in Graph records.
func (r *record) kind() kind {
	if r.diagnostic() {
		c := strings.ToLower(r.env.category)
		switch {
		case strings.HasSuffix(c, "signinlogs"):
			return kindSignIn
		case c == "auditlogs":
			return kindAudit
		case c == "":
			return r.props.kind()
		}
		return kindOther
	}
	return r.top.kind()
}

func (res *resource) kind() kind {
	switch {
	case res.activityTime != "" || res.activityName != "":
		return kindAudit
	case res.created != "" && (res.upn != "" || res.conditionalAccessStatus != "" || res.errorCode != ""):
		return kindSignIn
	}
	return kindOther
}

func (env *envelope) set(name []byte, f *event.Field) {
	var dst *string
	switch string(name) {
	case "time":
		dst = &env.time
	case "category":
		dst = &env.category
	case "operationname":
		dst = &env.operationName
	case "resulttype":
		dst = &env.resultType
	case "resultdescription":
		dst = &env.resultDescription
	case "calleripaddress":
		dst = &env.callerIP
	case "tenantid":
		dst = &env.tenantID
	default:
		return
	}
	if *dst == "" {
		*dst = f.Value
	}
}

func (res *resource) set(name []byte, f *event.Field) {
	var dst *string
	switch string(name) {
	case "createddatetime":
		dst = &res.created
	case "activitydatetime":
		dst = &res.activityTime
	case "userprincipalname":
		dst = &res.upn
	case "userid":
		dst = &res.userID
	case "userdisplayname":
		dst = &res.userDisplayName
	case "ipaddress":
		dst = &res.ipAddress
	case "status.errorcode":
		dst = &res.errorCode
	case "status.failurereason":
		dst = &res.failureReason
	case "useragent":
		dst = &res.userAgent
	case "location.city":
		dst = &res.city
	case "location.state":
		dst = &res.state
	case "location.countryorregion":
		dst = &res.country
	case "location.geocoordinates.latitude":
		if res.lat.Value == "" {
			res.lat = event.Field{Name: fieldGeoLat, Value: f.Value, Type: f.Type}
		}
		return
	case "location.geocoordinates.longitude":
		if res.lon.Value == "" {
			res.lon = event.Field{Name: fieldGeoLon, Value: f.Value, Type: f.Type}
		}
		return
	case "resourcetenantid":
		dst = &res.resourceTenantID
	case "conditionalaccessstatus":
		dst = &res.conditionalAccessStatus
	case "activitydisplayname":
		dst = &res.activityName
	case "result":
		dst = &res.result
	case "initiatedby.user.userprincipalname":
		dst = &res.initiatorUPN
	case "initiatedby.user.id":
		dst = &res.initiatorID
	case "initiatedby.user.ipaddress":
		dst = &res.initiatorIP
	default:
		return
	}
	if *dst == "" {
		*dst = f.Value
	}
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

// signInOutcome is "success" for the code 0 and "failure" for any other:
// the code is status.errorCode or, without a status, the diagnostic
// export's resultType, which holds the same code (or, in some categories,
// "Success" or "Failure"). It is "" when there is no code.
func signInOutcome(code string) string {
	switch {
	case code == "":
		return ""
	case code == "0" || strings.EqualFold(code, "success"):
		return event.OutcomeSuccess
	}
	return event.OutcomeFailure
}

// auditOutcome maps a directoryAudit result (success, failure, timeout,
// unknownFutureValue) to event.outcome.
func auditOutcome(result string) string {
	switch strings.ToLower(result) {
	case "":
		return ""
	case "success":
		return event.OutcomeSuccess
	case "failure", "timeout":
		return event.OutcomeFailure
	}
	return event.OutcomeUnknown
}

// target is an element of a directoryAudit's targetResources.
type target struct {
	ID, DisplayName, Type, UserPrincipalName string
}

// targets reads the targetResources of an audit record. The flattened
// fields cannot pair each target's type with its name (a missing member
// shifts the repeated names), so the array is found in the record and its
// elements read one by one; names are compared without regard to case,
// for the "Type" of some records. Values that are not strings are read as
// "". rec must be valid JSON, as it is once flattened. Reading only these
// members, skipping the others by brackets and quotes, takes about 30% off
// the time to decode an audit record compared with unmarshalling
// targetResources with encoding/json (BenchmarkDecode, input=graph-audits:
// 22 ms then 16 ms per 1,000 records).
func targets(rec []byte, diagnostic bool) []target {
	if diagnostic {
		rec = jsonframe.Member(rec, "properties")
	}
	array := jsonframe.Member(rec, "targetResources")
	if len(array) == 0 || array[0] != '[' {
		return nil
	}
	var ts []target
	jsonframe.EachElement(array, func(el []byte) bool {
		if el[0] != '{' {
			return false
		}
		var t target
		jsonframe.EachMember(el, func(key, value []byte) bool {
			switch {
			case jsonframe.EqualFold(key, "id"):
				t.ID = jsonString(value)
			case jsonframe.EqualFold(key, "displayName"):
				t.DisplayName = jsonString(value)
			case jsonframe.EqualFold(key, "type"):
				t.Type = jsonString(value)
			case jsonframe.EqualFold(key, "userPrincipalName"):
				t.UserPrincipalName = jsonString(value)
			}
			return true
		})
		ts = append(ts, t)
		return true
	})
	return ts
}

// jsonString returns the text of a JSON string value, or "" for any other
// value.
func jsonString(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	if !bytes.ContainsRune(raw, '\\') {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid JSON: cannot fail
	return s
}

// parseIP returns the canonical text of an IP address, or "" for anything
// else and for the unspecified address (0.0.0.0), which some audit records
// give for an initiator without one.
func parseIP(s string) string {
	addr, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || addr.IsUnspecified() {
		return ""
	}
	return addr.Unmap().String()
}

// usLayouts are the time layouts, month first, that Azure Monitor records
// have been seen to carry in "time" besides RFC 3339 (Elastic's azure
// integration tests them: test-time-formats-corner-cases.log).
var usLayouts = [...]string{
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04:05 PM -07:00",
	"1/2/2006 15:04:05",
}

// parseTime reads a record's time: RFC 3339 and the forms jsonl.ParseTime
// knows, or a month-first US layout (UTC unless it has an offset).
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	// RFC 3339 first: jsonl.ParseTime tries an epoch first, whose failed
	// strconv call allocates an error.
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
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

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
