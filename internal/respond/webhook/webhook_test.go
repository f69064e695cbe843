package webhook_test

import (
	"context"
	"encoding/json"
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
	signed "github.com/vigie-sec/vigie/internal/webhook"
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
	err := signed.Verify([]byte(secret), req.Header.Get(signed.TimestampHeader), req.Header.Get(signed.SignatureHeader),
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
