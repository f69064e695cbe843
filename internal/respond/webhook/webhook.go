// Package webhook is a respond.Executor that posts decisions to an HTTP
// endpoint (a SOAR, a ticketing system, a firewall manager's API).
//
// Each call is one POST of
//
//	{"op":"apply"|"revoke","decision":{…respond.Decision…}}
//
// with the headers
//
//	Content-Type: application/json
//	X-Vigie-Timestamp: <Unix seconds>
//	X-Vigie-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// The receiver recomputes the HMAC over the timestamp, a dot and the raw
// body, compares in constant time, and refuses timestamps too far from its
// clock so that a captured request cannot be replayed later; Verify of
// package internal/webhook does all three. A 2xx answer is success; anything else,
// redirects included, is an error carrying the status, and the Manager
// retries it. Receivers must treat a repeated call as a no-op.
//
// The target's address is checked when connecting: loopback, link-local
// (cloud metadata) and unspecified addresses are refused unless
// allow_loopback is set, so that a webhook cannot be pointed at Vigie's
// own host.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
	signed "github.com/vigie-sec/vigie/internal/webhook"
)

// DefaultTimeout bounds one POST when the configuration names none.
const DefaultTimeout = 10 * time.Second

// Executor posts decisions to one URL. It is safe for concurrent use.
type Executor struct {
	cfg    respond.WebhookConfig
	secret []byte
	client *http.Client
	now    func() time.Time
}

var (
	_ respond.Executor = (*Executor)(nil)
	_ respond.Selector = (*Executor)(nil)
)

// New returns the executor for cfg, which respond.Config.Validate checked.
func New(cfg respond.WebhookConfig) (*Executor, error) {
	if cfg.Name == "" || cfg.URL == "" || cfg.Secret == "" {
		return nil, errors.New("webhook: name, url and secret are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	client := signed.NewClient(cfg.Timeout, signed.Guard{AllowLoopback: cfg.AllowLoopback, AllowPrivate: true,
		Setting: "allow_loopback"})
	return &Executor{cfg: cfg, secret: []byte(cfg.Secret), client: client, now: time.Now}, nil
}

// Name implements respond.Executor.
func (e *Executor) Name() string { return e.cfg.Name }

// Handles implements respond.Selector, per the configured actions.
func (e *Executor) Handles(d *respond.Decision) bool { return respond.HandlesAction(e.cfg.Actions, d) }

// Apply implements respond.Executor.
func (e *Executor) Apply(ctx context.Context, d *respond.Decision) error {
	return e.post(ctx, respond.OpApply, d)
}

// Revoke implements respond.Executor.
func (e *Executor) Revoke(ctx context.Context, d *respond.Decision) error {
	return e.post(ctx, respond.OpRevoke, d)
}

// Payload is the body of a webhook call.
type Payload struct {
	Op       string            `json:"op"`
	Decision *respond.Decision `json:"decision"`
}

func (e *Executor) post(ctx context.Context, op string, d *respond.Decision) error {
	body, err := json.Marshal(Payload{Op: op, Decision: d})
	if err != nil {
		return fmt.Errorf("webhook %s: encoding decision %s: %w", e.cfg.Name, d.ID, err)
	}
	ts := strconv.FormatInt(e.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", e.cfg.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigie-webhook")
	req.Header.Set(signed.TimestampHeader, ts)
	req.Header.Set(signed.SignatureHeader, signed.Sign(e.secret, ts, body))
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %s decision %s: %w", e.cfg.Name, op, d.ID, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s: %s decision %s: %s answered %s: %s", e.cfg.Name, op, d.ID, e.cfg.URL,
			resp.Status, strings.TrimSpace(string(snippet)))
	}
	return nil
}
