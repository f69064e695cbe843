package logsource

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/auditd"
	"github.com/vigie-sec/vigie/internal/decode/cloudtrail"
	"github.com/vigie-sec/vigie/internal/decode/evtx"
	"github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/decode/weblog"
	"github.com/vigie-sec/vigie/internal/decode/zeek"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// decodeFile decodes the shared data file rel with d.
func decodeFile(t *testing.T, d decode.Decoder, rel string) []*event.Event {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c decode.Collect
	if err := d.Decode(f, &c); err != nil {
		t.Fatalf("decoding %s: %v", rel, err)
	}
	return c.Events
}

// holding returns the events for which the alternative named alt of the
// log source holds, failing when the log source has no such alternative.
func holding(t *testing.T, events []*event.Event, alt string, category, product, service string) []*event.Event {
	t.Helper()
	alts, ok := Default().Resolve(category, product, service)
	if !ok {
		t.Fatalf("Resolve(%q, %q, %q): not mapped", category, product, service)
	}
	for _, en := range alts {
		if en.Name != alt {
			continue
		}
		var out []*event.Event
		for _, e := range events {
			if en.Matches(e) {
				out = append(out, e)
			}
		}
		return out
	}
	t.Fatalf("Resolve(%q, %q, %q) has no alternative %s", category, product, service, alt)
	return nil
}

// checkFields fails when an event lacks one of the named fields.
func checkFields(t *testing.T, events []*event.Event, names ...string) {
	t.Helper()
	for _, e := range events {
		for _, name := range names {
			if _, ok := e.Get(name); !ok {
				t.Errorf("event %v has no field %s", e, name)
			}
		}
	}
}

// TestRealWindows decodes EVTX files of the attack samples and checks
// that their events satisfy the entries they should, and carry the fields
// the renames point to.
func TestRealWindows(t *testing.T) {
	dec := evtx.Decoder{}
	t.Run("sysmon_process_creation", func(t *testing.T) {
		events := decodeFile(t, dec, "evtx/attack-samples/Execution/exec_sysmon_1_ftp.evtx")
		got := holding(t, events, "process_creation_sysmon+windows", "process_creation", "windows", "")
		if len(got) == 0 {
			t.Fatalf("no Sysmon process creation among %d events", len(events))
		}
		checkFields(t, got, "Image", "CommandLine", "ParentImage")
		if n := len(holding(t, events, "process_creation_4688+windows", "process_creation", "windows", "")); n != 0 {
			t.Errorf("%d Sysmon events hold for the Security alternative", n)
		}
	})
	t.Run("security_4688", func(t *testing.T) {
		// The first is from Windows 7, whose 4688 has no ParentProcessName.
		for _, rel := range []string{
			"evtx/attack-samples/Lateral Movement/LM_WMI_4624_4688_TargetHost.evtx",
			"evtx/attack-samples/Privilege Escalation/NTLM2SelfRelay-med0x2e-security_4624_4688.evtx",
		} {
			events := decodeFile(t, dec, rel)
			got := holding(t, events, "process_creation_4688+windows", "process_creation", "windows", "")
			if len(got) == 0 {
				t.Fatalf("%s: no 4688 among %d events", rel, len(events))
			}
			checkFields(t, got, "NewProcessName", "CommandLine")
			all := holding(t, events, "windows_security+windows", "", "windows", "security")
			if len(all) != len(events) {
				t.Errorf("%s: service security holds for %d of %d events of a Security log", rel, len(all), len(events))
			}
		}
		events := decodeFile(t, dec, "evtx/attack-samples/Privilege Escalation/NTLM2SelfRelay-med0x2e-security_4624_4688.evtx")
		checkFields(t, holding(t, events, "process_creation_4688+windows", "process_creation", "windows", ""), "ParentProcessName")
	})
	t.Run("registry_delete", func(t *testing.T) {
		events := decodeFile(t, dec, "evtx/attack-samples/Defense Evasion/Sysmon_12_DE_AntiForensics_MRU_DeleteKey.evtx")
		got := holding(t, events, "registry_delete+windows", "registry_delete", "windows", "")
		if len(got) == 0 {
			t.Fatalf("no registry deletion among %d events", len(events))
		}
		checkFields(t, got, "TargetObject")
		if n := len(holding(t, events, "registry_add+windows", "registry_add", "windows", "")); n == len(events) {
			t.Errorf("registry_add holds for every event: EventType is not tested")
		}
	})
	t.Run("ps_script", func(t *testing.T) {
		events := decodeFile(t, dec, "evtx/attack-samples/Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx")
		got := holding(t, events, "ps_script+windows", "ps_script", "windows", "")
		if len(got) == 0 {
			t.Fatalf("no script block among %d events", len(events))
		}
		checkFields(t, got, "ScriptBlockText")
	})
	t.Run("antivirus", func(t *testing.T) {
		events := decodeFile(t, dec, "evtx/attack-samples/AutomatedTestingTools/WinDefender_Events_1117_1116_AtomicRedTeam.evtx")
		got := holding(t, events, "antivirus_defender", "antivirus", "", "")
		if len(got) == 0 {
			t.Fatalf("no Defender detection among %d events", len(events))
		}
		// The EventData name has a space: "Threat Name", not thor.yml's ThreatName.
		checkFields(t, got, "Threat Name", "Path")
	})
}

// TestRealOtherSources checks the non-Windows entries against real logs.
func TestRealOtherSources(t *testing.T) {
	f := func(d decode.Decoder, rel, alt, category, product, service string, fields ...string) {
		t.Helper()
		events := decodeFile(t, d, rel)
		got := holding(t, events, alt, category, product, service)
		t.Logf("%s: %s holds for %d of %d events", rel, alt, len(got), len(events))
		if len(got) == 0 {
			t.Errorf("%s: %s holds for none of %d events", rel, alt, len(events))
		}
		checkFields(t, got, fields...)
	}
	f(syslog.New(syslog.Config{}), "linux/OpenSSH_2k.log", "linux_sshd+linux", "", "linux", "sshd", "message")
	f(syslog.New(syslog.Config{}), "linux/Linux_2k.log", "linux_auth+linux", "", "linux", "auth")
	f(syslog.New(syslog.Config{}), "linux/Linux_2k.log", "linux_syslog+linux", "", "linux", "syslog")
	f(zeek.Decoder{}, "zeek/rita-proxy/dns.log", "dns_zeek", "dns", "", "", "query")
	f(zeek.Decoder{}, "zeek/rita-proxy/dns.log", "zeek_dns+zeek", "", "zeek", "dns")
	f(zeek.Decoder{}, "zeek/rita-proxy/http.log", "proxy_zeek_http", "proxy", "", "",
		"url.original", "url.domain", "http.request.method", "user_agent.original")
	f(zeek.Decoder{}, "zeek/rita-proxy/x509.log", "zeek_x509+zeek", "", "zeek", "x509")
	f(cloudtrail.Decoder{}, "cloudtrail/stratus/aws.defense-evasion.cloudtrail-stop.json",
		"aws_cloudtrail+aws", "", "aws", "cloudtrail", "eventName", "eventSource")
	f(weblog.Decoder{}, "crowdsec-tests/nginx-http-sensitive-files/nginx-http-sensitive-files.log",
		"webserver_access_log", "webserver", "", "", "url.original", "url.path", "http.request.method", "http.response.status_code")
}

// TestRealAuditd decodes the audit logs of CrowdSec's hub tests
// (crowdsec-tests/auditd-*: raw audit.log, one SYSCALL record per execve,
// no EXECVE or PROCTITLE records) and checks which events are Linux
// process creations.
func TestRealAuditd(t *testing.T) {
	d := auditd.Decoder{}
	serials := func(events []*event.Event) []string {
		var out []string
		for _, e := range events {
			s, _ := e.Get("event.sequence")
			out = append(out, s)
		}
		return out
	}
	t.Run("base64-exec", func(t *testing.T) {
		events := decodeFile(t, d, "crowdsec-tests/auditd-base64-exec/auditd-base64-exec.log")
		if len(events) != 4 {
			t.Fatalf("got %d events, want 4", len(events))
		}
		// 2997 is perl's failed execve (exit=-2): no process started.
		got := holding(t, events, "process_creation_auditd_syscall+linux", "process_creation", "linux", "")
		if diff := cmp.Diff([]string{"2995", "2996", "2998"}, serials(got)); diff != "" {
			t.Errorf("process creations (-want +got):\n%s", diff)
		}
		checkFields(t, got, "Image", "ProcessId", "ParentProcessId", "User")
		// 2996 ran base64, but the log has no EXECVE record: the event has
		// the executable and no command line.
		for _, e := range got {
			if s, _ := e.Get("event.sequence"); s == "2996" {
				if img, _ := e.Get("Image"); img != "/usr/bin/base64" {
					t.Errorf("event 2996: Image = %q, want /usr/bin/base64", img)
				}
				if cl, ok := e.Get("CommandLine"); ok {
					t.Errorf("event 2996: CommandLine = %q, want none: the log has no EXECVE record", cl)
				}
			}
		}
		if n := len(holding(t, events, "process_creation_auditd_execve+linux", "process_creation", "linux", "")); n != 0 {
			t.Errorf("%d events hold for the EXECVE alternative of a log without EXECVE records", n)
		}
		if n := len(holding(t, events, "linux_auditd+linux", "", "linux", "auditd")); n != len(events) {
			t.Errorf("service auditd holds for %d of %d events", n, len(events))
		}
		if n := len(holding(t, events, "linux_syslog+linux", "", "linux", "syslog")); n != 0 {
			t.Errorf("service syslog holds for %d auditd events", n)
		}
	})
	t.Run("postexploit-rm", func(t *testing.T) {
		events := decodeFile(t, d, "crowdsec-tests/auditd-postexploit-rm/auditd-postexploit-rm.log")
		got := holding(t, events, "process_creation_auditd_syscall+linux", "process_creation", "linux", "")
		if len(got) != 10 || len(events) != 10 {
			t.Errorf("%d of %d events are process creations, want 10 of 10", len(got), len(events))
		}
		checkFields(t, got, "Image")
	})
}

// TestSysmonLinux checks the Sysmon for Linux entries on the syslog
// decoder's fixture (written after the documented format; no real capture
// is in the shared data): one event each of process creation (1), network
// connection (3) and file creation (11), and a truncated one.
func TestSysmonLinux(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "decode", "syslog", "testdata", "sysmon-linux.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c decode.Collect
	if err := syslog.New(syslog.Config{}).Decode(f, &c); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		alt, category string
		fields        []string
	}{
		{"process_creation_sysmon_linux+linux", "process_creation", []string{"Image", "CommandLine", "ParentImage", "User"}},
		{"network_connection_sysmon_linux+linux", "network_connection", []string{"Image", "DestinationIp", "DestinationPort", "Initiated"}},
		{"file_event_sysmon_linux+linux", "file_event", []string{"Image", "TargetFilename"}},
	} {
		got := holding(t, c.Events, tc.alt, tc.category, "linux", "")
		if len(got) != 1 {
			t.Errorf("%s holds for %d of %d events, want 1", tc.alt, len(got), len(c.Events))
		}
		checkFields(t, got, tc.fields...)
	}
	// The syslog program is sysmon: no auth service takes these events.
	if n := len(holding(t, c.Events, "linux_auth+linux", "", "linux", "auth")); n != 0 {
		t.Errorf("service auth holds for %d Sysmon events", n)
	}
}

// TestRegressionData checks, for each SigmaHQ regression case, that at
// least as many events of its EVTX file belong to the rule's log source as
// the rule must match: a necessary condition for the case to pass.
func TestRegressionData(t *testing.T) {
	sigmaDir := shareddata.Path(t, "sigma")
	type logsource struct{ Category, Product, Service string }
	rules := make(map[string]logsource)
	for _, dir := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-dfir", "rules-compliance"} {
		err := filepath.WalkDir(filepath.Join(sigmaDir, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var r struct {
				ID        string    `yaml:"id"`
				LogSource logsource `yaml:"logsource"`
			}
			if yaml.Unmarshal(data, &r) == nil && r.ID != "" {
				rules[r.ID] = r.LogSource
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	m := Default()
	cases := 0
	err := filepath.WalkDir(filepath.Join(sigmaDir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "info.yml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var info struct {
			RuleMetadata []struct {
				ID string `yaml:"id"`
			} `yaml:"rule_metadata"`
			Tests []struct {
				Type       string `yaml:"type"`
				Path       string `yaml:"path"`
				MatchCount int    `yaml:"match_count"`
			} `yaml:"regression_tests_info"`
		}
		if err := yaml.Unmarshal(data, &info); err != nil {
			return err
		}
		name, _ := filepath.Rel(sigmaDir, filepath.Dir(path))
		for _, rm := range info.RuleMetadata {
			ls, ok := rules[rm.ID]
			if !ok {
				t.Errorf("%s: rule %s not found", name, rm.ID)
				continue
			}
			alts, ok := m.Resolve(ls.Category, ls.Product, ls.Service)
			if !ok {
				t.Errorf("%s: log source %+v not mapped", name, ls)
				continue
			}
			for _, tc := range info.Tests {
				if tc.Type != "evtx" {
					continue
				}
				cases++
				events := decodeFile(t, evtx.Decoder{}, filepath.ToSlash(filepath.Join("sigma", tc.Path)))
				n := 0
				for _, e := range events {
					for _, alt := range alts {
						if alt.Matches(e) {
							n++
							break
						}
					}
				}
				if n < max(tc.MatchCount, 1) {
					t.Errorf("%s: %d of %d events belong to log source %+v, want at least %d", name, n, len(events), ls, max(tc.MatchCount, 1))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cases == 0 {
		t.Fatal("no regression case found")
	}
	t.Logf("%d regression cases", cases)
}
