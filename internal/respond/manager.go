package respond

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// Record kinds the Manager keeps in store.Records.
const (
	// RecordKind holds one decision per record, by ID.
	RecordKind = "decision"
	// sequenceKind/sequenceID hold the last decision ID given out.
	sequenceKind = "sequence"
	sequenceID   = "decision"
)

// Audit actions.
const (
	AuditCreate = "decision.create"
	AuditExtend = "decision.extend"
	AuditRevoke = "decision.revoke"
	AuditExpire = "decision.expire"
)

// Deps are the Manager's collaborators.
type Deps struct {
	Records   store.Records
	Audit     store.Auditor
	Executors []Executor
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger     // default slog.Default()
	// OnChange, when set, learns of every change to a decision (for
	// notifications and the console). It may be called concurrently from
	// several goroutines and must not block.
	OnChange func(Change)
}

// Change is one thing that happened to a decision.
type Change struct {
	Kind     string    // one of the Change… constants
	Decision *Decision // a copy, as it stands after the change
	Executor string    // for ChangeExecuted and ChangeFailed
	Err      string    // for ChangeFailed
}

// Change kinds.
const (
	ChangeCreate   = "create"
	ChangeExtend   = "extend"
	ChangeRevoke   = "revoke"
	ChangeExpire   = "expire"
	ChangeExecuted = "executed" // an executor applied or revoked it
	ChangeFailed   = "failed"   // an executor failed; it will be retried
)

// Actor is who asks for a decision or its revocation.
type Actor struct {
	Name   string // a user name, or a policy's name
	Origin string // OriginAnalyst or OriginPolicy
	Remote string // the client's address, when known
}

// auditName is the audit log's actor: the user, or "policy:NAME".
func (a Actor) auditName() string {
	if a.Origin == OriginPolicy {
		return "policy:" + a.Name
	}
	return a.Name
}

// Request asks for a decision. Scope may be left empty for a block (the
// value says whether it is an address or a range) and Action for any
// scope; Duration 0 means the default.
type Request struct {
	Action   string
	Scope    string
	Value    string
	Duration time.Duration
	Reason   string
	Incident string
	Alert    string
	DryRun   bool
}

// Filter selects decisions for List. Scope and Value, when set, must be
// equal (Value in canonical form).
type Filter struct {
	Active bool // only those in force now; otherwise every stored decision
	Scope  string
	Value  string
}

// executorSlots bounds the calls in flight per executor, so that a hanging
// executor ties up its own slots and nothing else.
const executorSlots = 4

// Manager makes, stores, executes and ends decisions. Its methods are safe
// for concurrent use. Call Load before anything else, then Run in a
// goroutine of its own.
type Manager struct {
	cfg       *compiled
	policies  atomic.Pointer[[]Policy] // those of cfg until SetPolicies
	records   store.Records
	audit     store.Auditor
	executors map[string]Executor
	order     []string                 // executor names, in Deps order
	slots     map[string]chan struct{} // per executor: a token per call in flight
	now       func() time.Time
	log       *slog.Logger
	onChange  func(Change)
	wake      chan struct{}
	calls     sync.WaitGroup

	// mu guards live, lastID and inflight, and orders the writes of a
	// decision's record, so that a stale copy never overwrites a newer one.
	mu sync.Mutex
	// live holds the decisions in force and those with executions not
	// done; ended and settled decisions are read from the store.
	live     map[string]*Decision
	lastID   int64
	inflight map[string]bool // decision ID + "\x00" + executor name
}

// New returns a Manager for cfg. It fails on an invalid configuration or
// executors with missing or duplicate names.
func New(cfg Config, deps Deps) (*Manager, error) {
	c, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	if deps.Records == nil || deps.Audit == nil {
		return nil, errors.New("respond: Records and Audit are required")
	}
	m := &Manager{
		cfg: c, records: deps.Records, audit: deps.Audit, now: deps.Now, log: deps.Logger,
		onChange: deps.OnChange, executors: map[string]Executor{}, slots: map[string]chan struct{}{},
		wake: make(chan struct{}, 1), live: map[string]*Decision{}, inflight: map[string]bool{},
	}
	m.policies.Store(&c.Policies)
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	for _, ex := range deps.Executors {
		name := ex.Name()
		if name == "" || m.executors[name] != nil {
			return nil, fmt.Errorf("respond: executor name %q is empty or used twice", name)
		}
		m.executors[name] = ex
		m.order = append(m.order, name)
		m.slots[name] = make(chan struct{}, executorSlots)
	}
	return m, nil
}

// Load reads the stored decisions: those in force and those with work left
// are kept in memory, and Run resumes their executions. Executors that are
// Restorers are given what they had applied.
func (m *Manager) Load(ctx context.Context) error {
	recs, err := m.records.ListRecords(ctx, RecordKind)
	if err != nil {
		return fmt.Errorf("loading decisions: %w", err)
	}
	var last int64
	if r, err := m.records.GetRecord(ctx, sequenceKind, sequenceID); err == nil {
		if err := json.Unmarshal(r.Body, &last); err != nil {
			return fmt.Errorf("reading the decision sequence: %w", err)
		}
	} else if !errors.Is(err, store.ErrNoRecord) {
		return fmt.Errorf("reading the decision sequence: %w", err)
	}
	now := m.now()
	live := map[string]*Decision{}
	for _, r := range recs {
		d := new(Decision)
		if err := json.Unmarshal(r.Body, d); err != nil {
			return fmt.Errorf("decision %s: %w", r.ID, err)
		}
		if n, err := strconv.ParseInt(d.ID, 10, 64); err == nil {
			last = max(last, n)
		}
		if d.Active(now) || !settled(d) {
			live[d.ID] = d
		}
	}
	m.mu.Lock()
	m.live, m.lastID = live, last
	m.mu.Unlock()
	for _, name := range m.order {
		r, ok := m.executors[name].(Restorer)
		if !ok {
			continue
		}
		var applied []*Decision
		for _, d := range sortedByID(live) {
			if x := d.Executions[name]; x != nil && d.Active(now) && x.Op == OpApply && x.State == StateDone {
				applied = append(applied, d.Clone())
			}
		}
		if err := r.Restore(ctx, applied); err != nil {
			return fmt.Errorf("restoring executor %s: %w", name, err)
		}
	}
	m.poke()
	return nil
}

// settled reports whether every execution of d is done.
func settled(d *Decision) bool {
	for _, x := range d.Executions {
		if x.State != StateDone {
			return false
		}
	}
	return true
}

// Decide validates req, stores the decision and its audit entry, and
// returns it; executors are called afterwards, by Run. When a decision in
// force already covers the same scope and value, in the same dry-run mode,
// that one is returned instead, its expiry extended if req asks for a
// later one. Errors match ErrInvalid, ErrAllowListed or ErrTooMany for a
// refused request.
func (m *Manager) Decide(ctx context.Context, req Request, who Actor) (*Decision, error) {
	d, err := m.check(req, who)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	out, change, err := m.decideLocked(ctx, d, req, who)
	m.mu.Unlock()
	m.emit(change)
	return out, err
}

// decideLocked stores d, or extends the decision covering it.
func (m *Manager) decideLocked(ctx context.Context, d *Decision, req Request, who Actor) (*Decision, *Change, error) {
	now := m.now()
	d.Created = now
	d.Expires = now.Add(cmp.Or(req.Duration, m.cfg.DefaultDuration))
	if old := m.coveringLocked(d, now); old != nil {
		return m.extendLocked(ctx, old, d.Expires, who)
	}
	fail := func(err error) (*Decision, *Change, error) { return nil, nil, err }
	active := 0
	for _, l := range m.live {
		if l.Active(now) {
			active++
		}
	}
	if active >= m.cfg.MaxActive {
		return fail(&requestError{kind: ErrTooMany, msg: fmt.Sprintf("%d decisions in force (response.max_active): %s %s not decided", active, d.Scope, d.Value)})
	}
	id := m.lastID + 1
	if err := m.putSequence(ctx, id); err != nil {
		return fail(err)
	}
	m.lastID = id
	d.ID = strconv.FormatInt(id, 10)
	if !d.DryRun {
		for _, name := range m.order {
			if handles(m.executors[name], d) {
				if d.Executions == nil {
					d.Executions = map[string]*Execution{}
				}
				d.Executions[name] = &Execution{Op: OpApply, State: StatePending, Updated: now}
			}
		}
	}
	if err := m.putLocked(ctx, d); err != nil {
		return fail(err)
	}
	if err := m.auditLocked(ctx, who, AuditCreate, d, map[string]any{
		"action": d.Action, "scope": d.Scope, "value": d.Value, "expires": d.Expires, "reason": d.Reason,
		"dry_run": d.DryRun, "policy": d.Policy, "incident": d.Incident, "alert": d.Alert,
	}); err != nil {
		// An unaudited decision must not take effect.
		if derr := m.records.DeleteRecord(context.WithoutCancel(ctx), RecordKind, d.ID); derr != nil {
			err = errors.Join(err, fmt.Errorf("removing unaudited decision %s: %w", d.ID, derr))
		}
		return fail(err)
	}
	m.live[d.ID] = d
	m.poke()
	return d.Clone(), &Change{Kind: ChangeCreate, Decision: d.Clone()}, nil
}

// check validates req and returns the decision it asks for, without ID or
// times.
func (m *Manager) check(req Request, who Actor) (*Decision, error) {
	if who.Name == "" || (who.Origin != OriginAnalyst && who.Origin != OriginPolicy) {
		return nil, invalidf("actor %q (%s): a name and origin analyst or policy are required", who.Name, who.Origin)
	}
	scope := req.Scope
	if scope == "" {
		switch req.Action {
		case ActionBlock, "":
			scope = ScopeIP
			if strings.Contains(req.Value, "/") {
				scope = ScopeRange
			}
		case ActionDisable:
			scope = ScopeAccount
		case ActionIsolate:
			scope = ScopeHost
		}
	}
	value, err := Canonical(scope, req.Value)
	if err != nil {
		return nil, err
	}
	action := cmp.Or(req.Action, actionFor(scope))
	if action != actionFor(scope) {
		return nil, invalidf("action %q does not apply to scope %s (want %s)", req.Action, scope, actionFor(scope))
	}
	switch {
	case req.Duration < 0:
		return nil, invalidf("duration %s is negative", req.Duration)
	case req.Duration > m.cfg.MaxDuration:
		return nil, invalidf("duration %s is above the maximum %s (response.max_duration)", req.Duration, m.cfg.MaxDuration)
	case len(req.Reason) > maxReasonLen:
		return nil, invalidf("reason longer than %d bytes", maxReasonLen)
	case len(req.Incident) > 64 || len(req.Alert) > 64:
		return nil, invalidf("incident or alert id longer than 64 bytes")
	}
	if err := m.allowed(scope, value); err != nil {
		return nil, err
	}
	d := &Decision{Action: action, Scope: scope, Value: value, Reason: req.Reason, Origin: who.Origin,
		Actor: who.Name, Incident: req.Incident, Alert: req.Alert, DryRun: req.DryRun}
	if who.Origin == OriginPolicy {
		d.Policy = who.Name
	}
	return d, nil
}

// allowed refuses a value an allow-list covers, and ranges that are too
// wide.
func (m *Manager) allowed(scope, value string) error {
	refuse := func(msg string) error { return &requestError{kind: ErrAllowListed, msg: msg} }
	switch scope {
	case ScopeIP, ScopeRange:
		p, err := parseNetwork(value)
		if err != nil {
			return invalidf("%s: %v", value, err)
		}
		if scope == ScopeRange {
			limit := m.cfg.MaxRangeBits.IPv4
			family := "ipv4"
			if p.Addr().Is6() {
				limit, family = m.cfg.MaxRangeBits.IPv6, "ipv6"
			}
			if p.Bits() < limit {
				return invalidf("%s is wider than /%d (response.max_range_bits.%s): not blocked", value, limit, family)
			}
		}
		for _, a := range m.cfg.allowNets {
			if !a.Overlaps(p) {
				continue
			}
			if a == p {
				return refuse(fmt.Sprintf("%s is allow-listed (response.allow.networks): not blocked", value))
			}
			if a.Bits() <= p.Bits() {
				return refuse(fmt.Sprintf("%s is within %s, allow-listed (response.allow.networks): not blocked", value, a))
			}
			return refuse(fmt.Sprintf("%s contains %s, allow-listed (response.allow.networks): not blocked", value, a))
		}
	case ScopeAccount:
		for _, a := range m.cfg.Allow.Accounts {
			if strings.EqualFold(a, value) {
				return refuse(fmt.Sprintf("account %s is allow-listed (response.allow.accounts): not disabled", value))
			}
		}
	case ScopeHost:
		for _, a := range m.cfg.Allow.Hosts {
			if strings.EqualFold(a, value) {
				return refuse(fmt.Sprintf("host %s is allow-listed (response.allow.hosts): not isolated", value))
			}
		}
	}
	return nil
}

// internal reports whether value is an address in Config.Internal.
func (m *Manager) internal(value string) bool {
	a, err := netip.ParseAddr(value)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range m.cfg.internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// coveringLocked returns the decision in force with d's scope, value and
// dry-run mode, if any.
func (m *Manager) coveringLocked(d *Decision, now time.Time) *Decision {
	for _, l := range m.live {
		if l.Active(now) && l.Scope == d.Scope && l.Value == d.Value && l.DryRun == d.DryRun {
			return l
		}
	}
	return nil
}

// extendLocked moves d's expiry to expires when that is later, audits it
// and applies the decision again so that executors learn the new expiry.
func (m *Manager) extendLocked(ctx context.Context, d *Decision, expires time.Time, who Actor) (*Decision, *Change, error) {
	if !expires.After(d.Expires) {
		return d.Clone(), nil, nil
	}
	prev := d.Clone()
	from := d.Expires
	d.Expires = expires
	now := m.now()
	for _, x := range d.Executions {
		*x = Execution{Op: OpApply, State: StatePending, Updated: now}
	}
	if err := m.putLocked(ctx, d); err != nil {
		m.live[d.ID] = prev
		return nil, nil, err
	}
	if err := m.auditLocked(ctx, who, AuditExtend, d, map[string]any{"from": from, "to": expires}); err != nil {
		return nil, nil, m.rollbackLocked(ctx, prev, err)
	}
	m.poke()
	return d.Clone(), &Change{Kind: ChangeExtend, Decision: d.Clone()}, nil
}

// rollbackLocked puts prev back, in memory and in the store, after a
// change that could not be audited: an unaudited change must not stand.
func (m *Manager) rollbackLocked(ctx context.Context, prev *Decision, err error) error {
	m.live[prev.ID] = prev
	if perr := m.putLocked(context.WithoutCancel(ctx), prev); perr != nil {
		err = errors.Join(err, perr)
	}
	return err
}

// Revoke ends decision id early. It fails with ErrNotFound for an unknown
// ID and ErrEnded for a decision no longer in force.
func (m *Manager) Revoke(ctx context.Context, id string, who Actor, reason string) (*Decision, error) {
	if len(reason) > maxReasonLen {
		return nil, invalidf("reason longer than %d bytes", maxReasonLen)
	}
	m.mu.Lock()
	out, change, err := m.revokeLocked(ctx, id, who, reason)
	m.mu.Unlock()
	m.emit(change)
	return out, err
}

func (m *Manager) revokeLocked(ctx context.Context, id string, who Actor, reason string) (*Decision, *Change, error) {
	now := m.now()
	d := m.live[id]
	if d == nil || !d.Active(now) {
		if _, err := m.get(ctx, id); err != nil {
			return nil, nil, err
		}
		return nil, nil, &requestError{kind: ErrEnded, msg: fmt.Sprintf("decision %s is no longer in force", id)}
	}
	prev := d.Clone()
	d.Revoked, d.RevokedBy, d.RevokeReason = now, who.Name, reason
	m.endExecutionsLocked(d, now)
	if err := m.putLocked(ctx, d); err != nil {
		m.live[id] = prev
		return nil, nil, err
	}
	if err := m.auditLocked(ctx, who, AuditRevoke, d, map[string]any{"reason": reason}); err != nil {
		return nil, nil, m.rollbackLocked(ctx, prev, err)
	}
	m.poke()
	return d.Clone(), &Change{Kind: ChangeRevoke, Decision: d.Clone()}, nil
}

// endExecutionsLocked turns every execution of d into a pending revoke;
// one never attempted has nothing to undo and is done at once.
func (m *Manager) endExecutionsLocked(d *Decision, now time.Time) {
	for name, x := range d.Executions {
		if x.Op == OpRevoke {
			continue
		}
		if x.Attempts == 0 && !m.inflight[d.ID+"\x00"+name] {
			*x = Execution{Op: OpRevoke, State: StateDone, Updated: now}
			continue
		}
		*x = Execution{Op: OpRevoke, State: StatePending, Updated: now}
	}
}

// Get returns decision id, or an error matching ErrNotFound.
func (m *Manager) Get(ctx context.Context, id string) (*Decision, error) {
	m.mu.Lock()
	d := m.live[id]
	if d != nil {
		d = d.Clone()
	}
	m.mu.Unlock()
	if d != nil {
		return d, nil
	}
	return m.get(ctx, id)
}

// get reads decision id from the store.
func (m *Manager) get(ctx context.Context, id string) (*Decision, error) {
	r, err := m.records.GetRecord(ctx, RecordKind, id)
	if errors.Is(err, store.ErrNoRecord) {
		return nil, &requestError{kind: ErrNotFound, msg: fmt.Sprintf("decision %s not found", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading decision %s: %w", id, err)
	}
	d := new(Decision)
	if err := json.Unmarshal(r.Body, d); err != nil {
		return nil, fmt.Errorf("decision %s: %w", id, err)
	}
	return d, nil
}

// List returns the decisions f selects, by ID. Active ones come from
// memory; the full history is read from the store.
func (m *Manager) List(ctx context.Context, f Filter) ([]*Decision, error) {
	var all map[string]*Decision
	if !f.Active {
		recs, err := m.records.ListRecords(ctx, RecordKind)
		if err != nil {
			return nil, fmt.Errorf("listing decisions: %w", err)
		}
		all = make(map[string]*Decision, len(recs))
		for _, r := range recs {
			d := new(Decision)
			if err := json.Unmarshal(r.Body, d); err != nil {
				return nil, fmt.Errorf("decision %s: %w", r.ID, err)
			}
			all[d.ID] = d
		}
	}
	m.mu.Lock()
	now := m.now()
	if f.Active {
		all = map[string]*Decision{}
		for id, d := range m.live {
			if d.Active(now) {
				all[id] = d.Clone()
			}
		}
	}
	m.mu.Unlock()
	var out []*Decision
	for _, d := range sortedByID(all) {
		if (f.Scope == "" || d.Scope == f.Scope) && (f.Value == "" || d.Value == f.Value) {
			out = append(out, d)
		}
	}
	return out, nil
}

// sortedByID returns the decisions in numeric ID order.
func sortedByID(ds map[string]*Decision) []*Decision {
	out := make([]*Decision, 0, len(ds))
	for _, d := range ds {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *Decision) int {
		return cmp.Or(cmp.Compare(len(a.ID), len(b.ID)), strings.Compare(a.ID, b.ID))
	})
	return out
}

// putLocked stores d.
func (m *Manager) putLocked(ctx context.Context, d *Decision) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encoding decision %s: %w", d.ID, err)
	}
	if err := m.records.PutRecord(ctx, store.Record{Kind: RecordKind, ID: d.ID, Body: body, Updated: m.now()}); err != nil {
		return fmt.Errorf("storing decision %s: %w", d.ID, err)
	}
	return nil
}

func (m *Manager) putSequence(ctx context.Context, id int64) error {
	body := strconv.AppendInt(nil, id, 10)
	if err := m.records.PutRecord(ctx, store.Record{Kind: sequenceKind, ID: sequenceID, Body: body, Updated: m.now()}); err != nil {
		return fmt.Errorf("storing the decision sequence: %w", err)
	}
	return nil
}

func (m *Manager) auditLocked(ctx context.Context, who Actor, action string, d *Decision, detail map[string]any) error {
	body, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encoding audit detail: %w", err)
	}
	e := &store.AuditEntry{Time: m.now(), Actor: who.auditName(), Action: action, Target: "decision/" + d.ID,
		Remote: who.Remote, Detail: body}
	if err := m.audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("auditing %s of decision %s: %w", action, d.ID, err)
	}
	return nil
}

// poke wakes Run without blocking.
func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// emit passes c, when not nil, to Deps.OnChange. It is called without
// holding mu, so that OnChange may call the Manager.
func (m *Manager) emit(c *Change) {
	if c != nil && m.onChange != nil {
		m.onChange(*c)
	}
}
