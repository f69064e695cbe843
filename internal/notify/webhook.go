package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	signed "github.com/vigie-sec/vigie/internal/webhook"
)

// webhook posts each notification as JSON, signed as package
// internal/webhook says when the target has a secret:
//
//	X-Vigie-Timestamp: <unix seconds>
//	X-Vigie-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A receiver recomputes the signature over the raw body and rejects old
// timestamps (webhook.Verify), which defeats replays. Any status outside
// 2xx is a failure; redirects are not followed.
type webhook struct {
	url       string
	secret    []byte
	client    *http.Client
	now       func() time.Time
	userAgent string
}

const maxWebhookResponse = 64 << 10 // response bytes read, then discarded

func newWebhook(key string, tc TargetConfig, deps Deps) *webhook {
	client := deps.HTTPClient
	if client == nil {
		client = signed.NewClient(tc.Timeout, signed.Guard{AllowLoopback: tc.AllowPrivate, AllowPrivate: tc.AllowPrivate,
			Setting: key + ".allow_private"})
	}
	return &webhook{url: tc.URL, secret: []byte(tc.Secret), client: client, now: deps.Now,
		userAgent: "Vigie/" + deps.Version}
}

func (w *webhook) Send(ctx context.Context, n *Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return &permanentError{fmt.Errorf("webhook: encoding notification %s: %w", n.Key, err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return &permanentError{fmt.Errorf("webhook: %w", err)}
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.userAgent)
	req.Header.Set(signed.TimestampHeader, ts)
	if len(w.secret) > 0 {
		req.Header.Set(signed.SignatureHeader, signed.Sign(w.secret, ts, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var refused *refusedError
		if errors.As(err, &refused) {
			return &permanentError{fmt.Errorf("webhook: %w", err)}
		}
		return fmt.Errorf("webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxWebhookResponse))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := fmt.Errorf("webhook: %s answered %s", w.url, resp.Status)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout &&
			resp.StatusCode != http.StatusTooManyRequests {
			return &permanentError{err}
		}
		return err
	}
	return nil
}

func (w *webhook) Close() error {
	w.client.CloseIdleConnections()
	return nil
}

// refusedError is the SSRF guard refusing a destination address: a
// failure that retrying cannot fix.
type refusedError = signed.RefusedError
