package casefile

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/store"
)

// FuzzPrevious feeds export records and audit details as the store may
// hold them after tampering: reading them never panics, the IDs read are
// bounded, and what changed is stated against what the export holds.
func FuzzPrevious(f *testing.F) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	g := &gathered{inc: &incident.Incident{ID: 1, Status: incident.StatusContained,
		Notes: []incident.Note{{Time: t0, Author: "a", Text: "n"}}},
		alerts: []*event.Event{{ID: 7}, {ID: 9}}, events: []*event.Event{{ID: 2}, {ID: 3}},
		audit: []store.AuditEntry{{Seq: 4}}}
	good, err := json.Marshal(newRecord(g, t0, "carol", "ab", "zip", map[string]string{"notes.json": "00"}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, []byte(`{"manifest_sha256":"ab","format":"zip","counts":{"alerts":2},"record":"1/ab"}`))
	f.Add([]byte(`{"alerts":[[1,3],[5,5]],"events":[[0,-1]],"status":"new"}`), []byte(`{"error":"disk full"}`))
	f.Add([]byte(`{"alerts":[[1,9223372036854775807]]}`), []byte(`null`))
	f.Add([]byte(`{"events":[[3,2]],"notes":[{"time":"x"}]}`), []byte(`[`))
	f.Fuzz(func(t *testing.T, record, detail []byte) {
		c := custodyOf(store.AuditEntry{Seq: 1, Action: ActionExport, Detail: detail})
		if c.Seq != 1 {
			t.Fatalf("custody seq %d", c.Seq)
		}
		var rec exportRecord
		if json.Unmarshal(record, &rec) != nil {
			return
		}
		ch, err := changesSince(&rec, g)
		if err != nil {
			return
		}
		// Every alert of the export is either added or was there before.
		old, _ := expand(rec.Alerts, maxRecordIDs)
		for _, a := range g.alerts {
			added := false
			for _, id := range ch.AlertsAdded {
				added = added || id == a.ID
			}
			was := false
			for _, id := range old {
				was = was || id == int64(a.ID)
			}
			if added == was {
				t.Fatalf("alert %d: added %v, in the previous export %v", a.ID, added, was)
			}
		}
		if ch.EventsAdded > len(g.events) || len(ch.EventsAddedListed) > maxListedChanges {
			t.Fatalf("%d events added of %d", ch.EventsAdded, len(g.events))
		}
		ch.compareFiles(rec.Files, map[string]string{"notes.json": "00"})
		_ = ch.Summary()
	})
}

func TestRanges(t *testing.T) {
	got := ranges([]int64{1, 2, 3, 5, 7, 8})
	want := []idRange{{1, 3}, {5, 5}, {7, 8}}
	if len(got) != len(want) {
		t.Fatalf("ranges = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranges = %v, want %v", got, want)
		}
	}
	ids, err := expand(got, 10)
	if err != nil || len(ids) != 6 || ids[5] != 8 {
		t.Errorf("expand = %v, %v", ids, err)
	}
	if _, err := expand([]idRange{{1, 100}}, 10); err == nil {
		t.Error("expand over the limit succeeded")
	}
	if _, err := expand([]idRange{{5, 4}}, 10); err == nil {
		t.Error("expand of an empty range succeeded")
	}
	added, removed := diff([]int64{1, 2, 4}, []int64{2, 3, 4, 5})
	if len(added) != 2 || added[0] != 3 || added[1] != 5 || len(removed) != 1 || removed[0] != 1 {
		t.Errorf("diff = +%v -%v, want +[3 5] -[1]", added, removed)
	}
}
