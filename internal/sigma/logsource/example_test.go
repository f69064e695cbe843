package logsource_test

import (
	"fmt"

	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

func ExampleMapping_Resolve() {
	alts, ok := logsource.Default().Resolve("process_creation", "windows", "")
	fmt.Println(ok)
	for _, alt := range alts {
		fmt.Println(alt)
	}
	// Output:
	// true
	// process_creation_sysmon+windows: Channel=Microsoft-Windows-Sysmon/Operational EventID=1 vigie.format=evtx|winjson
	// process_creation_4688+windows: Channel=Security EventID=4688 vigie.format=evtx|winjson Image→NewProcessName ParentImage→ParentProcessName
}

func ExampleMapping_Merge() {
	user, err := logsource.Parse("vigie-logsources.yml", []byte(`entries:
  - name: myapp
    product: myapp
    conditions:
      vigie.format: jsonl
      service.name: myapp
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	alts, ok := logsource.Default().Merge(user).Resolve("", "myapp", "")
	fmt.Println(ok, alts[0])
	// Output:
	// true myapp: vigie.format=jsonl service.name=myapp
}
