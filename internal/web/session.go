package web

import (
	"net/http"

	"github.com/vigie-sec/vigie/internal/auth"
)

// session is a signed-in user's session, as package auth keeps it.
type session = auth.Session

// The auth errors the console tells apart.
var (
	errBadCredentials = auth.ErrBadCredentials
	errDisabled       = auth.ErrDisabled
	errRateLimited    = auth.ErrRateLimited
	errWeakPassword   = auth.ErrWeakPassword
)

func setCookie(w http.ResponseWriter, s *session, secure bool) { auth.SetCookie(w, s, secure) }

func clearCookie(w http.ResponseWriter, secure bool) { auth.ClearCookie(w, secure) }
