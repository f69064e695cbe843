package evidence

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
	"github.com/vigie-sec/vigie/internal/webhook"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConfigYAML(t *testing.T) {
	const doc = `
origin: vigie-court-1
interval: 30s
witnesses:
  - file: /mnt/other/checkpoints.log
  - webhook: {url: "https://witness.example/vigie", secret: s3cret}
  - syslog: {address: "siem.example:514", network: tcp}
`
	var cfg Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Origin != "vigie-court-1" || cfg.Interval != 30*time.Second || len(cfg.Witnesses) != 3 ||
		cfg.Witnesses[0].File != "/mnt/other/checkpoints.log" ||
		cfg.Witnesses[1].Webhook == nil || cfg.Witnesses[1].Webhook.Secret != "s3cret" ||
		cfg.Witnesses[2].Syslog == nil || cfg.Witnesses[2].Syslog.Network != "tcp" {
		t.Errorf("decoded %+v", cfg)
	}
	st := openStore(t)
	key, _ := GenerateKey()
	bad := []WitnessConfig{{}, {File: "x", Syslog: &SyslogWitnessConfig{Address: "h:514"}},
		{Webhook: &WebhookWitnessConfig{URL: "https://x"}}, {Syslog: &SyslogWitnessConfig{Address: "h:514", Network: "sctp"}}}
	for i, w := range bad {
		if _, err := Open(context.Background(), st, key, Config{Origin: "x", Witnesses: []WitnessConfig{w}}); err == nil ||
			!strings.Contains(err.Error(), "evidence.witnesses[0]") {
			t.Errorf("bad witness %d: Open error %v", i, err)
		}
	}
	if _, err := Open(context.Background(), st, key, Config{Origin: "a\nb"}); err == nil {
		t.Error("Open accepted an origin with a line break")
	}
}

func TestLogCheckpoints(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, _ := GenerateKey()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Minute); return now }
	reg := prometheus.NewRegistry()
	lg, err := Open(ctx, st, key, Config{Origin: "vigie-a", Now: clock, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lg.Latest(); ok {
		t.Fatal("Latest on a new log returned a checkpoint")
	}
	var sizes []int64
	for i := range 5 {
		if err := st.Append(ctx, sshEvents(10+i, now)); err != nil {
			t.Fatal(err)
		}
		c, err := lg.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Verify(lg.Public()); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, c.Size)
		// Unchanged: the same checkpoint again.
		again, err := lg.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(again.Signature) != string(c.Signature) {
			t.Errorf("checkpoint of an unchanged log was signed again")
		}
	}
	if want := []int64{10, 21, 33, 46, 60}; !slices.Equal(sizes, want) {
		t.Errorf("sizes %v, want %v", sizes, want)
	}
	if got := gathered(t, reg, "vigie_evidence_checkpoints_signed_total"); got != 5 {
		t.Errorf("signed counter %v, want 5", got)
	}
	if got := gathered(t, reg, "vigie_evidence_tree_size"); got != 60 {
		t.Errorf("tree size gauge %v, want 60", got)
	}
	page, err := lg.Checkpoints(ctx, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Size != 21 || page[1].Size != 33 {
		t.Errorf("Checkpoints(after 10, limit 2) = %v", page)
	}

	// Every checkpoint's root is the tree's root at its size, and the
	// consistency proofs between them verify.
	all, err := lg.Checkpoints(ctx, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(all); i++ {
		p, err := lg.ConsistencyProof(ctx, all[i-1].Size, all[i].Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(all[i-1].Size, all[i].Size, p, all[i-1].Root, all[i].Root); err != nil {
			t.Errorf("checkpoints %d and %d: %v", all[i-1].Size, all[i].Size, err)
		}
	}
	// An inclusion proof of a stored event against the latest checkpoint.
	e, err := st.Get(ctx, 17)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := st.LeafIndex(ctx, uint8(leaf.KindEvent), 17)
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := lg.Latest()
	p, err := lg.InclusionProof(ctx, idx, latest.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusion(idx, latest.Size, leaf.HashLeaf(leaf.Event(nil, e)), p, latest.Root); err != nil {
		t.Errorf("inclusion of event 17: %v", err)
	}

	// Reopening finds the latest checkpoint.
	lg2, err := Open(ctx, st, key, Config{Origin: "vigie-a"})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := lg2.Latest(); !ok || got.Size != 60 {
		t.Errorf("reopened log's latest = %v, %v; want size 60", got, ok)
	}
}

// gathered returns the value of the unlabelled metric name.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestOpenRefusesRewrittenLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	st, err := sqlite.Open(path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := GenerateKey()
	lg, err := Open(ctx, st, key, Config{Origin: "vigie-a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, sshEvents(100, time.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	rewriteEvent(t, path, 42)
	st, err = sqlite.Open(path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Open(ctx, st, key, Config{Origin: "vigie-a"}); !errors.Is(err, ErrRewritten) {
		t.Errorf("Open over a rewritten log: %v, want ErrRewritten", err)
	}
}

// syslogCollector receives syslog lines over TCP (octet-counted) on
// loopback.
type syslogCollector struct {
	ln    net.Listener
	mu    sync.Mutex
	lines []string
}

func newSyslogCollector(t *testing.T) *syslogCollector {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &syslogCollector{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(conn)
			var n int
			if _, err := fmtSscan(r, &n); err == nil {
				buf := make([]byte, n)
				if _, err := io.ReadFull(r, buf); err == nil {
					c.mu.Lock()
					c.lines = append(c.lines, string(buf))
					c.mu.Unlock()
				}
			}
			conn.Close()
		}
	}()
	return c
}

// fmtSscan reads the octet count and the space after it.
func fmtSscan(r *bufio.Reader, n *int) (int, error) {
	s, err := r.ReadString(' ')
	if err != nil {
		return 0, err
	}
	var v int
	for _, c := range strings.TrimSuffix(s, " ") {
		if c < '0' || c > '9' {
			return 0, errors.New("bad octet count")
		}
		v = v*10 + int(c-'0')
	}
	*n = v
	return 1, nil
}

func (c *syslogCollector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func TestWitnesses(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, _ := GenerateKey()
	const secret = "witness-secret"
	var mu sync.Mutex
	var posted []Checkpoint
	failing := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.TimestampHeader), r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if failing {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var c Checkpoint
		if err := json.Unmarshal(body, &c); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		posted = append(posted, c)
	}))
	defer srv.Close()
	sys := newSyslogCollector(t)
	file := filepath.Join(t.TempDir(), "witness.log")
	lg, err := Open(ctx, st, key, Config{Origin: "vigie-court-1", Witnesses: []WitnessConfig{
		{File: file},
		{Webhook: &WebhookWitnessConfig{URL: srv.URL, Secret: secret, AllowPrivate: true}},
		{Syslog: &SyslogWitnessConfig{Address: sys.ln.Addr().String(), Network: "tcp"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, sshEvents(20, time.Now())); err != nil {
		t.Fatal(err)
	}
	c1, err := lg.Checkpoint(ctx)
	if err != nil {
		t.Fatalf("a failing witness failed Checkpoint: %v", err)
	}
	status := lg.WitnessStatus()
	if status[0].Size != 20 || status[0].LastError != "" {
		t.Errorf("file witness status %+v", status[0])
	}
	if status[1].Size != -1 || !strings.Contains(status[1].LastError, "503") {
		t.Errorf("failing webhook status %+v, want its 503 error", status[1])
	}
	if status[2].Size != 20 {
		t.Errorf("syslog witness status %+v", status[2])
	}

	// The webhook recovers: the next call retries it, though the log did
	// not grow.
	mu.Lock()
	failing = false
	mu.Unlock()
	if _, err := lg.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if s := lg.WitnessStatus()[1]; s.Size != 20 || s.LastError != "" {
		t.Errorf("recovered webhook status %+v", s)
	}
	if err := st.AppendAudit(ctx, &store.AuditEntry{Time: time.Now(), Actor: "alice", Action: "incident.status"}); err != nil {
		t.Fatal(err)
	}
	c2, err := lg.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}

	fromFile, err := ReadWitnessFile(file)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	gotPosted := append([]Checkpoint(nil), posted...)
	mu.Unlock()
	for name, got := range map[string][]Checkpoint{"file": fromFile, "webhook": gotPosted} {
		if len(got) != 2 || got[0].Size != c1.Size || got[1].Size != c2.Size {
			t.Errorf("%s witness received %v, want sizes 20, 21", name, got)
			continue
		}
		for _, c := range got {
			if err := c.Verify(key.Public()); err != nil {
				t.Errorf("%s witness: %v", name, err)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(sys.got()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	lines := sys.got()
	if len(lines) != 2 {
		t.Fatalf("syslog witness received %d lines, want 2", len(lines))
	}
	for i, line := range lines {
		prefix := "<110>1 " + []Checkpoint{c1, c2}[i].Time.Format(time.RFC3339Nano) + " vigie-court-1 vigie - checkpoint - "
		body, ok := strings.CutPrefix(line, prefix)
		if !ok {
			t.Errorf("syslog line %q does not start with %q", line, prefix)
			continue
		}
		var c Checkpoint
		if err := json.Unmarshal([]byte(body), &c); err != nil || c.Verify(key.Public()) != nil {
			t.Errorf("syslog line %d does not carry a valid checkpoint: %v", i, err)
		}
	}
}

func TestWebhookWitnessGuard(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, _ := GenerateKey()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	lg, err := Open(ctx, st, key, Config{Origin: "x", Witnesses: []WitnessConfig{{Webhook: &WebhookWitnessConfig{URL: srv.URL, Secret: "s"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if s := lg.WitnessStatus()[0]; !strings.Contains(s.LastError, "evidence.witnesses[0].webhook.allow_private") {
		t.Errorf("webhook to loopback without allow_private: status %+v, want the SSRF guard's refusal", s)
	}
}

func TestRunSignsEveryInterval(t *testing.T) {
	st := openStore(t)
	key, _ := GenerateKey()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lg, err := Open(ctx, st, key, Config{Origin: "x", Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, sshEvents(3, time.Now())); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- lg.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, ok := lg.Latest(); ok && c.Size == 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c, ok := lg.Latest(); !ok || c.Size != 3 {
		t.Errorf("after Run, latest %v, %v; want size 3", c, ok)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestReadWitnessFileErrors(t *testing.T) {
	dir := t.TempDir()
	c, _ := testCheckpoint(t)
	good, _ := json.Marshal(c)
	f := func(content, want string) {
		t.Helper()
		p := filepath.Join(dir, "w.log")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadWitnessFile(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadWitnessFile(%.40q) = %v, want an error containing %q", content, err, want)
		}
	}
	f(string(good)+"\n\nnot json\n", "w.log:3: ")
	f(string(good)+"\n"+strings.Repeat("x", 5000)+"\n", "w.log:2: line longer than 4096 bytes")
	f(`{"origin":"x"}`+"\n", "w.log:1: bad checkpoint")
}

func FuzzReadWitness(f *testing.F) {
	c, _ := testCheckpoint(f)
	good, _ := json.Marshal(c)
	f.Add(append(good, '\n'))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := readWitness(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, c := range cs {
			if _, err := ParseCheckpointText(c.Text()); err != nil {
				t.Fatalf("a checkpoint read from a witness file does not parse back: %v", err)
			}
		}
	})
}
