package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/webhook"
)

// refusal dials addr through g's Control and returns why it was refused,
// or "" when it was allowed.
func refusal(t *testing.T, g webhook.Guard, addr string) string {
	t.Helper()
	control := g.Control()
	if control == nil {
		return ""
	}
	err := control("tcp", netip.AddrPortFrom(netip.MustParseAddr(addr), 443).String(), nil)
	if err == nil {
		return ""
	}
	var refused *webhook.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("%s: %v, want a *RefusedError", addr, err)
	}
	return refused.Why
}

// The zero Guard refuses every address that is not public unicast, and
// says why.
func TestGuardClassifies(t *testing.T) {
	f := func(addr, want string) {
		t.Helper()
		if got := refusal(t, webhook.Guard{}, addr); got != want {
			t.Errorf("%s refused as %q, want %q", addr, got, want)
		}
	}
	f("127.0.0.1", "a loopback address")
	f("127.8.9.10", "a loopback address")
	f("::1", "a loopback address")
	f("::ffff:127.0.0.1", "a loopback address")
	f("0.0.0.0", "an unspecified address")
	f("::", "an unspecified address")
	f("169.254.169.254", "a link-local address") // cloud metadata
	f("fe80::1", "a link-local address")
	f("10.1.2.3", "a private address")
	f("172.16.0.1", "a private address")
	f("172.31.255.255", "a private address")
	f("192.168.1.1", "a private address")
	f("fd00::1", "a private address")
	f("::ffff:10.0.0.1", "a private address")
	f("100.64.0.1", "a non-public address")
	f("198.18.0.1", "a non-public address")
	f("0.1.2.3", "a non-public address")
	f("255.255.255.255", "a non-public address")
	f("224.0.0.1", "a link-local address")
	f("239.1.2.3", "a multicast address")
	f("ff02::1", "a link-local address")
	f("8.8.8.8", "")
	f("172.32.0.1", "")
	f("93.184.216.34", "")
	f("2001:4860:4860::8888", "")
}

// AllowLoopback and AllowPrivate each open their own class of addresses
// and nothing else.
func TestGuardPolicy(t *testing.T) {
	for _, tc := range []struct {
		guard                        webhook.Guard
		loopback, linkLocal, private string // "" when allowed
	}{
		{webhook.Guard{}, "a loopback address", "a link-local address", "a private address"},
		{webhook.Guard{AllowLoopback: true}, "", "", "a private address"},
		{webhook.Guard{AllowPrivate: true}, "a loopback address", "a link-local address", ""},
		{webhook.Guard{AllowLoopback: true, AllowPrivate: true}, "", "", ""},
	} {
		for addr, want := range map[string]string{"127.0.0.1": tc.loopback, "169.254.169.254": tc.linkLocal,
			"192.168.1.1": tc.private, "100.64.0.1": strings.Replace(tc.private, "a private", "a non-public", 1),
			"8.8.8.8": ""} {
			if got := refusal(t, tc.guard, addr); got != want {
				t.Errorf("%+v: %s refused as %q, want %q", tc.guard, addr, got, want)
			}
		}
	}
	if (webhook.Guard{AllowLoopback: true, AllowPrivate: true}).Control() != nil {
		t.Error("a guard that allows everything still has a Control function")
	}
}

// NewClient's client refuses a loopback server unless its guard allows
// loopback, naming the setting to change, and returns redirects as they
// are.
func TestNewClient(t *testing.T) {
	var hits, redirected atomic.Int32 // written by the server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			redirected.Add(1)
			return
		}
		hits.Add(1)
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	post := func(g webhook.Guard) (*http.Response, error) {
		t.Helper()
		c := webhook.NewClient(5*time.Second, g)
		defer c.CloseIdleConnections()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/hook", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}

	_, err := post(webhook.Guard{AllowPrivate: true, Setting: "notify.targets.ops.allow_private"})
	var refused *webhook.RefusedError
	want := "destination 127.0.0.1 is a loopback address; refused to guard against SSRF " +
		"(set notify.targets.ops.allow_private: true to allow it)"
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), want) || hits.Load() != 0 {
		t.Errorf("loopback with AllowPrivate only: %v after %d requests, want refused with %q", err, hits.Load(), want)
	}

	resp, err := post(webhook.Guard{AllowLoopback: true})
	if err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" ||
		hits.Load() != 1 || redirected.Load() != 0 {
		t.Errorf("loopback allowed: %v, %v, %d hits, %d redirected; want the 302 itself, not followed", resp, err,
			hits.Load(), redirected.Load())
	}
}
