package web

import (
	"net/http"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/settings"
)

// policyForm lays out the form of a response policy, filled with p;
// editing names the policy changed, "" makes a new one.
func policyForm(p settings.Policy, editing string) *configForm {
	f := &configForm{ID: "policy-form", Action: "/ui/settings/policies", Title: "New response policy", Submit: "Create policy"}
	if editing != "" {
		f.Action, f.Title, f.Submit = "/ui/settings/policies/"+editing, "Policy "+editing, "Save "+editing
	}
	name := formField{Name: "name", Label: "Name", Type: "text", Value: p.Name, Required: true,
		Help: "letters, digits, dots, dashes, underscores"}
	if editing != "" {
		name.Type = "readonly"
	}
	f.Groups = []fieldGroup{
		{Legend: "Policy", Fields: []formField{
			name,
			{Name: "enabled", Label: "Enabled", Type: "checkbox", Checked: p.Enabled},
			{Name: "dry_run", Label: "Dry run: record what it would do, do nothing", Type: "checkbox", Checked: p.DryRun},
		}},
		{Legend: "When an alert comes", Help: "Name rules or detectors; every condition given must hold.", Fields: []formField{
			{Name: "when", Label: "Conditions", Type: "none"},
			{Name: "when.rules", Label: "Rules (id or title)", Type: "textarea", Value: strings.Join(p.When.Rules, "\n"), Help: "one a line"},
			{Name: "when.detectors", Label: "Behaviour detectors", Type: "textarea", Value: strings.Join(p.When.Detectors, "\n"), Help: "one a line, e.g. successafter"},
			{Name: "when.min_level", Label: "Lowest level", Type: "select", Value: p.When.MinLevel, Options: levelChoices},
		}},
		{Legend: "Act on", Fields: []formField{
			{Name: "entity", Label: "Entity of the alert", Type: "select", Value: p.Entity,
				Options: []string{event.SourceIP, event.DestinationIP, event.UserName, event.HostName}},
			{Name: "only_external", Label: "Only addresses outside the internal networks", Type: "checkbox", Checked: p.OnlyExternal},
			{Name: "action", Label: "Action", Type: "select", Value: p.Action,
				Options: []string{respond.ActionBlock, respond.ActionDisable, respond.ActionIsolate}, Help: "block addresses, disable accounts, isolate hosts"},
			{Name: "duration", Label: "Duration", Type: "text", Value: p.Duration, Help: "e.g. 4h; empty: the default"},
		}},
	}
	return f
}

func policyFromForm(r *http.Request) settings.Policy {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return settings.Policy{Name: v("name"), Enabled: r.PostFormValue("enabled") != "", DryRun: r.PostFormValue("dry_run") != "",
		When: settings.When{Rules: list(r.PostFormValue("when.rules")), Detectors: list(r.PostFormValue("when.detectors")),
			MinLevel: v("when.min_level")},
		Entity: v("entity"), OnlyExternal: r.PostFormValue("only_external") != "", Action: v("action"), Duration: v("duration")}
}

func (s *server) policySettings(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.showPolicies(w, v, policyForm(settings.Policy{Entity: event.SourceIP, Action: respond.ActionBlock}, ""), http.StatusOK)
}

func (s *server) showPolicies(w http.ResponseWriter, v *view, f *configForm, status int) error {
	v.Title, v.Nav = "Response policies", "settings"
	v.Data = &configView{Section: "policies", Policies: s.cfg.Settings.Policies(), Form: f}
	s.render(w, status, "config", v)
	return nil
}

func (s *server) policyPage(w http.ResponseWriter, r *http.Request, v *view) error {
	pv, err := s.cfg.Settings.Policy(r.PathValue("name"))
	if err != nil {
		if _, ok := settingsFailure(err); ok {
			return notFound("There is no response policy %q.", r.PathValue("name"))
		}
		return err
	}
	f := policyForm(pv.Policy, pv.Name)
	if pv.ReadOnly() {
		f.ReadOnly, f.Title = true, "Policy "+pv.Name+" (from vigie.yaml, read-only)"
	}
	v.Title, v.Nav, v.Data = "Response policy "+pv.Name, "settings", &configView{Section: "policies", Form: f}
	s.render(w, http.StatusOK, "config", v)
	return nil
}

func (s *server) createPolicy(w http.ResponseWriter, r *http.Request, v *view) error {
	p := policyFromForm(r)
	err := s.cfg.Settings.CreatePolicy(r.Context(), p, settingsActor(r, v))
	if err == nil {
		return seeOther(w, r, "/ui/settings/policies")
	}
	status, ok := settingsFailure(err)
	if !ok {
		return err
	}
	f := policyForm(p, "")
	f.place(err)
	return s.showPolicies(w, v, f, status)
}

func (s *server) updatePolicy(w http.ResponseWriter, r *http.Request, v *view) error {
	name := r.PathValue("name")
	p := policyFromForm(r)
	p.Name = name
	err := s.cfg.Settings.UpdatePolicy(r.Context(), name, p, settingsActor(r, v))
	if err == nil {
		return seeOther(w, r, "/ui/settings/policies")
	}
	status, ok := settingsFailure(err)
	if !ok {
		return err
	}
	if status == http.StatusNotFound {
		return notFound("There is no response policy %q.", name)
	}
	f := policyForm(p, name)
	f.place(err)
	v.Title, v.Nav, v.Data = "Response policy "+name, "settings", &configView{Section: "policies", Form: f}
	s.render(w, status, "config", v)
	return nil
}

func (s *server) deletePolicy(w http.ResponseWriter, r *http.Request, v *view) error {
	err := s.cfg.Settings.DeletePolicy(r.Context(), r.PathValue("name"), settingsActor(r, v))
	if err == nil {
		return seeOther(w, r, "/ui/settings/policies")
	}
	status, ok := settingsFailure(err)
	if !ok {
		return err
	}
	return &pageError{Status: status, Msg: err.Error()}
}
