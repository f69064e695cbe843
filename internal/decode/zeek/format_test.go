package zeek

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// fields renders an event's fields as "name=value" lines, with the type of
// non-strings: the form the tests compare.
func fields(e *event.Event) []string {
	var out []string
	for _, f := range e.Fields {
		s := f.Name + "=" + f.Value
		switch f.Type {
		case event.Number:
			s += " (number)"
		case event.Bool:
			s += " (bool)"
		}
		out = append(out, s)
	}
	return out
}

// A small log written for these tests: the header of Zeek's ASCII writer
// with every kind of column.
const tsvHeader = "#separator \\x09\n" +
	"#set_separator\t,\n" +
	"#empty_field\t(empty)\n" +
	"#unset_field\t-\n" +
	"#path\tdemo\n" +
	"#fields\tts\tname\tport\tok\trtt\ttags\tnums\n" +
	"#types\ttime\tstring\tport\tbool\tinterval\tset[string]\tvector[count]\n"

func TestValues(t *testing.T) {
	f := func(record string, want ...string) {
		t.Helper()
		c := decodeBytes(t, Decoder{}, []byte(tsvHeader+record+"\n"))
		if len(c.Events) != 1 {
			t.Fatalf("%q: %d events, want 1", record, len(c.Events))
		}
		e := c.Events[0]
		if e.Kind != event.KindEvent {
			t.Fatalf("%q: malformed: %s", record, e.ParseError)
		}
		want = append(want, "event.dataset=zeek.demo", "event.module=zeek")
		var got []string
		for _, s := range fields(e) {
			if !strings.HasPrefix(s, "ts=") {
				got = append(got, s)
			}
		}
		if diff := cmp.Diff(sortedCopy(want), got); diff != "" {
			t.Errorf("%q: fields (-want +got):\n%s", record, diff)
		}
	}
	f("1.5\tweb\t80\tT\t0.25\ta,b\t1,2", "name=web", "port=80 (number)", "ok=true (bool)", "rtt=0.25 (number)",
		"tags=a", "tags=b", "nums=1 (number)", "nums=2 (number)")
	f("1.5\t-\t-\t-\t-\t-\t-") // unset: left out
	f("1.5\t(empty)\t-\tF\t-\t(empty)\t(empty)", "name=", "ok=false (bool)")
	f("1.5\ttab\\x09and\\x2c\t-\t-\t-\tx\\x2cy,z\t-", "name=tab\tand,", "tags=x,y", "tags=z")
	f("1.5\t\\x2d\t-\t-\t-\t-\t-", "name=-")                         // a "-" string, escaped
	f("1.5\tc:\\\\x\t-\t-\t-\t-\t-", `name=c:\\x`)                   // only \xHH is an escape
	f("1.5\tweb\t-\t-\t1e-3\t-\t-", "name=web", "rtt=1e-3 (number)") // exponent form
}

func sortedCopy(s []string) []string {
	e := &event.Event{}
	for _, v := range s {
		name, value, _ := strings.Cut(v, "=")
		e.Add(name, value)
	}
	e.Sort()
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Name + "=" + f.Value
	}
	return out
}

func TestTime(t *testing.T) {
	c := decodeBytes(t, Decoder{}, []byte(tsvHeader+"1672843056.913119\tx\t-\t-\t-\t-\t-\n"))
	want := time.Date(2023, 1, 4, 14, 37, 36, 913119000, time.UTC)
	if got := c.Events[0].Time; !got.Equal(want) {
		t.Errorf("Time = %v, want %v", got, want)
	}
}

func TestCustomSeparators(t *testing.T) {
	input := "#separator \\x7c\n#set_separator|;\n#empty_field|EMPTY\n#unset_field|NONE\n#fields|ts|a|b|s\n" +
		"#types|time|string|count|set[string]\n" +
		"10.0|x\ty|NONE|p;q\n" +
		"11.0|EMPTY|7|EMPTY\n"
	c := decodeBytes(t, Decoder{Path: "custom"}, []byte(input))
	var got [][]string
	for _, e := range c.Events {
		got = append(got, fields(e))
	}
	want := [][]string{
		{"a=x\ty", "event.dataset=zeek.custom", "event.module=zeek", "s=p", "s=q", "ts=10.0 (number)"},
		{"a=", "b=7 (number)", "event.dataset=zeek.custom", "event.module=zeek", "ts=11.0 (number)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

// TestMalformed checks that undecodable lines are delivered as pipeline
// errors keeping the line, and that decoding goes on after them.
func TestMalformed(t *testing.T) {
	f := func(header, line, reason string) {
		t.Helper()
		c := decodeBytes(t, Decoder{}, []byte(header+line+"\n"+tsvHeader+"2.0\tok\t-\t-\t-\t-\t-\n"))
		if len(c.Events) != 2 {
			t.Fatalf("%q: %d events, want 2", line, len(c.Events))
		}
		e := c.Events[0]
		if e.Kind != event.KindPipelineError || string(e.Raw) != line || !strings.Contains(e.ParseError, reason) || len(e.Fields) != 0 {
			t.Errorf("%q: kind %v, ParseError %q, Raw %q; want a pipeline error with %q keeping the line", line, e.Kind, e.ParseError, e.Raw, reason)
		}
		if c.Events[1].Kind != event.KindEvent {
			t.Errorf("%q: the next record is malformed too: %s", line, c.Events[1].ParseError)
		}
	}
	f(tsvHeader, "1.0\tweb\t80", "3 columns, the #fields header names 7")
	f(tsvHeader, "1.0\tweb\t80\tT\t0.1\ta\t1\textra", "8 columns")
	f(tsvHeader, "1.0\tweb\thttp\tT\t-\t-\t-", `field port: "http" is not an integer`)
	f(tsvHeader, "1.0\tweb\t-\tyes\t-\t-\t-", `field ok: "yes" is not a boolean`)
	f(tsvHeader, "1.0\tweb\t-\t-\t-\t-\t1,x", `field nums: "x" is not an integer`)
	f(tsvHeader, "yesterday\tweb\t-\t-\t-\t-\t-", `field ts: "yesterday" is not a number`)
	f(tsvHeader, `{"ts":1.0,"uid":"C1"`, "invalid JSON")
	f(tsvHeader, `{"ts":1.0} {"ts":2.0}`, "data after the object")
	f(tsvHeader, `{"ts":"noon"}`, "field ts")
	f("", "1.0\tweb", "record line before any #fields header")
}

// TestJSON decodes testdata/rita-proxy.jsonl: records of the shared
// rita-proxy logs converted by hand to the form of Zeek's JSON writer, and
// two broken lines.
func TestJSON(t *testing.T) {
	b, err := os.ReadFile("testdata/rita-proxy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	c := decodeBytes(t, Decoder{}, b)
	if len(c.Events) != 8 {
		t.Fatalf("%d events, want 8", len(c.Events))
	}
	kinds := ""
	for _, e := range c.Events {
		kinds += strconv.Itoa(int(e.Kind))
	}
	if kinds != "00000202" {
		t.Errorf("kinds %s, want 00000202 (lines 6 and 8 broken)", kinds)
	}
	lines := bytes.Split(b, []byte("\n"))
	for _, i := range []int{5, 7} {
		if !bytes.Equal(c.Events[i].Raw, lines[i]) {
			t.Errorf("event %d: Raw %q, want the line", i, c.Events[i].Raw)
		}
	}
	checks := []struct {
		event int
		time  string
		want  map[string]string
	}{
		{0, "2023-01-04T14:37:36.913119Z", map[string]string{"event.dataset": "zeek.conn", "source.ip": "10.136.0.18", "destination.port": "3128",
			"network.protocol": "http,tls", "event.duration": "84044000", "network.bytes": "21305", "local_orig": "true"}},
		{1, "2023-01-04T15:01:25.675033Z", map[string]string{"event.dataset": "zeek.conn", "network.transport": "icmp", "ts": "2023-01-04T15:01:25.675033Z"}},
		{2, "2021-01-14T17:29:39.925858Z", map[string]string{"event.dataset": "zeek.dns", "dns.question.name": "edgeapi.slack.com",
			"dns.answers.data": "prod-haproxy-edge-nlb-eip-3f4c246e4b1ed994.elb.us-east-1.amazonaws.com,54.204.130.107,18.233.140.209,52.54.155.203", "_path": ""}},
		{3, "2021-01-14T17:30:36.06877Z", map[string]string{"event.dataset": "zeek.dns", "TTLs": "56.0,56.0"}},
		{4, "2023-01-04T15:12:40.567292Z", map[string]string{"event.dataset": "zeek.http", "url.domain": "www.honestimnotevil.com",
			"http.request.method": "CONNECT", "http.response.status_code": "200", "tags": "", "proxied": "PROXY-CONNECTION -> Keep-Alive"}},
		{6, "2023-01-04T15:12:40.616058Z", map[string]string{"event.dataset": "zeek.ssl", "tls.client.server_name": "www.honestimnotevil.com",
			"tls.version": "1.3", "tls.established": "false"}},
	}
	for _, check := range checks {
		e := c.Events[check.event]
		if got := e.Time.Format(time.RFC3339Nano); got != check.time {
			t.Errorf("event %d: Time %s, want %s", check.event, got, check.time)
		}
		got := map[string]string{}
		for name := range check.want {
			var values []string
			for _, f := range e.Values(name) {
				values = append(values, f.Value)
			}
			got[name] = strings.Join(values, ",")
		}
		if diff := cmp.Diff(check.want, got); diff != "" {
			t.Errorf("event %d (-want +got):\n%s", check.event, diff)
		}
	}
}

// TestJSONMatchesTSV checks that a record gives the same fields from
// Zeek's JSON writer as from its TSV writer: the hand-converted records of
// testdata/rita-proxy.jsonl against the shared TSV logs they come from.
func TestJSONMatchesTSV(t *testing.T) {
	dir := shareddata.Path(t, "zeek/rita-proxy")
	b, err := os.ReadFile("testdata/rita-proxy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ dataset, uid string }
	tsv := map[key]*event.Event{}
	for _, log := range []string{"conn", "dns", "http", "ssl"} {
		for _, e := range decodePath(t, filepath.Join(dir, log+".log")) {
			uid, _ := e.Get("uid")
			if k := (key{"zeek." + log, uid}); tsv[k] == nil {
				tsv[k] = e
			}
		}
	}
	compared := 0
	for i, e := range decodeBytes(t, Decoder{}, b).Events {
		if e.Kind != event.KindEvent {
			continue
		}
		uid, _ := e.Get("uid")
		ds, _ := e.Get(event.EventDataset)
		want := tsv[key{ds, uid}]
		if want == nil {
			t.Errorf("JSON record %d: no %s record %s in the TSV log", i, ds, uid)
			continue
		}
		compared++
		if !e.Time.Equal(want.Time) {
			t.Errorf("JSON record %d: Time %v, TSV %v", i, e.Time, want.Time)
		}
		if diff := cmp.Diff(comparable(want), comparable(e)); diff != "" {
			t.Errorf("JSON record %d: fields (-TSV +JSON):\n%s", i, diff)
		}
	}
	if compared != 6 {
		t.Errorf("compared %d records, want 6", compared)
	}
}

// comparable renders fields with numbers in one notation (JSON writes 27.0
// where TSV writes 27.000000) and without ts, compared as Time.
func comparable(e *event.Event) []string {
	var out []string
	for _, f := range e.Fields {
		if f.Name == "ts" {
			continue
		}
		v := f.Value
		if f.Type == event.Number {
			n, err := strconv.ParseFloat(v, 64)
			if err == nil && !math.IsInf(n, 0) {
				v = strconv.FormatFloat(n, 'g', -1, 64)
			}
		}
		out = append(out, f.Name+"="+v)
	}
	return out
}

func TestLooks(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	f := func(head []byte, want bool) {
		t.Helper()
		if got := Looks(head); got != want {
			t.Errorf("Looks(%.40q) = %v, want %v", head, got, want)
		}
	}
	f([]byte(tsvHeader), true)
	f(gz(tsvHeader), true)
	f([]byte(`{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1}`+"\n"), true)
	f([]byte(`{"_path":"files","ts":1.0,"fuid":"F1"}`), true)
	f(gz(`{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1"}`), true)
	f([]byte(`{"uid":1000,"comm":"sshd"}`), false) // auditd-like JSON
	f([]byte("#fields\tts\tuid\n"), true)
	f([]byte("#Fields: date time s-ip cs-method\n"), false) // W3C (IIS)
	f([]byte("Jan  1 00:00:00 host sshd[1]: Accepted\n"), false)
	f(nil, false)
	f(gzipMagic, false)
}
