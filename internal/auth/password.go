package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params is the cost of hashing a password with argon2id. The zero
// value means DefaultArgon2(): OWASP's recommendation of 19 MiB of memory,
// two passes and one thread (RFC 9106 section 4 allows any cost; OWASP's
// Password Storage Cheat Sheet lists this one first among equivalents
// for argon2id). Tests use a cheap one; hashes stored with other costs
// still verify, and are rehashed at the configured cost on login.
type Argon2Params struct {
	Time      uint32 `yaml:"time"`       // passes over memory
	MemoryKiB uint32 `yaml:"memory_kib"` // memory per hash, in KiB
	Threads   uint8  `yaml:"threads"`    // lanes
}

// DefaultArgon2 returns the cost used when Config.Argon2 is zero.
func DefaultArgon2() Argon2Params {
	return Argon2Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}
}

// Bounds on a stored hash's parameters, so a damaged or planted hash
// cannot make one verification take gigabytes or minutes.
const (
	maxArgonTime    = 16
	maxArgonMemory  = 1 << 20 // KiB: 1 GiB
	maxArgonThreads = 16
	saltLen         = 16
	keyLen          = 32
	maxPHCLen       = 512
	// MaxPasswordLen bounds a password, in bytes: longer ones are
	// refused, never hashed.
	MaxPasswordLen = 1024
	// MinPasswordLen is the fewest characters a password may have.
	MinPasswordLen = 12
)

// ErrBadHash is wrapped by the errors of parsing a stored password hash.
var ErrBadHash = errors.New("malformed password hash")

func (p Argon2Params) orDefault() Argon2Params {
	if p == (Argon2Params{}) {
		return DefaultArgon2()
	}
	return p
}

// validate checks p is a cost argon2 accepts and within bounds.
func (p Argon2Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxArgonTime:
		return fmt.Errorf("argon2 time %d: want 1 to %d", p.Time, maxArgonTime)
	case p.Threads < 1 || p.Threads > maxArgonThreads:
		return fmt.Errorf("argon2 threads %d: want 1 to %d", p.Threads, maxArgonThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxArgonMemory:
		return fmt.Errorf("argon2 memory %d KiB: want %d to %d", p.MemoryKiB, 8*uint32(p.Threads), maxArgonMemory)
	}
	return nil
}

// phc is a parsed argon2id hash in the PHC string format.
type phc struct {
	params     Argon2Params
	salt, hash []byte
}

// String encodes h as $argon2id$v=19$m=M,t=T,p=P$SALT$HASH, with the
// salt and hash in unpadded standard base64, as the PHC format says.
func (h phc) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.hash))
}

// hashPassword returns the PHC string of password hashed with p and a
// fresh random salt.
func hashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generating salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return phc{params: p, salt: salt, hash: key}.String(), nil
}

// verifyPassword reports whether password matches the PHC string
// encoded, comparing in constant time, and the parameters it was hashed
// with.
func verifyPassword(password, encoded string) (bool, Argon2Params, error) {
	h, err := parsePHC(encoded)
	if err != nil {
		return false, Argon2Params{}, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(len(h.hash)))
	return subtle.ConstantTimeCompare(key, h.hash) == 1, h.params, nil
}

// parsePHC reads an argon2id hash in the PHC string format. It accepts
// only version 19, parameters in the order m,t,p within the bounds
// above, a salt of 8 to 64 bytes and a hash of 16 to 64 bytes. Errors
// name the "$"-separated field at fault, counting from 1.
func parsePHC(s string) (phc, error) {
	var h phc
	if len(s) > maxPHCLen {
		return h, fmt.Errorf("%w: %d bytes, more than %d", ErrBadHash, len(s), maxPHCLen)
	}
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" {
		return h, fmt.Errorf("%w: want $argon2id$v=19$m=M,t=T,p=P$SALT$HASH", ErrBadHash)
	}
	bad := func(i int, format string, args ...any) (phc, error) {
		return phc{}, fmt.Errorf("%w: field %d: %s", ErrBadHash, i, fmt.Sprintf(format, args...))
	}
	if f[1] != "argon2id" {
		return bad(1, "algorithm %q, want argon2id", f[1])
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad(2, "version %q, want v=%d", f[2], argon2.Version)
	}
	params := strings.Split(f[3], ",")
	if len(params) != 3 {
		return bad(3, "want m=M,t=T,p=P")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		k, v, ok := strings.Cut(params[i], "=")
		if !ok || k != name {
			return bad(3, "parameter %d: want %s=N", i+1, name)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || (len(v) > 1 && v[0] == '0') {
			return bad(3, "parameter %s: %q is not a number", name, v)
		}
		vals[i] = n
	}
	if vals[2] > maxArgonThreads {
		return bad(3, "p=%d, more than %d", vals[2], maxArgonThreads)
	}
	h.params = Argon2Params{MemoryKiB: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	if err := h.params.validate(); err != nil {
		return phc{}, fmt.Errorf("%w: field 3: %w", ErrBadHash, err)
	}
	var err error
	if h.salt, err = decodeB64(f[4], 8, 64); err != nil {
		return phc{}, fmt.Errorf("%w: field 4: salt: %w", ErrBadHash, err)
	}
	if h.hash, err = decodeB64(f[5], 16, 64); err != nil {
		return phc{}, fmt.Errorf("%w: field 5: hash: %w", ErrBadHash, err)
	}
	return h, nil
}

// decodeB64 decodes unpadded standard base64 of min to max bytes.
func decodeB64(s string, min, max int) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(b) < min || len(b) > max {
		return nil, fmt.Errorf("%d bytes, want %d to %d", len(b), min, max)
	}
	return b, nil
}

// checkPassword applies the password policy to a new password for user
// name, and says why it is refused.
func checkPassword(name, password string) error {
	switch {
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: not valid UTF-8", ErrWeakPassword)
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return fmt.Errorf("%w: it must have at least %d characters", ErrWeakPassword, MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("%w: it must have at most %d bytes", ErrWeakPassword, MaxPasswordLen)
	case strings.EqualFold(strings.TrimSpace(password), name):
		return fmt.Errorf("%w: it must not be the user name", ErrWeakPassword)
	}
	return nil
}

// randomPassword returns a password of 24 characters from 18 random
// bytes (144 bits), for first runs and resets.
func randomPassword() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
