package scope

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// FuzzEventReaders feeds the readers of stored events (authentications,
// data accesses, log markers, transfers' share recipients, host names)
// events of arbitrary fields, one "name=value" per line: the logs are
// written by whoever controls the hosts, an intruder included.
func FuzzEventReaders(f *testing.F) {
	for _, seed := range []string{
		"Channel=Security\nevent.code=4624\nevent.category=authentication\nevent.outcome=success\nhost.name=WS-1.corp\nuser.name=bob\nsource.ip=10.0.0.1\nLogonType=10\nWorkstationName=WS-2",
		"Channel=Security\nevent.code=4648\nevent.category=authentication\nhost.name=ws\nTargetServerName=APP01\nTargetUserName=x",
		"Channel=Security\nevent.code=5145\nhost.name=FS01.corp\nShareName=\\\\*\\Cases\nRelativeTargetName=\\a\\b.pdf\nShareLocalPath=\\??\\D:\\Shares\\Cases",
		"Channel=Security\nevent.code=1102\nhost.name=FS01\nSubjectUserName=eve",
		"event.dataset=aws.cloudtrail\nevent.provider=ec2.amazonaws.com\nevent.action=ModifySnapshotAttribute\nrequestParameters.createVolumePermission.add.items.userId=1\nrequestParameters.snapshotId=snap-1",
		"event.dataset=aws.cloudtrail\nevent.provider=cloudtrail.amazonaws.com\nevent.action=StopLogging\nevent.outcome=success\ncloud.account.id=1",
		"event.dataset=aws.cloudtrail\nevent.provider=ssm.amazonaws.com\nevent.action=GetParametersByPath\nrequestParameters.path=/",
		"event.dataset=o365.audit\nevent.action=MailItemsAccessed\nFolders.Path=\\Inbox",
		"event.module=auditd\nSYSCALL=openat\ncwd=/root\nname=x\nname=/etc/shadow",
		"Provider_Name=Microsoft-Windows-Sysmon\nChannel=Microsoft-Windows-Sysmon/Operational\nevent.code=11\nTargetFilename=C:\\x",
		"event.category=authentication\nappDisplayName=OfficeHome\nsource.ip=::ffff:1.2.3.4\nuser.name=a@b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ev := &event.Event{Time: time.Unix(1_700_000_000, 0), ID: 1}
		for _, line := range strings.Split(in, "\n") {
			if name, value, ok := strings.Cut(line, "="); ok && len(ev.Fields) < 200 {
				ev.Add(name, value)
			}
		}
		ev.Sort()
		if r, ok := authOf(ev); ok && (r.to == "" || r.from == "" || r.outcome == "") {
			t.Errorf("authentication without ends: %+v", r)
		}
		for _, a := range dataOf(ev) {
			if a.kind == "" || a.container == "" || a.action == "" && a.kind != KindFiles {
				t.Errorf("access without container: %+v", a)
			}
		}
		if m, ok := markerOf(ev); ok && (m.entity == "" || m.next == nil || m.cause == "") {
			t.Errorf("marker without entity: %+v", m)
		}
		_ = shareRecipients(ev)
		for _, f := range ev.Fields {
			if k := hostKey(f.Value); hostKey(k) != k {
				t.Errorf("hostKey(%q) = %q, not stable", f.Value, k)
			}
			_ = shareName(f.Value, f.Value)
			_ = hostTerms([]string{hostKey(f.Value)})
		}
	})
}
