package incident

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`
grouping:
  window: 24h
  fields: [user.name, host.name]
  ignore: [svc_scan]
  ignore_fields:
    host.name: [jump01]
  common_after: 7
  auto_merge: false
max_alerts: 50
`))
	if err != nil {
		t.Fatal(err)
	}
	g := c.Grouping
	if g.Window != 24*time.Hour || len(g.Fields) != 2 || g.CommonAfter != 7 || *g.AutoMerge || c.MaxAlerts != 50 || g.IgnoreFields["host.name"][0] != "jump01" {
		t.Errorf("parsed %+v", c)
	}
	bad := map[string]string{
		"grouping:\n  windw: 1h\n":                           "line 2",
		"grouping:\n  window: -1h\n":                         "incidents.grouping.window",
		"grouping:\n  ignore_fields:\n    process.name: [x]": "incidents.grouping.ignore_fields.process.name",
		"max_alerts: -3\n":                                   "incidents.max_alerts",
	}
	for in, want := range bad {
		if _, err := ParseConfig([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to name %q", in, err, want)
		}
	}
	if c, err := ParseConfig(nil); err != nil || c.Grouping.AutoMerge != nil {
		t.Errorf("empty section: %+v, %v", c, err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("grouping:\n  window: 24h\n  common_after: 3\n"))
	f.Add([]byte("grouping:\n  ignore_fields:\n    user.name: [a, b]\nmax_alerts: 9\n"))
	f.Add([]byte("{grouping: {fields: [x], auto_merge: true}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("ParseConfig accepted what Validate refuses: %v", err)
		}
		if _, err := New(c, Deps{Records: nopRecords{}, Audit: nil}); err == nil {
			t.Error("New without an auditor succeeded")
		}
	})
}

// FuzzAdd groups alerts whose entity values are arbitrary: every alert
// lands in exactly one incident, and an incident names only values the
// alerts carried.
func FuzzAdd(f *testing.F) {
	f.Add("alice", `CORP\ALICE`, "ws-07.corp", "::ffff:10.0.0.1", "10.0.0.1", uint8(3))
	f.Add("", "-", "SYSTEM", "[::1]", "x.y.", uint8(0))
	f.Add("a@b@c", `\\`, ".", "1.2.3.4", "fe80::1%eth0", uint8(200))
	st := openStoreF(f)
	f.Fuzz(func(t *testing.T, u1, u2, h, ip1, ip2 string, gap uint8) {
		m, err := New(Config{Grouping: Grouping{CommonAfter: 2}}, Deps{Records: st, Audit: st})
		if err != nil {
			t.Fatal(err)
		}
		var am alertMaker
		at := t0.Add(time.Duration(gap) * time.Hour)
		alerts := []*event.Event{
			am.match("r1", "high", t0, "user.name="+u1, "host.name="+h, "source.ip="+ip1),
			am.match("r2", "low", at, "user.name="+u2, "destination.ip="+ip2),
			am.behaviour("exfil", at, "destination.domain="+h, "file.path="+u1, "user.name="+u2),
			am.match("r3", "medium", t0, "source.ip="+ip2, "host.name="+u2),
		}
		if _, err := m.Add(context.Background(), alerts); err != nil {
			t.Fatal(err)
		}
		seen := map[event.ID]int{}
		for _, inc := range m.List(Filter{}) {
			for _, a := range inc.Alerts {
				seen[a.ID]++
			}
			for _, e := range inc.Entities {
				if e.Value == "" || len(e.Alerts) == 0 {
					t.Errorf("incident %d: entity %+v", inc.ID, e)
				}
			}
		}
		for _, a := range alerts {
			if seen[a.ID] != 1 {
				t.Errorf("alert %d is in %d incidents", a.ID, seen[a.ID])
			}
		}
	})
}
