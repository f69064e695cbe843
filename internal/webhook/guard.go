package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Guard says which destinations a webhook may connect to, against SSRF.
// The zero Guard allows public unicast addresses only.
type Guard struct {
	// AllowLoopback permits loopback, link-local (cloud metadata
	// included), unspecified and multicast addresses.
	AllowLoopback bool
	// AllowPrivate permits private (RFC 1918, unique local), shared
	// (RFC 6598), benchmarking (RFC 2544) and the other non-public
	// unicast addresses.
	AllowPrivate bool
	// Setting is the configuration key that would permit a refused
	// address, named in RefusedError: "notify.targets.ops.allow_private".
	Setting string
}

// RefusedError is a Guard refusing the address about to be dialled.
type RefusedError struct {
	Addr    netip.Addr
	Why     string // "a loopback address", "a private address"…
	Setting string // Guard.Setting
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("destination %s is %s; refused to guard against SSRF (set %s: true to allow it)",
		e.Addr, e.Why, e.Setting)
}

// Control returns a net.Dialer Control function that refuses what g does
// not allow, or nil when g allows every address. It runs on the address
// actually dialled, after name resolution, so a name that resolves (or
// re-resolves) to a refused address is refused too.
func (g Guard) Control() func(network, address string, c syscall.RawConn) error {
	if g.AllowLoopback && g.AllowPrivate {
		return nil
	}
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook: unexpected dial address %q: %w", address, err)
		}
		why, local := classify(ap.Addr())
		if why == "" || local && g.AllowLoopback || !local && g.AllowPrivate {
			return nil
		}
		return &RefusedError{Addr: ap.Addr(), Why: why, Setting: g.Setting}
	}
}

// NewClient returns an HTTP client that dials only what g allows, through
// no proxy (a proxy would dial for it, past the guard), and returns
// redirects as they are instead of following them. timeout bounds the
// dial, the TLS handshake, the wait for the response headers and the whole
// request; 0 means no bound.
func NewClient(timeout time.Duration, g Guard) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.Control()}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// sharedSpace is RFC 6598's carrier-grade NAT range; benchmarking is
// RFC 2544's.
var (
	sharedSpace  = netip.MustParsePrefix("100.64.0.0/10")
	benchmarking = netip.MustParsePrefix("198.18.0.0/15")
)

// classify says why a is not a public unicast address, or "" when it is;
// local is true for the addresses Guard.AllowLoopback permits.
func classify(a netip.Addr) (why string, local bool) {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "a loopback address", true
	case a.IsUnspecified():
		return "an unspecified address", true
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address", true
	case a.IsMulticast():
		return "a multicast address", true
	case a.IsPrivate():
		return "a private address", false
	case sharedSpace.Contains(a), benchmarking.Contains(a):
		return "a non-public address", false
	case a.Is4() && a.As4()[0] == 0, a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a non-public address", false
	}
	return "", false
}
