package access

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// hunt runs events through d as vigie hunt does: Advance to each event's
// time, then Observe.
func hunt(d behave.Detector, events []*event.Event, refs []string) []behave.Finding {
	var out []behave.Finding
	for i, ev := range events {
		out = append(out, d.Advance(ev.Time)...)
		out = append(out, d.Observe(ev, refs[i])...)
	}
	return out
}

func entityMap(es []behave.Entity) map[string][]string {
	m := map[string][]string{}
	for _, e := range es {
		m[e.Field] = append(m[e.Field], e.Value)
	}
	return m
}

// TestMassShareCopy runs Mass over LM_5145_Remote_FileCopy.evtx, where
// EXAMPLE\Administrator walks and copies C$ of PC01 from 10.0.2.15: 865
// share accesses with ReadData to 832 distinct paths in 48 seconds. The
// 500th distinct path, counted from the raw fields, comes with record
// 437973 at 14:23:24.84, 2.7 s after the first: the distinct rule fires
// there, once for the account and once for the client, and the 332
// distinct paths after it fall in the hour of quiet that follows.
func TestMassShareCopy(t *testing.T) {
	events, refs := decodeShared(t, "evtx/attack-samples/Lateral Movement/LM_5145_Remote_FileCopy.evtx")
	seen := map[string]bool{}
	var at time.Time
	var atRef string
	for i, e := range events {
		mask, _ := e.Get("AccessMask")
		if v, err := strconv.ParseUint(mask[2:], 16, 64); err != nil || v&1 == 0 {
			continue
		}
		rel, _ := e.Get("RelativeTargetName")
		if seen[rel] = true; len(seen) == 500 && at.IsZero() {
			at, atRef = e.Time, refs[i]
		}
	}
	if atRef != "LM_5145_Remote_FileCopy.evtx#437973" {
		t.Fatalf("500th distinct path at %s, the file changed", atRef)
	}

	got := hunt(NewMass(MassConfig{}, behave.Limits{}), events, refs)
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2 (account and client): %+v", len(got), got)
	}
	wantTitles := []string{
		`Mass access to files on shares by example\administrator: 500 distinct within 1h0m0s`,
		"Mass access to files on shares by client 10.0.2.15: 500 distinct within 1h0m0s",
	}
	wantEntities := []map[string][]string{
		{"user.name": {"Administrator"}, "source.ip": {"10.0.2.15"}, "host.name": {"PC01.example.corp"}},
		{"source.ip": {"10.0.2.15"}, "user.name": {"Administrator"}, "host.name": {"PC01.example.corp"}},
	}
	for i, f := range got {
		if f.Title != wantTitles[i] {
			t.Errorf("title %q, want %q", f.Title, wantTitles[i])
		}
		if diff := cmp.Diff(wantEntities[i], entityMap(f.Entities)); diff != "" {
			t.Errorf("%s: entities (-want +got):\n%s", f.Title, diff)
		}
		if !f.Time.Equal(at) || f.Why.Observed != 500 || f.Why.Threshold != 500 || f.Why.Unit != "objects" || f.Why.Window != time.Hour {
			t.Errorf("%s: at %s, why %+v; want at %s, 500 of 500 objects in 1h", f.Title, f.Time, f.Why, at)
		}
		if len(f.Evidence) != 50 || f.Evidence[49] != atRef || f.Truncated != 450 {
			t.Errorf("%s: %d evidence ending %s, %d truncated; want 50 ending %s, 450 truncated", f.Title, len(f.Evidence), f.Evidence[len(f.Evidence)-1], f.Truncated, atRef)
		}
		if f.Level != "medium" || !cmp.Equal(f.Tags, []string{"attack.collection", "attack.t1039"}) {
			t.Errorf("%s: level %s, tags %v", f.Title, f.Level, f.Tags)
		}
	}
}

// TestMassAttackSamples runs Mass over every EVTX attack sample: the share
// copy above is the only mass access among them. In particular
// CA_chrome_firefox_opera_4663.evtx, where one process of IEWIN7\IEUser
// reads the credential stores of Opera, Firefox and Chrome, is not one:
// four files in 2.5 minutes is a targeted theft, not a volume, and the
// threshold stays at 500 distinct files an hour, the count at which
// reading stops looking like a person's work (a person opens tens of
// files an hour) and starts looking like a collection script or
// ransomware's reading pass. Those four files are what SigmaHQ's
// win_security_file_access_browser_credential matches by path.
func TestMassAttackSamples(t *testing.T) {
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
	fired := map[string]int{}
	for _, path := range files {
		rel, _ := filepath.Rel(filepath.Dir(filepath.Dir(dir)), path)
		events, refs := decodeShared(t, rel)
		if n := len(hunt(NewMass(MassConfig{}, behave.Limits{}), events, refs)); n > 0 {
			fired[filepath.Base(path)] = n
		}
	}
	if diff := cmp.Diff(map[string]int{"LM_5145_Remote_FileCopy.evtx": 2}, fired); diff != "" {
		t.Errorf("files with findings (-want +got):\n%s", diff)
	}
}

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday

// spEvent is a SharePoint FileAccessed record of user from ip.
func spEvent(t time.Time, user, object, ip string) *event.Event {
	e := &event.Event{Time: t, Format: "m365"}
	e.Add("Operation", "FileAccessed")
	e.Add("Workload", "SharePoint")
	e.Add("UserId", user)
	e.Add("ObjectId", object)
	e.Add("ClientIP", ip)
	e.Sort()
	return e
}

// s3Event is a CloudTrail GetObject of bucket/key by arn from ip.
func s3Event(t time.Time, arn, key, ip string, size int) *event.Event {
	e := &event.Event{Time: t, Format: "cloudtrail"}
	e.Add("eventSource", "s3.amazonaws.com")
	e.Add("eventName", "GetObject")
	e.Add("requestParameters.bucketName", "backups")
	e.Add("requestParameters.key", key)
	e.Add("additionalEventData.bytesTransferredOut", strconv.Itoa(size))
	e.Add("userIdentity.arn", arn)
	e.Add(event.SourceIP, ip)
	e.Add(event.EventOutcome, event.OutcomeSuccess)
	e.Sort()
	return e
}

// workHours gives user working days of 8 hours (9:00 to 17:00) from day0
// for days days, weekends off; hour n of the working hours has
// counts[n % len(counts)] accesses, spread over the hour, to 10 files.
func workHours(user string, days int, counts []int) (events []*event.Event, refs []string, next time.Time) {
	n := 0
	for d := range days {
		day := day0.AddDate(0, 0, d)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		for h := 9; h < 17; h++ {
			c := counts[n%len(counts)]
			n++
			start := day.Add(time.Duration(h) * time.Hour)
			for i := range c {
				ts := start.Add(time.Duration(i) * time.Hour / time.Duration(c+1))
				events = append(events, spEvent(ts, user, "https://t.sharepoint.com/sites/s/doc"+strconv.Itoa(i%10)+".docx", "203.0.113.9"))
				refs = append(refs, user+"@"+ts.Format(time.DateTime))
			}
		}
	}
	return events, refs, day0.AddDate(0, 0, days)
}

// burst gives count accesses of user within the hour from start, to
// objects distinct objects.
func burst(user string, start time.Time, count, objects int) ([]*event.Event, []string) {
	var events []*event.Event
	var refs []string
	for i := range count {
		ts := start.Add(time.Duration(i) * 50 * time.Minute / time.Duration(count))
		events = append(events, spEvent(ts, user, "https://t.sharepoint.com/sites/s/burst"+strconv.Itoa(i%objects), "203.0.113.9"))
		refs = append(refs, "burst"+strconv.Itoa(i))
	}
	return events, refs
}

func TestMassBaseline(t *testing.T) {
	// Hours of 18 to 22 accesses: median 20, MAD 1.
	counts := []int{18, 19, 20, 21, 22}
	// 15 days hold 11 working days, 88 active hours.
	base, baseRefs, next := workHours("alice@t.example", 15, counts)
	for _, tc := range []struct {
		name      string
		cfg       MassConfig
		count     int
		want      float64 // observed at the finding, 0 for none
		threshold float64
	}{
		// The floor of 200 rules: the 201st access of the hour fires.
		{"burst over the floor", MassConfig{}, 400, 201, 200},
		{"burst under the floor", MassConfig{}, 190, 0, 0},
		// With a floor of 1, the baseline rules: 20 + 3.5 × 1 / 0.6745 =
		// 25.19, crossed by the 26th access.
		{"baseline without floor", MassConfig{MinHourly: 1}, 30, 26, 20 + 3.5/0.6745},
		{"usual hour without floor", MassConfig{MinHourly: 1}, 22, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, refs := burst("alice@t.example", next.Add(10*time.Hour), tc.count, 100)
			got := hunt(NewMass(tc.cfg, behave.Limits{}), append(base[:len(base):len(base)], events...), append(baseRefs[:len(baseRefs):len(baseRefs)], refs...))
			if tc.want == 0 {
				if len(got) != 0 {
					t.Errorf("findings %+v, want none", got)
				}
				return
			}
			if len(got) != 2 {
				t.Fatalf("%d findings, want 2 (account, client): %+v", len(got), got)
			}
			f := got[0]
			if f.Why.Observed != tc.want || f.Why.Threshold != tc.threshold || f.Why.Unit != "accesses" {
				t.Errorf("why %+v, want %g accesses over %g", f.Why, tc.want, tc.threshold)
			}
			if f.Why.Baseline != "median 20 accesses per active hour (MAD 1) over 88 active hours" {
				t.Errorf("baseline %q", f.Why.Baseline)
			}
			if f.Title != "Mass access to SharePoint and OneDrive files by alice@t.example: "+strconv.Itoa(int(tc.want))+" in an hour, usually 20" {
				t.Errorf("title %q", f.Title)
			}
			n := min(int(tc.want), 50)
			if len(f.Evidence) != n || f.Evidence[n-1] != refs[int(tc.want)-1] || f.Truncated != int(tc.want)-n {
				t.Errorf("%d evidence ending %s, %d truncated", len(f.Evidence), f.Evidence[len(f.Evidence)-1], f.Truncated)
			}
			if !cmp.Equal(f.Tags, []string{"attack.collection", "attack.t1213.002"}) {
				t.Errorf("tags %v", f.Tags)
			}
		})
	}

	t.Run("warm-up", func(t *testing.T) {
		// Two working days are 16 active hours, under the 24 of the warm-up.
		base, refs, next := workHours("bob@t.example", 2, counts)
		events, brefs := burst("bob@t.example", next.Add(10*time.Hour), 30, 30)
		if got := hunt(NewMass(MassConfig{MinHourly: 1}, behave.Limits{}), append(base, events...), append(refs, brefs...)); len(got) != 0 {
			t.Errorf("findings during the warm-up: %+v", got)
		}
	})

	t.Run("heavy user", func(t *testing.T) {
		// Hours of 900 to 1,100: median 1,000, MAD 50, threshold
		// 1,000 + 3.5 × 50 / 0.6745 = 1,259.45.
		base, refs, next := workHours("svc@t.example", 8, []int{900, 950, 1000, 1050, 1100})
		events, brefs := burst("svc@t.example", next.Add(10*time.Hour), 1250, 10)
		if got := hunt(NewMass(MassConfig{}, behave.Limits{}), append(base, events...), append(refs, brefs...)); len(got) != 0 {
			t.Errorf("1,250 accesses, under its 1,259, reported: %+v", got[0].Why)
		}
		events, brefs = burst("svc@t.example", next.Add(10*time.Hour), 1300, 10)
		got := hunt(NewMass(MassConfig{}, behave.Limits{}), append(base, events...), append(refs, brefs...))
		if len(got) != 2 || got[0].Why.Observed != 1260 {
			t.Errorf("1,300 accesses: %d findings, want 2 at the 1,260th", len(got))
		}
	})
}

func TestMassDistinct(t *testing.T) {
	const arn = "arn:aws:sts::123456789012:assumed-role/ci/build"
	start := day0.Add(10 * time.Hour)
	var events []*event.Event
	var refs []string
	add := func(from time.Time, n, first int, every time.Duration) {
		for i := range n {
			events = append(events, s3Event(from.Add(time.Duration(i)*every), arn, "db/"+strconv.Itoa(first+i), "198.51.100.20", 1000))
			refs = append(refs, "k"+strconv.Itoa(first+i))
		}
	}
	// 400 distinct keys in 40 minutes, nothing for 30 minutes, then 400
	// more: never 500 within an hour.
	add(start, 400, 0, 6*time.Second)
	add(start.Add(70*time.Minute), 400, 400, 6*time.Second)
	if got := hunt(NewMass(MassConfig{}, behave.Limits{}), events, refs); len(got) != 0 {
		t.Fatalf("findings for 400 and 400 distinct an hour apart: %+v", got[0].Title)
	}
	// Then 600 more keys within 10 minutes from 11:50: with the 400 of
	// 11:10 to 11:50 still in the window, the 100th (11:51:39) is the
	// 500th distinct key within the hour. The entity is then quiet until
	// 12:51:39, its count starting again from zero: the 500 keys left of
	// those 600 and 600 more at 12:20 are not counted. 600 more from
	// 13:20: the 500th is at 13:28:19.
	add(start.Add(110*time.Minute), 600, 800, time.Second)
	add(start.Add(140*time.Minute), 600, 1400, time.Second)
	add(start.Add(200*time.Minute), 600, 2000, time.Second)
	got := hunt(NewMass(MassConfig{}, behave.Limits{}), events, refs)
	var times []string
	for _, f := range got {
		times = append(times, f.Time.Format("15:04:05")+" "+f.Entities[0].Field)
	}
	want := []string{"11:51:39 user.name", "11:51:39 source.ip", "13:28:19 user.name", "13:28:19 source.ip"}
	if diff := cmp.Diff(want, times); diff != "" {
		t.Fatalf("findings (-want +got):\n%s", diff)
	}
	f := got[0]
	if f.Title != "Mass download of S3 objects by "+arn+": 500 distinct within 1h0m0s" || f.Why.Observed != 500 ||
		!strings.Contains(f.Why.Text, "bytes known this hour") {
		t.Errorf("finding %q: %+v", f.Title, f.Why)
	}
	if diff := cmp.Diff(map[string][]string{"user.name": {arn}, "source.ip": {"198.51.100.20"}}, entityMap(f.Entities)); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
	if !cmp.Equal(f.Tags, []string{"attack.collection", "attack.t1530"}) {
		t.Errorf("tags %v", f.Tags)
	}
}

// TestMassSnapshot checks that a detector restored from a snapshot taken
// anywhere in a stream gives the findings of one that ran throughout: a
// baseline learned over weeks, a burst, then a distinct-object sweep.
func TestMassSnapshot(t *testing.T) {
	events, refs, next := workHours("alice@t.example", 15, []int{18, 19, 20, 21, 22})
	b, brefs := burst("alice@t.example", next.Add(10*time.Hour), 300, 100)
	events, refs = append(events, b...), append(refs, brefs...)
	for i := range 700 {
		ts := next.Add(13*time.Hour + time.Duration(i)*time.Second)
		events = append(events, spEvent(ts, "alice@t.example", "https://t.sharepoint.com/sites/s/sweep"+strconv.Itoa(i), "198.51.100.7"))
		refs = append(refs, "sweep"+strconv.Itoa(i))
	}
	cfg := MassConfig{MinHourly: 100}
	want := hunt(NewMass(cfg, behave.Limits{}), events, refs)
	if len(want) != 4 {
		t.Fatalf("%d findings in the whole run, want 4 (burst and sweep, by account and client)", len(want))
	}
	for _, cut := range []int{1, len(events) / 3, len(events) - 900, len(events) - 500, len(events) - 100} {
		first := NewMass(cfg, behave.Limits{})
		got := hunt(first, events[:cut], refs[:cut])
		var snap bytes.Buffer
		if err := first.Snapshot(&snap); err != nil {
			t.Fatal(err)
		}
		second := NewMass(cfg, behave.Limits{})
		if err := second.Restore(&snap); err != nil {
			t.Fatal(err)
		}
		got = append(got, hunt(second, events[cut:], refs[cut:])...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cut at %d: findings differ (-whole +restored):\n%s", cut, diff)
		}
	}
	if err := NewMass(cfg, behave.Limits{}).Restore(strings.NewReader(`{"version":2,"accounts":[{"k":1}]}`)); err != nil {
		t.Errorf("state of another version: %v, want it dropped", err)
	}
}

func TestMassOptions(t *testing.T) {
	var events []*event.Event
	var refs []string
	for i := range 600 {
		ts := day0.Add(time.Duration(i) * time.Second)
		events = append(events, spEvent(ts, "Backup@t.example", "o"+strconv.Itoa(i), "198.51.100.7"))
		refs = append(refs, strconv.Itoa(i))
	}
	if got := hunt(NewMass(MassConfig{IgnoreAccounts: []string{"backup@T.example"}}, behave.Limits{}), events, refs); len(got) != 0 {
		t.Errorf("ignored account reported: %+v", got)
	}
	got := hunt(NewMass(MassConfig{AccountsOnly: true}, behave.Limits{}), events, refs)
	if len(got) != 1 || got[0].Entities[0] != (behave.Entity{Field: "user.name", Value: "Backup@t.example"}) {
		t.Errorf("AccountsOnly: %+v", got)
	}
}

// TestMassBounded checks the bounds: entities within MaxEntities, and an
// entity's distinct objects within DistinctObjects however many it reads
// while quiet.
func TestMassBounded(t *testing.T) {
	d := NewMass(MassConfig{}, behave.Limits{MaxEntities: 10})
	for i := range 1000 {
		d.Observe(spEvent(day0.Add(time.Duration(i)*time.Second), "u"+strconv.Itoa(i)+"@t.example", "o", "198.51.100."+strconv.Itoa(i%250)), "r")
	}
	if d.accounts.Len() != 10 || d.clients.Len() != 10 {
		t.Errorf("%d accounts, %d clients, want 10 each", d.accounts.Len(), d.clients.Len())
	}
	d = NewMass(MassConfig{DistinctObjects: 50}, behave.Limits{})
	for i := range 5000 {
		d.Observe(spEvent(day0.Add(time.Duration(i)*100*time.Millisecond), "u@t.example", "o"+strconv.Itoa(i), ""), "r")
	}
	e, _ := d.accounts.Peek("u@t.example")
	if len(e.Objects) > 50 || len(e.Recent) > 50 {
		t.Errorf("%d objects, %d references held, want at most 50", len(e.Objects), len(e.Recent))
	}
}

func TestMassConfigYAML(t *testing.T) {
	var cfg MassConfig
	dec := yaml.NewDecoder(strings.NewReader("z: 5\nmin_hourly: 1000\nwarm_up_hours: 48\nhistory_hours: 200\ndistinct_objects: 2000\nwindow: 30m\naccounts_only: true\nignore_accounts: [svc-backup]\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	want := MassConfig{Z: 5, MinHourly: 1000, WarmUpHours: 48, HistoryHours: 200, DistinctObjects: 2000, Window: 30 * time.Minute,
		AccountsOnly: true, IgnoreAccounts: []string{"svc-backup"}}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(DefaultMassConfig(), (MassConfig{}).withDefaults()); diff != "" {
		t.Errorf("zero config (-defaults +got):\n%s", diff)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := (MassConfig{WarmUpHours: 200}).Validate(); err == nil {
		t.Error("a warm-up longer than the history accepted")
	}
}
