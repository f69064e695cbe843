package correlate

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
)

var t0 = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// detection returns a base rule named name.
func detection(name string) *sigma.Rule {
	return &sigma.Rule{File: name + ".yml", Pos: sigma.Pos{Line: 1, Col: 1}, ID: name + "-id", Name: name, Title: name, Detection: &sigma.Detection{}}
}

// correlationRule returns a correlation rule named name.
func correlationRule(name string, c sigma.Correlation) *sigma.Rule {
	return &sigma.Rule{File: name + ".yml", Pos: sigma.Pos{Line: 1, Col: 1}, Kind: sigma.KindCorrelation, ID: name + "-id", Name: name, Title: name, Correlation: &c}
}

func gte(n float64) []sigma.Threshold { return []sigma.Threshold{{Op: "gte", Value: n}} }

// in is one match fed to the engine: rule name, offset from t0, fields
// as "k=v k=v", and ref. A rule "advance" calls Advance(t0+at) instead.
type in struct {
	rule   string
	at     time.Duration
	fields string
	ref    string
}

// out is a Hit in a form that reads well in a table.
type out struct {
	Rule        string
	Group       string
	First, Last time.Duration
	Value       float64
	Refs        string
	Truncated   int
}

func toOut(h Hit) out {
	var g []string
	for _, kv := range h.Group {
		g = append(g, kv.Name+"="+kv.Value)
	}
	return out{
		Rule: h.Rule.Title, Group: strings.Join(g, " "),
		First: h.First.Sub(t0), Last: h.Last.Sub(t0),
		Value: h.Value, Refs: strings.Join(h.Refs, " "), Truncated: h.Truncated,
	}
}

func makeEvent(at time.Duration, fields string) *event.Event {
	ev := &event.Event{Time: t0.Add(at)}
	for _, kv := range strings.Fields(fields) {
		k, v, _ := strings.Cut(kv, "=")
		ev.Add(k, v)
	}
	ev.Sort()
	return ev
}

func rulesByName(rules []*sigma.Rule) map[string]*sigma.Rule {
	m := map[string]*sigma.Rule{}
	for _, r := range rules {
		m[r.Name] = r
	}
	return m
}

// feed runs inputs through e and returns every hit, Flush included.
func feed(t *testing.T, e *Engine, rules []*sigma.Rule, inputs []in, flush bool) []out {
	t.Helper()
	byName := rulesByName(rules)
	var got []out
	for _, x := range inputs {
		var hits []Hit
		if x.rule == "advance" {
			hits = e.Advance(t0.Add(x.at))
		} else {
			r := byName[x.rule]
			if r == nil {
				t.Fatalf("no rule %q", x.rule)
			}
			hits = e.Observe(r, makeEvent(x.at, x.fields), x.ref)
		}
		for _, h := range hits {
			got = append(got, toOut(h))
		}
	}
	if flush {
		for _, h := range e.Flush() {
			got = append(got, toOut(h))
		}
	}
	return got
}

func run(t *testing.T, rules []*sigma.Rule, cfg Config, inputs []in) ([]out, Stats) {
	t.Helper()
	e, err := New(rules, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := feed(t, e, rules, inputs, true)
	return got, e.Stats()
}

// every returns n matches of rule, from start, step apart, refs prefix1...
func every(rule string, start, step time.Duration, n int, fields, prefix string) []in {
	var ins []in
	for i := range n {
		ins = append(ins, in{rule, start + time.Duration(i)*step, fields, prefix + itoa(i+1)})
	}
	return ins
}

func itoa(i int) string { return strconv.Itoa(i) }

func concat(parts ...[]in) []in {
	var all []in
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func TestTypes(t *testing.T) {
	failed := detection("failed_login")
	reconA, reconB, reconC := detection("recon_cmd_a"), detection("recon_cmd_b"), detection("recon_cmd_c")
	web := detection("website_access")
	proc := detection("process_creation")
	s := time.Second
	tests := []struct {
		name   string
		corr   sigma.Correlation
		inputs []in
		want   []out
	}{
		{
			name: "event_count",
			corr: sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login-id"}, GroupBy: []string{"ComputerName"}, Timespan: time.Hour, Condition: gte(3)},
			inputs: concat(
				every("failed_login", 0, 10*s, 2, "ComputerName=h1", "a"),
				every("failed_login", 5*s, 10*s, 3, "ComputerName=h2", "b"),
				every("failed_login", 2*time.Hour, 10*s, 2, "ComputerName=h1", "c"),
			),
			want: []out{{Rule: "c", Group: "ComputerName=h2", First: 5 * s, Last: 25 * s, Value: 3, Refs: "b1 b2 b3"}},
		},
		{
			name: "value_count",
			corr: sigma.Correlation{Type: sigma.ValueCount, Rules: []string{"failed_login"}, GroupBy: []string{"ComputerName", "WorkstationName"}, Timespan: 24 * time.Hour, Field: "User", Condition: gte(3)},
			inputs: []in{
				{"failed_login", 0, "ComputerName=h1 WorkstationName=w1 User=u1", "1"},
				{"failed_login", s, "ComputerName=h1 WorkstationName=w1 User=u1", "2"},
				{"failed_login", 2 * s, "ComputerName=h1 WorkstationName=w2 User=u2", "3"},
				{"failed_login", 3 * s, "ComputerName=h1 WorkstationName=w1 User=u2", "4"},
				{"failed_login", 4 * s, "ComputerName=h1 WorkstationName=w1", "5"},
				{"failed_login", 5 * s, "ComputerName=h1 WorkstationName=w1 User=u3", "6"},
			},
			want: []out{{Rule: "c", Group: "ComputerName=h1 WorkstationName=w1", First: 0, Last: 5 * s, Value: 3, Refs: "1 2 4 5 6"}},
		},
		{
			name: "temporal",
			corr: sigma.Correlation{Type: sigma.Temporal, Rules: []string{"recon_cmd_a", "recon_cmd_b", "recon_cmd_c"}, GroupBy: []string{"ComputerName", "User"}, Timespan: 5 * time.Minute},
			inputs: []in{
				{"recon_cmd_c", 0, "ComputerName=h1 User=u", "1"},
				{"recon_cmd_a", 60 * s, "ComputerName=h1 User=u", "2"},
				{"recon_cmd_a", 61 * s, "ComputerName=h1 User=v", "3"},
				{"recon_cmd_b", 120 * s, "ComputerName=h1 User=u", "4"},
				{"recon_cmd_b", 130 * s, "ComputerName=h1 User=v", "5"},
				{"recon_cmd_c", 400 * s, "ComputerName=h1 User=v", "6"},
			},
			want: []out{{Rule: "c", Group: "ComputerName=h1 User=u", First: 0, Last: 120 * s, Value: 3, Refs: "1 2 4"}},
		},
		{
			name: "temporal_ordered",
			corr: sigma.Correlation{Type: sigma.TemporalOrdered, Rules: []string{"recon_cmd_a", "recon_cmd_b", "recon_cmd_c"}, GroupBy: []string{"ComputerName", "User"}, Timespan: 5 * time.Minute},
			inputs: []in{
				// u: c, b, a: wrong order. v: b, a, c, b, c: in order from a.
				{"recon_cmd_c", 0, "ComputerName=h1 User=u", "1"},
				{"recon_cmd_b", s, "ComputerName=h1 User=u", "2"},
				{"recon_cmd_a", 2 * s, "ComputerName=h1 User=u", "3"},
				{"recon_cmd_b", 10 * s, "ComputerName=h1 User=v", "4"},
				{"recon_cmd_a", 11 * s, "ComputerName=h1 User=v", "5"},
				{"recon_cmd_c", 12 * s, "ComputerName=h1 User=v", "6"},
				{"recon_cmd_b", 13 * s, "ComputerName=h1 User=v", "7"},
				{"recon_cmd_c", 14 * s, "ComputerName=h1 User=v", "8"},
			},
			want: []out{{Rule: "c", Group: "ComputerName=h1 User=v", First: 11 * s, Last: 14 * s, Value: 3, Refs: "5 6 7 8"}},
		},
		{
			name: "value_sum",
			corr: sigma.Correlation{Type: sigma.ValueSum, Rules: []string{"website_access"}, GroupBy: []string{"SourceIP", "User"}, Timespan: time.Hour, Field: "bytes_sent", Condition: []sigma.Threshold{{Op: "gt", Value: 1000000}}},
			inputs: []in{
				{"website_access", 0, "SourceIP=10.0.0.1 User=u bytes_sent=600000", "1"},
				{"website_access", s, "SourceIP=10.0.0.1 User=u bytes_sent=n/a", "2"},
				{"website_access", 2 * s, "SourceIP=10.0.0.1 User=u bytes_sent=400000", "3"},
				{"website_access", 3 * s, "SourceIP=10.0.0.1 User=u bytes_sent=0.5", "4"},
			},
			want: []out{{Rule: "c", Group: "SourceIP=10.0.0.1 User=u", First: 0, Last: 3 * s, Value: 1000000.5, Refs: "1 2 3 4"}},
		},
		{
			name: "value_avg",
			corr: sigma.Correlation{Type: sigma.ValueAvg, Rules: []string{"website_access"}, GroupBy: []string{"SourceIP", "User"}, Timespan: 24 * time.Hour, Field: "BytesOut", Condition: []sigma.Threshold{{Op: "gt", Value: 500}}},
			inputs: []in{
				{"website_access", 0, "SourceIP=a User=u BytesOut=400", "1"},
				{"website_access", s, "SourceIP=a User=u", "2"},
				{"website_access", 2 * s, "SourceIP=a User=u BytesOut=500", "3"},
				{"website_access", 3 * s, "SourceIP=a User=u BytesOut=700", "4"},
			},
			want: []out{{Rule: "c", Group: "SourceIP=a User=u", First: 0, Last: 3 * s, Value: 1600.0 / 3, Refs: "1 2 3 4"}},
		},
		{
			name: "value_percentile",
			corr: sigma.Correlation{Type: sigma.ValuePercentile, Rules: []string{"process_creation"}, GroupBy: []string{"ComputerName"}, Timespan: 24 * time.Hour, Field: "Image", Condition: []sigma.Threshold{{Op: "lte", Value: 1}}},
			inputs: concat(
				every("process_creation", 0, s, 98, "ComputerName=h1 Image=cmd.exe", "c"),
				[]in{
					{"process_creation", 200 * s, "ComputerName=h1 Image=evil.exe", "e1"},
					{"process_creation", 201 * s, "ComputerName=h1 Image=rare.exe", "r1"},
					{"process_creation", 202 * s, "ComputerName=h1", "x"},
					{"process_creation", 203 * s, "ComputerName=h2 Image=evil.exe", "h2"},
					{"advance", 25 * time.Hour, "", ""},
				},
			),
			want: []out{
				{Rule: "c", Group: "ComputerName=h1 Image=evil.exe", First: 200 * s, Last: 200 * s, Value: 1, Refs: "e1"},
				{Rule: "c", Group: "ComputerName=h1 Image=rare.exe", First: 201 * s, Last: 201 * s, Value: 1, Refs: "r1"},
			},
		},
		{
			name: "event_count lt at window close",
			corr: sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Timespan: time.Minute, Condition: []sigma.Threshold{{Op: "lt", Value: 3}}},
			inputs: []in{
				{"failed_login", 0, "User=a", "a1"},
				{"failed_login", 10 * s, "User=b", "b1"},
				{"failed_login", 20 * s, "User=b", "b2"},
				{"failed_login", 30 * s, "User=b", "b3"},
				{"failed_login", 60 * s, "User=a", "a2"},
				{"failed_login", 61 * s, "User=a", "a3"},
				// The window of a is [0s, 60s]: closed by the watermark
				// passing 60s + 1m lateness.
				{"advance", 121 * s, "", ""},
				{"failed_login", 121 * s, "User=c", "c1"},
			},
			want: []out{
				{Rule: "c", Group: "User=a", First: 0, Last: 60 * s, Value: 2, Refs: "a1 a2"},
				// a3 opened a new window, decided at Flush, as is c's.
				{Rule: "c", Group: "User=a", First: 61 * s, Last: 61 * s, Value: 1, Refs: "a3"},
				{Rule: "c", Group: "User=c", First: 121 * s, Last: 121 * s, Value: 1, Refs: "c1"},
			},
		},
		{
			name: "range gt and lte",
			corr: sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Timespan: time.Minute, Condition: []sigma.Threshold{{Op: "gt", Value: 1}, {Op: "lte", Value: 2}}},
			inputs: concat(
				every("failed_login", 0, s, 1, "User=a", "a"),
				every("failed_login", 0, s, 2, "User=b", "b"),
				every("failed_login", 0, s, 3, "User=c", "c"),
			),
			want: []out{{Rule: "c", Group: "User=b", First: 0, Last: s, Value: 2, Refs: "b1 b2"}},
		},
		{
			name: "timespan 0 gte fires once per group",
			corr: sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Condition: gte(2)},
			inputs: concat(
				every("failed_login", 0, time.Hour, 2, "User=a", "a"),
				every("failed_login", 48*time.Hour, time.Hour, 5, "User=a", "x"),
			),
			want: []out{{Rule: "c", Group: "User=a", First: 0, Last: time.Hour, Value: 2, Refs: "a1 a2"}},
		},
		{
			name: "timespan 0 lte decided at Flush",
			corr: sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Condition: []sigma.Threshold{{Op: "lte", Value: 1}}},
			inputs: concat(
				every("failed_login", 0, 24*time.Hour, 1, "User=b", "b"),
				every("failed_login", 0, 24*time.Hour, 2, "User=a", "a"),
				[]in{{"advance", 1000 * time.Hour, "", ""}},
			),
			want: []out{{Rule: "c", Group: "User=b", First: 0, Last: 0, Value: 1, Refs: "b1"}},
		},
		{
			name: "missing group-by field groups under empty value",
			corr: sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User", "Host"}, Timespan: time.Minute, Condition: gte(2)},
			inputs: []in{
				{"failed_login", 0, "Host=h", "1"},
				{"failed_login", s, "Host=h User=", "2"},
			},
			want: []out{{Rule: "c", Group: "User= Host=h", First: 0, Last: s, Value: 2, Refs: "1 2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := correlationRule("c", tt.corr)
			rules := []*sigma.Rule{failed, reconA, reconB, reconC, web, proc, c}
			got, _ := run(t, rules, Config{}, tt.inputs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
		})
	}
}
