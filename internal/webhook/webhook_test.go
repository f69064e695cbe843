package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/webhook"
)

var secret = []byte("s3cret-shared-with-the-soar")

func TestSignAndVerify(t *testing.T) {
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
		err := webhook.Verify(secret, ts, s, b, at, 5*time.Minute)
		if !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("Verify(%s, %s) = %v, want %v", ts, s, err, want)
		}
	}
	f("1741942800", good, body, now, nil)
	f("1741942800", good, body, now.Add(4*time.Minute), nil)
	f("1741942800", good, body, now.Add(-4*time.Minute), nil)
	f("1741942800", good, body, now.Add(6*time.Minute), webhook.ErrStale)
	f("1741942800", good, body, now.Add(-6*time.Minute), webhook.ErrStale)
	f("1741942800", good, append(body, ' '), now, webhook.ErrBadSignature)
	f("1741942801", good, body, now, webhook.ErrBadSignature)
	f("1741942800", strings.TrimPrefix(good, "sha256="), body, now, webhook.ErrBadSignature)
	f("1741942800", "sha256=zz", body, now, webhook.ErrBadSignature)
	f("1741942800", "sha256="+strings.Repeat("z", 64), body, now, webhook.ErrBadSignature)
	f("soon", good, body, now, webhook.ErrStale)
	if err := webhook.Verify([]byte("another secret"), "1741942800", good, body, now, 5*time.Minute); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("Verify under another secret = %v, want ErrBadSignature", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("1741942800", "sha256="+strings.Repeat("a", 64), []byte("{}"))
	f.Add("-1", "sha256=", []byte(nil))
	f.Add("99999999999999999999", "md5=00", []byte("x"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		now := time.Unix(1741942800, 0)
		err := webhook.Verify(secret, ts, sig, body, now, 5*time.Minute)
		if err == nil && sig != webhook.Sign(secret, ts, body) {
			t.Fatalf("accepted %q for %q", sig, body)
		}
		if err := webhook.Verify(secret, "1741942800", webhook.Sign(secret, "1741942800", body), body, now, time.Minute); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
	})
}
