package authn_test

import (
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/authn"
	"github.com/vigie-sec/vigie/internal/event"
)

// Twelve failed Windows logons from one address in two minutes: one
// finding, at the tenth.
func ExampleBruteForce() {
	d := authn.NewBruteForce(authn.DefaultBruteForceConfig(), behave.Limits{})
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 12 {
		e := &event.Event{Time: start.Add(time.Duration(i) * 10 * time.Second), Format: "evtx"}
		e.Add(event.EventCategory, "authentication")
		e.Add(event.EventOutcome, event.OutcomeFailure)
		e.Add(event.EventCode, "4625")
		e.Add(event.UserName, []string{"alice", "bob", "carol"}[i%3])
		e.Add(event.UserDomain, "CORP")
		e.Add(event.SourceIP, "203.0.113.5")
		e.Add(event.HostName, "FS01")
		e.Sort()
		for _, f := range d.Observe(e, fmt.Sprintf("record %d", i+1)) {
			fmt.Println(f.Title)
			fmt.Println(f.Why.Text)
			fmt.Println(f.Evidence[0], "…", f.Evidence[len(f.Evidence)-1])
		}
	}
	// Output:
	// Brute force from 203.0.113.5
	// 10 failed logins from 203.0.113.5 within 1m30s, against 3 accounts, on 1 host; the threshold is 10 in 10m0s.
	// record 1 … record 10
}
