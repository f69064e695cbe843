package scope

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/store"
)

// transferSet gathers outbound traffic of the involved entities.
type transferSet struct {
	window map[string]*flowAgg // by kind and destination
	// daily and active hold each involved source address's bytes to
	// outside addresses per day before the window, and the days it had
	// any traffic at all.
	daily   map[string]map[int]int64
	active  map[string]map[int]bool
	domains map[string]string // outside address → a name it was reached by
}

type flowAgg struct {
	Transfer
	sources map[string]int64 // bytes per source
	account string           // the account, for cloud and S3 transfers
	own     string           // the AWS account shared from
}

// maxSources bounds the sources kept per destination.
const maxSources = 50

func (ts *transferSet) init() {
	if ts.window == nil {
		ts.window = map[string]*flowAgg{}
		ts.daily = map[string]map[int]int64{}
		ts.active = map[string]map[int]bool{}
		ts.domains = map[string]string{}
	}
}

// agg finds or makes the aggregate of kind to dest; nil past the bound.
func (b *builder) agg(kind, dest string) *flowAgg {
	ts := &b.transfers
	k := kind + "\x00" + dest
	if a, ok := ts.window[k]; ok {
		return a
	}
	if len(ts.window) >= b.cfg.MaxDestinations {
		b.rep.Truncated.Destinations = true
		return nil
	}
	a := &flowAgg{Transfer: Transfer{Kind: kind, Destination: dest}, sources: map[string]int64{}}
	ts.window[k] = a
	return a
}

func (a *flowAgg) add(source string, bytes int64, t time.Time, conns, objects int) {
	if a.Connections == 0 && a.Objects == 0 && a.Bytes == 0 {
		a.First, a.Last = t, t
	}
	a.Bytes += bytes
	a.Connections += conns
	a.Objects += objects
	a.First, a.Last = minTime(a.First, t), maxTime(a.Last, t)
	if _, ok := a.sources[source]; ok || len(a.sources) < maxSources {
		a.sources[source] += bytes
	}
}

func number(ev *event.Event, name string) int64 {
	n, err := strconv.ParseInt(get(ev, name), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// day numbers the days before the window: 0 is the last day before From.
func (b *builder) day(t time.Time) int { return int(b.from.Sub(t) / (24 * time.Hour)) }

// seeTraffic takes an event of the scan for the transfers section.
func (b *builder) seeTraffic(ev *event.Event) {
	ts := &b.transfers
	ts.init()
	src, dst := get(ev, event.SourceIP), get(ev, event.DestinationIP)
	inWindow := !ev.Time.Before(b.from)
	b.seeDomains(ev, dst)
	_, srcInvolved := b.addrs[src]
	switch {
	case get(ev, event.SourceBytes) != "" && src != "" && dst != "":
		// A flow record: Zeek conn, a firewall.
		if !srcInvolved || !b.internal(src) {
			return
		}
		if !inWindow {
			d := b.day(ev.Time)
			if ts.active[src] == nil {
				ts.active[src], ts.daily[src] = map[int]bool{}, map[int]int64{}
			}
			ts.active[src][d] = true
			if !b.internal(dst) {
				ts.daily[src][d] += number(ev, event.SourceBytes)
			}
			return
		}
		if b.internal(dst) {
			return
		}
		if a := b.agg(TransferNetwork, dst); a != nil {
			a.add(src, number(ev, event.SourceBytes), ev.Time, 1, 0)
		}
	case get(ev, event.URLDomain) != "" && get(ev, "http.request.body.bytes") != "" && get(ev, event.EventModule) != "zeek":
		// A proxy's request (Zeek's http.log is counted by its conn.log).
		if !inWindow || !srcInvolved || !b.internal(src) || (dst != "" && b.internal(dst)) {
			return
		}
		if a := b.agg(TransferNetwork, firstOf(dst, get(ev, event.URLDomain))); a != nil {
			a.Domain = firstOf(a.Domain, get(ev, event.URLDomain))
			a.add(src, number(ev, "http.request.body.bytes"), ev.Time, 1, 0)
		}
	}
	if !inWindow || ev.Time.After(b.to) || src == "" || b.internal(src) || !isAddress(src) {
		return
	}
	acct := get(ev, event.UserName)
	_, acctInvolved := b.accounts[accountKey(acct)]
	if !acctInvolved && !srcInvolved {
		return
	}
	action := get(ev, event.EventAction)
	ok := get(ev, event.EventOutcome) != event.OutcomeFailure
	switch {
	case get(ev, event.EventProvider) == "s3.amazonaws.com" && action == "GetObject" && ok:
		if a := b.agg(TransferS3, src); a != nil {
			a.account = acct
			a.add(acct, number(ev, "additionalEventData.bytesTransferredOut"), ev.Time, 1, 1)
		}
	case get(ev, event.EventDataset) == "o365.audit" && cloudDownloads[action] && ok:
		if a := b.agg(TransferCloud, src); a != nil {
			a.account = acct
			a.add(acct, number(ev, "FileSizeBytes"), ev.Time, 1, 1)
		}
	}
	if get(ev, event.EventDataset) == "aws.cloudtrail" && ok {
		own := get(ev, event.CloudAccountID)
		for _, r := range shareRecipients(ev) {
			if r == own {
				continue
			}
			dest := "aws-account:" + r
			if r == "all" {
				dest = "public"
			}
			if a := b.agg(TransferShare, dest); a != nil {
				a.own = own
				a.add(acct, 0, ev.Time, 1, 1)
			}
		}
	}
}

// seeDomains remembers the names outside addresses were reached by: DNS
// answers, TLS server names, HTTP hosts.
func (b *builder) seeDomains(ev *event.Event, dst string) {
	ts := &b.transfers
	remember := func(ip, name string) {
		if ip == "" || name == "" || b.internal(ip) || !isAddress(ip) {
			return
		}
		if _, ok := ts.domains[ip]; ok || len(ts.domains) < b.cfg.MaxDestinations {
			ts.domains[ip] = strings.ToLower(name)
		}
	}
	if q := get(ev, event.DNSQuestionName); q != "" {
		for _, a := range ev.Values("dns.answers.data") {
			remember(a.Value, q)
		}
	}
	remember(dst, firstOf(get(ev, "tls.client.server_name"), get(ev, event.URLDomain)))
}

// judgeTransfers gives each transfer its baseline, history and verdict.
func (b *builder) judgeTransfers(ctx context.Context) error {
	ts := &b.transfers
	ts.init()
	aggs := make([]*flowAgg, 0, len(ts.window))
	for _, a := range ts.window {
		aggs = append(aggs, a)
	}
	slices.SortFunc(aggs, func(x, y *flowAgg) int {
		return cmp.Or(cmp.Compare(y.Bytes, x.Bytes), cmp.Compare(y.Objects, x.Objects), strings.Compare(x.Destination, y.Destination))
	})
	// History is looked up for the largest only: the rest are small.
	lookups := 4 * b.cfg.MaxTransfers
	for _, a := range aggs {
		a.Sources = sortedKeys(a.sources)
		if a.Domain == "" {
			a.Domain = ts.domains[a.Destination]
		}
		candidate := a.Bytes >= b.cfg.UnusualBytes || a.Kind != TransferNetwork
		if !candidate || lookups == 0 {
			a.Verdict, a.Reason = Normal, b.describe(a, "")
			continue
		}
		lookups--
		if err := b.judge(ctx, a); err != nil {
			return err
		}
	}
	slices.SortFunc(aggs, func(x, y *flowAgg) int {
		return cmp.Or(cmp.Compare(severity(y.Verdict), severity(x.Verdict)), cmp.Compare(y.Bytes, x.Bytes),
			cmp.Compare(y.Objects, x.Objects), strings.Compare(x.Destination, y.Destination))
	})
	b.rep.Transfers = []Transfer{}
	for i, a := range aggs {
		if i == b.cfg.MaxTransfers {
			b.rep.Truncated.Transfers = true
			break
		}
		b.rep.Transfers = append(b.rep.Transfers, a.Transfer)
	}
	return nil
}

func severity(v string) int {
	switch v {
	case LikelyExfiltration:
		return 2
	case Unusual:
		return 1
	}
	return 0
}

// judge decides one transfer.
func (b *builder) judge(ctx context.Context, a *flowAgg) error {
	switch a.Kind {
	case TransferShare:
		a.NeverContacted = true
		a.Verdict = LikelyExfiltration
		a.Reason = fmt.Sprintf("%d snapshot or image shares from AWS account %s to %s, outside that account", a.Objects, a.own, strings.TrimPrefix(a.Destination, "aws-account:"))
		return nil
	case TransferCloud, TransferS3:
		expr := allOf(&query.Term{Field: event.SourceIP, Value: a.Destination}, &query.Term{Field: event.UserName, Value: a.account})
		n, err := b.s.Count(ctx, store.Query{Expr: expr, To: b.from})
		if err != nil {
			return err
		}
		a.NeverContacted = n == 0
		many := a.Objects >= b.cfg.ExfilDownloads || a.Bytes >= b.cfg.ExfilBytes
		switch {
		case many && a.NeverContacted:
			a.Verdict = LikelyExfiltration
		case many || a.NeverContacted:
			a.Verdict = Unusual
		default:
			a.Verdict = Normal
		}
		note := fmt.Sprintf("an address %s had used before", a.account)
		if a.NeverContacted {
			note = fmt.Sprintf("an address %s never used before", a.account)
		}
		a.Reason = b.describe(a, note)
		return nil
	}
	// Network: the main source's usual day, and whether anyone went there.
	main := ""
	for s, n := range a.sources {
		if main == "" || n > a.sources[main] || (n == a.sources[main] && s < main) {
			main = s
		}
	}
	var days []int64
	for d := range b.transfers.active[main] {
		days = append(days, b.transfers.daily[main][d])
	}
	slices.Sort(days)
	a.BaselineDays = len(days)
	if len(days) > 0 {
		a.BaselineDailyBytes = days[len(days)/2]
	}
	field := event.DestinationIP
	if !isAddress(a.Destination) {
		field = event.URLDomain
	}
	n, err := b.s.Count(ctx, store.Query{Expr: &query.Term{Field: field, Value: a.Destination}, To: b.from})
	if err != nil {
		return err
	}
	a.NeverContacted = n == 0
	var notes []string
	if a.NeverContacted {
		notes = append(notes, "never contacted before")
	}
	ratio := 0.0
	if a.BaselineDailyBytes > 0 {
		ratio = float64(a.Bytes) / float64(a.BaselineDailyBytes)
	}
	noHistory := a.BaselineDays == 0
	switch {
	case noHistory:
		notes = append(notes, fmt.Sprintf("no traffic from %s in the %s before the window to compare with", b.addressName(main), human(b.cfg.Baseline)))
	case a.BaselineDailyBytes == 0:
		notes = append(notes, fmt.Sprintf("%s sent nothing outside on a usual day (median of %d days)", b.addressName(main), a.BaselineDays))
	default:
		notes = append(notes, fmt.Sprintf("%s× %s's daily median of %s (%d days)", ratioText(ratio), b.addressName(main), bytesText(a.BaselineDailyBytes), a.BaselineDays))
	}
	odd := a.NeverContacted || noHistory || a.BaselineDailyBytes == 0 || ratio >= b.cfg.UnusualFactor
	switch {
	case a.Bytes >= b.cfg.ExfilBytes && odd:
		a.Verdict = LikelyExfiltration
	case a.Bytes >= b.cfg.UnusualBytes && odd:
		a.Verdict = Unusual
	default:
		a.Verdict = Normal
	}
	a.Reason = b.describe(a, strings.Join(notes, ", "))
	return nil
}

// describe says what went where, and note.
func (b *builder) describe(a *flowAgg, note string) string {
	dest := a.Destination
	if a.Domain != "" {
		dest += " (" + a.Domain + ")"
	}
	var s string
	switch a.Kind {
	case TransferCloud:
		s = fmt.Sprintf("%d files downloaded from Microsoft 365 by %s to %s", a.Objects, a.account, dest)
	case TransferS3:
		s = fmt.Sprintf("%d S3 objects (%s) read by %s from %s", a.Objects, bytesText(a.Bytes), a.account, dest)
	default:
		var from []string
		for _, src := range a.Sources {
			from = append(from, b.addressName(src))
		}
		s = fmt.Sprintf("%s to %s in %d connections from %s", bytesText(a.Bytes), dest, a.Connections, strings.Join(from, ", "))
	}
	if note != "" {
		s += ", " + note
	}
	return s
}

func ratioText(r float64) string {
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

// bytesText writes a byte count in decimal units: 3.2 GB.
func bytesText(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
