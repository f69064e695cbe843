package winjson

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// values returns the values of the named fields, "" for an absent one and
// "a|b" for a repeated one.
func values(e *event.Event, names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		var vs []string
		for _, f := range e.Values(n) {
			vs = append(vs, f.Value)
		}
		m[n] = strings.Join(vs, "|")
	}
	return m
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		time time.Time
		want map[string]string
	}{
		{
			name: "winlogbeat 8",
			in: `{"@timestamp":"2023-05-01T10:00:00.5Z","host":{"name":"wef-collector"},"event":{"code":"4625","provider":"Microsoft-Windows-Security-Auditing"},` +
				`"winlog":{"event_id":"4625","channel":"Security","computer_name":"DC01.corp.local","provider_name":"Microsoft-Windows-Security-Auditing",` +
				`"event_data":{"TargetUserName":"admin","TargetDomainName":"CORP","SubjectUserName":"-","IpAddress":"::ffff:203.0.113.9","IpPort":"51234","Status":"0xc000006d","LogonType":"3"}}}`,
			time: time.Date(2023, 5, 1, 10, 0, 0, 5e8, time.UTC),
			want: map[string]string{
				"EventID": "4625", "Channel": "Security", "Computer": "DC01.corp.local", "Provider_Name": "Microsoft-Windows-Security-Auditing",
				"TargetUserName": "admin", "LogonType": "3", "winlog.event_data.TargetUserName": "admin",
				"host.name": "DC01.corp.local", "user.name": "admin", "user.domain": "CORP", "source.ip": "203.0.113.9", "source.port": "51234",
				"event.code": "4625", "event.category": "authentication", "event.type": "start", "event.outcome": "failure", "event.action": "logon-failed",
			},
		},
		{
			name: "winlogbeat 6",
			in: `{"@timestamp":"2019-05-18T20:19:21.130Z","beat":{"hostname":"WECserver"},"host":{"name":"WECserver"},"user":{"name":"SYSTEM","domain":"NT AUTHORITY"},` +
				`"event_id":3,"log_name":"Microsoft-Windows-Sysmon/Operational","computer_name":"HR001.shire.com","source_name":"Microsoft-Windows-Sysmon",` +
				`"event_data":{"Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","User":"SHIRE\\nmartha","SourceIp":"172.18.39.106","SourcePort":"52416","DestinationIp":"10.0.10.106","DestinationPort":"443","ProcessId":"5452"}}`,
			time: time.Date(2019, 5, 18, 20, 19, 21, 130e6, time.UTC),
			want: map[string]string{
				"EventID": "3", "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "HR001.shire.com", "Provider_Name": "Microsoft-Windows-Sysmon",
				"Image": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "User": `SHIRE\nmartha`,
				"host.name": "HR001.shire.com", "user.name": "nmartha", "user.domain": "SHIRE",
				"source.ip": "172.18.39.106", "source.port": "52416", "destination.ip": "10.0.10.106", "destination.port": "443",
				"process.executable": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "process.name": "powershell.exe", "process.pid": "5452",
				"event.category": "network", "event.type": "connection|start", "event.outcome": "",
			},
		},
		{
			name: "nxlog",
			in: `{"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"security","Hostname":"WORKSTATION5.theshire.local","@timestamp":"2020-12-19T07:00:22.190Z","EventTime":"2020-12-19 02:00:22",` +
				`"EventID":4688,"SubjectUserSid":"S-1-5-21-1-2-3-1104","SubjectUserName":"pgustavo","SubjectDomainName":"THESHIRE","NewProcessId":"0x22d8","NewProcessName":"C:\\Windows\\System32\\schtasks.exe",` +
				`"ProcessId":"0x1cc","CommandLine":"schtasks  /create /F /tn x /S WORKSTATION6","TargetUserSid":"S-1-0-0","TargetUserName":"-","ParentProcessName":"C:\\Windows\\System32\\cmd.exe"}`,
			time: time.Date(2020, 12, 19, 7, 0, 22, 190e6, time.UTC),
			want: map[string]string{
				"EventID": "4688", "Channel": "security", "Computer": "WORKSTATION5.theshire.local", "Provider_Name": "Microsoft-Windows-Security-Auditing",
				"Hostname": "WORKSTATION5.theshire.local", "NewProcessName": `C:\Windows\System32\schtasks.exe`,
				"user.name": "pgustavo", "user.domain": "THESHIRE", "user.id": "S-1-5-21-1-2-3-1104",
				"process.executable": `C:\Windows\System32\schtasks.exe`, "process.name": "schtasks.exe", "process.pid": "8920", "process.parent.pid": "460",
				"process.command_line": "schtasks  /create /F /tn x /S WORKSTATION6", "process.parent.executable": `C:\Windows\System32\cmd.exe`,
				"event.category": "process", "event.type": "start", "event.outcome": "success", "event.action": "created-process", "source.ip": "",
			},
		},
		{
			name: "evtx_dump",
			in: `{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},` +
				`"EventID":{"#attributes":{"Qualifiers":0},"#text":4720},"TimeCreated":{"#attributes":{"SystemTime":"2021-02-03T04:05:06.123456Z"}},"Channel":"Security","Computer":"DC01"},` +
				`"EventData":{"TargetUserName":"backdoor","TargetDomainName":"CORP","SubjectUserName":"eve","SubjectDomainName":"CORP","SubjectUserSid":"S-1-5-21-9"}}}`,
			time: time.Date(2021, 2, 3, 4, 5, 6, 123456000, time.UTC),
			want: map[string]string{
				"EventID": "4720", "Channel": "Security", "Computer": "DC01", "Provider_Name": "Microsoft-Windows-Security-Auditing",
				"TargetUserName": "backdoor", "user.name": "eve", "user.domain": "CORP", "user.id": "S-1-5-21-9", "user.target.name": "backdoor",
				"event.category": "iam", "event.type": "user|creation", "event.outcome": "success", "event.action": "added-user-account",
			},
		},
		{
			name: "evtx_dump user data",
			in: `{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Eventlog"}},"EventID":1102,"Channel":"Security","Computer":"WS5"},` +
				`"UserData":{"LogFileCleared":{"#attributes":{"xmlns":"http://manifests.microsoft.com/win/2004/08/windows/eventlog"},"SubjectUserName":"wardog","SubjectDomainName":"WS5"}}}}`,
			want: map[string]string{
				"EventID": "1102", "SubjectUserName": "wardog", "user.name": "wardog", "event.action": "audit-log-cleared", "xmlns": "",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c decode.Collect
			if err := (Decoder{}).Decode(strings.NewReader(tc.in+"\n"), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Events) != 1 {
				t.Fatalf("got %d events, want 1", len(c.Events))
			}
			e := c.Events[0]
			if e.Kind != event.KindEvent {
				t.Fatalf("malformed: %s", e.ParseError)
			}
			if diff := cmp.Diff(tc.want, values(e, keys(tc.want)...)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if !e.Time.Equal(tc.time) {
				t.Errorf("Time = %v, want %v", e.Time, tc.time)
			}
			if got := e.Values("EventID"); len(got) != 1 || got[0].Type != event.Number {
				t.Errorf("EventID = %v, want one number", got)
			}
		})
	}
}

// TestNormalise is the contract package evtx relies on: Sigma names at top
// level in, ECS fields out, sorted.
func TestNormalise(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string
		want   map[string]string
	}{
		{"4624 network logon",
			map[string]string{"EventID": "4624", "Channel": "Security", "Computer": "WS1", "Provider_Name": "Microsoft-Windows-Security-Auditing",
				"SubjectUserName": "WS1$", "SubjectDomainName": "CORP", "TargetUserName": "bob", "TargetDomainName": "CORP", "TargetUserSid": "S-1-5-21-7",
				"IpAddress": "10.0.0.7", "IpPort": "0", "ProcessName": "-"},
			map[string]string{"user.name": "bob", "user.domain": "CORP", "user.id": "S-1-5-21-7", "source.ip": "10.0.0.7", "source.port": "",
				"event.outcome": "success", "event.category": "authentication", "event.code": "4624", "event.provider": "Microsoft-Windows-Security-Auditing",
				"host.name": "WS1", "process.executable": ""}},
		{"4625 no address",
			map[string]string{"EventID": "4625", "Channel": "Security", "TargetUserName": "root", "TargetUserSid": "S-1-0-0", "IpAddress": "-"},
			map[string]string{"user.name": "root", "user.id": "", "source.ip": "", "event.outcome": "failure"}},
		{"4768 failed by status",
			map[string]string{"EventID": "4768", "Channel": "Security", "TargetUserName": "svc", "IpAddress": "::ffff:192.0.2.4", "Status": "0x6"},
			map[string]string{"user.name": "svc", "source.ip": "192.0.2.4", "event.outcome": "failure"}},
		{"4776 success by status",
			map[string]string{"EventID": "4776", "Channel": "Security", "TargetUserName": "svc", "Status": "0x0"},
			map[string]string{"event.outcome": "success", "event.action": "credential-validated"}},
		{"4732 group change",
			map[string]string{"EventID": "4732", "Channel": "Security", "SubjectUserName": "eve", "TargetUserName": "Administrators"},
			map[string]string{"user.name": "eve", "group.name": "Administrators", "user.target.name": "", "event.type": "group|change"}},
		{"sysmon 1",
			map[string]string{"EventID": "1", "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": `C:\Windows\System32\cmd.exe`,
				"CommandLine": "cmd /c whoami", "ParentImage": `C:\Windows\explorer.exe`, "ParentCommandLine": "explorer.exe", "ProcessId": "460",
				"ParentProcessId": "4", "User": `NT AUTHORITY\SYSTEM`},
			map[string]string{"process.executable": `C:\Windows\System32\cmd.exe`, "process.name": "cmd.exe", "process.command_line": "cmd /c whoami",
				"process.parent.executable": `C:\Windows\explorer.exe`, "process.parent.command_line": "explorer.exe", "process.pid": "460",
				"process.parent.pid": "4", "user.name": "SYSTEM", "user.domain": "NT AUTHORITY", "event.category": "process", "event.outcome": ""}},
		{"sysmon 22 without channel",
			map[string]string{"EventID": "22", "Provider_Name": "Microsoft-Windows-Sysmon", "QueryName": "evil.example", "User": "alice"},
			map[string]string{"dns.question.name": "evil.example", "user.name": "alice", "user.domain": "", "event.action": "dns-query"}},
		{"event id 1 of another channel",
			map[string]string{"EventID": "1", "Channel": "Application"},
			map[string]string{"event.code": "1", "event.category": "", "event.action": ""}},
		{"replaces the shipper's host and user",
			map[string]string{"EventID": "4624", "Channel": "Security", "Computer": "WS2", "host.name": "collector", "user.name": "SYSTEM", "TargetUserName": "carol"},
			map[string]string{"host.name": "WS2", "user.name": "carol"}},
		{"replaces an empty ECS field",
			map[string]string{"EventID": "4624", "Channel": "Security", "Computer": "WS3", "host.name": ""},
			map[string]string{"host.name": "WS3"}},
		{"keeps the record's ECS field when it derives nothing",
			map[string]string{"EventID": "4624", "Channel": "Security", "user.name": "from-shipper", "source.ip": "198.51.100.1", "IpAddress": "not an ip"},
			map[string]string{"user.name": "from-shipper", "source.ip": "198.51.100.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e event.Event
			for name, v := range tc.fields {
				e.Add(name, v)
			}
			Normalise(&e)
			for i := 1; i < len(e.Fields); i++ {
				if e.Fields[i-1].Name > e.Fields[i].Name {
					t.Fatalf("fields not sorted: %q before %q", e.Fields[i-1].Name, e.Fields[i].Name)
				}
			}
			if diff := cmp.Diff(tc.want, values(&e, keys(tc.want)...)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			for name, v := range tc.fields {
				if got := values(&e, name)[name]; got != v && !strings.Contains(name, ".") {
					t.Errorf("input field %s = %q, want it kept as %q", name, got, v)
				}
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	lines := []string{
		`{"EventID":4624,"Channel":"Security"`,
		`[{"EventID":4624}]`,
		"\xff\xfe{}",
		`{"EventID":4624,"Channel":"Security","Computer":"A"}`,
	}
	var c decode.Collect
	if err := (Decoder{MaxRecord: 100}).Decode(strings.NewReader(strings.Join(lines, "\n")+"\n"+`{"x":"`+strings.Repeat("a", 200)+`"}`), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != len(lines) {
		t.Fatalf("got %d events, want %d", len(c.Events), len(lines))
	}
	for i, e := range c.Events {
		wantKind := event.KindPipelineError
		if i == 3 {
			wantKind = event.KindEvent
		}
		if e.Kind != wantKind || !bytes.Equal(e.Raw, []byte(lines[i])) {
			t.Errorf("line %d: Kind %v Raw %q; want %v and the line kept", i, e.Kind, e.Raw, wantKind)
		}
	}
	if c.Rejected["too_large"] != 1 {
		t.Errorf("rejections = %v, want one too_large", c.Rejected)
	}
}

func TestLooks(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := Looks([]byte(in)); got != want {
			t.Errorf("Looks(%s) = %v, want %v", in, got, want)
		}
	}
	f(`{"EventID":4624,"Channel":"Security","Hostname":"A"}`, true)
	f(`{"winlog":{"event_id":"4624","channel":"Security"}}`, true)
	f(`{"event_id":4624,"log_name":"Security"}`, true)
	f(`{"Event":{"System":{"EventID":4624}}}`, true)
	f(`{"Event":{"System":{"EventID":{"#text":4625}}}}`, true)
	f(`{"EventID":4624}`, false)
	f(`{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com"}`, false)
	f(`{"@timestamp":"2024-01-01T00:00:00Z","message":"hello"}`, false)
	f(`not json`, false)
	f(`[{"EventID":4624,"Channel":"Security"}]`, false)
}

// TestRecordFieldsSorted checks that decodeRecord hands decode.Line its
// fields already sorted, for every shape.
func TestRecordFieldsSorted(t *testing.T) {
	for _, in := range []string{
		`{"winlog":{"event_id":"4625","channel":"Security","computer_name":"DC01","event_data":{"TargetUserName":"a","IpAddress":"10.0.0.1"}},"host":{"name":"x"}}`,
		`{"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"WS","EventID":1,"Image":"C:\\a.exe","User":"D\\u"}`,
		`{"event_id":4624,"log_name":"Security","computer_name":"H","user":{"name":"S"},"event_data":{"TargetUserName":"t"}}`,
	} {
		var e event.Event
		if err := decodeRecord(nil, []byte(in), &e); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSortedFunc(e.Fields, func(a, b event.Field) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("%s: fields not sorted: %v", in, e.String())
		}
	}
}
