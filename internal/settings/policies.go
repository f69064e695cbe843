package settings

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/vigie-sec/vigie/internal/respond"
)

// Policy is a response policy as the API and the console write it:
// respond.Policy's settings under their YAML names.
type Policy struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	DryRun  bool   `json:"dry_run"`
	When    When   `json:"when"`
	// Entity is source.ip, destination.ip, user.name or host.name; Action
	// block (addresses), disable (accounts) or isolate (hosts).
	Entity       string `json:"entity"`
	OnlyExternal bool   `json:"only_external,omitempty"`
	Action       string `json:"action"`
	Duration     string `json:"duration,omitempty"` // e.g. "4h"; empty: response.default_duration
}

// When selects the alerts a policy answers.
type When struct {
	Rules     []string `json:"rules,omitempty"`
	Detectors []string `json:"detectors,omitempty"`
	MinLevel  string   `json:"min_level,omitempty"`
}

// PolicyView is a policy as it is shown.
type PolicyView struct {
	Policy
	Source string `json:"source"` // SourceYAML or SourceConsole
	meta
	Problem string `json:"problem,omitempty"` // why a stored policy is not in force
}

// ReadOnly reports whether the policy comes from vigie.yaml.
func (v PolicyView) ReadOnly() bool { return v.Source == SourceYAML }

// storedPolicy is the record of a console policy.
type storedPolicy struct {
	Policy
	meta
}

func (p Policy) policy() (respond.Policy, []Problem) {
	d, prob := parseDuration("duration", p.Duration)
	var ps []Problem
	if prob != nil {
		ps = append(ps, *prob)
	}
	return respond.Policy{Name: p.Name, Enabled: p.Enabled, DryRun: p.DryRun,
		When:   respond.When{Rules: p.When.Rules, Detectors: p.When.Detectors, MinLevel: p.When.MinLevel},
		Entity: p.Entity, OnlyExternal: p.OnlyExternal, Action: p.Action, Duration: d}, ps
}

func policyOf(p respond.Policy) Policy {
	return Policy{Name: p.Name, Enabled: p.Enabled, DryRun: p.DryRun,
		When:   When{Rules: p.When.Rules, Detectors: p.When.Detectors, MinLevel: p.When.MinLevel},
		Entity: p.Entity, OnlyExternal: p.OnlyExternal, Action: p.Action, Duration: formatDuration(p.Duration)}
}

// checkPolicy validates p with package respond's own rules; each problem
// names its field.
func (m *Manager) checkPolicy(p Policy) (respond.Policy, error) {
	ps := checkSizes(map[string]string{"name": p.Name, "when.min_level": p.When.MinLevel, "entity": p.Entity,
		"action": p.Action, "duration": p.Duration}, map[string][]string{"when.rules": p.When.Rules, "when.detectors": p.When.Detectors})
	if len(ps) > 0 {
		return respond.Policy{}, &InvalidError{Problems: ps}
	}
	rp, ps := p.policy()
	for _, err := range flatten(m.deps.Responder.CheckPolicy(rp)) {
		var fe *respond.FieldError
		if errors.As(err, &fe) {
			if fe.Field == "duration" && len(ps) > 0 {
				continue // already said it does not parse
			}
			ps = append(ps, Problem{Field: fe.Field, Msg: fe.Msg})
		} else {
			ps = append(ps, Problem{Msg: err.Error()})
		}
	}
	if len(ps) > 0 {
		return respond.Policy{}, &InvalidError{Problems: ps}
	}
	return rp, nil
}

func (m *Manager) yamlPolicy(name string) bool {
	for _, p := range m.yaml.Policies {
		if p.Name == name {
			return true
		}
	}
	return false
}

// mergedPolicies is vigie.yaml's policies, then the console's without a
// problem, by name.
func (m *Manager) mergedPolicies(console map[string]*storedPolicy) []respond.Policy {
	out := append([]respond.Policy(nil), m.yaml.Policies...)
	for _, name := range sortedKeys(console) {
		if p := console[name]; p.Problem == "" {
			rp, _ := p.policy()
			out = append(out, rp)
		}
	}
	return out
}

// Policies returns every response policy, vigie.yaml's first in their
// order, then the console's by name.
func (m *Manager) Policies() []PolicyView {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []PolicyView
	for _, p := range m.yaml.Policies {
		out = append(out, PolicyView{Policy: policyOf(p), Source: SourceYAML})
	}
	for _, name := range sortedKeys(m.policies) {
		p := m.policies[name]
		out = append(out, PolicyView{Policy: p.Policy, Source: SourceConsole, meta: p.meta, Problem: p.Problem})
	}
	return out
}

// Policy returns one policy, or ErrNotFound.
func (m *Manager) Policy(name string) (PolicyView, error) {
	for _, v := range m.Policies() {
		if v.Name == name {
			return v, nil
		}
	}
	return PolicyView{}, fmt.Errorf("%w: response policy %q", ErrNotFound, name)
}

// CreatePolicy validates, stores and applies a new console policy, and
// audits it. Errors as CreateTarget's.
func (m *Manager) CreatePolicy(ctx context.Context, p Policy, who Actor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := checkName(p.Name, m.yamlPolicy(p.Name)); err != nil {
		return err
	}
	if _, ok := m.policies[p.Name]; ok {
		return fmt.Errorf("%w: response policy %q", ErrExists, p.Name)
	}
	if len(m.policies) >= maxPolicies {
		return &InvalidError{Problems: []Problem{{Msg: fmt.Sprintf("already %d console policies, the most allowed", maxPolicies)}}}
	}
	now := m.deps.Now()
	st := &storedPolicy{Policy: p, meta: meta{Created: now, CreatedBy: who.User, Updated: now, UpdatedBy: who.User}}
	return m.applyPolicy(ctx, st, nil, who, AuditPolicyCreate)
}

// UpdatePolicy replaces a console policy. Errors as CreatePolicy's, and
// ErrNotFound.
func (m *Manager) UpdatePolicy(ctx context.Context, name string, p Policy, who Actor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.yamlPolicy(name) {
		return fmt.Errorf("%w: response policy %q", ErrReadOnly, name)
	}
	old, ok := m.policies[name]
	if !ok {
		return fmt.Errorf("%w: response policy %q", ErrNotFound, name)
	}
	if p.Name == "" {
		p.Name = name
	}
	if p.Name != name {
		return &InvalidError{Problems: []Problem{{Field: "name", Msg: fmt.Sprintf("%q differs from the policy's name %q", p.Name, name)}}}
	}
	mt := old.meta
	mt.Updated, mt.UpdatedBy, mt.Problem = m.deps.Now(), who.User, ""
	return m.applyPolicy(ctx, &storedPolicy{Policy: p, meta: mt}, old, who, AuditPolicyUpdate)
}

// applyPolicy validates st, stores it, applies the new set of policies
// and audits the change. Called with m.mu held.
func (m *Manager) applyPolicy(ctx context.Context, st, old *storedPolicy, who Actor, action string) error {
	name := st.Name
	if _, err := m.checkPolicy(st.Policy); err != nil {
		return err
	}
	if err := m.put(ctx, KindPolicy, name, st); err != nil {
		return err
	}
	next := maps.Clone(m.policies)
	next[name] = st
	if err := m.deps.Responder.SetPolicies(m.mergedPolicies(next)); err != nil {
		return errors.Join(&InvalidError{Problems: []Problem{{Msg: err.Error()}}}, m.restore(ctx, KindPolicy, name, old, old != nil))
	}
	m.policies = next
	return m.audit(ctx, who, action, "policy/"+name, st.Policy)
}

// DeletePolicy removes a console policy from the store and the engine.
func (m *Manager) DeletePolicy(ctx context.Context, name string, who Actor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.yamlPolicy(name) {
		return fmt.Errorf("%w: response policy %q", ErrReadOnly, name)
	}
	old, ok := m.policies[name]
	if !ok {
		return fmt.Errorf("%w: response policy %q", ErrNotFound, name)
	}
	next := maps.Clone(m.policies)
	delete(next, name)
	if err := m.deps.Records.DeleteRecord(ctx, KindPolicy, name); err != nil {
		return fmt.Errorf("settings: deleting %s/%s: %w", KindPolicy, name, err)
	}
	if err := m.deps.Responder.SetPolicies(m.mergedPolicies(next)); err != nil {
		return errors.Join(fmt.Errorf("settings: applying response policies: %w", err), m.put(ctx, KindPolicy, name, old))
	}
	m.policies = next
	return m.audit(ctx, who, AuditPolicyDelete, "policy/"+name, map[string]string{"name": name})
}
