package bouncer_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crowdsecurity/crowdsec/pkg/models"
	csbouncer "github.com/crowdsecurity/go-cs-bouncer"

	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/respond/bouncer"
	"github.com/vigie-sec/vigie/internal/respond/respondtest"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

func openStore(t *testing.T) *sqlite.Store { return openStoreF(t) }

func openStoreF(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// live asks the handler, as a live bouncer would, for the blocks on ip.
func live(t *testing.T, h http.Handler, key, query string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/v1/decisions?"+query, nil)
	req.Header.Set("X-Api-Key", key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestContract(t *testing.T) {
	respondtest.Run(t, func(t *testing.T) respondtest.Target {
		b := bouncer.New(openStore(t), nil)
		key, err := b.AddBouncer(context.Background(), "contract")
		if err != nil {
			t.Fatal(err)
		}
		return respondtest.Target{
			Executor: b,
			Enforced: func(t *testing.T, d *respond.Decision) bool {
				code, body := live(t, b, key, "ip="+d.Value)
				if code != http.StatusOK {
					t.Fatalf("live query: %d %s", code, body)
				}
				return body != "null\n"
			},
		}
	})
}

// TestCrowdSecClients runs the real CrowdSec bouncer library against the
// handler, with decisions made by a Manager on a real store.
func TestCrowdSecClients(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := openStore(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	b := bouncer.New(s, clk.Now)
	m, err := respond.New(respond.Config{}, respond.Deps{Records: s, Audit: s, Executors: []respond.Executor{b},
		Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := b.AddBouncer(ctx, "fw01")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b)
	defer srv.Close()

	sb := &csbouncer.StreamBouncer{APIKey: key, APIUrl: srv.URL, TickerInterval: "20ms"}
	if err := sb.Init(); err != nil {
		t.Fatal(err)
	}
	go sb.Run(ctx)
	// next returns the next stream answer with something in it.
	next := func(what string) *models.DecisionsStreamResponse {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case r, ok := <-sb.Stream:
				if !ok {
					t.Fatalf("stream closed waiting for %s", what)
				}
				if len(r.New) > 0 || len(r.Deleted) > 0 {
					return r
				}
			case <-timeout:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	alice := respond.Actor{Name: "alice", Origin: respond.OriginAnalyst}
	ip, err := m.Decide(ctx, respond.Request{Value: "198.51.100.7", Duration: time.Hour}, alice)
	if err != nil {
		t.Fatal(err)
	}
	rng, err := m.Decide(ctx, respond.Request{Value: "203.0.113.0/24", Duration: 4 * time.Hour}, alice)
	if err != nil {
		t.Fatal(err)
	}
	account, err := m.Decide(ctx, respond.Request{Action: "disable", Value: "jdoe"}, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := account.Executions[bouncer.Name]; ok {
		t.Errorf("an account decision was given to the bouncer")
	}
	m.Tick(ctx)

	r := next("the new bans")
	got := map[string]*models.Decision{}
	for _, d := range r.New {
		got[*d.Value] = d
	}
	if len(got) != 2 || len(r.Deleted) != 0 {
		t.Fatalf("stream new %d deleted %d, want 2 new bans", len(r.New), len(r.Deleted))
	}
	d := got["198.51.100.7"]
	if *d.Type != "ban" || *d.Scope != "Ip" || *d.Origin != "vigie" || *d.Scenario != "vigie/analyst/alice" ||
		*d.Duration != "1h0m0s" || d.ID != 1 {
		t.Errorf("ip ban %s", mustJSON(d))
	}
	if d := got["203.0.113.0/24"]; *d.Scope != "Range" || *d.Duration != "4h0m0s" {
		t.Errorf("range ban %s", mustJSON(d))
	}

	// A live bouncer asks about an address in the range, and one clear.
	lb := &csbouncer.LiveBouncer{APIKey: key, APIUrl: srv.URL}
	if err := lb.Init(); err != nil {
		t.Fatal(err)
	}
	resp, err := lb.Get("203.0.113.77")
	if err != nil {
		t.Fatal(err)
	}
	if len(*resp) != 1 || *(*resp)[0].Value != "203.0.113.0/24" {
		t.Errorf("live answer for 203.0.113.77: %s, want the range ban", mustJSON(resp))
	}
	if resp, err := lb.Get("192.0.2.1"); err != nil || len(*resp) != 0 {
		t.Errorf("live answer for 192.0.2.1: %s, %v; want none", mustJSON(resp), err)
	}

	// Revoked: deleted at the next pull.
	if _, err := m.Revoke(ctx, ip.ID, alice, "false positive"); err != nil {
		t.Fatal(err)
	}
	m.Tick(ctx)
	r = next("the revoked ban")
	if len(r.Deleted) != 1 || *r.Deleted[0].Value != "198.51.100.7" || len(r.New) != 0 {
		t.Fatalf("after revoke: new %s deleted %s, want 198.51.100.7 deleted", mustJSON(r.New), mustJSON(r.Deleted))
	}
	// Expired: deleted too.
	clk.Advance(4 * time.Hour)
	m.Tick(ctx)
	r = next("the expired ban")
	if len(r.Deleted) != 1 || *r.Deleted[0].Value != rng.Value {
		t.Fatalf("after expiry: deleted %s, want %s", mustJSON(r.Deleted), rng.Value)
	}
	if resp, err := lb.Get("203.0.113.77"); err != nil || len(*resp) != 0 {
		t.Errorf("live answer after expiry: %s, %v; want none", mustJSON(resp), err)
	}
}

func TestWrongKey(t *testing.T) {
	ctx := context.Background()
	b := bouncer.New(openStore(t), nil)
	key, err := b.AddBouncer(ctx, "fw01")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b)
	defer srv.Close()

	for _, k := range []string{"", "not-a-key", key + "x"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/decisions/stream?startup=true", nil)
		if k != "" {
			req.Header.Set("X-Api-Key", k)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || string(body) != "{\"message\":\"access forbidden\"}\n" {
			t.Errorf("key %q: %d %s, want 403 access forbidden", k, resp.StatusCode, body)
		}
	}
	lb := &csbouncer.LiveBouncer{APIKey: "not-a-key", APIUrl: srv.URL}
	if err := lb.Init(); err != nil {
		t.Fatal(err)
	}
	if _, err := lb.Get("192.0.2.1"); err == nil {
		t.Error("LiveBouncer with a wrong key: no error")
	}
	sb := &csbouncer.StreamBouncer{APIKey: "not-a-key", APIUrl: srv.URL, TickerInterval: "20ms"}
	if err := sb.Init(); err != nil {
		t.Fatal(err)
	}
	go sb.Run(ctx)
	select {
	case r, ok := <-sb.Stream:
		if ok {
			t.Errorf("StreamBouncer with a wrong key received %s", mustJSON(r))
		}
	case <-time.After(5 * time.Second):
		t.Error("StreamBouncer with a wrong key neither failed nor received")
	}

	// Listed, then revoked: the key stops working.
	list, err := b.Bouncers(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "fw01" {
		t.Fatalf("Bouncers = %+v, %v; want fw01", list, err)
	}
	if code, _ := live(t, b, key, "ip=192.0.2.1"); code != http.StatusOK {
		t.Fatalf("valid key: %d", code)
	}
	if err := b.RemoveBouncer(ctx, "fw01"); err != nil {
		t.Fatal(err)
	}
	if code, _ := live(t, b, key, "ip=192.0.2.1"); code != http.StatusForbidden {
		t.Errorf("removed key: %d, want 403", code)
	}
	if _, err := b.AddBouncer(ctx, "bad name"); err == nil {
		t.Error("AddBouncer accepted a name with a space")
	}
}

func TestStreamPerBouncer(t *testing.T) {
	ctx := context.Background()
	b := bouncer.New(openStore(t), nil)
	k1, _ := b.AddBouncer(ctx, "fw01")
	k2, _ := b.AddBouncer(ctx, "fw02")
	pull := func(key, query string) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/v1/decisions/stream?"+query, nil)
		req.Header.Set("X-Api-Key", key)
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, req)
		var r struct{ New, Deleted []bouncer.Decision }
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		s := ""
		for _, d := range r.New {
			s += "+" + d.Value + " "
		}
		for _, d := range r.Deleted {
			s += "-" + d.Value + " "
		}
		return s
	}
	d1 := respondtest.Decision("1", "198.51.100.7")
	d2 := respondtest.Decision("2", "2001:db8::/64")
	d2.Scope = respond.ScopeRange
	b.Apply(ctx, d1)
	if got := pull(k1, "startup=true"); got != "+198.51.100.7 " {
		t.Errorf("fw01 startup: %q", got)
	}
	b.Apply(ctx, d2)
	b.Revoke(ctx, d1)
	f := func(key, query, want string) {
		t.Helper()
		if got := pull(key, query); got != want {
			t.Errorf("pull(%s) = %q, want %q", query, got, want)
		}
	}
	f(k1, "startup=false", "+2001:db8::/64 -198.51.100.7 ")
	f(k1, "startup=false", "")
	f(k2, "startup=false&scopes=ip", "") // first pull is a startup; the range is filtered out
	b.Apply(ctx, respondtest.Decision("3", "198.51.100.9"))
	f(k2, "startup=false&scopes=ip", "+198.51.100.9 ")
	f(k1, "startup=true&scenarios_not_containing=analyst", "")
	f(k1, "startup=true&origins=crowdsec", "")
	f(k1, "startup=true&origins=vigie&scenarios_containing=respondtest", "+2001:db8::/64 +198.51.100.9 ")
	if code, body := live(t, b, k1, "range=2001:db8::/80"); code != 200 || body == "null\n" {
		t.Errorf("range inside a banned range: %d %s", code, body)
	}
	if code, body := live(t, b, k1, "scope=range&value=2001:db8::/64"); code != 200 || body == "null\n" {
		t.Errorf("scope and value: %d %s", code, body)
	}
	if code, _ := live(t, b, k1, "ip=not-an-ip"); code != http.StatusBadRequest {
		t.Errorf("bad ip: %d, want 400", code)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
