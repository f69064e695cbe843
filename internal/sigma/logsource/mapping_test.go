package logsource

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/decode/auditd"
	"github.com/vigie-sec/vigie/internal/decode/cloudtrail"
	"github.com/vigie-sec/vigie/internal/decode/entra"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/decode/m365"
	"github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/decode/weblog"
	"github.com/vigie-sec/vigie/internal/decode/winjson"
	"github.com/vigie-sec/vigie/internal/event"
)

var windowsFormat = Condition{Field: FormatField, Values: []string{"evtx", "winjson"}}

func TestResolve(t *testing.T) {
	tests := []struct {
		name                       string
		category, product, service string
		want                       []Entry // nil: not mapped
	}{
		{
			name:     "process_creation",
			category: "process_creation", product: "windows",
			want: []Entry{{
				Name:     "process_creation_sysmon+windows",
				Category: "process_creation", Product: "windows",
				Conditions: []Condition{
					{Field: "Channel", Values: []string{"Microsoft-Windows-Sysmon/Operational"}},
					{Field: "EventID", Values: []string{"1"}},
					windowsFormat,
				},
			}, {
				Name:     "process_creation_4688+windows",
				Category: "process_creation", Product: "windows",
				Conditions: []Condition{
					{Field: "Channel", Values: []string{"Security"}},
					{Field: "EventID", Values: []string{"4688"}},
					windowsFormat,
				},
				Fields: map[string]string{"Image": "NewProcessName", "ParentImage": "ParentProcessName"},
			}},
		},
		{
			name:     "process_creation_from_security_only",
			category: "process_creation", product: "windows", service: "security",
			want: []Entry{{
				Name:     "process_creation_4688+windows_security+windows",
				Category: "process_creation", Product: "windows", Service: "security",
				Conditions: []Condition{
					{Field: "Channel", Values: []string{"Security"}},
					{Field: "EventID", Values: []string{"4688"}},
					windowsFormat,
				},
				Fields: map[string]string{"Image": "NewProcessName", "ParentImage": "ParentProcessName"},
			}},
		},
		{
			name:    "service_security",
			product: "windows", service: "security",
			want: []Entry{{
				Name:    "windows_security+windows",
				Product: "windows", Service: "security",
				Conditions: []Condition{
					{Field: "Channel", Values: []string{"Security"}},
					windowsFormat,
				},
			}},
		},
		{
			name:    "service_with_several_channels",
			product: "windows", service: "powershell",
			want: []Entry{{
				Name:    "windows_powershell+windows",
				Product: "windows", Service: "powershell",
				Conditions: []Condition{
					{Field: "Channel", Values: []string{"Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"}},
					windowsFormat,
				},
			}},
		},
		{
			name:    "product_windows_alone",
			product: "windows",
			want: []Entry{{
				Name: "windows", Product: "windows",
				Conditions: []Condition{windowsFormat},
			}},
		},
		{
			name:     "keys_compare_without_case",
			category: "PS_Classic_Start", product: "Windows",
			want: []Entry{{
				Name:     "ps_classic_start+windows",
				Category: "PS_Classic_Start", Product: "Windows",
				Conditions: []Condition{
					{Field: "Channel", Values: []string{"Windows PowerShell"}},
					{Field: "EventID", Values: []string{"400"}},
					windowsFormat,
				},
			}},
		},
		{
			name:     "registry_delete",
			category: "registry_delete", product: "windows",
			want: []Entry{{
				Name:     "registry_delete+windows",
				Category: "registry_delete", Product: "windows",
				Conditions: []Condition{
					{Field: "Channel", Values: []string{"Microsoft-Windows-Sysmon/Operational"}},
					{Field: "EventID", Values: []string{"12"}},
					{Field: "EventType", Values: []string{"DeleteKey", "DeleteValue"}},
					windowsFormat,
				},
			}},
		},
		{
			name:     "antivirus",
			category: "antivirus",
			want: []Entry{{
				Name:     "antivirus_defender",
				Category: "antivirus",
				Conditions: []Condition{
					windowsFormat,
					{Field: "Channel", Values: []string{"Microsoft-Windows-Windows Defender/Operational"}},
					{Field: "EventID", Values: strings.Fields("1006 1007 1008 1009 1010 1011 1012 1017 1018 1019 1115 1116")},
				},
				Fields: map[string]string{"Signature": "Threat Name", "Filename": "Path"},
			}},
		},
		{
			name:    "linux_sudo",
			product: "linux", service: "sudo",
			want: []Entry{{
				Name:    "linux_sudo+linux",
				Product: "linux", Service: "sudo",
				Conditions: []Condition{
					{Field: "process.name", Values: []string{"sudo"}},
					{Field: FormatField, Values: []string{"syslog"}},
				},
				Fields: map[string]string{
					"USER": "user.effective.name", "COMMAND": "system.auth.sudo.command",
					"PWD": "system.auth.sudo.pwd", "TTY": "system.auth.sudo.tty",
				},
			}},
		},
		{
			// auditd events of an execve, or Sysmon for Linux event 1.
			name:     "linux_process_creation",
			category: "process_creation", product: "linux",
			want: []Entry{{
				Name:     "process_creation_auditd_execve+linux",
				Category: "process_creation", Product: "linux",
				Conditions: []Condition{
					{Field: FormatField, Values: []string{"auditd"}},
					{Field: "type", Values: []string{"EXECVE"}},
				},
			}, {
				Name:     "process_creation_auditd_syscall+linux",
				Category: "process_creation", Product: "linux",
				Conditions: []Condition{
					{Field: FormatField, Values: []string{"auditd"}},
					{Field: "SYSCALL", Values: []string{"execve", "execveat"}},
					{Field: "success", Values: []string{"yes"}},
				},
			}, {
				Name:     "process_creation_sysmon_linux+linux",
				Category: "process_creation", Product: "linux",
				Conditions: []Condition{
					{Field: FormatField, Values: []string{"syslog"}},
					{Field: "Channel", Values: []string{"Linux-Sysmon/Operational"}},
					{Field: "EventID", Values: []string{"1"}},
				},
			}},
		},
		{
			name:    "linux_auditd",
			product: "linux", service: "auditd",
			want: []Entry{{
				Name:    "linux_auditd+linux",
				Product: "linux", Service: "auditd",
				Conditions: []Condition{
					{Field: FormatField, Values: []string{"auditd"}},
				},
			}},
		},
		{
			// Syslog services do not take auditd events, whose process.name
			// is a command's name (comm), not a syslog program.
			name:    "linux_syslog",
			product: "linux", service: "syslog",
			want: []Entry{{
				Name:    "linux_syslog+linux",
				Product: "linux", Service: "syslog",
				Conditions: []Condition{
					{Field: FormatField, Values: []string{"syslog"}},
				},
			}},
		},
		{
			name:    "zeek_service",
			product: "zeek", service: "smb_files",
			want: []Entry{{
				Name:    "zeek_smb_files+zeek",
				Product: "zeek", Service: "smb_files",
				Conditions: []Condition{
					{Field: "event.dataset", Values: []string{"zeek.smb_files"}},
					{Field: FormatField, Values: []string{"zeek"}},
				},
			}},
		},
		{
			name:    "aws_cloudtrail",
			product: "aws", service: "cloudtrail",
			want: []Entry{{
				Name:    "aws_cloudtrail+aws",
				Product: "aws", Service: "cloudtrail",
				Conditions: []Condition{
					{Field: "event.dataset", Values: []string{"aws.cloudtrail"}},
					{Field: FormatField, Values: []string{"cloudtrail"}},
				},
			}},
		},
		{name: "etw_category", category: "file_access", product: "windows"},
		{name: "unknown_service_of_known_product", product: "windows", service: "no-such-channel"},
		{name: "product_without_decoder", category: "process_creation", product: "macos"},
		{name: "contradictory_parts", category: "process_creation", product: "windows", service: "system"},
		{name: "nothing_given"},
	}
	m := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := m.Resolve(tt.category, tt.product, tt.service)
			if ok != (tt.want != nil) {
				t.Fatalf("Resolve(%q, %q, %q) ok = %v, want %v; got %v", tt.category, tt.product, tt.service, ok, tt.want != nil, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%q, %q, %q) (-want +got):\n%s", tt.category, tt.product, tt.service, diff)
			}
		})
	}
}

// TestResolveWebserver checks the W3C names of the webserver and proxy
// taxonomy against the field names the decoders produce.
func TestResolveWebserver(t *testing.T) {
	m := Default()
	f := func(category, field, wantName string, wantFormats ...string) {
		t.Helper()
		alts, ok := m.Resolve(category, "", "")
		if !ok {
			t.Fatalf("Resolve(%q) not mapped", category)
		}
		var formats []string
		for _, alt := range alts {
			for _, c := range alt.Conditions {
				if c.Field == FormatField {
					formats = append(formats, c.Values...)
				}
			}
			if got := alt.Fields[field]; got != wantName {
				t.Errorf("%s: %s renamed to %q, want %q", alt.Name, field, got, wantName)
			}
		}
		if diff := cmp.Diff(wantFormats, formats); diff != "" {
			t.Errorf("%s formats (-want +got):\n%s", category, diff)
		}
	}
	f("webserver", "cs-method", "http.request.method", "weblog")
	f("webserver", "cs-uri-query", "url.original", "weblog")
	f("webserver", "cs-uri-stem", "url.path", "weblog")
	f("webserver", "sc-status", "http.response.status_code", "weblog")
	f("webserver", "cs-user-agent", "user_agent.original", "weblog")
	f("webserver", "c-useragent", "user_agent.original", "weblog")
	f("webserver", "cs-referer", "http.request.referrer", "weblog")
	f("webserver", "c-ip", "source.ip", "weblog")
	f("webserver", "cs-host", "url.domain", "weblog")
	f("proxy", "c-uri", "url.original", "weblog", "zeek")
	f("proxy", "cs-host", "url.domain", "weblog", "zeek")
	f("proxy", "r-dns", "url.domain", "weblog", "zeek")
	f("proxy", "c-useragent", "user_agent.original", "weblog", "zeek")
	f("proxy", "cs-method", "http.request.method", "weblog", "zeek")
	f("dns", "record_type", "qtype_name", "zeek")
	f("dns", "answer", "answers", "zeek")
}

// TestMicrosoftEntries decodes Entra ID and Microsoft 365 records in each
// shape their decoders read (and, for the diagnostic export and M365
// records, as plain JSON lines too) and checks which alternative of each
// Azure and M365 log source holds for them, and that every field the
// holding alternative renames a rule's field to is in the event.
func TestMicrosoftEntries(t *testing.T) {
	const (
		graphSignIn = `{"id":"1","createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"a@contoso.example","ipAddress":"203.0.113.7",` +
			`"clientAppUsed":"IMAP4","conditionalAccessStatus":"notApplied","authenticationRequirement":"singleFactorAuthentication","riskState":"none",` +
			`"resourceDisplayName":"Office 365 Exchange Online","status":{"errorCode":50126,"failureReason":"Invalid username or password."},` +
			`"deviceDetail":{"deviceId":"","isCompliant":false,"trustType":null}}`
		diagSignIn = `{"time":"2024-05-06T08:17:02Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Sign-in activity",` +
			`"category":"NonInteractiveUserSignInLogs","resultType":"50126","resultDescription":"Invalid username or password.","callerIpAddress":"203.0.113.7",` +
			`"properties":{"createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"a@contoso.example","ipAddress":"203.0.113.7","clientAppUsed":"IMAP4",` +
			`"conditionalAccessStatus":"notApplied","authenticationRequirement":"singleFactorAuthentication","riskState":"none","userAgent":"BAV2ROPC",` +
			`"resourceDisplayName":"Office 365 Exchange Online","status":{"errorCode":50126},"deviceDetail":{"deviceId":"","isCompliant":false,"trustType":""}}}`
		graphAudit = `{"id":"1","category":"UserManagement","result":"success","activityDisplayName":"Update user","activityDateTime":"2024-05-06T08:17:02Z",` +
			`"loggedByService":"Core Directory","initiatedBy":{"user":{"userPrincipalName":"admin@contoso.example"}},"targetResources":[]}`
		diagAudit = `{"time":"2024-05-06T08:17:02Z","operationName":"Update user","category":"AuditLogs","properties":{"activityDisplayName":"Update user",` +
			`"category":"UserManagement","result":"success","loggedByService":"Core Directory","activityDateTime":"2024-05-06T08:17:02Z"}}`
		diagRisk = `{"time":"2024-05-06T08:17:02Z","operationName":"User Risk Detection","category":"UserRiskEvents","properties":{"riskEventType":"unfamiliarFeatures"}}`
		m365Rec  = `{"CreationTime":"2024-05-06T08:17:02","Id":"1","Operation":"New-InboxRule","RecordType":1,"ResultStatus":"True","Workload":"Exchange","UserId":"a@contoso.example"}`
		sccAlert = `{"CreationTime":"2024-05-06T08:17:02","Id":"2","Operation":"AlertTriggered","RecordType":40,"Workload":"SecurityComplianceCenter","Name":"Impossible travel activity","Status":"Active"}`
	)
	decodeWith := func(format string, fn func([]byte, *event.Event) error, rec string) *event.Event {
		t.Helper()
		e := &event.Event{Format: format}
		if err := fn([]byte(rec), e); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		return e
	}
	tests := []struct {
		name             string
		e                *event.Event
		product, service string
		want             string // the alternative that holds; "" none
	}{
		{"graph sign-in", decodeWith(entra.Format, entra.DecodeRecord, graphSignIn), "azure", "signinlogs", "azure_signinlogs_graph"},
		{"diagnostic sign-in", decodeWith(entra.Format, entra.DecodeRecord, diagSignIn), "azure", "signinlogs", "azure_signinlogs"},
		{"diagnostic sign-in as JSON lines", decodeWith(jsonl.Format, jsonl.DecodeObject, diagSignIn), "azure", "signinlogs", "azure_signinlogs"},
		{"graph audit is no sign-in", decodeWith(entra.Format, entra.DecodeRecord, graphAudit), "azure", "signinlogs", ""},
		{"graph audit", decodeWith(entra.Format, entra.DecodeRecord, graphAudit), "azure", "auditlogs", "azure_auditlogs_graph"},
		{"diagnostic audit", decodeWith(entra.Format, entra.DecodeRecord, diagAudit), "azure", "auditlogs", "azure_auditlogs"},
		{"graph sign-in is no audit", decodeWith(entra.Format, entra.DecodeRecord, graphSignIn), "azure", "auditlogs", ""},
		{"diagnostic risk event", decodeWith(entra.Format, entra.DecodeRecord, diagRisk), "azure", "riskdetection", "azure_riskdetection"},
		{"m365 record", decodeWith(m365.Format, m365.DecodeRecord, m365Rec), "m365", "exchange", "m365_exchange"},
		{"m365 record as JSON lines", decodeWith(jsonl.Format, jsonl.DecodeObject, m365Rec), "m365", "audit", "m365_audit"},
		{"m365 alert", decodeWith(m365.Format, m365.DecodeRecord, sccAlert), "m365", "threat_management", "m365_threat_management"},
	}
	m := Default()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alts, ok := m.Resolve("", tc.product, tc.service)
			if !ok {
				t.Fatalf("%s/%s not mapped", tc.product, tc.service)
			}
			var holding []string
			for _, alt := range alts {
				if !alt.Matches(tc.e) {
					continue
				}
				holding = append(holding, alt.Name)
				for rule, field := range alt.Fields {
					if _, ok := tc.e.Get(field); !ok {
						t.Errorf("%s renames %s to %s, which the event lacks", alt.Name, rule, field)
					}
				}
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if diff := cmp.Diff(want, holding); diff != "" {
				t.Errorf("holding alternatives (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultFormats checks that every vigie.format in the default mapping
// is one a decoder sets.
func TestDefaultFormats(t *testing.T) {
	known := map[string]bool{
		"evtx": true, "zeek": true, winjson.Format: true, syslog.Format: true,
		cloudtrail.Format: true, weblog.Format: true, jsonl.Format: true, auditd.Format: true,
		entra.Format: true, m365.Format: true,
	}
	for _, en := range Default().Entries() {
		for _, c := range en.Conditions {
			if c.Field != FormatField {
				continue
			}
			for _, v := range c.Values {
				if !known[v] {
					t.Errorf("entry %s: vigie.format %q is no decoder's format", en.Name, v)
				}
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	f := func(src string, want ...string) {
		t.Helper()
		_, err := Parse("map.yml", []byte(src))
		if err == nil {
			t.Fatalf("Parse(%q) = nil error, want %q", src, want)
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error %v is not ErrSyntax", src, err)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error %v is not a *ParseError", src, err)
		}
		if got := strings.Split(err.Error(), "\n"); !cmp.Equal(got, want) {
			t.Errorf("Parse(%q) error:\n%s\nwant:\n%s", src, err, strings.Join(want, "\n"))
		}
	}
	f("entries:\n  - name: a\n    product: windows\n    condtions: {Channel: Security}\n",
		`map.yml:4:5: unknown key "condtions" (want name, category, product, service, conditions or fields)`)
	f("entrys: []\n", `map.yml:1:1: unknown key "entrys" (want entries)`)
	f("entries:\n  - product: windows\n", `map.yml:2:5: entry has no name`)
	f("entries:\n  - name: a\n    conditions: {Channel: Security}\n",
		`map.yml:2:5: entry "a" gives none of category, product and service`)
	f("entries:\n  - name: a\n    product: windows\n  - name: a\n    product: linux\n",
		`map.yml:4:5: duplicate entry name "a" (first at line 2)`)
	f("entries:\n  - name: a\n    product: windows\n    product: linux\n",
		`map.yml:4:5: duplicate key "product"`)
	f("entries:\n  - name: a\n    product: windows\n    conditions:\n      EventID: []\n      Channel:\n",
		`map.yml:5:16: condition EventID: empty list of values`,
		`map.yml:6:15: want a non-empty value`)
	f("entries:\n  - name: a\n    product: windows\n    fields: [Image]\n", `map.yml:4:13: want a mapping`)
	f("entries:\n  - name: a\n    product: [windows]\n", `map.yml:3:14: want a non-empty product`)
	f("entries: {}\n", `map.yml:1:10: entries: want a list`)
	f("", `map.yml:1:1: empty file: want a mapping with "entries"`)
	f("entries:\n  - name: a\n    product: windows: x\n", `map.yml:3: mapping values are not allowed in this context`)
}

func TestParseAliases(t *testing.T) {
	m, err := Parse("map.yml", []byte(`entries:
  - name: a
    product: p
    conditions: &c
      F: [x, y]
  - name: b
    product: q
    conditions: *c
`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := m.Resolve("", "q", "")
	want := []Entry{{Name: "b", Product: "q", Conditions: []Condition{{Field: "F", Values: []string{"x", "y"}}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
}

func TestMerge(t *testing.T) {
	user, err := Parse("user.yml", []byte(`entries:
  # Replaces the default 4688 alternative: this site ships Security
  # events through a collector that renames the channel.
  - name: process_creation_4688
    category: process_creation
    product: windows
    conditions:
      Channel: ForwardedEvents
      EventID: 4688
    fields:
      Image: NewProcessName
  # A new source.
  - name: myapp
    product: myapp
    conditions:
      vigie.format: jsonl
      app: myapp
`))
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	before := len(def.Entries())
	m := def.Merge(user)
	if got := len(m.Entries()); got != before+1 {
		t.Errorf("merged mapping has %d entries, want %d", got, before+1)
	}
	if got := len(def.Entries()); got != before {
		t.Errorf("Merge modified the default: %d entries, want %d", got, before)
	}

	alts, ok := m.Resolve("process_creation", "windows", "")
	if !ok || len(alts) != 2 {
		t.Fatalf("Resolve(process_creation, windows) = %v, %v; want 2 alternatives", alts, ok)
	}
	want := Entry{
		Name:     "process_creation_4688+windows",
		Category: "process_creation", Product: "windows",
		Conditions: []Condition{
			{Field: "Channel", Values: []string{"ForwardedEvents"}},
			{Field: "EventID", Values: []string{"4688"}},
			windowsFormat,
		},
		Fields: map[string]string{"Image": "NewProcessName"},
	}
	if diff := cmp.Diff(want, alts[1]); diff != "" {
		t.Errorf("overridden alternative (-want +got):\n%s", diff)
	}
	if _, ok := m.Resolve("", "myapp", ""); !ok {
		t.Errorf("Resolve(myapp) not mapped after Merge")
	}
	if _, ok := def.Resolve("", "myapp", ""); ok {
		t.Errorf("Resolve(myapp) mapped in the default after Merge")
	}
}

func TestHolds(t *testing.T) {
	en := Entry{Conditions: []Condition{
		{Field: FormatField, Values: []string{"evtx", "winjson"}},
		{Field: "Channel", Values: []string{"Security"}},
		{Field: "EventID", Values: []string{"4688"}},
	}}
	f := func(format string, fields map[string]string, want bool) {
		t.Helper()
		get := func(name string) (string, bool) {
			if name == FormatField {
				return format, true
			}
			v, ok := fields[name]
			return v, ok
		}
		if got := en.Holds(get); got != want {
			t.Errorf("Holds(%s %v) = %v, want %v", format, fields, got, want)
		}
		e := &event.Event{Format: format}
		for k, v := range fields {
			e.Add(k, v)
		}
		e.Sort()
		if got := en.Matches(e); got != want {
			t.Errorf("Matches(%s %v) = %v, want %v", format, fields, got, want)
		}
	}
	f("evtx", map[string]string{"Channel": "Security", "EventID": "4688"}, true)
	f("winjson", map[string]string{"Channel": "security", "EventID": "4688"}, true)
	f("jsonl", map[string]string{"Channel": "Security", "EventID": "4688"}, false)
	f("evtx", map[string]string{"Channel": "Security", "EventID": "4624"}, false)
	f("evtx", map[string]string{"EventID": "4688"}, false)

	e := &event.Event{Format: "zeek"}
	e.Add("answers", "a.example")
	e.Add("answers", "10.0.0.1")
	e.Sort()
	multi := Entry{Conditions: []Condition{{Field: "answers", Values: []string{"10.0.0.1"}}}}
	if !multi.Matches(e) {
		t.Errorf("Matches: a condition on the second value of a multi-valued field does not hold")
	}
	if !(Entry{}).Matches(e) {
		t.Errorf("Matches: an entry without conditions does not hold")
	}
}
