package auth

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// kindIngest is the record kind of ingest tokens, keyed by the SHA-256 of
// the token like users' API tokens.
const kindIngest = "auth.ingest"

// maxSourceLen bounds an ingest token's source name.
const maxSourceLen = 64

// IngestToken describes a source's ingest token: it may only send events,
// and every event it sends is named after its source, whatever the
// request says. The token itself is shown only once, by CreateIngestToken.
type IngestToken struct {
	ID        string    `json:"id"`
	Source    string    `json:"source"` // events arrive as http/SOURCE or bulk/SOURCE
	Label     string    `json:"label,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Expires   time.Time `json:"expires"`
	Revoked   time.Time `json:"revoked,omitzero"`
	Active    bool      `json:"active"`
}

// IngestIdentity is the user name an ingest token acts as.
func IngestIdentity(source string) string { return "ingest:" + source }

// ValidSourceName checks an ingest token's source name: 1 to 64 of
// [A-Za-z0-9._-], so that it reads well in source lists and metrics.
func ValidSourceName(name string) error {
	if name == "" || len(name) > maxSourceLen {
		return fmt.Errorf("%w: source name %q: want 1 to %d characters", ErrInvalid, name, maxSourceLen)
	}
	for i, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: source name %q: character %q at byte %d: want letters, digits, '.', '_' or '-'", ErrInvalid, name, c, i)
		}
	}
	return nil
}

// CreateIngestToken makes a token that lets a shipper send events for
// source, valid for ttl (0: DefaultTokenTTL). Only admins make them.
func (s *Service) CreateIngestToken(ctx context.Context, source string, ttl time.Duration, label string, who Identity) (token string, info IngestToken, err error) {
	if err := requireAdmin(who, "creating an ingest token"); err != nil {
		return "", info, err
	}
	if err := ValidSourceName(source); err != nil {
		return "", info, err
	}
	token, id, ttl, err := newTokenParts(ttl, label)
	if err != nil {
		return "", info, err
	}
	now := s.now()
	info = IngestToken{
		ID: id, Source: source, Label: label,
		Created: now, CreatedBy: actor(who), Expires: now.Add(ttl),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.put(ctx, kindIngest, secretID(token), info); err != nil {
		return "", info, fmt.Errorf("storing ingest token: %w", err)
	}
	detail := map[string]any{"source": source, "label": label, "expires": info.Expires}
	if err := s.auditEntry(ctx, actor(who), "ingest-token.create", "ingest-token/"+info.ID, who.Remote, detail); err != nil {
		return "", info, err
	}
	info.Active = true
	return token, info, nil
}

// RevokeIngestToken ends an ingest token for good. Only admins revoke
// them; revoking a revoked token does nothing.
func (s *Service) RevokeIngestToken(ctx context.Context, id string, who Identity) error {
	if err := requireAdmin(who, "revoking an ingest token"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.records.ListRecords(ctx, kindIngest)
	if err != nil {
		return fmt.Errorf("listing ingest tokens: %w", err)
	}
	for _, r := range rs {
		var info IngestToken
		if err := decode(r, &info); err != nil {
			return err
		}
		if info.ID != id {
			continue
		}
		if !info.Revoked.IsZero() {
			return nil
		}
		info.Revoked = s.now()
		if err := s.put(ctx, kindIngest, r.ID, info); err != nil {
			return fmt.Errorf("revoking ingest token %s: %w", id, err)
		}
		return s.auditEntry(ctx, actor(who), "ingest-token.revoke", "ingest-token/"+id, who.Remote, map[string]any{"source": info.Source})
	}
	return fmt.Errorf("ingest token %q: %w", id, ErrUnknownToken)
}

// IngestTokens lists every ingest token, oldest first, revoked and
// expired ones included.
func (s *Service) IngestTokens(ctx context.Context) ([]IngestToken, error) {
	rs, err := s.records.ListRecords(ctx, kindIngest)
	if err != nil {
		return nil, fmt.Errorf("listing ingest tokens: %w", err)
	}
	now := s.now()
	out := make([]IngestToken, 0, len(rs))
	for _, r := range rs {
		var info IngestToken
		if err := decode(r, &info); err != nil {
			return nil, err
		}
		info.Active = info.Revoked.IsZero() && now.Before(info.Expires)
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// identifyIngest looks up an ingest token.
func (s *Service) identifyIngest(ctx context.Context, token string) (Identity, bool) {
	var info IngestToken
	if err := s.get(ctx, kindIngest, secretID(token), &info); err != nil {
		return Identity{}, false
	}
	if !info.Revoked.IsZero() || !s.now().Before(info.Expires) {
		return Identity{}, false
	}
	return Identity{User: IngestIdentity(info.Source), Role: RoleNone, Via: "ingest-token", Source: info.Source}, true
}
