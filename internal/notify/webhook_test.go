package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWebhookSignedJSON(t *testing.T) {
	srv, got := newReceiver(t, http.StatusOK)
	n := start(t, Config{GroupWait: 20 * time.Millisecond, Targets: map[string]TargetConfig{"h": hook(srv.URL)}})
	n.Notify(Message{Kind: KindIncidentNew, Incident: "12", Level: "high", Title: "Brute force on admin",
		URL: "https://vigie.example.org/incidents/12", Fields: map[string]string{"user.name": "admin"}})
	r := next(t, got, 5*time.Second, "webhook request")

	ts := r.header.Get("X-Vigie-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		t.Errorf("X-Vigie-Timestamp %q is not the current unix time", ts)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(ts + "." + string(r.body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); r.header.Get("X-Vigie-Signature") != want {
		t.Errorf("X-Vigie-Signature %q, want %q", r.header.Get("X-Vigie-Signature"), want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if ua := r.header.Get("User-Agent"); ua != "Vigie/1.2.3" {
		t.Errorf("User-Agent %q", ua)
	}
	if r.n.Key != "incident/12" || r.n.Kind != KindIncidentNew || r.n.Title != "Brute force on admin" ||
		r.n.Changes != 1 || r.n.Fields["user.name"] != "admin" || r.n.URL != "https://vigie.example.org/incidents/12" {
		t.Errorf("notification %+v", r.n)
	}
	for _, member := range []string{`"key":"incident/12"`, `"changes":1`, `"listed":[{`} {
		if !strings.Contains(string(r.body), member) {
			t.Errorf("body lacks %s: %s", member, r.body)
		}
	}
}

// The SSRF guard refuses 127.0.0.1, and "localhost" once resolved, unless
// the target sets allow_private; the error names the key to set.
func TestWebhookSSRFGuard(t *testing.T) {
	srv, got := newReceiver(t, http.StatusOK)
	u, _ := url.Parse(srv.URL)
	byName := "http://localhost:" + u.Port() + "/hook"
	for _, tc := range []struct {
		url          string
		allowPrivate bool
		wantErr      string
	}{
		{srv.URL, false, "destination 127.0.0.1 is a loopback address; refused to guard against SSRF (set notify.targets.hook.allow_private: true to allow it)"},
		{byName, false, "is a loopback address"},
		{srv.URL, true, ""},
	} {
		w := newWebhook("notify.targets.hook", TargetConfig{URL: tc.url, AllowPrivate: tc.allowPrivate, Timeout: 5 * time.Second},
			Deps{Now: time.Now, Version: "1"})
		err := w.Send(context.Background(), sampleNotification())
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s allow_private=%v: %v", tc.url, tc.allowPrivate, err)
			}
			next(t, got, 5*time.Second, "request allowed by allow_private")
			continue
		}
		var perm *permanentError
		var refused *refusedError
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &perm) || !errors.As(err, &refused) {
			t.Errorf("%s: error %v, want a permanent refusal containing %q", tc.url, err, tc.wantErr)
		}
		nothing(t, got, 50*time.Millisecond, "request past the SSRF guard")
	}
}
