package query_test

import (
	"errors"
	"fmt"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
)

func ExampleParse() {
	e, err := query.Parse(`event.code:4625 -user.name:"ANONYMOUS LOGON" source.ip:10.0.0.* OR port:>=1024`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e)
	fmt.Println(query.Fields(e))
	// Output:
	// ((event.code:4625 AND (NOT user.name:"ANONYMOUS LOGON") AND source.ip:10.0.0.*) OR port:>=1024)
	// [event.code port source.ip user.name]
}

func ExampleParse_error() {
	_, err := query.Parse(`user.name:(admin OR root`)
	var se *query.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Pos, se.Msg)
	}
	fmt.Println(errors.Is(err, query.ErrSyntax))
	// Output:
	// 10 missing ')' to close this '('
	// true
}

func ExampleCompile() {
	e, err := query.Parse(`"failed password" AND user.name:ROOT AND NOT source.ip:10.*`)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := query.Compile(e)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ip := range []string{"203.0.113.9", "10.0.0.1"} {
		ev := &event.Event{}
		ev.Add(event.Message, "Failed password for root from "+ip+" port 22 ssh2")
		ev.Add(event.UserName, "root")
		ev.Add(event.SourceIP, ip)
		ev.Sort()
		fmt.Println(ip, m.Match(ev))
	}
	// Output:
	// 203.0.113.9 true
	// 10.0.0.1 false
}
