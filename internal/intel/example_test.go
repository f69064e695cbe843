package intel_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/intel"
)

func Example() {
	feed := "type,value,confidence\ndomain,Evil.Example,90\ncidr,203.0.113.0/24,40\n"
	rep, err := intel.ParseCSV(strings.NewReader(feed), "cert.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	m := intel.Compile(rep.Indicators)
	ev := &event.Event{Time: time.Now()}
	ev.Add("dns.question.name", "cdn.evil.example")
	ev.Add("source.ip", "203.0.113.9")
	ev.Sort()
	for _, h := range m.Match(ev, nil) {
		fmt.Println(h.Field, h.Value, "→", h.Indicator.ID, intel.Level(h.Indicator.Confidence))
	}
	// Output:
	// dns.question.name cdn.evil.example → domain:evil.example high
	// source.ip 203.0.113.9 → cidr:203.0.113.0/24 low
}
