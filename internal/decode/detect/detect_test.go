package detect

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

func TestSniff(t *testing.T) {
	r := New(Config{})
	f := func(head, name, want string) {
		t.Helper()
		if got := r.Detect([]byte(head), name); got != want {
			t.Errorf("Detect(%.40q, %q) = %q, want %q", head, name, got, want)
		}
	}
	f("ElfFile\x00\x00\x00", "x.bin", EVTX)
	f("<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - msg", "", Syslog)
	f("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n", "", Syslog)
	f("Jun  4 06:55:46 host cron[1]: x", "", Syslog)
	f("2024-01-02T03:04:05.123456+00:00 host sshd[1]: Accepted", "", Syslog)
	f("#separator \\x09\n#set_separator\t,\n", "conn.log", Zeek)
	f(`{"ts":1672843056.9,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1}`, "", Zeek)
	f(`{"Records":[{"eventVersion":"1.08"`, "", CloudTrail)
	f("[\n {\n  \"awsRegion\": \"x\",\n  \"eventName\": \"StopLogging\"", "", CloudTrail)
	f(`{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"}`, "", CloudTrail)
	f(`{"EventID":4624,"Channel":"Security","Hostname":"WKS1"}`, "", WinJSON)
	f(`{"@timestamp":"2024-01-01T00:00:00Z","winlog":{"event_id":4624}}`, "", WinJSON)
	f(`{"@timestamp":"2024-01-01T00:00:00Z","message":"hello"}`, "", JSON)
	f(`172.17.0.1 - - [30/Sep/2021:08:00:55 +0000] "GET /.htpasswd HTTP/1.1" 403 199`, "", Weblog)
	f("type=SYSCALL msg=audit(1684329817.579:2995): arch=c000003e syscall=59 success=yes\n", "audit.log", Auditd)
	f("node=web01 type=EXECVE msg=audit(1684329817.579:2995): argc=1 a0=\"id\"\n", "", Auditd)
	f("May 17 13:23:37 web01 audispd: type=SYSCALL msg=audit(1.000:1): pid=1\nMay 17 13:23:37 web01 audispd: type=EOE msg=audit(1.000:1): \n", "", Auditd)
	f("<30>May 17 13:23:38 web02 kernel: audit: type=1300 audit(1.000:2): pid=2\n", "", Auditd)
	// A syslog file with an audit record among other messages stays syslog.
	f("May 17 13:23:37 web01 audispd: type=SYSCALL msg=audit(1.000:1): pid=1\nMay 17 13:23:38 web01 sshd[1]: Accepted password for a\n", "", Syslog)
	f("Mar  4 10:15:30 build-07 sysmon: <Event><System><Provider Name=\"Linux-Sysmon\"/></System></Event>\n", "", Syslog)
	// Entra ID: a Graph page (context first), Graph records without the
	// page, the diagnostic export (Event Hub message, storage lines); not a
	// Log Analytics export or the subscription activity log.
	f(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","@odata.nextLink":"x","value":[{"id":"1"`, "", Entra)
	f(`{"@odata.context":"https://graph.microsoft.com/beta/$metadata#auditLogs/directoryAudits","value":[`, "", Entra)
	f(`[{"id":"1","createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"a@b","conditionalAccessStatus":"success"}]`, "signins.json", Entra)
	f(`{"id":"1","category":"UserManagement","result":"success","activityDisplayName":"Update user","activityDateTime":"2024-05-06T08:17:02Z"}`+"\n", "", Entra)
	f(`{"records":[{"time":"2024-05-06T10:02:15Z","resourceId":"/tenants/1/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs"`, "", Entra)
	f(`{"time":"2024-05-06T10:02:15Z","operationName":"Update user","category":"AuditLogs","properties":{}}`+"\n", "PT1H.json", Entra)
	f(`{"TimeGenerated":"2024-05-06T10:02:15Z","Type":"SigninLogs","OperationName":"Sign-in activity","Category":"SignInLogs"}`, "", JSON)
	f(`{"records":[{"time":"x","resourceId":"/SUBSCRIPTIONS/1/RESOURCEGROUPS/RG","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","category":"Administrative"}]}`, "", JSON)
	// Microsoft 365: API records (array or lines), Search-UnifiedAuditLog
	// objects as JSON, the Purview and PowerShell CSV exports.
	f(`[{"CreationTime":"2024-05-06T08:20:41","Id":"1","Operation":"FileDownloaded","RecordType":6,"Workload":"SharePoint"}]`, "", M365)
	f(`{"CreationTime":"2024-05-06T08:20:41","Id":"1","Operation":"UserLoggedIn","OrganizationId":"o","RecordType":15}`+"\n", "", M365)
	f(`[{"RecordType":"ExchangeItem","CreationDate":"2024-05-06T08:20:41","UserIds":"a@b","Operations":"Send","AuditData":"{}"}]`, "", M365)
	f("\ufeffRecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\n1,", "AuditLog.csv", M365)
	f("#TYPE System.Management.Automation.PSCustomObject\r\n\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\r\n", "", M365)
	f("time,user,action\n1,2,3\n", "x.csv", Text)
	f("just some words\n", "notes.txt", Text)
	f("", "Security.evtx", EVTX)
	f("\xff\xfe binary", "x", Text)
}

// TestRealFiles checks detection and decoding through the registry on one
// real file of each format.
func TestRealFiles(t *testing.T) {
	r := New(Config{})
	for _, tc := range []struct {
		rel    string
		format string
		events int // non-empty records, counted with wc/grep -vc '^#'
	}{
		{"linux/OpenSSH_2k.log", Syslog, 2000},
		{"linux/Linux_2k.log", Syslog, 2000},
		{"zeek/rita-proxy/conn.log", Zeek, -1},
		{"zeek/rita-proxy-rolling/dns.15:00:00-16:00:00.log.gz", Zeek, -1},
		{"cloudtrail/stratus/aws.defense-evasion.cloudtrail-stop.json", CloudTrail, -1},
		{"crowdsec-tests/apache2-http-sensitive-files/apache2-http-sensitive-files.log", Weblog, -1},
		{"crowdsec-tests/auditd-base64-exec/auditd-base64-exec.log", Auditd, 4},
		{"crowdsec-tests/auditd-postexploit-rm/auditd-postexploit-rm.log", Auditd, 10},
		{"evtx/attack-samples/Persistence/Network_Service_Guest_added_to_admins_4732.evtx", EVTX, -1},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			path := shareddata.Path(t, tc.rel)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := r.Detect(b[:min(len(b), 16<<10)], path)
			if got != tc.format {
				t.Fatalf("Detect = %q, want %q", got, tc.format)
			}
			dec, _ := r.ByName(got)
			var c decode.Collect
			if err := dec.Decode(bytes.NewReader(b), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Events) == 0 {
				t.Fatal("no events decoded")
			}
			if tc.events > 0 && len(c.Events) != tc.events {
				t.Errorf("%d events, want %d", len(c.Events), tc.events)
			}
			for _, e := range c.Events {
				if e.Kind == event.KindPipelineError {
					t.Fatalf("malformed event from a well-formed file: %s (%s)", e.Raw, e.ParseError)
				}
			}
		})
	}
}

// TestOTRF checks that Windows events as JSON lines from a real OTRF
// archive are detected as winjson.
func TestOTRF(t *testing.T) {
	path := shareddata.Path(t, "otrf/atomic/windows/credential_access/host/cmd_psexec_lsa_secrets_dump.zip")
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 16<<10)
		n, _ := io.ReadFull(rc, head)
		rc.Close()
		if got := New(Config{}).Detect(head[:n], f.Name); got != WinJSON {
			t.Errorf("%s: Detect = %q, want winjson", f.Name, got)
		}
		return
	}
	t.Fatal("no .json file in the archive")
}

// TestMicrosoftFormats detects and decodes small Entra ID and Microsoft
// 365 inputs through the registry, gzip-compressed too. (The decoders'
// own tests use fuller fixtures; no real logs of these formats are in the
// shared data.)
func TestMicrosoftFormats(t *testing.T) {
	r := New(Config{})
	for _, tc := range []struct {
		name, in, format string
		events           int
	}{
		{"graph page", `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[` +
			`{"id":"1","createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"a@contoso.example","ipAddress":"203.0.113.7","conditionalAccessStatus":"success","status":{"errorCode":50126}},` +
			`{"id":"2","createdDateTime":"2024-05-06T08:18:02Z","userPrincipalName":"a@contoso.example","ipAddress":"203.0.113.7","conditionalAccessStatus":"success","status":{"errorCode":0}}]}`, Entra, 2},
		{"m365 csv", "CreationDate,UserIds,Operations,AuditData\r\n" +
			`2024-05-06T08:17:02,a@contoso.example,UserLoginFailed,"{""CreationTime"":""2024-05-06T08:17:02"",""Operation"":""UserLoginFailed"",""RecordType"":15,""UserId"":""a@contoso.example"",""ClientIP"":""203.0.113.7""}"` + "\r\n", M365, 1},
	} {
		for _, compressed := range []bool{false, true} {
			in := []byte(tc.in)
			if compressed {
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				zw.Write(in)
				zw.Close()
				in = b.Bytes()
			}
			if got := r.Detect(in, "export"); got != tc.format {
				t.Fatalf("%s (gzip %v): Detect = %q, want %q", tc.name, compressed, got, tc.format)
			}
			dec, _ := r.ByName(tc.format)
			var c decode.Collect
			if err := dec.Decode(bytes.NewReader(in), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Events) != tc.events {
				t.Fatalf("%s: %d events, want %d", tc.name, len(c.Events), tc.events)
			}
			for _, e := range c.Events {
				if e.Kind != event.KindEvent || e.Format != tc.format {
					t.Fatalf("%s: event %v (%s)", tc.name, e, e.ParseError)
				}
				if v, _ := e.Get(event.EventCategory); v != "authentication" {
					t.Errorf("%s: event.category %q", tc.name, v)
				}
			}
		}
	}
	if !slices.Contains(r.Names(), Entra) || !slices.Contains(r.Names(), M365) {
		t.Errorf("Names() = %v, want entra and m365 among them", r.Names())
	}
}
