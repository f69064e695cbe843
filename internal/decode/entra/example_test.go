package entra_test

import (
	"fmt"

	"github.com/vigie-sec/vigie/internal/decode/entra"
	"github.com/vigie-sec/vigie/internal/event"
)

func ExampleDecodeRecord() {
	rec := []byte(`{"id":"1","createdDateTime":"2024-05-06T08:17:02Z","userPrincipalName":"adelev@contoso.example",` +
		`"ipAddress":"203.0.113.77","conditionalAccessStatus":"notApplied",` +
		`"status":{"errorCode":50126,"failureReason":"Invalid username or password."},"location":{"countryOrRegion":"FR"}}`)
	var e event.Event
	if err := entra.DecodeRecord(rec, &e); err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"event.category", "event.outcome", "user.name", "source.ip", "source.geo.country_iso_code", "error.code", "status.errorCode"} {
		v, _ := e.Get(name)
		fmt.Printf("%s=%s\n", name, v)
	}
	fmt.Println(e.Time)
	// Output:
	// event.category=authentication
	// event.outcome=failure
	// user.name=adelev@contoso.example
	// source.ip=203.0.113.77
	// source.geo.country_iso_code=FR
	// error.code=50126
	// status.errorCode=50126
	// 2024-05-06 08:17:02 +0000 UTC
}
