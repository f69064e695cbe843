package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Token lifetimes: CreateToken's ttl 0 means DefaultTokenTTL, and may
// not exceed MaxTokenTTL.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 2 * 365 * 24 * time.Hour
	maxLabelLen     = 100 // characters
)

// TokenInfo describes a user's API token; the token itself is shown
// only once, by CreateToken.
type TokenInfo struct {
	ID        string    `json:"id"` // public: names the token in lists, audit and RevokeToken
	Owner     string    `json:"owner"`
	Role      Role      `json:"role"` // at most; the owner's current role caps it
	Label     string    `json:"label,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Expires   time.Time `json:"expires"`
	Revoked   time.Time `json:"revoked,omitzero"` // zero: not revoked
	// Active is whether the token works now: not revoked nor expired,
	// its owner enabled and their password unchanged since it was made.
	Active bool `json:"active"`
}

// tokenRecord is a token's stored record (kind auth.token, ID the SHA-256
// of the token).
type tokenRecord struct {
	TokenInfo
	Gen uint64 `json:"gen"` // the owner's password generation at creation
}

// CreateToken makes an API token for owner with role, valid for ttl (0:
// DefaultTokenTTL). who must be the owner or an admin; role may not
// exceed the owner's role nor who's. The token is returned once; the
// store keeps its SHA-256.
func (s *Service) CreateToken(ctx context.Context, owner string, role Role, ttl time.Duration, label string, who Identity) (token string, info TokenInfo, err error) {
	owner, err = NormalizeName(owner)
	if err != nil {
		return "", info, err
	}
	if who.User != owner && !who.Role.Allows(RoleAdmin) {
		return "", info, fmt.Errorf("creating a token for %q by %q: %w: needs admin", owner, who.User, ErrForbidden)
	}
	if err := validRole(role); err != nil {
		return "", info, err
	}
	if role > who.Role {
		return "", info, fmt.Errorf("creating a %s token by %q (%s): %w: above the creator's role", role, who.User, who.Role, ErrForbidden)
	}
	token, id, ttl, err := newTokenParts(ttl, label)
	if err != nil {
		return "", info, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.getUser(ctx, owner)
	if err != nil {
		return "", info, err
	}
	if u.Disabled {
		return "", info, fmt.Errorf("user %q: %w", owner, ErrDisabled)
	}
	if role > u.Role {
		return "", info, fmt.Errorf("creating a %s token for %q (%s): %w: above the owner's role", role, owner, u.Role, ErrForbidden)
	}
	now := s.now()
	rec := tokenRecord{
		TokenInfo: TokenInfo{
			ID: id, Owner: owner, Role: role, Label: label,
			Created: now, CreatedBy: actor(who), Expires: now.Add(ttl),
		},
		Gen: u.Gen,
	}
	if err := s.put(ctx, kindToken, secretID(token), rec); err != nil {
		return "", info, fmt.Errorf("storing token: %w", err)
	}
	detail := map[string]any{"owner": owner, "role": role, "label": label, "expires": rec.Expires}
	if err := s.auditEntry(ctx, actor(who), "token.create", "token/"+rec.ID, who.Remote, detail); err != nil {
		return "", info, err
	}
	info = rec.TokenInfo
	info.Active = true
	return token, info, nil
}

// newTokenParts checks a token request's lifetime (0: DefaultTokenTTL)
// and label, and makes the token and its public ID.
func newTokenParts(ttl time.Duration, label string) (token, id string, _ time.Duration, err error) {
	switch {
	case ttl == 0:
		ttl = DefaultTokenTTL
	case ttl < time.Minute || ttl > MaxTokenTTL:
		return "", "", 0, fmt.Errorf("%w: token lifetime %s: want 1m to %s", ErrInvalid, ttl, MaxTokenTTL)
	}
	if err := checkLabel(label); err != nil {
		return "", "", 0, err
	}
	var idBytes [8]byte
	if _, err := rand.Read(idBytes[:]); err != nil {
		return "", "", 0, fmt.Errorf("generating token id: %w", err)
	}
	if token, err = NewToken(); err != nil {
		return "", "", 0, err
	}
	return token, hex.EncodeToString(idBytes[:]), ttl, nil
}

func checkLabel(label string) error {
	if !utf8.ValidString(label) || utf8.RuneCountInString(label) > maxLabelLen {
		return fmt.Errorf("%w: token label: want at most %d characters of UTF-8", ErrInvalid, maxLabelLen)
	}
	if i := strings.IndexFunc(label, unicode.IsControl); i >= 0 {
		return fmt.Errorf("%w: token label: control character at byte %d", ErrInvalid, i)
	}
	return nil
}

// RevokeToken ends a token for good; who must be its owner or an admin.
// Revoking a revoked token does nothing.
func (s *Service) RevokeToken(ctx context.Context, id string, who Identity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.records.ListRecords(ctx, kindToken)
	if err != nil {
		return fmt.Errorf("listing tokens: %w", err)
	}
	for _, r := range rs {
		var rec tokenRecord
		if err := decode(r, &rec); err != nil {
			return err
		}
		if rec.ID != id {
			continue
		}
		if who.User != rec.Owner && !who.Role.Allows(RoleAdmin) {
			return fmt.Errorf("revoking token %s of %q by %q: %w: needs admin", id, rec.Owner, who.User, ErrForbidden)
		}
		if !rec.Revoked.IsZero() {
			return nil
		}
		rec.Revoked = s.now()
		if err := s.put(ctx, kindToken, r.ID, rec); err != nil {
			return fmt.Errorf("revoking token %s: %w", id, err)
		}
		return s.auditEntry(ctx, actor(who), "token.revoke", "token/"+id, who.Remote, map[string]any{"owner": rec.Owner})
	}
	return fmt.Errorf("token %q: %w", id, ErrUnknownToken)
}

// Tokens lists the tokens of owner ("" for every owner's), oldest
// first, revoked and expired ones included.
func (s *Service) Tokens(ctx context.Context, owner string) ([]TokenInfo, error) {
	if owner != "" {
		var err error
		if owner, err = NormalizeName(owner); err != nil {
			return nil, err
		}
	}
	rs, err := s.records.ListRecords(ctx, kindToken)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	users, err := s.allUsers(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []TokenInfo
	for _, r := range rs {
		var rec tokenRecord
		if err := decode(r, &rec); err != nil {
			return nil, err
		}
		if owner != "" && rec.Owner != owner {
			continue
		}
		_, rec.Active = s.tokenRole(rec, users[rec.Owner], now)
		out = append(out, rec.TokenInfo)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// tokenRole is the role a token acts with now, if it works at all.
func (s *Service) tokenRole(rec tokenRecord, owner *user, now time.Time) (Role, bool) {
	if owner == nil || owner.Disabled || owner.Gen != rec.Gen ||
		!rec.Revoked.IsZero() || !now.Before(rec.Expires) {
		return RoleNone, false
	}
	role := min(rec.Role, owner.Role)
	return role, role > RoleNone
}

// identifyToken looks up a user's API token.
func (s *Service) identifyToken(ctx context.Context, token string) (Identity, bool) {
	var rec tokenRecord
	if err := s.get(ctx, kindToken, secretID(token), &rec); err != nil {
		return Identity{}, false
	}
	u, err := s.getUser(ctx, rec.Owner)
	if err != nil {
		return Identity{}, false
	}
	role, ok := s.tokenRole(rec, u, s.now())
	if !ok {
		return Identity{}, false
	}
	return Identity{User: rec.Owner, Role: role, Via: "token"}, true
}
