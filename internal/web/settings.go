package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
)

// Users is what the settings page needs from package auth's service to
// manage users and API tokens. Each change names the admin who makes it,
// and the service audits it.
type Users interface {
	Users(ctx context.Context) ([]auth.UserInfo, error)
	CreateUser(ctx context.Context, name, password string, role auth.Role, who auth.Identity) error
	SetRole(ctx context.Context, name string, role auth.Role, who auth.Identity) error
	SetDisabled(ctx context.Context, name string, disabled bool, who auth.Identity) error
	ResetPassword(ctx context.Context, name string, who auth.Identity) (temporary string, err error)
	Tokens(ctx context.Context, owner string) ([]auth.TokenInfo, error)
	CreateToken(ctx context.Context, owner string, role auth.Role, ttl time.Duration, label string, who auth.Identity) (string, auth.TokenInfo, error)
	RevokeToken(ctx context.Context, id string, who auth.Identity) error
}

// settingsView is the settings page's data.
type settingsView struct {
	Users  []auth.UserInfo
	Tokens []auth.TokenInfo
	// Ingest lists the sources' ingest tokens, when the console manages
	// them (Config.IngestTokens).
	Ingest     []auth.IngestToken
	HaveIngest bool
	Roles      []auth.Role
	// Secret is a new token or temporary password, shown once, and what
	// it is.
	Secret, SecretFor string
	// Form errors and the values typed.
	UserError, TokenError, UpdateError, IngestError string
	NewName, NewRole                                string
	// Config says that the notification and policy pages exist.
	Config bool
}

var roles = []auth.Role{auth.RoleViewer, auth.RoleAnalyst, auth.RoleResponder, auth.RoleAdmin}

func (s *server) settings(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.showSettings(w, r, v, &settingsView{NewRole: auth.RoleViewer.String()}, http.StatusOK)
}

func (s *server) showSettings(w http.ResponseWriter, r *http.Request, v *view, d *settingsView, status int) error {
	var err error
	d.Roles, d.Config = roles, s.cfg.Settings != nil
	if d.Users, err = s.cfg.Users.Users(r.Context()); err != nil {
		return fmt.Errorf("listing users: %w", err)
	}
	if d.Tokens, err = s.cfg.Users.Tokens(r.Context(), ""); err != nil {
		return fmt.Errorf("listing tokens: %w", err)
	}
	if d.HaveIngest = s.cfg.IngestTokens != nil; d.HaveIngest {
		if d.Ingest, err = s.cfg.IngestTokens.IngestTokens(r.Context()); err != nil {
			return fmt.Errorf("listing ingest tokens: %w", err)
		}
	}
	v.Title, v.Nav, v.Data = "Settings", "settings", d
	s.render(w, status, "settings", v)
	return nil
}

// identity is who acts through the console, with the client's address
// for the audit log.
func identity(r *http.Request, v *view) auth.Identity {
	return auth.Identity{User: v.Sess.User, Role: v.Sess.Role, Via: "session", Remote: r.RemoteAddr}
}

// userError says what is wrong with a user form, or returns err when it
// is not the user's fault.
func userError(err error) (string, error) {
	for _, known := range []error{auth.ErrBadName, auth.ErrExists, auth.ErrWeakPassword, auth.ErrUnknownUser,
		auth.ErrForbidden, auth.ErrUnknownToken, auth.ErrInvalid} {
		if errors.Is(err, known) {
			return err.Error(), nil
		}
	}
	return "", err
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &settingsView{NewName: strings.TrimSpace(r.PostFormValue("name")), NewRole: r.PostFormValue("role")}
	role, err := auth.ParseRole(d.NewRole)
	if err != nil {
		d.UserError = err.Error()
	} else if err := s.cfg.Users.CreateUser(r.Context(), d.NewName, r.PostFormValue("password"), role, identity(r, v)); err != nil {
		if d.UserError, err = userError(err); err != nil {
			return err
		}
	} else {
		return seeOther(w, r, "/ui/settings")
	}
	return s.showSettings(w, r, v, d, http.StatusBadRequest)
}

// updateUser applies one change to a user, named by the form's "do":
// role, disable, enable or reset.
func (s *server) updateUser(w http.ResponseWriter, r *http.Request, v *view) error {
	name, who, ctx := r.PathValue("name"), identity(r, v), r.Context()
	d := &settingsView{}
	var err error
	switch r.PostFormValue("do") {
	case "role":
		var role auth.Role
		if role, err = auth.ParseRole(r.PostFormValue("role")); err == nil {
			err = s.cfg.Users.SetRole(ctx, name, role, who)
		}
	case "disable", "enable":
		err = s.cfg.Users.SetDisabled(ctx, name, r.PostFormValue("do") == "disable", who)
	case "reset":
		var tmp string
		if tmp, err = s.cfg.Users.ResetPassword(ctx, name, who); err == nil {
			d.Secret, d.SecretFor = tmp, "Temporary password of "+name+" (they must change it at their next sign-in)"
			return s.showSettings(w, r, v, d, http.StatusOK)
		}
	default:
		return badRequest("Unknown change %q.", r.PostFormValue("do"))
	}
	if err == nil {
		return seeOther(w, r, "/ui/settings")
	}
	if d.UpdateError, err = userError(err); err != nil {
		return err
	}
	d.UpdateError = name + ": " + d.UpdateError
	return s.showSettings(w, r, v, d, http.StatusBadRequest)
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &settingsView{}
	owner, label := strings.TrimSpace(r.PostFormValue("owner")), strings.TrimSpace(r.PostFormValue("label"))
	role, err := auth.ParseRole(r.PostFormValue("role"))
	ttl, perr := time.ParseDuration(strings.TrimSpace(r.PostFormValue("ttl")))
	if err == nil && (perr != nil || ttl <= 0) {
		err = fmt.Errorf("lifetime %q: write a positive duration such as 720h", r.PostFormValue("ttl"))
	}
	if err != nil {
		d.TokenError = err.Error()
		return s.showSettings(w, r, v, d, http.StatusBadRequest)
	}
	tok, info, err := s.cfg.Users.CreateToken(r.Context(), owner, role, ttl, label, identity(r, v))
	if err != nil {
		if d.TokenError, err = userError(err); err != nil {
			return err
		}
		return s.showSettings(w, r, v, d, http.StatusBadRequest)
	}
	d.Secret, d.SecretFor = tok, fmt.Sprintf("API token %s of %s (%s): copy it now, it is not shown again", info.ID, info.Owner, info.Role)
	return s.showSettings(w, r, v, d, http.StatusOK)
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request, v *view) error {
	err := s.cfg.Users.RevokeToken(r.Context(), r.PathValue("id"), identity(r, v))
	if errors.Is(err, auth.ErrUnknownToken) {
		return notFound("There is no token %q.", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/ui/settings")
}

func (s *server) createIngestToken(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &settingsView{}
	source, label := strings.TrimSpace(r.PostFormValue("source")), strings.TrimSpace(r.PostFormValue("label"))
	ttl, err := time.ParseDuration(strings.TrimSpace(r.PostFormValue("ttl")))
	if err != nil || ttl <= 0 {
		d.IngestError = fmt.Sprintf("Lifetime %q: write a positive duration such as 2160h.", r.PostFormValue("ttl"))
		return s.showSettings(w, r, v, d, http.StatusBadRequest)
	}
	tok, info, err := s.cfg.IngestTokens.CreateIngestToken(r.Context(), source, ttl, label, identity(r, v))
	if err != nil {
		if d.IngestError, err = userError(err); err != nil {
			return err
		}
		return s.showSettings(w, r, v, d, http.StatusBadRequest)
	}
	d.Secret, d.SecretFor = tok, fmt.Sprintf("ingest token %s of source %s: copy it now, it is not shown again", info.ID, info.Source)
	return s.showSettings(w, r, v, d, http.StatusOK)
}

func (s *server) revokeIngestToken(w http.ResponseWriter, r *http.Request, v *view) error {
	err := s.cfg.IngestTokens.RevokeIngestToken(r.Context(), r.PathValue("id"), identity(r, v))
	if errors.Is(err, auth.ErrUnknownToken) {
		return notFound("There is no ingest token %q.", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/ui/settings#h-ingest")
}
