package access_test

import (
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/behave/access"
	"github.com/vigie-sec/vigie/internal/event"
)

// A Windows 5145 record of a file read on a share becomes one Access.
func ExampleFrom() {
	ev := &event.Event{Time: time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC), Format: "evtx"}
	ev.Add("EventID", "5145")
	ev.Add("ShareName", `\\*\Finance`)
	ev.Add("RelativeTargetName", `2026\payroll.xlsx`)
	ev.Add("AccessMask", "0x120089")
	ev.Add("SubjectDomainName", "CORP")
	ev.Add("SubjectUserName", "alice")
	ev.Add("source.ip", "10.0.0.5")
	ev.Add("host.name", "fs01.corp.example")
	ev.Sort()
	for _, a := range access.From(nil, ev) {
		fmt.Println(a.Kind, a.Account, a.Client(), a.Host, a.Object, a.Service)
	}
	// Output: read corp\alice 10.0.0.5 fs01.corp.example Finance\2026\payroll.xlsx windows/5145
}
