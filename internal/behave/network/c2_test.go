package network

import (
	"testing"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// Stratosphere's scenario 001 (CTU-Malware-Capture-Botnet-230-1, NjRAT):
// 992 labelled flows, 244 of them malicious command and control (237
// SYN retries to 41.108.179.197:1177 and 7 HTTPS flows to four other
// addresses), 739 background, 9 benign. A flow counts as flagged when
// beaconing or a long connection was reported for its source and
// destination. Floors are the values measured, so that a change that
// loses the C&C channel or flags background traffic fails.
func TestC2Stratosphere(t *testing.T) {
	recs := loadEvents(t, "zeek/stratosphere/001-zeek-scenario-malicious", "labeled-conn.log")
	var findings []behave.Finding
	findings = append(findings, run(NewBeacon(BeaconConfig{}, behave.Limits{}), recs)...)
	findings = append(findings, run(NewLongConn(LongConnConfig{}, behave.Limits{}), recs)...)
	t.Logf("findings:%s", summary(findings))
	flagged := map[[2]string]bool{}
	for _, f := range findings {
		flagged[[2]string{entity(f, event.SourceIP), entity(f, event.DestinationIP)}] = true
	}

	var tp, fp, fn, flows int
	badPairs := map[[2]string]bool{}
	for _, r := range recs {
		label, ok := r.ev.Get("label")
		if !ok {
			continue
		}
		flows++
		src, _ := r.ev.Get(event.SourceIP)
		dst, _ := r.ev.Get(event.DestinationIP)
		hit, bad := flagged[[2]string{src, dst}], label == "Malicious"
		if bad {
			badPairs[[2]string{src, dst}] = true
		}
		switch {
		case hit && bad:
			tp++
		case hit:
			fp++
		case bad:
			fn++
		}
	}
	if flows != 992 || tp+fn != 244 {
		t.Fatalf("read %d labelled flows, %d malicious; want 992 and 244", flows, tp+fn)
	}
	precision := float64(tp) / float64(max(tp+fp, 1))
	recall := float64(tp) / float64(tp+fn)
	t.Logf("C&C flows: precision %.3f (%d of %d flagged), recall %.3f (%d of %d)", precision, tp, tp+fp, recall, tp, tp+fn)
	t.Logf("host pairs: %d flagged, %d with C&C flows (the other C&C pairs have one or two flows each: nothing to score)", len(flagged), len(badPairs))
	if precision < 1 || recall < 0.97 {
		t.Errorf("precision %.3f, recall %.3f; want at least 1 and 0.97 (the 237 flows of the C&C channel, none of the background)", precision, recall)
	}
}
