package ndjson

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/ingest"
)

// refuser answers every submission with err.
type refuser struct {
	err      error
	rejected []string
}

func (r *refuser) TrySubmit(ctx context.Context, events []*event.Event) error { return r.err }
func (r *refuser) Reject(src event.SourceID, reason string)                   { r.rejected = append(r.rejected, reason) }

func line(b []byte, e *event.Event) error {
	e.Add(event.Message, string(b))
	return nil
}

func TestBackpressureStatus(t *testing.T) {
	for _, tc := range []struct {
		err        error
		status     int
		retryAfter string
	}{
		{ingest.ErrQueueFull, http.StatusTooManyRequests, "1"},
		{fmt.Errorf("%w: disk full", ingest.ErrUnavailable), http.StatusServiceUnavailable, "5"},
		{ingest.ErrClosed, http.StatusServiceUnavailable, "5"},
		{errors.New("boom"), http.StatusInternalServerError, ""},
	} {
		h := New(Config{Submit: &refuser{err: tc.err}, JSON: line})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/events", strings.NewReader("{}\n")))
		if w.Code != tc.status || w.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("submit error %v: status %d Retry-After %q, want %d %q", tc.err, w.Code, w.Header().Get("Retry-After"), tc.status, tc.retryAfter)
		}
	}
}

func TestOversizeLineRejected(t *testing.T) {
	r := &refuser{}
	h := New(Config{Submit: r, JSON: line, MaxRecord: 10})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/events", strings.NewReader("short\n"+strings.Repeat("x", 50)+"\nok\n")))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"accepted":2,"malformed":0,"rejected":1`) {
		t.Fatalf("got %d %s, want 200 with 2 accepted and 1 rejected", w.Code, w.Body)
	}
	if len(r.rejected) != 1 || r.rejected[0] != "too_large" {
		t.Fatalf("rejections counted = %v, want [too_large]", r.rejected)
	}
}

func TestMethodAndEncoding(t *testing.T) {
	h := New(Config{Submit: &refuser{}, JSON: line})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/events", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d, want 405", w.Code)
	}
	w = httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/events", strings.NewReader("x"))
	req.Header.Set("Content-Encoding", "br")
	h.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "gzip") {
		t.Errorf("brotli body = %d %s, want 400 naming gzip", w.Code, w.Body)
	}
}
