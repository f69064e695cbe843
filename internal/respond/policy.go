package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// maxEntitiesPerAlert bounds the decisions one alert can cause per policy.
const maxEntitiesPerAlert = 16

// OnAlert runs the enabled policies on an alert event (kind alert, as
// detect.Alert.ToEvent makes it) and returns the decisions they made or
// extended. Values an allow-list covers, and internal addresses for
// policies that act on external ones only, are skipped without error: the
// allow-list always wins. An error for one value does not stop the others;
// the errors are joined.
func (m *Manager) OnAlert(ctx context.Context, alert *event.Event) ([]*Decision, error) {
	if alert.Kind != event.KindAlert {
		return nil, nil
	}
	var (
		out  []*Decision
		errs []error
	)
	for _, p := range *m.policies.Load() {
		if !p.Enabled || !p.matches(alert) {
			continue
		}
		for i, f := range alert.Values(p.Entity) {
			if i == maxEntitiesPerAlert {
				m.log.Warn("policy: alert has too many entities, the rest skipped", "policy", p.Name, "entity", p.Entity, "values", len(alert.Values(p.Entity)))
				break
			}
			d, err := m.applyPolicy(ctx, p, alert, f.Value)
			switch {
			case errors.Is(err, ErrAllowListed):
				m.log.Info("policy: allow-listed value skipped", "policy", p.Name, "value", f.Value, "reason", err)
			case err != nil:
				errs = append(errs, fmt.Errorf("policy %s on alert %d, %s %q: %w", p.Name, alert.ID, p.Entity, f.Value, err))
			case d != nil:
				out = append(out, d)
			}
		}
	}
	return out, errors.Join(errs...)
}

// applyPolicy decides for one entity value, or returns nil for a value the
// policy does not act on.
func (m *Manager) applyPolicy(ctx context.Context, p Policy, alert *event.Event, value string) (*Decision, error) {
	scope := entityScopes[p.Entity]
	if p.OnlyExternal && m.internal(value) {
		return nil, nil
	}
	if scope == ScopeIP {
		if _, err := Canonical(ScopeIP, value); err != nil {
			return nil, nil // "-" or a name where an address was expected
		}
	}
	name, _ := alert.Get("rule.name")
	req := Request{Action: p.Action, Scope: scope, Value: value, Duration: p.Duration, DryRun: p.DryRun,
		Reason: "policy " + p.Name + ": " + name}
	if len(req.Reason) > maxReasonLen {
		req.Reason = req.Reason[:maxReasonLen]
	}
	if alert.ID != 0 {
		req.Alert = strconv.FormatInt(int64(alert.ID), 10)
	}
	return m.Decide(ctx, req, Actor{Name: p.Name, Origin: OriginPolicy})
}

// matches reports whether the alert meets every condition of p.When.
func (p Policy) matches(alert *event.Event) bool {
	w := p.When
	if len(w.Rules) > 0 {
		id, _ := alert.Get("rule.id")
		name, _ := alert.Get("rule.name")
		if !slices.ContainsFunc(w.Rules, func(r string) bool {
			return r != "" && (strings.EqualFold(r, id) || strings.EqualFold(r, name))
		}) {
			return false
		}
	}
	if len(w.Detectors) > 0 {
		det, ok := alert.Get("vigie.detector")
		if !ok || !slices.ContainsFunc(w.Detectors, func(d string) bool { return strings.EqualFold(d, det) }) {
			return false
		}
	}
	if w.MinLevel != "" {
		level, _ := alert.Get("rule.level")
		if !detect.LevelAtLeast(level, w.MinLevel) {
			return false
		}
	}
	return true
}

// Policies returns the policies in force, in the order OnAlert applies
// them. The caller must not modify the slice.
func (m *Manager) Policies() []Policy {
	return *m.policies.Load()
}

// CheckPolicy validates one policy against the configuration's limits
// (response.max_duration); its errors are FieldErrors, joined.
func (m *Manager) CheckPolicy(p Policy) error {
	return p.validate(m.cfg.Config)
}

// SetPolicies replaces the policies in force, for the alerts OnAlert
// receives from then on; a call of OnAlert already running finishes with
// the policies it started with. Each policy is checked as New checks
// them, and names must be unique; on error nothing changes. The Manager
// keeps ps: the caller must not modify it afterwards.
func (m *Manager) SetPolicies(ps []Policy) error {
	var errs []error
	names := map[string]bool{}
	for i, p := range ps {
		where := fmt.Sprintf("response.policies[%d]", i)
		if p.Name != "" {
			where += " (" + p.Name + ")"
		}
		if err := m.CheckPolicy(p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if names[p.Name] {
			errs = append(errs, fmt.Errorf("%s: name used twice", where))
		}
		names[p.Name] = true
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	m.policies.Store(&ps)
	return nil
}
