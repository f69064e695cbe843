package correlate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/sigma"
)

func TestBurstFiresOncePerTimespan(t *testing.T) {
	s := time.Second
	failed := detection("failed_login")
	c := correlationRule("c", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Timespan: time.Minute, Condition: gte(3)})
	rules := []*sigma.Rule{failed, c}
	tests := []struct {
		name   string
		inputs []in
		want   []out
	}{
		{
			// Ten matches in 5s: one hit, on the third.
			name:   "short burst",
			inputs: every("failed_login", 0, 500*time.Millisecond, 10, "User=a", "a"),
			want:   []out{{Rule: "c", Group: "User=a", First: 0, Last: s, Value: 3, Refs: "a1 a2 a3"}},
		},
		{
			// A match every 10s for 200s: a hit at 20s, then quiet while
			// t ≤ 20s + 1m; at 90s the window [30s, 90s] holds only later
			// matches and fires again, and so on.
			name:   "sustained burst",
			inputs: every("failed_login", 0, 10*s, 21, "User=a", "a"),
			want: []out{
				{Rule: "c", Group: "User=a", First: 0, Last: 20 * s, Value: 3, Refs: "a1 a2 a3"},
				{Rule: "c", Group: "User=a", First: 30 * s, Last: 90 * s, Value: 7, Refs: "a4 a5 a6 a7 a8 a9 a10"},
				{Rule: "c", Group: "User=a", First: 100 * s, Last: 160 * s, Value: 7, Refs: "a11 a12 a13 a14 a15 a16 a17"},
			},
		},
		{
			// Two bursts more than a timespan apart: two hits.
			name: "two bursts",
			inputs: concat(
				every("failed_login", 0, s, 5, "User=a", "a"),
				every("failed_login", 10*time.Minute, s, 5, "User=a", "b"),
			),
			want: []out{
				{Rule: "c", Group: "User=a", First: 0, Last: 2 * s, Value: 3, Refs: "a1 a2 a3"},
				{Rule: "c", Group: "User=a", First: 10 * time.Minute, Last: 10*time.Minute + 2*s, Value: 3, Refs: "b1 b2 b3"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := run(t, rules, Config{}, tt.inputs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvidenceTruncated(t *testing.T) {
	failed := detection("failed_login")
	c := correlationRule("c", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, Timespan: time.Minute, Condition: gte(5)})
	got, _ := run(t, []*sigma.Rule{failed, c}, Config{MaxEvidence: 2}, every("failed_login", 0, time.Second, 5, "", "a"))
	want := []out{{Rule: "c", First: 0, Last: 4 * time.Second, Value: 5, Refs: "a1 a2", Truncated: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
}

// chainRules is the specification's "failed logins followed by successful
// login" example.
func chainRules() []*sigma.Rule {
	outer := correlationRule("Correlation - Multiple Failed Logins Followed by Successful Login", sigma.Correlation{
		Type: sigma.TemporalOrdered, Rules: []string{"multiple_failed_login", "successful_login"},
		GroupBy: []string{"User"}, Timespan: 10 * time.Minute,
	})
	outer.Name = ""
	inner := correlationRule("multiple_failed_login", sigma.Correlation{
		Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"},
		Timespan: 10 * time.Minute, Condition: gte(10),
	})
	return []*sigma.Rule{outer, inner, detection("failed_login"), detection("successful_login")}
}

func chainInputs() []in {
	s := time.Second
	return concat(
		// carol succeeds first, then fails ten times: only the inner rule.
		[]in{{"successful_login", 0, "User=carol", "c0"}},
		every("failed_login", s, s, 10, "User=carol", "c"),
		every("failed_login", 0, s, 10, "User=alice", "a"),
		every("failed_login", 0, s, 5, "User=bob", "b"),
		[]in{
			{"successful_login", 20 * s, "User=bob", "bs"},
			{"successful_login", 20 * s, "User=alice", "as"},
		},
	)
}

func chainWant() []out {
	s := time.Second
	outer := "Correlation - Multiple Failed Logins Followed by Successful Login"
	return []out{
		{Rule: "multiple_failed_login", Group: "User=alice", First: 0, Last: 9 * s, Value: 10, Refs: "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10"},
		{Rule: "multiple_failed_login", Group: "User=carol", First: s, Last: 10 * s, Value: 10, Refs: "c1 c2 c3 c4 c5 c6 c7 c8 c9 c10"},
		{Rule: outer, Group: "User=alice", First: 9 * s, Last: 20 * s, Value: 2, Refs: "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 as"},
	}
}

func TestChain(t *testing.T) {
	rules := chainRules()
	got, _ := run(t, rules, Config{}, sortedInputs(chainInputs()))
	if diff := cmp.Diff(chainWant(), got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	e, _ := New(rules, Config{})
	byName := rulesByName(rules)
	for name, want := range map[string]bool{"failed_login": true, "successful_login": true, "multiple_failed_login": true} {
		if got := e.Referenced(byName[name]); got != want {
			t.Errorf("Referenced(%s) = %v, want %v", name, got, want)
		}
	}
	if e.Referenced(rules[0]) {
		t.Errorf("Referenced(outer) = true, want false")
	}
}

func TestGenerate(t *testing.T) {
	a, b, c := detection("a"), detection("b"), detection("c")
	x := correlationRule("x", sigma.Correlation{Type: sigma.Temporal, Rules: []string{"a", "b"}, Timespan: time.Minute})
	y := correlationRule("y", sigma.Correlation{Type: sigma.Temporal, Rules: []string{"b", "c"}, Timespan: time.Minute, Generate: true})
	e, err := New([]*sigma.Rule{a, b, c, x, y}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for r, want := range map[*sigma.Rule]bool{a: true, b: false, c: false, x: false, y: false} {
		if got := e.Referenced(r); got != want {
			t.Errorf("Referenced(%s) = %v, want %v", r.Name, got, want)
		}
	}
}

func TestAliases(t *testing.T) {
	internalError, newConn := detection("internal_error"), detection("new_network_connection")
	c := correlationRule("c", sigma.Correlation{
		Type: sigma.Temporal, Rules: []string{"internal_error", "new_network_connection"},
		GroupBy: []string{"internal_ip", "remote_ip"}, Timespan: 10 * time.Second,
		Aliases: map[string]map[string]string{
			"internal_ip": {"internal_error": "destination.ip", "new_network_connection": "source.ip"},
			// Keyed by rule id: accepted too.
			"remote_ip": {"internal_error-id": "source.ip", "new_network_connection": "destination.ip"},
		},
	})
	s := time.Second
	inputs := []in{
		{"internal_error", 0, "destination.ip=10.0.0.5 source.ip=1.2.3.4", "e1"},
		// Same addresses on the same sides: another group.
		{"new_network_connection", s, "destination.ip=10.0.0.5 source.ip=1.2.3.4", "n1"},
		{"new_network_connection", 2 * s, "source.ip=10.0.0.5 destination.ip=1.2.3.4", "n2"},
		{"internal_error", 3 * s, "destination.ip=10.0.0.6 source.ip=1.2.3.4", "e2"},
		{"new_network_connection", 20 * s, "source.ip=10.0.0.6 destination.ip=1.2.3.4", "n3"},
	}
	got, _ := run(t, []*sigma.Rule{internalError, newConn, c}, Config{}, inputs)
	want := []out{{Rule: "c", Group: "internal_ip=10.0.0.5 remote_ip=1.2.3.4", First: 0, Last: 2 * s, Value: 2, Refs: "e1 n2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
}

func TestLateDropped(t *testing.T) {
	failed := detection("failed_login")
	c := correlationRule("c", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Timespan: time.Hour, Condition: gte(3)})
	m := time.Minute
	inputs := []in{
		{"failed_login", 5 * m, "User=a", "1"},
		{"failed_login", 3 * m, "User=a", "late"}, // 2m behind: dropped
		{"failed_login", 4 * m, "User=a", "2"},    // exactly Lateness behind: kept
		{"advance", 10 * m, "", ""},               // watermark 10m
		{"failed_login", 8*m + 59*time.Second, "User=a", "late2"},
		{"failed_login", 9 * m, "User=a", "3"},
	}
	got, st := run(t, []*sigma.Rule{failed, c}, Config{Lateness: m}, inputs)
	want := []out{{Rule: "c", Group: "User=a", First: 4 * m, Last: 9 * m, Value: 3, Refs: "2 1 3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if st.Late != 2 {
		t.Errorf("Stats.Late = %d, want 2", st.Late)
	}
}

func TestMaxGroups(t *testing.T) {
	failed := detection("failed_login")
	c := correlationRule("c", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Timespan: time.Hour, Condition: gte(2)})
	s := time.Second
	inputs := []in{
		{"failed_login", 0, "User=u1", "1"},
		{"failed_login", 1 * s, "User=u2", "2"},
		{"failed_login", 2 * s, "User=u1", "3"}, // u1 fires, stays as the newest group
		{"failed_login", 3 * s, "User=u3", "4"}, // evicts u2
		{"failed_login", 4 * s, "User=u2", "5"}, // a new u2: evicts u1
		{"failed_login", 5 * s, "User=u3", "6"},
	}
	got, st := run(t, []*sigma.Rule{failed, c}, Config{MaxGroups: 2}, inputs)
	want := []out{
		{Rule: "c", Group: "User=u1", First: 0, Last: 2 * s, Value: 2, Refs: "1 3"},
		{Rule: "c", Group: "User=u3", First: 3 * s, Last: 5 * s, Value: 2, Refs: "4 6"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if st.Evicted != 2 || st.Groups != 2 {
		t.Errorf("Stats = %+v, want Evicted 2, Groups 2", st)
	}
}

func TestGroupsExpire(t *testing.T) {
	failed := detection("failed_login")
	c := correlationRule("c", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"User"}, Timespan: time.Minute, Condition: gte(5)})
	e, err := New([]*sigma.Rule{failed, c}, Config{Lateness: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, e, []*sigma.Rule{failed, c}, every("failed_login", 0, time.Second, 100, "User=u", "u"), false)
	for i := range 50 {
		e.Observe(failed, makeEvent(time.Minute, fmt.Sprintf("User=x%d", i)), "x")
	}
	e.Advance(t0.Add(3 * time.Minute))
	if st := e.Stats(); st.Groups != 0 || st.Pending != 0 {
		t.Errorf("after idle: Stats = %+v, want no groups or pending", st)
	}
}

// mixedRules exercises every type and a chain over one random stream.
func mixedRules() []*sigma.Rule {
	m := time.Minute
	rules := []*sigma.Rule{detection("a"), detection("b"), detection("c")}
	add := func(name string, c sigma.Correlation) {
		rules = append(rules, correlationRule(name, c))
	}
	add("count", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"a"}, GroupBy: []string{"user"}, Timespan: m, Condition: gte(4)})
	add("count_lt", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"a", "b"}, GroupBy: []string{"host"}, Timespan: m, Condition: []sigma.Threshold{{Op: "lt", Value: 6}}})
	add("distinct", sigma.Correlation{Type: sigma.ValueCount, Rules: []string{"b"}, GroupBy: []string{"host"}, Timespan: 2 * m, Field: "user", Condition: gte(3)})
	add("temporal", sigma.Correlation{Type: sigma.Temporal, Rules: []string{"a", "b", "c"}, GroupBy: []string{"user"}, Timespan: m})
	add("ordered", sigma.Correlation{Type: sigma.TemporalOrdered, Rules: []string{"a", "b", "c"}, GroupBy: []string{"user"}, Timespan: m})
	add("sum", sigma.Correlation{Type: sigma.ValueSum, Rules: []string{"c"}, GroupBy: []string{"host"}, Timespan: m, Field: "bytes", Condition: gte(200)})
	add("avg", sigma.Correlation{Type: sigma.ValueAvg, Rules: []string{"c"}, GroupBy: []string{"user"}, Timespan: m, Field: "bytes", Condition: []sigma.Threshold{{Op: "gt", Value: 70}}})
	add("pct", sigma.Correlation{Type: sigma.ValuePercentile, Rules: []string{"a", "b"}, GroupBy: []string{"host"}, Timespan: 5 * m, Field: "user", Condition: []sigma.Threshold{{Op: "lte", Value: 10}}})
	add("chain", sigma.Correlation{Type: sigma.TemporalOrdered, Rules: []string{"count", "c"}, GroupBy: []string{"user"}, Timespan: 2 * m})
	add("chain_close", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"count_lt"}, Timespan: 5 * m, Condition: gte(3)})
	add("whole", sigma.Correlation{Type: sigma.ValueCount, Rules: []string{"c"}, GroupBy: []string{"host"}, Field: "user", Condition: []sigma.Threshold{{Op: "eq", Value: 6}}})
	return rules
}

// randomStream returns n matches in time order, in whole seconds so that
// equal times occur.
func randomStream(seed uint64, n int) []in {
	rng := rand.New(rand.NewPCG(seed, 7))
	var ins []in
	at := time.Duration(0)
	for i := range n {
		at += time.Duration(rng.IntN(4)) * time.Second
		fields := fmt.Sprintf("user=u%d host=h%d", rng.IntN(6), rng.IntN(3))
		if rng.IntN(5) > 0 {
			fields += fmt.Sprintf(" bytes=%d", rng.IntN(150))
		}
		ins = append(ins, in{[]string{"a", "b", "c"}[rng.IntN(3)], at, fields, fmt.Sprintf("r%d", i)})
	}
	return ins
}

// sortedInputs orders inputs by time, keeping the order of equal times.
func sortedInputs(ins []in) []in {
	ins = slices.Clone(ins)
	slices.SortStableFunc(ins, func(a, b in) int { return int(a.at - b.at) })
	return ins
}

// shuffle delays each input by a random amount below lateness: the
// result is out of order by less than lateness.
func shuffle(seed uint64, ins []in, lateness time.Duration) []in {
	rng := rand.New(rand.NewPCG(seed, 9))
	type delayed struct {
		in
		arrive time.Duration
	}
	var ds []delayed
	for _, x := range ins {
		ds = append(ds, delayed{x, x.at + time.Duration(rng.Int64N(int64(lateness)))})
	}
	slices.SortStableFunc(ds, func(a, b delayed) int { return int(a.arrive - b.arrive) })
	var out []in
	for _, d := range ds {
		out = append(out, d.in)
	}
	return out
}

func TestOutOfOrderSameHits(t *testing.T) {
	rules := mixedRules()
	stream := randomStream(1, 3000)
	want, wantStats := run(t, rules, Config{Lateness: 30 * time.Second}, stream)
	if len(want) < 50 {
		t.Fatalf("only %d hits: the stream does not exercise the rules", len(want))
	}
	seen := map[string]bool{}
	for _, h := range want {
		seen[h.Rule] = true
	}
	for _, r := range rules[3:] {
		if !seen[r.Title] {
			t.Errorf("no hit of %s in the sorted run", r.Title)
		}
	}
	for seed := range uint64(5) {
		got, st := run(t, rules, Config{Lateness: 30 * time.Second}, shuffle(seed, stream, 30*time.Second))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d: shuffled hits differ from sorted (-sorted +shuffled):\n%s", seed, diff)
		}
		if st != wantStats {
			t.Errorf("seed %d: Stats = %+v, want %+v", seed, st, wantStats)
		}
	}
	// The chain example, shuffled.
	got, _ := run(t, chainRules(), Config{Lateness: 30 * time.Second}, shuffle(1, chainInputs(), 30*time.Second))
	if diff := cmp.Diff(chainWant(), got); diff != "" {
		t.Errorf("chain, shuffled (-want +got):\n%s", diff)
	}
}

func TestSnapshotRestore(t *testing.T) {
	rules := mixedRules()
	lateness := 30 * time.Second
	for _, tc := range []struct {
		name   string
		stream []in
	}{
		{"sorted", randomStream(2, 3000)},
		{"shuffled", shuffle(3, randomStream(2, 3000), lateness)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Lateness: lateness}
			want, wantStats := run(t, rules, cfg, tc.stream)
			for _, cut := range []int{1, 700, 1500, 2999} {
				e1, _ := New(rules, cfg)
				got := feed(t, e1, rules, tc.stream[:cut], false)
				var buf bytes.Buffer
				if err := e1.Snapshot(&buf); err != nil {
					t.Fatal(err)
				}
				// Restore into an engine built from a fresh copy of the rules.
				rules2 := mixedRules()
				e2, _ := New(rules2, cfg)
				if err := e2.Restore(bytes.NewReader(buf.Bytes())); err != nil {
					t.Fatal(err)
				}
				if e1.Stats() != e2.Stats() {
					t.Errorf("cut %d: restored Stats = %+v, want %+v", cut, e2.Stats(), e1.Stats())
				}
				got = append(got, feed(t, e2, rules2, tc.stream[cut:], true)...)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("cut %d: hits after restore differ (-uninterrupted +restored):\n%s", cut, diff)
				}
				if st := e2.Stats(); st != wantStats {
					t.Errorf("cut %d: Stats = %+v, want %+v", cut, st, wantStats)
				}
			}
		})
	}
}

func TestRestoreDropsChangedRules(t *testing.T) {
	failed := detection("failed_login")
	mk := func(n float64, title string) []*sigma.Rule {
		c := correlationRule(title, sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, Timespan: time.Hour, Condition: gte(n)})
		return []*sigma.Rule{failed, c}
	}
	rules := mk(3, "c")
	e1, _ := New(rules, Config{Lateness: time.Second})
	// The advance processes both matches: the snapshot holds them in
	// the window, not in the reorder buffer.
	feed(t, e1, rules, append(every("failed_login", 0, time.Second, 2, "", "a"), in{"advance", 10 * time.Second, "", ""}), false)
	var buf bytes.Buffer
	if err := e1.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rules []*sigma.Rule
		want  int
	}{
		{"same", mk(3, "c"), 1},
		{"changed condition", mk(4, "c"), 0},
		{"removed", mk(3, "other"), 0},
	} {
		e2, _ := New(tc.rules, Config{Lateness: time.Second})
		if err := e2.Restore(bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		got := feed(t, e2, tc.rules, []in{{"failed_login", 10 * time.Second, "", "a3"}}, true)
		if len(got) != tc.want {
			t.Errorf("%s: %d hits after restore, want %d: %v", tc.name, len(got), tc.want, got)
		}
	}
}

func TestNewErrors(t *testing.T) {
	at := func(r *sigma.Rule, line, col int) *sigma.Rule {
		r.Correlation.Pos = sigma.Pos{Line: line, Col: col}
		return r
	}
	rules := []*sigma.Rule{
		detection("base"),
		at(correlationRule("unknown", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"base", "nope"}, Timespan: time.Minute, Condition: gte(1)}), 3, 1),
		at(correlationRule("loop1", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"loop2"}, Timespan: time.Minute, Condition: gte(1)}), 4, 1),
		at(correlationRule("loop2", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"loop1"}, Timespan: time.Minute, Condition: gte(1)}), 5, 1),
		at(correlationRule("self", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"self"}, Timespan: time.Minute, Condition: gte(1)}), 6, 1),
		at(correlationRule("alias", sigma.Correlation{Type: sigma.Temporal, Rules: []string{"base"}, GroupBy: []string{"ip"}, Timespan: time.Minute,
			Aliases: map[string]map[string]string{"ip": {"other": "source.ip"}}}), 7, 2),
		at(correlationRule("nofield", sigma.Correlation{Type: sigma.ValueCount, Rules: []string{"base"}, Timespan: time.Minute, Condition: gte(1)}), 8, 3),
		at(correlationRule("nocond", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"base"}, Timespan: time.Minute}), 9, 3),
		// A converted v1 aggregation refers to itself: fine.
		{File: "v1.yml", ID: "v1", Title: "v1", Detection: &sigma.Detection{}, Correlation: &sigma.Correlation{Type: sigma.EventCount, Rules: []string{"v1"}, Condition: gte(3)}},
	}
	_, err := New(rules, Config{})
	if err == nil {
		t.Fatal("New: no error")
	}
	var got []string
	for _, line := range strings.Split(err.Error(), "\n") {
		got = append(got, line)
	}
	slices.Sort(got)
	want := []string{
		`alias.yml:7:2: alias "ip" names rule "other", which the correlation does not refer to`,
		`loop2.yml:5:1: correlation refers back to "loop1": references form a cycle`,
		`nocond.yml:9:3: event_count correlation needs a condition`,
		`nofield.yml:8:3: value_count correlation needs a condition field`,
		`self.yml:6:1: correlation refers back to "self": references form a cycle`,
		`unknown.yml:3:1: correlation refers to unknown rule "nope"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestV1Aggregation: a detection rule with its own correlation counts its
// own matches, and its matches are not reported alone.
func TestV1Aggregation(t *testing.T) {
	r := &sigma.Rule{File: "v1.yml", ID: "v1", Name: "v1", Title: "v1", Detection: &sigma.Detection{},
		Correlation: &sigma.Correlation{Type: sigma.ValueCount, Rules: []string{"v1"}, GroupBy: []string{"IpAddress"}, Field: "User", Timespan: time.Minute, Condition: []sigma.Threshold{{Op: "gt", Value: 2}}}}
	s := time.Second
	inputs := []in{
		{"v1", 0, "IpAddress=1.2.3.4 User=a", "1"},
		{"v1", s, "IpAddress=1.2.3.4 User=b", "2"},
		{"v1", 2 * s, "IpAddress=1.2.3.4 User=c", "3"},
	}
	got, _ := run(t, []*sigma.Rule{r}, Config{}, inputs)
	want := []out{{Rule: "v1", Group: "IpAddress=1.2.3.4", First: 0, Last: 2 * s, Value: 3, Refs: "1 2 3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	e, _ := New([]*sigma.Rule{r}, Config{})
	if !e.Referenced(r) {
		t.Errorf("Referenced(v1) = false, want true")
	}
}

func TestCompareNatural(t *testing.T) {
	f := func(a, b string, want int) {
		t.Helper()
		if got := compareNatural(a, b); got != want {
			t.Errorf("compareNatural(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
	f("f:9", "f:10", -1)
	f("f:10", "f:9", 1)
	f("f:010", "f:10", 0)
	f("a.evtx:2", "b.evtx:1", -1)
	f("", "a", -1)
	f("123", "1000", -1)
	f("x", "x", 0)
}

func TestAdvanceBeforeAnyMatch(t *testing.T) {
	failed := detection("failed_login")
	c := correlationRule("c", sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, Timespan: time.Minute, Condition: gte(1)})
	e, err := New([]*sigma.Rule{failed, c}, Config{Lateness: -1})
	if err != nil {
		t.Fatal(err)
	}
	if hits := e.Advance(time.Time{}); len(hits) != 0 {
		t.Errorf("Advance(zero) = %v, want no hits", hits)
	}
	// With no lateness a match is processed as soon as a later one comes.
	if hits := e.Observe(failed, makeEvent(0, ""), "1"); len(hits) != 0 {
		t.Errorf("first Observe = %d hits, want 0", len(hits))
	}
	if hits := e.Observe(failed, makeEvent(time.Second, ""), "2"); len(hits) != 1 {
		t.Errorf("second Observe = %d hits, want 1", len(hits))
	}
}
