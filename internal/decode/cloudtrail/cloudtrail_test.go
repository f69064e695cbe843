package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// stratusFiles returns the Stratus Red Team CloudTrail logs (Apache-2.0),
// by file name.
func stratusFiles(t testing.TB) map[string][]byte {
	t.Helper()
	dir := shareddata.Path(t, "cloudtrail/stratus")
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = data
	}
	return files
}

func decodeAll(t *testing.T, d Decoder, data []byte) (*decode.Collect, error) {
	t.Helper()
	var c decode.Collect
	err := d.Decode(bytes.NewReader(data), &c)
	return &c, err
}

func get(e *event.Event, name string) string {
	v, _ := e.Get(name)
	return v
}

// TestStratus decodes the 35 Stratus Red Team logs: 310 records in all
// (data README), none malformed, each event's Raw exactly its record's
// bytes in the file.
func TestStratus(t *testing.T) {
	files := stratusFiles(t)
	if len(files) != 35 {
		t.Fatalf("found %d Stratus files, want 35", len(files))
	}
	total, failures := 0, 0
	for name, data := range files {
		c, err := decodeAll(t, Decoder{}, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var records []json.RawMessage // exact bytes of each element
		if err := json.Unmarshal(data, &records); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Events) != len(records) || len(c.Rejected) != 0 {
			t.Fatalf("%s: got %d events and rejections %v, want %d events", name, len(c.Events), c.Rejected, len(records))
		}
		for i, e := range c.Events {
			if e.Kind != event.KindEvent {
				t.Fatalf("%s record %d malformed: %s", name, i, e.ParseError)
			}
			if !bytes.Equal(e.Raw, records[i]) {
				t.Fatalf("%s record %d: Raw is not the record's bytes:\n%s\nwant\n%s", name, i, e.Raw, records[i])
			}
			for _, f := range []string{"eventName", event.EventAction, event.EventProvider, event.CloudRegion, event.CloudAccountID, event.SourceIP, event.UserName} {
				if get(e, f) == "" {
					t.Errorf("%s record %d: no %s", name, i, f)
				}
			}
			if e.Time.IsZero() {
				t.Errorf("%s record %d: no time", name, i)
			}
			if get(e, event.EventOutcome) == event.OutcomeFailure {
				failures++
			}
		}
		total += len(c.Events)
	}
	if total != 310 {
		t.Errorf("got %d events in all, want 310", total)
	}
	if failures != 52 { // the records with an errorCode
		t.Errorf("got %d failures, want 52", failures)
	}
}

// TestStopLogging checks the one record of the cloudtrail-stop technique,
// whose values are read from the file.
func TestStopLogging(t *testing.T) {
	data := stratusFiles(t)["aws.defense-evasion.cloudtrail-stop.json"]
	c, err := decodeAll(t, Decoder{}, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 1 {
		t.Fatalf("got %d events, want 1", len(c.Events))
	}
	e := c.Events[0]
	want := map[string]string{
		"eventName":                           "StopLogging",
		"eventSource":                         "cloudtrail.amazonaws.com",
		"requestParameters.name":              "stratus-red-team-ct-stop-trail-buykxbqejv",
		"userIdentity.arn":                    "arn:aws:iam::143434273843:user/christophe",
		"tlsDetails.tlsVersion":               "TLSv1.3",
		"managementEvent":                     "true",
		"responseElements":                    "",
		event.EventAction:                     "StopLogging",
		event.EventProvider:                   "cloudtrail.amazonaws.com",
		event.EventOutcome:                    "success",
		event.CloudProvider:                   "aws",
		event.CloudRegion:                     "apiso-centralnorth-2r",
		event.CloudAccountID:                  "143434273843",
		event.SourceIP:                        "86.245.153.234",
		event.UserName:                        "christophe",
		event.UserID:                          "AIDAOC1SYDVN0AF0FMMR",
		event.UserAgent:                       "stratus-red-team_c97089f1-1ae3-4ecc-b006-f5e8fd0f2571",
		event.EventDataset:                    "aws.cloudtrail",
		"userIdentity.accessKeyId":            "AKIAGGWFBBHBE7D3M9WI",
		"userIdentity.type":                   "IAMUser",
		"tlsDetails.cipherSuite":              "TLS_AES_128_GCM_SHA256",
		"recipientAccountId":                  "143434273843",
		"eventTime":                           "2024-07-31T13:06:24Z",
		"userIdentity.principalId":            "AIDAOC1SYDVN0AF0FMMR",
		"userIdentity.accountId":              "143434273843",
		"userIdentity.userName":               "christophe",
		"sourceIPAddress":                     "86.245.153.234",
		"awsRegion":                           "apiso-centralnorth-2r",
		"eventType":                           "AwsApiCall",
		"readOnly":                            "false",
		"tlsDetails.clientProvidedHostHeader": "cloudtrail.apiso-centralnorth-2r.amazonaws.com",
	}
	got := map[string]string{}
	for name := range want {
		got[name] = get(e, name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if types := e.Values("managementEvent"); len(types) != 1 || types[0].Type != event.Bool {
		t.Errorf("managementEvent = %v, want one boolean", types)
	}
	if rs := e.Values("responseElements"); len(rs) != 1 || rs[0].Type != event.Null {
		t.Errorf("responseElements = %v, want null", rs)
	}
	if want := time.Date(2024, 7, 31, 13, 6, 24, 0, time.UTC); !e.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", e.Time, want)
	}
}

// TestStratusFacts checks facts about other techniques, read from the files.
func TestStratusFacts(t *testing.T) {
	files := stratusFiles(t)
	find := func(file, eventName string) *event.Event {
		t.Helper()
		c, err := decodeAll(t, Decoder{}, files[file])
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range c.Events {
			if get(e, "eventName") == eventName {
				return e
			}
		}
		t.Fatalf("%s: no %s event", file, eventName)
		return nil
	}
	// A console login without MFA: success, MFAUsed "No", and an
	// anonymised address with leading zeros read as decimal.
	e := find("aws.initial-access.console-login-without-mfa.json", "ConsoleLogin")
	if get(e, "additionalEventData.MFAUsed") != "No" || get(e, event.EventOutcome) != "success" || get(e, event.SourceIP) != "225.1.0.16" {
		t.Errorf("ConsoleLogin: MFAUsed %q outcome %q source.ip %q; want No, success, 225.1.0.16",
			get(e, "additionalEventData.MFAUsed"), get(e, event.EventOutcome), get(e, event.SourceIP))
	}
	// Sharing a snapshot: the account it is shared with, in an array.
	e = find("aws.exfiltration.ec2-share-ebs-snapshot.json", "ModifySnapshotAttribute")
	if get(e, "requestParameters.createVolumePermission.add.items.userId") == "" {
		t.Errorf("ModifySnapshotAttribute: no requestParameters.createVolumePermission.add.items.userId; fields: %v", e)
	}
	// An assumed role is named by its session (the last part of its ARN).
	c, err := decodeAll(t, Decoder{}, files["aws.credential-access.ec2-steal-instance-credentials.json"])
	if err != nil {
		t.Fatal(err)
	}
	assumed := 0
	for _, e := range c.Events {
		if get(e, "userIdentity.type") == "AssumedRole" {
			assumed++
			arn := get(e, "userIdentity.arn")
			if want := arn[strings.LastIndex(arn, "/")+1:]; get(e, event.UserName) != want {
				t.Errorf("assumed role %s: user.name %q, want %q", arn, get(e, event.UserName), want)
			}
		}
	}
	if assumed == 0 {
		t.Error("no AssumedRole record found")
	}
}

// TestShapes feeds the same records as an array, a Records object (with
// another member after it), concatenated arrays and one record per line:
// every shape must give the same events.
func TestShapes(t *testing.T) {
	data := stratusFiles(t)["aws.execution.ssm-send-command.json"]
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
	half := len(records) / 2
	shapes := map[string][]byte{
		"array":   data,
		"records": []byte(`{"Records":` + string(data) + `,"digest":{"x":[1,{"y":"]"}]}}`),
		"records then array": []byte("{ \n\"Records\" : [" + string(bytes.Join(compact[:half], []byte(","))) + "]}\n[" +
			string(bytes.Join(compact[half:], []byte(",\n"))) + "]"),
		"lines": append(bytes.Join(compact, []byte("\r\n")), '\n'),
	}
	want, err := decodeAll(t, Decoder{}, data)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range shapes {
		t.Run(name, func(t *testing.T) {
			got, err := decodeAll(t, Decoder{}, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Events) != len(want.Events) {
				t.Fatalf("got %d events, want %d", len(got.Events), len(want.Events))
			}
			for i := range got.Events {
				if diff := cmp.Diff(want.Events[i].Fields, got.Events[i].Fields); diff != "" {
					t.Fatalf("event %d fields (-want +got):\n%s", i, diff)
				}
				if !got.Events[i].Time.Equal(want.Events[i].Time) {
					t.Fatalf("event %d: time %v, want %v", i, got.Events[i].Time, want.Events[i].Time)
				}
			}
		})
	}
}

// TestTruncated cuts a file inside its tenth record: the nine records
// before it are delivered and the error names the offset where input ends.
func TestTruncated(t *testing.T) {
	data := stratusFiles(t)["aws.execution.ssm-send-command.json"]
	var records []json.RawMessage
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	tenth := bytes.Index(data, records[9])
	cut := data[:tenth+len(records[9])/2]
	c, err := decodeAll(t, Decoder{}, cut)
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got error %v, want a *FormatError", err)
	}
	if fe.Offset != int64(len(cut)) {
		t.Errorf("error offset %d, want %d (end of input)", fe.Offset, len(cut))
	}
	if !strings.Contains(err.Error(), "offset") || !strings.Contains(err.Error(), "ends") {
		t.Errorf("error %q should say where input ends", err)
	}
	if len(c.Events) != 9 {
		t.Fatalf("got %d events before the fault, want 9", len(c.Events))
	}
	for i, e := range c.Events {
		if !bytes.Equal(e.Raw, records[i]) || e.Kind != event.KindEvent {
			t.Errorf("event %d: not record %d", i, i)
		}
	}
}

func TestCorrupt(t *testing.T) {
	data := stratusFiles(t)["aws.execution.ssm-send-command.json"]
	var records []json.RawMessage
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	t.Run("garbage between records", func(t *testing.T) {
		at := bytes.Index(data, records[3]) + len(records[3])
		bad := append(append(append([]byte{}, data[:at]...), " oops "...), data[at:]...)
		c, err := decodeAll(t, Decoder{}, bad)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Offset != int64(at+1) {
			t.Fatalf("got %v, want a *FormatError at offset %d", err, at+1)
		}
		if len(c.Events) != 4 {
			t.Errorf("got %d events, want the 4 before the fault", len(c.Events))
		}
	})
	t.Run("invalid record", func(t *testing.T) {
		bad := bytes.Replace(data, []byte(`"readOnly": false`), []byte(`"readOnly": fals`), 1)
		c, err := decodeAll(t, Decoder{}, bad)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Events) != len(records) {
			t.Fatalf("got %d events, want %d", len(c.Events), len(records))
		}
		malformed := 0
		for _, e := range c.Events {
			if e.Kind == event.KindPipelineError {
				malformed++
				if !bytes.Contains(e.Raw, []byte(`"readOnly": fals`)) {
					t.Errorf("malformed event does not keep its record: %s", e.Raw)
				}
			}
		}
		if malformed != 1 {
			t.Errorf("got %d malformed events, want 1", malformed)
		}
	})
	t.Run("oversize record", func(t *testing.T) {
		small := len(records[0]) + 1
		c, err := decodeAll(t, Decoder{MaxRecord: small}, data)
		if err != nil {
			t.Fatal(err)
		}
		larger := 0
		for _, r := range records {
			if len(r) > small {
				larger++
			}
		}
		if larger == 0 || c.Rejected["too_large"] != larger || len(c.Events) != len(records)-larger {
			t.Errorf("got %d events and %v; want %d too_large and %d events", len(c.Events), c.Rejected, larger, len(records)-larger)
		}
	})
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
		{`{"Records":[]}`, 0, 0, -1},
		{`{}`, 1, 0, -1}, // one record per line: an empty record
		{`[{"eventName":"A"}, "text", 3, {"eventName":"B"}]`, 4, 2, -1},
		{`[{"eventName":"A"},]`, 1, 0, 19},
		{`[{"eventName":"A"}`, 1, 0, 18},
		{`[{"eventName":"A"`, 0, 0, 17},
		{`hello`, 0, 0, 0},
		{"\x00\x01", 0, 0, 0},
		{`{"Records":{"a":1}}`, 0, 0, 11},
		{`{"Records" 1}`, 0, 0, 11},
		{`{"eventName":"A"}` + "\nnot json\n", 2, 1, -1},
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

// TestCrowdSecLines decodes CloudTrail records one per line, from the
// CrowdSec hub tests (MIT): console login failures carry no errorCode but
// responseElements.ConsoleLogin "Failure".
func TestCrowdSecLines(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "crowdsec-tests/aws-bf/aws-bf.log"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := decodeAll(t, Decoder{}, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 6 {
		t.Fatalf("got %d events, want 6", len(c.Events))
	}
	for i, e := range c.Events {
		if get(e, event.EventAction) != "ConsoleLogin" || get(e, event.EventOutcome) != "failure" || get(e, event.SourceIP) != "1.2.3.4" {
			t.Errorf("event %d: action %q outcome %q source.ip %q; want ConsoleLogin, failure, 1.2.3.4",
				i, get(e, event.EventAction), get(e, event.EventOutcome), get(e, event.SourceIP))
		}
		if get(e, event.EventCategory) != "authentication" {
			t.Errorf("event %d: event.category %q, want authentication: a console sign-in is a login", i, get(e, event.EventCategory))
		}
	}
}

func TestParseIP(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got, ok := parseIP(in)
		if ok != (want != "") || got != want {
			t.Errorf("parseIP(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	f("86.245.153.234", "86.245.153.234")
	f("035.249.253.232", "35.249.253.232")
	f("253.252.51.07", "253.252.51.7")
	f("2001:db8::1", "2001:db8::1")
	f("::ffff:10.0.0.1", "10.0.0.1")
	f("ec2.amazonaws.com", "")
	f("AWS Internal", "")
	f("256.1.1.1", "")
	f("1.2.3", "")
	f("1.2.3.0004", "")
	f("", "")
}

func TestArnName(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := arnName(in); got != want {
			t.Errorf("arnName(%q) = %q, want %q", in, got, want)
		}
	}
	f("arn:aws:iam::143434273843:user/christophe", "christophe")
	f("arn:aws:sts::017622104382:assumed-role/stratus-role/i-786a3A8B5C0d92eF4", "i-786a3A8B5C0d92eF4")
	f("arn:aws:iam::123456789012:root", "root")
	f("not an arn", "")
}

// TestRecordFieldsSorted checks that decodeRecord hands decode.Line its
// fields already sorted.
func TestRecordFieldsSorted(t *testing.T) {
	for name, data := range stratusFiles(t) {
		var records []json.RawMessage
		if err := json.Unmarshal(data, &records); err != nil {
			t.Fatal(err)
		}
		for i, r := range records {
			var e event.Event
			if err := decodeRecord(nil, r, &e); err != nil {
				t.Fatal(err)
			}
			if !slices.IsSortedFunc(e.Fields, func(a, b event.Field) int { return strings.Compare(a.Name, b.Name) }) {
				t.Fatalf("%s record %d: fields not sorted", name, i)
			}
		}
	}
}

// TestByteAtATime reads through a reader that returns one byte per call,
// so that every string, escape and bracket falls on a buffer boundary.
func TestByteAtATime(t *testing.T) {
	data := []byte(`[{"eventName":"A\\\"]}","x":["}\\"]}, {"eventName":"B"}]` + "\n" + `{"Records":[{"eventName":"C"}],"k":"\\"}`)
	want, err := decodeAll(t, Decoder{}, data)
	if err != nil {
		t.Fatal(err)
	}
	var got decode.Collect
	if err := (Decoder{}).Decode(iotest.OneByteReader(bytes.NewReader(data)), &got); err != nil {
		t.Fatal(err)
	}
	if len(want.Events) != 3 || len(got.Events) != 3 {
		t.Fatalf("got %d and %d events, want 3", len(want.Events), len(got.Events))
	}
	for i := range got.Events {
		if !bytes.Equal(got.Events[i].Raw, want.Events[i].Raw) || got.Events[i].Kind != event.KindEvent {
			t.Errorf("event %d: %q (%v), want %q", i, got.Events[i].Raw, got.Events[i].Kind, want.Events[i].Raw)
		}
	}
	if v := get(got.Events[0], "eventName"); v != `A\"]}` {
		t.Errorf("eventName = %q", v)
	}
}
