package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/settings"
)

var levelChoices = []string{"", "informational", "low", "medium", "high", "critical"}

// targetForm lays out the form of a notification target, filled with t.
// editing names the target changed; "" makes a new one.
func targetForm(t settings.Target, hasSecret, hasPassword bool, editing string) *configForm {
	f := &configForm{ID: "target-form", Action: "/ui/settings/notify", Title: "New notification target", Submit: "Create target"}
	if editing != "" {
		f.Action, f.Title, f.Submit = "/ui/settings/notify/"+editing, "Target "+editing, "Save "+editing
	}
	keep := func(has bool) string {
		if has && editing != "" {
			return "set; leave empty to keep it"
		}
		return ""
	}
	port, facility := "", ""
	if t.Port != 0 {
		port = strconv.Itoa(t.Port)
	}
	if t.Facility != nil {
		facility = strconv.Itoa(*t.Facility)
	}
	name := formField{Name: "name", Label: "Name", Type: "text", Value: t.Name, Required: true,
		Help: "letters, digits, dots, dashes, underscores"}
	if editing != "" {
		name.Type = "readonly"
	}
	f.Groups = []fieldGroup{
		{Legend: "Target", Fields: []formField{
			name,
			{Name: "type", Label: "Type", Type: "select", Value: t.Type, Options: []string{notify.TypeWebhook, notify.TypeEmail, notify.TypeSyslog}},
			{Name: "timeout", Label: "Timeout of one delivery", Type: "text", Value: t.Timeout, Help: "e.g. 10s; empty: 10s"},
		}},
		{Legend: "Webhook", Help: "An HTTPS POST of JSON, signed with the secret.", Fields: []formField{
			{Name: "url", Label: "URL", Type: "text", Value: t.URL},
			{Name: "secret", Label: "Signing secret", Type: "password", Help: keep(hasSecret)},
			{Name: "clear_secret", Label: "Remove the signing secret", Type: "checkbox"},
			{Name: "allow_private", Label: "Allow loopback and private addresses", Type: "checkbox", Checked: t.AllowPrivate},
		}},
		{Legend: "E-mail", Help: "SMTP; credentials are only ever sent over TLS.", Fields: []formField{
			{Name: "host", Label: "SMTP server", Type: "text", Value: t.Host},
			{Name: "port", Label: "Port", Type: "number", Value: port, Help: "empty: 587, 465 or 25 by TLS mode"},
			{Name: "tls", Label: "TLS", Type: "select", Value: t.TLS, Options: []string{"", notify.TLSStartTLS, notify.TLSImplicit, notify.TLSNone}},
			{Name: "server_name", Label: "TLS server name", Type: "text", Value: t.ServerName},
			{Name: "ca_file", Label: "CA file on the server", Type: "text", Value: t.CAFile},
			{Name: "username", Label: "User name", Type: "text", Value: t.Username},
			{Name: "password", Label: "Password", Type: "password", Help: keep(hasPassword)},
			{Name: "clear_password", Label: "Remove the password", Type: "checkbox"},
			{Name: "from", Label: "From", Type: "text", Value: t.From},
			{Name: "to", Label: "To", Type: "textarea", Value: strings.Join(t.To, "\n"), Help: "one address a line"},
		}},
		{Legend: "Syslog (CEF)", Fields: []formField{
			{Name: "network", Label: "Transport", Type: "select", Value: t.Network, Options: []string{"", "udp", "tcp"}},
			{Name: "address", Label: "Address", Type: "text", Value: t.Address, Help: "host:port"},
			{Name: "facility", Label: "Facility", Type: "number", Value: facility, Help: "0 to 23; empty: 13"},
			{Name: "hostname", Label: "Host name in the header", Type: "text", Value: t.Hostname},
			{Name: "app_name", Label: "App name in the header", Type: "text", Value: t.AppName},
		}},
		{Legend: "What it receives", Help: "Empty means everything.", Fields: []formField{
			{Name: "min_level", Label: "Lowest level", Type: "select", Value: t.MinLevel, Options: levelChoices},
			{Name: "kinds", Label: "Kinds of message", Type: "multiselect", Selected: t.Kinds, Options: notify.Kinds()},
			{Name: "rules", Label: "Rule ids", Type: "textarea", Value: strings.Join(t.Rules, "\n"), Help: "one a line"},
		}},
	}
	return f
}

// targetFromForm reads a target from a posted form.
func targetFromForm(r *http.Request) (settings.Target, []settings.Problem) {
	var ps []settings.Problem
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	t := settings.Target{Name: v("name"), Type: v("type"), Timeout: v("timeout"),
		URL: v("url"), Secret: r.PostFormValue("secret"), ClearSecret: r.PostFormValue("clear_secret") != "",
		AllowPrivate: r.PostFormValue("allow_private") != "",
		Host:         v("host"), TLS: v("tls"), ServerName: v("server_name"), CAFile: v("ca_file"), Username: v("username"),
		Password: r.PostFormValue("password"), ClearPassword: r.PostFormValue("clear_password") != "",
		From: v("from"), To: list(r.PostFormValue("to")),
		Network: v("network"), Address: v("address"), Hostname: v("hostname"), AppName: v("app_name"),
		MinLevel: v("min_level"), Kinds: r.PostForm["kinds"], Rules: list(r.PostFormValue("rules"))}
	t.Port, _ = number(r, "port", &ps)
	if n, ok := number(r, "facility", &ps); ok {
		t.Facility = &n
	}
	return t, ps
}

func (s *server) notifySettings(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.showTargets(w, v, &configView{Form: targetForm(settings.Target{Type: notify.TypeWebhook}, false, false, "")}, http.StatusOK)
}

func (s *server) showTargets(w http.ResponseWriter, v *view, d *configView, status int) error {
	d.Section, d.Targets = "notify", s.cfg.Settings.Targets()
	v.Title, v.Nav, v.Data = "Notification targets", "settings", d
	s.render(w, status, "config", v)
	return nil
}

func (s *server) targetPage(w http.ResponseWriter, r *http.Request, v *view) error {
	tv, err := s.cfg.Settings.Target(r.PathValue("name"))
	if err != nil {
		if _, ok := settingsFailure(err); ok {
			return notFound("There is no notification target %q.", r.PathValue("name"))
		}
		return err
	}
	f := targetForm(tv.Target, tv.HasSecret, tv.HasPassword, tv.Name)
	if tv.ReadOnly() {
		f.ReadOnly, f.Title = true, "Target "+tv.Name+" (from vigie.yaml, read-only)"
	}
	v.Title, v.Nav, v.Data = "Notification target "+tv.Name, "settings", &configView{Section: "notify", Form: f}
	s.render(w, http.StatusOK, "config", v)
	return nil
}

func (s *server) createTarget(w http.ResponseWriter, r *http.Request, v *view) error {
	t, ps := targetFromForm(r)
	err := error(&settings.InvalidError{Problems: ps})
	if len(ps) == 0 {
		if err = s.cfg.Settings.CreateTarget(r.Context(), t, settingsActor(r, v)); err == nil {
			return seeOther(w, r, "/ui/settings/notify")
		}
	}
	status, ok := settingsFailure(err)
	if !ok {
		return err
	}
	f := targetForm(t, false, false, "")
	f.place(err)
	return s.showTargets(w, v, &configView{Form: f}, status)
}

func (s *server) updateTarget(w http.ResponseWriter, r *http.Request, v *view) error {
	name := r.PathValue("name")
	t, ps := targetFromForm(r)
	t.Name = name
	err := error(&settings.InvalidError{Problems: ps})
	if len(ps) == 0 {
		if err = s.cfg.Settings.UpdateTarget(r.Context(), name, t, settingsActor(r, v)); err == nil {
			return seeOther(w, r, "/ui/settings/notify")
		}
	}
	status, ok := settingsFailure(err)
	if !ok {
		return err
	}
	if status == http.StatusNotFound {
		return notFound("There is no notification target %q.", name)
	}
	old, _ := s.cfg.Settings.Target(name)
	f := targetForm(t, old.HasSecret, old.HasPassword, name)
	f.place(err)
	v.Title, v.Nav, v.Data = "Notification target "+name, "settings", &configView{Section: "notify", Form: f}
	s.render(w, status, "config", v)
	return nil
}

func (s *server) deleteTarget(w http.ResponseWriter, r *http.Request, v *view) error {
	name := r.PathValue("name")
	err := s.cfg.Settings.DeleteTarget(r.Context(), name, settingsActor(r, v))
	if err == nil {
		return seeOther(w, r, "/ui/settings/notify")
	}
	status, ok := settingsFailure(err)
	if !ok {
		return err
	}
	return &pageError{Status: status, Msg: err.Error()}
}

// testTarget sends a test notification and shows the outcome on the
// targets' page.
func (s *server) testTarget(w http.ResponseWriter, r *http.Request, v *view) error {
	name := r.PathValue("name")
	err := s.cfg.Settings.TestTarget(r.Context(), name, settingsActor(r, v))
	d := &configView{Form: targetForm(settings.Target{Type: notify.TypeWebhook}, false, false, "")}
	switch status, ok := settingsFailure(err); {
	case err == nil:
		d.Message = "Test notification delivered to " + name + "."
	case ok && status == http.StatusNotFound:
		return notFound("There is no notification target %q in force.", name)
	default:
		d.Failure = "Test notification to " + name + " failed: " + err.Error()
	}
	return s.showTargets(w, v, d, http.StatusOK)
}
