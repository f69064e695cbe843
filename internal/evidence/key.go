package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Key is an instance's signing key: an Ed25519 private key. It signs
// checkpoints and bundle manifests. A Key is immutable and safe for
// concurrent use.
type Key struct {
	priv ed25519.PrivateKey
}

// maxKeyFile bounds how much of a key file is read: a PKCS#8 Ed25519 key
// in PEM is 119 bytes.
const maxKeyFile = 4096

// LoadOrCreateKey reads the key at path, or creates it when the file does
// not exist. The file is PEM, type "PRIVATE KEY", holding the key in
// PKCS#8 (as `openssl genpkey -algorithm ed25519` writes it); it is
// created with mode 0600 (and its folder with 0700 when missing).
//
// It refuses a file that others may read or write (any group or other
// permission bit), a file that is not a PEM PKCS#8 Ed25519 key, and a
// path that is not a regular file, saying which.
func LoadOrCreateKey(path string) (*Key, error) {
	k, err := loadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := createKey(path); err != nil {
		return nil, err
	}
	return loadKey(path)
}

// GenerateKey returns a new random key that lives only in memory, for
// tests and tools.
func GenerateKey() (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating an Ed25519 key: %w", err)
	}
	return &Key{priv: priv}, nil
}

func loadKey(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening signing key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("signing key %s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s has mode %04o: others may read or change it; run chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading signing key %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("signing key %s is larger than %d bytes: not an Ed25519 key", path, maxKeyFile)
	}
	k, err := parseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return k, nil
}

func parseKeyPEM(data []byte) (*Key, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New(`no PEM block: want "-----BEGIN PRIVATE KEY-----" (PKCS#8 Ed25519)`)
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("PEM block is %q, want \"PRIVATE KEY\" (PKCS#8 Ed25519)", block.Type)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("unexpected data after the PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKCS#8: %w", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want an Ed25519 key", key)
	}
	return &Key{priv: priv}, nil
}

// createKey writes a new key to path without ever replacing an existing
// file: it writes a temporary file beside it, syncs it, then links it to
// path, which fails if another process created path meanwhile.
func createKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating signing key folder: %w", err)
	}
	k, err := GenerateKey()
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return fmt.Errorf("encoding signing key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".vigie-key-*")
	if err != nil {
		return fmt.Errorf("creating signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("creating signing key: %w", err)
	}
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return fmt.Errorf("writing signing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing signing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating signing key %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// Public returns the key's public half.
func (k *Key) Public() PublicKey {
	return PublicKey(k.priv.Public().(ed25519.PublicKey))
}

// Sign returns the Ed25519 signature of msg.
func (k *Key) Sign(msg []byte) []byte {
	return ed25519.Sign(k.priv, msg)
}

// PublicKey is an instance's public key: what a receiver needs, besides a
// bundle or a checkpoint, to check it. Its text form is
// "vigie-ed25519:" followed by the standard base64 of the 32 key bytes.
type PublicKey ed25519.PublicKey

// publicKeyPrefix opens the text form of a PublicKey.
const publicKeyPrefix = "vigie-ed25519:"

// ParsePublicKey parses the text form of a public key.
func ParsePublicKey(s string) (PublicKey, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), publicKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("public key %.40q does not start with %q", s, publicKeyPrefix)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("public key: base64 at offset %d: %w", len(publicKeyPrefix), err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key has %d bytes, want %d", len(raw), ed25519.PublicKeySize)
	}
	return PublicKey(raw), nil
}

// String returns the text form of p.
func (p PublicKey) String() string {
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(p)
}

// MarshalText returns the text form of p.
func (p PublicKey) MarshalText() ([]byte, error) {
	if len(p) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key has %d bytes, want %d", len(p), ed25519.PublicKeySize)
	}
	return []byte(p.String()), nil
}

// UnmarshalText parses the text form of a public key into p.
func (p *PublicKey) UnmarshalText(text []byte) error {
	k, err := ParsePublicKey(string(text))
	if err != nil {
		return err
	}
	*p = k
	return nil
}

// KeyID names the key in checkpoints and manifests: the hex of the first
// 8 bytes of the SHA-256 of the key bytes.
func (p PublicKey) KeyID() string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:8])
}

// Equal reports whether p and q are the same key.
func (p PublicKey) Equal(q PublicKey) bool {
	return ed25519.PublicKey(p).Equal(ed25519.PublicKey(q))
}
