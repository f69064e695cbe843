package m365_test

import (
	"fmt"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/m365"
)

func ExampleDecoder() {
	export := "RecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\n" +
		`1,2024-05-06T08:17:02,15,UserLoginFailed,meganb@contoso.example,"{""CreationTime"":""2024-05-06T08:17:02"",` +
		`""Operation"":""UserLoginFailed"",""RecordType"":15,""ResultStatus"":""Success"",""Workload"":""AzureActiveDirectory"",` +
		`""UserId"":""meganb@contoso.example"",""ClientIP"":""203.0.113.77:53422"",""LogonError"":""InvalidUserNameOrPassword""}"` + "\r\n"
	var c decode.Collect
	if err := (m365.Decoder{}).Decode(strings.NewReader(export), &c); err != nil {
		fmt.Println(err)
		return
	}
	e := c.Events[0]
	for _, name := range []string{"event.action", "event.category", "event.outcome", "user.name", "source.ip", "error.message", "RecordId"} {
		v, _ := e.Get(name)
		fmt.Printf("%s=%s\n", name, v)
	}
	// Output:
	// event.action=UserLoginFailed
	// event.category=authentication
	// event.outcome=failure
	// user.name=meganb@contoso.example
	// source.ip=203.0.113.77
	// error.message=InvalidUserNameOrPassword
	// RecordId=1
}
