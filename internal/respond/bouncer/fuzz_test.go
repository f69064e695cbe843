package bouncer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/respond/bouncer"
	"github.com/vigie-sec/vigie/internal/respond/respondtest"
)

// FuzzQuery sends arbitrary query strings to both endpoints: the answer is
// 200 or 400, never a panic.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"ip=198.51.100.7", "range=203.0.113.0/24&contains=false", "scope=Ip&value=1.2.3.4",
		"startup=true&scopes=ip,range", "origins=vigie,,crowdsec&scenarios_containing=a,b", "ip=::ffff:1.2.3.4%25eth0",
		"range=::/0", "type=captcha", "%zz"} {
		f.Add(s)
	}
	b := bouncer.New(openStoreF(f), nil)
	key, err := b.AddBouncer(context.Background(), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	d := respondtest.Decision("1", "203.0.113.0/24")
	d.Scope = respond.ScopeRange
	b.Apply(context.Background(), d)
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 8192 {
			return
		}
		for _, path := range []string{"/v1/decisions", "/v1/decisions/stream"} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL.Path, req.URL.RawQuery = path, q
			req.Header.Set("X-Api-Key", key)
			rec := httptest.NewRecorder()
			b.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
				t.Fatalf("%s?%s: status %d", path, q, rec.Code)
			}
		}
	})
}
