package sigma_test

import (
	"fmt"
	"strings"

	"github.com/vigie-sec/vigie/internal/sigma"
)

func ExampleParse() {
	const rule = `title: Whoami Execution
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection and not filter
level: high
`
	_, err := sigma.Parse("whoami.yml", []byte(rule))
	fmt.Println(err)

	fixed := strings.Replace(rule, " and not filter", "", 1)
	rules, _ := sigma.Parse("whoami.yml", []byte(fixed))
	it := rules[0].Detection.Searches[0].Groups[0][0]
	fmt.Println(rules[0].Title, it.Field, it.Op, it.Values[0].Text)
	// Output:
	// whoami.yml:8:34: condition: unknown search identifier "filter"
	// Whoami Execution Image endswith \whoami.exe
}

func ExampleParseCondition() {
	expr, _ := sigma.ParseCondition("1 of selection* and not filter")
	and := expr.(*sigma.And)
	fmt.Printf("%T %T %T\n", and, and.Args[0], and.Args[1])

	_, err := sigma.ParseCondition("selection and (filter or")
	fmt.Println(err)
	// Output:
	// *sigma.And *sigma.Of *sigma.Not
	// :1:25: unexpected end of condition: want a search identifier, not, 1 of, all of or (
}
