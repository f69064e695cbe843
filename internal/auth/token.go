package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the name of the admin token file inside the data folder.
const TokenFile = "admin.token"

// NewToken returns a fresh random API token.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating token: %w", err)
	}
	return "vigie_" + hex.EncodeToString(b[:]), nil
}

// LoadOrCreateAdmin reads the admin token from dir, or creates it (mode
// 0600) when there is none. created reports whether it was just made, so
// the caller can print it once.
func LoadOrCreateAdmin(dir string) (token string, created bool, err error) {
	path := filepath.Join(dir, TokenFile)
	b, err := os.ReadFile(path)
	if err == nil {
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", false, fmt.Errorf("%s is empty: delete it to have a new token made", path)
		}
		return token, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("reading admin token: %w", err)
	}
	token, err = NewToken()
	if err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("creating admin token: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("writing admin token: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", false, fmt.Errorf("writing admin token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("writing admin token: %w", err)
	}
	return token, true, nil
}

// Authenticator checks the credentials of a request against known tokens.
// It is safe for concurrent use.
type Authenticator struct {
	hashes [][32]byte
}

// NewAuthenticator accepts the given tokens.
func NewAuthenticator(tokens ...string) *Authenticator {
	a := &Authenticator{}
	for _, t := range tokens {
		a.hashes = append(a.hashes, sha256.Sum256([]byte(t)))
	}
	return a
}

// Check reports whether r carries a known token, in any form the API and
// the shippers use:
//   - "Authorization: Bearer TOKEN" (Vigie's CLI, curl, Prometheus);
//   - "Authorization: Basic" with TOKEN as the password, any user name
//     (Beats, Fluent Bit, Vector and Logstash username/password);
//   - "Authorization: ApiKey base64(id:TOKEN)" or base64(TOKEN) (Beats api_key).
func (a *Authenticator) Check(r *http.Request) bool {
	_, ok := a.Identify(r)
	return ok
}

// Identify is Check, naming who the token belongs to: these tokens are
// the admin's.
func (a *Authenticator) Identify(r *http.Request) (Identity, bool) {
	if a.check(r) {
		return Identity{User: "admin", Role: RoleAdmin, Via: "admin-token", Remote: r.RemoteAddr}, true
	}
	return Identity{}, false
}

func (a *Authenticator) check(r *http.Request) bool {
	for _, c := range credentials(r) {
		if a.known(c) {
			return true
		}
	}
	return false
}

// maxCredential bounds the length of a credential worth hashing: tokens
// are 70 characters.
const maxCredential = 256

// credentials returns the tokens r carries in its Authorization header,
// in every form Check accepts, at most three and none longer than
// maxCredential.
func credentials(r *http.Request) []string {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok {
		return nil
	}
	cred = strings.TrimSpace(cred)
	var out []string
	add := func(c string) {
		if c != "" && len(c) <= maxCredential {
			out = append(out, c)
		}
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		add(cred)
	case "basic":
		if _, pass, ok := r.BasicAuth(); ok {
			add(pass)
		}
	case "apikey":
		if len(cred) > 2*maxCredential {
			return nil
		}
		dec, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			add(cred)
			return out
		}
		if _, key, ok := strings.Cut(string(dec), ":"); ok {
			add(key)
		}
		add(string(dec))
	}
	return out
}

func (a *Authenticator) known(token string) bool {
	sum := sha256.Sum256([]byte(token))
	found := 0
	for _, h := range a.hashes {
		found |= subtle.ConstantTimeCompare(sum[:], h[:])
	}
	return found == 1
}
