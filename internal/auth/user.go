package auth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// MaxNameLen is the longest user name.
const MaxNameLen = 64

// AdminUser is the user EnsureAdmin creates.
const AdminUser = "admin"

// user is a user's stored record (kind auth.user, ID the name).
type user struct {
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	Hash       string `json:"hash"` // argon2id, PHC string
	Disabled   bool   `json:"disabled,omitempty"`
	MustChange bool   `json:"must_change,omitempty"`
	// Gen counts password changes and resets: sessions and tokens carry
	// the Gen they were issued under and stop working when it moves on.
	Gen             uint64    `json:"gen"`
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"password_changed"`
	LastLogin       time.Time `json:"last_login,omitzero"`
}

// UserInfo is what Users tells of a user: everything but the hash.
type UserInfo struct {
	Name            string    `json:"name"`
	Role            Role      `json:"role"`
	Disabled        bool      `json:"disabled"`
	MustChange      bool      `json:"must_change"`
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"password_changed"`
	LastLogin       time.Time `json:"last_login,omitzero"` // zero: never
}

// NormalizeName case-folds a user name and checks it has 1 to 64
// characters of [a-z0-9._@-].
func NormalizeName(name string) (string, error) {
	if name == "" || len(name) > MaxNameLen {
		return "", fmt.Errorf("%w: %d characters, want 1 to %d", ErrBadName, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '@' || c == '-'
		if !ok {
			return "", fmt.Errorf("%w: character %d (%q): use letters, digits and . _ @ -", ErrBadName, i+1, rune(c))
		}
	}
	return strings.ToLower(name), nil
}

func validRole(r Role) error {
	if r < RoleViewer || r > RoleAdmin {
		return fmt.Errorf("role %s: use viewer, analyst, responder or admin", r)
	}
	return nil
}

// checkNewUser checks the name, password and role of a user to create,
// and returns the normalized name.
func checkNewUser(name, password string, role Role) (string, error) {
	name, err := NormalizeName(name)
	if err != nil {
		return "", err
	}
	if err := validRole(role); err != nil {
		return "", err
	}
	return name, checkPassword(name, password)
}

// getUser reads a user, or returns an error wrapping ErrUnknownUser.
func (s *Service) getUser(ctx context.Context, name string) (*user, error) {
	var u user
	if err := s.get(ctx, kindUser, name, &u); err != nil {
		if errors.Is(err, store.ErrNoRecord) {
			return nil, fmt.Errorf("user %q: %w", name, ErrUnknownUser)
		}
		return nil, fmt.Errorf("reading user %q: %w", name, err)
	}
	return &u, nil
}

// EnsureAdmin creates the user "admin" with a random password that must
// be changed at first login, unless that user exists. created reports
// whether it was just made, with its password, to be shown once.
func (s *Service) EnsureAdmin(ctx context.Context) (password string, created bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.getUser(ctx, AdminUser); err == nil {
		return "", false, nil
	} else if !errors.Is(err, ErrUnknownUser) {
		return "", false, err
	}
	if password, err = randomPassword(); err != nil {
		return "", false, err
	}
	u, err := s.newUser(ctx, AdminUser, password, RoleAdmin)
	if err != nil {
		return "", false, err
	}
	u.MustChange = true
	if err := s.put(ctx, kindUser, u.Name, u); err != nil {
		return "", false, fmt.Errorf("creating user %q: %w", u.Name, err)
	}
	if err := s.auditEntry(ctx, "system", "user.create", "user/"+u.Name, "", map[string]any{"role": u.Role, "must_change": true}); err != nil {
		return "", false, err
	}
	return password, true, nil
}

// EnsureUser creates the user with this password and role, or resets an
// existing one to them, without requiring a change at login: for `vigie
// demo` and provisioning. A user that already has them is left alone,
// so its sessions survive.
func (s *Service) EnsureUser(ctx context.Context, name, password string, role Role) error {
	name, err := checkNewUser(name, password, role)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.getUser(ctx, name)
	if err != nil && !errors.Is(err, ErrUnknownUser) {
		return err
	}
	if old != nil && old.Role == role && !old.Disabled && !old.MustChange {
		if ok, _, err := s.verify(ctx, password, old.Hash); err == nil && ok {
			return nil
		}
	}
	u, err := s.newUser(ctx, name, password, role)
	if err != nil {
		return err
	}
	action := "user.create"
	if old != nil {
		action = "user.reset"
		u.Gen, u.Created, u.LastLogin = old.Gen+1, old.Created, old.LastLogin
	}
	if err := s.put(ctx, kindUser, name, u); err != nil {
		return fmt.Errorf("writing user %q: %w", name, err)
	}
	return s.auditEntry(ctx, "system", action, "user/"+name, "", map[string]any{"role": role})
}

// newUser hashes password into a new user record.
func (s *Service) newUser(ctx context.Context, name, password string, role Role) (*user, error) {
	h, err := s.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return &user{Name: name, Role: role, Hash: h, Created: now, PasswordChanged: now}, nil
}

// CreateUser adds a user; who must be an admin. The user must change
// the password at first login, since the admin knows it.
func (s *Service) CreateUser(ctx context.Context, name, password string, role Role, who Identity) error {
	if err := requireAdmin(who, "creating a user"); err != nil {
		return err
	}
	name, err := checkNewUser(name, password, role)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.getUser(ctx, name); err == nil {
		return fmt.Errorf("user %q: %w", name, ErrExists)
	} else if !errors.Is(err, ErrUnknownUser) {
		return err
	}
	u, err := s.newUser(ctx, name, password, role)
	if err != nil {
		return err
	}
	u.MustChange = true
	if err := s.put(ctx, kindUser, name, u); err != nil {
		return fmt.Errorf("creating user %q: %w", name, err)
	}
	return s.auditEntry(ctx, actor(who), "user.create", "user/"+name, who.Remote, map[string]any{"role": role})
}

// update applies change to the stored user name under the lock, writes
// it and audits action with detail.
func (s *Service) update(ctx context.Context, name string, who Identity, action string, change func(u *user) (detail any, err error)) error {
	name, err := NormalizeName(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.getUser(ctx, name)
	if err != nil {
		return err
	}
	detail, err := change(u)
	if err != nil {
		return err
	}
	if err := s.put(ctx, kindUser, name, u); err != nil {
		return fmt.Errorf("writing user %q: %w", name, err)
	}
	return s.auditEntry(ctx, actor(who), action, "user/"+name, who.Remote, detail)
}

// SetRole changes a user's role; who must be an admin. It takes effect
// at once for the user's sessions and tokens (a token never acts above
// its owner's current role).
func (s *Service) SetRole(ctx context.Context, name string, role Role, who Identity) error {
	if err := requireAdmin(who, "changing a role"); err != nil {
		return err
	}
	if err := validRole(role); err != nil {
		return err
	}
	return s.update(ctx, name, who, "user.role", func(u *user) (any, error) {
		from := u.Role
		u.Role = role
		return map[string]any{"from": from, "to": role}, nil
	})
}

// SetDisabled disables or enables a user; who must be an admin. A
// disabled user cannot log in, and its sessions and tokens stop working.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool, who Identity) error {
	if err := requireAdmin(who, "disabling a user"); err != nil {
		return err
	}
	return s.update(ctx, name, who, "user.disable", func(u *user) (any, error) {
		u.Disabled = disabled
		return map[string]any{"disabled": disabled}, nil
	})
}

// ResetPassword gives a user a random temporary password, to be changed
// at the next login; who must be an admin. The user's sessions and
// tokens stop working.
func (s *Service) ResetPassword(ctx context.Context, name string, who Identity) (temporary string, err error) {
	if err := requireAdmin(who, "resetting a password"); err != nil {
		return "", err
	}
	if temporary, err = randomPassword(); err != nil {
		return "", err
	}
	h, err := s.hash(ctx, temporary)
	if err != nil {
		return "", err
	}
	err = s.update(ctx, name, who, "user.reset", func(u *user) (any, error) {
		u.Hash, u.MustChange, u.Gen, u.PasswordChanged = h, true, u.Gen+1, s.now()
		return nil, nil
	})
	if err != nil {
		return "", err
	}
	return temporary, nil
}

// ChangePassword sets a user's password after checking the old one, and
// clears MustChange. Every session and token issued before stops
// working, the caller's session too: log in again with the new
// password. Wrong old passwords count against the login limit.
func (s *Service) ChangePassword(ctx context.Context, name, oldPassword, newPassword string) error {
	name, err := NormalizeName(name)
	if err != nil {
		return err
	}
	now := s.now()
	if wait, ok := s.limit.begin(name, "", now); !ok {
		return &RateLimitError{RetryAfter: wait}
	}
	u, err := s.getUser(ctx, name)
	if err != nil {
		return err
	}
	if len(oldPassword) > MaxPasswordLen {
		return fmt.Errorf("changing the password of %q: %w", name, ErrBadCredentials)
	}
	ok, _, err := s.verify(ctx, oldPassword, u.Hash)
	if err != nil {
		return fmt.Errorf("user %q: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("changing the password of %q: %w", name, ErrBadCredentials)
	}
	s.limit.succeed(name, "", now)
	if u.Disabled {
		return fmt.Errorf("user %q: %w", name, ErrDisabled)
	}
	if err := checkPassword(name, newPassword); err != nil {
		return err
	}
	if newPassword == oldPassword {
		return fmt.Errorf("%w: it must differ from the current one", ErrWeakPassword)
	}
	h, err := s.hash(ctx, newPassword)
	if err != nil {
		return err
	}
	return s.update(ctx, name, Identity{User: name}, "user.password", func(cur *user) (any, error) {
		if cur.Gen != u.Gen {
			return nil, fmt.Errorf("changing the password of %q: %w: it was changed meanwhile", name, ErrBadCredentials)
		}
		cur.Hash, cur.MustChange, cur.Gen, cur.PasswordChanged = h, false, cur.Gen+1, s.now()
		return nil, nil
	})
}

// Users returns every user, by name, without their hashes.
func (s *Service) Users(ctx context.Context) ([]UserInfo, error) {
	users, err := s.allUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]UserInfo, 0, len(users))
	for _, u := range users {
		out = append(out, UserInfo{
			Name: u.Name, Role: u.Role, Disabled: u.Disabled, MustChange: u.MustChange,
			Created: u.Created, PasswordChanged: u.PasswordChanged, LastLogin: u.LastLogin,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s *Service) allUsers(ctx context.Context) (map[string]*user, error) {
	rs, err := s.records.ListRecords(ctx, kindUser)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	users := make(map[string]*user, len(rs))
	for _, r := range rs {
		var u user
		if err := decode(r, &u); err != nil {
			return nil, err
		}
		users[u.Name] = &u
	}
	return users, nil
}
