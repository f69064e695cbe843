package m365

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

// The fixtures in testdata are written by hand from the Office 365
// Management Activity API schema (common schema, SharePoint file
// operations, Exchange mailbox and admin, Azure AD and its STS logons) and
// Microsoft's description of MailItemsAccessed and of the audit search
// export; no real tenant's logs are available to test with. Addresses are
// from the documentation ranges.

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

var ecsNames = []string{
	event.EventAction, event.EventCategory, event.EventDataset, event.EventOutcome, event.EventProvider,
	fieldErrorCode, fieldErrorMessage, fieldFileExtension, fieldFileName, event.SourceIP, event.URLOriginal,
	event.UserAgent, event.UserID, event.UserName,
}

func checkECS(t *testing.T, e *event.Event, want map[string]string) {
	t.Helper()
	if diff := cmp.Diff(want, values(e, ecsNames...)); diff != "" {
		t.Errorf("ECS fields (-want +got):\n%s", diff)
	}
}

func TestAPIContent(t *testing.T) {
	data := readFixture(t, "api-content.json")
	events := mustDecode(t, data, 7)
	var records []json.RawMessage
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	for i, r := range records {
		if !bytes.Equal(events[i].Raw, r) {
			t.Errorf("event %d: Raw is not the record's bytes", i)
		}
	}
	checkECS(t, events[0], map[string]string{
		event.EventAction:   "FileDownloaded",
		event.EventCategory: "file",
		event.EventDataset:  "o365.audit",
		event.EventProvider: "SharePoint",
		fieldFileExtension:  "xlsx",
		fieldFileName:       "Payroll 2024.xlsx",
		event.SourceIP:      "203.0.113.77",
		event.URLOriginal:   "https://contoso.sharepoint.com/sites/Finance/Shared Documents/Payroll 2024.xlsx",
		event.UserAgent:     "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
		event.UserID:        "i:0h.f|membership|100320001a4f7c2d@live.com",
		event.UserName:      "meganb@contoso.example",
	})
	if want := time.Date(2024, 5, 6, 8, 20, 41, 0, time.UTC); !events[0].Time.Equal(want) {
		t.Errorf("Time = %v, want %v", events[0].Time, want)
	}
	if got := values(events[0], "SiteUrl", "SourceRelativeUrl", "RecordType", "UserType"); !cmp.Equal(got, map[string]string{
		"SiteUrl": "https://contoso.sharepoint.com/sites/Finance/", "SourceRelativeUrl": "Shared Documents", "RecordType": "6", "UserType": "0",
	}) {
		t.Errorf("original fields: %v", got)
	}
	if get(events[1], event.EventCategory) != "file" || get(events[1], event.EventProvider) != "OneDrive" {
		t.Errorf("OneDrive FileAccessed: %v", events[1])
	}
	// MailItemsAccessed: Exchange's ClientIPAddress, the accessed messages
	// kept under their own names.
	checkECS(t, events[2], map[string]string{
		event.EventAction:   "MailItemsAccessed",
		event.EventCategory: "email",
		event.EventDataset:  "o365.audit",
		event.EventOutcome:  "success",
		event.EventProvider: "Exchange",
		event.SourceIP:      "2001:db8:77::5",
		event.UserID:        "10032001A4F7C2D9",
		event.UserName:      "meganb@contoso.example",
	})
	if got := values(events[2], "Folders.FolderItems.InternetMessageId", "Folders.Path", "OperationCount", "OperationProperties.Value"); !cmp.Equal(got, map[string]string{
		"Folders.FolderItems.InternetMessageId": "<AM0PR01MB0001A1B2C3D4E5F6@AM0PR01MB0001.eurprd01.prod.outlook.com>|<AM0PR01MB0001F6E5D4C3B2A1@AM0PR01MB0001.eurprd01.prod.outlook.com>",
		"Folders.Path":                          `\Inbox`,
		"OperationCount":                        "2",
		"OperationProperties.Value":             "Bind|False",
	}) {
		t.Errorf("MailItemsAccessed fields: %v", got)
	}
	// A successful logon: the user agent from ExtendedProperties.
	checkECS(t, events[3], map[string]string{
		event.EventAction:   "UserLoggedIn",
		event.EventCategory: "authentication",
		event.EventDataset:  "o365.audit",
		event.EventOutcome:  "success",
		event.EventProvider: "AzureActiveDirectory",
		event.SourceIP:      "198.51.100.23",
		event.UserAgent:     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		event.UserID:        "48d31887-5fad-4d73-a9f5-3c356e68a038",
		event.UserName:      "meganb@contoso.example",
	})
	// A failed logon whose ResultStatus says "Success"; a port after the
	// address.
	checkECS(t, events[4], map[string]string{
		event.EventAction:   "UserLoginFailed",
		event.EventCategory: "authentication",
		event.EventDataset:  "o365.audit",
		event.EventOutcome:  "failure",
		event.EventProvider: "AzureActiveDirectory",
		fieldErrorCode:      "50126",
		fieldErrorMessage:   "InvalidUserNameOrPassword",
		event.SourceIP:      "203.0.113.77",
		event.UserAgent:     "BAV2ROPC",
		event.UserID:        "48d31887-5fad-4d73-a9f5-3c356e68a038",
		event.UserName:      "meganb@contoso.example",
	})
	// An Exchange admin cmdlet: ResultStatus True, an address in brackets
	// with a port.
	checkECS(t, events[5], map[string]string{
		event.EventAction:   "New-InboxRule",
		event.EventDataset:  "o365.audit",
		event.EventOutcome:  "success",
		event.EventProvider: "Exchange",
		event.SourceIP:      "2001:db8:77::5",
		event.UserID:        "10032001A4F7C2D9",
		event.UserName:      "meganb@contoso.example",
	})
	if got := values(events[5], "Parameters.Name"); got["Parameters.Name"] != "Name|From|MoveToFolder|MarkAsRead|StopProcessingRules" {
		t.Errorf("Parameters.Name = %v", got)
	}
	// An Azure AD admin action: ActorIpAddress.
	checkECS(t, events[6], map[string]string{
		event.EventAction:   "Add member to role.",
		event.EventCategory: "iam",
		event.EventDataset:  "o365.audit",
		event.EventOutcome:  "success",
		event.EventProvider: "AzureActiveDirectory",
		event.SourceIP:      "192.0.2.10",
		event.UserID:        "100320001B2C3D4E@contoso.onmicrosoft.com",
		event.UserName:      "admin@contoso.example",
	})
}

// csvRows returns the rows of a CSV fixture after its header, without
// their line ends, for comparison with Raw.
func csvRows(data []byte, skip int) [][]byte {
	lines := bytes.Split(bytes.TrimRight(data, "\r\n"), []byte("\r\n"))
	return lines[skip:]
}

func TestPurviewExport(t *testing.T) {
	data := readFixture(t, "purview-export.csv")
	events := mustDecode(t, data, 3)
	for i, row := range csvRows(data, 1) {
		if !bytes.Equal(events[i].Raw, row) {
			t.Errorf("event %d: Raw is not its row:\n%s\n%s", i, events[i].Raw, row)
		}
	}
	checkECS(t, events[0], map[string]string{
		event.EventAction:   "FileDownloaded",
		event.EventCategory: "file",
		event.EventDataset:  "o365.audit",
		event.EventProvider: "SharePoint",
		fieldFileExtension:  "docx",
		fieldFileName:       `Board, minutes "draft".docx`,
		event.SourceIP:      "203.0.113.77",
		event.URLOriginal:   `https://contoso.sharepoint.com/sites/Finance/Shared Documents/Board, minutes "draft".docx`,
		event.UserAgent:     "python-requests/2.31.0",
		event.UserID:        "i:0h.f|membership|100320001a4f7c2d@live.com",
		event.UserName:      "meganb@contoso.example",
	})
	// The columns AuditData lacks are kept; Operation, RecordType and
	// UserId are AuditData's.
	if got := values(events[0], "RecordId", "CreationDate", "RecordType", "Operation", "AssociatedAdminUnits", "AuditData"); !cmp.Equal(got, map[string]string{
		"RecordId": "9f1e2d3c-4b5a-4697-8877-665544332211", "CreationDate": "2024-05-06T08:20:41.0000000Z ",
		"RecordType": "6", "Operation": "FileDownloaded",
	}) {
		t.Errorf("columns: %v", got)
	}
	if rt := events[0].Values("RecordType"); len(rt) != 1 || rt[0].Type != event.Number {
		t.Errorf("RecordType = %v, want AuditData's number", rt)
	}
	checkECS(t, events[1], map[string]string{
		event.EventAction:   "UserLoginFailed",
		event.EventCategory: "authentication",
		event.EventDataset:  "o365.audit",
		event.EventOutcome:  "failure",
		event.EventProvider: "AzureActiveDirectory",
		fieldErrorCode:      "50053",
		fieldErrorMessage:   "IdsLocked",
		event.SourceIP:      "203.0.113.77",
		event.UserAgent:     "BAV2ROPC",
		event.UserID:        "48d31887-5fad-4d73-a9f5-3c356e68a038",
		event.UserName:      "meganb@contoso.example",
	})
	if got := values(events[2], event.EventOutcome, "AssociatedAdminUnits", "AssociatedAdminUnitsNames"); !cmp.Equal(got, map[string]string{
		event.EventOutcome: "unknown", "AssociatedAdminUnits": "Unit A", "AssociatedAdminUnitsNames": "Finance Unit",
	}) {
		t.Errorf("PartiallySucceeded row: %v", got)
	}
}

func TestSearchUnifiedAuditLog(t *testing.T) {
	t.Run("csv", func(t *testing.T) {
		data := readFixture(t, "search-unifiedauditlog.csv")
		events := mustDecode(t, data, 2)
		for i, row := range csvRows(data, 2) {
			if !bytes.Equal(events[i].Raw, row) {
				t.Errorf("event %d: Raw is not its row", i)
			}
		}
		checkECS(t, events[0], map[string]string{
			event.EventAction:   "MailItemsAccessed",
			event.EventCategory: "email",
			event.EventDataset:  "o365.audit",
			event.EventOutcome:  "success",
			event.EventProvider: "Exchange",
			event.SourceIP:      "203.0.113.77",
			event.UserID:        "10032001A4F7C2D9",
			event.UserName:      "meganb@contoso.example",
		})
		if got := values(events[0], "UserIds", "Operations", "CreationDate"); !cmp.Equal(got, map[string]string{
			"UserIds": "meganb@contoso.example", "Operations": "MailItemsAccessed", "CreationDate": "5/6/2024 8:22:10 AM",
		}) {
			t.Errorf("columns: %v", got)
		}
		checkECS(t, events[1], map[string]string{
			event.EventAction:   "Set-Mailbox",
			event.EventDataset:  "o365.audit",
			event.EventOutcome:  "failure",
			event.EventProvider: "Exchange",
			event.SourceIP:      "192.0.2.44",
			event.UserID:        "10032001A4F7C2D9",
			event.UserName:      "meganb@contoso.example",
		})
	})
	t.Run("json", func(t *testing.T) {
		data := readFixture(t, "search-unifiedauditlog.json")
		e := mustDecode(t, data, 1)[0]
		want := mustDecode(t, readFixture(t, "api-content.json"), 7)[0]
		for _, name := range ecsNames {
			if name == event.UserAgent || name == event.UserID {
				continue // not in the shortened AuditData
			}
			if got, w := get(e, name), get(want, name); got != w {
				t.Errorf("%s = %q, want %q as from the API", name, got, w)
			}
		}
		// The wrapper's RecordType (a name) gives way to AuditData's.
		if got := values(e, "RecordType", "ResultIndex", "Operations", "AuditData"); !cmp.Equal(got, map[string]string{
			"RecordType": "6", "ResultIndex": "1", "Operations": "FileDownloaded",
		}) {
			t.Errorf("wrapper fields: %v", got)
		}
		if !e.Time.Equal(want.Time) {
			t.Errorf("Time = %v, want %v", e.Time, want.Time)
		}
	})
}

// TestShapes feeds the same records as an array, concatenated arrays, a
// page and one record per line: every shape must give the same events.
func TestShapes(t *testing.T) {
	data := readFixture(t, "api-content.json")
	var records []json.RawMessage
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	compact := make([][]byte, len(records))
	for i, r := range records {
		var b bytes.Buffer
		if err := json.Compact(&b, r); err != nil {
			t.Fatal(err)
		}
		compact[i] = b.Bytes()
	}
	shapes := map[string]string{
		"two arrays": "\ufeff[" + string(bytes.Join(compact[:3], []byte(","))) + "]\n[" + string(bytes.Join(compact[3:], []byte(","))) + "]\n",
		"page":       `{"value":[` + string(bytes.Join(compact, []byte(","))) + `],"@odata.nextLink":"x"}`,
		"lines":      string(bytes.Join(compact, []byte("\r\n"))) + "\n",
	}
	want := mustDecode(t, data, 7)
	for name, in := range shapes {
		t.Run(name, func(t *testing.T) {
			got := mustDecode(t, []byte(in), 7)
			for i := range got {
				if diff := cmp.Diff(want[i].Fields, got[i].Fields); diff != "" {
					t.Fatalf("event %d fields (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestCSV(t *testing.T) {
	audit := func(op string) string {
		return `"{""CreationTime"":""2024-05-06T08:00:00"",""Operation"":""` + op + `"",""ResultStatus"":""Succeeded"",""UserId"":""a@b""}"`
	}
	tests := []struct {
		name    string
		in      string
		events  int
		malform int
		errAt   int64 // -1: no error
	}{
		{"header only", "CreationDate,UserIds,Operations,AuditData\n", 0, 0, -1},
		{"no line end", "A,AuditData\nx," + audit("Op"), 1, 0, -1},
		{"quoted header", `"RecordId","AuditData"` + "\r\n1," + audit("Op") + "\r\n\r\n", 1, 0, -1},
		{"row over lines", "Note,AuditData\n\"two\nlines\"," + audit("Op") + "\n", 1, 0, -1},
		{"no AuditData column", "CreationDate,UserIds,Operations\n1,2,3\n", 0, 0, 0},
		{"not csv", "hello world\n", 0, 0, 0},
		{"type line then nothing", "#TYPE x\n", 0, 0, 8},
		{"short row", "A,AuditData\nx\n", 1, 1, -1},
		{"empty AuditData", "A,AuditData\nx,\n", 1, 1, -1},
		{"AuditData not JSON", "A,AuditData\nx,hello\n", 1, 1, -1},
		{"AuditData an array", "A,AuditData\nx,\"[1]\"\n", 1, 1, -1},
		{"bad quoting", "A,AuditData\n\"x\"y," + audit("Op") + "\n", 1, 1, -1},
		{"open quote at end", "A,AuditData\nx,\"{\n", 1, 1, -1},
		{"good after bad", "A,AuditData\nx,\"[1]\"\ny," + audit("Op2") + "\n", 2, 1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := decodeAll(t, Decoder{}, []byte(tc.in))
			var fe *FormatError
			switch {
			case tc.errAt < 0 && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.errAt >= 0 && (!errors.As(err, &fe) || fe.Offset != tc.errAt):
				t.Fatalf("got error %v, want a *FormatError at offset %d", err, tc.errAt)
			}
			malformed := 0
			for _, e := range c.Events {
				if e.Kind == event.KindPipelineError {
					malformed++
				}
			}
			if len(c.Events) != tc.events || malformed != tc.malform {
				t.Errorf("got %d events (%d malformed), want %d (%d): %v", len(c.Events), malformed, tc.events, tc.malform, c.Events)
			}
		})
	}
	t.Run("row over lines keeps its bytes", func(t *testing.T) {
		row := "\"two\nlines\"," + audit("Op")
		c, err := decodeAll(t, Decoder{}, []byte("Note,AuditData\n"+row+"\n"))
		if err != nil || len(c.Events) != 1 {
			t.Fatalf("%v, %d events", err, len(c.Events))
		}
		if e := c.Events[0]; string(e.Raw) != row || get(e, "Note") != "two\nlines" || get(e, event.EventAction) != "Op" {
			t.Errorf("got %q, Note %q", e.Raw, get(e, "Note"))
		}
	})
	t.Run("oversize row", func(t *testing.T) {
		in := "A,AuditData\nx," + audit("Op") + "\ny," + audit(strings.Repeat("O", 300)) + "\nz," + audit("Op") + "\n"
		c, err := decodeAll(t, Decoder{MaxRecord: 200}, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Events) != 2 || c.Rejected["too_large"] != 1 {
			t.Errorf("got %d events and %v, want 2 and one too_large", len(c.Events), c.Rejected)
		}
	})
}

func TestSplitCSV(t *testing.T) {
	f := func(in string, want ...string) {
		t.Helper()
		got, err := splitCSV(in, nil)
		if err != nil {
			t.Fatalf("splitCSV(%q): %v", in, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("splitCSV(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "")
	f("a", "a")
	f("a,,b,", "a", "", "b", "")
	f(`"a,b","c""d""",e`, "a,b", `c"d"`, "e")
	f(`""""`, `"`)
	f(`""`, "")
	f(`x"y,z`, `x"y`, "z")
	f("\"a\nb\",c", "a\nb", "c")
	for _, bad := range []string{`"a`, `"a"b`, `"a""`} {
		if _, err := splitCSV(bad, nil); err == nil {
			t.Errorf("splitCSV(%q): no error", bad)
		}
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
		{"[]", 0, 0, -1},
		{`{"value":[]}`, 0, 0, -1},
		{`{}`, 1, 0, -1},
		{`[{"a":1}, "text", 3, {"b":2}]`, 4, 2, -1},
		{`[{"a":1},]`, 1, 0, 9},
		{`[{"a":1}`, 1, 0, 8},
		{`[{"a":1`, 0, 0, 7},
		{"\x00\x01", 0, 0, 0},
		{`{"a":1}` + "\nnot json\n", 2, 1, -1},
		{`{"AuditData":"{not json"}`, 1, 1, -1},
		{`{"AuditData":null,"Operation":"X"}`, 1, 0, -1},
		{`{"AuditData":"[1]","Operation":"X"}`, 1, 0, -1},
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

// TestByteAtATime reads through a reader that returns one byte per call,
// so that every string, escape, quote and bracket falls on a buffer
// boundary.
func TestByteAtATime(t *testing.T) {
	for _, name := range []string{"api-content.json", "purview-export.csv", "search-unifiedauditlog.csv", "search-unifiedauditlog.json"} {
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
	f := func(name, head string, want bool) {
		t.Helper()
		if got := Looks([]byte(head)); got != want {
			t.Errorf("%s: Looks(%.60q) = %v, want %v", name, head, got, want)
		}
	}
	for _, name := range []string{"api-content.json", "purview-export.csv", "search-unifiedauditlog.csv", "search-unifiedauditlog.json"} {
		f(name, string(readFixture(t, name)), true)
	}
	f("line", `{"CreationTime":"2024-05-06T08:17:02","Id":"1","Operation":"UserLoggedIn","RecordType":15}`, true)
	f("classic csv", "CreationDate,UserIds,Operations,AuditData\r\n", true)
	f("entra", `{"id":"1","createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"a@b","conditionalAccessStatus":"success"}`, false)
	f("cloudtrail", `{"eventVersion":"1.08","eventTime":"x","eventName":"GetObject","eventSource":"s3.amazonaws.com"}`, false)
	f("other csv", "time,user,action\n1,2,3\n", false)
	f("text", "May  6 08:17:02 host sshd[1]: Accepted", false)
	f("empty", "", false)
}

func TestParseIP(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := parseIP(in); got != want {
			t.Errorf("parseIP(%q) = %q, want %q", in, got, want)
		}
	}
	f("203.0.113.77", "203.0.113.77")
	f("203.0.113.77:53422", "203.0.113.77")
	f("[2001:db8::5]:61345", "2001:db8::5")
	f("[2001:db8::5]", "2001:db8::5")
	f("2001:db8::5", "2001:db8::5")
	f("::ffff:192.0.2.1", "192.0.2.1")
	f(" 192.0.2.1 ", "192.0.2.1")
	f("fe80::1%eth0", "fe80::1")
	f("0.0.0.0", "")
	f("<null>", "")
	f("", "")
}

func TestParseTime(t *testing.T) {
	f := func(in string, want time.Time) {
		t.Helper()
		got, ok := parseTime(in)
		if ok != !want.IsZero() || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	f("2024-05-06T08:20:41", time.Date(2024, 5, 6, 8, 20, 41, 0, time.UTC))
	f("2024-05-06T08:20:41.0000000Z ", time.Date(2024, 5, 6, 8, 20, 41, 0, time.UTC))
	f("5/6/2024 8:22:10 AM", time.Date(2024, 5, 6, 8, 22, 10, 0, time.UTC))
	f("5/6/2024 20:22:10", time.Date(2024, 5, 6, 20, 22, 10, 0, time.UTC))
	f("never", time.Time{})
}
