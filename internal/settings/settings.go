package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/store"
)

// Record kinds: one record per console-made setting, by name.
const (
	KindTarget = "setting.notify.target"
	KindPolicy = "setting.respond.policy"
)

// Audit actions. Targets are "notify/NAME", "policy/NAME".
const (
	AuditNotifyCreate = "settings.notify.create"
	AuditNotifyUpdate = "settings.notify.update"
	AuditNotifyDelete = "settings.notify.delete"
	AuditNotifyTest   = "settings.notify.test"
	AuditPolicyCreate = "settings.respond.create"
	AuditPolicyUpdate = "settings.respond.update"
	AuditPolicyDelete = "settings.respond.delete"
)

// Where a setting comes from.
const (
	SourceYAML    = "vigie.yaml"
	SourceConsole = "console"
)

// Errors callers branch on.
var (
	// ErrNotFound: no setting of that name.
	ErrNotFound = errors.New("no such setting")
	// ErrExists: a console setting of that name exists already.
	ErrExists = errors.New("a setting of that name exists already")
	// ErrReadOnly: the setting comes from vigie.yaml.
	ErrReadOnly = errors.New("the setting comes from vigie.yaml and is read-only in the console")
	// ErrInvalid: see InvalidError for the fields at fault.
	ErrInvalid = errors.New("invalid setting")
)

// Limits on what a client may store.
const (
	maxPolicies = 256  // console policies
	maxString   = 2048 // bytes of one string setting
	maxList     = 64   // entries of one list setting
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Problem is what is wrong with one field of a setting; Field is its
// JSON and form name ("url", "when.min_level"), empty for the setting as
// a whole.
type Problem struct {
	Field string `json:"field,omitempty"`
	Msg   string `json:"message"`
}

// InvalidError lists the problems of a setting; it matches ErrInvalid.
type InvalidError struct {
	Problems []Problem
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.Msg)
	}
	return b.String()
}

// Is matches ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// For returns the messages about field, joined; for forms.
func (e *InvalidError) For(field string) string {
	var msgs []string
	for _, p := range e.Problems {
		if p.Field == field {
			msgs = append(msgs, p.Msg)
		}
	}
	return strings.Join(msgs, "; ")
}

// Actor is who changes a setting, for the audit log.
type Actor struct {
	User   string
	Remote string // the client's address, when known
}

// Notifier is the running notifier (*notify.Notifier).
type Notifier interface {
	Reload(cfg notify.Config) error
	Test(ctx context.Context, name, who string) error
}

// Responder is the running response manager (*respond.Manager).
type Responder interface {
	SetPolicies(ps []respond.Policy) error
	CheckPolicy(p respond.Policy) error
}

// Config is what vigie.yaml says: its "notify" section and its response
// policies. Both are shown read-only.
type Config struct {
	Notify   notify.Config
	Policies []respond.Policy
}

// Deps are the Manager's collaborators; all are required but Now.
type Deps struct {
	Records   store.Records
	Audit     store.Auditor
	Notifier  Notifier
	Responder Responder
	Now       func() time.Time
}

// Manager owns the console's settings. Its methods are safe for
// concurrent use; changes are applied one at a time, in the order they
// are stored. Call Load once before the others.
type Manager struct {
	yaml Config
	deps Deps

	// mu guards targets and policies, and orders each change's store
	// write, application and audit.
	mu       sync.Mutex
	targets  map[string]*storedTarget // console targets, by name
	policies map[string]*storedPolicy // console policies, by name
}

// meta is when and by whom a console setting was made and last changed.
type meta struct {
	Created   time.Time `json:"created,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	Updated   time.Time `json:"updated,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	// Problem says why a stored setting is not in force (it no longer
	// validates, or vigie.yaml now has one of that name). Not stored.
	Problem string `json:"-"`
}

// New returns a Manager over the settings of vigie.yaml.
func New(cfg Config, deps Deps) (*Manager, error) {
	if deps.Records == nil || deps.Audit == nil || deps.Notifier == nil || deps.Responder == nil {
		return nil, errors.New("settings: Records, Audit, Notifier and Responder are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Manager{yaml: cfg, deps: deps, targets: map[string]*storedTarget{}, policies: map[string]*storedPolicy{}}, nil
}

// Load reads the console's settings from the store and applies them with
// those of vigie.yaml. A stored setting that no longer validates, or that
// vigie.yaml now shadows, is kept and listed with its problem but not
// applied; only a store or apply failure is an error.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	targets, err := loadRecords[storedTarget](ctx, m.deps.Records, KindTarget)
	if err != nil {
		return err
	}
	policies, err := loadRecords[storedPolicy](ctx, m.deps.Records, KindPolicy)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(targets) {
		t := targets[name]
		if _, ok := m.yaml.Notify.Targets[name]; ok {
			t.Problem = "vigie.yaml has a target of this name, which wins"
		} else if err := m.checkTarget(name, t.Target, targets); err != nil {
			t.Problem = err.Error()
		}
	}
	for _, name := range sortedKeys(policies) {
		p := policies[name]
		if m.yamlPolicy(name) {
			p.Problem = "vigie.yaml has a policy of this name, which wins"
		} else if _, err := m.checkPolicy(p.Policy); err != nil {
			p.Problem = err.Error()
		}
	}
	if err := m.deps.Notifier.Reload(m.mergedNotify(targets)); err != nil {
		return fmt.Errorf("settings: applying notification targets: %w", err)
	}
	if err := m.deps.Responder.SetPolicies(m.mergedPolicies(policies)); err != nil {
		return fmt.Errorf("settings: applying response policies: %w", err)
	}
	m.targets, m.policies = targets, policies
	return nil
}

func loadRecords[T any](ctx context.Context, rs store.Records, kind string) (map[string]*T, error) {
	recs, err := rs.ListRecords(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("settings: listing %s: %w", kind, err)
	}
	out := map[string]*T{}
	for _, r := range recs {
		v := new(T)
		if err := json.Unmarshal(r.Body, v); err != nil {
			return nil, fmt.Errorf("settings: record %s/%s: %w", kind, r.ID, err)
		}
		out[r.ID] = v
	}
	return out, nil
}

// put stores one setting.
func (m *Manager) put(ctx context.Context, kind, name string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("settings: encoding %s/%s: %w", kind, name, err)
	}
	if err := m.deps.Records.PutRecord(ctx, store.Record{Kind: kind, ID: name, Body: body, Updated: m.deps.Now()}); err != nil {
		return fmt.Errorf("settings: storing %s/%s: %w", kind, name, err)
	}
	return nil
}

// restore puts back what a failed change replaced: the old setting, or
// nothing.
func (m *Manager) restore(ctx context.Context, kind, name string, old any, existed bool) error {
	if existed {
		return m.put(ctx, kind, name, old)
	}
	if err := m.deps.Records.DeleteRecord(ctx, kind, name); err != nil {
		return fmt.Errorf("settings: removing %s/%s: %w", kind, name, err)
	}
	return nil
}

// audit appends one entry; detail is encoded as JSON.
func (m *Manager) audit(ctx context.Context, who Actor, action, target string, detail any) error {
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("settings: encoding audit detail: %w", err)
	}
	e := &store.AuditEntry{Time: m.deps.Now(), Actor: who.User, Action: action, Target: target, Remote: who.Remote, Detail: raw}
	if err := m.deps.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("settings: auditing %s of %s: %w", action, target, err)
	}
	return nil
}

// checkName refuses names that would not fit a URL path or a metric
// label, and names vigie.yaml uses.
func checkName(name string, inYAML bool) error {
	if !validName.MatchString(name) {
		return &InvalidError{Problems: []Problem{{Field: "name",
			Msg: fmt.Sprintf("%q: use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit", name)}}}
	}
	if inYAML {
		return fmt.Errorf("%w: %q", ErrReadOnly, name)
	}
	return nil
}

// checkSizes bounds the strings and lists of a setting.
func checkSizes(strs map[string]string, lists map[string][]string) []Problem {
	var ps []Problem
	for _, f := range sortedKeys(strs) {
		if len(strs[f]) > maxString {
			ps = append(ps, Problem{Field: f, Msg: fmt.Sprintf("%d bytes, more than %d", len(strs[f]), maxString)})
		}
	}
	for _, f := range sortedKeys(lists) {
		l := lists[f]
		if len(l) > maxList {
			ps = append(ps, Problem{Field: f, Msg: fmt.Sprintf("%d entries, more than %d", len(l), maxList)})
			continue
		}
		for _, s := range l {
			if len(s) > maxString {
				ps = append(ps, Problem{Field: f, Msg: fmt.Sprintf("an entry of %d bytes, more than %d", len(s), maxString)})
				break
			}
		}
	}
	return ps
}

// parseDuration reads an optional Go duration ("10s", "4h").
func parseDuration(field, s string) (time.Duration, *Problem) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, &Problem{Field: field, Msg: fmt.Sprintf("%q: write a duration such as 10s, 30m or 4h", s)}
	}
	return d, nil
}

func formatDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// flatten returns the leaves of a tree of joined and wrapped errors.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if u := errors.Unwrap(err); u != nil {
		if _, ok := u.(interface{ Unwrap() []error }); ok {
			return flatten(u)
		}
	}
	return []error{err}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
