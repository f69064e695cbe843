package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/settings"
)

// configView is the data of the notification and response policy
// settings pages (template "config"): the list, and a form to make a new
// entry or change one.
type configView struct {
	Section  string // "notify" or "policies"
	Targets  []settings.TargetView
	Policies []settings.PolicyView
	Form     *configForm
	// Result of a test notification: Message on success, Failure on error.
	Message, Failure string
}

// configForm is a settings form, laid out in groups of fields, each with
// its label and, after a refused post, its error next to it.
type configForm struct {
	ID, Action, Title, Submit string
	ReadOnly                  bool   // shown, not editable (from vigie.yaml)
	Error                     string // a problem not tied to one field
	Groups                    []fieldGroup
}

type fieldGroup struct {
	Legend, Help string
	Fields       []formField
}

// formField is one input. Type is text, password, number, checkbox,
// select, multiselect or textarea.
type formField struct {
	Name, Label, Help, Type, Value string
	Checked, Required              bool
	Options, Selected              []string
	Error                          string
}

// ID is the field's element id, derived from its name.
func (f formField) ID() string { return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(f.Name) }

// Is reports whether option o is selected.
func (f formField) Is(o string) bool {
	for _, s := range f.Selected {
		if s == o {
			return true
		}
	}
	return o == f.Value
}

// place puts each problem next to its field, and the others on the form.
func (f *configForm) place(err error) {
	var ie *settings.InvalidError
	if !errors.As(err, &ie) {
		f.Error = err.Error()
		return
	}
	var rest []string
	for _, p := range ie.Problems {
		if !f.setError(p.Field, p.Msg) {
			if p.Field != "" {
				rest = append(rest, p.Field+": "+p.Msg)
			} else {
				rest = append(rest, p.Msg)
			}
		}
	}
	f.Error = strings.Join(rest, "; ")
}

func (f *configForm) setError(field, msg string) bool {
	for gi := range f.Groups {
		for fi := range f.Groups[gi].Fields {
			ff := &f.Groups[gi].Fields[fi]
			if ff.Name == field {
				if ff.Error != "" {
					ff.Error += "; "
				}
				ff.Error += msg
				return true
			}
		}
	}
	return false
}

// settingsFailure says what is wrong with a settings change, or returns
// err when it is not the user's fault.
func settingsFailure(err error) (status int, ok bool) {
	switch {
	case errors.Is(err, settings.ErrInvalid):
		return http.StatusBadRequest, true
	case errors.Is(err, settings.ErrExists), errors.Is(err, settings.ErrReadOnly):
		return http.StatusConflict, true
	case errors.Is(err, settings.ErrNotFound):
		return http.StatusNotFound, true
	}
	return 0, false
}

func settingsActor(r *http.Request, v *view) settings.Actor {
	return settings.Actor{User: v.Sess.User, Remote: r.RemoteAddr}
}

// list splits a textarea or comma list into its trimmed, non-empty
// entries.
func list(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// number reads an optional whole number of a form.
func number(r *http.Request, field string, problems *[]settings.Problem) (int, bool) {
	s := strings.TrimSpace(r.PostFormValue(field))
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		*problems = append(*problems, settings.Problem{Field: field, Msg: fmt.Sprintf("%q is not a whole number", s)})
		return 0, false
	}
	return n, true
}
