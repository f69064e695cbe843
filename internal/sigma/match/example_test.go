package match_test

import (
	"fmt"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
	"github.com/vigie-sec/vigie/internal/sigma/match"
)

func Example() {
	rules, err := sigma.Parse("example.yml", []byte(`
title: Encoded PowerShell
id: 6b1a2c6e-0000-4000-8000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\powershell.exe'
    CommandLine|contains|windash: ' -enc '
  condition: sel
---
title: Mac only
id: 6b1a2c6e-0000-4000-8000-000000000002
logsource: {product: macos, category: process_creation}
detection:
  sel:
    Image|endswith: '/osascript'
  condition: sel
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m := match.Compile(rules, match.Config{Sources: logsource.Default()})
	for _, st := range m.Status() {
		if st.OK {
			fmt.Printf("%s: ok\n", st.Rule.Title)
		} else {
			fmt.Printf("%s: %s\n", st.Rule.Title, st.Reason)
		}
	}

	e := &event.Event{Format: "evtx"}
	e.Add("Channel", "Microsoft-Windows-Sysmon/Operational")
	e.AddTyped("EventID", "1", event.Number)
	e.Add("Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`)
	e.Add("CommandLine", "powershell.exe /ENC SQBFAFgA")
	e.Sort()
	for _, r := range m.Match(e, nil) {
		fmt.Println("match:", r.Title)
	}
	// Output:
	// Encoded PowerShell: ok
	// Mac only: unsupported: no log source mapping for product:macos category:process_creation
	// match: Encoded PowerShell
}
