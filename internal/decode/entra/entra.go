package entra

import (
	"bytes"
	"io"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/jsonframe"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
)

// Format is the Event.Format of the events this package produces.
const Format = "entra"

// Decoder decodes Entra ID sign-in and audit records. The zero value is
// ready to use. A Decoder may be used by several goroutines at once.
type Decoder struct {
	// MaxRecord is the largest record accepted, in bytes; zero means
	// decode.DefaultMaxRecord. Larger records are rejected ("too_large")
	// and skipped.
	MaxRecord int
}

var _ decode.Decoder = Decoder{}

// Decode implements decode.Decoder.
func (d Decoder) Decode(r io.Reader, sink decode.Sink) error {
	var f jsonl.Flattener
	return jsonframe.Decode(r, sink, &jsonframe.Config{
		Format:    Format,
		MaxRecord: d.MaxRecord,
		Decode: func(rec []byte, e *event.Event) error {
			return decodeRecord(&f, rec, e)
		},
		SkipBOM:      true,
		IsWrapper:    jsonframe.MicrosoftWrapper,
		IsRecordsKey: jsonframe.MicrosoftRecordsKey,
	})
}

// FormatError reports input that stops being JSON records at some point: a
// truncated file, or bytes that are neither a record nor a separator. Every
// record before Offset has been delivered.
type FormatError = jsonframe.FormatError

// diagnosticCategories are the categories of Entra ID's diagnostic
// settings whose records Looks claims, sign-in and audit logs first. Other
// Azure Monitor logs (the subscription activity log, resource logs) share
// the envelope and are left to package jsonl.
var diagnosticCategories = []string{
	"SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs",
	"ManagedIdentitySignInLogs", "MicrosoftServicePrincipalSignInLogs", "ADFSSignInLogs",
	"AuditLogs", "ProvisioningLogs", "RiskyUsers", "UserRiskEvents",
	"RiskyServicePrincipals", "ServicePrincipalRiskEvents",
}

// Looks reports whether head, the first bytes of a stream, holds Entra ID
// records: a Microsoft Graph page of auditLogs/signIns or
// auditLogs/directoryAudits (its "@odata.context"), Graph signIn or
// directoryAudit objects without the page (an array, or one per line), or
// Azure Monitor records of Entra ID's diagnostic settings (an
// "operationName" with a resourceId under providers/Microsoft.aadiam or one
// of Entra ID's categories). Field names are matched as Microsoft writes
// them, so a Log Analytics export (SigninLogs rows, in PascalCase) is not
// claimed.
func Looks(head []byte) bool {
	head = bytes.TrimLeft(bytes.TrimPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) == 0 || (head[0] != '{' && head[0] != '[') {
		return false
	}
	if ctx, ok := stringMember(head, "@odata.context"); ok {
		ctx = strings.ToLower(ctx)
		return strings.Contains(ctx, "auditlogs/signins") || strings.Contains(ctx, "auditlogs/directoryaudits")
	}
	if bytes.Contains(head, []byte(`"operationName"`)) {
		if id, ok := stringMember(head, "resourceId"); ok && strings.Contains(strings.ToLower(id), "/providers/microsoft.aadiam") {
			return true
		}
		category, _ := stringMember(head, "category")
		for _, c := range diagnosticCategories {
			if strings.EqualFold(category, c) {
				return true
			}
		}
		return false
	}
	has := func(s string) bool { return bytes.Contains(head, []byte(s)) }
	return (has(`"createdDateTime"`) && has(`"conditionalAccessStatus"`)) ||
		(has(`"activityDateTime"`) && has(`"activityDisplayName"`))
}

// stringMember returns the value of the first member named key in b, at any
// depth, when it is a string without escapes.
func stringMember(b []byte, key string) (string, bool) {
	quoted := `"` + key + `"`
	for {
		i := bytes.Index(b, []byte(quoted))
		if i < 0 {
			return "", false
		}
		b = bytes.TrimLeft(b[i+len(quoted):], " \t\r\n")
		if len(b) == 0 || b[0] != ':' {
			continue // a value that happens to equal key
		}
		b = bytes.TrimLeft(b[1:], " \t\r\n")
		if len(b) == 0 || b[0] != '"' {
			return "", false
		}
		end := bytes.IndexAny(b[1:], `"\`)
		if end < 0 || b[1+end] != '"' {
			return "", false
		}
		return string(b[1 : 1+end]), true
	}
}
