package auth

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// cheap is an argon2id cost that keeps tests fast.
var cheap = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

func TestHashPasswordPHC(t *testing.T) {
	f := func(p Argon2Params, wantParams string) {
		t.Helper()
		h, err := hashPassword("correct horse battery", p)
		if err != nil {
			t.Fatal(err)
		}
		// 16-byte salt: 22 base64 characters; 32-byte key: 43.
		re := regexp.MustCompile(`^\$argon2id\$v=19\$` + regexp.QuoteMeta(wantParams) + `\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
		if !re.MatchString(h) {
			t.Fatalf("hash %q does not match %s", h, re)
		}
		ok, got, err := verifyPassword("correct horse battery", h)
		if err != nil || !ok || got != p {
			t.Errorf("verify right password = %v, %+v, %v; want true, %+v, nil", ok, got, err, p)
		}
		ok, _, err = verifyPassword("correct horse batterY", h)
		if err != nil || ok {
			t.Errorf("verify wrong password = %v, %v; want false, nil", ok, err)
		}
		again, err := hashPassword("correct horse battery", p)
		if err != nil {
			t.Fatal(err)
		}
		if again == h {
			t.Errorf("two hashes of one password are equal (%q): the salt is not random", h)
		}
	}
	f(cheap, "m=64,t=1,p=1")
	f(Argon2Params{}.orDefault(), "m=19456,t=2,p=1")
}

// Hashes made by other implementations verify.
func TestVerifyKnownHashes(t *testing.T) {
	b64 := base64.RawStdEncoding.EncodeToString
	// The reference implementation's vector, as in x/crypto's tests:
	// "password", salt "somesalt", argon2id t=2 m=64 p=1, 24-byte key.
	key, _ := hex.DecodeString("068d62b26455936aa6ebe60060b0a65870dbfa3ddf8d41f7")
	ref := "$argon2id$v=19$m=64,t=2,p=1$" + b64([]byte("somesalt")) + "$" + b64(key)
	// argon2-cffi's documented example (m=64 MiB, t=3, p=4).
	cffi := "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	f := func(password, encoded string, want bool, wantParams Argon2Params) {
		t.Helper()
		ok, p, err := verifyPassword(password, encoded)
		if err != nil || ok != want || p != wantParams {
			t.Errorf("verifyPassword(%q, %q) = %v, %+v, %v; want %v, %+v", password, encoded, ok, p, err, want, wantParams)
		}
	}
	f("password", ref, true, Argon2Params{Time: 2, MemoryKiB: 64, Threads: 1})
	f("passwore", ref, false, Argon2Params{Time: 2, MemoryKiB: 64, Threads: 1})
	f("correct horse battery staple", cffi, true, Argon2Params{Time: 3, MemoryKiB: 65536, Threads: 4})
}

func TestParsePHCRejects(t *testing.T) {
	const salt, hash = "c29tZXNhbHQ", "Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3"
	f := func(s, wantInMsg string) {
		t.Helper()
		_, err := parsePHC(s)
		if !errors.Is(err, ErrBadHash) {
			t.Fatalf("parsePHC(%q) = %v, want ErrBadHash", s, err)
		}
		if !strings.Contains(err.Error(), wantInMsg) {
			t.Errorf("parsePHC(%q) = %q, want it to say %q", s, err, wantInMsg)
		}
	}
	f("", "want $argon2id")
	f("argon2id$v=19$m=64,t=2,p=1$"+salt+"$"+hash+"$", "want $argon2id")
	f("$argon2i$v=19$m=64,t=2,p=1$"+salt+"$"+hash, "field 1")
	f("$argon2id$v=16$m=64,t=2,p=1$"+salt+"$"+hash, "field 2")
	f("$argon2id$v=19$t=2,m=64,p=1$"+salt+"$"+hash, "field 3: parameter 1")
	f("$argon2id$v=19$m=64,t=2$"+salt+"$"+hash, "field 3")
	f("$argon2id$v=19$m=064,t=2,p=1$"+salt+"$"+hash, "field 3")
	f("$argon2id$v=19$m=-1,t=2,p=1$"+salt+"$"+hash, "field 3")
	f("$argon2id$v=19$m=64,t=0,p=1$"+salt+"$"+hash, "field 3: argon2 time 0")
	f("$argon2id$v=19$m=4194304,t=2,p=1$"+salt+"$"+hash, "field 3: argon2 memory")
	f("$argon2id$v=19$m=64,t=2,p=255$"+salt+"$"+hash, "field 3")
	f("$argon2id$v=19$m=64,t=2,p=1$c29tZQ$"+hash, "field 4: salt: 4 bytes")
	f("$argon2id$v=19$m=64,t=2,p=1$"+salt+"=$"+hash, "field 4")
	f("$argon2id$v=19$m=64,t=2,p=1$"+salt+"$AAAA", "field 5: hash: 3 bytes")
	f("$argon2id$v=19$m=64,t=2,p=1$"+salt+"$"+hash+"$x", "want $argon2id")
	f("$argon2id$v=19$m=64,t=2,p=1$"+salt+"$"+strings.Repeat("A", 600), "more than 512")
	if _, err := parsePHC("$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + hash); err != nil {
		t.Errorf("the well-formed control case fails: %v", err)
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3")
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2i$v=19$m=64,t=2,p=1$$")
	f.Add("$$$$$")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$x$y")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("parsePHC(%q) error %v does not wrap ErrBadHash", s, err)
			}
			return
		}
		// Whatever parses is within bounds, and is in the one canonical
		// form: encoding it again gives the input back.
		if err := h.params.validate(); err != nil {
			t.Fatalf("parsePHC(%q) accepted out-of-bounds parameters: %v", s, err)
		}
		if len(h.salt) < 8 || len(h.salt) > 64 || len(h.hash) < 16 || len(h.hash) > 64 {
			t.Fatalf("parsePHC(%q): salt %d bytes, hash %d bytes", s, len(h.salt), len(h.hash))
		}
		if got := h.String(); got != s {
			t.Fatalf("parsePHC(%q).String() = %q", s, got)
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	f := func(name, password, wantInMsg string) {
		t.Helper()
		err := checkPassword(name, password)
		if wantInMsg == "" {
			if err != nil {
				t.Errorf("checkPassword(%q, %q) = %v, want nil", name, password, err)
			}
			return
		}
		if !errors.Is(err, ErrWeakPassword) || !strings.Contains(err.Error(), wantInMsg) {
			t.Errorf("checkPassword(%q, %q) = %v, want ErrWeakPassword saying %q", name, password, err, wantInMsg)
		}
	}
	f("alice", "elevenchars", "at least 12 characters")
	f("alice", "twelve chars", "")
	f("alice", strings.Repeat("é", 11), "at least 12 characters") // 22 bytes, 11 characters
	f("alice", strings.Repeat("é", 12), "")
	f("alice.martin@court", "Alice.Martin@Court", "not be the user name")
	f("alice", strings.Repeat("x", 1025), "at most 1024 bytes")
	f("alice", "twelve chars\xff", "UTF-8")
}

func TestNormalizeName(t *testing.T) {
	f := func(in, want string, ok bool) {
		t.Helper()
		got, err := NormalizeName(in)
		if ok && (err != nil || got != want) {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
		if !ok && !errors.Is(err, ErrBadName) {
			t.Errorf("NormalizeName(%q) = %q, %v; want ErrBadName", in, got, err)
		}
	}
	f("Alice.Martin@Court-ICC_2", "alice.martin@court-icc_2", true)
	f("a", "a", true)
	f(strings.Repeat("a", 64), strings.Repeat("a", 64), true)
	f(strings.Repeat("a", 65), "", false)
	f("", "", false)
	f("alice martin", "", false)
	f("\u212Aelvin", "", false) // the Kelvin sign folds to k: refused, not aliased
	f("alice/..", "", false)
}
