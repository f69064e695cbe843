package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/respond/respondtest"
	"github.com/vigie-sec/vigie/internal/respond/webhook"
)

const secret = "s3cret-shared-with-the-soar"

// receiver is a SOAR endpoint that checks signatures and keeps the blocks
// it was told about.
type receiver struct {
	mu      sync.Mutex
	blocked map[string]bool
	broken  bool
	hang    chan struct{}
	badSigs int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	broken, hang := r.broken, r.hang
	r.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-req.Context().Done():
		}
		return
	}
	if broken {
		http.Error(w, "database locked", http.StatusServiceUnavailable)
		return
	}
	err := webhook.VerifySignature(secret, req.Header.Get(webhook.TimestampHeader), req.Header.Get(webhook.SignatureHeader),
		body, time.Now(), 5*time.Minute)
	if err != nil {
		r.mu.Lock()
		r.badSigs++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch p.Op {
	case "apply":
		r.blocked[p.Decision.Value] = true
	case "revoke":
		delete(r.blocked, p.Decision.Value)
	default:
		http.Error(w, "unknown op", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func newTarget(t *testing.T) (respondtest.Target, *receiver, string) {
	rec := &receiver{blocked: map[string]bool{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(func() {
		rec.mu.Lock()
		if rec.hang != nil {
			close(rec.hang)
		}
		rec.mu.Unlock()
		srv.Close()
	})
	ex, err := webhook.New(respond.WebhookConfig{Name: "soar", URL: srv.URL + "/hook", Secret: secret, AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	return respondtest.Target{
		Executor: ex,
		Enforced: func(t *testing.T, d *respond.Decision) bool {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			return rec.blocked[d.Value]
		},
		Break: func(t *testing.T) { rec.mu.Lock(); rec.broken = true; rec.mu.Unlock() },
		Hang:  func(t *testing.T) { rec.mu.Lock(); rec.hang = make(chan struct{}); rec.mu.Unlock() },
	}, rec, srv.URL
}

func TestContract(t *testing.T) {
	respondtest.Run(t, func(t *testing.T) respondtest.Target {
		tg, _, _ := newTarget(t)
		return tg
	})
}

func TestErrorCarriesStatus(t *testing.T) {
	tg, rec, _ := newTarget(t)
	rec.broken = true
	err := tg.Executor.Apply(context.Background(), respondtest.Decision("7", "198.51.100.7"))
	if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable: database locked") {
		t.Errorf("error %v, want the status and the body", err)
	}
}

func TestWrongSecretRefused(t *testing.T) {
	_, rec, url := newTarget(t)
	ex, err := webhook.New(respond.WebhookConfig{Name: "soar", URL: url, Secret: "not-the-shared-secret", AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	err = ex.Apply(context.Background(), respondtest.Decision("8", "198.51.100.7"))
	if err == nil || !strings.Contains(err.Error(), "401") || rec.badSigs != 1 || rec.blocked["198.51.100.7"] {
		t.Errorf("wrong secret: %v, %d bad signatures; want a 401 and nothing blocked", err, rec.badSigs)
	}
}

func TestLoopbackRefusedByDefault(t *testing.T) {
	_, rec, url := newTarget(t)
	ex, err := webhook.New(respond.WebhookConfig{Name: "soar", URL: url, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	err = ex.Apply(context.Background(), respondtest.Decision("9", "198.51.100.7"))
	if err == nil || !strings.Contains(err.Error(), "allow_loopback") || len(rec.blocked) != 0 {
		t.Errorf("loopback target: %v, want refused", err)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"op":"apply","decision":{"id":"1"}}`)
	now := time.Unix(1741942800, 0)
	// Computed independently with:
	// printf '1741942800.{"op":"apply","decision":{"id":"1"}}' | openssl dgst -sha256 -hmac s3cret-shared-with-the-soar
	const good = "sha256=828e822654b387ad32ad0224bd146b35d7c91437eb6272c4b75d350062fe3061"
	if got := webhook.Sign(secret, "1741942800", body); got != good {
		t.Errorf("Sign = %s, want %s (openssl)", got, good)
	}
	f := func(ts, s string, b []byte, at time.Time, want error) {
		t.Helper()
		err := webhook.VerifySignature(secret, ts, s, b, at, 5*time.Minute)
		if !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("VerifySignature(%s, %s) = %v, want %v", ts, s, err, want)
		}
	}
	f("1741942800", good, body, now, nil)
	f("1741942800", good, body, now.Add(4*time.Minute), nil)
	f("1741942800", good, body, now.Add(6*time.Minute), webhook.ErrStale)
	f("1741942800", good, append(body, ' '), now, webhook.ErrBadSignature)
	f("1741942801", good, body, now, webhook.ErrBadSignature)
	f("1741942800", strings.TrimPrefix(good, "sha256="), body, now, webhook.ErrBadSignature)
	f("1741942800", "sha256=zz", body, now, webhook.ErrBadSignature)
	f("soon", good, body, now, webhook.ErrStale)
}

func FuzzVerifySignature(f *testing.F) {
	f.Add("1741942800", "sha256="+strings.Repeat("a", 64), []byte("{}"))
	f.Add("-1", "sha256=", []byte(nil))
	f.Add("99999999999999999999", "md5=00", []byte("x"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		now := time.Unix(1741942800, 0)
		err := webhook.VerifySignature(secret, ts, sig, body, now, 5*time.Minute)
		if err == nil && sig != webhook.Sign(secret, ts, body) {
			t.Fatalf("accepted %q for %q", sig, body)
		}
		if err := webhook.VerifySignature(secret, "1741942800", webhook.Sign(secret, "1741942800", body), body, now, time.Minute); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
	})
}
