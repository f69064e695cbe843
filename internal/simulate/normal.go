package simulate

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Benign periodic traffic.
const (
	hcPing         = "hc-ping.com"                     // MON01's cron heartbeat
	hcPingPeriod   = 5 * time.Minute                   // …every five minutes
	defenderDomain = "definitionupdates.microsoft.com" // workstations' signature checks
	defenderPeriod = 4 * time.Hour                     // …about every four hours
	updateDomain   = "download.windowsupdate.com"      // one plain HTTP download a day
)

// Service accounts.
var serviceAccounts = map[string]int{"svc-monitor": 1001, "svc-app": 1002, "svc-backup": 1003}

func (o *org) serviceSID(name string) string {
	return fmt.Sprintf("%s-%d", o.domainSID, serviceAccounts[name])
}

// normal generates the ordinary activity of every day.
func (b *builder) normal() {
	seed := b.cfg.Seed
	for d := range b.cfg.Days {
		day := b.cfg.Start.AddDate(0, 0, d)
		for _, p := range b.org.people {
			b.personDay(newRNG(seed, fmt.Sprintf("day/%d/%s", d, p.sam)), p, day)
		}
		b.serverDay(newRNG(seed, fmt.Sprintf("servers/%d", d)), day)
		b.linuxDay(newRNG(seed, fmt.Sprintf("linux/%d", d)), day)
		b.cloudDay(newRNG(seed, fmt.Sprintf("cloud/%d", d)), day)
		if d == 1 || d == 3 {
			b.onboarding(newRNG(seed, fmt.Sprintf("onboarding/%d", d)), day, d)
		}
	}
	b.periodic(newRNG(seed, "periodic"))
}

// workday reports whether t's date is Monday to Friday.
func workday(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// personDay generates one day of p's work, if p works that day.
func (b *builder) personDay(r rng, p *person, day time.Time) {
	weekday := workday(day)
	if !weekday && !(p.weekend && r.chance(0.35)) {
		return
	}
	midnight := day.Add(-p.home.offset) // local midnight, in UTC
	start := midnight.Add(p.startWork + r.between(-20*time.Minute, 20*time.Minute))
	end := midnight.Add(p.endWork + r.between(-30*time.Minute, 45*time.Minute))
	fromHome := !p.office || !weekday || r.chance(0.2)
	if !weekday {
		start = midnight.Add(10*time.Hour + r.between(0, 3*time.Hour))
		end = start.Add(r.between(40*time.Minute, 3*time.Hour))
	}
	b.workSession(r, p, start, end, fromHome, weekday)
}

// session is a member of staff logged on to their workstation.
type session struct {
	p       *person
	logonID string
	pub     netip.Addr // public address of their cloud traffic
}

// workSession generates a working session on p's workstation.
func (b *builder) workSession(r rng, p *person, start, end time.Time, fromHome, weekday bool) {
	o := b.org
	ws := p.ws
	admin := p.role == roleAdmin
	typ := 2
	if fromHome {
		typ = 11 // cached credentials, on the road
	}
	if r.chance(0.03) {
		b.logon4625(r, start.Add(-r.between(5*time.Second, 30*time.Second)), logon{host: ws, user: p.sam, typ: typ})
	}
	l := logon{host: ws, user: p.sam, sid: p.sid(o), typ: typ}
	l.id = b.logon4624(r, start, l, admin, mal{})
	s := &session{p: p, logonID: l.id, pub: o.publicIP(p, start, fromHome)}
	b.proc(r, start.Add(time.Second), s, `C:\Windows\System32\userinit.exe`, `userinit.exe`, `C:\Windows\System32\winlogon.exe`)
	b.proc(r, start.Add(3*time.Second), s, `C:\Windows\explorer.exe`, `C:\Windows\Explorer.EXE`, `C:\Windows\System32\userinit.exe`)

	// Domain controller: ticket, group policy.
	b.kerberos4768(r, start.Add(time.Second), p)
	b.internal(r, start.Add(time.Second), ws.ip, o.dc.ip, 88, "krb_tcp", 1500, 1800)
	b.networkLogon(r, start.Add(4*time.Second), p, o.dc, 2*time.Second)
	b.internal(r, start.Add(4*time.Second), ws.ip, o.dc.ip, 445, "smb,gssapi", 12000, 90000)

	// Office applications and the cloud sign-ins they make.
	for i, app := range officeApps {
		t := start.Add(time.Duration(30+40*i)*time.Second + r.between(0, 20*time.Second))
		b.proc(r, t, s, app, `"`+app+`"`, `C:\Windows\explorer.exe`)
	}
	dev := device{os: "Windows10", browser: "Edge 122.0.0", managed: true, deviceID: hashGUID(ws.name), name: ws.name}
	signAt := start.Add(r.between(time.Minute, 4*time.Minute))
	if r.chance(0.03) {
		b.entraSignIn(r, signAt.Add(-40*time.Second), b.signInOf(p, "Microsoft Teams", s.pub, signAt, dev, entraBadPassword), mal{})
	}
	b.entraSignIn(r, signAt, b.signInOf(p, "Microsoft Teams", s.pub, signAt, dev, entraOK), mal{})
	b.entraSignIn(r, signAt.Add(r.between(10*time.Second, 90*time.Second)), b.signInOf(p, "Office 365 Exchange Online", s.pub, signAt, dev, entraOK), mal{})
	b.mailAccess(r, signAt.Add(r.between(time.Minute, 3*time.Minute)), p, s.pub.String(), "Client=MSExchangeRPC;"+agentOutlook, "Sync", 0, mal{})
	if r.chance(0.3) {
		// A phone.
		t := start.Add(r.between(0, end.Sub(start)))
		phone := device{os: "Ios 17.3.1", browser: "Mobile Safari 17.3"}
		si := b.signInOf(p, "Microsoft Authentication Broker", s.pub, t, phone, entraOK)
		si.clientApp, si.agent = "Mobile Apps and Desktop clients", agentIPhone
		si.resource = "Office 365 Exchange Online"
		b.entraSignIn(r, t, si, mal{})
	}

	// The day's activities.
	n := r.intIn(22, 40)
	if !weekday {
		n = r.intIn(4, 10)
	}
	for range n {
		t := start.Add(r.between(5*time.Minute, end.Sub(start)))
		switch x := r.IntN(100); {
		case x < 50:
			b.browse(r, t, s)
		case x < 65:
			b.shareUse(r, t, s)
		case x < 80:
			b.cloudFiles(r, t, s)
		case x < 90:
			b.appUse(r, t, s)
		default:
			b.mailAccess(r, t, p, s.pub.String(), "Client=MSExchangeRPC;"+agentOutlook, "Sync", 0, mal{})
		}
	}
	switch p.role {
	case roleAdmin:
		b.adminWork(r, s, start, end, weekday)
	case roleHelpdesk:
		b.helpdeskWork(r, s, start, end)
	}

	// Lunch: the screen locks and is unlocked.
	if weekday && end.Sub(start) > 6*time.Hour {
		t := start.Add(end.Sub(start)/2 + r.between(-30*time.Minute, 30*time.Minute))
		ul := logon{host: ws, user: p.sam, sid: p.sid(o), typ: 7}
		ul.id = b.logon4624(r, t, ul, false, mal{})
	}
	b.logoff4634(end, l, mal{})
}

// signInOf describes an ordinary sign-in of p to app.
func (b *builder) signInOf(p *person, app string, ip netip.Addr, t time.Time, dev device, code int) signIn {
	return signIn{
		upn: p.upn, display: p.display, userID: p.objectID, app: app, ip: ip,
		country: b.org.awayIn(p, t), clientApp: "Mobile Apps and Desktop clients", dev: dev,
		errorCode: code, mfa: code == entraOK, conditionalAccess: "success", agent: agentTeams,
	}
}

// proc adds a process started by the user of s on their workstation.
func (b *builder) proc(r rng, t time.Time, s *session, image, cmdline, parent string) {
	b.process4688(r, t, process{host: s.p.ws, user: s.p.sam, sid: s.p.sid(b.org), logonID: s.logonID,
		image: image, cmdline: cmdline, parent: parent}, mal{})
}

// networkLogon adds a network logon of p from their workstation to h,
// and its logoff after d.
func (b *builder) networkLogon(r rng, t time.Time, p *person, h *host, d time.Duration) {
	l := logon{host: h, user: p.sam, sid: p.sid(b.org), typ: 3, srcIP: p.ws.ip.String(), srcName: p.ws.name}
	l.id = b.logon4624(r, t, l, false, mal{})
	b.logoff4634(t.Add(d), l, mal{})
}

// internal adds a connection inside the network.
func (b *builder) internal(r rng, t time.Time, src, dst netip.Addr, port int, service string, origBytes, respBytes int64) {
	b.conn(t, flow{src: src, dst: dst, srcPort: r.ephemeralPort(), dstPort: port, proto: "tcp", service: service,
		duration: r.between(50*time.Millisecond, 3*time.Second), origBytes: origBytes + r.Int64N(origBytes/4+1),
		respBytes: respBytes + r.Int64N(respBytes/4+1), uid: r.zeekUID()}, mal{})
}

// browse adds a visit to a web site: a DNS lookup unless cached, and a
// TLS connection.
func (b *builder) browse(r rng, t time.Time, s *session) {
	var domain string
	switch x := r.IntN(100); {
	case x < 45:
		domain = pick(r, officeDomains)
	case x < 60 && s.p.role == roleLegal:
		domain = pick(r, legalDomains)
	case x < 65 && (s.p.role == roleAdmin || s.p.role == roleHelpdesk):
		domain = pick(r, itDomains)
	default:
		domain = pick(r, webDomains)
	}
	b.visit(r, t, s.p.ws.ip, domain, "edge", r.chance(0.5), mal{})
}

// visit adds a TLS connection from src to domain, after a DNS lookup when
// lookup is set.
func (b *builder) visit(r rng, t time.Time, src netip.Addr, domain, client string, lookup bool, m mal) {
	dst := b.org.addrOf(domain)
	if lookup {
		b.dnsLookup(r, t, src, b.org.dc.ip, domain, []netip.Addr{dst}, 300, m)
		t = t.Add(r.between(2*time.Millisecond, 40*time.Millisecond))
	}
	b.tlsSession(t, flow{src: src, dst: dst, srcPort: r.ephemeralPort(), dstPort: 443, proto: "tcp",
		duration: r.between(200*time.Millisecond, 90*time.Second), origBytes: 800 + r.Int64N(30000),
		respBytes: 3000 + r.Int64N(2_000_000), uid: r.zeekUID()},
		tlsInfo{sni: domain, ja3: ja3(client), ja3s: ja3("server:" + domain), alpn: "h2"}, m)
}

// shareUse adds the opening of a file of the department share on FS01.
func (b *builder) shareUse(r rng, t time.Time, s *session) {
	p := s.p
	write := r.chance(0.25)
	b.share5145(r, t, shareAccess{host: b.org.fs, user: p.sam, sid: p.sid(b.org), logonID: logonID(r),
		srcIP: p.ws.ip.String(), share: shareOf(p.site), path: sharePath(r, p.site), write: write, audit: r.chance(0.4)}, mal{})
	b.internal(r, t, p.ws.ip, b.org.fs.ip, 445, "smb,gssapi", 4000, 60000+r.Int64N(3_000_000))
	if r.chance(0.3) {
		b.networkLogon(r, t.Add(-time.Second), p, b.org.fs, r.between(time.Minute, 40*time.Minute))
	}
	if r.chance(0.5) {
		app := pick(r, docApps)
		b.proc(r, t.Add(time.Second), s, app, `"`+app+`" "\\FS01\`+shareOf(p.site)+`\..."`, `C:\Windows\explorer.exe`)
	}
}

// cloudFiles adds work on documents of the department's SharePoint site.
func (b *builder) cloudFiles(r rng, t time.Time, s *session) {
	p := s.p
	f := spFile{site: p.site, folder: "Shared Documents/" + strings.ReplaceAll(sharePath(r, p.site), `\`, "/"), name: documentName(r)}
	if i := lastSlash(f.folder); i > 0 {
		f.folder = f.folder[:i]
	}
	op := "FileAccessed"
	switch x := r.IntN(100); {
	case x < 12:
		op = "FileModified"
	case x < 18:
		op = "FileDownloaded"
	case x < 21:
		op = "FileUploaded"
	}
	b.fileOperation(r, t, p, s.pub.String(), agentEdge, op, f, mal{})
	b.visit(r, t.Add(-time.Second), p.ws.ip, "tribunalexample.sharepoint.com", "edge", false, mal{})
}

// lastSlash returns the index of the last '\' or '/' in s, or -1.
func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\\' || s[i] == '/' {
			return i
		}
	}
	return -1
}

// appUse adds use of the case management application (legal staff) or
// a document application (others).
func (b *builder) appUse(r rng, t time.Time, s *session) {
	p := s.p
	if p.role != roleLegal {
		app := pick(r, docApps)
		if p.role == roleAdmin || p.role == roleHelpdesk {
			app = pick(r, itApps)
		}
		b.proc(r, t, s, app, `"`+app+`"`, `C:\Windows\explorer.exe`)
		return
	}
	// Windows authentication to the application's web server.
	b.networkLogon(r, t, p, b.org.app, r.between(2*time.Minute, 30*time.Minute))
	b.tlsSession(t, flow{src: p.ws.ip, dst: b.org.app.ip, srcPort: r.ephemeralPort(), dstPort: 443, proto: "tcp",
		duration: r.between(time.Second, 10*time.Minute), origBytes: 4000 + r.Int64N(80000), respBytes: 20000 + r.Int64N(900000), uid: r.zeekUID()},
		tlsInfo{sni: "cms." + b.org.domain, version: "TLSv12", ja3: ja3("edge"), ja3s: ja3("server:cms")}, mal{})
}

// Administration work.
var (
	sudoCommands = []string{
		"/usr/bin/apt-get update", "/usr/bin/apt-get -y upgrade", "/usr/bin/systemctl restart nginx",
		"/usr/bin/journalctl -u nginx --since today", "/usr/bin/tail -n 200 /var/log/nginx/error.log",
		"/usr/sbin/ufw status", "/usr/bin/df -h", "/usr/bin/certbot renew --dry-run",
	}
	adminTools = [][2]string{
		{`C:\Windows\System32\mmc.exe`, `"C:\Windows\system32\mmc.exe" "C:\Windows\system32\dsa.msc"`},
		{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"`},
		{`C:\Windows\System32\ServerManager.exe`, `"C:\Windows\system32\ServerManager.exe"`},
		{`C:\Windows\System32\eventvwr.exe`, `"C:\Windows\system32\eventvwr.msc" /s`},
		{`C:\Windows\System32\services.exe`, `C:\Windows\system32\services.msc`},
	}
	awsReadCalls = [][2]string{
		{"ec2.amazonaws.com", "DescribeInstances"}, {"ec2.amazonaws.com", "DescribeSecurityGroups"},
		{"ec2.amazonaws.com", "DescribeVolumes"}, {"s3.amazonaws.com", "ListBuckets"},
		{"s3.amazonaws.com", "GetBucketPolicy"}, {"iam.amazonaws.com", "ListUsers"},
		{"cloudtrail.amazonaws.com", "LookupEvents"}, {"monitoring.amazonaws.com", "GetMetricData"},
		{"rds.amazonaws.com", "DescribeDBInstances"}, {"logs.amazonaws.com", "DescribeLogGroups"},
	}
	awsWriteCalls = [][2]string{
		{"ec2.amazonaws.com", "CreateSnapshot"}, {"ec2.amazonaws.com", "StartInstances"},
		{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"}, {"s3.amazonaws.com", "PutBucketTagging"},
		{"ec2.amazonaws.com", "CreateTags"},
	}
)

// adminWork adds an administrator's work on servers and in AWS.
func (b *builder) adminWork(r rng, s *session, start, end time.Time, weekday bool) {
	o := b.org
	p := s.p
	span := end.Sub(start)
	windows := []*host{o.dc, o.fs, o.app, o.sql, o.mon, o.bkp}
	for range r.intIn(1, 3) {
		h := pick(r, windows)
		t := start.Add(r.between(10*time.Minute, span))
		d := r.between(5*time.Minute, 50*time.Minute)
		if r.chance(0.5) {
			// Saved credentials in the remote desktop client.
			b.explicit4648(r, t.Add(-2*time.Second), p.ws, p, s.logonID, h, mal{})
		}
		l := logon{host: h, user: p.sam, sid: p.sid(o), typ: 10, srcIP: p.ws.ip.String(), srcName: p.ws.name}
		l.id = b.logon4624(r, t, l, true, mal{})
		for range r.intIn(1, 3) {
			tool := pick(r, adminTools)
			b.process4688(r, t.Add(r.between(20*time.Second, d)), process{host: h, user: p.sam, sid: p.sid(o), logonID: l.id,
				image: tool[0], cmdline: tool[1], parent: `C:\Windows\explorer.exe`, admin: true}, mal{})
		}
		b.logoff4634(t.Add(d), l, mal{})
		b.conn(t.Add(-time.Second), flow{src: p.ws.ip, dst: h.ip, srcPort: r.ephemeralPort(), dstPort: 3389, proto: "tcp",
			service: "ssl", duration: d, origBytes: 300000 + r.Int64N(3_000_000), respBytes: 2_000_000 + r.Int64N(40_000_000), uid: r.zeekUID()}, mal{})
	}
	for range r.intIn(0, 2) {
		h := pick(r, []*host{o.gw, o.web})
		t := start.Add(r.between(10*time.Minute, span))
		d := r.between(3*time.Minute, 30*time.Minute)
		var cmds []string
		for range r.intIn(0, 3) {
			cmds = append(cmds, pick(r, sudoCommands))
		}
		b.sshLogin(r, t, h, p, p.ws.ip.String(), d, cmds, mal{})
		b.conn(t.Add(-time.Second), flow{src: p.ws.ip, dst: h.ip, srcPort: r.ephemeralPort(), dstPort: 22, proto: "tcp",
			service: "ssh", duration: d, origBytes: 20000 + r.Int64N(200000), respBytes: 40000 + r.Int64N(900000), uid: r.zeekUID()}, mal{})
	}
	if weekday && r.chance(0.7) {
		b.awsSession(r, s, start.Add(r.between(15*time.Minute, span)), r.intIn(4, 14), true)
	}
	if r.chance(0.4) {
		b.proc(r, start.Add(r.between(time.Minute, span)), s, `C:\Windows\System32\ipconfig.exe`, "ipconfig /all", `C:\Windows\System32\cmd.exe`)
	}
}

// helpdeskWork adds IT support's work: account look-ups, some SSH and
// AWS.
func (b *builder) helpdeskWork(r rng, s *session, start, end time.Time) {
	o := b.org
	p := s.p
	span := end.Sub(start)
	for range r.intIn(0, 2) {
		other := pick(r, o.people)
		b.proc(r, start.Add(r.between(10*time.Minute, span)), s, `C:\Windows\System32\net.exe`,
			"net user "+other.sam+" /domain", `C:\Windows\System32\cmd.exe`)
	}
	if r.chance(0.15) {
		t := start.Add(r.between(10*time.Minute, span))
		d := r.between(2*time.Minute, 10*time.Minute)
		b.sshLogin(r, t, o.gw, p, p.ws.ip.String(), d, nil, mal{})
		b.conn(t.Add(-time.Second), flow{src: p.ws.ip, dst: o.gw.ip, srcPort: r.ephemeralPort(), dstPort: 22, proto: "tcp",
			service: "ssh", duration: d, origBytes: 9000 + r.Int64N(40000), respBytes: 20000 + r.Int64N(200000), uid: r.zeekUID()}, mal{})
	}
	if r.chance(0.3) {
		b.awsSession(r, s, start.Add(r.between(15*time.Minute, span)), r.intIn(2, 5), false)
	}
}

// awsSession adds a console session: the Entra sign-in to AWS, the
// console login and n API calls.
func (b *builder) awsSession(r rng, s *session, t time.Time, n int, write bool) {
	p := s.p
	dev := device{os: "Windows10", browser: "Edge 122.0.0", managed: true, deviceID: hashGUID(p.ws.name), name: p.ws.name}
	si := b.signInOf(p, "Amazon Web Services (AWS)", s.pub, t, dev, entraOK)
	si.clientApp, si.agent = "Browser", agentEdge
	b.entraSignIn(r, t, si, mal{})
	id := b.consoleSignIn(r, t.Add(r.between(3*time.Second, 10*time.Second)), p, s.pub.String(), agentConsole, mal{})
	at := t.Add(20 * time.Second)
	for range n {
		at = at.Add(r.between(5*time.Second, 4*time.Minute))
		call, ro := pick(r, awsReadCalls), true
		if write && r.chance(0.15) {
			call, ro = pick(r, awsWriteCalls), false
		}
		b.cloudTrail(r, at, apiCall{id: id, source: call[0], name: call[1], region: "eu-west-1", ip: s.pub.String(),
			agent: "AWS Internal", readOnly: ro, console: true}, mal{})
	}
}

// serverDay adds the background activity of the Windows servers:
// monitoring logons every half hour, the application's database
// connections, the nightly backup.
func (b *builder) serverDay(r rng, day time.Time) {
	o := b.org
	windows := []*host{o.dc, o.fs, o.app, o.sql, o.bkp}
	for _, h := range windows {
		for t := day.Add(r.between(0, 30*time.Minute)); t.Before(day.Add(24 * time.Hour)); t = t.Add(r.jitter(30*time.Minute, 0.1)) {
			l := logon{host: h, user: "svc-monitor", sid: o.serviceSID("svc-monitor"), typ: 3, srcIP: o.mon.ip.String(), srcName: o.mon.name}
			l.id = b.logon4624(r, t, l, false, mal{})
			b.logoff4634(t.Add(r.between(time.Second, 8*time.Second)), l, mal{})
			b.internal(r, t, o.mon.ip, h.ip, 135, "dce_rpc", 2000, 6000)
		}
	}
	for t := day.Add(r.between(0, time.Hour)); t.Before(day.Add(24 * time.Hour)); t = t.Add(r.jitter(time.Hour, 0.2)) {
		l := logon{host: o.sql, user: "svc-app", sid: o.serviceSID("svc-app"), typ: 3, srcIP: o.app.ip.String(), srcName: o.app.name}
		l.id = b.logon4624(r, t, l, false, mal{})
		b.logoff4634(t.Add(r.between(10*time.Minute, 50*time.Minute)), l, mal{})
		b.internal(r, t, o.app.ip, o.sql.ip, 1433, "-", 200000, 4_000_000)
	}
	// The nightly backup reads the file server, the database and the DC.
	t := day.Add(time.Hour + r.between(0, 10*time.Minute))
	for _, h := range []*host{o.fs, o.sql, o.app, o.dc} {
		l := logon{host: h, user: "svc-backup", sid: o.serviceSID("svc-backup"), typ: 3, srcIP: o.bkp.ip.String(), srcName: o.bkp.name}
		l.id = b.logon4624(r, t, l, true, mal{})
		d := r.between(20*time.Minute, 70*time.Minute)
		b.logoff4634(t.Add(d), l, mal{})
		b.conn(t, flow{src: o.bkp.ip, dst: h.ip, srcPort: r.ephemeralPort(), dstPort: 445, proto: "tcp", service: "smb,gssapi",
			duration: d, origBytes: 2_000_000 + r.Int64N(8_000_000), respBytes: 3_000_000_000 + r.Int64N(6_000_000_000), uid: r.zeekUID()}, mal{})
		t = t.Add(d + r.between(time.Minute, 5*time.Minute))
	}
}

// linuxDay adds cron on the Linux servers, internet scanners guessing
// SSH passwords on the bastion, and visitors of the public web site.
func (b *builder) linuxDay(r rng, day time.Time) {
	o := b.org
	for _, h := range []*host{o.gw, o.web} {
		for hour := range 24 {
			b.cron(r, day.Add(time.Duration(hour)*time.Hour+17*time.Minute+r.between(0, 2*time.Second)), h)
		}
	}
	users := []string{"root", "admin", "ubuntu", "test", "oracle", "postgres", "git", "user", "pi", "ftpuser", "guest", "deploy"}
	for range r.intIn(12, 35) {
		net := pick(r, o.scannerNets)
		ip := nth(net.prefix, r.IntN(30)).String()
		t := day.Add(r.between(0, 24*time.Hour))
		for range r.intIn(1, 6) {
			u := pick(r, users)
			b.sshFailure(r, t, o.gw, u, u == "root", ip, mal{})
			t = t.Add(r.between(2*time.Second, 40*time.Second))
		}
	}
	for range r.intIn(60, 140) {
		t := day.Add(9*time.Hour + r.between(-6*time.Hour, 12*time.Hour))
		c := pick(r, countries[:14])
		src := nth(o.residentialNet(c.code), 20000+r.IntN(40000))
		b.tlsSession(t, flow{src: src, dst: o.web.ip, srcPort: r.ephemeralPort(), dstPort: 443, proto: "tcp",
			duration: r.between(100*time.Millisecond, 20*time.Second), origBytes: 600 + r.Int64N(4000), respBytes: 20000 + r.Int64N(600000), uid: r.zeekUID()},
			tlsInfo{sni: "www." + o.domain, ja3: ja3(pick(r, []string{"edge", "chrome", "firefox", "safari"})), ja3s: ja3("server:www")}, mal{})
	}
}

// cloudDay adds the AWS activity nobody types: a monitoring role every
// quarter hour and the nightly backup service.
func (b *builder) cloudDay(r rng, day time.Time) {
	o := b.org
	mon := awsIdentity{role: "TribunalMonitoring", session: "monitoring-agent", keyID: "ASIA" + fmt.Sprintf("%016X", hash64(day.String()))}
	ip := nth(o.cloud, 4242).String()
	for t := day.Add(r.between(0, 15*time.Minute)); t.Before(day.Add(24 * time.Hour)); t = t.Add(r.jitter(15*time.Minute, 0.05)) {
		call := pick(r, [][2]string{{"ec2.amazonaws.com", "DescribeInstances"}, {"monitoring.amazonaws.com", "GetMetricData"}, {"ec2.amazonaws.com", "DescribeInstanceStatus"}})
		b.cloudTrail(r, t, apiCall{id: mon, source: call[0], name: call[1], ip: ip, agent: "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64", readOnly: true}, mal{})
	}
	t := day.Add(2*time.Hour + r.between(0, 5*time.Minute))
	b.cloudTrail(r, t, apiCall{id: awsIdentity{service: "backup.amazonaws.com"}, source: "ec2.amazonaws.com", name: "CreateSnapshot",
		ip: "backup.amazonaws.com", agent: "backup.amazonaws.com",
		request: obj{{"volumeId", "vol-0" + fmt.Sprintf("%016x", hash64("vol"+o.awsAccount))}, {"description", "AWS Backup daily"}}}, mal{})
}

// onboarding adds a new member of staff created by an administrator:
// 4720, then 4728 and 4732 for their groups.
func (b *builder) onboarding(r rng, day time.Time, n int) {
	o := b.org
	var admin *person
	for _, p := range o.people {
		if p.role == roleAdmin {
			admin = p
			break
		}
	}
	t := day.Add(9*time.Hour + r.between(0, 3*time.Hour))
	c := countries[0]
	name := strings.ToLower(fmt.Sprintf("%s.%s%d", pick(r, c.given)[:1], strings.ReplaceAll(pick(r, c.family), " ", ""), n))
	sid := fmt.Sprintf("%s-%d", o.domainSID, 5000+n)
	lid := logonID(r)
	b.accountChange(t, 4720, admin, lid, name, sid, "")
	b.accountChange(t.Add(r.between(20*time.Second, 2*time.Minute)), 4728, admin, lid, name, sid, "GG-Registry")
	b.accountChange(t.Add(r.between(2*time.Minute, 5*time.Minute)), 4732, admin, lid, name, sid, "DL-FS-Admin-Read")
}

// periodic adds the benign periodic traffic over the whole simulation:
// MON01's heartbeat to hc-ping.com every five minutes, each workstation's
// Defender signature check about every four hours, and each
// workstation's daily Windows Update download over plain HTTP.
func (b *builder) periodic(r rng) {
	o := b.org
	end := b.cfg.end()
	i := 0
	for t := b.cfg.Start.Add(r.between(0, hcPingPeriod)); t.Before(end); t = t.Add(hcPingPeriod + r.between(-time.Second, time.Second)) {
		b.visitPeriodic(r, t, o.mon.ip, hcPing, "curl", i%6 == 0, 300+r.Int64N(40), 200+r.Int64N(30))
		i++
	}
	for _, p := range o.people {
		pr := newRNG(b.cfg.Seed, "defender/"+p.sam)
		for t := b.cfg.Start.Add(pr.between(0, defenderPeriod)); t.Before(end); t = t.Add(pr.jitter(defenderPeriod, 0.05)) {
			b.visitPeriodic(pr, t, p.ws.ip, defenderDomain, "schannel", true, 1200+pr.Int64N(800), 3000+pr.Int64N(9000))
		}
		for day := b.cfg.Start; day.Before(end); day = day.AddDate(0, 0, 1) {
			t := day.Add(pr.between(6*time.Hour, 20*time.Hour))
			dst := o.addrOf(updateDomain)
			b.dnsLookup(pr, t, p.ws.ip, o.dc.ip, updateDomain, []netip.Addr{dst}, 3600, mal{})
			size := 200_000 + pr.Int64N(30_000_000)
			b.httpSession(pr, t.Add(20*time.Millisecond), flow{src: p.ws.ip, dst: dst, srcPort: pr.ephemeralPort(), dstPort: 80, proto: "tcp",
				duration: pr.between(time.Second, 90*time.Second), origBytes: 600, respBytes: size, uid: pr.zeekUID()},
				httpRequest{method: "GET", host: updateDomain, uri: "/c/msdownload/update/software/defu/2026/03/am_delta_patch_1.407." + fmt.Sprint(pr.IntN(900)) + ".0_" + pr.hexWord(40) + ".exe",
					ua: agentWU, respLen: size, status: 200, mime: "application/x-dosexec"}, mal{})
		}
	}
}

// visitPeriodic adds one small periodic TLS exchange.
func (b *builder) visitPeriodic(r rng, t time.Time, src netip.Addr, domain, client string, lookup bool, orig, resp int64) {
	dst := b.org.addrOf(domain)
	if lookup {
		b.dnsLookup(r, t, src, b.org.dc.ip, domain, []netip.Addr{dst}, 300, mal{})
		t = t.Add(r.between(2*time.Millisecond, 30*time.Millisecond))
	}
	b.tlsSession(t, flow{src: src, dst: dst, srcPort: r.ephemeralPort(), dstPort: 443, proto: "tcp",
		duration: r.between(80*time.Millisecond, 600*time.Millisecond), origBytes: orig, respBytes: resp, uid: r.zeekUID()},
		tlsInfo{sni: domain, ja3: ja3(client), ja3s: ja3("server:" + domain), alpn: "http/1.1"}, mal{})
}

// hashGUID returns a stable GUID-shaped id for a name.
func hashGUID(name string) string { return siteGUID(name, "device") }
