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
// clock so that a captured request cannot be replayed later;
// VerifySignature does all three. A 2xx answer is success; anything else,
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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
)

// Header names.
const (
	SignatureHeader = "X-Vigie-Signature"
	TimestampHeader = "X-Vigie-Timestamp"
)

// DefaultTimeout bounds one POST when the configuration names none.
const DefaultTimeout = 10 * time.Second

// Executor posts decisions to one URL. It is safe for concurrent use.
type Executor struct {
	cfg    respond.WebhookConfig
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
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowLoopback {
		dialer.Control = refuseLocal
	}
	transport := &http.Transport{DialContext: dialer.DialContext, Proxy: nil, MaxIdleConnsPerHost: 4,
		TLSHandshakeTimeout: cfg.Timeout, ResponseHeaderTimeout: cfg.Timeout}
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Executor{cfg: cfg, client: client, now: time.Now}, nil
}

// refuseLocal refuses connections to this host's own addresses and to
// link-local ones.
func refuseLocal(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: unexpected address %q: %w", address, err)
	}
	a := ap.Addr().Unmap()
	if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() {
		return fmt.Errorf("webhook: %s is a loopback, link-local or unspecified address (set allow_loopback to permit it)", a)
	}
	return nil
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
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(e.cfg.Secret, ts, body))
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

// Sign returns the X-Vigie-Signature value for a timestamp and body.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors of VerifySignature.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp outside the tolerance")
)

// VerifySignature checks a received call: signature is the
// X-Vigie-Signature header, timestamp the X-Vigie-Timestamp header, body
// the raw request body. It fails when the signature is malformed or does
// not match (ErrBadSignature) or when the timestamp is more than tolerance
// away from now (ErrStale).
func VerifySignature(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	hexSig, ok := strings.CutPrefix(signature, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return fmt.Errorf("%w: want sha256=<64 hex digits>", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || len(timestamp) > 12 {
		return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrStale, timestamp)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: %s from now", ErrStale, skew.Round(time.Second))
	}
	return nil
}
