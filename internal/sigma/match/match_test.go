package match

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

// archive is a txtar archive: a comment, then files introduced by
// "-- name --" lines.
type archive struct {
	comment string
	files   map[string]string
}

func parseArchive(data string) archive {
	a := archive{files: map[string]string{}}
	name := ""
	var b strings.Builder
	flush := func() {
		if name == "" {
			a.comment = b.String()
		} else {
			a.files[name] = b.String()
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(data, "\n") {
		t := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			flush()
			name = strings.TrimSpace(t[3 : len(t)-3])
			continue
		}
		b.WriteString(line)
	}
	flush()
	return a
}

// decodeEvents reads JSON lines into events. A field "vigie.format" also
// sets the event's Format.
func decodeEvents(t testing.TB, data string) []*event.Event {
	t.Helper()
	var out []*event.Event
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		e := &event.Event{}
		if err := jsonl.DecodeObject(line, e); err != nil {
			t.Fatalf("event %d: %v", len(out)+1, err)
		}
		for _, f := range e.Fields {
			if f.Name == "vigie.format" {
				e.Format = f.Value
			}
		}
		out = append(out, e)
	}
	return out
}

// slowMatch is the reference evaluator: every alternative of every rule, in
// order, its log source checked with logsource.Entry.Matches and its
// condition evaluated from the event's values, without any index.
func slowMatch(m *Matcher, cfg Config, e *event.Event) []*sigma.Rule {
	s := m.newScratch()
	s.direct = true
	m.begin(s, e)
	var out []*sigma.Rule
	entryOf := 0
	for i, a := range m.alts {
		if i == 0 || m.alts[i-1].rule != a.rule {
			entryOf = 0
		} else {
			entryOf++
		}
		if len(out) > 0 && out[len(out)-1] == m.rules[a.rule] {
			continue
		}
		if cfg.Sources != nil {
			r := m.rules[a.rule]
			entries, _ := cfg.Sources.Resolve(r.Logsource.Category, r.Logsource.Product, r.Logsource.Service)
			if !entries[entryOf].Matches(e) {
				continue
			}
		}
		if m.eval(s, a.cond) {
			out = append(out, m.rules[a.rule])
		}
	}
	return out
}

func ids(rules []*sigma.Rule) []string {
	out := []string{}
	for _, r := range rules {
		out = append(out, r.ID)
	}
	return out
}

// TestDetection runs the cases of testdata/*.txtar. Each has:
//
//	-- rule.yml --      one or more rule documents
//	-- events.jsonl --  one event per line
//	-- want --          "match N [id ...]" or "nomatch N" per event
//	                    (ids default to every detection rule)
//	-- status --        optional: "id: reason" per rule not OK
//	-- sources.yml --   optional: a log source mapping (logsource.Parse)
//	-- placeholders --  optional: YAML map of expand placeholder values
func TestDetection(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no testdata/*.txtar")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			runArchive(t, file, parseArchive(string(data)))
		})
	}
}

func runArchive(t *testing.T, file string, a archive) {
	rules, err := sigma.Parse(file, []byte(a.files["rule.yml"]))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var cfg Config
	if src, ok := a.files["sources.yml"]; ok {
		mp, err := logsource.Parse("sources.yml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Sources = mp
	}
	if ph, ok := a.files["placeholders"]; ok {
		if err := yaml.Unmarshal([]byte(ph), &cfg.Placeholders); err != nil {
			t.Fatal(err)
		}
	}
	m := Compile(rules, cfg)

	wantStatus := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(a.files["status"]), "\n") {
		if id, reason, ok := strings.Cut(line, ": "); ok {
			wantStatus[id] = reason
		}
	}
	var detections []string
	for _, st := range m.Status() {
		if st.Rule.Kind == sigma.KindDetection {
			detections = append(detections, st.Rule.ID)
		}
		want, listed := wantStatus[st.Rule.ID]
		switch {
		case listed && st.OK:
			t.Errorf("rule %s: OK, want %q", st.Rule.ID, want)
		case listed && !strings.Contains(st.Reason, want):
			t.Errorf("rule %s: reason %q, want it to contain %q", st.Rule.ID, st.Reason, want)
		case !listed && !st.OK && st.Rule.Kind != sigma.KindCorrelation:
			t.Errorf("rule %s: not OK: %s", st.Rule.ID, st.Reason)
		}
	}

	events := decodeEvents(t, a.files["events.jsonl"])
	wantLines := strings.Split(strings.TrimSpace(a.files["want"]), "\n")
	seen := map[int]bool{}
	for _, line := range wantLines {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 || n > len(events) {
			t.Fatalf("want line %q: no event %s", line, f[1])
		}
		seen[n] = true
		want := []string{}
		switch f[0] {
		case "match":
			want = f[2:]
			if len(want) == 0 {
				want = detections
			}
		case "nomatch":
		default:
			t.Fatalf("want line %q", line)
		}
		e := events[n-1]
		got := ids(m.Match(e, nil))
		if !slices.Equal(got, want) {
			t.Errorf("event %d: got %v, want %v", n, got, want)
		}
		if ref := ids(slowMatch(m, cfg, e)); !slices.Equal(ref, got) {
			t.Errorf("event %d: reference got %v, fast got %v", n, ref, got)
		}
	}
	for i := range events {
		if !seen[i+1] {
			t.Errorf("event %d has no want line", i+1)
		}
	}
}

func TestPatternMatch(t *testing.T) {
	f := func(value, sigmaText string, want bool) {
		t.Helper()
		p := parsePattern(sigmaText)
		if got := p.match(value); got != want {
			t.Errorf("parsePattern(%q) = %v; match(%q) = %v, want %v", sigmaText, p, value, got, want)
		}
	}
	f(`C:\Windows\cmd.exe`, `C:\Windows\*`, false) // \* is a literal star
	f(`C:\Windows*`, `C:\Windows\*`, true)
	f(`C:\Windows\cmd.exe`, `C:\\Windows\\*`, true)
	f(`C:\Windows\cmd.exe`, `*\cmd.exe`, true)
	f(`C:\Windows\cmd.exe`, `*\cmd.ex?`, true)
	f(`C:\Windows\cmd.exe`, `*\cmd.ex??`, false)
	f(`a*b`, `a\*b`, true)
	f(`axb`, `a\*b`, false)
	f(`a?b`, `a\?b`, true)
	f(`axb`, `a\?b`, false)
	f(`a\xb`, `a\\?b`, true) // escaped backslash, then a wildcard
	f(`a\*b`, `a\\\*b`, true)
	f(`a\\b`, `a\\\\b`, true)
	f(`ab`, `a**b`, true)
	f(`é`, `?`, true)
	f(`éé`, `?`, false)
	f(`éx`, `*?x`, true)
	f(`é`, `*??`, false)
	f(`abcabcabd`, `*abcabd`, true)
	f(`mississippi`, `*sip*`, true)
	f(`mississippi`, `m*i*s*p*i`, true)
	f(`mississippi`, `m*i*s*p*x`, false)
	f(``, `*`, true)
	f(``, `?`, false)
	f(`tail\`, `tail\`, true)
}

func TestBase64Offsets(t *testing.T) {
	// Values from pySigma's test_modifiers (base64offset of "foobar").
	got := base64Offsets("foobar")
	want := []string{"Zm9vYmFy", "Zvb2Jhc", "mb29iYX"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("base64Offsets(foobar) (-want +got):\n%s", diff)
	}
}

func TestWindash(t *testing.T) {
	ps, err := windash(parsePattern(" -a /b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 25 {
		t.Fatalf("got %d variants, want 25", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.literal()] = true
	}
	for _, want := range []string{" -a /b", " /a -b", " –a ―b", " —a —b"} {
		if !seen[want] {
			t.Errorf("missing variant %q", want)
		}
	}
	if _, err := windash(parsePattern("-a -b -c -d -e")); err == nil {
		t.Error("five dashes: no error")
	}
}

func TestNumbers(t *testing.T) {
	f := func(s string, want string, ok bool) {
		t.Helper()
		n, got := parseNumber(s)
		if got != ok {
			t.Fatalf("parseNumber(%q) ok = %v, want %v", s, got, ok)
		}
		if !ok {
			return
		}
		if key, _ := numberKey(s, n, nil); key != want {
			t.Errorf("numberKey(%q) = %q, want %q", s, key, want)
		}
	}
	f("4688", "4688", true)
	f("04688", "4688", true)
	f("4688.0", "4688", true)
	f("0x10", "16", true)
	f("0X10", "16", true)
	f("-0", "0", true)
	f("1e3", "1000", true)
	f("1.5", "1.5", true)
	f("1234567890123456789", "1.2345678901234568e+18", true)
	f("inf", "", false)
	f("NaN", "", false)
	f("1_000", "", false)
	f("", "", false)
	f(".", "", false)
	f("12a", "", false)
	f("0x", "", false)
}

func TestFold(t *testing.T) {
	f := func(a, b string) {
		t.Helper()
		if foldString(a) != foldString(b) {
			t.Errorf("fold(%q) = %q, fold(%q) = %q", a, foldString(a), b, foldString(b))
		}
	}
	f("CMD.EXE", "cmd.exe")
	f("ÉCOLE", "école")
	f("STRASSE", "strasse")
	f("K", "k") // Kelvin sign
	f("ſ", "s") // long s
	if got := foldString("a\xffB"); got != "a\xffb" {
		t.Errorf("fold of invalid UTF-8 = %q", got)
	}
}

func TestRegexpLiterals(t *testing.T) {
	f := func(expr string, want ...string) {
		t.Helper()
		got := regexpLiterals(expr)
		if len(want) == 0 {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Errorf("regexpLiterals(%q) = %q, want %q", expr, got, want)
		}
	}
	f(`ipconfig\s+/all`, "ipconfig")
	f(`(?i)Net\s+View`, "view") // the longest: "net" and "view" both required
	f(`APT\d`, "apt")
	f(`\s-[FTd]\s`)
	f(`(foo|barbaz)\d+`, "barbaz", "foo")
	f(`(foo|\d)x`)
	f(`(abc)?d`)
	f(`(?i)straße`)       // non-ASCII under (?i): unknown
	f(`Straße`, "straße") // case-sensitive: folded
	f(`x{2,}yz`, "yz")
}

// TestConcurrent matches from several goroutines at once (run with -race).
func TestConcurrent(t *testing.T) {
	data, err := os.ReadFile("testdata/basic.txtar")
	if err != nil {
		t.Fatal(err)
	}
	a := parseArchive(string(data))
	rules, err := sigma.Parse("basic", []byte(a.files["rule.yml"]))
	if err != nil {
		t.Fatal(err)
	}
	m := Compile(rules, Config{})
	events := decodeEvents(t, a.files["events.jsonl"])
	want := make([][]string, len(events))
	for i, e := range events {
		want[i] = ids(m.Match(e, nil))
	}
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := 0; k < 200; k++ {
				i := (k + g) % len(events)
				if got := ids(m.Match(events[i], nil)); !slices.Equal(got, want[i]) {
					t.Errorf("event %d: got %v, want %v", i+1, got, want[i])
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

func TestEmpty(t *testing.T) {
	m := Compile(nil, Config{})
	e := &event.Event{}
	e.Add("a", "b")
	if got := m.Match(e, nil); len(got) != 0 {
		t.Fatalf("got %v", ids(got))
	}
	if len(m.Status()) != 0 {
		t.Fatalf("status %v", m.Status())
	}
}

func TestMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	data, _ := os.ReadFile("testdata/basic.txtar")
	a := parseArchive(string(data))
	rules, _ := sigma.Parse("basic", []byte(a.files["rule.yml"]))
	m := Compile(rules, Config{})
	events := decodeEvents(t, a.files["events.jsonl"])
	dst := make([]*sigma.Rule, 0, 8)
	m.Match(events[1], dst) // warm the pool
	if n := testing.AllocsPerRun(100, func() { m.Match(events[1], dst[:0]) }); n != 0 {
		t.Errorf("Match of a non-matching event: %v allocations, want 0", n)
	}
}
