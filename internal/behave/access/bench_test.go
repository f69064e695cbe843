package access

import (
	"strconv"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// BenchmarkFrom measures the view over a record of each kind.
func BenchmarkFrom(b *testing.B) {
	share := &event.Event{Time: day0}
	for _, kv := range [][2]string{{"EventID", "5145"}, {"ShareName", `\\*\C$`}, {"RelativeTargetName", `Users\alice\report.docx`},
		{"AccessMask", "0x120089"}, {"SubjectUserName", "alice"}, {"SubjectDomainName", "CORP"}, {"IpAddress", "10.0.0.5"},
		{event.SourceIP, "10.0.0.5"}, {event.HostName, "fs01.corp.example"}, {event.UserName, "alice"}} {
		share.Add(kv[0], kv[1])
	}
	share.Sort()
	for name, ev := range map[string]*event.Event{
		"windows-5145": share,
		"m365":         spEvent(day0, "alice@t.example", "https://t.sharepoint.com/sites/s/doc.docx", "203.0.113.9"),
		"s3":           s3Event(day0, "arn:aws:iam::123456789012:user/alice", "db/dump.sql", "198.51.100.20", 1000),
	} {
		b.Run("record="+name, func(b *testing.B) {
			var buf []Access
			b.ReportAllocs()
			for b.Loop() {
				buf = From(buf[:0], ev)
			}
			if len(buf) != 1 {
				b.Fatalf("%d accesses", len(buf))
			}
		})
	}
}

// BenchmarkMass measures Observe over SharePoint accesses of many
// accounts, each reading a rotating set of 200 files, hour after hour.
func BenchmarkMass(b *testing.B) {
	for _, accounts := range []int{10, 10_000} {
		b.Run("accounts="+strconv.Itoa(accounts), func(b *testing.B) {
			events := make([]*event.Event, accounts)
			for i := range events {
				events[i] = spEvent(day0, "user"+strconv.Itoa(i)+"@t.example", "", "10.1."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250))
			}
			objects := make([]string, 200)
			for i := range objects {
				objects[i] = "https://t.sharepoint.com/sites/s/doc" + strconv.Itoa(i) + ".docx"
			}
			d := NewMass(MassConfig{}, behave.Limits{})
			t := day0
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				ev := events[i%accounts]
				t = t.Add(50 * time.Millisecond)
				ev.Time = t
				ev.Set("ObjectId", objects[(i/accounts)%len(objects)])
				d.Observe(ev, "r")
				i++
			}
		})
	}
}
