// Package triage measures what happens after detection on the
// simulator's breach (internal/breachtest): grouping its alerts into
// incidents, and the scope report of the breach incident, each next to a
// floor measured in the same run on the same store — writing as many
// records as the grouping writes, and reading the same events with plain
// searches.
//
//	go test ./bench/triage -bench . -count 3 -run '^$'
package triage

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/breachtest"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/scope"
	"github.com/vigie-sec/vigie/internal/store"
)

// BenchmarkGroup groups the breach's alerts, one batch per alert as live
// detection delivers them at worst, into a fresh manager each time.
func BenchmarkGroup(b *testing.B) {
	br := breachtest.Load(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m, err := incident.New(incident.Config{}, incident.Deps{Records: prefixed{br.Store, strconv.Itoa(i)}, Audit: br.Store, Evidence: br.Store})
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range br.Alerts {
			if _, err := m.Add(ctx, []*event.Event{a}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(br.Alerts))*float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkRecordFloor writes one record per alert: the durable write
// that grouping does at least once per batch.
func BenchmarkRecordFloor(b *testing.B) {
	br := breachtest.Load(b)
	ctx := context.Background()
	body := []byte(`{"id":1,"title":"x"}`)
	b.ResetTimer()
	for b.Loop() {
		for i := range br.Alerts {
			if err := br.Store.PutRecord(ctx, store.Record{Kind: "floor", ID: strconv.Itoa(i), Body: body}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(br.Alerts))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// breachSubject groups the alerts once and returns the scope subject of
// the incident naming the compromised account, as the API builds it.
func breachSubject(b *testing.B, br *breachtest.Breach) scope.Subject {
	ctx := context.Background()
	m, err := incident.New(incident.Config{}, incident.Deps{Records: br.Store, Audit: br.Store, Evidence: br.Store})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Add(ctx, br.Alerts); err != nil {
		b.Fatal(err)
	}
	i := slices.IndexFunc(m.List(incident.Filter{}), func(inc *incident.Incident) bool {
		return inc.Entity(event.UserName, br.Truth.Breach.Account.UserName) != nil
	})
	if i < 0 {
		b.Fatal("no incident names the compromised account")
	}
	subj, err := api.ScopeSubject(ctx, br.Store, m.List(incident.Filter{})[i], br.Truth.End)
	if err != nil {
		b.Fatal(err)
	}
	return subj
}

// BenchmarkScope builds the breach incident's scope report.
func BenchmarkScope(b *testing.B) {
	br := breachtest.Load(b)
	subj := breachSubject(b, br)
	ctx := context.Background()
	var read int
	b.ResetTimer()
	for b.Loop() {
		rep, err := scope.Build(ctx, br.Store, subj, scope.Config{Now: func() time.Time { return br.Truth.End }})
		if err != nil {
			b.Fatal(err)
		}
		read = rep.EventsRead
	}
	b.ReportMetric(float64(read), "events-read")
}

// BenchmarkScopeFloor reads the events of the subject's accounts, hosts
// and addresses over the scope window with plain paged searches: the
// store's share of a scope report.
func BenchmarkScopeFloor(b *testing.B) {
	br := breachtest.Load(b)
	subj := breachSubject(b, br)
	ctx := context.Background()
	var ors []query.Expr
	for _, v := range subj.Accounts {
		ors = append(ors, &query.Term{Field: event.UserName, Value: v})
	}
	for _, v := range subj.Hosts {
		ors = append(ors, &query.Term{Field: event.HostName, Value: v})
	}
	for _, v := range subj.Addresses {
		ors = append(ors, &query.Term{Field: event.SourceIP, Value: v}, &query.Term{Field: event.DestinationIP, Value: v})
	}
	var read int
	b.ResetTimer()
	for b.Loop() {
		q := store.Query{Expr: &query.Or{Operands: ors}, From: subj.From.Add(-7 * 24 * time.Hour), To: subj.To, Limit: store.MaxLimit}
		read = 0
		for {
			evs, err := br.Store.Search(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			read += len(evs)
			if len(evs) < store.MaxLimit {
				break
			}
			q.Before = evs[len(evs)-1].ID
		}
	}
	b.ReportMetric(float64(read), "events-read")
}

// prefixed keeps each benchmark iteration's incidents apart in one store.
type prefixed struct {
	store.Records
	prefix string
}

func (p prefixed) PutRecord(ctx context.Context, r store.Record) error {
	r.Kind = p.prefix + "/" + r.Kind
	return p.Records.PutRecord(ctx, r)
}

func (p prefixed) PutRecords(ctx context.Context, rs []store.Record) error {
	for i := range rs {
		rs[i].Kind = p.prefix + "/" + rs[i].Kind
	}
	return p.Records.PutRecords(ctx, rs)
}

func (p prefixed) GetRecord(ctx context.Context, kind, id string) (store.Record, error) {
	return p.Records.GetRecord(ctx, p.prefix+"/"+kind, id)
}

func (p prefixed) ListRecords(ctx context.Context, kind string) ([]store.Record, error) {
	return p.Records.ListRecords(ctx, p.prefix+"/"+kind)
}
