package settings

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/notify"
)

// Target is a notification target as the API and the console write it:
// notify.TargetConfig's settings under their YAML names, and the route
// of a console target. Secret and Password are write-only.
type Target struct {
	Name    string `json:"name"`
	Type    string `json:"type"`              // webhook, email or syslog
	Timeout string `json:"timeout,omitempty"` // one delivery attempt, e.g. "10s"

	// webhook
	URL          string `json:"url,omitempty"`
	Secret       string `json:"secret,omitempty"` // HMAC key; empty on update keeps the stored one
	ClearSecret  bool   `json:"clear_secret,omitempty"`
	AllowPrivate bool   `json:"allow_private,omitempty"`

	// email
	Host          string   `json:"host,omitempty"`
	Port          int      `json:"port,omitempty"`
	TLS           string   `json:"tls,omitempty"`
	ServerName    string   `json:"server_name,omitempty"`
	CAFile        string   `json:"ca_file,omitempty"`
	Username      string   `json:"username,omitempty"`
	Password      string   `json:"password,omitempty"` // empty on update keeps the stored one
	ClearPassword bool     `json:"clear_password,omitempty"`
	From          string   `json:"from,omitempty"`
	To            []string `json:"to,omitempty"`

	// syslog
	Network  string `json:"network,omitempty"`
	Address  string `json:"address,omitempty"`
	Facility *int   `json:"facility,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	AppName  string `json:"app_name,omitempty"`

	// The route of a console target: empty lists match any.
	MinLevel string   `json:"min_level,omitempty"`
	Kinds    []string `json:"kinds,omitempty"`
	Rules    []string `json:"rules,omitempty"`
}

// TargetView is a target as it is shown: never with its secrets.
type TargetView struct {
	Target
	Source      string `json:"source"` // SourceYAML or SourceConsole
	HasSecret   bool   `json:"has_secret,omitempty"`
	HasPassword bool   `json:"has_password,omitempty"`
	meta
	// Problem says why a stored target is not in force.
	Problem string `json:"problem,omitempty"`
}

// ReadOnly reports whether the target comes from vigie.yaml.
func (v TargetView) ReadOnly() bool { return v.Source == SourceYAML }

// storedTarget is the record of a console target.
type storedTarget struct {
	Target
	meta
}

func (t Target) config() (notify.TargetConfig, []Problem) {
	timeout, p := parseDuration("timeout", t.Timeout)
	var ps []Problem
	if p != nil {
		ps = append(ps, *p)
	}
	return notify.TargetConfig{Type: t.Type, Timeout: timeout, URL: t.URL, Secret: t.Secret, AllowPrivate: t.AllowPrivate,
		Host: t.Host, Port: t.Port, TLS: t.TLS, ServerName: t.ServerName, CAFile: t.CAFile, Username: t.Username,
		Password: t.Password, From: t.From, To: t.To, Network: t.Network, Address: t.Address, Facility: t.Facility,
		Hostname: t.Hostname, AppName: t.AppName}, ps
}

func targetOf(name string, tc notify.TargetConfig) Target {
	return Target{Name: name, Type: tc.Type, Timeout: formatDuration(tc.Timeout), URL: tc.URL, Secret: tc.Secret,
		AllowPrivate: tc.AllowPrivate, Host: tc.Host, Port: tc.Port, TLS: tc.TLS, ServerName: tc.ServerName,
		CAFile: tc.CAFile, Username: tc.Username, Password: tc.Password, From: tc.From, To: tc.To,
		Network: tc.Network, Address: tc.Address, Facility: tc.Facility, Hostname: tc.Hostname, AppName: tc.AppName}
}

// view returns t without its secrets.
func (t Target) view(source string, mt meta) TargetView {
	v := TargetView{Target: t, Source: source, HasSecret: t.Secret != "", HasPassword: t.Password != "", meta: mt, Problem: mt.Problem}
	v.Secret, v.Password, v.ClearSecret, v.ClearPassword = "", "", false, false
	return v
}

// route is the route of a console target.
func (t Target) route() notify.Route {
	return notify.Route{Name: "console:" + t.Name, Targets: []string{t.Name}, MinLevel: t.MinLevel, Kinds: t.Kinds, Rules: t.Rules}
}

// mergedNotify is vigie.yaml's notify section with the console targets
// (those without a problem) and their routes added.
func (m *Manager) mergedNotify(console map[string]*storedTarget) notify.Config {
	cfg := m.yaml.Notify
	cfg.Targets = maps.Clone(m.yaml.Notify.Targets)
	if cfg.Targets == nil {
		cfg.Targets = map[string]notify.TargetConfig{}
	}
	cfg.Routes = slices.Clone(m.yaml.Notify.Routes)
	var added []notify.Route
	for _, name := range sortedKeys(console) {
		t := console[name]
		if t.Problem != "" {
			continue
		}
		tc, _ := t.config()
		cfg.Targets[name] = tc
		added = append(added, t.route())
	}
	if len(added) > 0 && len(cfg.Routes) == 0 && len(m.yaml.Notify.Targets) > 0 {
		// vigie.yaml's targets received everything; they still do.
		cfg.Routes = append(cfg.Routes, notify.Route{Name: SourceYAML, Targets: sortedKeys(m.yaml.Notify.Targets)})
	}
	cfg.Routes = append(cfg.Routes, added...)
	return cfg
}

// checkTarget validates t as the console target name, among the other
// console targets, with notify's own validation; each problem names its
// field.
func (m *Manager) checkTarget(name string, t Target, console map[string]*storedTarget) error {
	var ps []Problem
	if t.Name != name {
		ps = append(ps, Problem{Field: "name", Msg: fmt.Sprintf("%q differs from the target's name %q", t.Name, name)})
	}
	ps = append(ps, checkSizes(map[string]string{"url": t.URL, "secret": t.Secret, "host": t.Host, "server_name": t.ServerName,
		"ca_file": t.CAFile, "username": t.Username, "password": t.Password, "from": t.From, "address": t.Address,
		"hostname": t.Hostname, "app_name": t.AppName, "timeout": t.Timeout, "type": t.Type, "tls": t.TLS,
		"network": t.Network, "min_level": t.MinLevel}, map[string][]string{"to": t.To, "kinds": t.Kinds, "rules": t.Rules})...)
	if len(ps) > 0 {
		return &InvalidError{Problems: ps}
	}
	tc, ps := t.config()
	if t.MinLevel != "" && !detect.ValidLevel(t.MinLevel) {
		ps = append(ps, Problem{Field: "min_level", Msg: fmt.Sprintf("%q is not a Sigma level (informational, low, medium, high, critical)", t.MinLevel)})
	}
	for _, k := range t.Kinds {
		if !slices.Contains(notify.Kinds(), k) {
			ps = append(ps, Problem{Field: "kinds", Msg: fmt.Sprintf("unknown kind %q (known: %s)", k, strings.Join(notify.Kinds(), ", "))})
		}
	}
	for _, r := range t.Rules {
		if strings.TrimSpace(r) == "" {
			ps = append(ps, Problem{Field: "rules", Msg: "an empty rule id"})
			break
		}
	}
	others := map[string]*storedTarget{}
	for n, o := range console {
		if n != name && o.Problem == "" {
			others[n] = o
		}
	}
	cfg := m.mergedNotify(others)
	cfg.Targets[name] = tc
	prefix := "notify.targets." + name + "."
	for _, err := range flatten(cfg.Validate()) {
		var fe *notify.FieldError
		switch {
		case errors.As(err, &fe) && strings.HasPrefix(fe.Key, prefix):
			ps = append(ps, Problem{Field: fieldName(fe.Field), Msg: fe.Msg})
		case errors.As(err, &fe):
			// Another target's problem is not this one's.
		default:
			ps = append(ps, Problem{Msg: err.Error()})
		}
	}
	if len(ps) > 0 {
		return &InvalidError{Problems: ps}
	}
	return nil
}

var listIndex = regexp.MustCompile(`\[\d+\]$`)

// fieldName is the form field of a notify setting: "to[1]" is "to".
func fieldName(f string) string { return listIndex.ReplaceAllString(f, "") }

// Targets returns every notification target, vigie.yaml's first, each
// part by name.
func (m *Manager) Targets() []TargetView {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []TargetView
	for _, name := range sortedKeys(m.yaml.Notify.Targets) {
		out = append(out, targetOf(name, m.yaml.Notify.Targets[name]).view(SourceYAML, meta{}))
	}
	for _, name := range sortedKeys(m.targets) {
		t := m.targets[name]
		out = append(out, t.Target.view(SourceConsole, t.meta))
	}
	return out
}

// Target returns one target, or ErrNotFound.
func (m *Manager) Target(name string) (TargetView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if tc, ok := m.yaml.Notify.Targets[name]; ok {
		return targetOf(name, tc).view(SourceYAML, meta{}), nil
	}
	if t, ok := m.targets[name]; ok {
		return t.Target.view(SourceConsole, t.meta), nil
	}
	return TargetView{}, fmt.Errorf("%w: notification target %q", ErrNotFound, name)
}

// CreateTarget validates, stores and applies a new console target, and
// audits it. Its errors include ErrInvalid (an *InvalidError), ErrExists
// and ErrReadOnly (vigie.yaml has that name).
func (m *Manager) CreateTarget(ctx context.Context, t Target, who Actor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, inYAML := m.yaml.Notify.Targets[t.Name]
	if err := checkName(t.Name, inYAML); err != nil {
		return err
	}
	if _, ok := m.targets[t.Name]; ok {
		return fmt.Errorf("%w: notification target %q", ErrExists, t.Name)
	}
	t.ClearSecret, t.ClearPassword = false, false
	now := m.deps.Now()
	st := &storedTarget{Target: t, meta: meta{Created: now, CreatedBy: who.User, Updated: now, UpdatedBy: who.User}}
	return m.applyTarget(ctx, st, nil, who, AuditNotifyCreate)
}

// UpdateTarget replaces a console target. An empty Secret or Password
// keeps the stored one (when the type is unchanged); ClearSecret and
// ClearPassword remove it. Errors as CreateTarget's, and ErrNotFound.
func (m *Manager) UpdateTarget(ctx context.Context, name string, t Target, who Actor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.yaml.Notify.Targets[name]; ok {
		return fmt.Errorf("%w: notification target %q", ErrReadOnly, name)
	}
	old, ok := m.targets[name]
	if !ok {
		return fmt.Errorf("%w: notification target %q", ErrNotFound, name)
	}
	if t.Name == "" {
		t.Name = name
	}
	if t.Type == old.Type {
		if t.Secret == "" && !t.ClearSecret {
			t.Secret = old.Secret
		}
		if t.Password == "" && !t.ClearPassword {
			t.Password = old.Password
		}
	}
	t.ClearSecret, t.ClearPassword = false, false
	mt := old.meta
	mt.Updated, mt.UpdatedBy, mt.Problem = m.deps.Now(), who.User, ""
	return m.applyTarget(ctx, &storedTarget{Target: t, meta: mt}, old, who, AuditNotifyUpdate)
}

// applyTarget validates st, stores it, applies the new set of targets
// and audits the change; old is what it replaces, if anything. Called
// with m.mu held.
func (m *Manager) applyTarget(ctx context.Context, st, old *storedTarget, who Actor, action string) error {
	name := st.Name
	if err := m.checkTarget(name, st.Target, m.targets); err != nil {
		return err
	}
	if err := m.put(ctx, KindTarget, name, st); err != nil {
		return err
	}
	next := maps.Clone(m.targets)
	next[name] = st
	if err := m.deps.Notifier.Reload(m.mergedNotify(next)); err != nil {
		return errors.Join(&InvalidError{Problems: []Problem{{Msg: err.Error()}}}, m.restore(ctx, KindTarget, name, old, old != nil))
	}
	m.targets = next
	return m.audit(ctx, who, action, "notify/"+name, st.Target.view(SourceConsole, st.meta))
}

// DeleteTarget removes a console target from the store and the notifier.
func (m *Manager) DeleteTarget(ctx context.Context, name string, who Actor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.yaml.Notify.Targets[name]; ok {
		return fmt.Errorf("%w: notification target %q", ErrReadOnly, name)
	}
	old, ok := m.targets[name]
	if !ok {
		return fmt.Errorf("%w: notification target %q", ErrNotFound, name)
	}
	next := maps.Clone(m.targets)
	delete(next, name)
	if err := m.deps.Records.DeleteRecord(ctx, KindTarget, name); err != nil {
		return fmt.Errorf("settings: deleting %s/%s: %w", KindTarget, name, err)
	}
	if err := m.deps.Notifier.Reload(m.mergedNotify(next)); err != nil {
		return errors.Join(fmt.Errorf("settings: applying notification targets: %w", err), m.put(ctx, KindTarget, name, old))
	}
	m.targets = next
	return m.audit(ctx, who, AuditNotifyDelete, "notify/"+name, map[string]string{"name": name, "type": old.Type})
}

// TestResult is the audit detail of a test notification.
type TestResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// TestTarget sends a test notification to a target (from vigie.yaml or
// the console) at once and returns the delivery's error; the attempt and
// its outcome are audited. ErrNotFound for an unknown or not applied
// target.
func (m *Manager) TestTarget(ctx context.Context, name string, who Actor) error {
	m.mu.Lock()
	_, inYAML := m.yaml.Notify.Targets[name]
	t, inConsole := m.targets[name]
	m.mu.Unlock()
	if !inYAML && !inConsole {
		return fmt.Errorf("%w: notification target %q", ErrNotFound, name)
	}
	if inConsole && t.Problem != "" {
		return fmt.Errorf("%w: notification target %q is not in force: %s", ErrNotFound, name, t.Problem)
	}
	err := m.deps.Notifier.Test(ctx, name, who.User)
	if errors.Is(err, notify.ErrUnknownTarget) {
		return fmt.Errorf("%w: notification target %q", ErrNotFound, name)
	}
	res := TestResult{Name: name, OK: err == nil}
	if err != nil {
		res.Error = err.Error()
	}
	if aerr := m.audit(ctx, who, AuditNotifyTest, "notify/"+name, res); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}
