package entra

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// The fixtures in testdata are written by hand from the shapes Microsoft
// documents (Graph's signIn and directoryAudit resources and their List
// examples; the sign-in and audit schemas of Azure Monitor's export); no
// real tenant's logs are available to test with. Addresses are from the
// documentation ranges.

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeAll(t *testing.T, d Decoder, data []byte) (*decode.Collect, error) {
	t.Helper()
	var c decode.Collect
	err := d.Decode(bytes.NewReader(data), &c)
	return &c, err
}

func mustDecode(t *testing.T, data []byte, want int) []*event.Event {
	t.Helper()
	c, err := decodeAll(t, Decoder{}, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != want || len(c.Rejected) != 0 {
		t.Fatalf("got %d events and rejections %v, want %d events", len(c.Events), c.Rejected, want)
	}
	for i, e := range c.Events {
		if e.Kind != event.KindEvent {
			t.Fatalf("event %d malformed: %s", i, e.ParseError)
		}
		if e.Format != Format {
			t.Fatalf("event %d: format %q", i, e.Format)
		}
		if !slices.IsSortedFunc(e.Fields, func(a, b event.Field) int { return strings.Compare(a.Name, b.Name) }) {
			t.Fatalf("event %d: fields not sorted", i)
		}
	}
	return c.Events
}

func get(e *event.Event, name string) string {
	v, _ := e.Get(name)
	return v
}

// values returns the values of the named fields, joined with "|" when a
// field repeats; absent fields are left out.
func values(e *event.Event, names ...string) map[string]string {
	m := make(map[string]string)
	for _, n := range names {
		var vs []string
		for _, f := range e.Values(n) {
			vs = append(vs, f.Value)
		}
		if len(vs) > 0 {
			m[n] = strings.Join(vs, "|")
		}
	}
	return m
}

// ecsNames are the ECS fields the package may add.
var ecsNames = []string{
	event.CloudAccountID, event.CloudProvider, event.EventAction, event.EventCategory,
	event.EventDataset, event.EventOutcome, event.SourceIP, event.UserAgent, event.UserID, event.UserName,
	fieldUserFullName, fieldTargetName, fieldTargetID, fieldTargetGroupName, fieldTargetGroupID,
	fieldGeoCountry, fieldGeoCity, fieldGeoRegion, fieldGeoLat, fieldGeoLon, fieldErrorCode, fieldErrorMessage,
}

func checkECS(t *testing.T, e *event.Event, want map[string]string) {
	t.Helper()
	if diff := cmp.Diff(want, values(e, ecsNames...)); diff != "" {
		t.Errorf("ECS fields (-want +got):\n%s", diff)
	}
}

// pageRecords returns the exact bytes of each element of a page's value.
func pageRecords(t *testing.T, data []byte, member string) []json.RawMessage {
	t.Helper()
	var page map[string]json.RawMessage
	if err := json.Unmarshal(data, &page); err != nil {
		t.Fatal(err)
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(page[member], &recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestGraphSignIns(t *testing.T) {
	data := readFixture(t, "graph-signins.json")
	events := mustDecode(t, data, 3)
	for i, r := range pageRecords(t, data, "value") {
		if !bytes.Equal(events[i].Raw, r) {
			t.Errorf("event %d: Raw is not the record's bytes", i)
		}
	}
	checkECS(t, events[0], map[string]string{
		event.CloudProvider: "azure",
		event.EventAction:   "Sign-in activity",
		event.EventCategory: "authentication",
		event.EventDataset:  "azure.signinlogs",
		event.EventOutcome:  "success",
		event.SourceIP:      "198.51.100.23",
		event.UserID:        "26be570a-ae82-4189-b4e2-a37c6808512d",
		event.UserName:      "adelev@contoso.example",
		fieldUserFullName:   "Adele Vance",
		fieldGeoCountry:     "US",
		fieldGeoCity:        "Redmond",
		fieldGeoRegion:      "Washington",
		fieldGeoLat:         "47.68050003051758",
		fieldGeoLon:         "-122.12094116210938",
	})
	if lat := events[0].Values(fieldGeoLat); len(lat) != 1 || lat[0].Type != event.Number {
		t.Errorf("%s = %v, want one number", fieldGeoLat, lat)
	}
	checkECS(t, events[1], map[string]string{
		event.CloudProvider: "azure",
		event.EventAction:   "Sign-in activity",
		event.EventCategory: "authentication",
		event.EventDataset:  "azure.signinlogs",
		event.EventOutcome:  "failure",
		event.SourceIP:      "203.0.113.77",
		event.UserID:        "26be570a-ae82-4189-b4e2-a37c6808512d",
		event.UserName:      "adelev@contoso.example",
		fieldUserFullName:   "Adele Vance",
		fieldGeoCountry:     "FR",
		fieldGeoCity:        "Lyon",
		fieldGeoRegion:      "Auvergne-Rhone-Alpes",
		fieldGeoLat:         "45.764",
		fieldGeoLon:         "4.8357",
		fieldErrorCode:      "50126",
		fieldErrorMessage:   "Error validating credentials due to invalid username or password.",
	})
	if got := get(events[2], event.SourceIP); got != "2001:db8:4a::15" {
		t.Errorf("IPv6 source.ip = %q", got)
	}
	if got := get(events[2], fieldErrorCode); got != "53003" {
		t.Errorf("blocked by conditional access: error.code = %q", got)
	}
	// The original names stay, as Graph writes them.
	want := map[string]string{
		"status.errorCode":         "50126",
		"clientAppUsed":            "IMAP4",
		"conditionalAccessStatus":  "notApplied",
		"riskEventTypes_v2":        "unfamiliarFeatures",
		"location.countryOrRegion": "FR",
		"deviceDetail.isCompliant": "",
		"isInteractive":            "true",
	}
	got := values(events[1], "status.errorCode", "clientAppUsed", "conditionalAccessStatus", "riskEventTypes_v2",
		"location.countryOrRegion", "deviceDetail.isCompliant", "isInteractive")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("original fields (-want +got):\n%s", diff)
	}
	if got := values(events[0], "appliedConditionalAccessPolicies.displayName", "appliedConditionalAccessPolicies.enforcedGrantControls"); got["appliedConditionalAccessPolicies.enforcedGrantControls"] != "Mfa" {
		t.Errorf("applied policies: %v", got)
	}
	if want := time.Date(2024, 5, 6, 8, 15, 41, 619583300, time.UTC); !events[0].Time.Equal(want) {
		t.Errorf("Time = %v, want %v", events[0].Time, want)
	}
}

func TestGraphDirectoryAudits(t *testing.T) {
	data := readFixture(t, "graph-directoryaudits.json")
	events := mustDecode(t, data, 3)
	for i, r := range pageRecords(t, data, "value") {
		if !bytes.Equal(events[i].Raw, r) {
			t.Errorf("event %d: Raw is not the record's bytes", i)
		}
	}
	// Microsoft's own example writes "Type" for the targets' type.
	checkECS(t, events[0], map[string]string{
		event.CloudProvider:  "azure",
		event.EventAction:    "Add member to group",
		event.EventCategory:  "iam",
		event.EventDataset:   "azure.auditlogs",
		event.EventOutcome:   "success",
		event.SourceIP:       "192.0.2.10",
		event.UserID:         "728309ae-1a37-4937-9afe-e35d964db09b",
		event.UserName:       "admin@contoso.example",
		fieldTargetGroupName: "Finance Admins",
		fieldTargetGroupID:   "ef7e527d-6c92-4234-8c6d-cf6fdfb57f95",
		fieldTargetName:      "meganb@contoso.example",
		fieldTargetID:        "1f0e98f5-3161-4c6b-9b50-d488572f2bb7",
	})
	// An application initiator: no user.name, its fields kept.
	checkECS(t, events[1], map[string]string{
		event.CloudProvider: "azure",
		event.EventAction:   "Add service principal credentials",
		event.EventCategory: "iam",
		event.EventDataset:  "azure.auditlogs",
		event.EventOutcome:  "success",
	})
	if got := get(events[1], "initiatedBy.app.displayName"); got != "Managed Service Identity" {
		t.Errorf("initiatedBy.app.displayName = %q", got)
	}
	checkECS(t, events[2], map[string]string{
		event.CloudProvider: "azure",
		event.EventAction:   "Reset password (self-service)",
		event.EventCategory: "iam",
		event.EventDataset:  "azure.auditlogs",
		event.EventOutcome:  "failure",
		event.SourceIP:      "203.0.113.77",
		event.UserID:        "48d31887-5fad-4d73-a9f5-3c356e68a038",
		event.UserName:      "meganb@contoso.example",
		fieldTargetName:     "meganb@contoso.example",
		fieldTargetID:       "48d31887-5fad-4d73-a9f5-3c356e68a038",
	})
	if got := values(events[0], "targetResources.Type"); got["targetResources.Type"] != "Group|User" {
		t.Errorf("targetResources.Type = %v", got)
	}
}

func TestEventHub(t *testing.T) {
	data := readFixture(t, "eventhub.json")
	events := mustDecode(t, data, 3)
	for i, r := range pageRecords(t, data, "records") {
		if !bytes.Equal(events[i].Raw, r) {
			t.Errorf("event %d: Raw is not the record's bytes", i)
		}
	}
	tenant := "a2164b8e-d052-4f10-8352-fa46f761a964"
	checkECS(t, events[0], map[string]string{
		event.CloudAccountID: tenant,
		event.CloudProvider:  "azure",
		event.EventAction:    "Sign-in activity",
		event.EventCategory:  "authentication",
		event.EventDataset:   "azure.signinlogs",
		event.EventOutcome:   "failure", // 50140, an interrupt
		event.SourceIP:       "198.51.100.23",
		event.UserAgent:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		event.UserID:         "26be570a-ae82-4189-b4e2-a37c6808512d",
		event.UserName:       "adelev@contoso.example",
		fieldUserFullName:    "Adele Vance",
		fieldGeoCountry:      "US",
		fieldGeoCity:         "Bellevue",
		fieldGeoRegion:       "Washington",
		fieldGeoLat:          "47.61",
		fieldGeoLon:          "-122.2",
		fieldErrorCode:       "50140",
		fieldErrorMessage:    "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
	})
	if got := values(events[0], "category", "resultType", "properties.authenticationRequirement", "properties.status.errorCode"); !cmp.Equal(got, map[string]string{
		"category": "SignInLogs", "resultType": "50140",
		"properties.authenticationRequirement": "singleFactorAuthentication", "properties.status.errorCode": "50140",
	}) {
		t.Errorf("original fields: %v", got)
	}
	if get(events[1], event.EventOutcome) != "success" || get(events[1], event.EventCategory) != "authentication" {
		t.Errorf("non-interactive sign-in: %v", events[1])
	}
	checkECS(t, events[2], map[string]string{
		event.CloudAccountID: tenant,
		event.CloudProvider:  "azure",
		event.EventAction:    "Add member to role",
		event.EventCategory:  "iam",
		event.EventDataset:   "azure.auditlogs",
		event.EventOutcome:   "success",
		event.SourceIP:       "192.0.2.10",
		event.UserID:         "728309ae-1a37-4937-9afe-e35d964db09b",
		event.UserName:       "admin@contoso.example",
		fieldTargetName:      "meganb@contoso.example",
		fieldTargetID:        "48d31887-5fad-4d73-a9f5-3c356e68a038",
	})
	if want := time.Date(2024, 5, 6, 10, 2, 15, 552213700, time.UTC); !events[0].Time.Equal(want) {
		t.Errorf("Time = %v, want %v (the envelope's time)", events[0].Time, want)
	}
}

func TestStorageLines(t *testing.T) {
	data := readFixture(t, "storage.json")
	events := mustDecode(t, data, 4)
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if !bytes.Equal(events[i].Raw, line) {
			t.Errorf("event %d: Raw is not its line", i)
		}
	}
	if got := values(events[0], event.EventOutcome, event.UserAgent, fieldErrorCode); !cmp.Equal(got, map[string]string{
		event.EventOutcome: "failure", event.UserAgent: "BAV2ROPC", fieldErrorCode: "50126",
	}) {
		t.Errorf("password failure: %v", got)
	}
	// A service principal's sign-in: no user.
	checkECS(t, events[1], map[string]string{
		event.CloudAccountID: "a2164b8e-d052-4f10-8352-fa46f761a964",
		event.CloudProvider:  "azure",
		event.EventAction:    "Sign-in activity",
		event.EventCategory:  "authentication",
		event.EventDataset:   "azure.signinlogs",
		event.EventOutcome:   "success",
		event.SourceIP:       "192.0.2.200",
		fieldGeoCountry:      "NL",
	})
	// A month-first time; an invalid callerIpAddress and an application
	// initiator give no source.ip and no user.
	checkECS(t, events[2], map[string]string{
		event.CloudAccountID: "a2164b8e-d052-4f10-8352-fa46f761a964",
		event.CloudProvider:  "azure",
		event.EventAction:    "Update user",
		event.EventCategory:  "iam",
		event.EventDataset:   "azure.auditlogs",
		event.EventOutcome:   "success",
		fieldTargetName:      "meganb@contoso.example",
		fieldTargetID:        "48d31887-5fad-4d73-a9f5-3c356e68a038",
	})
	if want := time.Date(2024, 1, 9, 9, 41, 0, 0, time.UTC); !events[2].Time.Equal(want) {
		t.Errorf("Time = %v, want %v", events[2].Time, want)
	}
	// Another category of the export: its fields and event.action only.
	checkECS(t, events[3], map[string]string{
		event.CloudAccountID: "a2164b8e-d052-4f10-8352-fa46f761a964",
		event.CloudProvider:  "azure",
		event.EventAction:    "User Risk Detection",
	})
	if get(events[3], "properties.riskEventType") != "unfamiliarFeatures" {
		t.Errorf("risk event fields: %v", events[3])
	}
}

// TestShapes feeds the same records as a Graph page, an Event Hub message,
// an array, concatenated arrays and one record per line: every shape must
// give the same events.
func TestShapes(t *testing.T) {
	data := readFixture(t, "graph-signins.json")
	records := pageRecords(t, data, "value")
	compact := make([][]byte, len(records))
	for i, r := range records {
		var b bytes.Buffer
		if err := json.Compact(&b, r); err != nil {
			t.Fatal(err)
		}
		compact[i] = b.Bytes()
	}
	joined := string(bytes.Join(compact, []byte(",")))
	shapes := map[string]string{
		"page":          string(data),
		"records":       "\ufeff" + `{"records":[` + joined + `]}`,
		"array":         "[\n" + string(bytes.Join(compact, []byte(",\n"))) + "\n]",
		"two arrays":    "[" + string(compact[0]) + "]\n[" + string(bytes.Join(compact[1:], []byte(","))) + "]",
		"page then obj": `{"value":[` + string(compact[0]) + `],"@odata.nextLink":"x"}` + "\n" + `{"@odata.context":"…#auditLogs/signIns","value":[` + string(bytes.Join(compact[1:], []byte(","))) + "]}",
		"lines":         string(bytes.Join(compact, []byte("\r\n"))) + "\n",
	}
	want := mustDecode(t, data, 3)
	for name, in := range shapes {
		t.Run(name, func(t *testing.T) {
			got := mustDecode(t, []byte(in), 3)
			for i := range got {
				if diff := cmp.Diff(want[i].Fields, got[i].Fields); diff != "" {
					t.Fatalf("event %d fields (-want +got):\n%s", i, diff)
				}
				if !got[i].Time.Equal(want[i].Time) {
					t.Fatalf("event %d: time %v, want %v", i, got[i].Time, want[i].Time)
				}
			}
		})
	}
}

// TestPascalCase decodes a record as PowerShell's Graph module writes it,
// in PascalCase: the ECS fields are found all the same.
func TestPascalCase(t *testing.T) {
	in := `{"Id":"1","CreatedDateTime":"2024-05-06T08:17:02Z","UserPrincipalName":"adelev@contoso.example","IPAddress":"203.0.113.77",` +
		`"ConditionalAccessStatus":"notApplied","Status":{"ErrorCode":50053,"FailureReason":"Account is locked"},"Location":{"CountryOrRegion":"FR"}}`
	e := mustDecode(t, []byte(in+"\n"), 1)[0]
	checkECS(t, e, map[string]string{
		event.CloudProvider: "azure",
		event.EventAction:   "Sign-in activity",
		event.EventCategory: "authentication",
		event.EventDataset:  "azure.signinlogs",
		event.EventOutcome:  "failure",
		event.SourceIP:      "203.0.113.77",
		event.UserName:      "adelev@contoso.example",
		fieldGeoCountry:     "FR",
		fieldErrorCode:      "50053",
		fieldErrorMessage:   "Account is locked",
	})
}

// TestSingleEntity decodes a Graph response for one sign-in: its
// "@odata.context" ends in "$entity", so it is a record, not a page.
func TestSingleEntity(t *testing.T) {
	in := `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns/$entity","id":"1","createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"a@contoso.example","conditionalAccessStatus":"success","status":{"errorCode":0}}`
	e := mustDecode(t, []byte(in), 1)[0]
	if get(e, event.EventOutcome) != "success" || get(e, event.UserName) != "a@contoso.example" {
		t.Errorf("single entity: %v", e)
	}
}

func TestSmallInputs(t *testing.T) {
	tests := []struct {
		in      string
		events  int
		malform int
		errAt   int64 // -1: no error
	}{
		{"", 0, 0, -1},
		{" \n\t", 0, 0, -1},
		{"\ufeff", 0, 0, -1},
		{"[]", 0, 0, -1},
		{`{"value":[]}`, 0, 0, -1},
		{`{"records":[]}{"records":[{"a":1}]}`, 1, 0, -1},
		{`{"@odata.context":"x","value":[{"a":1}],"@odata.nextLink":"y"}`, 1, 0, -1},
		{`{}`, 1, 0, -1}, // one record per line: an empty record
		{`[{"a":1}, "text", 3, {"b":2}]`, 4, 2, -1},
		{`[{"a":1},]`, 1, 0, 9},
		{`[{"a":1}`, 1, 0, 8},
		{`[{"a":1`, 0, 0, 7},
		{`hello`, 0, 0, 0},
		{"\x00\x01", 0, 0, 0},
		{`{"value":{"a":1}}`, 0, 0, 9},
		{`{"records" 1}`, 0, 0, 11},
		{`{"a":1}` + "\nnot json\n", 2, 1, -1},
	}
	for _, tc := range tests {
		c, err := decodeAll(t, Decoder{}, []byte(tc.in))
		var fe *FormatError
		switch {
		case tc.errAt < 0 && err != nil:
			t.Errorf("%q: unexpected error %v", tc.in, err)
		case tc.errAt >= 0 && (!errors.As(err, &fe) || fe.Offset != tc.errAt):
			t.Errorf("%q: got error %v, want a *FormatError at offset %d", tc.in, err, tc.errAt)
		}
		malformed := 0
		for _, e := range c.Events {
			if e.Kind == event.KindPipelineError {
				malformed++
			}
		}
		if len(c.Events) != tc.events || malformed != tc.malform {
			t.Errorf("%q: got %d events (%d malformed), want %d (%d)", tc.in, len(c.Events), malformed, tc.events, tc.malform)
		}
	}
}

// TestDamage cuts a page inside its second record, corrupts a record and
// lowers the size limit under one record.
func TestDamage(t *testing.T) {
	data := readFixture(t, "graph-signins.json")
	records := pageRecords(t, data, "value")
	t.Run("truncated", func(t *testing.T) {
		second := bytes.Index(data, records[1])
		cut := data[:second+len(records[1])/2]
		c, err := decodeAll(t, Decoder{}, cut)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Offset != int64(len(cut)) {
			t.Fatalf("got %v, want a *FormatError at offset %d", err, len(cut))
		}
		if len(c.Events) != 1 || !bytes.Equal(c.Events[0].Raw, records[0]) {
			t.Errorf("got %d events, want the first record only", len(c.Events))
		}
	})
	t.Run("invalid record", func(t *testing.T) {
		bad := bytes.Replace(data, []byte(`"isInteractive": false`), []byte(`"isInteractive": fals`), 1)
		c, err := decodeAll(t, Decoder{}, bad)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Events) != 3 || c.Events[2].Kind != event.KindPipelineError || c.Events[1].Kind != event.KindEvent {
			t.Fatalf("want the third of 3 events malformed, got %v", c.Events)
		}
		if !bytes.Contains(c.Events[2].Raw, []byte(`"isInteractive": fals`)) {
			t.Errorf("malformed event does not keep its record")
		}
	})
	t.Run("oversize record", func(t *testing.T) {
		small := len(records[1]) + 1 // the first and third are larger
		c, err := decodeAll(t, Decoder{MaxRecord: small}, data)
		if err != nil {
			t.Fatal(err)
		}
		if c.Rejected["too_large"] != 2 || len(c.Events) != 1 || !bytes.Equal(c.Events[0].Raw, records[1]) {
			t.Errorf("got %d events and %v; want the second record and 2 too_large", len(c.Events), c.Rejected)
		}
	})
}

// TestByteAtATime reads through a reader that returns one byte per call,
// so that every string, escape and bracket falls on a buffer boundary.
func TestByteAtATime(t *testing.T) {
	for _, name := range []string{"graph-signins.json", "graph-directoryaudits.json", "eventhub.json", "storage.json"} {
		data := readFixture(t, name)
		want, err := decodeAll(t, Decoder{}, data)
		if err != nil {
			t.Fatal(err)
		}
		var got decode.Collect
		if err := (Decoder{}).Decode(iotest.OneByteReader(bytes.NewReader(data)), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Events) != len(want.Events) {
			t.Fatalf("%s: got %d events, want %d", name, len(got.Events), len(want.Events))
		}
		for i := range got.Events {
			if !bytes.Equal(got.Events[i].Raw, want.Events[i].Raw) || !cmp.Equal(got.Events[i].Fields, want.Events[i].Fields) {
				t.Errorf("%s event %d differs", name, i)
			}
		}
	}
}

func TestLooks(t *testing.T) {
	f := func(name string, head string, want bool) {
		t.Helper()
		if got := Looks([]byte(head)); got != want {
			t.Errorf("%s: Looks(%.60q) = %v, want %v", name, head, got, want)
		}
	}
	for _, name := range []string{"graph-signins.json", "graph-directoryaudits.json", "eventhub.json", "storage.json"} {
		f(name, string(readFixture(t, name)), true)
	}
	f("graph array", `[{"id":"1","createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"a@b","conditionalAccessStatus":"success"}]`, true)
	f("audit line", `{"id":"1","category":"UserManagement","result":"success","activityDisplayName":"Update user","activityDateTime":"2024-05-06T08:17:02Z"}`, true)
	f("diagnostic by resource", `{"time":"x","resourceId":"/tenants/1/providers/Microsoft.aadiam","operationName":"Something new","category":"NewLogs"}`, true)
	f("diagnostic by category", `{ "operationName" : "Sign-in activity", "category" : "ManagedIdentitySignInLogs" }`, true)
	f("another graph page", `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[]}`, false)
	f("activity log", `{"records":[{"time":"x","resourceId":"/SUBSCRIPTIONS/1/RESOURCEGROUPS/RG","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","category":"Administrative"}]}`, false)
	f("log analytics", `{"TimeGenerated":"x","Type":"SigninLogs","OperationName":"Sign-in activity","Category":"SignInLogs","CreatedDateTime":"x","ConditionalAccessStatus":"success"}`, false)
	f("m365", `{"CreationTime":"2024-05-06T08:17:02","Operation":"UserLoggedIn","Workload":"AzureActiveDirectory"}`, false)
	f("text", "May  6 08:17:02 host sshd[1]: Accepted", false)
	f("empty", "", false)
}

func TestParseTime(t *testing.T) {
	f := func(in string, want time.Time) {
		t.Helper()
		got, ok := parseTime(in)
		if ok != !want.IsZero() || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	f("2019-03-12T16:02:15.5522137Z", time.Date(2019, 3, 12, 16, 2, 15, 552213700, time.UTC))
	f("2019-10-18T04:45:48.0729893-05:00", time.Date(2019, 10, 18, 9, 45, 48, 72989300, time.UTC))
	f("2007-01-09T09:41:00", time.Date(2007, 1, 9, 9, 41, 0, 0, time.UTC))
	f("01/09/2007 09:41:00", time.Date(2007, 1, 9, 9, 41, 0, 0, time.UTC))
	f("1/9/2007 9:41:00 PM", time.Date(2007, 1, 9, 21, 41, 0, 0, time.UTC))
	f("1/9/2007 10:41:00 AM +01:00", time.Date(2007, 1, 9, 9, 41, 0, 0, time.UTC))
	f("yesterday", time.Time{})
	f("", time.Time{})
}

func TestParseIP(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := parseIP(in); got != want {
			t.Errorf("parseIP(%q) = %q, want %q", in, got, want)
		}
	}
	f("198.51.100.23", "198.51.100.23")
	f("2001:db8::1", "2001:db8::1")
	f("::ffff:192.0.2.1", "192.0.2.1")
	f("0.0.0.0", "")
	f("::2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6", "")
	f("<CALLER IP ADDRESS>", "")
	f("", "")
}

func TestTargets(t *testing.T) {
	rec := []byte(`{"x":{"targetResources":"no"},"s":"}],\"[{","targetResources" : [ {"modifiedProperties":[{"newValue":"[\"}\"]"}],"Type":"User","displayName":"A \"B\" \u00e9","id":7},` +
		`{"type":"Group","id":"g1","displayName":"Grp","userPrincipalName":null}, {"TYPE":"user","userPrincipalName":"c@d"} ],"after":1}`)
	want := []target{
		{DisplayName: `A "B" é`, Type: "User"},
		{ID: "g1", DisplayName: "Grp", Type: "Group"},
		{Type: "user", UserPrincipalName: "c@d"},
	}
	if diff := cmp.Diff(want, targets(rec, false)); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if got := targets([]byte(`{"properties":{"targetResources":[{"type":"User","id":"u"}]}}`), true); len(got) != 1 || got[0].ID != "u" {
		t.Errorf("diagnostic targets = %v", got)
	}
	for _, in := range []string{`{}`, `[]`, `{"targetResources":null}`, `{"targetResources":[]}`, `{"targetResources":[1,"x"]}`, `"x"`} {
		if got := targets([]byte(in), false); len(got) != 0 {
			t.Errorf("targets(%s) = %v, want none", in, got)
		}
	}
}

// TestResultTypeOnly decodes export records without a status: the outcome
// and error come from resultType and resultDescription.
func TestResultTypeOnly(t *testing.T) {
	f := func(resultType, wantOutcome, wantCode, wantMessage string) {
		t.Helper()
		in := `{"time":"2024-05-06T10:02:15Z","operationName":"Sign-in activity","category":"SignInLogs","resultType":"` + resultType +
			`","resultDescription":"Account is locked","properties":{"userPrincipalName":"a@contoso.example"}}`
		e := mustDecode(t, []byte(in), 1)[0]
		want := map[string]string{}
		for name, v := range map[string]string{event.EventOutcome: wantOutcome, fieldErrorCode: wantCode, fieldErrorMessage: wantMessage} {
			if v != "" {
				want[name] = v
			}
		}
		if diff := cmp.Diff(want, values(e, event.EventOutcome, fieldErrorCode, fieldErrorMessage)); diff != "" {
			t.Errorf("resultType %q (-want +got):\n%s", resultType, diff)
		}
	}
	f("50053", "failure", "50053", "Account is locked")
	f("0", "success", "", "")
	f("Success", "success", "", "")
	f("Failure", "failure", "", "Account is locked")
	f("", "", "", "")
}
