package notify

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
	"syscall"
	"time"
)

// webhook posts each notification as JSON, signed with HMAC-SHA256 when
// the target has a secret:
//
//	X-Vigie-Timestamp: <unix seconds>
//	X-Vigie-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A receiver recomputes the signature over the raw body and rejects old
// timestamps, which defeats replays. Any status outside 2xx is a failure;
// redirects are not followed.
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
		dialer := &net.Dialer{Timeout: tc.Timeout, KeepAlive: 30 * time.Second}
		if !tc.AllowPrivate {
			dialer.Control = guardDial(key)
		}
		client = &http.Client{
			Transport: &http.Transport{
				Proxy:               nil, // a proxy would dial for us, past the guard
				DialContext:         dialer.DialContext,
				TLSHandshakeTimeout: tc.Timeout,
				MaxIdleConns:        2,
				IdleConnTimeout:     90 * time.Second,
				ForceAttemptHTTP2:   true,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &webhook{url: tc.URL, secret: []byte(tc.Secret), client: client, now: deps.Now,
		userAgent: "Vigie/" + deps.Version}
}

// Sign returns the X-Vigie-Signature value of body sent at timestamp (unix
// seconds, as in X-Vigie-Timestamp): "sha256=" and the hex HMAC-SHA256 of
// timestamp + "." + body under secret. Receivers may use it to verify.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
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
	req.Header.Set("X-Vigie-Timestamp", ts)
	if len(w.secret) > 0 {
		req.Header.Set("X-Vigie-Signature", Sign(w.secret, ts, body))
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

// refusedError is the SSRF guard refusing a destination address.
type refusedError struct {
	key  string // the target's configuration key
	addr netip.Addr
	why  string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("destination %s is %s; refused to guard against SSRF (set %s.allow_private: true to allow it)",
		e.addr, e.why, e.key)
}

// guardDial returns a net.Dialer Control function that refuses loopback,
// private, link-local, unspecified and other non-public addresses. It runs
// on the address actually dialled, after name resolution, so a name that
// resolves (or re-resolves) to such an address is refused too.
func guardDial(key string) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("notify: %s: unexpected dial address %q: %w", key, address, err)
		}
		if why := nonPublic(ap.Addr()); why != "" {
			return &refusedError{key: key, addr: ap.Addr(), why: why}
		}
		return nil
	}
}

// sharedSpace is RFC 6598's carrier-grade NAT range; benchmarking is
// RFC 2544's.
var (
	sharedSpace  = netip.MustParsePrefix("100.64.0.0/10")
	benchmarking = netip.MustParsePrefix("198.18.0.0/15")
)

// nonPublic says why a is not a public unicast address, or "" when it is.
func nonPublic(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsPrivate():
		return "a private address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case sharedSpace.Contains(a), benchmarking.Contains(a):
		return "a non-public address"
	case a.Is4() && a.As4()[0] == 0, a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a non-public address"
	}
	return ""
}
