package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/vigie-sec/vigie/internal/settings"
)

// Settings manages the notification targets and response policies that
// admins edit (package settings); those of vigie.yaml are read-only.
type Settings interface {
	Targets() []settings.TargetView
	Target(name string) (settings.TargetView, error)
	CreateTarget(ctx context.Context, t settings.Target, who settings.Actor) error
	UpdateTarget(ctx context.Context, name string, t settings.Target, who settings.Actor) error
	DeleteTarget(ctx context.Context, name string, who settings.Actor) error
	TestTarget(ctx context.Context, name string, who settings.Actor) error
	Policies() []settings.PolicyView
	Policy(name string) (settings.PolicyView, error)
	CreatePolicy(ctx context.Context, p settings.Policy, who settings.Actor) error
	UpdatePolicy(ctx context.Context, name string, p settings.Policy, who settings.Actor) error
	DeletePolicy(ctx context.Context, name string, who settings.Actor) error
}

// InvalidSetting is the body of a 400 answer to a setting that does not
// validate: one problem per field at fault.
type InvalidSetting struct {
	Code     string             `json:"code"` // "invalid_setting"
	Message  string             `json:"error"`
	Problems []settings.Problem `json:"problems"`
}

func settingsActor(r *http.Request) settings.Actor {
	return settings.Actor{User: actor(r), Remote: r.RemoteAddr}
}

// settingsError maps the settings errors to answers; an invalid setting
// is written at once, with its problems, and nil is returned.
func settingsError(w http.ResponseWriter, err error) error {
	var ie *settings.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		writeJSON(w, http.StatusBadRequest, InvalidSetting{Code: "invalid_setting", Message: ie.Error(), Problems: ie.Problems})
		return nil
	case errors.Is(err, settings.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, settings.ErrExists):
		return &Error{Status: http.StatusConflict, Code: "exists", Message: err.Error()}
	case errors.Is(err, settings.ErrReadOnly):
		return &Error{Status: http.StatusConflict, Code: "read_only", Message: err.Error()}
	}
	return err
}

func (s *server) listTargets(w http.ResponseWriter, r *http.Request) error {
	list := s.cfg.Settings.Targets()
	if list == nil {
		list = []settings.TargetView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"targets": list})
	return nil
}

func (s *server) getTarget(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Settings.Target(r.PathValue("name"))
	if err != nil {
		return settingsError(w, err)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) createTarget(w http.ResponseWriter, r *http.Request) error {
	var t settings.Target
	if err := readJSON(r, &t); err != nil {
		return err
	}
	if err := s.cfg.Settings.CreateTarget(r.Context(), t, settingsActor(r)); err != nil {
		return settingsError(w, err)
	}
	return s.answerTarget(w, http.StatusCreated, t.Name)
}

func (s *server) updateTarget(w http.ResponseWriter, r *http.Request) error {
	var t settings.Target
	if err := readJSON(r, &t); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := s.cfg.Settings.UpdateTarget(r.Context(), name, t, settingsActor(r)); err != nil {
		return settingsError(w, err)
	}
	return s.answerTarget(w, http.StatusOK, name)
}

// answerTarget answers a change with the target as it now stands.
func (s *server) answerTarget(w http.ResponseWriter, status int, name string) error {
	v, err := s.cfg.Settings.Target(name)
	if err != nil {
		return settingsError(w, err)
	}
	writeJSON(w, status, v)
	return nil
}

func (s *server) deleteTarget(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Settings.DeleteTarget(r.Context(), r.PathValue("name"), settingsActor(r)); err != nil {
		return settingsError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// testTarget answers 200 whether or not the delivery worked: the body
// says which, with the target's error.
func (s *server) testTarget(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	err := s.cfg.Settings.TestTarget(r.Context(), name, settingsActor(r))
	if errors.Is(err, settings.ErrNotFound) {
		return settingsError(w, err)
	}
	res := settings.TestResult{Name: name, OK: err == nil}
	if err != nil {
		res.Error = err.Error()
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *server) listPolicies(w http.ResponseWriter, r *http.Request) error {
	list := s.cfg.Settings.Policies()
	if list == nil {
		list = []settings.PolicyView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": list})
	return nil
}

func (s *server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Settings.Policy(r.PathValue("name"))
	if err != nil {
		return settingsError(w, err)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) createPolicy(w http.ResponseWriter, r *http.Request) error {
	var p settings.Policy
	if err := readJSON(r, &p); err != nil {
		return err
	}
	if err := s.cfg.Settings.CreatePolicy(r.Context(), p, settingsActor(r)); err != nil {
		return settingsError(w, err)
	}
	return s.answerPolicy(w, http.StatusCreated, p.Name)
}

func (s *server) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	var p settings.Policy
	if err := readJSON(r, &p); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := s.cfg.Settings.UpdatePolicy(r.Context(), name, p, settingsActor(r)); err != nil {
		return settingsError(w, err)
	}
	return s.answerPolicy(w, http.StatusOK, name)
}

func (s *server) answerPolicy(w http.ResponseWriter, status int, name string) error {
	v, err := s.cfg.Settings.Policy(name)
	if err != nil {
		return settingsError(w, err)
	}
	writeJSON(w, status, v)
	return nil
}

func (s *server) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Settings.DeletePolicy(r.Context(), r.PathValue("name"), settingsActor(r)); err != nil {
		return settingsError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
