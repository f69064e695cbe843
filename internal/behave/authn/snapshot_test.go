package authn

import (
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/behave"
)

// State of another version is dropped without error; a damaged snapshot
// is an error. Through a behave.Set, as serve restores it.
func TestSnapshotVersions(t *testing.T) {
	for _, d := range []behave.Detector{newBruteForce(), newSpray(), newSuccessAfter(), newLateral(), newPrivilege()} {
		if err := d.Restore(strings.NewReader(`{"version":99,"sources":[{"k":"x","t":"2026-01-01T00:00:00Z","v":{}}]}`)); err != nil {
			t.Errorf("%s: Restore of another version: %v, want it dropped", d.Name(), err)
		}
		if err := d.Restore(strings.NewReader(`{"version":1,"sources":[`)); err == nil || !strings.Contains(err.Error(), d.Name()) {
			t.Errorf("%s: Restore of a damaged snapshot: %v, want an error naming the detector", d.Name(), err)
		}
	}
	set := behave.NewSet(newBruteForce(), newSpray(), newSuccessAfter(), newLateral(), newPrivilege())
	recs := stream(burst(t0, 0, 10, "203.0.113.5", "srv1", "a", "b", "c", "d", "e")...)
	run(set, recs[:9])
	var buf strings.Builder
	if err := set.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	restored := behave.NewSet(newBruteForce(), newSpray(), newSuccessAfter(), newLateral(), newPrivilege())
	if err := restored.Restore(strings.NewReader(buf.String())); err != nil {
		t.Fatal(err)
	}
	checkTitles(t, run(restored, recs[9:]), "Brute force from 203.0.113.5")
}
