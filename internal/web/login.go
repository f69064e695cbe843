package web

import (
	"errors"
	"net/url"
	"path"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"net/http"
	"strings"
)

// loginForm is the login page's data.
type loginForm struct {
	Name, Next string
	Error      string
	Changed    bool // the user just changed their password
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request, v *view) error {
	next := safeNext(r.URL.Query().Get("next"))
	if v.Sess != nil {
		return seeOther(w, r, next)
	}
	return s.show(w, "login", "Sign in", "", v, &loginForm{Next: next, Changed: r.URL.Query().Get("changed") == "1"})
}

func (s *server) login(w http.ResponseWriter, r *http.Request, v *view) error {
	f := &loginForm{Name: strings.TrimSpace(r.PostFormValue("name")), Next: safeNext(r.PostFormValue("next"))}
	sess, err := s.cfg.Auth.Login(r.Context(), f.Name, r.PostFormValue("password"), r.RemoteAddr)
	if err != nil {
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, errRateLimited):
			status = http.StatusTooManyRequests
			f.Error = "Too many failed sign-ins for this account or address: wait " + retryAfter(err) + " before trying again."
		case errors.Is(err, errBadCredentials), errors.Is(err, errDisabled):
			// A disabled account is not told apart from a wrong
			// password, so that names cannot be probed.
			f.Error = "Wrong user name or password."
		default:
			return err
		}
		v.Title, v.Data = "Sign in", f
		s.render(w, status, "login", v)
		return nil
	}
	setCookie(w, sess, s.cfg.Secure)
	if sess.MustChange {
		return seeOther(w, r, "/ui/password")
	}
	return seeOther(w, r, f.Next)
}

// safeNext keeps a post-login destination inside the console, so that the
// login page cannot be used to send users elsewhere.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\\\r\n") ||
		!strings.HasPrefix(u.Path, Prefix) || !strings.HasPrefix(path.Clean(u.Path)+"/", Prefix) || strings.HasPrefix(u.Path, "/ui/login") {
		return Prefix
	}
	return next
}

func (s *server) logout(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := s.cfg.Auth.Logout(r.Context(), v.Sess.ID); err != nil {
		return err
	}
	clearCookie(w, s.cfg.Secure)
	return seeOther(w, r, "/ui/login")
}

// passwordForm is the change-password page's data; errors are by field.
type passwordForm struct {
	Forced             bool
	OldError, NewError string
}

func (s *server) passwordPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.show(w, "password", "Change password", "", v, &passwordForm{Forced: v.Sess.MustChange})
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request, v *view) error {
	f := &passwordForm{Forced: v.Sess.MustChange}
	old, nw := r.PostFormValue("old"), r.PostFormValue("new")
	switch {
	case nw != r.PostFormValue("confirm"):
		f.NewError = "The two new passwords differ."
	case nw == old:
		f.NewError = "The new password must differ from the current one."
	default:
		err := s.cfg.Auth.ChangePassword(r.Context(), v.Sess.User, old, nw)
		switch {
		case err == nil:
			// Changing the password ends the user's sessions, this one
			// included: sign in again with the new password.
			clearCookie(w, s.cfg.Secure)
			return seeOther(w, r, "/ui/login?changed=1")
		case errors.Is(err, errWeakPassword):
			f.NewError = err.Error()
		case errors.Is(err, errBadCredentials):
			f.OldError = "The current password is wrong."
		case errors.Is(err, errRateLimited):
			f.OldError = "Too many wrong attempts: wait " + retryAfter(err) + "."
		default:
			return err
		}
	}
	v.Title, v.Data = "Change password", f
	s.render(w, http.StatusBadRequest, "password", v)
	return nil
}

// retryAfter says how long a rate-limited user must wait.
func retryAfter(err error) string {
	var rl *auth.RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return human(rl.RetryAfter.Round(time.Second))
	}
	return "a few minutes"
}
