package bouncer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// RecordKind holds one registered bouncer per record, under the SHA-256 of
// its key: the key itself is never stored.
const RecordKind = "bouncer"

// maxBouncerName bounds a bouncer's name.
const maxBouncerName = 64

// Info describes a registered bouncer.
type Info struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// ErrUnknownBouncer is returned by RemoveBouncer for an unknown name.
var ErrUnknownBouncer = errors.New("unknown bouncer")

// AddBouncer registers a bouncer and returns its API key, which is shown
// once and stored only hashed. Names are unique: letters, digits, ".", "_"
// and "-", at most 64.
func (b *Bouncer) AddBouncer(ctx context.Context, name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	list, err := b.Bouncers(ctx)
	if err != nil {
		return "", err
	}
	for _, in := range list {
		if in.Name == name {
			return "", fmt.Errorf("bouncer %q already exists: remove it first to have a new key", name)
		}
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("making a bouncer key: %w", err)
	}
	key := hex.EncodeToString(raw[:])
	body, err := json.Marshal(Info{Name: name, Created: b.now().UTC()})
	if err != nil {
		return "", fmt.Errorf("encoding bouncer %s: %w", name, err)
	}
	if err := b.records.PutRecord(ctx, store.Record{Kind: RecordKind, ID: keyHash(key), Body: body, Updated: b.now()}); err != nil {
		return "", fmt.Errorf("storing bouncer %s: %w", name, err)
	}
	return key, nil
}

// RemoveBouncer revokes the key of bouncer name.
func (b *Bouncer) RemoveBouncer(ctx context.Context, name string) error {
	recs, err := b.records.ListRecords(ctx, RecordKind)
	if err != nil {
		return fmt.Errorf("listing bouncers: %w", err)
	}
	for _, r := range recs {
		var in Info
		if json.Unmarshal(r.Body, &in) == nil && in.Name == name {
			if err := b.records.DeleteRecord(ctx, RecordKind, r.ID); err != nil {
				return fmt.Errorf("removing bouncer %s: %w", name, err)
			}
			b.mu.Lock()
			delete(b.cursors, name)
			b.mu.Unlock()
			return nil
		}
	}
	return fmt.Errorf("bouncer %q: %w", name, ErrUnknownBouncer)
}

// Bouncers lists the registered bouncers, by name.
func (b *Bouncer) Bouncers(ctx context.Context) ([]Info, error) {
	recs, err := b.records.ListRecords(ctx, RecordKind)
	if err != nil {
		return nil, fmt.Errorf("listing bouncers: %w", err)
	}
	out := make([]Info, 0, len(recs))
	for _, r := range recs {
		var in Info
		if err := json.Unmarshal(r.Body, &in); err != nil {
			return nil, fmt.Errorf("bouncer record %s: %w", r.ID, err)
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// authenticate returns the name of the bouncer whose key this is.
func (b *Bouncer) authenticate(ctx context.Context, key string) (string, bool, error) {
	if key == "" || len(key) > 256 {
		return "", false, nil
	}
	r, err := b.records.GetRecord(ctx, RecordKind, keyHash(key))
	if errors.Is(err, store.ErrNoRecord) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("looking up a bouncer key: %w", err)
	}
	var in Info
	if err := json.Unmarshal(r.Body, &in); err != nil {
		return "", false, fmt.Errorf("bouncer record: %w", err)
	}
	return in.Name, true, nil
}

// keyHash is the record ID of a key. The key is 192 random bits, so an
// unsalted SHA-256 is enough to keep it from being read back.
func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

func checkName(name string) error {
	if name == "" || len(name) > maxBouncerName {
		return fmt.Errorf("bouncer name %q: want 1 to %d characters", name, maxBouncerName)
	}
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("bouncer name %q: character %q at %d is not a letter, digit, '.', '_' or '-'", name, r, i)
		}
	}
	return nil
}
