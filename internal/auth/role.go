package auth

import (
	"fmt"
	"strings"
)

// Role is what a user may do. Roles are ordered: each may do what the
// ones below it may.
type Role uint8

// The roles, lowest first. RoleNone may do nothing.
const (
	RoleNone      Role = iota
	RoleViewer         // read everything
	RoleAnalyst        // triage: alerts, incidents, notes, hunts
	RoleResponder      // decisions and response actions
	RoleAdmin          // users, tokens, settings
)

var roleNames = [...]string{"none", "viewer", "analyst", "responder", "admin"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", r)
}

// Allows reports whether r may do what needs min.
func (r Role) Allows(min Role) bool { return r >= min && min > RoleNone }

// MarshalText writes the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	*r = v
	return err
}

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Role(i), nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q: use viewer, analyst, responder or admin", s)
}

// Identity is who sent a request, as the authenticator established it.
type Identity struct {
	User string `json:"user"`
	Role Role   `json:"role"`
	// Via is how: "session" (the console's cookie), "token" (a user's
	// API token), "admin-token" (the data folder's admin token) or
	// "ingest-token" (a source's ingest token).
	Via string `json:"via"`
	// Source is the source an ingest token sends for; its Role is
	// RoleNone: it may only send events.
	Source string `json:"source,omitempty"`
	// Remote is the client's address, for the audit log.
	Remote string `json:"remote,omitempty"`
}
