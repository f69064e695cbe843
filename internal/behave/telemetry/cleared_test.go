package telemetry

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// hunt runs events through d as vigie hunt does (Advance to each event's
// time, then Observe) and ends with Flush.
func hunt(d *Cleared, events []*event.Event, refs []string) []behave.Finding {
	var out []behave.Finding
	for i, ev := range events {
		out = append(out, d.Advance(ev.Time)...)
		out = append(out, d.Observe(ev, refs[i])...)
	}
	return append(out, d.Flush()...)
}

// decodeFile decodes a shared data file with the format detected, and
// gives each event the reference "name#EventRecordID" or "name#n".
func decodeFile(t *testing.T, rel string) ([]*event.Event, []string) {
	t.Helper()
	return decodeBytes(t, filepath.Base(rel), readShared(t, rel))
}

func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	return readFile(t, shareddata.Path(t, rel))
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeBytes(t *testing.T, name string, b []byte) ([]*event.Event, []string) {
	t.Helper()
	reg := detect.New(detect.Config{})
	dec, _ := reg.ByName(reg.Detect(b[:min(len(b), 16<<10)], name))
	var c decode.Collect
	if err := dec.Decode(bytes.NewReader(b), &c); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	refs := make([]string, len(c.Events))
	for i, e := range c.Events {
		e.Source = event.SourceID("file/" + name)
		if rec, ok := e.Get("EventRecordID"); ok {
			refs[i] = name + "#" + rec
		} else {
			refs[i] = name + "#" + strconv.Itoa(i+1)
		}
	}
	return c.Events, refs
}

// TestClearedAttackSamples runs Cleared over every EVTX attack sample. The
// files that must fire are those holding a 1102 or 104 record of
// Microsoft-Windows-Eventlog (26 files: the authors of many samples cleared
// the log before recording), and the three event log service crashes:
//
//   - DE_EventLog_Service_Crashed: WerFault started twice (13:28:40,
//     13:33:34) by "svchost.exe -k LocalServiceNetworkRestricted -p -s
//     EventLog": one finding, the second crash within the hour counted in it.
//   - DE_WinEventLogSvc_Crash_System_7036: 7036 "Windows Event Log"
//     entering the running state at 16:58:17 with no boot record: the
//     service came back after its crash.
//   - DE_remote_eventlog_svc_crash_byt3bl33d3r_sysmon_17_1_3: the
//     \eventlog pipe created anew by svchost at 16:50:45 (Sysmon 17), after
//     a remote connection to it; WerFault's parent there is
//     "svchost.exe -k LocalServiceNetworkRestricted" without "-s EventLog"
//     (Windows Server 2016 groups services), which is not enough alone.
//
// Every other file must stay silent, among them the 104 records of
// RdpCoreTS (another provider's event 104), Bits-Client's event 4 and
// Sysmon's event 4 "Started".
func TestClearedAttackSamples(t *testing.T) {
	dir := shareddata.Path(t, "evtx/attack-samples")
	var files []string
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if strings.HasSuffix(path, ".evtx") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) != 277 {
		t.Fatalf("%d attack samples (%v), want 277", len(files), err)
	}
	want := map[string]string{
		"DE_RDP_Tunnel_5156.evtx":                                                         "Security log cleared on PC01.example.corp by EXAMPLE\\admin01",
		"ACL_ForcePwd_SPNAdd_User_Computer_Accounts.evtx":                                 "Security log cleared on DC1.insecurebank.local by insecurebank\\bob",
		"CA_chrome_firefox_opera_4663.evtx":                                               "Security log cleared on IEWIN7 by IEWIN7\\IEUser",
		"Zerologon_CVE-2020-1472_DFIR_System_NetLogon_Error_EventID_5805.evtx":            "System log cleared on 01566s-win16-ir.threebeesco.com by 3B\\a-jbrown",
		"Zerologon_VoidSec_CVE-2020-1472_4626_LT3_Anonym_follwedby_4742_DC_Anony_DC.evtx": "Security log cleared on 01566s-win16-ir.threebeesco.com by 3B\\a-jbrown",
		"kerberos_pwd_spray_4771.evtx":                                                    "Security log cleared on 01566s-win16-ir.threebeesco.com by 3B\\a-jbrown",
		"remote_pwd_reset_rpc_mimikatz_postzerologon_target_DC.evtx":                      "Security log cleared on 01566s-win16-ir.threebeesco.com by 3B\\a-jbrown",
		"remote_sam_registry_access_via_backup_operator_priv.evtx":                        "Security log cleared on 01566s-win16-ir.threebeesco.com by 3B\\jbrown",
		"DE_104_system_log_cleared.evtx":                                                  "System log cleared on PC01.example.corp by EXAMPLE\\user01",
		"DE_1102_security_log_cleared.evtx":                                               "Security log cleared on PC01.example.corp by EXAMPLE\\user01",
		"DE_EventLog_Service_Crashed.evtx":                                                "Event log service crashed on MSEDGEWIN10",
		"DE_WinEventLogSvc_Crash_System_7036.evtx":                                        "Windows Event Log service started on 01566s-win16-ir.threebeesco.com",
		"DE_remote_eventlog_svc_crash_byt3bl33d3r_sysmon_17_1_3.evtx":                     "Event log service started on 01566s-win16-ir.threebeesco.com",
		"DE_suspicious_remote_eventlog_svc_access_5145.evtx":                              "Security log cleared on 01566s-win16-ir.threebeesco.com by 3B\\Administrator",
		"dicovery_4661_net_group_domain_admins_target.evtx":                               "Security log cleared on WIN-77LTAPHIQ1R.example.corp by EXAMPLE\\administrator",
		"discovery_bloodhound.evtx":                                                       "Security log cleared on WIN-77LTAPHIQ1R.example.corp by EXAMPLE\\Administrator",
		"discovery_psloggedon.evtx":                                                       "Security log cleared on WIN-77LTAPHIQ1R.example.corp by EXAMPLE\\Administrator",
		"LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx":                               "Security log cleared on PC01.example.corp by EXAMPLE\\user01",
		"LM_ScheduledTask_ATSVC_target_host.evtx":                                         "Security log cleared on WIN-77LTAPHIQ1R.example.corp by EXAMPLE\\administrator",
		"LM_WMIC_4648_rpcss.evtx":                                                         "Security log cleared on PC01.example.corp by EXAMPLE\\user01",
		"net_share_drive_5142.evtx":                                                       "Security log cleared on PC04.example.corp by PC04\\IEUser",
		"remote task update 4624 4702 same logonid.evtx":                                  "Security log cleared on 01566s-win16-ir.threebeesco.com by 3B\\a-jbrown",
		"DACL_DCSync_Right_Powerview_ Add-DomainObjectAcl.evtx":                           "Security log cleared on DC1.insecurebank.local by insecurebank\\bob",
		"persistence_security_dcshadow_4742.evtx":                                         "Security log cleared on DC1.insecurebank.local by insecurebank\\administrator",
		"4624 LT3 AnonymousLogon Localhost - JuicyPotato.evtx":                            "Security log cleared on alice.insecurebank.local by insecurebank\\bob",
		"NTLM2SelfRelay-med0x2e-security_4624_4688.evtx":                                  "Security log cleared on wind10.winlab.local by WIND10\\admin",
		"Runas_4624_4648_Webshell_CreateProcessAsUserA.evtx":                              "Security log cleared on MSEDGEWIN10 by MSEDGEWIN10\\IEUser",
		"samaccount_spoofing_CVE-2021-42287_CVE-2021-42278_DC_securitylogs.evtx":          "Security log cleared on 01566s-win16-ir.threebeesco.com by 3B\\a-jbrown",
		"security_4624_4673_token_manip.evtx":                                             "Security log cleared on IEWIN7 by IEWIN7\\IEUser",
	}
	got := map[string]string{}
	for _, path := range files {
		name := filepath.Base(path)
		events, refs := decodeBytes(t, name, readFile(t, path))
		for _, f := range hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs) {
			if _, dup := got[name]; dup {
				t.Errorf("%s: more than one finding: %s", name, f.Title)
			}
			got[name] = f.Title
			if f.Level != "high" || len(f.Evidence) == 0 || !strings.HasPrefix(f.Evidence[0], name+"#") || len(f.Tags) != 2 {
				t.Errorf("%s: %s: level %s, evidence %v, tags %v", name, f.Title, f.Level, f.Evidence, f.Tags)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings by file (-want +got):\n%s", diff)
	}
}

// TestClearedCrashEvidence checks the evidence and explanation of the
// crash samples in detail.
func TestClearedCrashEvidence(t *testing.T) {
	events, refs := decodeFile(t, "evtx/attack-samples/Defense Evasion/DE_EventLog_Service_Crashed.evtx")
	d := NewCleared(ClearedConfig{}, behave.Limits{})
	fs := hunt(d, events, refs)
	if len(fs) != 1 || fs[0].Evidence[0] != "DE_EventLog_Service_Crashed.evtx#370747" ||
		!strings.Contains(fs[0].Why.Text, "WerFault.exe -u -p 3004 -s 632") {
		t.Fatalf("crash finding %+v", fs)
	}
	// The second crash, 5 minutes later, is counted against the first
	// finding's window.
	if st, _ := d.fired.Peek("msedgewin10|eventlog-service"); st == nil || st.Suppressed != 1 {
		t.Errorf("second crash not counted: %+v", st)
	}

	events, refs = decodeFile(t, "evtx/attack-samples/Defense Evasion/DE_WinEventLogSvc_Crash_System_7036.evtx")
	fs = hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs)
	wantTime := time.Date(2020, 9, 23, 16, 58, 17, 14461400, time.UTC).Add(10 * time.Minute)
	if len(fs) != 1 || fs[0].Evidence[0] != "DE_WinEventLogSvc_Crash_System_7036.evtx#65377" || !fs[0].Time.Equal(wantTime) {
		t.Fatalf("7036 finding %+v, want one at %s on record 65377", fs, wantTime)
	}
}

func TestClearedStratus(t *testing.T) {
	dir := shareddata.Path(t, "cloudtrail/stratus")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != 35 {
		t.Fatalf("%d stratus files (%v), want 35", len(files), err)
	}
	want := map[string]string{
		"aws.defense-evasion.cloudtrail-stop.json":            "high CloudTrail trail stratus-red-team-ct-stop-trail-buykxbqejv stopped logging",
		"aws.defense-evasion.cloudtrail-delete.json":          "high CloudTrail trail stratus-red-team-cloudtraild-trail-kvrwohmiai deleted",
		"aws.defense-evasion.cloudtrail-event-selectors.json": "high CloudTrail trail stratus-red-team-ctes-trail-khlvciwdor no longer logs management events",
	}
	got := map[string]string{}
	for _, path := range files {
		name := filepath.Base(path)
		events, refs := decodeFile(t, "cloudtrail/stratus/"+name)
		for _, f := range hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs) {
			got[name] = f.Level + " " + f.Title
			ents := map[string]string{}
			for _, e := range f.Entities {
				ents[e.Field] = e.Value
			}
			if ents["user.name"] != "christophe" || ents["cloud.account.id"] == "" || ents["source.ip"] == "" || f.Tags[1] != "attack.t1562.008" {
				t.Errorf("%s: entities %v, tags %v", name, f.Entities, f.Tags)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings by file (-want +got):\n%s", diff)
	}
}

// TestClearedQuietRealLogs checks real logs with no logging stopped: a
// Linux syslog that holds a reboot (Jul 27 14:41:57, "Linux version") and
// weekly "syslogd 1.4.1: restart." lines, the OpenSSH log, CrowdSec's
// auditd cases and its CloudTrail post-exploitation case.
func TestClearedQuietRealLogs(t *testing.T) {
	for _, rel := range []string{
		"linux/Linux_2k.log",
		"linux/OpenSSH_2k.log",
		"crowdsec-tests/auditd-base64-exec/auditd-base64-exec.log",
		"crowdsec-tests/auditd-postexploit-rm/auditd-postexploit-rm.log",
		"crowdsec-tests/aws-cloudtrail-postexploit/aws-cloudtrail-postexploit.log",
	} {
		events, refs := decodeFile(t, rel)
		if fs := hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs); len(fs) != 0 {
			t.Errorf("%s: %d findings, want none: %+v", rel, len(fs), fs)
		}
	}
}

var t0 = time.Date(2026, 3, 4, 22, 0, 0, 0, time.UTC)

// win returns a Windows event of host pc01.corp.example at t0+offset.
func win(offset time.Duration, id, provider string, kv ...string) *event.Event {
	e := &event.Event{Time: t0.Add(offset), Format: "evtx", Source: "file/x.evtx"}
	e.Add("EventID", id)
	e.Add(event.EventProvider, provider)
	e.Add(event.HostName, "PC01.corp.example")
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], kv[i+1])
	}
	e.Sort()
	return e
}

const (
	eventlog = "Microsoft-Windows-Eventlog"
	security = "Microsoft-Windows-Security-Auditing"
	scm      = "Service Control Manager"
	sysmon   = "Microsoft-Windows-Sysmon"
)

func logon(offset time.Duration) *event.Event { return win(offset, "4624", security) }

func TestClearedWindowsStops(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []*event.Event
		want   []string // level and title of each finding
	}{
		{"1100 then 6006: a shutdown", []*event.Event{
			logon(0), win(time.Minute, "1100", eventlog), win(time.Minute+2*time.Second, "6006", eventlog), logon(9 * time.Hour),
		}, nil},
		{"1074 then 1100: a shutdown", []*event.Event{
			win(0, "1074", "User32"), win(30*time.Second, "1100", eventlog), logon(9 * time.Hour),
		}, nil},
		{"1100 then a boot", []*event.Event{
			win(0, "1100", eventlog), win(3*time.Minute, "4608", security), logon(4 * time.Minute), logon(30 * time.Minute),
		}, nil},
		{"1100 then events without a boot", []*event.Event{
			win(0, "1100", eventlog), logon(20 * time.Minute), logon(25 * time.Minute), logon(31 * time.Minute),
		}, []string{"high Event logging service shut down on PC01.corp.example"}},
		{"1100 at the end of the input", []*event.Event{
			logon(0), win(time.Minute, "1100", eventlog),
		}, []string{"low Event logging service shut down on PC01.corp.example"}},
		{"event log service started at boot", []*event.Event{
			win(0, "6005", eventlog), win(time.Minute, "7036", scm, "param1", "Windows Event Log", "param2", "running"), logon(time.Hour),
		}, nil},
		{"Sysmon stopped while the host runs", []*event.Event{
			win(0, "4", sysmon, "State", "Stopped"), logon(time.Minute), logon(12 * time.Minute),
		}, []string{"high Sysmon stopped on PC01.corp.example"}},
		{"Sysmon64 terminated", []*event.Event{
			win(0, "7034", scm, "param1", "Sysmon64"),
		}, []string{"high Sysmon64 service terminated unexpectedly on PC01.corp.example"}},
		{"event log disabled", []*event.Event{
			win(0, "7040", scm, "param1", "Windows Event Log", "param2", "auto start", "param3", "disabled"),
		}, []string{"high Windows Event Log service set to disabled on PC01.corp.example"}},
		{"other services", []*event.Event{
			win(0, "7036", scm, "param1", "Windows Insider Service", "param2", "stopped"), win(0, "7034", scm, "param1", "Print Spooler"), logon(time.Hour),
		}, nil},
		{"clears, one finding per hour", []*event.Event{
			win(0, "1102", eventlog, event.UserName, "alice"), win(30*time.Minute, "1102", eventlog, event.UserName, "alice"),
			win(40*time.Minute, "104", eventlog, "Channel", "System", "Channel", "Windows PowerShell"),
			win(2*time.Hour, "1102", eventlog, event.UserName, "alice"),
		}, []string{
			"high Security log cleared on PC01.corp.example by alice",
			"high Windows PowerShell log cleared on PC01.corp.example",
			"high Security log cleared on PC01.corp.example by alice",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refs := make([]string, len(tc.events))
			for i := range refs {
				refs[i] = strconv.Itoa(i + 1)
			}
			var got []string
			fs := hunt(NewCleared(ClearedConfig{}, behave.Limits{}), tc.events, refs)
			for _, f := range fs {
				got = append(got, f.Level+" "+f.Title)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if tc.name == "1100 then events without a boot" && len(fs) == 1 {
				if f := fs[0]; f.Why.Observed != 20 || f.Why.Unit != "minutes" || !cmp.Equal(f.Evidence, []string{"1", "2"}) ||
					!f.Time.Equal(t0.Add(31*time.Minute)) {
					t.Errorf("why %+v, evidence %v, time %s", f.Why, f.Evidence, f.Time)
				}
			}
			if tc.name == "clears, one finding per hour" && len(fs) == 3 && !strings.Contains(fs[2].Why.Text, "1 more like it") {
				t.Errorf("the suppressed clear is not counted: %q", fs[2].Why.Text)
			}
		})
	}
}

func TestClearedLinux(t *testing.T) {
	for _, tc := range []struct {
		name, log string
		want      []string
	}{
		{"auditd stopped by a user", `type=DAEMON_END msg=audit(1772661600.123:5432): op=terminate auid=1000 uid=0 ses=4 subj=unconfined pid=4242 res=success
`, []string{"high auditd stopped by a user"}},
		{"auditd stopped at shutdown", `type=SYSTEM_SHUTDOWN msg=audit(1772661600.100:5430): pid=1 uid=0 auid=4294967295 ses=4294967295 msg=' comm="systemd-update-utmp" exe="/usr/lib/systemd/systemd-update-utmp" hostname=? addr=? terminal=? res=success'
type=DAEMON_END msg=audit(1772661601.000:5431): op=terminate auid=4294967295 uid=0 ses=4294967295 subj=unconfined pid=1 res=success
type=SYSTEM_BOOT msg=audit(1772662000.000:1): pid=1 uid=0 auid=4294967295 ses=4294967295 msg=' comm="systemd-update-utmp" exe="/usr/lib/systemd/systemd-update-utmp" hostname=? addr=? terminal=? res=success'
`, nil},
		{"auditd stopped, events resume without a boot", `type=DAEMON_END msg=audit(1772661600.000:5431): op=terminate auid=4294967295 uid=0 ses=4294967295 subj=unconfined pid=1 res=success
type=DAEMON_START msg=audit(1772662200.000:1): op=start ver=3.0.9 format=enriched kernel=6.1.0 auid=4294967295 pid=900 uid=0 ses=4294967295 res=success
type=USER_LOGIN msg=audit(1772662900.000:2): pid=901 uid=0 auid=1000 ses=5 msg='op=login acct="alice" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.5 terminal=ssh res=success'
`, []string{"high auditd stopped"}},
		{"auditing disabled", `type=CONFIG_CHANGE msg=audit(1772661600.579:2996): op=set audit_enabled=0 old=1 auid=1000 ses=2 subj=unconfined res=1
`, []string{"high Auditing disabled"}},
		{"service auditd stop through sudo", `Mar  4 22:00:00 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/service auditd stop
Mar  4 22:00:01 web01 systemd[1]: Stopped Security Auditing Service.
Mar  4 22:03:00 web01 sshd[4242]: Accepted publickey for alice from 203.0.113.5 port 50000 ssh2
Mar  4 22:30:00 web01 CRON[4300]: pam_unix(cron:session): session opened for user root by (uid=0)
`, []string{"high auditd stopped or disabled on web01 by alice"}},
		{"systemd stops auditd at shutdown", `Mar  4 22:00:00 web01 systemd[1]: Stopped Security Auditing Service.
Mar  4 22:00:02 web01 systemd[1]: Reached target Shutdown.
Mar  4 22:05:00 web01 kernel: [    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)
Mar  4 22:06:00 web01 sshd[400]: Server listening on 0.0.0.0 port 22.
`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, refs := decodeBytes(t, "test.log", []byte(tc.log))
			var got []string
			for _, f := range hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs) {
				got = append(got, f.Level+" "+f.Title)
				if f.Tags[1] != "attack.t1562.012" {
					t.Errorf("%s: tags %v", f.Title, f.Tags)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClearedAzure(t *testing.T) {
	for _, tc := range []struct{ name, record, want string }{
		{"export shape", `{"time":"2026-03-04T22:00:00Z","resourceId":"/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG1/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1/PROVIDERS/MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/TO-SENTINEL","operationName":"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.7","caller":"mallory@contoso.example"}`,
			"high Azure diagnostic setting deleted on /SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG1/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1/PROVIDERS/MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/TO-SENTINEL"},
		{"REST shape, Entra ID", `{"time":"2026-03-04T22:00:00Z","operationName":{"value":"microsoft.aadiam/diagnosticSettings/delete","localizedValue":"Delete diagnostic setting"},"status":{"value":"Succeeded"},"caller":"mallory@contoso.example","resourceId":"/providers/microsoft.aadiam/diagnosticSettings/entra-to-sentinel","httpRequest":{"clientIpAddress":"203.0.113.7"}}`,
			"high Azure diagnostic setting deleted on /providers/microsoft.aadiam/diagnosticSettings/entra-to-sentinel"},
		{"Log Analytics row", `{"TimeGenerated":"2026-03-04T22:00:00Z","OperationNameValue":"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE","ActivityStatusValue":"Success","Caller":"mallory@contoso.example","CallerIpAddress":"203.0.113.7","_ResourceId":"/subscriptions/0000/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1"}`,
			"high Azure diagnostic setting deleted on /subscriptions/0000/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1"},
		{"failed", `{"time":"2026-03-04T22:00:00Z","resourceId":"/x","operationName":"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE","resultType":"Failure","caller":"mallory@contoso.example"}`,
			"medium Attempt to delete an Azure diagnostic setting failed on /x"},
		{"write is not a delete", `{"time":"2026-03-04T22:00:00Z","resourceId":"/x","operationName":"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE","resultType":"Success"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, refs := decodeBytes(t, "activity.json", []byte(tc.record+"\n"))
			fs := hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs)
			got := ""
			for _, f := range fs {
				got = f.Level + " " + f.Title
				ents := map[string]string{}
				for _, e := range f.Entities {
					ents[e.Field] = e.Value
				}
				if ents["user.name"] != "mallory@contoso.example" || (tc.name != "failed" && ents["source.ip"] != "203.0.113.7") {
					t.Errorf("entities %v", f.Entities)
				}
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClearedCloudTrailActions checks that CloudTrailActions replaces the
// default list: with DeleteFlowLogs added, the stratus VPC flow logs
// removal fires too.
func TestClearedCloudTrailActions(t *testing.T) {
	events, refs := decodeFile(t, "cloudtrail/stratus/aws.defense-evasion.vpc-remove-flow-logs.json")
	if fs := hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs); len(fs) != 0 {
		t.Errorf("DeleteFlowLogs reported by default: %+v", fs)
	}
	cfg := ClearedConfig{CloudTrailActions: []string{"StopLogging", "DeleteFlowLogs"}}
	// DeleteFlowLogs is an EC2 call, not cloudtrail.amazonaws.com's: the
	// list applies to CloudTrail's own events only.
	if fs := hunt(NewCleared(cfg, behave.Limits{}), events, refs); len(fs) != 0 {
		t.Errorf("an EC2 event reported as CloudTrail's: %+v", fs)
	}
}

// TestClearedSnapshot checks that a detector restored mid-stream, while a
// stop awaits its decision and a clear's window is open, gives the same
// findings as one that ran throughout.
func TestClearedSnapshot(t *testing.T) {
	events := []*event.Event{
		win(0, "1102", eventlog, event.UserName, "alice"),
		win(time.Minute, "1100", eventlog),
		logon(20 * time.Minute),
		win(30*time.Minute, "1102", eventlog, event.UserName, "alice"),
		logon(31 * time.Minute),
		win(40*time.Minute, "17", sysmon, "PipeName", `\eventlog`, event.ProcessExecutable, `C:\Windows\System32\svchost.exe`),
		logon(45 * time.Minute),
		win(2*time.Hour, "1102", eventlog, event.UserName, "alice"),
		win(3*time.Hour, "1100", eventlog),
	}
	refs := make([]string, len(events))
	for i := range refs {
		refs[i] = strconv.Itoa(i + 1)
	}
	want := hunt(NewCleared(ClearedConfig{}, behave.Limits{}), events, refs)
	// The clear at 0, the stop decided at 30 min, the clear at 2 h, the
	// stop the input ends after; the clear at 30 min and the restart at 40
	// min fall in the windows of the first two.
	if len(want) != 4 {
		t.Fatalf("%d findings in the whole run, want 4", len(want))
	}
	for cut := 1; cut < len(events); cut++ {
		first := NewCleared(ClearedConfig{}, behave.Limits{})
		var got []behave.Finding
		for i, ev := range events[:cut] {
			got = append(got, first.Advance(ev.Time)...)
			got = append(got, first.Observe(ev, refs[i])...)
		}
		var snap bytes.Buffer
		if err := first.Snapshot(&snap); err != nil {
			t.Fatal(err)
		}
		second := NewCleared(ClearedConfig{}, behave.Limits{})
		if err := second.Restore(&snap); err != nil {
			t.Fatal(err)
		}
		got = append(got, hunt(second, events[cut:], refs[cut:])...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cut at %d: findings differ (-whole +restored):\n%s", cut, diff)
		}
	}
}

func TestClearedBounded(t *testing.T) {
	d := NewCleared(ClearedConfig{}, behave.Limits{MaxEntities: 10})
	for i := range 100 {
		e := win(time.Duration(i)*time.Second, "1100", eventlog)
		e.Set(event.HostName, "host"+strconv.Itoa(i))
		d.Observe(e, "r")
		e = win(time.Duration(i)*time.Second, "1102", eventlog)
		e.Set(event.HostName, "host"+strconv.Itoa(i))
		d.Observe(e, "r")
	}
	if d.hosts.Len() != 10 || d.fired.Len() != 10 {
		t.Errorf("%d hosts, %d fired entities, want 10 each", d.hosts.Len(), d.fired.Len())
	}
	d.countPending()
	if d.pending != 10 {
		t.Errorf("%d pending, want 10", d.pending)
	}
}

func TestClearedConfigYAML(t *testing.T) {
	var cfg ClearedConfig
	dec := yaml.NewDecoder(strings.NewReader("window: 2h\nboot_window: 5m\ncloudtrail_actions: [StopLogging]\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	want := ClearedConfig{Window: 2 * time.Hour, BootWindow: 5 * time.Minute, CloudTrailActions: []string{"StopLogging"}}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(DefaultClearedConfig(), (ClearedConfig{}).withDefaults()); diff != "" {
		t.Errorf("zero config (-defaults +got):\n%s", diff)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := (ClearedConfig{CloudTrailActions: []string{"StopLogging", ""}}).Validate(); err == nil {
		t.Error("an empty action name accepted")
	}
}
