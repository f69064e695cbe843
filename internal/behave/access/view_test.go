package access

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// decodeBytes decodes b with the format detected from it and name, and
// gives each event the reference "name#EventRecordID" or "name#n".
func decodeBytes(t testing.TB, name string, b []byte) ([]*event.Event, []string) {
	t.Helper()
	reg := detect.New(detect.Config{})
	dec, _ := reg.ByName(reg.Detect(b[:min(len(b), 16<<10)], name))
	var c decode.Collect
	if err := dec.Decode(bytes.NewReader(b), &c); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	refs := make([]string, len(c.Events))
	for i, e := range c.Events {
		if rec, ok := e.Get("EventRecordID"); ok {
			refs[i] = name + "#" + rec
		} else {
			refs[i] = name + "#" + strconv.Itoa(i+1)
		}
	}
	return c.Events, refs
}

func decodeShared(t testing.TB, rel string) ([]*event.Event, []string) {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return decodeBytes(t, filepath.Base(rel), b)
}

func accessesOf(events []*event.Event) []Access {
	var out []Access
	for _, e := range events {
		out = From(out, e)
	}
	return out
}

// TestFromBrowserCredentials reads CA_chrome_firefox_opera_4663.evtx: a
// process (C:\Users\Defau1t\wsus.exe) of IEWIN7\IEUser reading the
// credential stores of Opera, Firefox and Chrome, four 4663 records with
// AccessMask 0x1, after a 1102.
func TestFromBrowserCredentials(t *testing.T) {
	events, _ := decodeShared(t, "evtx/attack-samples/Credential Access/CA_chrome_firefox_opera_4663.evtx")
	got := accessesOf(events)
	at := func(s string) time.Time {
		t0, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return t0
	}
	mk := func(ts, object string) Access {
		return Access{Time: at(ts), Account: `iewin7\ieuser`, User: "IEUser", Host: "IEWIN7", Object: object,
			Kind: Read, Bytes: -1, Count: 1, Service: "windows/4663"}
	}
	want := []Access{
		mk("2019-04-27T19:31:15.355063Z", `C:\Users\IEUser\AppData\Roaming\Opera Software\Opera Stable\Login Data`),
		mk("2019-04-27T19:33:05.308188Z", `C:\Users\IEUser\AppData\Roaming\Mozilla\Firefox\Profiles\kushu3sd.default\key4.db`),
		mk("2019-04-27T19:33:18.6997552Z", `C:\Users\IEUser\AppData\Roaming\Mozilla\Firefox\Profiles\kushu3sd.default\logins.json`),
		mk("2019-04-27T19:33:50.1342936Z", `C:\Users\IEUser\AppData\Local\Google\Chrome\User Data\Default\Login Data`),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accesses (-want +got):\n%s", diff)
	}
}

// TestFromNotData checks records of 4663 and 5145 that are not data
// access: registry keys (DE_1102_security_log_cleared holds 110 4663 on
// HKLM\…\Lsa by LOCAL SERVICE), a process (lsass, CA_hashdump), the IPC$
// share of named pipes, and share access without ReadData (ADMIN$ written
// by PsExec, 0x120196; directory stats, 0x80 and 0x100080).
func TestFromNotData(t *testing.T) {
	for rel, want := range map[string]int{
		"evtx/attack-samples/Defense Evasion/DE_1102_security_log_cleared.evtx":                                     0,
		"evtx/attack-samples/Credential Access/CA_hashdump_4663_4656_lsass_access.evtx":                             0,
		"evtx/attack-samples/Credential Access/CA_protectedstorage_5145_rpc_masterkey.evtx":                         0,
		"evtx/attack-samples/Lateral Movement/LM_renamed_psexecsvc_5145.evtx":                                       0,
		"evtx/attack-samples/Lateral Movement/spoolsample_5145.evtx":                                                0,
		"evtx/attack-samples/Privilege Escalation/PrivEsc_NetSvc_SessionToken_Retrival_via_localSMB_Auth_5145.evtx": 0,
		// One C$ access with ReadData (0x100081) among REMCOM's 30 records.
		"evtx/attack-samples/Lateral Movement/LM_REMCOM_5145_TargetHost.evtx": 1,
	} {
		events, _ := decodeShared(t, rel)
		if got := accessesOf(events); len(got) != want {
			t.Errorf("%s: %d accesses, want %d: %+v", filepath.Base(rel), len(got), want, got)
		}
	}
}

// TestFromShareCopy reads LM_5145_Remote_FileCopy.evtx: 869 5145 records of
// EXAMPLE\Administrator from 10.0.2.15 on \\*\C$ of PC01 within 48 s. The
// expected figures are counted from the raw fields: 865 records have
// ReadData in their AccessMask (0x100081, 0x120089, 0x1200a9, 0x17019f),
// naming 832 distinct RelativeTargetNames.
func TestFromShareCopy(t *testing.T) {
	events, _ := decodeShared(t, "evtx/attack-samples/Lateral Movement/LM_5145_Remote_FileCopy.evtx")
	wantAccesses, wantObjects := 0, map[string]bool{}
	for _, e := range events {
		mask, _ := e.Get("AccessMask")
		if v, err := strconv.ParseUint(mask[2:], 16, 64); err == nil && v&1 != 0 {
			wantAccesses++
			rel, _ := e.Get("RelativeTargetName")
			wantObjects[rel] = true
		}
	}
	if wantAccesses != 865 || len(wantObjects) != 832 {
		t.Fatalf("raw counts %d accesses, %d objects; the file changed", wantAccesses, len(wantObjects))
	}
	got := accessesOf(events)
	objects := map[string]bool{}
	for _, a := range got {
		objects[a.Object] = true
		if a.Account != `example\administrator` || a.SourceIP != "10.0.2.15" || a.Host != "PC01.example.corp" || a.Kind != Read || a.Service != "windows/5145" {
			t.Fatalf("access %+v", a)
		}
	}
	if len(got) != wantAccesses || len(objects) != len(wantObjects) {
		t.Errorf("%d accesses to %d objects, want %d to %d", len(got), len(objects), wantAccesses, len(wantObjects))
	}
	if !objects[`C$\Windows\Temp\setup.bat`] || !objects[`C$\`] {
		t.Errorf("objects not named SHARE\\path: %v", got[:3])
	}
}

// m365Record is a Microsoft 365 audit record in the Management Activity
// API's common schema, as package simulate writes them.
func m365Record(operation, extra string) string {
	return `{"CreationTime":"2026-03-04T10:15:00","Id":"7d3c1a2e-0000-4000-8000-000000000001","Operation":"` + operation +
		`","OrganizationId":"11111111-2222-3333-4444-555555555555","RecordType":6,"UserKey":"i:0h.f|membership|1003bffd@live.com","UserType":0,"Version":1,"Workload":"SharePoint","ClientIP":"203.0.113.9","UserId":"Alice.Martin@Tribunal.example"` + extra + "}"
}

func TestFromM365(t *testing.T) {
	const file = `,"ObjectId":"https://tribunal.sharepoint.com/sites/Prosecution/Shared Documents/Case-2025-014/witness.docx","SiteUrl":"https://tribunal.sharepoint.com/sites/Prosecution/","SourceFileName":"witness.docx","SourceRelativeUrl":"Shared Documents/Case-2025-014"`
	const url = "https://tribunal.sharepoint.com/sites/Prosecution/Shared Documents/Case-2025-014/witness.docx"
	bind := `,"ClientIPAddress":"203.0.113.9","MailboxOwnerUPN":"alice.martin@tribunal.example","OperationProperties":[{"Name":"MailAccessType","Value":"Bind"},{"Name":"IsThrottled","Value":"False"}],` +
		`"Folders":[{"FolderItems":[{"InternetMessageId":"<a1@PR02MB1.eurprd02.prod.outlook.com>","SizeInBytes":12000},{"InternetMessageId":"<a2@PR02MB1.eurprd02.prod.outlook.com>","SizeInBytes":34000}],"Id":"LgAAAAA1","Path":"\\Inbox"}],"OperationCount":2`
	sync := `,"ClientIPAddress":"203.0.113.9","MailboxOwnerUPN":"alice.martin@tribunal.example","OperationProperties":[{"Name":"MailAccessType","Value":"Sync"},{"Name":"IsThrottled","Value":"False"}],` +
		`"Folders":[{"Id":"LgAAAAA1","Path":"\\Inbox"}],"OperationCount":120`
	lines := m365Record("FileAccessed", file) + "\n" + m365Record("FileDownloaded", file) + "\n" +
		m365Record("FileSyncDownloadedFull", file) + "\n" + m365Record("FileModified", file) + "\n" +
		m365Record("MailItemsAccessed", bind) + "\n" + m365Record("MailItemsAccessed", sync) + "\n"
	events, _ := decodeBytes(t, "m365.json", []byte(lines))
	at := time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)
	// Package jsonl does not read CreationTime; the m365 decoder does.
	for _, e := range events {
		e.Time = at
	}
	mk := func(op, object string, kind Kind, bytes int64, count int) Access {
		return Access{Time: at, Account: "alice.martin@tribunal.example", User: "Alice.Martin@Tribunal.example", SourceIP: "203.0.113.9",
			Object: object, Kind: kind, Bytes: bytes, Count: count, Service: "m365/" + op}
	}
	want := []Access{
		mk("FileAccessed", url, Read, -1, 1),
		mk("FileDownloaded", url, Download, -1, 1),
		mk("FileSyncDownloadedFull", url, Download, -1, 1),
		mk("MailItemsAccessed", "<a1@PR02MB1.eurprd02.prod.outlook.com>", Read, 12000, 1),
		mk("MailItemsAccessed", "<a2@PR02MB1.eurprd02.prod.outlook.com>", Read, 34000, 1),
		mk("MailItemsAccessed", `alice.martin@tribunal.example:\Inbox`, Download, -1, 120),
	}
	if diff := cmp.Diff(want, accessesOf(events)); diff != "" {
		t.Errorf("accesses (-want +got):\n%s", diff)
	}
}

// s3Record is a CloudTrail S3 data event as AWS documents it.
func s3Record(name, key, extra string) string {
	return `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:build","arn":"arn:aws:sts::123456789012:assumed-role/ci/build","accountId":"123456789012"},` +
		`"eventTime":"2026-03-04T10:15:00Z","eventSource":"s3.amazonaws.com","eventName":"` + name + `","awsRegion":"eu-west-3","sourceIPAddress":"198.51.100.20",` +
		`"userAgent":"[aws-cli/2.15.0]","requestParameters":{"bucketName":"backups","Host":"backups.s3.eu-west-3.amazonaws.com",` + key + `},"responseElements":null,` +
		`"requestID":"R1","eventID":"E1","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::backups/db/2026-03-03.sql.gz"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"` + extra + `}`
}

func TestFromS3(t *testing.T) {
	records := "[" + s3Record("GetObject", `"key":"db/2026-03-03.sql.gz"`, `,"additionalEventData":{"bytesTransferredIn":0.0,"bytesTransferredOut":52428800.0}`) + ",\n" +
		s3Record("ListObjectsV2", `"list-type":"2","prefix":"db/"`, "") + ",\n" +
		s3Record("GetObject", `"key":"secret.txt"`, `,"errorCode":"AccessDenied","errorMessage":"Access Denied"`) + ",\n" +
		s3Record("PutObject", `"key":"x"`, "") + "]"
	events, _ := decodeBytes(t, "s3.json", []byte(records))
	at := time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)
	arn := "arn:aws:sts::123456789012:assumed-role/ci/build"
	want := []Access{
		{Time: at, Account: arn, User: "build", SourceIP: "198.51.100.20", Object: "backups/db/2026-03-03.sql.gz", Kind: Download, Bytes: 52428800, Count: 1, Service: "aws/s3/GetObject"},
		{Time: at, Account: arn, User: "build", SourceIP: "198.51.100.20", Object: "backups/db/", Kind: List, Bytes: -1, Count: 1, Service: "aws/s3/ListObjectsV2"},
	}
	if diff := cmp.Diff(want, accessesOf(events)); diff != "" {
		t.Errorf("accesses (-want +got):\n%s", diff)
	}
}

// TestFromStratus checks the 35 Stratus Red Team CloudTrail logs: none
// holds an S3 data event (no technique there detonates S3 exfiltration;
// the exfiltration ones share snapshots and images), so none gives an
// access.
func TestFromStratus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(shareddata.Path(t, "cloudtrail/stratus"), "*.json"))
	if err != nil || len(files) != 35 {
		t.Fatalf("%d stratus files (%v), want 35", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		events, _ := decodeBytes(t, filepath.Base(f), b)
		if got := accessesOf(events); len(got) != 0 {
			t.Errorf("%s: %d accesses, want none: %+v", filepath.Base(f), len(got), got)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Read: "read", Download: "download", List: "list", 0: "kind(0)", 9: "kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
