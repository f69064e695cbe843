package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
)

// Users manages the console's users and their API tokens.
type Users interface {
	CreateUser(ctx context.Context, name, password string, role auth.Role, who auth.Identity) error
	SetRole(ctx context.Context, name string, role auth.Role, who auth.Identity) error
	SetDisabled(ctx context.Context, name string, disabled bool, who auth.Identity) error
	ResetPassword(ctx context.Context, name string, who auth.Identity) (string, error)
	Users(ctx context.Context) ([]auth.UserInfo, error)
	CreateToken(ctx context.Context, owner string, role auth.Role, ttl time.Duration, label string, who auth.Identity) (string, auth.TokenInfo, error)
	RevokeToken(ctx context.Context, id string, who auth.Identity) error
	Tokens(ctx context.Context, owner string) ([]auth.TokenInfo, error)
}

func identity(r *http.Request) auth.Identity {
	who, _ := r.Context().Value(actorKey{}).(auth.Identity)
	return who
}

// UserRequest is the body of POST /api/v1/users.
type UserRequest struct {
	Name     string    `json:"name"`
	Password string    `json:"password"` // changed by the user at first login
	Role     auth.Role `json:"role"`
}

// UserUpdate is the body of PATCH /api/v1/users/{name}.
type UserUpdate struct {
	Role     *auth.Role `json:"role,omitempty"`
	Disabled *bool      `json:"disabled,omitempty"`
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Users.Users(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []auth.UserInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": list})
	return nil
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req UserRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if err := s.cfg.Users.CreateUser(r.Context(), req.Name, req.Password, req.Role, identity(r)); err != nil {
		return authError(err)
	}
	writeJSON(w, http.StatusCreated, map[string]string{"name": req.Name})
	return nil
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var u UserUpdate
	if err := readJSON(r, &u); err != nil {
		return err
	}
	name := r.PathValue("name")
	if u.Role == nil && u.Disabled == nil {
		return badRequest("empty_update", "nothing to change: send role or disabled")
	}
	if u.Role != nil {
		if err := s.cfg.Users.SetRole(r.Context(), name, *u.Role, identity(r)); err != nil {
			return authError(err)
		}
	}
	if u.Disabled != nil {
		if err := s.cfg.Users.SetDisabled(r.Context(), name, *u.Disabled, identity(r)); err != nil {
			return authError(err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := s.cfg.Users.ResetPassword(r.Context(), r.PathValue("name"), identity(r))
	if err != nil {
		return authError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"temporary_password": pw})
	return nil
}

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Owner    string    `json:"owner,omitempty"` // default: the caller
	Role     auth.Role `json:"role"`
	Duration string    `json:"duration,omitempty"` // Go duration; default 90 days
	Label    string    `json:"label,omitempty"`
}

// TokenCreated is the answer to POST /api/v1/tokens: the token is shown
// once.
type TokenCreated struct {
	Token string         `json:"token"`
	Info  auth.TokenInfo `json:"info"`
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req TokenRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	who := identity(r)
	if req.Owner == "" {
		req.Owner = who.User
	}
	var ttl time.Duration
	if req.Duration != "" {
		var err error
		if ttl, err = time.ParseDuration(req.Duration); err != nil || ttl <= 0 {
			return badRequest("bad_duration", "duration %q: use a positive Go duration such as 720h", req.Duration)
		}
	}
	tok, info, err := s.cfg.Users.CreateToken(r.Context(), req.Owner, req.Role, ttl, req.Label, who)
	if err != nil {
		return authError(err)
	}
	writeJSON(w, http.StatusCreated, TokenCreated{Token: tok, Info: info})
	return nil
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) error {
	who := identity(r)
	owner := who.User
	if who.Role.Allows(auth.RoleAdmin) {
		owner = r.URL.Query().Get("owner") // "" lists all
	}
	list, err := s.cfg.Users.Tokens(r.Context(), owner)
	if err != nil {
		return authError(err)
	}
	if list == nil {
		list = []auth.TokenInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
	return nil
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Users.RevokeToken(r.Context(), r.PathValue("id"), identity(r)); err != nil {
		return authError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// authError maps the user service's errors to API errors.
func authError(err error) error {
	switch {
	case errors.Is(err, auth.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: err.Error()}
	case errors.Is(err, auth.ErrUnknownUser), errors.Is(err, auth.ErrUnknownToken):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, auth.ErrExists):
		return &Error{Status: http.StatusConflict, Code: "exists", Message: err.Error()}
	case errors.Is(err, auth.ErrWeakPassword), errors.Is(err, auth.ErrBadName), errors.Is(err, auth.ErrInvalid):
		return badRequest("invalid_input", "%v", err)
	}
	return err
}
