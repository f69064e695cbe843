package auth

import (
	"encoding/base64"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateAdmin(t *testing.T) {
	dir := t.TempDir()
	tok, created, err := LoadOrCreateAdmin(dir)
	if err != nil || !created || len(tok) != len("vigie_")+64 {
		t.Fatalf("first LoadOrCreateAdmin = %q, %v, %v; want a new 70-char token", tok, created, err)
	}
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := LoadOrCreateAdmin(dir)
	if err != nil || created || again != tok {
		t.Fatalf("second LoadOrCreateAdmin = %q, %v, %v; want the same token, not created", again, created, err)
	}
}

func TestCheck(t *testing.T) {
	a := NewAuthenticator("secret")
	f := func(header string, want bool) {
		t.Helper()
		r := httptest.NewRequest("GET", "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if got := a.Check(r); got != want {
			t.Errorf("Check(Authorization: %q) = %v, want %v", header, got, want)
		}
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	f("", false)
	f("Bearer secret", true)
	f("bearer secret", true)
	f("Bearer secreT", false)
	f("Bearer ", false)
	f("Basic "+b64("elastic:secret"), true)
	f("Basic "+b64("elastic:wrong"), false)
	f("ApiKey "+b64("id:secret"), true)
	f("ApiKey "+b64("secret"), true)
	f("ApiKey "+b64("id:nope"), false)
	f("Token secret", false)
}
