package incident

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// Record kinds in store.Records.
const (
	RecordKind      = "incident"
	StateRecordKind = "incident-state"
	stateRecordID   = "state"
)

// Deps are what a Manager works with.
type Deps struct {
	Records store.Records
	Audit   store.Auditor
	Now     func() time.Time // nil means time.Now
}

// Change says what Add did to one incident.
type Change struct {
	Incident int64
	// Kind is "new" for an incident Add opened, "update" for one that
	// took alerts or relations, "merged" for one merged into another.
	Kind   string
	Alerts []event.ID // the alerts that joined it in this call
}

// Change kinds.
const (
	ChangeNew    = "new"
	ChangeUpdate = "update"
	ChangeMerged = "merged"
)

// Actor is who does an analyst action, and from where.
type Actor struct {
	Name   string
	Remote string
}

// Manager groups alerts into incidents and keeps them. It holds every
// incident in memory and writes each change to store.Records before it
// returns. It is safe for concurrent use.
type Manager struct {
	cfg     Config
	records store.Records
	audit   store.Auditor
	now     func() time.Time

	// mu guards every field below.
	mu        sync.Mutex
	incidents map[int64]*Incident
	byAlert   map[event.ID]int64         // alert → incident holding it
	byEntity  map[string]map[int64]bool  // entity key → incidents naming it (not merged)
	ignore    map[string]map[string]bool // field → normalised values never joined on
	usage     *tracker
	cursor    event.ID
	nextID    int64
}

// state is the "incident-state" record.
type state struct {
	Cursor event.ID          `json:"cursor"`
	NextID int64             `json:"next_id"`
	Usage  map[string]*usage `json:"usage"`
}

// New returns a Manager with no incident; call Load to read the stored
// ones.
func New(cfg Config, deps Deps) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Records == nil || deps.Audit == nil {
		return nil, errors.New("incident: Records and Audit are required")
	}
	cfg = cfg.withDefaults()
	m := &Manager{cfg: cfg, records: deps.Records, audit: deps.Audit, now: deps.Now}
	if m.now == nil {
		m.now = time.Now
	}
	m.ignore = map[string]map[string]bool{}
	for _, f := range cfg.Grouping.Fields {
		set := map[string]bool{"": true}
		for _, v := range cfg.Grouping.Ignore {
			set[Normalize(f, v)] = true
		}
		for _, v := range cfg.Grouping.IgnoreFields[f] {
			set[Normalize(f, v)] = true
		}
		m.ignore[f] = set
	}
	m.reset()
	return m, nil
}

func (m *Manager) reset() {
	m.incidents = map[int64]*Incident{}
	m.byAlert = map[event.ID]int64{}
	m.byEntity = map[string]map[int64]bool{}
	g := m.cfg.Grouping
	m.usage = newTracker(g.CommonAfter, g.Window, g.MaxTracked)
	m.cursor, m.nextID = 0, 1
}

// Load reads the stored incidents and grouping state, replacing what the
// Manager holds.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(ctx)
}

func (m *Manager) loadLocked(ctx context.Context) error {
	m.reset()
	recs, err := m.records.ListRecords(ctx, RecordKind)
	if err != nil {
		return fmt.Errorf("loading incidents: %w", err)
	}
	for _, r := range recs {
		var inc Incident
		if err := json.Unmarshal(r.Body, &inc); err != nil {
			return fmt.Errorf("loading incident record %s: %w", r.ID, err)
		}
		m.incidents[inc.ID] = &inc
		m.index(&inc)
		m.nextID = max(m.nextID, inc.ID+1)
	}
	r, err := m.records.GetRecord(ctx, StateRecordKind, stateRecordID)
	switch {
	case errors.Is(err, store.ErrNoRecord):
		return nil
	case err != nil:
		return fmt.Errorf("loading incident state: %w", err)
	}
	var st state
	if err := json.Unmarshal(r.Body, &st); err != nil {
		return fmt.Errorf("loading incident state: %w", err)
	}
	m.cursor = st.Cursor
	m.nextID = max(m.nextID, st.NextID)
	if st.Usage != nil {
		m.usage.Values = st.Usage
	}
	return nil
}

// index records inc's alerts and entities in the lookup maps.
func (m *Manager) index(inc *Incident) {
	for _, a := range inc.Alerts {
		m.byAlert[a.ID] = inc.ID
	}
	if inc.Status == StatusMerged {
		return
	}
	for _, e := range inc.Entities {
		m.indexEntity(entityKey(e.Field, e.Value), inc.ID)
	}
}

func (m *Manager) indexEntity(key string, id int64) {
	set := m.byEntity[key]
	if set == nil {
		set = map[int64]bool{}
		m.byEntity[key] = set
	}
	set[id] = true
}

// unindexEntities forgets that inc names its entities.
func (m *Manager) unindexEntities(inc *Incident) {
	for _, e := range inc.Entities {
		key := entityKey(e.Field, e.Value)
		delete(m.byEntity[key], inc.ID)
		if len(m.byEntity[key]) == 0 {
			delete(m.byEntity, key)
		}
	}
}

// Cursor returns the highest alert ID Add has seen.
func (m *Manager) Cursor() event.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursor
}

// Get returns a copy of an incident.
func (m *Manager) Get(id int64) (*Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, ok := m.incidents[id]
	if !ok {
		return nil, fmt.Errorf("incident %d: %w", id, ErrNoIncident)
	}
	return inc.clone(), nil
}

// IncidentOf returns the ID of the incident holding an alert.
func (m *Manager) IncidentOf(alert event.ID) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.byAlert[alert]
	return id, ok
}

// spellings returns the spellings the incidents met of an entity value,
// at most maxSearchSpellings.
func (m *Manager) spellings(field, value string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := entityKey(field, Normalize(field, value))
	var out []string
	for id := range m.byEntity[key] {
		for _, e := range m.incidents[id].Entities {
			if entityKey(e.Field, e.Value) != key {
				continue
			}
			for _, s := range e.Spellings {
				if !slices.Contains(out, s) && len(out) < maxSearchSpellings {
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Filter selects incidents for List. Zero fields select any.
type Filter struct {
	Status   Status
	MinLevel string // Sigma level; compared with the effective severity
	Assignee string
	// Field and Value select incidents naming an entity (compared
	// normalised, see Normalize).
	Field, Value string
	Open         bool // only new, investigating and contained
}

// List returns copies of the incidents f selects, newest first.
func (m *Manager) List(f Filter) []*Incident {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Incident
	for _, inc := range m.incidents {
		if f.Status != "" && inc.Status != f.Status ||
			f.Open && !inc.Status.Open() ||
			f.Assignee != "" && inc.Assignee != f.Assignee ||
			f.MinLevel != "" && !detect.LevelAtLeast(inc.EffectiveSeverity(), f.MinLevel) ||
			f.Field != "" && inc.Entity(f.Field, f.Value) == nil {
			continue
		}
		out = append(out, inc.clone())
	}
	slices.SortFunc(out, func(a, b *Incident) int { return cmp.Compare(b.ID, a.ID) })
	return out
}

// Add groups alerts into incidents and stores the incidents it changed
// and the cursor. Alerts already in an incident are ignored, so that the
// same alerts may be given again. An event that is not a stored alert
// is skipped and reported in the error, after the others are grouped.
//
// If storing fails, the Manager reloads what was stored before the call
// and returns the error: giving the same alerts again is then safe.
func (m *Manager) Add(ctx context.Context, alerts []*event.Event) ([]Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := &batch{changes: map[int64]*Change{}}
	var errs []error
	for i, ev := range alerts {
		p, err := parseAlert(ev, m.cfg.Grouping.Fields)
		if err != nil {
			errs = append(errs, fmt.Errorf("alert %d of %d: %w", i+1, len(alerts), err))
			continue
		}
		m.cursor = max(m.cursor, p.ref.ID)
		if _, ok := m.byAlert[p.ref.ID]; ok {
			continue
		}
		if err := m.place(ctx, b, p); err != nil {
			errs = append(errs, err)
			break
		}
	}
	if err := m.persistLocked(ctx, slices.Sorted(mapsKeys(b.changes))); err != nil {
		if rerr := m.loadLocked(ctx); rerr != nil {
			err = errors.Join(err, fmt.Errorf("reloading incidents: %w", rerr))
		}
		return nil, errors.Join(append(errs, err)...)
	}
	out := make([]Change, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, *b.changes[id])
	}
	return out, errors.Join(errs...)
}

func mapsKeys(m map[int64]*Change) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// batch collects the changes of one Add.
type batch struct {
	changes map[int64]*Change
	order   []int64
}

func (b *batch) note(id int64, kind string, alert event.ID) {
	c := b.changes[id]
	if c == nil {
		c = &Change{Incident: id, Kind: kind}
		b.changes[id] = c
		b.order = append(b.order, id)
	}
	if kind == ChangeNew || kind == ChangeMerged {
		c.Kind = kind
	}
	if alert != 0 {
		c.Alerts = append(c.Alerts, alert)
	}
}

// place puts one new alert into an incident.
func (m *Manager) place(ctx context.Context, b *batch, p parsedAlert) error {
	var keys []string
	var usable []alertValue
	for _, e := range p.entities {
		if m.ignore[e.field][e.value] {
			continue
		}
		keys = append(keys, e.key)
		usable = append(usable, e)
	}
	common := m.usage.observe(keys, p.ref.Time)
	shared := map[int64][]alertValue{}
	var related []int64
	for _, e := range usable {
		if common[e.key] {
			continue
		}
		for id := range m.byEntity[e.key] {
			inc := m.incidents[id]
			switch {
			case inc.Status == StatusMerged || !m.inWindow(inc, &p.ref):
			case inc.Status.Open() && len(inc.Alerts) < m.cfg.MaxAlerts:
				v := e
				if there := inc.Entity(e.field, e.value); there != nil && there.Field != e.field {
					v.seenAs = there.Field
				}
				shared[id] = append(shared[id], v)
			default: // closed, or full
				related = append(related, id)
			}
		}
	}
	ids := slices.Sorted(func(yield func(int64) bool) {
		for id := range shared {
			if !yield(id) {
				return
			}
		}
	})
	var target *Incident
	because := ""
	switch {
	case len(ids) == 0:
		target = &Incident{ID: m.nextID, Status: StatusNew, Created: m.now(), Alerts: []AlertRef{}, Entities: []Entity{}}
		m.nextID++
		m.incidents[target.ID] = target
		because = "opened the incident"
		if len(usable) == 0 {
			because += " (no entity to group on)"
		}
		b.note(target.ID, ChangeNew, 0)
	default:
		target = m.incidents[ids[0]]
		because = "joined because " + describeShared(shared[ids[0]])
		for _, id := range ids[1:] {
			other := m.incidents[id]
			if *m.cfg.Grouping.AutoMerge {
				reason := fmt.Sprintf("alert %d (%s) links them: %s with #%d, %s with #%d",
					p.ref.ID, p.ref.Title, describeValues(shared[target.ID]), target.ID, describeValues(shared[id]), id)
				if err := m.auditLocked(ctx, Actor{Name: "system"}, "incident.merge", target.ID,
					map[string]any{"from": id, "reason": reason}); err != nil {
					return err
				}
				m.mergeLocked(target, other, reason, "system")
				because += "; " + fmt.Sprintf("%s also appears in #%d, merged into this one", describeValues(shared[id]), id)
				b.note(id, ChangeMerged, 0)
				continue
			}
			target.addRelated(id)
			other.addRelated(target.ID)
			because += fmt.Sprintf("; %s also appears in #%d, marked related", describeValues(shared[id]), id)
			b.note(id, ChangeUpdate, 0)
		}
	}
	for _, id := range related {
		if id == target.ID {
			continue
		}
		if !slices.Contains(target.Related, id) {
			because += fmt.Sprintf("; #%d names it too but is %s, marked related", id, m.incidents[id].Status)
		}
		target.addRelated(id)
		m.incidents[id].addRelated(target.ID)
		b.note(id, ChangeUpdate, 0)
	}
	m.join(target, p, usable, common, because)
	b.note(target.ID, ChangeUpdate, p.ref.ID)
	return nil
}

// inWindow reports whether an alert lies within the window of the
// incident's activity.
func (m *Manager) inWindow(inc *Incident, a *AlertRef) bool {
	w := m.cfg.Grouping.Window
	return !a.Time.Before(inc.First.Add(-w)) && !a.start().After(inc.Last.Add(w))
}

// join adds an alert to an incident, with the entity values it names.
func (m *Manager) join(inc *Incident, p parsedAlert, values []alertValue, common map[string]bool, because string) {
	inc.Alerts = append(inc.Alerts, p.ref)
	inc.Joins = append(inc.Joins, Join{Alert: p.ref.ID, Because: because})
	m.byAlert[p.ref.ID] = inc.ID
	for _, v := range values {
		i := slices.IndexFunc(inc.Entities, func(e Entity) bool { return entityKey(e.Field, e.Value) == v.key })
		if i < 0 {
			inc.Entities = append(inc.Entities, Entity{Field: v.field, Value: v.value})
			i = len(inc.Entities) - 1
			m.indexEntity(v.key, inc.ID)
		}
		e := &inc.Entities[i]
		e.Alerts = append(e.Alerts, p.ref.ID)
		e.Common = common[v.key]
		if !slices.Contains(e.Spellings, v.spelling) && len(e.Spellings) < maxSpellings {
			e.Spellings = append(e.Spellings, v.spelling)
		}
	}
	inc.Updated = m.now()
	inc.recompute()
}

// describeShared renders shared values for a join: "user.name alice
// appears in both".
func describeShared(vs []alertValue) string {
	verb := " appears in both"
	if len(vs) > 1 {
		verb = " appear in both"
	}
	return describeValues(vs) + verb
}

func describeValues(vs []alertValue) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		s := v.field + " " + v.value
		if v.seenAs != "" {
			s += " (there as " + v.seenAs + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("%d more", len(parts)-3))
	}
	return strings.Join(parts, " and ")
}

// persistLocked stores the incidents ids and the state record.
func (m *Manager) persistLocked(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if err := m.putLocked(ctx, m.incidents[id]); err != nil {
			return err
		}
	}
	st := state{Cursor: m.cursor, NextID: m.nextID, Usage: m.usage.Values}
	body, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding incident state: %w", err)
	}
	if err := m.records.PutRecord(ctx, store.Record{Kind: StateRecordKind, ID: stateRecordID, Body: body, Updated: m.now()}); err != nil {
		return fmt.Errorf("storing incident state: %w", err)
	}
	return nil
}

func (m *Manager) putLocked(ctx context.Context, inc *Incident) error {
	body, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encoding incident %d: %w", inc.ID, err)
	}
	r := store.Record{Kind: RecordKind, ID: strconv.FormatInt(inc.ID, 10), Body: body, Updated: inc.Updated}
	if err := m.records.PutRecord(ctx, r); err != nil {
		return fmt.Errorf("storing incident %d: %w", inc.ID, err)
	}
	return nil
}

// auditLocked writes an audit entry about an incident.
func (m *Manager) auditLocked(ctx context.Context, who Actor, action string, id int64, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encoding audit detail: %w", err)
	}
	e := &store.AuditEntry{Time: m.now(), Actor: who.Name, Action: action, Target: target(id), Remote: who.Remote, Detail: d}
	if err := m.audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("auditing %s on incident %d: %w", action, id, err)
	}
	return nil
}

// target is an incident's name in the audit log.
func target(id int64) string { return "incident/" + strconv.FormatInt(id, 10) }
