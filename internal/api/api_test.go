package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/ingest"
	"github.com/vigie-sec/vigie/internal/ingest/bulk"
	"github.com/vigie-sec/vigie/internal/ingest/ndjson"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

const token = "vigie_test_token"

type env struct {
	srv  *httptest.Server
	pipe *ingest.Pipeline
}

// newEnv runs the API over a real SQLite store and pipeline.
func newEnv(t *testing.T, maxBody int64) *env {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pipe := ingest.New(st, ingest.Config{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pipe.Run(ctx) }()
	reg := prometheus.NewRegistry()
	reg.MustRegister(pipe.Counters)
	formats := detect.New(detect.Config{})
	h := api.New(api.Config{
		Auth: auth.NewAuthenticator(token), Store: st, Sources: pipe.Counters, Health: pipe.Health,
		Ingest:  ndjson.New(ndjson.Config{Submit: pipe, JSON: jsonl.DecodeObject, Decoder: formats.ByName, MaxBody: maxBody}),
		Bulk:    bulk.New(bulk.Config{Submit: pipe, JSON: jsonl.DecodeObject, MaxBody: maxBody}),
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Version: "test", Logger: slog.New(slog.DiscardHandler),
	})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		pipe.Close(cctx)
		cancel()
		<-done
		st.Close()
	})
	return &env{srv: srv, pipe: pipe}
}

func (e *env) do(t *testing.T, method, path string, body io.Reader, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t, 0)
	for _, path := range []string{"/api/v1/events", "/api/v1/sources", "/metrics", "/_bulk", "/"} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without token = %d, want 401", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(e.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200 without a token", resp.StatusCode)
	}
}

func TestIngestAndSearch(t *testing.T) {
	e := newEnv(t, 0)
	body := `{"@timestamp":"2024-07-31T13:06:24Z","user":{"name":"Alice"},"source":{"ip":"10.1.2.3"},"message":"Failed password for alice"}
{"@timestamp":"2024-07-31T13:06:25Z","user":{"name":"bob"},"message":"Accepted password for bob"}
not json at all
`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	resp, out := e.do(t, "POST", "/api/v1/events", &gz, "Content-Encoding", "gzip", "X-Vigie-Source", "unit")
	if resp.StatusCode != 200 {
		t.Fatalf("POST = %s %s", resp.Status, out)
	}
	var ack ndjson.Response
	json.Unmarshal([]byte(out), &ack)
	if ack.Accepted != 3 || ack.Malformed != 1 {
		t.Fatalf("ack = %+v, want 3 accepted, 1 malformed", ack)
	}
	// Acknowledged means searchable at once.
	search := func(q string) api.SearchResponse {
		t.Helper()
		resp, out := e.do(t, "GET", "/api/v1/events?q="+url.QueryEscape(q), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("search %q = %s %s", q, resp.Status, out)
		}
		var sr api.SearchResponse
		if err := json.Unmarshal([]byte(out), &sr); err != nil {
			t.Fatal(err)
		}
		return sr
	}
	if got := search("user.name:alice"); len(got.Events) != 1 || string(got.Events[0].Raw) != strings.Split(body, "\n")[0] {
		t.Fatalf("user.name:alice found %v, want the first line with its raw bytes", got.Events)
	}
	if got := search("event.kind:pipeline_error"); len(got.Events) != 1 || string(got.Events[0].Raw) != "not json at all" {
		t.Fatalf("malformed line not stored raw: %v", got.Events)
	}
	if got := search(`"accepted password"`); len(got.Events) != 1 {
		t.Fatalf("phrase search found %d events, want 1", len(got.Events))
	}
	if got := search(""); len(got.Events) != 3 || got.Events[0].Source != "http/unit" {
		t.Fatalf("match-all found %d events (source %q), want 3 from http/unit", len(got.Events), got.Events[0].Source)
	}
	resp, out = e.do(t, "GET", "/api/v1/events?count=true&q=*&from=2024-07-31T13:06:25Z&to=2024-08-01", nil)
	if resp.StatusCode != 200 || !strings.Contains(out, `"count":1`) {
		t.Fatalf("count in time range = %s %s, want 1", resp.Status, out)
	}
	// One event by id.
	id := search("user.name:bob").Events[0].ID
	resp, out = e.do(t, "GET", fmt.Sprintf("/api/v1/events/%d", id), nil)
	if resp.StatusCode != 200 || !strings.Contains(out, "Accepted password for bob") {
		t.Fatalf("GET event %d = %s %s", id, resp.Status, out)
	}
	resp, _ = e.do(t, "GET", "/api/v1/events/999999", nil)
	if resp.StatusCode != 404 {
		t.Fatalf("GET unknown event = %d, want 404", resp.StatusCode)
	}
	// Sources and metrics count what arrived.
	resp, out = e.do(t, "GET", "/api/v1/sources", nil)
	if !strings.Contains(out, `"source":"http/unit","received":3,"stored":3,"malformed":1`) {
		t.Fatalf("sources = %s", out)
	}
	resp, out = e.do(t, "GET", "/metrics", nil)
	if !strings.Contains(out, `vigie_ingest_stored_events_total{source="http/unit"} 3`) ||
		!strings.Contains(out, `vigie_ingest_malformed_events_total{source="http/unit"} 1`) {
		t.Fatalf("metrics lack the source counters:\n%s", out)
	}
}

func TestSearchErrors(t *testing.T) {
	e := newEnv(t, 0)
	resp, out := e.do(t, "GET", "/api/v1/events?q="+url.QueryEscape(`user.name:(alice OR`), nil)
	if resp.StatusCode != 400 || !strings.Contains(out, `"code":"query_syntax"`) || !strings.Contains(out, `"position":`) {
		t.Fatalf("bad query = %s %s, want 400 query_syntax with a position", resp.Status, out)
	}
	resp, out = e.do(t, "GET", "/api/v1/events?from=yesterday-ish", nil)
	if resp.StatusCode != 400 || !strings.Contains(out, "bad_time") {
		t.Fatalf("bad time = %s %s, want 400 bad_time", resp.Status, out)
	}
	resp, _ = e.do(t, "GET", "/api/v1/events?limit=100000", nil)
	if resp.StatusCode != 400 {
		t.Fatalf("limit over max = %d, want 400", resp.StatusCode)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, 1000)
	big := strings.Repeat(`{"message":"x"}`+"\n", 200)
	resp, out := e.do(t, "POST", "/api/v1/events", strings.NewReader(big))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body = %s %s, want 413", resp.Status, out)
	}
	// The same limit applies after decompression (a gzip bomb).
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(big))
	zw.Close()
	if gz.Len() >= 1000 {
		t.Fatalf("test body compresses to %d bytes, not under the limit", gz.Len())
	}
	resp, out = e.do(t, "POST", "/api/v1/events", &gz, "Content-Encoding", "gzip")
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized gzip body = %s %s, want 413", resp.Status, out)
	}
}

func TestFormatParameter(t *testing.T) {
	e := newEnv(t, 0)
	resp, out := e.do(t, "POST", "/api/v1/events?format=syslog",
		strings.NewReader("<38>Nov 20 03:12:02 web01 sshd[4101]: Failed password for root from 203.0.113.45 port 40000 ssh2\n"))
	if resp.StatusCode != 200 {
		t.Fatalf("POST syslog = %s %s", resp.Status, out)
	}
	resp, out = e.do(t, "GET", "/api/v1/events?q="+url.QueryEscape("source.ip:203.0.113.45 AND event.outcome:failure"), nil)
	if !strings.Contains(out, `"user.name":"root"`) {
		t.Fatalf("syslog line not decoded and searchable: %s", out)
	}
	resp, out = e.do(t, "POST", "/api/v1/events?format=nope", strings.NewReader("x\n"))
	if resp.StatusCode != 400 {
		t.Fatalf("unknown format = %s %s, want 400", resp.Status, out)
	}
}

func TestVigieFormatKeepsRaw(t *testing.T) {
	e := newEnv(t, 0)
	orig := &event.Event{Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Format: "evtx", Raw: []byte{0xff, 0x00, 'r'}}
	orig.Add("EventID", "4625")
	b, _ := json.Marshal(orig)
	resp, out := e.do(t, "POST", "/api/v1/events?format=vigie", bytes.NewReader(append(b, '\n')))
	if resp.StatusCode != 200 {
		t.Fatalf("POST vigie = %s %s", resp.Status, out)
	}
	_, out = e.do(t, "GET", "/api/v1/events?q=EventID:4625", nil)
	var sr api.SearchResponse
	json.Unmarshal([]byte(out), &sr)
	if len(sr.Events) != 1 || !bytes.Equal(sr.Events[0].Raw, orig.Raw) || sr.Events[0].Format != "evtx" || !sr.Events[0].Time.Equal(orig.Time) {
		t.Fatalf("stored %s, want the event with raw bytes %q, format evtx", out, orig.Raw)
	}
}

func TestBulk(t *testing.T) {
	e := newEnv(t, 0)
	resp, out := e.do(t, "GET", "/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" || !strings.Contains(out, `"number":"8.11.0"`) {
		t.Fatalf("GET / = %s %v %s; Beats need the version and product header", resp.Status, resp.Header, out)
	}
	resp, _ = e.do(t, "PUT", "/_index_template/filebeat-8.11.0", strings.NewReader(`{}`))
	if resp.StatusCode != 200 {
		t.Fatalf("template set-up = %d, want 200", resp.StatusCode)
	}
	// What Filebeat sends: create actions with data stream names.
	body := `{"create":{"_index":"filebeat-8.11.0"}}
{"@timestamp":"2024-07-31T13:06:24.000Z","message":"Failed password for root from 203.0.113.9 port 22 ssh2","host":{"name":"web01"},"agent":{"type":"filebeat"}}
{"index":{}}
{"@timestamp":"2024-07-31T13:06:25.000Z","message":"second","host":{"name":"web02"}}
{"delete":{"_index":"filebeat-8.11.0","_id":"1"}}
{"update":{"_index":"filebeat-8.11.0","_id":"1"}}
{"doc":{"message":"changed"}}
`
	resp, out = e.do(t, "POST", "/logs/_bulk", strings.NewReader(body), "Content-Type", "application/x-ndjson")
	if resp.StatusCode != 200 {
		t.Fatalf("_bulk = %s %s", resp.Status, out)
	}
	var br struct {
		Errors bool
		Items  []map[string]struct {
			Index  string `json:"_index"`
			Status int
		}
	}
	if err := json.Unmarshal([]byte(out), &br); err != nil {
		t.Fatal(err)
	}
	if !br.Errors || len(br.Items) != 4 || br.Items[0]["create"].Status != 201 || br.Items[1]["index"].Status != 201 ||
		br.Items[1]["index"].Index != "logs" || br.Items[2]["delete"].Status != 400 || br.Items[3]["update"].Status != 400 {
		t.Fatalf("bulk response = %s", out)
	}
	_, out = e.do(t, "GET", "/api/v1/events?q=host.name:web01", nil)
	if !strings.Contains(out, `"source":"bulk/filebeat-8.11.0"`) {
		t.Fatalf("bulk event not stored under its index's source: %s", out)
	}
}
