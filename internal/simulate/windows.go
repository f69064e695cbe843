package simulate

import (
	"fmt"
	"strconv"
	"time"
)

// winEvent is a Windows Security event, rendered as Winlogbeat 7 writes
// it once its record number on its host is known.
type winEvent struct {
	host     *host
	id       int
	provider string // empty for Microsoft-Windows-Security-Auditing
	failure  bool
	data     obj // winlog.event_data
	userData obj // winlog.user_data, for 1102
}

// Providers and their GUIDs.
const (
	providerSecurity = "Microsoft-Windows-Security-Auditing"
	providerEventlog = "Microsoft-Windows-Eventlog"
	guidSecurity     = "{54849625-5478-4994-a5ba-3e3b0328c30d}"
	guidEventlog     = "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}"
)

// winMessages are the first lines of the rendered messages.
var winMessages = map[int]string{
	1102: "The audit log was cleared.",
	4624: "An account was successfully logged on.",
	4625: "An account failed to log on.",
	4634: "An account was logged off.",
	4648: "A logon was attempted using explicit credentials.",
	4672: "Special privileges assigned to new logon.",
	4688: "A new process has been created.",
	4720: "A user account was created.",
	4728: "A member was added to a security-enabled global group.",
	4732: "A member was added to a security-enabled local group.",
	4663: "An attempt was made to access an object.",
	4768: "A Kerberos authentication ticket (TGT) was requested.",
	5145: "A network share object was checked to see whether client can be granted desired access.",
}

// winTasks are the task categories, which Winlogbeat 7 writes as
// event.action and winlog.task.
var winTasks = map[int]string{
	1102: "Log clear",
	4624: "Logon", 4625: "Logon", 4634: "Logoff", 4648: "Logon",
	4672: "Special Logon",
	4688: "Process Creation",
	4720: "User Account Management",
	4728: "Security Group Management", 4732: "Security Group Management",
	4663: "File System",
	4768: "Kerberos Authentication Service",
	5145: "Detailed File Share",
}

// render returns the event as one line of Winlogbeat 7 JSON: the ECS
// envelope (agent, ecs, event, host, log, message) and the winlog object
// with event_data or user_data, field names as Winlogbeat writes them.
func (w *winEvent) render(t time.Time, recordID int64) []byte {
	provider, guid := providerSecurity, guidSecurity
	if w.provider == providerEventlog {
		provider, guid = providerEventlog, guidEventlog
	}
	keyword, outcome := "Audit Success", "success"
	if w.failure {
		keyword, outcome = "Audit Failure", "failure"
	}
	task := winTasks[w.id]
	h := w.host
	win := obj{
		{"api", "wineventlog"},
		{"channel", "Security"},
		{"computer_name", h.fqdn},
	}
	if w.data != nil {
		win = win.add("event_data", w.data)
	}
	win = append(win,
		kv{"event_id", w.id},
		kv{"keywords", []string{keyword}},
		kv{"opcode", "Info"},
		kv{"process", obj{{"pid", h.logPID}, {"thread", obj{{"id", h.logPID + 4 + int(recordID%97)*4}}}}},
		kv{"provider_guid", guid},
		kv{"provider_name", provider},
		kv{"record_id", recordID},
		kv{"task", task},
	)
	if w.userData != nil {
		win = win.add("user_data", w.userData)
	}
	return obj{
		{"@timestamp", isoMs(t)},
		{"agent", obj{{"ephemeral_id", h.ephemeralID}, {"hostname", h.name}, {"id", h.agentID}, {"name", h.name}, {"type", "winlogbeat"}, {"version", "7.17.18"}}},
		{"ecs", obj{{"version", "1.12.0"}}},
		{"event", obj{{"action", task}, {"code", w.id}, {"created", isoMs(t.Add(time.Duration(1+recordID%3) * time.Second))}, {"kind", "event"}, {"outcome", outcome}, {"provider", provider}}},
		{"host", obj{{"name", h.name}}},
		{"log", obj{{"level", "information"}}},
		{"message", winMessages[w.id]},
		{"winlog", win},
	}.bytes()
}

// win adds a Windows event.
func (b *builder) win(t time.Time, w *winEvent, m mal) {
	if m.stage != "" {
		// As the record names it: winlog.computer_name, which the
		// decoder makes host.name.
		m.entities.HostName = w.host.fqdn
	}
	b.add(record{t: t, file: fileWindows, source: "windows/" + w.host.name, win: w, label: m.label()})
}

// logonID returns a new logon session id.
func logonID(r rng) string { return "0x" + strconv.FormatInt(0x100000+r.Int64N(0x3fffffff), 16) }

// logonProcess gives, per logon type, the logon process and authentication package.
var logonProcess = map[int][2]string{
	2:  {"User32 ", "Negotiate"},
	3:  {"Kerberos", "Kerberos"},
	5:  {"Advapi  ", "Negotiate"},
	7:  {"User32 ", "Negotiate"},
	10: {"User32 ", "Negotiate"},
	11: {"User32 ", "Negotiate"},
}

// logon describes a 4624 or 4625.
type logon struct {
	host    *host
	user    string // sAMAccountName, or "DC01$" for a computer
	sid     string
	typ     int
	srcIP   string // "" for a local logon
	srcName string // the client's workstation name
	id      string // session id; set by logon4624
	ntlm    bool
}

// logon4624 adds a successful logon, and 4672 when admin, and returns the
// session id.
func (b *builder) logon4624(r rng, t time.Time, l logon, admin bool, m mal) string {
	l.id = logonID(r)
	proc, pkg := logonProcess[l.typ][0], logonProcess[l.typ][1]
	if l.ntlm {
		proc, pkg = "NtLmSsp ", "NTLM"
	}
	subjSID, subjName, subjDomain, subjLogon := "S-1-5-18", l.host.name+"$", b.org.netbios, "0x3e7"
	procID, procName, ip, port := "0x"+strconv.FormatInt(int64(l.host.logPID+r.IntN(400)*4), 16), `C:\Windows\System32\svchost.exe`, "127.0.0.1", "0"
	if l.typ == 2 || l.typ == 7 || l.typ == 11 {
		procName = `C:\Windows\System32\winlogon.exe`
	}
	if l.typ == 3 {
		subjSID, subjName, subjDomain, subjLogon = "S-1-0-0", "-", "-", "0x0"
		procID, procName = "0x0", "-"
	}
	if l.srcIP != "" {
		ip, port = l.srcIP, strconv.Itoa(r.ephemeralPort())
		if l.typ == 3 && !l.ntlm {
			port = "0"
		}
	}
	ws := l.srcName
	if ws == "" {
		ws = "-"
		if l.typ != 3 {
			ws = l.host.name
		}
	}
	elevated := "%%1843"
	if admin {
		elevated = "%%1842"
	}
	b.win(t, &winEvent{host: l.host, id: 4624, data: obj{
		{"SubjectUserSid", subjSID},
		{"SubjectUserName", subjName},
		{"SubjectDomainName", subjDomain},
		{"SubjectLogonId", subjLogon},
		{"TargetUserSid", l.sid},
		{"TargetUserName", l.user},
		{"TargetDomainName", b.org.netbios},
		{"TargetLogonId", l.id},
		{"LogonType", strconv.Itoa(l.typ)},
		{"LogonProcessName", proc},
		{"AuthenticationPackageName", pkg},
		{"WorkstationName", ws},
		{"LogonGuid", "{" + r.uuid() + "}"},
		{"TransmittedServices", "-"},
		{"LmPackageName", lmPackage(l.ntlm)},
		{"KeyLength", keyLength(l.ntlm)},
		{"ProcessId", procID},
		{"ProcessName", procName},
		{"IpAddress", ip},
		{"IpPort", port},
		{"ImpersonationLevel", "%%1833"},
		{"RestrictedAdminMode", "-"},
		{"TargetOutboundUserName", "-"},
		{"TargetOutboundDomainName", "-"},
		{"VirtualAccount", "%%1843"},
		{"TargetLinkedLogonId", "0x0"},
		{"ElevatedToken", elevated},
	}}, m)
	if admin {
		m.entities.SourceIP = "" // 4672 names no address
		b.win(t, &winEvent{host: l.host, id: 4672, data: obj{
			{"SubjectUserSid", l.sid},
			{"SubjectUserName", l.user},
			{"SubjectDomainName", b.org.netbios},
			{"SubjectLogonId", l.id},
			{"PrivilegeList", "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege"},
		}}, m)
	}
	return l.id
}

func lmPackage(ntlm bool) string {
	if ntlm {
		return "NTLM V2"
	}
	return "-"
}

func keyLength(ntlm bool) string {
	if ntlm {
		return "128"
	}
	return "0"
}

// logon4625 adds a failed logon: a mistyped password.
func (b *builder) logon4625(r rng, t time.Time, l logon) {
	ip, port := "127.0.0.1", "0"
	if l.srcIP != "" {
		ip, port = l.srcIP, strconv.Itoa(r.ephemeralPort())
	}
	b.win(t, &winEvent{host: l.host, id: 4625, failure: true, data: obj{
		{"SubjectUserSid", "S-1-5-18"},
		{"SubjectUserName", l.host.name + "$"},
		{"SubjectDomainName", b.org.netbios},
		{"SubjectLogonId", "0x3e7"},
		{"TargetUserSid", "S-1-0-0"},
		{"TargetUserName", l.user},
		{"TargetDomainName", b.org.netbios},
		{"Status", "0xc000006d"},
		{"FailureReason", "%%2313"},
		{"SubStatus", "0xc000006a"},
		{"LogonType", strconv.Itoa(l.typ)},
		{"LogonProcessName", "User32 "},
		{"AuthenticationPackageName", "Negotiate"},
		{"WorkstationName", l.host.name},
		{"TransmittedServices", "-"},
		{"LmPackageName", "-"},
		{"KeyLength", "0"},
		{"ProcessId", "0x" + strconv.FormatInt(int64(l.host.logPID+r.IntN(400)*4), 16)},
		{"ProcessName", `C:\Windows\System32\svchost.exe`},
		{"IpAddress", ip},
		{"IpPort", port},
	}}, mal{})
}

// logoff4634 adds the end of a logon session.
func (b *builder) logoff4634(t time.Time, l logon, m mal) {
	m.entities.SourceIP = "" // 4634 names no address
	b.win(t, &winEvent{host: l.host, id: 4634, data: obj{
		{"TargetUserSid", l.sid},
		{"TargetUserName", l.user},
		{"TargetDomainName", b.org.netbios},
		{"TargetLogonId", l.id},
		{"LogonType", strconv.Itoa(l.typ)},
	}}, m)
}

// process describes a 4688.
type process struct {
	host    *host
	user    string
	sid     string
	logonID string
	image   string
	cmdline string
	parent  string
	admin   bool
}

// process4688 adds a process creation and returns its process id.
func (b *builder) process4688(r rng, t time.Time, p process, m mal) int {
	pid := 1000 + 4*r.IntN(4000)
	elevation := "%%1938"
	label := "S-1-16-8192"
	if p.admin {
		elevation, label = "%%1937", "S-1-16-12288"
	}
	b.win(t, &winEvent{host: p.host, id: 4688, data: obj{
		{"SubjectUserSid", p.sid},
		{"SubjectUserName", p.user},
		{"SubjectDomainName", b.org.netbios},
		{"SubjectLogonId", p.logonID},
		{"NewProcessId", "0x" + strconv.FormatInt(int64(pid), 16)},
		{"NewProcessName", p.image},
		{"TokenElevationType", elevation},
		{"ProcessId", "0x" + strconv.FormatInt(int64(1000+4*r.IntN(4000)), 16)},
		{"CommandLine", p.cmdline},
		{"TargetUserSid", "S-1-0-0"},
		{"TargetUserName", "-"},
		{"TargetDomainName", "-"},
		{"TargetLogonId", "0x0"},
		{"ParentProcessName", p.parent},
		{"MandatoryLabel", label},
	}}, m)
	return pid
}

// shareAccess describes a 5145 and, for files with auditing, a 4663.
type shareAccess struct {
	host    *host
	user    string
	sid     string
	logonID string
	srcIP   string
	share   string // "Cases"
	path    string // relative to the share, backslashes
	write   bool
	audit   bool // also a 4663 object access
}

// share5145 adds a file share access check, and a 4663 when audited.
func (b *builder) share5145(r rng, t time.Time, s shareAccess, m mal) {
	mask, list := "0x120089", "%%1538\n\t\t\t\t%%1541\n\t\t\t\t%%4416\n\t\t\t\t%%4419\n\t\t\t\t%%4423\n\t\t\t\t"
	if s.write {
		mask, list = "0x12019f", "%%1538\n\t\t\t\t%%1541\n\t\t\t\t%%4416\n\t\t\t\t%%4417\n\t\t\t\t%%4418\n\t\t\t\t%%4419\n\t\t\t\t%%4420\n\t\t\t\t%%4423\n\t\t\t\t%%4424\n\t\t\t\t"
	}
	b.win(t, &winEvent{host: s.host, id: 5145, data: obj{
		{"SubjectUserSid", s.sid},
		{"SubjectUserName", s.user},
		{"SubjectDomainName", b.org.netbios},
		{"SubjectLogonId", s.logonID},
		{"ObjectType", "File"},
		{"IpAddress", s.srcIP},
		{"IpPort", strconv.Itoa(r.ephemeralPort())},
		{"ShareName", `\\*\` + s.share},
		{"ShareLocalPath", `\??\D:\Shares\` + s.share},
		{"RelativeTargetName", s.path},
		{"AccessMask", mask},
		{"AccessList", list},
		{"AccessReason", "-"},
	}}, m)
	if !s.audit {
		return
	}
	m.entities.SourceIP = "" // 4663 names no address
	mask, list = "0x1", "%%4416\n\t\t\t\t"
	if s.write {
		mask, list = "0x2", "%%4417\n\t\t\t\t"
	}
	b.win(t.Add(time.Duration(2+r.IntN(40))*time.Millisecond), &winEvent{host: s.host, id: 4663, data: obj{
		{"SubjectUserSid", s.sid},
		{"SubjectUserName", s.user},
		{"SubjectDomainName", b.org.netbios},
		{"SubjectLogonId", s.logonID},
		{"ObjectServer", "Security"},
		{"ObjectType", "File"},
		{"ObjectName", `D:\Shares\` + s.share + `\` + s.path},
		{"HandleId", "0x" + strconv.FormatInt(int64(0x1000+4*r.IntN(8000)), 16)},
		{"AccessList", list},
		{"AccessMask", mask},
		{"ProcessId", "0x4"},
		{"ProcessName", ""},
		{"ResourceAttributes", "S:AI"},
	}}, m)
}

// kerberos4768 adds a TGT request on the domain controller.
func (b *builder) kerberos4768(r rng, t time.Time, p *person) {
	b.win(t, &winEvent{host: b.org.dc, id: 4768, data: obj{
		{"TargetUserName", p.sam},
		{"TargetDomainName", b.org.netbios},
		{"TargetSid", p.sid(b.org)},
		{"ServiceName", "krbtgt"},
		{"ServiceSid", b.org.domainSID + "-502"},
		{"TicketOptions", "0x40810010"},
		{"Status", "0x0"},
		{"TicketEncryptionType", "0x12"},
		{"PreAuthType", "2"},
		{"IpAddress", "::ffff:" + p.ws.ip.String()},
		{"IpPort", strconv.Itoa(r.ephemeralPort())},
		{"CertIssuerName", ""},
		{"CertSerialNumber", ""},
		{"CertThumbprint", ""},
	}}, mal{})
}

// accountChange adds 4720, 4728 or 4732 on the domain controller: admin
// subject, target account, and for group changes the group.
func (b *builder) accountChange(t time.Time, id int, admin *person, logonID, member, memberSID, group string) {
	data := obj{}
	switch id {
	case 4720:
		data = obj{
			{"TargetUserName", member},
			{"TargetDomainName", b.org.netbios},
			{"TargetSid", memberSID},
			{"SubjectUserSid", admin.sid(b.org)},
			{"SubjectUserName", admin.sam},
			{"SubjectDomainName", b.org.netbios},
			{"SubjectLogonId", logonID},
			{"PrivilegeList", "-"},
			{"SamAccountName", member},
			{"DisplayName", "%%1793"},
			{"UserPrincipalName", member + "@" + b.org.domain},
			{"HomeDirectory", "%%1793"},
			{"HomePath", "%%1793"},
			{"ScriptPath", "%%1793"},
			{"ProfilePath", "%%1793"},
			{"UserWorkstations", "%%1793"},
			{"PasswordLastSet", "%%1794"},
			{"AccountExpires", "%%1794"},
			{"PrimaryGroupId", "513"},
			{"AllowedToDelegateTo", "-"},
			{"OldUacValue", "0x0"},
			{"NewUacValue", "0x15"},
			{"UserAccountControl", "\n\t\t%%2080\n\t\t%%2082\n\t\t%%2084"},
			{"UserParameters", "%%1793"},
			{"SidHistory", "-"},
			{"LogonHours", "%%1797"},
		}
	default:
		data = obj{
			{"MemberName", fmt.Sprintf("CN=%s,OU=Staff,DC=tribunal,DC=example", member)},
			{"MemberSid", memberSID},
			{"TargetUserName", group},
			{"TargetDomainName", b.org.netbios},
			{"TargetSid", b.org.domainSID + "-" + strconv.Itoa(3000+int(hash64(group)%900))},
			{"SubjectUserSid", admin.sid(b.org)},
			{"SubjectUserName", admin.sam},
			{"SubjectDomainName", b.org.netbios},
			{"SubjectLogonId", logonID},
			{"PrivilegeList", "-"},
		}
	}
	b.win(t, &winEvent{host: b.org.dc, id: id, data: data}, mal{})
}

// explicit4648 adds a logon with explicit credentials from host to target.
func (b *builder) explicit4648(r rng, t time.Time, h *host, p *person, logonID string, target *host, m mal) {
	b.win(t, &winEvent{host: h, id: 4648, data: obj{
		{"SubjectUserSid", p.sid(b.org)},
		{"SubjectUserName", p.sam},
		{"SubjectDomainName", b.org.netbios},
		{"SubjectLogonId", logonID},
		{"LogonGuid", "{00000000-0000-0000-0000-000000000000}"},
		{"TargetUserName", p.sam},
		{"TargetDomainName", b.org.netbios},
		{"TargetLogonGuid", "{" + r.uuid() + "}"},
		{"TargetServerName", target.fqdn},
		{"TargetInfo", "TERMSRV/" + target.fqdn},
		{"ProcessId", "0x" + strconv.FormatInt(int64(1000+4*r.IntN(4000)), 16)},
		{"ProcessName", `C:\Windows\System32\mstsc.exe`},
		{"IpAddress", "-"},
		{"IpPort", "-"},
	}}, m)
}

// logCleared adds 1102: the Security log of h was cleared by p.
func (b *builder) logCleared(t time.Time, h *host, p *person, logonID string, m mal) {
	b.win(t, &winEvent{host: h, id: 1102, provider: providerEventlog, userData: obj{
		{"SubjectUserSid", p.sid(b.org)},
		{"SubjectUserName", p.sam},
		{"SubjectDomainName", b.org.netbios},
		{"SubjectLogonId", logonID},
		{"xml_name", "LogFileCleared"},
	}}, m)
}
